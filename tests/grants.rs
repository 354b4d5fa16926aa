//! Grants on both databases: the demo's award grants, and a borough's grant made from its
//! approved proposal, offered, signed, started, varied and confirmed, with each step's
//! refusals for the wrong person.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use common::{api_get as get, problem_messages as messages};
use lcpf_app::Actor;
use lcpf_domain::proposal::ProposalEvent;
use serde_json::{json, Value};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    common::api_send(app, token, "POST", path, body).await
}

backend_tests! {
    async fn each_tranche_1_award_has_a_live_grant_to_its_lead(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let (status, page) = get(&app, &admin, "/api/v1/grants").await;
        assert_eq!(status, 200);
        let rows = page["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r["state"]["code"] == "live"));
        let total: i64 = rows.iter().map(|r| r["total"].as_i64().unwrap()).sum();
        assert_eq!(total, 949_789_200, "the grants are the awards, to the penny");
        let taith = rows.iter().find(|r| r["recipient"] == "Barnardo's").unwrap();
        let (_, grant) = get(&app, &admin, &format!("/api/v1/grants/{}", taith["id"])).await;
        assert_eq!(grant["total"], 185_786_300);
        assert_eq!(grant["ceiling"], 185_786_300);
        assert_eq!(grant["projects"][0]["source"], "The co-commissioning award");
        assert_eq!(grant["years"], json!(["2018/19", "2019/20", "2020/21"]));
        // The recipient's own officers see it; another organisation's do not.
        let provider = app.token(PROVIDER).await; // Advance Charity
        let (_, own) = get(&app, &provider, "/api/v1/grants").await;
        let recipients: Vec<&str> = own["rows"].as_array().unwrap().iter().map(|r| r["recipient"].as_str().unwrap()).collect();
        assert_eq!(recipients, ["Advance Charity"]);
        assert_eq!(get(&app, &provider, &format!("/api/v1/grants/{}", taith["id"])).await.0, 403);
        assert_eq!(get(&app, &app.token(BD_OFFICER).await, &format!("/api/v1/grants/{}", taith["id"])).await.0, 403);
    }

    async fn a_boroughs_grant_from_its_approved_proposal(app: TestApp) {
        let bd_actor = app.actor(BD_OFFICER).await;
        let officer_actor = app.actor(FUNDER_OFFICER).await;
        let proposal = app.proposal_id("2017/18", "E09000002").await.unwrap();
        app.app.proposal_step(&bd_actor, proposal, ProposalEvent::Submit, &Default::default(), None).await.unwrap();
        app.app.proposal_step(&officer_actor, proposal, ProposalEvent::Approve, &Default::default(), None).await.unwrap();
        let admin = app.token(ADMIN).await;
        let officer = app.token(FUNDER_OFFICER).await;
        let bd = app.token(BD_OFFICER).await;
        let barnet = app.token(BARNET_OFFICER).await;
        // Only funder staff make grants.
        assert_eq!(post(&app, &bd, "/api/v1/grants", json!({"source": "proposal", "id": proposal})).await.0, 403);
        let before = app.audit_count().await;
        let (status, problem) = post(&app, &officer, "/api/v1/grants", json!({"source": "plan", "id": proposal})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "source");
        assert_eq!(app.audit_count().await, before);
        let (status, made) = post(&app, &officer, "/api/v1/grants", json!({"source": "proposal", "id": proposal})).await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_i64().unwrap();
        let (status, again) = post(&app, &officer, "/api/v1/grants", json!({"source": "proposal", "id": proposal})).await;
        assert_eq!(status, 422);
        assert!(messages(&again).contains("already been made"), "{again}");
        let path = format!("/api/v1/grants/{id}");
        let (_, grant) = get(&app, &bd, &path).await;
        assert_eq!(grant["state"]["code"], "drafted");
        assert_eq!(grant["recipient"], "Barking and Dagenham");
        // Its projects are the approved lines, each pointing at its line by key.
        let view = app.app.proposal(&Actor::System, proposal, None).await.unwrap();
        assert_eq!(grant["projects"].as_array().unwrap().len(), view.lines.len());
        assert!(grant["projects"][0]["source"].as_str().unwrap().starts_with("Line "), "{}", grant["projects"][0]);
        let lines_total: i64 = view.lines.iter().flat_map(|l| &l.line.years).map(|y| y.cost.pence()).sum();
        assert_eq!(grant["total"], lines_total);
        assert!(grant["total"].as_i64().unwrap() <= grant["ceiling"].as_i64().unwrap());
        assert!(grant["ceiling_words"].as_str().unwrap().contains("Barking and Dagenham's envelope"));
        assert_eq!(get(&app, &barnet, &path).await.0, 403, "another borough's grant");

        // Offered by the funder, signed by the borough, started by the funder.
        assert_eq!(post(&app, &bd, &format!("{path}/offer"), json!({})).await.0, 403);
        assert_eq!(post(&app, &officer, &format!("{path}/offer"), json!({})).await.0, 200);
        let (status, problem) = post(&app, &officer, &format!("{path}/accept"), json!({})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("Only the recipient can accept"), "{problem}");
        assert_eq!(post(&app, &barnet, &format!("{path}/accept"), json!({})).await.0, 403);
        let (status, moved) = post(&app, &bd, &format!("{path}/accept"), json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(moved["state"], "accepted");
        let (_, grant) = get(&app, &bd, &path).await;
        assert_eq!(grant["accepted_by"], "Barking and Dagenham Community Safety Officer (Barking and Dagenham)", "the signature: who accepted it, by name");
        assert!(grant["accepted_at"].is_string());
        assert_eq!(post(&app, &officer, &format!("{path}/start"), json!({})).await.0, 200);
        assert_eq!(post(&app, &officer, &format!("{path}/start"), json!({})).await.0, 403, "a live grant is not started twice");

        // A variation: funder admin only, with a reason; money moved between projects keeps
        // the total; one past the envelope is refused with both figures.
        let (_, grant) = get(&app, &admin, &path).await;
        let first = &grant["projects"][0];
        let second = &grant["projects"][1];
        let year = first["cells"].as_array().unwrap().iter().find(|c| c["total"].as_i64().unwrap() > 500_000).unwrap();
        let y = year["year"].as_str().unwrap();
        let a = year["total"].as_i64().unwrap();
        let b_cell = second["cells"].as_array().unwrap().iter().find(|c| c["year"] == y).unwrap();
        let b = b_cell["total"].as_i64().unwrap();
        let pounds = |p: i64| lcpf_domain::Money::from_pence(p).to_string();
        let moving = json!({"reason": "In June 2015 this agreement was updated", "varied_on": "2017-06-01", "projects": {
            first["key"].to_string(): {y: {"revenue": pounds(a - 500_000)}},
            second["key"].to_string(): {y: {"revenue": pounds(b + 500_000)}}
        }});
        assert_eq!(post(&app, &officer, &format!("{path}/variations"), moving.clone()).await.0, 403);
        let (status, problem) = post(&app, &admin, &format!("{path}/variations"), json!({"reason": "", "varied_on": "2017-06-01", "projects": {}})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("Enter the reason"), "{problem}");
        let (status, number) = post(&app, &admin, &format!("{path}/variations"), moving).await;
        assert_eq!(status, 201, "{number}");
        assert_eq!(number, 1);
        let (_, varied) = get(&app, &bd, &path).await;
        assert_eq!(varied["total"], grant["total"], "moving money keeps the total");
        assert_eq!(varied["projects"][0]["key"], first["key"], "projects keep their keys");
        assert_eq!(varied["variations"][0]["reason"], "In June 2015 this agreement was updated");
        assert!(varied["variations"][0]["changes"][0].as_str().unwrap().contains("Money moved between projects"));
        let ceiling = grant["ceiling"].as_i64().unwrap();
        let over = json!({"reason": "Too much", "varied_on": "2017-07-01", "projects": {
            first["key"].to_string(): {y: {"revenue": pounds(a - 500_000 + ceiling)}}
        }});
        let before = app.audit_count().await;
        let (status, problem) = post(&app, &admin, &format!("{path}/variations"), over).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains(&format!("more than Barking and Dagenham's envelope for 2017/18 to 2018/19 of {}", pounds(ceiling))), "{problem}");
        assert_eq!(app.audit_count().await, before, "a refused variation changes nothing");

        // A provisional year is made firm by a recorded decision.
        if let Some(year) = varied["year_totals"].as_array().unwrap().iter().find(|y| y["provisional"].as_i64().unwrap() > 0) {
            let y = year["year"].as_str().unwrap();
            let (status, _) = post(&app, &admin, &format!("{path}/confirmations"), json!({"year": y, "decision_reference": "PCD 300", "decided_on": "2018-03-01"})).await;
            assert_eq!(status, 204);
            let (_, confirmed) = get(&app, &admin, &path).await;
            let after = confirmed["year_totals"].as_array().unwrap().iter().find(|t| t["year"] == y).unwrap();
            assert_eq!(after["provisional"], 0);
            assert_eq!(after["firm"].as_i64().unwrap(), year["firm"].as_i64().unwrap() + year["provisional"].as_i64().unwrap());
            assert_eq!(confirmed["confirmations"][0]["decision_reference"], "PCD 300");
        }
        let (status, _) = post(&app, &admin, &format!("{path}/confirmations"), json!({"year": "2030/31", "decision_reference": "PCD 1", "decided_on": "2018-03-01"})).await;
        assert_eq!(status, 422, "a year with no provisional money");

        // The pages: the agreement reads as one, and the borough signs it there.
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let page = client.get(app.url(&format!("/grants/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Grant agreement") && page.contains("Accepted by") && page.contains("Variation 1"), "the agreement page");
    }
}
