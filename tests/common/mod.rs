//! The test harness: a real `lcpf` server on a fresh database, driven over HTTP.
//!
//! Every test runs twice, through [`backend_tests!`]: on a temporary SQLite file, and on a
//! fresh PostgreSQL database created for it on the server at `LCPF_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Where no PostgreSQL server can
//! be reached, the PostgreSQL half says so and stops — unless `CI` or
//! `LCPF_REQUIRE_POSTGRES` is set, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may
#![allow(dead_code)]

pub mod browser;

use std::sync::atomic::{AtomicU32, Ordering};

use lcpf_app::{Actor, App};
use reqwest::redirect::Policy;
use sqlx::Connection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub backend: Backend,
    pub database_url: String,
    _dir: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    /// What a test made for itself, removed when dropped — also when the test fails (drops run
    /// while a panic unwinds): a SQLite file's folder, or a PostgreSQL database.
    pub enum TempDir {
        Folder(std::path::PathBuf),
        Database { admin_url: String, name: String },
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            match self {
                TempDir::Folder(dir) => {
                    let _ = std::fs::remove_dir_all(dir);
                }
                // On a thread of its own with its own runtime: a drop cannot await, and the
                // test's runtime may be the one unwinding. FORCE ends the server's connections.
                TempDir::Database { admin_url, name } => {
                    let (admin_url, name) = (admin_url.clone(), name.clone());
                    let _ = std::thread::spawn(move || drop_database(&admin_url, &name)).join();
                }
            }
        }
    }

    pub fn drop_database(admin_url: &str, name: &str) {
        use sqlx::Connection;
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
        });
    }
}

/// Drops the test databases that processes no longer running left behind (a run killed
/// before its drops ran). Names are `lcpf_test_{pid}_…`.
async fn sweep_abandoned_databases(conn: &mut sqlx::AnyConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(datname AS TEXT) FROM pg_database WHERE datname LIKE 'lcpf\\_test\\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name
            .trim_start_matches("lcpf_test_")
            .split('_')
            .next()
            .unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        rand::random::<u32>()
    )
}

pub const DEMO_PASSWORD: &str = lcpf_app::demo::DEMO_PASSWORD;
pub const ADMIN: &str = "admin@mopac.example";
pub const FUNDER_OFFICER: &str = "grants@mopac.example";
pub const FINANCE_OFFICER: &str = "finance@mopac.example";
pub const BD_OFFICER: &str = "community.safety@barking-dagenham.example";
pub const BARNET_OFFICER: &str = "community.safety@barnet.example";
pub const PROVIDER: &str = "bids@advance.example";
pub const ASSESSOR: &str = "assessor@lcpf.example";
pub const VIEWER: &str = "board.member@lcpf.example";

/// A database URL for a fresh database, or `None` when PostgreSQL is not available here.
pub async fn fresh_database(backend: Backend) -> Option<(String, Option<tempfile_dir::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("lcpf-test-{}", unique()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let url = format!("sqlite://{}", dir.join("lcpf.db").display());
            Some((url, Some(tempfile_dir::TempDir::Folder(dir))))
        }
        Backend::Postgres => {
            sqlx::any::install_default_drivers();
            let admin = std::env::var("LCPF_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let required = std::env::var_os("CI").is_some()
                || std::env::var_os("LCPF_REQUIRE_POSTGRES").is_some();
            let mut conn = match sqlx::AnyConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) if !required => {
                    eprintln!("PostgreSQL half not run: cannot connect to {admin} ({e}); set LCPF_TEST_POSTGRES_URL");
                    return None;
                }
                Err(e) => panic!("PostgreSQL is required (CI or LCPF_REQUIRE_POSTGRES) but {admin} is unreachable: {e}"),
            };
            static SWEPT: std::sync::Once = std::sync::Once::new();
            let mut sweep = false;
            SWEPT.call_once(|| sweep = true);
            if sweep {
                sweep_abandoned_databases(&mut conn).await;
            }
            let name = format!("lcpf_test_{}", unique());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let (head, _) = admin.rsplit_once('/').expect("database URL has a path");
            Some((
                format!("{head}/{name}"),
                Some(tempfile_dir::TempDir::Database {
                    admin_url: admin,
                    name,
                }),
            ))
        }
    }
}

impl TestApp {
    /// Starts the server with the demo data (one user per role). `None`: backend unavailable.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        // Attached files go in a folder of this test's own.
        let files = std::env::temp_dir().join(format!("lcpf-test-files-{}", unique()));
        Self::spawn_with_files(
            backend,
            std::sync::Arc::new(lcpf_app::files::LocalDirectory::new(&files)),
        )
        .await
    }

    /// Starts the server with the demo data, keeping attached files in `files`.
    pub async fn spawn_with_files(
        backend: Backend,
        files: std::sync::Arc<dyn lcpf_app::files::FileStore>,
    ) -> Option<TestApp> {
        let (url, dir) = fresh_database(backend).await?;
        let app = App::open(&url)
            .await
            .expect("open database")
            .with_file_store(files);
        app.load_demo_data().await.expect("demo data");
        let server = lcpf_web::Server::bind(app.clone(), "127.0.0.1:0", false)
            .await
            .expect("bind");
        let addr = server.local_addr().expect("addr");
        tokio::spawn(server.run());
        Some(TestApp {
            base: format!("http://{addr}"),
            app,
            backend,
            database_url: url,
            _dir: dir,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    /// Signs in through the form; returns the client and the session's CSRF token.
    pub async fn signed_in(&self, email: &str) -> (reqwest::Client, String) {
        let client = self.client();
        let page = client
            .get(self.url("/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = csrf_token(&page).expect("sign-in form has a token");
        let r = client
            .post(self.url("/sign-in"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in as {email} should redirect");
        let home = client
            .get(self.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_token(&home).expect("signed-in page carries a CSRF token");
        (client, csrf)
    }

    pub async fn token(&self, email: &str) -> String {
        self.app
            .create_token(&Actor::System, email, "test")
            .await
            .expect("token")
    }

    pub async fn organisation_id(&self, name: &str) -> i64 {
        self.app
            .list_organisations(&Actor::System, None)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no organisation {name}"))
            .id
    }

    /// The London Crime Prevention Fund's period that starts in `first_year`.
    /// The id of the fund called `name`.
    pub async fn fund_id(&self, name: &str) -> i64 {
        self.app
            .list_funds(&Actor::System)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no fund {name}"))
            .id
    }

    /// The demo fund's period starting in `first_year`.
    pub async fn period_id(&self, first_year: &str) -> i64 {
        let fund = self.fund_id(lcpf_app::demo::funds::FUND_NAME).await;
        let (_, periods) = self.app.fund(&Actor::System, fund).await.unwrap();
        periods
            .into_iter()
            .find(|(p, _)| p.first_year == first_year)
            .unwrap_or_else(|| panic!("no period from {first_year}"))
            .0
            .id
    }

    /// The proposal of the area with this ONS code for the period starting in `first_year`.
    pub async fn proposal_id(&self, first_year: &str, ons_code: &str) -> Option<i64> {
        let period = self.period_id(first_year).await;
        let overview = self
            .app
            .proposals_overview(&Actor::System, period)
            .await
            .unwrap();
        overview
            .rows
            .into_iter()
            .find(|r| r.area_code == ons_code)
            .and_then(|r| r.proposal_id)
    }

    /// The signed-in actor for a demo login, for calling use cases directly.
    pub async fn actor(&self, email: &str) -> Actor {
        let user = self.app.find_user(&Actor::System, email).await.unwrap();
        Actor::User(lcpf_app::CurrentUser::try_from(user).unwrap())
    }

    /// Barking and Dagenham's grant from its approved 2017/18 proposal, made through the use
    /// cases and still drafted.
    pub async fn drafted_borough_grant(&self) -> i64 {
        use lcpf_domain::proposal::ProposalEvent;
        let bd = self.actor(BD_OFFICER).await;
        let officer = self.actor(FUNDER_OFFICER).await;
        let proposal = self.proposal_id("2017/18", "E09000002").await.unwrap();
        self.app
            .proposal_step(
                &bd,
                proposal,
                ProposalEvent::Submit,
                &Default::default(),
                None,
            )
            .await
            .unwrap();
        self.app
            .proposal_step(
                &officer,
                proposal,
                ProposalEvent::Approve,
                &Default::default(),
                None,
            )
            .await
            .unwrap();
        self.app
            .make_grant(
                &officer,
                &lcpf_app::grants::MakeGrant {
                    source: "proposal".into(),
                    id: proposal,
                    conditions: String::new(),
                },
            )
            .await
            .unwrap()
    }

    /// Offers a drafted borough grant, accepts it as Barking and Dagenham and starts it.
    pub async fn start_borough_grant(&self, id: i64) {
        use lcpf_domain::grant::workflow::GrantEvent;
        let bd = self.actor(BD_OFFICER).await;
        let officer = self.actor(FUNDER_OFFICER).await;
        for (who, event) in [
            (&officer, GrantEvent::Offer),
            (&bd, GrantEvent::Accept),
            (&officer, GrantEvent::Start),
        ] {
            self.app.grant_step(who, id, event).await.unwrap();
        }
    }

    /// Barking and Dagenham's live grant for 2017/18–2018/19, made from its approved
    /// proposal through the use cases: (grant id, its first project's key).
    pub async fn live_borough_grant(&self) -> (i64, i64) {
        let id = self.drafted_borough_grant().await;
        self.start_borough_grant(id).await;
        let grant = self.app.grant(&Actor::System, id).await.unwrap();
        (id, grant.projects[0].key)
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        self.app.find_user(&Actor::System, email).await.unwrap().id
    }

    /// The id of a demo call by name ("Tranche 1", "Tranche 2").
    pub async fn call_id(&self, name: &str) -> i64 {
        self.app
            .call_choices(&Actor::System)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no call {name}"))
            .id
    }

    /// The id of a demo bid by its service's name.
    pub async fn bid_id(&self, title: &str) -> i64 {
        let system = Actor::System;
        for call in self.app.call_choices(&system).await.unwrap() {
            let detail = self.app.call_detail(&system, call.id, 1).await.unwrap();
            if let Some(b) = detail.bids.iter().find(|b| b.title == title) {
                return b.id;
            }
        }
        panic!("no bid {title}")
    }

    pub async fn audit_count(&self) -> i64 {
        let mut conn = self.app.db().pool().acquire().await.unwrap();
        lcpf_store::queries::audit::count(&mut conn).await.unwrap()
    }
}

/// The value of the hidden field `name` on a page, unescaped (a preview's data sent back).
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the hidden field") + marker.len();
    let end = html[start..].find('"').expect("the field's end") + start;
    html[start..end]
        .replace("&#x0A;", "\n")
        .replace("&#10;", "\n")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The value of the first `csrf_token` hidden field on a page.
pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    let t = &html[start..end];
    (!t.is_empty()).then(|| t.to_string())
}

/// Declares each async test body once and runs it on both backends:
/// `backend_tests! { async fn name(app: TestApp) { ... } }`.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await.expect("SQLite always runs");
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await else { return };
                    $body
                }
            )*
        }
    };
}

/// A grant over the API, found on the first page of the grants list by one of its row's
/// fields (`"reference"`, `"recipient"`): the whole grant as `GET /api/v1/grants/{id}` gives it.
pub async fn grant_where(
    app: &TestApp,
    token: &str,
    field: &str,
    value: &str,
) -> serde_json::Value {
    let (_, page) = api_get(app, token, "/api/v1/grants").await;
    let id = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .unwrap_or_else(|| panic!("no grant whose {field} is {value}: {page}"))["id"]
        .as_i64()
        .unwrap();
    let (status, grant) = api_get(app, token, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(status, 200, "{grant}");
    grant
}

/// A GET to the API with a bearer token: the status and the JSON body (null when none).
pub async fn api_get(app: &TestApp, token: &str, path: &str) -> (u16, serde_json::Value) {
    let r = app
        .client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// A POST or PUT of JSON to the API with a bearer token: the status and the JSON body.
pub async fn api_send(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let c = app.client();
    let r = match method {
        "PUT" => c.put(app.url(path)),
        _ => c.post(app.url(path)),
    };
    let r = r.bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Every message of a problem+json body: its field errors and its detail.
pub fn problem_messages(problem: &serde_json::Value) -> String {
    let mut all: Vec<String> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| x["message"].as_str().unwrap_or("").to_string())
        .collect();
    all.push(problem["detail"].as_str().unwrap_or("").to_string());
    all.join(" | ")
}
