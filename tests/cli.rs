//! The operator's CLI, run as a real process against both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::*;

fn lcpf(app: &TestApp, args: &[&str], password: Option<&str>, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lcpf"));
    cmd.args(args)
        .env("LCPF_DATABASE_URL", &app.database_url)
        .env("LCPF_LOG", "warn")
        .env_remove("LCPF_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("LCPF_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("run lcpf");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

backend_tests! {
    async fn user_add_list_disable_and_reset(app: TestApp) {
        let out = lcpf(&app, &["user", "add", "--email", "Officer@Lewisham.example", "--name", "Lewisham Officer", "--role", "borough_officer", "--organisation", "Lewisham"], Some("a long enough password"), None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = lcpf(&app, &["user", "list"], None, None);
        let list = text(&out.stdout);
        assert!(list.lines().any(|l| l.contains("officer@lewisham.example") && l.contains("borough_officer") && l.contains("Lewisham") && l.ends_with("active")), "{list}");
        // The password can come on standard input too.
        let out = lcpf(&app, &["user", "reset-password", "--email", "officer@lewisham.example"], None, Some("another long password\n"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let (user, _) = app.app.sign_in("officer@lewisham.example", &lcpf_app::auth::Password::new("another long password"), "127.0.0.1").await.expect("new password works");
        assert_eq!(user.organisation_name.as_deref(), Some("Lewisham"));
        let out = lcpf(&app, &["user", "disable", "--email", "officer@lewisham.example"], None, None);
        assert!(out.status.success());
        let out = lcpf(&app, &["user", "list"], None, None);
        assert!(text(&out.stdout).lines().any(|l| l.contains("officer@lewisham.example") && l.ends_with("disabled")));
    }

    async fn errors_are_one_line_with_a_non_zero_status(app: TestApp) {
        let before = app.audit_count().await;
        let out = lcpf(&app, &["user", "add", "--email", "nobody", "--name", "N", "--role", "king"], Some("short"), None);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("lcpf: ") && err.contains("not an email address") && err.contains("not a role") && err.contains("at least 10 characters"), "{err}");
        let out = lcpf(&app, &["user", "add", "--email", "a@b.example", "--name", "N", "--role", "viewer"], None, Some(""));
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("LCPF_PASSWORD"));
        let out = lcpf(&app, &["token", "create", "--email", "nobody@nowhere.example"], None, None);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("no user with the email address"));
        let out = lcpf(&app, &["--database-url", "mysql://x", "migrate"], None, None);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("sqlite:// or postgres://"));
        assert_eq!(app.audit_count().await, before);
    }

    async fn token_create_prints_only_the_token_and_it_works(app: TestApp) {
        let out = lcpf(&app, &["token", "create", "--email", FUNDER_OFFICER], None, None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().count(), 1);
        let token = stdout.trim();
        assert!(token.starts_with("lcpf_"));
        let me: serde_json::Value = app.client().get(app.url("/api/v1/me")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], FUNDER_OFFICER);
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_all(app.app.db().pool()).await.unwrap();
        assert!(!stored.iter().any(|h| h == token), "tokens are stored hashed");
    }

    async fn the_server_logs_each_request_at_the_default_level(app: TestApp) {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_lcpf"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("LCPF_DATABASE_URL", &app.database_url)
            .env_remove("LCPF_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run lcpf serve");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let address = loop {
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "lcpf serve stopped before saying where it runs");
            if let Some(rest) = line.trim().strip_prefix("LCPF is running at ") {
                break rest.trim_end_matches('/').to_string();
            }
        };
        let r = reqwest::get(format!("{address}/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
        let r = reqwest::get(format!("{address}/favicon.ico")).await.unwrap();
        assert_eq!(r.status(), 200);
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        let log = text(&out.stderr);
        let request = log.lines().find(|l| l.contains("/healthz")).unwrap_or_else(|| panic!("no request line for /healthz in:\n{log}"));
        assert!(request.contains("GET") && request.contains("status=200") && request.contains("latency="), "{request}");
        assert!(!log.contains("lcpf_session") && !log.to_lowercase().contains("authorization"), "no cookies or tokens in the log");
    }

    async fn migrate_is_idempotent(app: TestApp) {
        for _ in 0..2 {
            let out = lcpf(&app, &["migrate"], None, None);
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let areas = app.app.list_areas(&lcpf_app::Actor::System).await.unwrap();
        assert_eq!(areas.len(), 33, "reference data is loaded once");
    }
}
