//! Money stays right at the edges (issue 20): close-out, imports, races, files. Each test
//! reproduces a finding of the 8 December 2026 probe (`shared/findings/`) on both databases and
//! shows the rule that now holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::grants::claims::{ClaimInput, ClaimStep};
use lcpf_app::grants::AmountsInput;
use serde_json::{json, Value};

const HEADER: &str = "Grant reference,Recipient,First year,Last year,Project,Year,Revenue,Capital,Certainty,Stated total,Note\n";

/// Posts a grants spreadsheet (CSV text) to the import API: the status and the answer.
async fn import(app: &TestApp, token: &str, query: &str, csv: String) -> (u16, Value) {
    let r = app
        .client()
        .post(app.url(&format!("/api/v1/grants/import?{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A new period of `fund` for one year (its last quarter long ended): its id.
async fn one_year_period(app: &TestApp, admin: &str, fund: i64, year: &str) -> i64 {
    let (status, period) = api_send(
        app,
        admin,
        "POST",
        &format!("/api/v1/funds/{fund}/periods"),
        json!({ "round_name": format!("Edge {year}"), "first_year": year, "last_year": year }),
    )
    .await;
    assert!((200..300).contains(&status), "{status} {period}");
    period["id"].as_i64().expect("the new period's id")
}

fn claim(key: i64, quarter: &str, revenue: &str) -> ClaimInput {
    ClaimInput {
        quarter: quarter.into(),
        spend: [(
            key,
            AmountsInput {
                revenue: revenue.into(),
                capital: String::new(),
            },
        )]
        .into(),
        narrative: "Sessions delivered".into(),
        forecast: String::new(),
        match_funding: String::new(),
    }
}

fn step(event: &str) -> ClaimStep {
    ClaimStep {
        event: event.into(),
        comments: String::new(),
    }
}

async fn grant_json(app: &TestApp, admin: &str, id: i64) -> Value {
    let (status, g) = api_get(app, admin, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(status, 200, "{g}");
    g
}

async fn grant_by_reference(app: &TestApp, admin: &str, reference: &str) -> Value {
    grant_where(app, admin, "reference", reference).await
}

backend_tests! {
    // F-01: closing a period of another fund whose years overlap closed the LCPF's imported
    // grants, booking their money to the wrong period, and the right one could never close.
    async fn close_out_closes_its_own_periods_grants_alone(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let dip = app.fund_id("Drug Interventions Programme (passported)").await;
        let other = one_year_period(&app, &admin, dip, "2016/17").await;
        let (status, closed) = api_send(&app, &admin, "POST", &format!("/api/v1/periods/{other}/close-out"), json!({})).await;
        assert_eq!(status, 200, "{closed}");
        assert_eq!(closed["profile"], 0, "the other fund's period has no grants: {closed}");
        let bexley = grant_by_reference(&app, &admin, "LCPF 2013/14 to 2016/17: Bexley").await;
        assert_eq!(bexley["state"]["code"], "live", "the LCPF grant is untouched");

        let lcpf = app.period_id("2013/14").await;
        let audit_before = app.audit_count().await;
        let (status, closed) = api_send(&app, &admin, "POST", &format!("/api/v1/periods/{lcpf}/close-out"), json!({})).await;
        assert_eq!(status, 200, "the right period closes: {closed}");
        let (_, view) = api_get(&app, &admin, &format!("/api/v1/periods/{lcpf}/close-out")).await;
        let refs: Vec<&str> = view["grants"].as_array().unwrap().iter().map(|g| g["reference"].as_str().unwrap()).collect();
        assert_eq!(refs.len(), 2, "Barnet's and Bexley's grants: {refs:?}");
        assert!(refs.iter().all(|r| r.starts_with("LCPF 2013/14 to 2016/17")), "{refs:?}");
        // F-11: the period's record names each grant and its money; each grant's history its close.
        assert_eq!(app.audit_count().await, audit_before + 3, "the period's record and one per grant");
        let (_, log) = api_get(&app, &admin, "/api/v1/audit?entity_type=funding_period").await;
        let summary = log[0]["summary"].as_str().unwrap_or_default().to_string();
        assert!(summary.contains("Bexley") && summary.contains("Barnet") && summary.contains("returned"), "{log}");
    }

    // F-05 and item 5: nothing is imported into a closed period.
    async fn nothing_is_imported_into_a_closed_period(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let lcpf = app.period_id("2013/14").await;
        let (status, _) = api_send(&app, &admin, "POST", &format!("/api/v1/periods/{lcpf}/close-out"), json!({})).await;
        assert_eq!(status, 200);
        let before = app.audit_count().await;
        let csv = format!("{HEADER}Late 2015,Sutton,2015/16,2015/16,Mentoring,2015/16,5000,,firm,,\n");
        let (status, problem) = import(&app, &admin, &format!("period={lcpf}"), csv).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem_messages(&problem).contains("is closed"), "{problem}");
        assert_eq!(app.audit_count().await, before, "nothing was imported");
        // Nor do its budgets or allocations change, and its page offers no change.
        let (status, problem) = api_send(&app, &admin, "PUT", &format!("/api/v1/periods/{lcpf}/budgets/2014"), json!({ "pot": "£19,000,000", "co_commissioning_percent": "0" })).await;
        assert_eq!(status, 403, "{problem}");
        assert!(problem_messages(&problem).contains("is closed"), "{problem}");
        let (status, problem) = api_send(&app, &admin, "POST", &format!("/api/v1/periods/{lcpf}/amendments"), json!({ "year": "2013/14", "area": "E09000004", "amount": "£1", "reason": "After close-out" })).await;
        assert_eq!(status, 403, "{problem}");
        assert_eq!(app.audit_count().await, before, "nothing changed");
        let (page, _) = app.signed_in(ADMIN).await;
        let html = page.get(app.url(&format!("/periods/{lcpf}"))).send().await.unwrap().text().await.unwrap();
        for offer in ["New scenario", "Record a decision made elsewhere", "Add a stream", "/budgets/"] {
            assert!(!html.contains(offer), "a closed period offers “{offer}”");
        }
    }

    // Item 7: one borough held two live grants of its whole allocation each. Grants made or
    // imported for a borough in a period stay within its allocation, with both figures.
    async fn a_boroughs_grants_in_a_period_stay_within_its_allocation(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let period = app.period_id("2017/18").await;
        let (_, allocations) = api_get(&app, &admin, "/api/v1/areas/E09000002/allocations").await;
        let amount = |year: &str| allocations.as_array().unwrap().iter().find(|a| a["year"] == year).unwrap_or_else(|| panic!("no {year} allocation: {allocations}"))["amount_pence"].as_i64().unwrap();
        let whole = amount("2017/18");
        let pounds = |p: i64| format!("{}.{:02}", p / 100, p % 100);
        // Two grants in one file, each the whole of 2017/18's allocation: the second is refused.
        let rows = |reference: &str| format!(
            "{reference},Barking and Dagenham,2017/18,2017/18,Whole envelope,2017/18,{},,firm,,\n",
            pounds(whole));
        let csv = format!("{HEADER}{}{}", rows("BD whole one"), rows("BD whole two"));
        let (status, preview) = import(&app, &admin, &format!("period={period}&preview=true"), csv.clone()).await;
        assert_eq!(status, 200);
        let errors = preview["errors"].to_string();
        assert!(errors.contains("Row 3") && errors.contains("more than its allocation"), "{preview}");
        let before = app.audit_count().await;
        assert_eq!(import(&app, &admin, &format!("period={period}"), csv).await.0, 422);
        assert_eq!(app.audit_count().await, before, "all or nothing");
        // One is within it; a second, later, is refused with both figures.
        assert_eq!(import(&app, &admin, &format!("period={period}"), format!("{HEADER}{}", rows("BD whole one"))).await.0, 201);
        let (status, problem) = import(&app, &admin, &format!("period={period}"), format!("{HEADER}{}", rows("BD whole two"))).await;
        assert_eq!(status, 422);
        let m = problem_messages(&problem);
        assert!(m.contains("is granted already") && m.contains("over"), "{m}");
    }

    // Item 2: an .xlsx row that leaves its last cells empty (as Excel writes every row that
    // stops early) imported as one grant instead of three.
    async fn a_workbook_whose_rows_stop_early_imports_every_row(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let period = app.period_id("2013/14").await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in HEADER.trim_end().split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        let rows: [&[&str]; 3] = [
            &["Sutton 2013", "Sutton", "2013/14", "2013/14", "Mentoring", "2013/14", "1000"],
            &["Merton 2013", "Merton", "2013/14", "2013/14", "Mentoring", "2013/14", "2000", "", "firm"],
            &["Kingston 2013", "Kingston upon Thames", "2013/14", "2013/14", "Mentoring", "2013/14", "3000", "", "", "", "Agreed by letter"],
        ];
        for (r, cells) in rows.iter().enumerate() {
            for (c, v) in cells.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(r as u32 + 1, c as u16, *v).unwrap();
                }
            }
        }
        let r = app.client().post(app.url(&format!("/api/v1/grants/import?preview=true&period={period}")))
            .bearer_auth(&admin).body(book.save_to_buffer().unwrap()).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let preview: Value = r.json().await.unwrap();
        assert!(preview["errors"].as_array().unwrap().is_empty(), "{preview}");
        let grants: Vec<&str> = preview["grants"].as_array().unwrap().iter().map(|g| g["reference"].as_str().unwrap()).collect();
        assert_eq!(grants, ["Sutton 2013", "Merton 2013", "Kingston 2013"]);
        assert_eq!(preview["grants"][2]["notes"][0], "Agreed by letter", "the note stays with its own grant");
    }

    // F-05: a second organisation uploading the same bytes downloaded them under the first
    // one's file name. The name belongs to each attachment.
    async fn a_files_name_belongs_to_its_attachment_not_its_content(app: TestApp) {
        let (bd_grant, bd_key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let bd_claim = app.app.start_claim(&bd, bd_grant, &claim(bd_key, "Q1 2017/18", "100")).await.unwrap();
        let admin = app.token(ADMIN).await;
        let barnet_grant = grant_by_reference(&app, &admin, "LCPF 2013/14 to 2016/17: Barnet").await;
        let barnet_key = barnet_grant["projects"][0]["key"].as_i64().unwrap();
        let barnet = app.actor(BARNET_OFFICER).await;
        let barnet_claim = app.app.start_claim(&barnet, barnet_grant["id"].as_i64().unwrap(), &claim(barnet_key, "Q1 2013/14", "100")).await.unwrap();
        let bytes = b"month,cost\nApril,100\n".to_vec();
        let attach = |token: String, claim: i64, name: &'static str| {
            let (client, url, bytes) = (app.client(), app.url(&format!("/api/v1/claims/{claim}/evidence?name={name}")), bytes.clone());
            async move { client.post(url).bearer_auth(token).body(bytes).send().await.unwrap().status().as_u16() }
        };
        assert_eq!(attach(app.token(BARNET_OFFICER).await, barnet_claim, "barnet-payroll.csv").await, 200);
        // A bidi override in a name is removed: it would show "reportvsc.pdf".
        assert_eq!(attach(app.token(BD_OFFICER).await, bd_claim, "report%E2%80%AEfdp.csv").await, 200);
        let view = app.app.claim(&bd, bd_claim).await.unwrap();
        assert_eq!(view.evidence[0].name, "reportfdp.csv");
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let got = client.get(app.url(&format!("/claims/{bd_claim}/evidence/{}", view.evidence[0].key))).send().await.unwrap();
        let disposition = got.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains("reportfdp.csv") && !disposition.contains("barnet"), "{disposition}");
    }

    // F-02: claims submitted while a period closed were left submitted on a closed grant,
    // never to be accepted or returned. Close-out locks, then checks, in one step.
    async fn claims_submitted_as_a_period_closes_are_never_stranded(app: TestApp) {
        let admin_token = app.token(ADMIN).await;
        let lcpf = app.fund_id(lcpf_app::demo::funds::FUND_NAME).await;
        let admin = app.actor(ADMIN).await;
        let barnet = app.actor(BARNET_OFFICER).await;
        for year in ["2022/23", "2023/24", "2024/25"] {
            let period = one_year_period(&app, &admin_token, lcpf, year).await;
            let reference = format!("Barnet race {year}");
            let csv = format!("{HEADER}{reference},Barnet,{year},{year},Mentoring,{year},40000,,firm,,\n");
            let (status, made) = import(&app, &admin_token, &format!("period={period}"), csv).await;
            assert_eq!(status, 201, "{made}");
            let grant = made["ids"][0].as_i64().unwrap();
            let key = grant_json(&app, &admin_token, grant).await["projects"][0]["key"].as_i64().unwrap();
            let mut claims = Vec::new();
            for q in 1..=4 {
                let quarter = format!("Q{q} {year}");
                claims.push(app.app.start_claim(&barnet, grant, &claim(key, &quarter, "1000")).await.unwrap());
            }
            // The close and four submits at the same moment.
            let mut tasks = Vec::new();
            {
                let (a, admin) = (app.app.clone(), admin.clone());
                tasks.push(tokio::spawn(async move { a.close_period(&admin, period).await.is_ok() }));
            }
            for c in &claims {
                let (a, barnet, c) = (app.app.clone(), barnet.clone(), *c);
                tasks.push(tokio::spawn(async move { a.claim_step(&barnet, c, &step("submit")).await.is_ok() }));
            }
            let mut results = Vec::new();
            for t in tasks {
                results.push(t.await.unwrap());
            }
            let g = grant_json(&app, &admin_token, grant).await;
            let submitted = g["claims"].as_array().unwrap().iter().filter(|c| c["state"]["code"] == "submitted").count();
            if g["state"]["code"] == "closed" {
                assert_eq!(submitted, 0, "{year}: a closed grant has no claim waiting: {results:?} {g}");
            } else {
                assert!(!results[0], "{year}: the period stayed open, so close-out was refused");
            }
        }
    }

    // F-06: on SQLite the upload ran inside the write transaction, so an object store that
    // did not answer held every other write; the caller got 500 and /healthz said ok.
    async fn a_file_store_that_is_down_stalls_nothing_and_says_so(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let claim_id = app.app.start_claim(&bd, grant, &claim(key, "Q1 2017/18", "100")).await.unwrap();
        // The same database, served with an object store nobody answers for.
        let down = lcpf_app::files::S3Bucket::new("lcpf-down", Some("http://127.0.0.1:9"), "", Some(("id", "secret"))).unwrap();
        let served = app.app.clone().with_file_store(std::sync::Arc::new(down));
        let server = lcpf_web::Server::bind(served, "127.0.0.1:0", false).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        tokio::spawn(server.run());
        let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
        assert_eq!(health.status(), 503);
        assert_eq!(health.text().await.unwrap(), "file store unreachable");

        let token = app.token(BD_OFFICER).await;
        let upload = {
            let (client, url, token) = (app.client(), format!("{base}/api/v1/claims/{claim_id}/evidence?name=payroll.csv"), token.clone());
            tokio::spawn(async move {
                let r = client.post(url).bearer_auth(token).body("month,cost\nApril,100\n").send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // Another write, while the upload waits on the store, goes through at once.
        let proposal = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let r = app.client().post(format!("{base}/api/v1/proposals/{proposal}/comments")).bearer_auth(&token)
            .json(&json!({ "comment": "While the file store is down" })).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        assert!(!upload.is_finished(), "the comment did not wait for the upload");
        let (status, body) = upload.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("file store is unavailable"), "{body}");
        assert!(app.app.claim(&bd, claim_id).await.unwrap().evidence.is_empty(), "nothing was recorded");
    }

    // Items 20, 21, 25: no signed-in answer is kept by a browser or proxy; free text refuses
    // control characters but tab and newline; the tokens page links to the real API document.
    async fn records_are_not_cached_and_free_text_refuses_control_characters(app: TestApp) {
        let (client, _) = app.signed_in(FINANCE_OFFICER).await;
        for path in ["/", "/payments", "/grants/spend"] {
            let r = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        }
        let token = app.token(BD_OFFICER).await;
        let r = app.client().get(app.url("/api/v1/grants")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "an API answer");
        let proposal = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let before = app.audit_count().await;
        let (status, problem) = api_send(&app, &token, "POST", &format!("/api/v1/proposals/{proposal}/comments"), json!({ "comment": "a\u{0007}\u{001b}b" })).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem_messages(&problem).contains("control characters (found U+0007)"), "{problem}");
        assert_eq!(app.audit_count().await, before);
        let (bd, _) = app.signed_in(BD_OFFICER).await;
        let page = bd.get(app.url("/account/tokens")).send().await.unwrap().text().await.unwrap();
        let link = page.split("\">LCPF API</a>").next().unwrap().rsplit("href=\"").next().unwrap().to_string();
        assert_eq!(link, "/api/openapi.json");
        assert_eq!(app.client().get(app.url(&link)).send().await.unwrap().status(), 200, "the document is there");
    }

    // Item 6: a payment request that no longer fits could be neither authorised nor
    // cancelled, and blocked close-out. Funder staff cancel it with a reason; it is never paid.
    async fn a_payment_request_is_cancelled_with_a_reason_and_never_paid(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let (bd, officer) = (app.actor(BD_OFFICER).await, app.actor(FUNDER_OFFICER).await);
        let claim_id = app.app.start_claim(&bd, grant, &claim(key, "Q1 2017/18", "1000")).await.unwrap();
        app.app.claim_step(&bd, claim_id, &step("submit")).await.unwrap();
        app.app.claim_step(&officer, claim_id, &step("accept")).await.unwrap();
        let payment = app.app.claim(&officer, claim_id).await.unwrap().payment.expect("a payment request").id;
        let path = format!("/api/v1/payments/{payment}/cancel");
        let reason = json!({ "reason": "The variation of 1 June lowered 2017/18 below it" });
        let (borough, staff, finance) = (app.token(BD_OFFICER).await, app.token(FUNDER_OFFICER).await, app.token(FINANCE_OFFICER).await);
        let before = app.audit_count().await;
        assert_eq!(api_send(&app, &borough, "POST", &path, reason.clone()).await.0, 403, "a borough cannot");
        let (status, problem) = api_send(&app, &staff, "POST", &path, json!({ "reason": " " })).await;
        assert_eq!(status, 422, "a reason is needed: {problem}");
        assert_eq!(app.audit_count().await, before, "nothing changed");
        let (status, cancelled) = api_send(&app, &staff, "POST", &path, reason.clone()).await;
        assert_eq!(status, 200, "{cancelled}");
        assert_eq!(cancelled["state"]["code"], "cancelled");
        assert!(cancelled["cancel_reason"].as_str().unwrap().contains("lowered 2017/18"));
        assert_eq!(app.audit_count().await, before + 1);
        assert_eq!(api_send(&app, &staff, "POST", &path, reason).await.0, 403, "cancelled once");
        let (status, _) = api_send(&app, &finance, "POST", &format!("/api/v1/payments/{payment}/authorise"), json!({ "idempotency_key": "after-cancel" })).await;
        assert_eq!(status, 403, "a cancelled request is never paid");
        let (_, waiting) = api_get(&app, &staff, "/api/v1/payments?state=requested").await;
        assert!(!waiting["rows"].as_array().unwrap().iter().any(|p| p["id"] == payment), "it no longer waits for an authoriser");
        // The payment page offers the cancellation while a request waits, and shows it after.
        let (page, _) = app.signed_in(FUNDER_OFFICER).await;
        let html = page.get(app.url(&format!("/payments/{payment}"))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Cancelled by") && !html.contains("id=\"cancel-payment\""), "{html}");
    }

    // Item 12: a claim accepted before its year was confirmed could never be paid. When the
    // year becomes firm, what was accepted becomes payable.
    async fn claims_accepted_in_a_provisional_year_are_paid_once_it_is_confirmed(app: TestApp) {
        // Barnet's grant for 2022/23, its year still provisional.
        let admin_token = app.token(ADMIN).await;
        let lcpf = app.fund_id(lcpf_app::demo::funds::FUND_NAME).await;
        let period = one_year_period(&app, &admin_token, lcpf, "2022/23").await;
        let csv = format!("{HEADER}Barnet provisional 2022,Barnet,2022/23,2022/23,Mentoring,2022/23,40000,,provisional,,\n");
        let (status, made) = import(&app, &admin_token, &format!("period={period}"), csv).await;
        assert_eq!(status, 201, "{made}");
        let grant = made["ids"][0].as_i64().unwrap();
        let (bd, officer) = (app.actor(BARNET_OFFICER).await, app.actor(FUNDER_OFFICER).await);
        let key = app.app.grant(&officer, grant).await.unwrap().projects[0].key;
        let provisional = "2022/23".to_string();
        let quarter = format!("Q1 {provisional}");
        let claim_id = app.app.start_claim(&bd, grant, &claim(key, &quarter, "1000")).await.unwrap();
        app.app.claim_step(&bd, claim_id, &step("submit")).await.unwrap();
        app.app.claim_step(&officer, claim_id, &step("accept")).await.unwrap();
        let view = app.app.claim(&officer, claim_id).await.unwrap();
        assert!(view.payment.is_none(), "nothing is payable in a provisional year");
        assert!(view.not_payable.as_deref().unwrap_or_default().contains("becomes payable when the year is confirmed"), "{:?}", view.not_payable);
        let admin = app.actor(ADMIN).await;
        app.app.confirm_grant_year(&admin, grant, &lcpf_app::grants::ConfirmInput {
            year: provisional.clone(),
            decision_reference: "PCD 2017".into(),
            decided_on: "2018-03-01".into(),
        }).await.unwrap();
        let view = app.app.claim(&officer, claim_id).await.unwrap();
        let payment = view.payment.expect("the accepted claim is now payable");
        assert_eq!(payment.amount, lcpf_domain::Money::from_pounds(1000));
        assert_eq!(payment.state.code, "requested");
    }

    // Item 11 (F-07): a budget cut below what the calls promised was accepted, a budget with
    // `co_commissioning` left out reset a 30% top-slice to 0%, and calls were opened for years
    // with no budget.
    async fn budgets_keep_what_the_calls_promise_and_calls_need_a_budget(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let period = app.period_id("2019/20").await;
        let path = format!("/api/v1/periods/{period}/budgets/2019");
        let (_, before) = api_get(&app, &admin, &format!("/api/v1/periods/{period}")).await;
        let budget = |v: &Value| v["budgets"].as_array().unwrap().iter().find(|b| b["year"] == "2019/20").cloned().unwrap();
        let was = budget(&before);
        assert!(was["co_commissioning_bp"].as_i64().unwrap() > 0, "2019/20 has a top-slice: {was}");
        let audit = app.audit_count().await;
        let (status, problem) = api_send(&app, &admin, "PUT", &path, json!({ "pot": "1" })).await;
        assert_eq!(status, 422, "{problem}");
        let m = problem_messages(&problem);
        assert!(m.contains("The fund's calls promise £14,500,000") && m.contains("short"), "{m}");
        assert_eq!(app.audit_count().await, audit, "nothing changed");
        // Raising the pot with the share left out keeps the share as it was.
        let (status, raised) = api_send(&app, &admin, "PUT", &path, json!({ "pot": "£60,000,000" })).await;
        assert_eq!(status, 200, "{raised}");
        assert_eq!(raised["co_commissioning_bp"], was["co_commissioning_bp"], "the top-slice is unchanged: {raised} {was}");
        // A call for a year with no budget is refused.
        let call = json!({
            "fund_id": app.fund_id(lcpf_app::demo::funds::FUND_NAME).await, "name": "Tranche 9", "first_year": "2027/28", "last_year": "2027/28", "maximum": "£1,000",
            "themes": ["Youth offending"], "leads": ["voluntary_sector"], "minimum_boroughs": "3",
            "opens_on": "2027-01-04", "opens_time": "09:00", "closes_on": "2027-02-26", "closes_time": "12:00",
            "criteria": [{"name": "Need", "kind": "scored", "max": 5, "weight": 3}],
            "questions": [{"key": "need", "section": "The need", "prompt": "What need will it meet?", "kind": "long_text", "max_words": 50, "required": true}]
        });
        let (status, problem) = api_send(&app, &admin, "POST", "/api/v1/calls", call).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem_messages(&problem).contains("no budget for 2027/28"), "{problem}");
    }

    // Item 18 (F-08): an unknown borough code in a bid answered 500 (a foreign key; on
    // PostgreSQL an index row too big). It is named and nothing is saved.
    async fn an_unknown_borough_in_a_bid_is_named_not_a_500(app: TestApp) {
        let draft = app.bid_id("Minerva pathways for young women").await;
        let before = app.app.bid(&lcpf_app::Actor::System, draft).await.unwrap();
        let token = app.token(PROVIDER).await;
        for code in ["E09999999".to_string(), "E".repeat(12_000)] {
            let (status, problem) = api_send(&app, &token, "PUT", &format!("/api/v1/bids/{draft}"), json!({ "title": "x", "boroughs": [code] })).await;
            assert_eq!(status, 422, "{problem}");
            assert!(problem_messages(&problem).contains("is not a London borough's ONS code"), "{problem}");
        }
        assert_eq!(app.app.bid(&lcpf_app::Actor::System, draft).await.unwrap(), before, "nothing was saved");
    }

    // Item 22 (F-18): `[]` or `{}` as a claim returned 200 and blanked it. A claim is sent
    // whole, as an object of a claim's fields.
    async fn a_claim_of_the_wrong_shape_is_refused_not_blanked(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let claim_id = app.app.start_claim(&bd, grant, &claim(key, "Q1 2017/18", "1000")).await.unwrap();
        let before = app.app.claim(&bd, claim_id).await.unwrap();
        let token = app.token(BD_OFFICER).await;
        let spend = json!({ key.to_string(): { "revenue": "5" } });
        for body in [json!([]), json!({}), json!({ "narrative": "No spend" }), json!({ "spend": spend, "narrative": "x", "extra": { "deep": 1 } })] {
            let (status, problem) = api_send(&app, &token, "PUT", &format!("/api/v1/claims/{claim_id}"), body.clone()).await;
            assert_eq!(status, 422, "{body}: {problem}");
        }
        assert_eq!(app.app.claim(&bd, claim_id).await.unwrap(), before, "the claim is as it was");
        let (status, saved) = api_send(&app, &token, "PUT", &format!("/api/v1/claims/{claim_id}"), json!({ "spend": spend, "narrative": "Whole" })).await;
        assert_eq!(status, 200, "{saved}");
    }

    // Item 13: a recipient who changed a returned claim and pressed "Submit" sent the old
    // figures. Submit is now a button of the claim's own form, and saves what is on screen.
    async fn submitting_a_claim_saves_what_is_on_the_screen(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let claim_id = app.app.start_claim(&bd, grant, &claim(key, "Q1 2017/18", "60000.50")).await.unwrap();
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let page = client.get(app.url(&format!("/claims/{claim_id}"))).send().await.unwrap().text().await.unwrap();
        let form = page.split("id=\"save-claim\"").next().unwrap();
        assert!(form.contains(&format!("formaction=\"/claims/{claim_id}/submit\"")), "Submit is part of the claim's form");
        let revenue = format!("spend-{key}-revenue");
        let r = client.post(app.url(&format!("/claims/{claim_id}/submit")))
            .form(&[("csrf_token", csrf.as_str()), (revenue.as_str(), "40,000"), ("narrative", "As MOPAC asked"), ("forecast", ""), ("match_funding", "")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let view = app.app.claim(&bd, claim_id).await.unwrap();
        assert_eq!(view.state.code, "submitted");
        assert_eq!(view.total, lcpf_domain::Money::from_pounds(40_000), "the figures on the screen were submitted");
        assert_eq!(view.narrative, "As MOPAC asked");
    }

    // Item 25: signing in returned to the home page, not to the page asked for; `GET /sign-out`
    // was an empty 405.
    async fn signing_in_returns_to_the_page_asked_for(app: TestApp) {
        let client = app.client();
        let r = client.get(app.url("/claims?state=accepted")).send().await.unwrap();
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, "/sign-in?next=%2Fclaims%3Fstate%3Daccepted");
        let page = client.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
        let csrf = hidden(&page, "csrf_token");
        assert_eq!(hidden(&page, "next"), "/claims?state=accepted");
        let r = client.post(app.url("/sign-in")).form(&[("csrf_token", csrf.as_str()), ("email", FUNDER_OFFICER), ("password", DEMO_PASSWORD), ("next", "/claims?state=accepted")]).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/claims?state=accepted");
        // Another site's address is never followed.
        let other = app.client();
        let page = other.get(app.url("/sign-in?next=//evil.example/")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden(&page, "csrf_token");
        let r = other.post(app.url("/sign-in")).form(&[("csrf_token", csrf.as_str()), ("email", FUNDER_OFFICER), ("password", DEMO_PASSWORD), ("next", "//evil.example/")]).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/");
        // GET /sign-out offers the button.
        let page = client.get(app.url("/sign-out")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("id=\"sign-out-now\""));
    }

    // Item 24 (F-17): the evidence form refused a file of just under 10 MB that the API took,
    // because it counted the form's envelope. The limit is the file's, on both.
    async fn a_ten_megabyte_file_is_taken_from_the_form_as_from_the_api(app: TestApp) {
        let (grant, key) = app.live_borough_grant().await;
        let bd = app.actor(BD_OFFICER).await;
        let claim_id = app.app.start_claim(&bd, grant, &claim(key, "Q1 2017/18", "100")).await.unwrap();
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.resize(10 * 1024 * 1024, b' ');
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part("evidence", reqwest::multipart::Part::bytes(pdf.clone()).file_name("report.pdf"));
        let r = client.post(app.url(&format!("/claims/{claim_id}/evidence"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303, "exactly 10 MB from the form");
        pdf.push(b' ');
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf)
            .part("evidence", reqwest::multipart::Part::bytes(pdf).file_name("big.pdf"));
        let r = client.post(app.url(&format!("/claims/{claim_id}/evidence"))).multipart(form).send().await.unwrap();
        assert!(r.status().is_client_error(), "one byte more is refused: {}", r.status());
        assert!(r.text().await.unwrap().contains("10 MB"), "saying the limit");
    }

    // Item 14: closing a period was one click, with no preview. A page says what each grant
    // returns, warns about grants with no payment recorded, and asks before closing.
    async fn closing_a_period_is_checked_first_with_its_figures(app: TestApp) {
        let lcpf = app.period_id("2013/14").await;
        let (bd, _) = app.signed_in(BD_OFFICER).await;
        assert_eq!(bd.get(app.url(&format!("/periods/{lcpf}/close"))).send().await.unwrap().status(), 403);
        let (admin, _) = app.signed_in(ADMIN).await;
        let period = admin.get(app.url(&format!("/periods/{lcpf}"))).send().await.unwrap().text().await.unwrap();
        assert!(period.contains(&format!("href=\"/periods/{lcpf}/close\"")), "the period page links to the check, not a one-click close");
        let before = app.audit_count().await;
        let page = admin.get(app.url(&format!("/periods/{lcpf}/close"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("LCPF 2013/14 to 2016/17: Bexley") && page.contains("LCPF 2013/14 to 2016/17: Barnet"), "each grant");
        assert!(page.contains("id=\"no-payments\"") && page.contains("paid before LCPF"), "the warning for imported grants");
        let token = app.token(ADMIN).await;
        let (_, view) = api_get(&app, &token, &format!("/api/v1/periods/{lcpf}/close-out")).await;
        assert_eq!(view["closed"], false, "checking closes nothing");
        assert_eq!(app.audit_count().await, before + 1, "only the token was made");
        let csrf = hidden(&page, "csrf_token");
        let r = admin.post(app.url(&format!("/periods/{lcpf}/close"))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let (_, view) = api_get(&app, &token, &format!("/api/v1/periods/{lcpf}/close-out")).await;
        assert_eq!(view["closed"], true);
        let returned = view["totals"]["returned"].as_i64().unwrap();
        assert!(page.contains(&format!("return {} to the fund", lcpf_domain::Money::from_pence(returned))), "the button said the figure that was recorded");
    }

    // Item 17: "No, keep it" on the remove-line page linked to a POST-only address (405).
    async fn keeping_a_line_goes_back_to_the_proposal(app: TestApp) {
        let proposal = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let page = client.get(app.url(&format!("/proposals/{proposal}"))).send().await.unwrap().text().await.unwrap();
        let line: i64 = page
            .split(&format!("/proposals/{proposal}/lines/"))
            .skip(1)
            .find_map(|rest| rest.split('/').next().and_then(|id| id.parse().ok()))
            .expect("a line of the draft");
        let confirm = client.get(app.url(&format!("/proposals/{proposal}/lines/{line}/delete"))).send().await.unwrap().text().await.unwrap();
        let href = confirm.split("id=\"keep-line\"").next().unwrap().rsplit("href=\"").next().unwrap().split('"').next().unwrap().to_string();
        let back = client.get(app.url(&href)).send().await.unwrap();
        assert_eq!(back.status(), 200, "{href}");
    }
}
