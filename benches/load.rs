//! A bounded load run against the real server on loopback: the demo data on a fresh SQLite
//! database and, when reachable, a fresh PostgreSQL one; 50 clients saving comments on one
//! proposal at once, then 16 clients reading the proposal page, the London overview and a
//! static asset (the reference), each for a fixed time. Reports requests, errors (any 5xx or
//! dropped connection) and latency percentiles.
//!
//! `cargo bench --bench load` (`LCPF_LOAD_SECONDS` sets each phase's length, default 10).
//! Traffic goes to 127.0.0.1 only, and every loop stops at its deadline or request cap.
//! Figures are in docs/performance.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

use std::time::{Duration, Instant};

use lcpf_app::{Actor, App};

const PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// No client sends more than this many requests in one phase, whatever the time allows.
const MAX_REQUESTS_PER_CLIENT: usize = 5_000;

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

async fn phase(
    clients: usize,
    seconds: u64,
    request: impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Clone + Send + 'static,
) -> Outcome {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let (mut latencies, mut errors) = (Vec::new(), 0);
            for k in 0..MAX_REQUESTS_PER_CLIENT {
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                match request(&client, c * MAX_REQUESTS_PER_CLIENT + k)
                    .send()
                    .await
                {
                    Ok(r) if !r.status().is_server_error() => {
                        let _ = r.bytes().await;
                    }
                    _ => errors += 1,
                }
                latencies.push(t.elapsed());
            }
            (latencies, errors)
        }));
    }
    let mut out = Outcome {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (l, e) = t.await.expect("client task");
        out.latencies.extend(l);
        out.errors += e;
    }
    out.latencies.sort();
    out.elapsed = started.elapsed();
    out
}

fn report(name: &str, o: &Outcome) {
    let pct = |p: f64| {
        o.latencies
            .get(((o.latencies.len() as f64 * p) as usize).min(o.latencies.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "  {name:<30} {:>7} requests ({:>6.0}/s)  errors {:>3}  p50 {:>7.1} ms  p99 {:>7.1} ms",
        o.latencies.len(),
        o.latencies.len() as f64 / o.elapsed.as_secs_f64(),
        o.errors,
        pct(0.50),
        pct(0.99)
    );
}

async fn run(label: &str, url: &str, seconds: u64) {
    let app = App::open(url).await.expect("open");
    app.load_demo_data().await.expect("demo data");
    let token = app
        .create_token(
            &Actor::System,
            "community.safety@barking-dagenham.example",
            "load",
        )
        .await
        .expect("token");
    let funder = app
        .create_token(&Actor::System, "grants@mopac.example", "load")
        .await
        .expect("token");
    let overview_period = {
        let funds = app.list_funds(&Actor::System).await.expect("funds");
        let fund = funds
            .iter()
            .find(|f| f.name == lcpf_app::demo::funds::FUND_NAME)
            .expect("the demo fund");
        let (_, periods) = app.fund(&Actor::System, fund.id).await.expect("fund");
        periods
            .into_iter()
            .find(|(p, _)| p.first_year == "2017/18")
            .expect("2017/18 period")
            .0
            .id
    };
    let proposal = app
        .proposals_overview(&Actor::System, overview_period)
        .await
        .expect("overview")
        .rows
        .into_iter()
        .find_map(|r| {
            (r.area_code == "E09000002")
                .then_some(r.proposal_id)
                .flatten()
        })
        .expect("Barking and Dagenham's draft");
    let server = lcpf_web::Server::bind(app.clone(), "127.0.0.1:0", false)
        .await
        .expect("bind");
    let base = format!("http://{}", server.local_addr().expect("address"));
    tokio::spawn(server.run());
    println!("{label} (each phase {seconds} s, loopback):");

    let (b, t) = (base.clone(), token.clone());
    let writes = phase(50, seconds, move |c, k| {
        c.post(format!("{b}/api/v1/proposals/{proposal}/comments"))
            .bearer_auth(&t)
            .json(&serde_json::json!({ "comment": format!("Load comment {k}") }))
    })
    .await;
    report("50 writers: comments", &writes);

    let (b, t) = (base.clone(), token.clone());
    let page = phase(16, seconds, move |c, _| {
        c.get(format!("{b}/api/v1/proposals/{proposal}"))
            .bearer_auth(&t)
    })
    .await;
    report("16 readers: a proposal", &page);

    let (b, t) = (base.clone(), funder.clone());
    let overview = phase(16, seconds, move |c, _| {
        c.get(format!("{b}/api/v1/periods/{overview_period}/proposals"))
            .bearer_auth(&t)
    })
    .await;
    report("16 readers: London overview", &overview);

    let b = base.clone();
    let asset = phase(16, seconds, move |c, _| {
        c.get(format!("{b}/assets/app.css"))
    })
    .await;
    report("16 readers: a static asset", &asset);
    app.db().close().await;
}

fn main() {
    let seconds: u64 = std::env::var("LCPF_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .clamp(1, 120);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("lcpf-bench-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        run(
            "SQLite",
            &format!("sqlite://{}", dir.join("load.db").display()),
            seconds,
        )
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        match sqlx::AnyConnection::connect(PG).await {
            Ok(mut admin) => {
                let name = format!("lcpf_bench_load_{}", std::process::id());
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create database");
                run(
                    "PostgreSQL",
                    &format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    seconds,
                )
                .await;
                // The server task still holds connections until the runtime ends.
                let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
            Err(_) => println!("PostgreSQL: not reachable at {PG}; skipped"),
        }
    });
}
