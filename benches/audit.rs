//! The audit log at realistic volume: a million records (years of sign-ins and edits), then
//! each view the product offers — the newest page, each filter, an older page, the filter
//! choices — timed through the application layer on SQLite and, when reachable, PostgreSQL.
//!
//! `cargo bench --bench audit` (set `LCPF_BENCH_ROWS` for another size). Figures are in
//! docs/performance.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::time::{Duration, Instant};

use lcpf_app::{Actor, App, AuditFilter};

const PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn fill(app: &App, rows: i64) {
    let sql = match app.db().backend() {
        lcpf_app::Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO audit_log (at, actor_user_id, actor, action, entity_type, entity_id, summary) \
             SELECT printf('2020-01-01T00:00:%08d.000000Z', i), NULL, 'user' || (i % 200) || '@example.org', \
             CASE i % 5 WHEN 0 THEN 'session.sign_in' WHEN 1 THEN 'proposal.line.update' WHEN 2 THEN 'organisation.update' WHEN 3 THEN 'proposal.submit' ELSE 'session.sign_out' END, \
             CASE i % 3 WHEN 0 THEN 'user' WHEN 1 THEN 'proposal' ELSE 'organisation' END, CAST(i % 5000 AS TEXT), 'bench' FROM n"
        }
        lcpf_app::Backend::Postgres => {
            "INSERT INTO audit_log (at, actor_user_id, actor, action, entity_type, entity_id, summary) \
             SELECT '2020-01-01T00:00:' || lpad(i::text, 8, '0') || '.000000Z', NULL, 'user' || (i % 200) || '@example.org', \
             CASE i % 5 WHEN 0 THEN 'session.sign_in' WHEN 1 THEN 'proposal.line.update' WHEN 2 THEN 'organisation.update' WHEN 3 THEN 'proposal.submit' ELSE 'session.sign_out' END, \
             CASE i % 3 WHEN 0 THEN 'user' WHEN 1 THEN 'proposal' ELSE 'organisation' END, (i % 5000)::text, 'bench' FROM generate_series(1, $1) AS i"
        }
    };
    sqlx::query(sql)
        .bind(rows)
        .execute(app.db().pool())
        .await
        .expect("fill the audit log");
    sqlx::query("ANALYZE")
        .execute(app.db().pool())
        .await
        .expect("analyze");
}

async fn time(app: &App, name: &str, filter: &AuditFilter, before: Option<i64>) {
    let mut times = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let page = app
            .audit_log(&Actor::System, filter, before)
            .await
            .expect("audit page");
        times.push(t.elapsed());
        assert!(!page.records.is_empty(), "{name}: no records");
    }
    times.sort();
    println!(
        "  {name:<34} median {:>8.2} ms   max {:>8.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(label: &str, url: &str, rows: i64) {
    let app = App::open(url).await.expect("open");
    let t = Instant::now();
    fill(&app, rows).await;
    println!(
        "{label}: {rows} audit records loaded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let f = |actor: Option<&str>, action: Option<&str>, et: Option<&str>, id: Option<&str>| {
        AuditFilter {
            actor: actor.map(str::to_string),
            action: action.map(str::to_string),
            entity_type: et.map(str::to_string),
            entity_id: id.map(str::to_string),
            ..Default::default()
        }
    };
    time(&app, "newest page", &f(None, None, None, None), None).await;
    time(
        &app,
        "by person",
        &f(Some("user7@example.org"), None, None, None),
        None,
    )
    .await;
    time(
        &app,
        "by action",
        &f(None, Some("proposal.submit"), None, None),
        None,
    )
    .await;
    time(
        &app,
        "by record",
        &f(None, None, Some("proposal"), Some("4321")),
        None,
    )
    .await;
    time(
        &app,
        "by record type",
        &f(None, None, Some("organisation"), None),
        None,
    )
    .await;
    time(
        &app,
        "an older page (halfway back)",
        &f(None, None, None, None),
        Some(rows / 2),
    )
    .await;
    time(
        &app,
        "by action, an older page",
        &f(None, Some("session.sign_in"), None, None),
        Some(rows / 2),
    )
    .await;
    app.db().close().await;
}

fn main() {
    let rows: i64 = std::env::var("LCPF_BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("lcpf-bench-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        run(
            "SQLite",
            &format!("sqlite://{}", dir.join("audit.db").display()),
            rows,
        )
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        if let Ok(mut admin) = sqlx::AnyConnection::connect(PG).await {
            let name = format!("lcpf_bench_audit_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create database");
            run(
                "PostgreSQL",
                &format!("postgres://postgres@127.0.0.1:5432/{name}"),
                rows,
            )
            .await;
            sqlx::query(&format!("DROP DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("drop database");
        } else {
            println!("PostgreSQL: not reachable at {PG}; skipped");
        }
    });
}
