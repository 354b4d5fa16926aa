//! In a real headless Chromium: a borough officer signs in, sees their home page and their
//! borough's pages, and axe-core finds no WCAG 2.2 AA violations on any page visited.
//! A funder admin's pages are checked the same way.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them). Without them the test says so and stops — unless `CI` or
//! `LCPF_REQUIRE_BROWSER` is set, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::browser::*;
use common::*;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn borough_officer_pages_in_chromium_have_no_accessibility_violations() {
    let Some((client, _driver, profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();

    // Signed out: the start page, and the sign-in page showing its errors.
    check_page(&client, &app, "/", "London Crime Prevention Fund").await;
    client.goto(&app.url("/sign-in")).await.unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".govuk-error-summary"))
        .await
        .unwrap();
    let violations = axe_violations(&client).await;
    assert!(
        violations.is_empty(),
        "sign-in with errors:\n{}",
        violations.join("\n")
    );

    sign_in(&client, &app, BD_OFFICER).await;
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Barking and Dagenham community safety");
    let violations = axe_violations(&client).await;
    assert!(
        violations.is_empty(),
        "home page:\n{}",
        violations.join("\n")
    );
    keep_screenshot(&client, None, "borough-officer-home").await;

    let own = app.organisation_id("Barking and Dagenham").await;
    check_page(
        &client,
        &app,
        &format!("/organisations/{own}"),
        "GB-LAE-BDG",
    )
    .await;
    check_page(
        &client,
        &app,
        &format!("/organisations/{own}/people"),
        BD_OFFICER,
    )
    .await;
    check_page(
        &client,
        &app,
        &format!("/organisations/{own}/contact"),
        "Contact details",
    )
    .await;
    // A rule broken in the browser is explained next to the field.
    client
        .find(Locator::Id("website"))
        .await
        .unwrap()
        .send_keys("www.lbbd.gov.uk")
        .await
        .unwrap();
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".govuk-error-summary"))
        .await
        .unwrap();
    let violations = axe_violations(&client).await;
    assert!(
        violations.is_empty(),
        "contact form with errors:\n{}",
        violations.join("\n")
    );
    check_page(&client, &app, "/areas", "E09000002").await;
    check_page(
        &client,
        &app,
        "/areas/E09000002",
        "Barking and Dagenham in London",
    )
    .await;
    check_page(&client, &app, "/plans", "Project categories").await;
    check_page(
        &client,
        &app,
        "/plans/1",
        "Reduce the number of first-time entrants",
    )
    .await;
    check_page(
        &client,
        &app,
        "/organisations",
        "Metropolitan Police Service",
    )
    .await;

    // Another borough's team is refused, on an accessible page.
    let barnet = app.organisation_id("Barnet").await;
    check_page(
        &client,
        &app,
        &format!("/organisations/{barnet}/people"),
        "You cannot do this",
    )
    .await;

    // The refusal keeps the officer's navigation, and signing out works without
    // JavaScript's help: it is a form.
    client
        .find(Locator::Css("form[action='/sign-out'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("password"))
        .await
        .unwrap();

    sign_in(&client, &app, ADMIN).await;
    check_page(&client, &app, "/users", BARNET_OFFICER).await;
    check_page(&client, &app, "/users/new", "Initial password").await;
    check_page(&client, &app, "/audit", "Returned the claim for Q4").await;
    let id = app.user_id(BARNET_OFFICER).await;
    check_page(&client, &app, &format!("/users/{id}"), "Reset password").await;
    check_page(&client, &app, "/organisations/new", "Kind of organisation").await;
    check_page(
        &client,
        &app,
        "/areas/E09000001/edit",
        "This area is an LCPF borough",
    )
    .await;

    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_funder_admin_builds_compares_and_decides_scenarios_in_chromium() {
    let Some((client, _driver, profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    sign_in(&client, &app, ADMIN).await;
    check_page(&client, &app, "/funds", "London Crime Prevention Fund").await;
    check_page(&client, &app, "/indicators", "Import a dataset").await;
    let fund = app
        .app
        .list_funds(&lcpf_app::Actor::System)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.name == "London Crime Prevention Fund")
        .unwrap()
        .id;
    let (_, periods) = app.app.fund(&lcpf_app::Actor::System, fund).await.unwrap();
    let period = periods
        .iter()
        .find(|(p, _)| p.first_year == "2019/20")
        .unwrap()
        .0
        .id;
    check_page(
        &client,
        &app,
        &format!("/periods/{period}"),
        "Not decided yet",
    )
    .await;

    // A first scenario, with a mistake the page explains.
    client
        .goto(&app.url(&format!("/periods/{period}/scenarios/new")))
        .await
        .unwrap();
    assert_accessible(&client, "new scenario form").await;
    fill(&client, "name", "Crime 2018/19").await;
    choose(&client, "dataset_1", "Recorded crime 2018/19").await;
    fill(&client, "floor", "100").await;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".govuk-error-summary"))
        .await
        .unwrap();
    let summary = client
        .find(Locator::Css(".govuk-error-summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(summary.contains("choose the previous year"), "{summary}");
    assert_accessible(&client, "scenario form with errors").await;
    fill(&client, "floor", "").await;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".lcpf-choropleth"))
        .await
        .unwrap();
    assert_accessible(&client, "scenario page").await;
    let first = client.current_url().await.unwrap();

    // A second, weighting two years of crime.
    client
        .goto(&app.url(&format!("/periods/{period}/scenarios/new")))
        .await
        .unwrap();
    fill(&client, "name", "Crime 2017/18 and 2018/19").await;
    choose(&client, "dataset_1", "Recorded crime 2018/19").await;
    fill(&client, "weight_1", "50").await;
    choose(&client, "dataset_2", "Recorded crime 2017/18").await;
    fill(&client, "weight_2", "50").await;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".lcpf-choropleth"))
        .await
        .unwrap();

    // Compare both, without JavaScript's help: a plain GET form of checkboxes.
    client
        .goto(&app.url(&format!("/periods/{period}")))
        .await
        .unwrap();
    for checkbox in client
        .find_all(Locator::Css("input[name=id]"))
        .await
        .unwrap()
    {
        let label = client
            .find(Locator::Css(&format!(
                "label[for='{}']",
                checkbox.attr("id").await.unwrap().unwrap()
            )))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if label.starts_with("Crime 2018/19") || label.starts_with("Crime 2017/18 and 2018/19") {
            checkbox.click().await.unwrap();
        }
    }
    client
        .find(Locator::Css("form[action='/scenarios/compare'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//h1[text()='Compare scenarios']"))
        .await
        .unwrap();
    let table = client
        .find(Locator::Css("table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("Crime 2018/19")
            && table.contains("Crime 2017/18 and 2018/19")
            && table.contains("Westminster")
    );
    assert_accessible(&client, "comparison").await;

    // Decide the first: the allocations are locked and shown on the period's page.
    client.goto(first.as_str()).await.unwrap();
    fill(&client, "reference", "PCD 79").await;
    fill(&client, "decided_on", "2019-03-31").await;
    fill(
        &client,
        "decision_maker",
        "Deputy Mayor for Policing and Crime",
    )
    .await;
    fill(&client, "summary", "LCPF allocations for 2019/20").await;
    client
        .find(Locator::Css("form[action$='/decide'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//strong[text()='PCD 79']"))
        .await
        .unwrap();
    assert_accessible(&client, "period with a decision and its map").await;
    keep_screenshot(&client, None, "decided-period").await;
    client.goto(first.as_str()).await.unwrap();
    let page = client.source().await.unwrap();
    assert!(page.contains("its allocations are locked") && !page.contains("Decide and lock"));

    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}
