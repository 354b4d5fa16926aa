//! Driving a real headless Chromium through chromedriver, and checking pages with axe-core.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use super::{TestApp, DEMO_PASSWORD};

pub const AXE: &str = include_str!("../assets/axe.min.js");

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn find(program: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| format!("{dir}/{program}"))
        .find(|p| std::path::Path::new(p).exists())
}

pub async fn browser() -> Option<(Client, Driver, std::path::PathBuf)> {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("LCPF_REQUIRE_BROWSER").is_some();
    let (Some(driver_path), Some(chromium)) = (
        find("chromedriver"),
        find("chromium").or_else(|| find("chromium-browser")),
    ) else {
        assert!(
            !required,
            "CI needs chromium and chromedriver for the browser test"
        );
        eprintln!("browser test not run: chromium and chromedriver are not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Driver(
        Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = std::env::temp_dir().join(format!(
        "lcpf-chromium-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(client) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            return Some((client, driver, profile));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on {url}");
}

/// Runs axe-core on the current page and returns its WCAG 2.x A/AA violations.
pub async fn axe_violations(client: &Client) -> Vec<String> {
    client.execute(AXE, vec![]).await.expect("inject axe-core");
    let result = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
                 .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                 .catch(e => done(['axe did not run: ' + e]));"#,
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value(result).expect("violations list")
}

pub async fn check_page(client: &Client, app: &TestApp, path: &str, expect: &str) {
    client.goto(&app.url(path)).await.unwrap();
    let source = client.source().await.unwrap();
    assert!(source.contains(expect), "{path} should show “{expect}”");
    let violations = axe_violations(client).await;
    assert!(
        violations.is_empty(),
        "{path} has accessibility violations:\n{}",
        violations.join("\n")
    );
}

pub async fn sign_in(client: &Client, app: &TestApp, email: &str) {
    client.goto(&app.url("/sign-in")).await.unwrap();
    client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    let button = client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap();
    click_and_wait(client, button).await;
    client
        .wait()
        .for_element(Locator::Css("button.lcpf-link-button"))
        .await
        .expect("signed in: the page offers to sign out");
}

/// Clicks and waits for the next page: until the old page's root element has gone.
pub async fn click_and_wait(client: &Client, element: fantoccini::elements::Element) {
    let old_page = client.find(Locator::Css("html")).await.unwrap();
    element.click().await.unwrap();
    for _ in 0..400 {
        if old_page.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the click did not lead to a new page");
}

/// The element with this id; ids may hold brackets and dots (`years[0].cost`).
pub async fn by_id(client: &Client, id: &str) -> fantoccini::elements::Element {
    client
        .find(Locator::Css(&format!("[id=\"{id}\"]")))
        .await
        .unwrap_or_else(|_| panic!("no element {id}"))
}

pub async fn fill(client: &Client, id: &str, text: &str) {
    let field = by_id(client, id).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub async fn choose(client: &Client, id: &str, option: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_label(option)
        .await
        .unwrap();
}

pub async fn assert_accessible(client: &Client, what: &str) {
    let violations = axe_violations(client).await;
    assert!(violations.is_empty(), "{what}:\n{}", violations.join("\n"));
}

/// Presses the button with this text in the page's main part, and waits for the next page.
pub async fn press(client: &Client, button_text: &str) {
    let button = client
        .find(Locator::XPath(&format!(
            "//main//button[normalize-space()='{button_text}']"
        )))
        .await
        .unwrap_or_else(|_| panic!("no button {button_text}"));
    click_and_wait(client, button).await;
}

/// Signs out whoever is signed in and signs in as `email`.
pub async fn switch_user(client: &Client, app: &TestApp, email: &str) {
    client.delete_all_cookies().await.unwrap();
    sign_in(client, app, email).await;
}

/// The text of the first element matching `css`, once it is there.
pub async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .text()
        .await
        .unwrap()
}

/// Keeps a screenshot of the page as it is in `target/screenshots/{name}.png`, scrolled to
/// the element with id `scroll_to` first when given (for the README and for looking).
pub async fn keep_screenshot(client: &Client, scroll_to: Option<&str>, name: &str) {
    if let Some(id) = scroll_to {
        client
            .execute(
                "document.getElementById(arguments[0]).scrollIntoView();",
                vec![serde_json::json!(id)],
            )
            .await
            .unwrap();
    }
    std::fs::create_dir_all("target/screenshots").unwrap();
    std::fs::write(
        format!("target/screenshots/{name}.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
}
