//! How many SQL statements a page makes must not grow with the rows it shows (issue 10): the
//! proposal page with its lines, the London overview with its boroughs' proposals, and the
//! period page with its boroughs' allocations. Statements are counted from sqlx's own
//! statement log (target `sqlx::query`) by a subscriber for this test binary; the two
//! backends take turns so their counts never mix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use common::*;
use lcpf_app::Actor;
use tracing_subscriber::layer::SubscriberExt;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct CountStatements;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target().starts_with("sqlx::query") {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(CountStatements);
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// The statements one GET makes (after it has answered 200): the fewest of three asks, so a
/// connection the pool opens on the way (its set-up statements), or a statement logged late
/// by SQLite's worker thread, is not counted as the page's.
async fn statements(client: &reqwest::Client, url: &str) -> usize {
    let mut fewest = usize::MAX;
    for _ in 0..3 {
        let before = STATEMENTS.load(Ordering::SeqCst);
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        r.bytes().await.unwrap();
        fewest = fewest.min(STATEMENTS.load(Ordering::SeqCst) - before);
    }
    fewest
}

const BD_ONS: &str = "E09000002";

// Not `backend_tests!`: each backend's server is started only once it is that backend's
// turn, so the other's set-up (migrations, demo data) is never counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_pages_make_the_same_statements_whatever_their_rows() {
    install();
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite always runs");
    a_pages_statements_do_not_grow_with_its_rows(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pages_make_the_same_statements_whatever_their_rows() {
    install();
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    a_pages_statements_do_not_grow_with_its_rows(app).await;
}

async fn a_pages_statements_do_not_grow_with_its_rows(app: TestApp) {
    {
        let (funder, _) = app.signed_in(FUNDER_OFFICER).await;
        let (bd, _) = app.signed_in(BD_OFFICER).await;
        let id = app.proposal_id("2017/18", BD_ONS).await.unwrap();
        let period = app.period_id("2017/18").await;
        let system = Actor::System;

        // The proposal page: 18 lines, then 36.
        let page = app.url(&format!("/proposals/{id}"));
        let with_18 = statements(&bd, &page).await;
        let view = app.app.proposal(&system, id, None).await.unwrap();
        let bd_actor = app.actor(BD_OFFICER).await;
        for (i, line) in view.lines.iter().map(|s| &s.line).enumerate() {
            let mut input = lcpf_app::proposals::LineInput::from_line(line);
            input.key.clear();
            input.number = format!("9.{}", i + 1);
            input.title = format!("{} (copy)", input.title);
            app.app
                .save_line(&bd_actor, id, None, &input, None)
                .await
                .unwrap();
        }
        let with_36 = statements(&bd, &page).await;
        assert_eq!(
            with_36, with_18,
            "the proposal page's statements grew with its lines"
        );

        // The London overview: one borough's proposal submitted, then four.
        let overview = app.url(&format!("/periods/{period}/proposals"));
        app.app
            .proposal_step(
                &bd_actor,
                id,
                lcpf_domain::proposal::ProposalEvent::Submit,
                &Default::default(),
                None,
            )
            .await
            .ok();
        let with_one = statements(&funder, &overview).await;
        for name in ["Barnet", "Camden", "Sutton"] {
            let org = app.organisation_id(name).await;
            let p = app
                .app
                .start_proposal(&system, Some(period), org)
                .await
                .unwrap();
            let line = lcpf_app::proposals::LineInput {
                number: "1.1".into(),
                title: format!("{name}'s line"),
                priority: "Neighbourhood Policing".into(),
                ..Default::default()
            };
            app.app
                .save_line(&system, p.id, None, &line, None)
                .await
                .unwrap();
        }
        let with_four = statements(&funder, &overview).await;
        assert_eq!(
            with_four, with_one,
            "the overview's statements grew with its boroughs"
        );

        // The period page: one borough decided for 2017/18, then four (amendments add them).
        let period_page = app.url(&format!("/periods/{period}"));
        let with_one = statements(&funder, &period_page).await;
        for (code, amount) in [
            ("E09000003", "£400,000"),
            ("E09000007", "£500,000"),
            ("E09000029", "£300,000"),
        ] {
            let input = lcpf_app::funds::AmendmentInput {
                year: "2017/18".into(),
                area: code.into(),
                amount: amount.into(),
                reason: "Test".into(),
            };
            app.app
                .amend_allocation(&system, period, &input)
                .await
                .unwrap();
        }
        let with_four = statements(&funder, &period_page).await;
        assert_eq!(
            with_four, with_one,
            "the period page's statements grew with its allocations"
        );
        // A call's page, its ranking and the coverage: two bids to Tranche 2, then five, the
        // new ones submitted and one more service awarded.
        let t2 = app.call_id("Tranche 2").await;
        let call_page = app.url(&format!("/calls/{t2}"));
        let ranking = app.url(&format!("/calls/{t2}/ranking"));
        let coverage = app.url("/co-commissioning/coverage");
        let before = (
            statements(&funder, &call_page).await,
            statements(&funder, &ranking).await,
            statements(&funder, &coverage).await,
        );
        let advance = app.actor(PROVIDER).await;
        let mut last = 0;
        for i in 0..3 {
            let id = app
                .app
                .start_bid(&advance, t2, &format!("Service {i}"))
                .await
                .unwrap();
            let mut input = lcpf_app::co_commissioning::BidInput {
                title: format!("Service {i}"),
                boroughs: vec!["E09000005".into(), "E09000007".into(), "E09000009".into()],
                outcomes: vec![lcpf_app::co_commissioning::OutcomeInput {
                    key: None,
                    outcome: "O".into(),
                    measure: "M".into(),
                    baseline: String::new(),
                    target: "T".into(),
                }],
                ..Default::default()
            };
            input.amounts.insert("2019/20".into(), "£10,000".into());
            for (k, v) in [
                ("need", "N"),
                ("theme", "Youth offending"),
                ("partnership", "P"),
                ("delivery", "D"),
                ("people", "5"),
                ("safeguarding", "yes"),
                ("value", "V"),
            ] {
                input.answers.insert(k.into(), v.into());
            }
            assert_eq!(
                app.app.save_bid(&advance, id, &input).await.unwrap(),
                vec![]
            );
            app.app
                .bid_step(
                    &advance,
                    id,
                    lcpf_domain::co_commissioning::workflow::BidEvent::Submit,
                )
                .await
                .unwrap();
            last = id;
        }
        let award = lcpf_app::co_commissioning::AwardInput {
            decision_reference: "PCD 1".into(),
            decided_on: "2019-06-01".into(),
            amounts: [("2019/20".to_string(), "£10,000".to_string())]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        app.app
            .award_bid(&system, last, &award, None)
            .await
            .unwrap();
        let after = (
            statements(&funder, &call_page).await,
            statements(&funder, &ranking).await,
            statements(&funder, &coverage).await,
        );
        assert_eq!(
            after, before,
            "the call page, ranking or coverage grew with the bids (call page, ranking, coverage)"
        );
        // A grant's page, the claims queue, payments and the spend report: Advance's four
        // demo claims, then seven, each accepted with its payment waiting.
        let grants = app.app.grants_page(&system, 1).await.unwrap().rows;
        let grant = grants
            .iter()
            .find(|g| g.recipient == "Advance Charity")
            .unwrap()
            .id;
        let grant_pages = [
            app.url(&format!("/grants/{grant}")),
            app.url("/claims?state=accepted"),
            app.url("/payments?state=requested"),
            app.url("/grants/spend"),
            app.url("/grants"),
        ];
        let mut money_before = Vec::new();
        for page in &grant_pages {
            money_before.push(statements(&funder, page).await);
        }
        let view = app.app.grant(&system, grant).await.unwrap();
        let key = view.projects[0].key;
        let second_year = &view.year_totals[1].year;
        let officer = app.actor(FUNDER_OFFICER).await;
        for n in 1..=3 {
            let input = lcpf_app::grants::claims::ClaimInput {
                quarter: format!("Q{n} {second_year}"),
                spend: [(
                    key,
                    lcpf_app::grants::AmountsInput {
                        revenue: "1000".into(),
                        capital: String::new(),
                    },
                )]
                .into(),
                narrative: "Delivered".into(),
                forecast: String::new(),
                match_funding: String::new(),
            };
            let claim = app.app.start_claim(&advance, grant, &input).await.unwrap();
            let step = |e: &str| lcpf_app::grants::claims::ClaimStep {
                event: e.into(),
                comments: String::new(),
            };
            app.app
                .claim_step(&advance, claim, &step("submit"))
                .await
                .unwrap();
            app.app
                .claim_step(&officer, claim, &step("accept"))
                .await
                .unwrap();
        }
        let mut money_after = Vec::new();
        for page in &grant_pages {
            money_after.push(statements(&funder, page).await);
        }
        assert_eq!(
            money_after, money_before,
            "a grant's page, the claims queue, payments, the spend report or the grants list grew with the claims"
        );
        println!("statements: proposal page {with_18}, overview {with_one}, period page {with_four}, call page, ranking and coverage {after:?}, grant, claims, payments, spend, grants {money_after:?} ({:?})", app.backend);
    }
}
