//! Claims and payments on both databases: the demo's year of Advance's claims; a borough's
//! claim on its live grant submitted, returned, resubmitted and accepted; its payment refused
//! to the officer who accepted it and to one above their spend authority, authorised once
//! under an idempotency key, and exported exactly once; evidence files' limits. Every refusal
//! changes nothing and writes no audit row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use common::{api_get as get, problem_messages as messages};
use lcpf_app::Actor;
use serde_json::{json, Value};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    common::api_send(app, token, "POST", path, body).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    common::api_send(app, token, "PUT", path, body).await
}

fn spend(key: i64, revenue: &str) -> Value {
    json!({ key.to_string(): {"revenue": revenue} })
}

backend_tests! {
    async fn the_demo_has_a_year_of_advances_claims_and_payments(app: TestApp) {
        let officer = app.token(FUNDER_OFFICER).await;
        let (_, grants) = get(&app, &officer, "/api/v1/grants").await;
        let advance = grants["rows"].as_array().unwrap().iter().find(|g| g["recipient"] == "Advance Charity").unwrap();
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{}", advance["id"])).await;
        let states: Vec<&str> = grant["claims"].as_array().unwrap().iter().map(|c| c["state"]["code"].as_str().unwrap()).collect();
        assert_eq!(states, ["accepted", "accepted", "accepted", "returned"]);
        let payments: Vec<&str> = grant["payments"].as_array().unwrap().iter().map(|p| p["state"]["code"].as_str().unwrap()).collect();
        assert_eq!(payments, ["exported", "authorised", "requested"]);
        // Claimed is the accepted claims; paid is what is authorised or exported.
        let claimed: i64 = grant["claims"].as_array().unwrap().iter().filter(|c| c["state"]["code"] == "accepted").map(|c| c["total"].as_i64().unwrap()).sum();
        assert_eq!(grant["spend"]["claimed"], claimed);
        let paid: i64 = grant["payments"].as_array().unwrap().iter().filter(|p| p["state"]["code"] != "requested").map(|p| p["amount"].as_i64().unwrap()).sum();
        assert_eq!(grant["spend"]["paid"], paid);
        // The payment waiting for a second authoriser: the officer who accepted it may not.
        let waiting = grant["payments"].as_array().unwrap().iter().find(|p| p["state"]["code"] == "requested").unwrap();
        let (_, view) = get(&app, &officer, &format!("/api/v1/payments/{}", waiting["id"])).await;
        assert_eq!(view["may_authorise"], false);
        assert!(view["refusal"].as_str().unwrap().contains("You accepted this claim"), "{view}");
        let finance = app.token(FINANCE_OFFICER).await;
        let (_, view) = get(&app, &finance, &format!("/api/v1/payments/{}", waiting["id"])).await;
        assert_eq!(view["may_authorise"], true, "{view}");
        // The returned claim says what to put right; the provider sees its own claims only.
        let returned = grant["claims"].as_array().unwrap().iter().find(|c| c["state"]["code"] == "returned").unwrap();
        let provider = app.token(PROVIDER).await;
        let (status, claim) = get(&app, &provider, &format!("/api/v1/claims/{}", returned["id"])).await;
        assert_eq!(status, 200);
        assert!(claim["comments"].as_str().unwrap().contains("payroll summary"));
        assert_eq!(claim["may_edit"], true);
        assert_eq!(get(&app, &app.token(BD_OFFICER).await, &format!("/api/v1/claims/{}", returned["id"])).await.0, 403);
        assert_eq!(get(&app, &provider, "/api/v1/claims").await.0, 403, "the claims queue is the funder's");
    }

    async fn a_boroughs_claim_is_returned_then_accepted_and_paid_once(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.token(BD_OFFICER).await;
        let barnet = app.token(BARNET_OFFICER).await;
        let officer = app.token(FUNDER_OFFICER).await;
        let admin = app.token(ADMIN).await;
        let finance = app.token(FINANCE_OFFICER).await;
        let claims = format!("/api/v1/grants/{grant}/claims");

        // Refusals first: none of them changes anything.
        let before = app.audit_count().await;
        let good = json!({"quarter": "Q1 2017/18", "spend": spend(key, "30,000.00"), "narrative": "Delivered", "forecast": "100000"});
        assert_eq!(post(&app, &barnet, &claims, good.clone()).await.0, 403, "another borough");
        assert_eq!(post(&app, &officer, &claims, good.clone()).await.0, 403, "the funder does not claim");
        let (status, problem) = post(&app, &bd, &claims, json!({"quarter": "Q1 2030/31", "spend": spend(key, "1")})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("outside the grant"), "{problem}");
        let (status, problem) = post(&app, &bd, &claims, json!({"quarter": "Q1 2017/18", "spend": spend(key, "lots"), "forecast": "-5"})).await;
        assert_eq!(status, 422);
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&format!("spend-{key}-revenue").as_str()) && fields.contains(&"forecast"), "every problem at once: {problem}");
        let (status, problem) = post(&app, &bd, &claims, json!({"quarter": "Q1 2017/18", "spend": spend(999_999, "1")})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("not one of this grant's projects"), "{problem}");
        assert_eq!(app.audit_count().await, before, "a refused claim changes nothing");

        // A draft with no narrative cannot be submitted.
        let (status, made) = post(&app, &bd, &claims, json!({"quarter": "Q1 2017/18", "spend": spend(key, "30,000.00"), "forecast": "100000"})).await;
        assert_eq!(status, 201, "{made}");
        let claim = made["id"].as_i64().unwrap();
        let path = format!("/api/v1/claims/{claim}");
        let (status, again) = post(&app, &bd, &claims, good.clone()).await;
        assert_eq!(status, 422);
        assert!(messages(&again).contains("already been claimed"), "{again}");
        let (status, problem) = post(&app, &bd, &format!("{path}/submit"), json!({})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("Say what was done"), "{problem}");
        let (status, saved) = put(&app, &bd, &path, json!({"spend": spend(key, "30,000.00"), "narrative": "Two youth workers ran the detached outreach programme.", "forecast": "100000"})).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["total"], 3_000_000);
        assert_eq!(post(&app, &officer, &format!("{path}/accept"), json!({})).await.0, 403, "a draft is not reviewed");
        assert_eq!(post(&app, &bd, &format!("{path}/submit"), json!({})).await.0, 200);
        assert_eq!(put(&app, &bd, &path, json!({"narrative": "late change"})).await.0, 403, "a submitted claim is with the funder");
        assert_eq!(post(&app, &bd, &format!("{path}/accept"), json!({})).await.0, 403, "the borough does not accept its own claim");

        // Returned with comments, changed and submitted again, then accepted by the admin.
        let before = app.audit_count().await;
        let (status, problem) = post(&app, &officer, &format!("{path}/return"), json!({"comments": " "})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("Enter comments"), "{problem}");
        assert_eq!(app.audit_count().await, before);
        let (status, moved) = post(&app, &officer, &format!("{path}/return"), json!({"comments": "Attach the timesheets"})).await;
        assert_eq!((status, moved["state"].as_str()), (200, Some("returned")));
        assert_eq!(put(&app, &bd, &path, json!({"spend": spend(key, "30,000.00"), "narrative": "Two youth workers ran the programme; timesheets attached.", "forecast": "90000"})).await.0, 200);
        assert_eq!(post(&app, &bd, &format!("{path}/submit"), json!({})).await.0, 200);
        let (status, moved) = post(&app, &admin, &format!("{path}/accept"), json!({})).await;
        assert_eq!((status, moved["state"].as_str()), (200, Some("accepted")), "{moved}");
        let (_, view) = get(&app, &bd, &path).await;
        let payment = view["payment"]["id"].as_i64().unwrap();
        assert_eq!(view["payment"]["amount"], 3_000_000);
        assert_eq!(view["payment"]["state"]["code"], "requested");

        // Segregation of duties and spend authority.
        let pay = format!("/api/v1/payments/{payment}/authorise");
        let before = app.audit_count().await;
        let (status, problem) = post(&app, &admin, &pay, json!({"idempotency_key": "a-1"})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("You accepted this claim"), "{problem}");
        let (status, problem) = post(&app, &officer, &pay, json!({"idempotency_key": "a-2"})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("above your spend authority of £25,000"), "{problem}");
        assert_eq!(post(&app, &bd, &pay, json!({"idempotency_key": "a-3"})).await.0, 403);
        let (status, problem) = post(&app, &finance, &pay, json!({})).await;
        assert_eq!(status, 422, "no idempotency key");
        assert!(problem["errors"][0]["field"] == "idempotency_key", "{problem}");
        assert_eq!(app.audit_count().await, before, "refused authorisations change nothing");

        // Authorised once: the same key again returns the same payment and pays once.
        let r = app.client().post(app.url(&pay)).bearer_auth(&finance).header("idempotency-key", "pay-q1-bd").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let first: Value = r.json().await.unwrap();
        assert_eq!(first["state"]["code"], "authorised");
        let reference = first["reference"].as_str().unwrap().to_string();
        assert!(reference.starts_with("LCPF-PAY-"));
        let after_once = app.audit_count().await;
        let r = app.client().post(app.url(&pay)).bearer_auth(&finance).header("idempotency-key", "pay-q1-bd").send().await.unwrap();
        assert_eq!(r.status(), 200, "a retry with the same key");
        let second: Value = r.json().await.unwrap();
        assert_eq!(second, first);
        assert_eq!(app.audit_count().await, after_once, "a retry writes nothing");
        let (status, problem) = post(&app, &finance, &pay, json!({"idempotency_key": "another"})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("already authorised"), "{problem}");
        let (_, grant_view) = get(&app, &bd, &format!("/api/v1/grants/{grant}")).await;
        assert_eq!(grant_view["spend"]["paid"], 3_000_000, "paid once");
        assert_eq!(grant_view["spend"]["claimed"], 3_000_000);
        // The spend report: the borough sees its own grant and totals; the funder London's.
        let (_, report) = get(&app, &bd, "/api/v1/grants/spend").await;
        assert_eq!(report["scope"], "Barking and Dagenham");
        assert_eq!(report["rows"].as_array().unwrap().len(), 1);
        assert_eq!(report["rows"][0]["paid"], 3_000_000);
        assert_eq!(report["totals"]["claimed"], 3_000_000);
        assert_eq!(report["totals"]["forecast_underspend"].as_i64().unwrap(), grant_view["spend"]["forecast_underspend"].as_i64().unwrap());
        let (_, london) = get(&app, &officer, "/api/v1/grants/spend").await;
        assert_eq!(london["scope"], "London");
        let rows = london["rows"].as_array().unwrap();
        let sum = |field: &str| rows.iter().map(|r| r[field].as_i64().unwrap()).sum::<i64>();
        for field in ["profile", "claimed", "paid", "ceiling"] {
            assert_eq!(london["totals"][field].as_i64().unwrap(), sum(field), "London's {field} is the sum of its grants'");
        }
        // By year and quarter: the borough's own is its grant's; London's adds up to its totals.
        assert_eq!(report["by_year"], grant_view["spend"]["years"], "one grant: the report's years are the grant's");
        let years = london["by_year"].as_array().unwrap();
        for (field, total) in [("profile", "profile"), ("claimed", "claimed"), ("paid", "paid")] {
            let by_year: i64 = years.iter().map(|y| y[field].as_i64().unwrap()).sum();
            assert_eq!(by_year, london["totals"][total].as_i64().unwrap(), "London's {field} by year adds up to its total");
        }
        let q1: &Value = years.iter().find(|y| y["year"] == "2017/18").unwrap();
        let quarters: i64 = q1["quarters"].as_array().unwrap().iter().map(|q| q["paid"].as_i64().unwrap()).sum();
        assert_eq!(quarters, q1["paid"].as_i64().unwrap());

        // Finance books it to the grant's own cost centre.
        let before = app.audit_count().await;
        let bd_actor = app.actor(BD_OFFICER).await;
        assert!(matches!(app.app.set_cost_centre(&bd_actor, grant, "X").await, Err(lcpf_app::AppError::Forbidden(_))));
        let finance_actor = app.actor(FINANCE_OFFICER).await;
        assert!(matches!(app.app.set_cost_centre(&finance_actor, grant, "Bad; DROP").await, Err(lcpf_app::AppError::Invalid(_))));
        assert_eq!(app.audit_count().await, before);
        app.app.set_cost_centre(&finance_actor, grant, "LCPF/BD-01").await.unwrap();
        // Exported exactly once, with the finance system's columns.
        let r = app.client().post(app.url("/api/v1/payments/export")).bearer_auth(&finance).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "Payee,Org-id,Grant reference,Cost centre,Amount,Date,Payment reference");
        let ours = lines.iter().find(|l| l.contains(&reference)).expect("our payment is in the export");
        assert!(ours.starts_with("Barking and Dagenham,") && ours.contains(",LCPF/BD-01,30000.00,"), "{ours}");
        let (status, problem) = post(&app, &finance, "/api/v1/payments/export", json!({})).await;
        assert_eq!(status, 422, "nothing is exported twice");
        assert!(messages(&problem).contains("no authorised payments waiting"), "{problem}");
        let (_, p) = get(&app, &finance, &format!("/api/v1/payments/{payment}")).await;
        assert_eq!(p["payment"]["state"]["code"], "exported");
    }

    async fn a_claim_past_the_firm_profile_is_paid_only_up_to_it(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let officer = app.actor(FUNDER_OFFICER).await;
        let view = app.app.grant(&Actor::System, grant).await.unwrap();
        let year = view.year_totals.iter().find(|y| y.firm.pence() > 0).unwrap();
        let firm = year.firm;
        let over = lcpf_domain::Money::from_pence(firm.pence() + 12_345);
        let input = lcpf_app::grants::claims::ClaimInput {
            quarter: format!("Q1 {}", year.year),
            spend: [(key, lcpf_app::grants::AmountsInput { revenue: over.to_decimal_string(), capital: String::new() })].into(),
            narrative: "Everything at once".into(),
            forecast: String::new(),
            match_funding: String::new(),
        };
        let claim = app.app.start_claim(&bd, grant, &input).await.unwrap();
        let step = |e: &str| lcpf_app::grants::claims::ClaimStep { event: e.into(), comments: String::new() };
        app.app.claim_step(&bd, claim, &step("submit")).await.unwrap();
        let shown = app.app.claim(&officer, claim).await.unwrap();
        assert!(shown.warnings.iter().any(|w| w.contains("more than its firm profile")), "{:?}", shown.warnings);
        app.app.claim_step(&officer, claim, &step("accept")).await.unwrap();
        let shown = app.app.claim(&officer, claim).await.unwrap();
        let payment = shown.payment.unwrap();
        assert_eq!(payment.amount, firm, "paid up to the firm profile, never past it");
        let note = shown.not_payable.unwrap();
        assert!(note.contains(&over.to_string()) && note.contains(&firm.to_string()), "both figures: {note}");
    }

    async fn evidence_files_are_checked_by_name_content_and_size(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let input = lcpf_app::grants::claims::ClaimInput {
            quarter: "Q2 2017/18".into(),
            spend: [(key, lcpf_app::grants::AmountsInput { revenue: "100".into(), capital: String::new() })].into(),
            narrative: "Outreach".into(),
            forecast: String::new(),
            match_funding: String::new(),
        };
        let claim = app.app.start_claim(&bd, grant, &input).await.unwrap();
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let url = app.url(&format!("/claims/{claim}/evidence"));
        let send = |name: &'static str, bytes: Vec<u8>| {
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", csrf.clone())
                .part("evidence", reqwest::multipart::Part::bytes(bytes).file_name(name));
            client.post(url.clone()).multipart(form).send()
        };
        let before = app.audit_count().await;
        let r = send("invoice.pdf", b"not really a pdf".to_vec()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("is named as a PDF file but its content is not one"));
        let r = send("tool.exe", b"MZ".to_vec()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("choose a PDF, Word (.docx), Excel (.xlsx), CSV, PNG or JPEG file"));
        let r = send("empty.csv", Vec::new()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(app.audit_count().await, before, "refused files change nothing");
        let timesheet = b"week,hours\n1,37.5\n".to_vec();
        let r = send("timesheets.csv", timesheet.clone()).await.unwrap();
        assert_eq!(r.status(), 303);
        let view = app.app.claim(&bd, claim).await.unwrap();
        assert_eq!(view.evidence.len(), 1);
        assert_eq!(view.evidence[0].name, "timesheets.csv");
        let got = client.get(app.url(&format!("/claims/{claim}/evidence/{}", view.evidence[0].key))).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().to_vec(), timesheet);
        // Another borough cannot read it.
        let (barnet, _) = app.signed_in(BARNET_OFFICER).await;
        let r = barnet.get(app.url(&format!("/claims/{claim}/evidence/{}", view.evidence[0].key))).send().await.unwrap();
        assert_eq!(r.status(), 403);
        // Over the API: the file is the body, its name in the query.
        let token = app.token(BD_OFFICER).await;
        let api = |name: &str, bytes: &'static [u8]| {
            app.client()
                .post(app.url(&format!("/api/v1/claims/{claim}/evidence?name={name}")))
                .bearer_auth(&token)
                .header("content-type", "application/pdf")
                .body(bytes)
                .send()
        };
        let r = api("report.pdf", b"not a pdf at all").await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: serde_json::Value = r.json().await.unwrap();
        assert!(messages(&problem).contains("its content is not one"), "{problem}");
        let r = api("report.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n").await.unwrap();
        assert_eq!(r.status(), 200);
        let view: serde_json::Value = r.json().await.unwrap();
        assert_eq!(view["evidence"].as_array().unwrap().len(), 2);
        let (barnet_token, barnet_claim) = (app.token(BARNET_OFFICER).await, claim);
        let r = app.client().post(app.url(&format!("/api/v1/claims/{barnet_claim}/evidence?name=x.pdf"))).bearer_auth(&barnet_token).body("%PDF-1.4").send().await.unwrap();
        assert_eq!(r.status(), 403, "another borough's claim");
        // The claim page shows the claim and its evidence.
        let page = client.get(app.url(&format!("/claims/{claim}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Claim for Q2 2017/18") && page.contains("timesheets.csv"));
        // Too big: refused before it is stored (last, as the server may close the connection).
        let (fresh, fresh_csrf) = app.signed_in(BD_OFFICER).await;
        let before = app.audit_count().await;
        let big_send = || {
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", fresh_csrf.clone())
                .part("evidence", reqwest::multipart::Part::bytes(vec![b'a'; 11 * 1024 * 1024]).file_name("big.csv"));
            fresh.post(url.clone()).multipart(form).send()
        };
        // The server may answer 413 before it has read the whole body and close the
        // connection (allowed by HTTP/1.1), so a send that fails that way is tried again, a few
        // times at most.
        let mut attempt = 0;
        let r = loop {
            attempt += 1;
            match big_send().await {
                Ok(r) => break r,
                Err(e) if attempt < 5 && e.is_request() => continue,
                Err(e) => panic!("no answer to an oversized upload: {e}"),
            }
        };
        assert_eq!(r.status(), 413);
        assert_eq!(app.audit_count().await, before);
    }

    async fn a_funder_admin_sets_spend_authority(app: TestApp) {
        let admin = app.actor(ADMIN).await;
        let officer = app.actor(FUNDER_OFFICER).await;
        let officer_id = app.user_id(FUNDER_OFFICER).await;
        let set = |limit: &str| lcpf_app::grants::payments::SpendAuthorityInput { limit: limit.into() };
        // F-04: a funder admin set their own authority to £90bn; nobody changes their own.
        let admin_id = app.user_id(ADMIN).await;
        match app.app.set_spend_authority(&admin, admin_id, &set("90,000,000,000")).await {
            Err(lcpf_app::AppError::Forbidden(m)) => assert!(m.contains("Nobody changes their own spend authority"), "{m}"),
            other => panic!("an admin changed their own spend authority: {other:?}"),
        }
        assert!(matches!(app.app.set_spend_authority(&officer, officer_id, &set("1000000")).await, Err(lcpf_app::AppError::Forbidden(_))), "nobody raises their own limit");
        let before = app.audit_count().await;
        assert!(matches!(app.app.set_spend_authority(&admin, officer_id, &set("-5")).await, Err(lcpf_app::AppError::Invalid(_))));
        let bd_id = app.user_id(BD_OFFICER).await;
        assert!(matches!(app.app.set_spend_authority(&admin, bd_id, &set("5")).await, Err(lcpf_app::AppError::NotFound(_))), "only funder staff have spend authority");
        assert_eq!(app.audit_count().await, before);
        app.app.set_spend_authority(&admin, officer_id, &set("40,000")).await.unwrap();
        let rows = app.app.spend_authorities(&admin).await.unwrap();
        let row = rows.iter().find(|r| r.user_id == officer_id).unwrap();
        assert_eq!(row.limit, Some(lcpf_domain::Money::from_pence(4_000_000)));
        app.app.set_spend_authority(&admin, officer_id, &set("")).await.unwrap();
        let rows = app.app.spend_authorities(&admin).await.unwrap();
        assert_eq!(rows.iter().find(|r| r.user_id == officer_id).unwrap().limit, None);
        assert_eq!(app.audit_count().await, before + 2);
    }

    async fn close_out_returns_unspent_money_and_refuses_later_claims(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let admin = app.actor(ADMIN).await;
        let finance = app.actor(FINANCE_OFFICER).await;
        let claim_for = |quarter: &str| lcpf_app::grants::claims::ClaimInput {
            quarter: quarter.into(),
            spend: [(key, lcpf_app::grants::AmountsInput { revenue: "30000".into(), capital: String::new() })].into(),
            narrative: "Outreach".into(),
            forecast: String::new(),
            match_funding: String::new(),
        };
        let step = |e: &str| lcpf_app::grants::claims::ClaimStep { event: e.into(), comments: String::new() };
        let claim = app.app.start_claim(&bd, grant, &claim_for("Q1 2017/18")).await.unwrap();
        app.app.claim_step(&bd, claim, &step("submit")).await.unwrap();
        let period = app.period_id("2017/18").await;
        // A submitted claim waits: the period cannot close yet.
        let view = app.app.period_closeout(&admin, period).await.unwrap();
        assert!(!view.may_close);
        assert!(view.not_yet.unwrap().contains("1 submitted claim"), "says what waits");
        app.app.claim_step(&admin, claim, &step("accept")).await.unwrap();
        let payment = app.app.claim(&admin, claim).await.unwrap().payment.unwrap();
        app.app.authorise_payment(&finance, payment.id, &lcpf_app::grants::payments::AuthoriseInput { idempotency_key: "close-1".into() }).await.unwrap();
        let profile = app.app.grant(&admin, grant).await.unwrap().total;

        // Only a funder admin closes; the refusal changes nothing.
        let officer = app.actor(FUNDER_OFFICER).await;
        let before = app.audit_count().await;
        assert!(matches!(app.app.close_period(&officer, period).await, Err(lcpf_app::AppError::Forbidden(_))));
        assert_eq!(app.audit_count().await, before);
        let admin_token = app.token(ADMIN).await;
        let (status, totals) = post(&app, &admin_token, &format!("/api/v1/periods/{period}/close-out"), json!({})).await;
        assert_eq!(status, 200, "{totals}");
        assert_eq!(totals["paid"], 3_000_000);
        assert_eq!(totals["returned"].as_i64().unwrap(), profile.pence() - 3_000_000, "profile less paid, to the penny");
        assert_eq!(totals["profile"], profile.pence());

        // The grant is closed with its money returned; no more claims; closing again is refused.
        let closed = app.app.grant(&bd, grant).await.unwrap();
        assert_eq!(closed.state.code, "closed");
        assert_eq!(closed.closeout.unwrap().returned.pence(), profile.pence() - 3_000_000);
        let before = app.audit_count().await;
        match app.app.start_claim(&bd, grant, &claim_for("Q2 2017/18")).await {
            Err(lcpf_app::AppError::Forbidden(m)) => assert!(m.contains("closed with its period"), "{m}"),
            other => panic!("a claim against a closed period: {other:?}"),
        }
        assert!(matches!(app.app.close_period(&admin, period).await, Err(lcpf_app::AppError::Forbidden(_))));
        assert_eq!(app.audit_count().await, before, "refusals after close-out change nothing");
        let (status, view) = get(&app, &app.token(VIEWER).await, &format!("/api/v1/periods/{period}/close-out")).await;
        assert_eq!(status, 200);
        assert_eq!(view["closed"], true);
        assert_eq!(view["grants"][0]["grant_id"], grant);
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let page = client.get(app.url(&format!("/periods/{period}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Returned to the fund"), "the period page shows the close-out");
    }

    async fn a_period_with_payments_waiting_cannot_close(app: TestApp) {
        let admin = app.actor(ADMIN).await;
        let period = app.period_id("2019/20").await;
        let before = app.audit_count().await;
        match app.app.close_period(&admin, period).await {
            // Advance's Q3 claim and St Giles Trust's Q2 advance (the demo's 2019/20 grants).
            Err(lcpf_app::AppError::Forbidden(m)) => assert!(m.contains("2 payments to authorise"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(app.audit_count().await, before);
    }

    async fn a_leads_onward_funding_to_its_partners_stays_within_the_grant(app: TestApp) {
        let officer = app.token(FUNDER_OFFICER).await;
        let bd = app.token(BD_OFFICER).await;
        let (_, grants) = get(&app, &officer, "/api/v1/grants").await;
        let lambeth = grants["rows"].as_array().unwrap().iter().find(|g| g["recipient"] == "Lambeth").unwrap()["id"].as_i64().unwrap();
        let path = format!("/api/v1/grants/{lambeth}");
        let (_, grant) = get(&app, &officer, &path).await;
        // The demo's illustrative split: five partners, each year, never more than the year.
        let onward = grant["onward"].as_array().unwrap();
        let years = grant["year_totals"].as_array().unwrap();
        assert_eq!(onward.len(), 5 * years.len());
        assert!(onward.iter().all(|o| o["note"].as_str().unwrap().starts_with("ILLUSTRATIVE")));
        for y in years {
            let passed: i64 = onward.iter().filter(|o| o["year"] == y["year"]).map(|o| o["amount"].as_i64().unwrap()).sum();
            assert!(passed <= y["firm"].as_i64().unwrap() + y["provisional"].as_i64().unwrap());
        }
        let year = years[0]["year"].as_str().unwrap().to_string();
        let partner = grant["partners"][0][0].as_i64().unwrap();
        let before = app.audit_count().await;
        let onward_path = format!("{path}/onward-funding");
        assert_eq!(post(&app, &bd, &onward_path, json!({"organisation_id": partner, "year": year, "amount": "1"})).await.0, 403, "not Barking and Dagenham's grant");
        let barnet = app.organisation_id("Barnet").await;
        let (status, problem) = post(&app, &officer, &onward_path, json!({"organisation_id": barnet, "year": year, "amount": "1"})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("Choose one of the bid's partners"), "{problem}");
        let (status, problem) = post(&app, &officer, &onward_path, json!({"organisation_id": partner, "year": year, "amount": "£99,000,000"})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("more than the grant's"), "{problem}");
        assert_eq!(app.audit_count().await, before, "refusals change nothing");
        // Removing a partner's year, then recording it again.
        assert_eq!(post(&app, &officer, &onward_path, json!({"organisation_id": partner, "year": year, "amount": ""})).await.0, 204);
        let (_, after) = get(&app, &officer, &path).await;
        assert_eq!(after["onward"].as_array().unwrap().len(), onward.len() - 1);
        assert_eq!(post(&app, &officer, &onward_path, json!({"organisation_id": partner, "year": year, "amount": "£1,000"})).await.0, 204);
        let (_, after) = get(&app, &officer, &path).await;
        assert!(after["onward"].as_array().unwrap().iter().any(|o| o["organisation_id"] == partner && o["year"] == year.as_str() && o["amount"] == 100_000));
    }

    async fn match_funding_reported_on_claims_is_set_against_what_was_promised(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let admin = app.actor(ADMIN).await;
        let input = lcpf_app::grants::claims::ClaimInput {
            quarter: "Q1 2017/18".into(),
            spend: [(key, lcpf_app::grants::AmountsInput { revenue: "10000".into(), capital: String::new() })].into(),
            narrative: "Outreach".into(),
            forecast: String::new(),
            match_funding: "-1".into(),
        };
        assert!(matches!(app.app.start_claim(&bd, grant, &input).await, Err(lcpf_app::AppError::Invalid(_))), "negative match funding is refused");
        let input = lcpf_app::grants::claims::ClaimInput { match_funding: "£5,000".into(), ..input };
        let claim = app.app.start_claim(&bd, grant, &input).await.unwrap();
        let step = |e: &str| lcpf_app::grants::claims::ClaimStep { event: e.into(), comments: String::new() };
        app.app.claim_step(&bd, claim, &step("submit")).await.unwrap();
        let before = app.app.grant(&bd, grant).await.unwrap().match_funding;
        assert_eq!(before.reported.pence(), 0, "only accepted claims count");
        app.app.claim_step(&admin, claim, &step("accept")).await.unwrap();
        let after = app.app.grant(&bd, grant).await.unwrap().match_funding;
        assert_eq!(after.reported.pence(), 500_000);
        if after.promised != after.reported {
            let words = after.difference.unwrap();
            assert!(words.contains(&after.promised.to_string()) && words.contains("£5,000"), "both figures: {words}");
        }
    }
}
