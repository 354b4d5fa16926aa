//! Nothing lost when a disk dies: a backup taken while people are saving, restored into a
//! fresh database, holds every change committed before it began and the whole audit log.
//! SQLite through `lcpf backup` and `lcpf restore`; PostgreSQL through `pg_dump` and
//! `pg_restore`, exactly as docs/operating.md gives them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use std::process::Command;

use common::*;
use lcpf_app::App;

const BD_ONS: &str = "E09000002";

/// Writes `n` comments on Barking and Dagenham's draft through the API, each accepted.
async fn comment(app: &TestApp, token: &str, n: usize, label: &str) {
    let id = app.proposal_id("2017/18", BD_ONS).await.unwrap();
    let client = app.client();
    for k in 0..n {
        let r = client
            .post(app.url(&format!("/api/v1/proposals/{id}/comments")))
            .bearer_auth(token)
            .json(&serde_json::json!({ "comment": format!("{label} {k}") }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
}

async fn comments_in(app: &App) -> Vec<String> {
    let mut conn = app.db().pool().acquire().await.unwrap();
    sqlx::query_scalar("SELECT body FROM proposal_comments ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn audit_ids(app: &App) -> Vec<i64> {
    let mut conn = app.db().pool().acquire().await.unwrap();
    sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the command");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

backend_tests! {
    async fn a_backup_taken_during_writes_restores_every_committed_change(app: TestApp) {
        let token = app.token(BD_OFFICER).await;
        comment(&app, &token, 10, "Before the backup").await;
        let committed = comments_in(&app.app).await;
        let audit_before = audit_ids(&app.app).await;
        // Keep saving while the backup is taken.
        let writer = {
            let base = app.base.clone();
            let token = token.clone();
            let id = app.proposal_id("2017/18", BD_ONS).await.unwrap();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for k in 0..30 {
                    let r = client.post(format!("{base}/api/v1/proposals/{id}/comments")).bearer_auth(&token)
                        .json(&serde_json::json!({ "comment": format!("During the backup {k}") })).send().await.unwrap();
                    assert!(r.status().is_success());
                }
            })
        };
        let dir = std::env::temp_dir().join(format!("lcpf-backup-test-{}-{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        // The restored copy's database, dropped when the test ends.
        let mut _restored_db = None;
        let restored_url = match app.backend {
            Backend::Sqlite => {
                let file = dir.join("backup.db");
                let out = run(Command::new(env!("CARGO_BIN_EXE_lcpf")).args(["backup", "--to", file.to_str().unwrap()]).env("LCPF_DATABASE_URL", &app.database_url).env("LCPF_LOG", "warn"));
                assert!(out.contains("backed up to"), "{out}");
                writer.await.unwrap();
                let target = dir.join("restored.db");
                let url = format!("sqlite://{}", target.display());
                let out = run(Command::new(env!("CARGO_BIN_EXE_lcpf")).args(["restore", "--from", file.to_str().unwrap()]).env("LCPF_DATABASE_URL", &url).env("LCPF_LOG", "warn"));
                assert!(out.contains("restored"), "{out}");
                // A damaged file is refused and changes nothing.
                let junk = dir.join("junk.db");
                std::fs::write(&junk, b"not a database at all").unwrap();
                let out = Command::new(env!("CARGO_BIN_EXE_lcpf")).args(["restore", "--from", junk.to_str().unwrap()]).env("LCPF_DATABASE_URL", &url).env("LCPF_LOG", "warn").output().unwrap();
                assert!(!out.status.success());
                assert!(String::from_utf8_lossy(&out.stderr).contains("not"), "{}", String::from_utf8_lossy(&out.stderr));
                url
            }
            Backend::Postgres => {
                let file = dir.join("backup.dump");
                run(Command::new("pg_dump").args(["--format=custom", "--file", file.to_str().unwrap(), &app.database_url]));
                writer.await.unwrap();
                let (url, scratch) = fresh_database(Backend::Postgres).await.unwrap();
                _restored_db = scratch;
                run(Command::new("pg_restore").args(["--no-owner", "--exit-on-error", "--dbname", &url, file.to_str().unwrap()]));
                url
            }
        };
        let restored = App::open(&restored_url).await.expect("the restored database opens");
        let comments = comments_in(&restored).await;
        for c in &committed {
            assert!(comments.contains(c), "“{c}” was committed before the backup and is missing");
        }
        let audit = audit_ids(&restored).await;
        for id in &audit_before {
            assert!(audit.contains(id), "audit record {id} is missing");
        }
        // The restored audit log is still append-only.
        assert!(sqlx::query("DELETE FROM audit_log").execute(restored.db().pool()).await.is_err());
        restored.db().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
