//! Payment schedules on both databases: the demo's Barnardo's grant paid on milestones and St
//! Giles Trust's paid quarterly in advance; a borough's grant paid in advance (quarters in
//! order, each requested once, never authorised by whoever requested it, claims paying
//! nothing); a borough's grant on milestones (agreed while drafted, within the year's
//! profile, reported met, returned, confirmed into a payment request once). Every refusal
//! changes nothing and writes no audit row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use common::{api_get as get, problem_messages as messages};
use lcpf_domain::grant::payment::instalments;
use lcpf_domain::Money;
use serde_json::{json, Value};

const BARNARDOS: &str = "taith@barnardos.example";

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    common::api_send(app, token, "POST", path, body).await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    common::api_send(app, token, "PUT", path, body).await
}

async fn grant_of(app: &TestApp, token: &str, recipient: &str) -> Value {
    common::grant_where(app, token, "recipient", recipient).await
}

fn pence(v: &Value) -> i64 {
    v.as_i64().unwrap()
}

backend_tests! {
    async fn the_demo_pays_barnardos_on_milestones_and_st_giles_in_advance(app: TestApp) {
        let officer = app.token(FUNDER_OFFICER).await;
        let finance = app.token(FINANCE_OFFICER).await;
        let taith = grant_of(&app, &officer, "Barnardo's").await;
        let plan = &taith["payment_plan"];
        assert_eq!(plan["schedule"], "milestones");
        let milestones = plan["milestones"].as_array().unwrap();
        assert_eq!(milestones.len(), 6, "two a year for 2018/19 to 2020/21");
        let states: Vec<&str> = milestones.iter().map(|m| m["state"]["code"].as_str().unwrap()).collect();
        assert_eq!(states, ["met", "reported", "planned", "planned", "planned", "planned"]);
        // Each year's milestones are its award exactly: no gap to show.
        let milestone_total: i64 = milestones.iter().map(|m| pence(&m["amount"])).sum();
        assert_eq!(milestone_total, pence(&taith["total"]));
        assert!(plan["milestone_years"].as_array().unwrap().iter().all(|y| y["gap"].is_null()), "{plan}");
        // The met milestone's payment: its amount, authorised by the finance officer.
        let payments = taith["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0]["basis"], "milestone");
        assert_eq!(payments[0]["milestone_id"], milestones[0]["id"]);
        assert_eq!(payments[0]["amount"], milestones[0]["amount"]);
        assert_eq!(payments[0]["state"]["code"], "exported", "in the demo's finance export with Advance's Q1");
        assert!(payments[0]["for_what"].as_str().unwrap().starts_with("Milestone: Illustrative"));
        // Its recipient's service manager sees the grant; Advance's bids manager does not.
        let manager = app.token(BARNARDOS).await;
        let (status, own) = get(&app, &manager, &format!("/api/v1/grants/{}", taith["id"])).await;
        assert_eq!(status, 200);
        assert_eq!(own["payment_plan"]["milestones"][2]["may_report"], true);
        assert_eq!(get(&app, &app.token(PROVIDER).await, &format!("/api/v1/grants/{}", taith["id"])).await.0, 403);

        let st_giles = grant_of(&app, &officer, "St Giles Trust").await;
        assert_eq!(st_giles["payment_plan"]["schedule"], "quarterly_in_advance");
        let first_year_firm = Money::from_pence(pence(&st_giles["year_totals"][0]["firm"]));
        let quarters = instalments(first_year_firm).unwrap();
        let advances = st_giles["payments"].as_array().unwrap();
        let shown: Vec<(&str, &str, i64)> = advances.iter().map(|p| (p["basis"].as_str().unwrap(), p["state"]["code"].as_str().unwrap(), pence(&p["amount"]))).collect();
        assert_eq!(shown, [("advance", "exported", quarters[0].pence()), ("advance", "requested", quarters[1].pence())]);
        let next = &st_giles["payment_plan"]["next_advance"];
        assert_eq!(next["amount"], quarters[2].pence());
        assert!(next["quarter"].as_str().unwrap().starts_with("Q3 "), "{next}");
        // The waiting advance: the officer who requested it may not authorise it.
        let (_, view) = get(&app, &officer, &format!("/api/v1/payments/{}", advances[1]["id"])).await;
        assert_eq!(view["may_authorise"], false);
        assert!(view["refusal"].as_str().unwrap().contains("You requested this advance"), "{view}");
        assert_eq!(view["handled_by"][0]["what"], "Advance requested by");
        let (_, view) = get(&app, &finance, &format!("/api/v1/payments/{}", advances[1]["id"])).await;
        assert_eq!(view["may_authorise"], true, "{view}");
    }

    async fn a_boroughs_grant_paid_in_advance(app: TestApp) {
        let id = app.drafted_borough_grant().await;
        let bd = app.token(BD_OFFICER).await;
        let officer = app.token(FUNDER_OFFICER).await;
        let finance = app.token(FINANCE_OFFICER).await;
        let schedule = format!("/api/v1/grants/{id}/schedule");
        let advances = format!("/api/v1/grants/{id}/advances");

        // Refusals change nothing.
        let before = app.audit_count().await;
        assert_eq!(put(&app, &bd, &schedule, json!({"schedule": "quarterly_in_advance"})).await.0, 403, "the borough does not choose");
        let (status, problem) = put(&app, &officer, &schedule, json!({"schedule": "weekly"})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "schedule");
        assert!(messages(&problem).contains("quarterly in advance"), "{problem}");
        let (status, problem) = post(&app, &officer, &advances, json!({"quarter": "Q1 2017/18"})).await;
        assert_eq!(status, 403, "an arrears grant has no advances");
        assert!(messages(&problem).contains("not in advance"), "{problem}");
        assert_eq!(app.audit_count().await, before);

        assert_eq!(put(&app, &officer, &schedule, json!({"schedule": "quarterly_in_advance"})).await.0, 204);
        let (status, problem) = post(&app, &officer, &advances, json!({"quarter": "Q1 2017/18"})).await;
        assert_eq!(status, 403, "money moves on live grants only");
        assert!(messages(&problem).contains("live grants only"), "{problem}");
        app.start_borough_grant(id).await;
        let (status, problem) = put(&app, &officer, &schedule, json!({"schedule": "quarterly_in_arrears"})).await;
        assert_eq!(status, 403, "the schedule is part of the signed agreement");
        assert!(messages(&problem).contains("while the grant is drafted"), "{problem}");

        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        let firm = Money::from_pence(pence(&grant["year_totals"][0]["firm"]));
        let quarters = instalments(firm).unwrap();
        assert_eq!(grant["payment_plan"]["next_advance"]["quarter"], "Q1 2017/18");
        assert_eq!(grant["payment_plan"]["next_advance"]["amount"], quarters[0].pence());
        // Quarters in order; a bad quarter is named.
        let before = app.audit_count().await;
        let (status, problem) = post(&app, &officer, &advances, json!({"quarter": "Q2 2017/18"})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("the next for"), "{problem}");
        let (status, problem) = post(&app, &officer, &advances, json!({"quarter": "spring"})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "quarter");
        assert_eq!(post(&app, &bd, &advances, json!({"quarter": "Q1 2017/18"})).await.0, 403, "the borough does not request its own advance");
        assert_eq!(app.audit_count().await, before);

        // The page's form says the same beside the advance, and changes nothing.
        let (client, csrf) = app.signed_in(FUNDER_OFFICER).await;
        let before = app.audit_count().await;
        let r = client.post(app.url(&format!("/grants/{id}/advances"))).form(&[("csrf_token", csrf.as_str()), ("quarter", "Q3 2017/18")]).send().await.unwrap();
        assert_eq!(r.status(), 400, "the form comes back with its problem");
        let page = r.text().await.unwrap();
        assert!(page.contains("href=\"#advance\"") && page.contains("the next for"), "the problem is named and linked");
        assert_eq!(app.audit_count().await, before);

        // Requested once: the same quarter again is the same payment, and nothing new is written.
        let (status, first) = post(&app, &officer, &advances, json!({"quarter": "Q1 2017/18"})).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["amount"], quarters[0].pence());
        assert_eq!(first["for_what"], "Q1 2017/18 in advance");
        let after_first = app.audit_count().await;
        let (status, again) = post(&app, &officer, &advances, json!({"quarter": "Q1 2017/18"})).await;
        assert_eq!(status, 200);
        assert_eq!(again["id"], first["id"]);
        assert_eq!(app.audit_count().await, after_first);

        // Whoever requested it does not authorise it; someone else does.
        let authorise = |p: &Value| format!("/api/v1/payments/{}/authorise", p["id"]);
        let (status, problem) = post(&app, &officer, &authorise(&first), json!({"idempotency_key": "adv-1"})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("You requested this advance"), "{problem}");
        let (status, paid) = post(&app, &finance, &authorise(&first), json!({"idempotency_key": "adv-1"})).await;
        assert_eq!(status, 200, "{paid}");
        assert_eq!(paid["state"]["code"], "authorised");

        // The four advances add up to the year's firm money to the penny.
        for n in 2..=4 {
            let (status, p) = post(&app, &officer, &advances, json!({"quarter": format!("Q{n} 2017/18")})).await;
            assert_eq!(status, 200, "{p}");
            assert_eq!(p["amount"], quarters[n - 1].pence());
        }
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        let committed: i64 = grant["payments"].as_array().unwrap().iter().map(|p| pence(&p["amount"])).sum();
        assert_eq!(committed, firm.pence());

        // Claims still report spend, but accepting one pays nothing more.
        let key = grant["projects"][0]["key"].as_i64().unwrap();
        let (status, made) = post(&app, &bd, &format!("/api/v1/grants/{id}/claims"), json!({"quarter": "Q1 2017/18", "spend": {key.to_string(): {"revenue": "10000"}}, "narrative": "Delivered as planned", "forecast": "0"})).await;
        assert_eq!(status, 201, "{made}");
        let claim = made["id"].as_i64().unwrap();
        assert_eq!(post(&app, &bd, &format!("/api/v1/claims/{claim}/submit"), json!({})).await.0, 200);
        assert_eq!(post(&app, &officer, &format!("/api/v1/claims/{claim}/accept"), json!({})).await.0, 200);
        let (_, view) = get(&app, &officer, &format!("/api/v1/claims/{claim}")).await;
        assert!(view["payment"].is_null(), "{view}");
        assert!(view["not_payable"].as_str().unwrap().contains("no payment follows"), "{view}");
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        assert_eq!(grant["payments"].as_array().unwrap().len(), 4);

        // At close-out, the advances not spent are to be recovered; the unpaid rest returns.
        for p in grant["payments"].as_array().unwrap().iter().filter(|p| p["state"]["code"] == "requested") {
            let (status, _) = post(&app, &finance, &authorise(p), json!({"idempotency_key": format!("adv-{}", p["id"])})).await;
            assert_eq!(status, 200);
        }
        let period = app.period_id("2017/18").await;
        let admin = app.token(ADMIN).await;
        let (status, totals) = post(&app, &admin, &format!("/api/v1/periods/{period}/close-out"), json!({})).await;
        assert_eq!(status, 200, "{totals}");
        let profile = pence(&grant["total"]);
        assert_eq!(totals["paid"], firm.pence());
        assert_eq!(totals["returned"], profile - firm.pence(), "the provisional year was never paid");
        assert_eq!(totals["claimed"], 1_000_000);
        assert_eq!(totals["to_recover"], firm.pence() - 1_000_000, "advanced but not spent");
        let (_, closed) = get(&app, &bd, &format!("/api/v1/grants/{id}")).await;
        assert_eq!(closed["closeout"]["to_recover"], firm.pence() - 1_000_000);
    }

    async fn a_boroughs_grant_paid_on_milestones(app: TestApp) {
        let id = app.drafted_borough_grant().await;
        let bd = app.token(BD_OFFICER).await;
        let barnet = app.token(BARNET_OFFICER).await;
        let officer = app.token(FUNDER_OFFICER).await;
        let finance = app.token(FINANCE_OFFICER).await;
        let milestones = format!("/api/v1/grants/{id}/milestones");
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        let firm = pence(&grant["year_totals"][0]["firm"]);
        let half = Money::from_pence(firm).split_evenly(2).unwrap();

        // Milestones only on a grant paid on milestones.
        let good = json!({"title": "Youth outreach running in every ward", "year": "2017/18", "due_on": "2017-09-30", "amount": half[0].to_decimal_string()});
        let (status, problem) = post(&app, &officer, &milestones, good.clone()).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("choose payment on milestones"), "{problem}");
        assert_eq!(put(&app, &officer, &format!("/api/v1/grants/{id}/schedule"), json!({"schedule": "milestones"})).await.0, 204);
        // Not offered without milestones.
        let before = app.audit_count().await;
        let (status, problem) = post(&app, &officer, &format!("/api/v1/grants/{id}/offer"), json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "milestones");
        // Every problem at once, by field; the year's profile is never passed.
        let (status, problem) = post(&app, &officer, &milestones, json!({"title": "", "year": "2017", "due_on": "30/09/2017", "amount": "lots"})).await;
        assert_eq!(status, 422);
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["title", "year", "due_on", "amount"]);
        let (status, problem) = post(&app, &officer, &milestones, json!({"title": "Too much", "year": "2017/18", "due_on": "2017-09-30", "amount": Money::from_pence(firm + 1).to_decimal_string()})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains(&format!("more than its profile of {}", Money::from_pence(firm))), "{problem}");
        let (status, problem) = post(&app, &officer, &milestones, json!({"title": "Late", "year": "2017/18", "due_on": "2018-04-01", "amount": "1"})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "due_on");
        assert_eq!(post(&app, &bd, &milestones, good.clone()).await.0, 403, "the borough does not set its own milestones");
        assert_eq!(app.audit_count().await, before);

        let (status, first) = post(&app, &officer, &milestones, good).await;
        assert_eq!(status, 201, "{first}");
        let (status, extra) = post(&app, &officer, &milestones, json!({"title": "A mistake", "year": "2017/18", "due_on": "2017-06-30", "amount": "1000"})).await;
        assert_eq!(status, 201, "{extra}");
        assert_eq!(post(&app, &officer, &format!("{milestones}/{}/remove", extra["id"]), json!({})).await.0, 204);
        // Half the year is tied to a milestone: the other half is shown with both figures.
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        let gap = grant["payment_plan"]["milestone_years"][0]["gap"].as_str().unwrap().to_string();
        assert!(gap.contains(&format!("come to {}, its profile to {}: {} is not yet tied", half[0], Money::from_pence(firm), half[1])), "{gap}");
        let (status, second) = post(&app, &officer, &milestones, json!({"title": "Year-end review with the partnership", "year": "2017/18", "due_on": "2018-03-31", "amount": half[1].to_decimal_string()})).await;
        assert_eq!(status, 201, "{second}");
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        assert_eq!(grant["payment_plan"]["milestones"].as_array().unwrap().len(), 2);
        let years = grant["payment_plan"]["milestone_years"].as_array().unwrap();
        assert!(years[0]["gap"].is_null(), "2017/18 is fully tied to milestones: {years:?}");
        app.start_borough_grant(id).await;
        assert_eq!(post(&app, &officer, &format!("{milestones}/{}/remove", first["id"]), json!({})).await.0, 403, "signed: milestones stay");

        // Reported met by the borough (not by another borough, not by the funder).
        let step = |m: &Value, what: &str| format!("{milestones}/{}/{what}", m["id"]);
        let before = app.audit_count().await;
        assert_eq!(post(&app, &barnet, &step(&first, "report"), json!({"text": "Done"})).await.0, 403);
        assert_eq!(post(&app, &officer, &step(&first, "report"), json!({"text": "Done"})).await.0, 403);
        let (status, problem) = post(&app, &bd, &step(&first, "report"), json!({"text": "  "})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "report");
        assert_eq!(post(&app, &officer, &step(&first, "confirm"), json!({})).await.0, 403, "only a reported milestone is confirmed");
        assert_eq!(app.audit_count().await, before);
        let (status, moved) = post(&app, &bd, &step(&first, "report"), json!({"text": "Outreach teams in all 17 wards since August: session counts attached to the partnership minutes"})).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["state"], "reported");
        // Returned with comments, reported again, confirmed into a payment request once.
        let (status, problem) = post(&app, &officer, &step(&first, "return"), json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "comments");
        assert_eq!(post(&app, &officer, &step(&first, "return"), json!({"text": "Please say which month each ward started"})).await.1["state"], "planned");
        assert_eq!(post(&app, &bd, &step(&first, "report"), json!({"text": "All wards running from August; dates in the minutes"})).await.1["state"], "reported");
        let (status, moved) = post(&app, &officer, &step(&first, "confirm"), json!({})).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["state"], "met");
        assert_eq!(post(&app, &officer, &step(&first, "confirm"), json!({})).await.0, 403, "confirmed once");
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        let payments = grant["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0]["amount"], half[0].pence());
        assert_eq!(payments[0]["quarter"], "Q2 2017/18", "the quarter the milestone is due in");
        // Whoever confirmed it does not authorise it.
        let authorise = format!("/api/v1/payments/{}/authorise", payments[0]["id"]);
        let (status, problem) = post(&app, &officer, &authorise, json!({"idempotency_key": "ms-1"})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("You confirmed this milestone"), "{problem}");
        assert_eq!(post(&app, &finance, &authorise, json!({"idempotency_key": "ms-1"})).await.0, 200);
        let (_, grant) = get(&app, &officer, &format!("/api/v1/grants/{id}")).await;
        assert_eq!(grant["spend"]["paid"], half[0].pence());
    }
}
