//! Co-commissioning end to end, on both databases: the demo's Tranche 1 figures over the API,
//! and a whole journey (open a call → bid → submit → assign → declare → score → moderate →
//! rank → award, over-award refused) with each step's refusals for the wrong person.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use common::{api_get as get, api_send as send, problem_messages as messages};
use serde_json::{json, Value};

const TRANCHE_1_AWARDED_PENCE: i64 = 949_789_200; // £2,996,940 + £1,857,863 + £1,606,173 + £3,036,916

fn london(offset_days: i64) -> (String, String) {
    lcpf_domain::calendar::london_date_and_time(
        chrono::Utc::now() + chrono::Duration::days(offset_days),
    )
}

backend_tests! {
    async fn the_demo_holds_tranche_1_as_the_mayor_announced_it(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let t1 = app.call_id("Tranche 1").await;
        let (status, ranking) = get(&app, &admin, &format!("/api/v1/calls/{t1}/ranking")).await;
        assert_eq!(status, 200, "{ranking}");
        let awarded: Vec<i64> = ranking["rows"].as_array().unwrap().iter().map(|r| r["awarded"].as_i64().unwrap()).collect();
        let mut sorted = awarded.clone();
        sorted.sort();
        assert_eq!(sorted, [160_617_300, 185_786_300, 299_694_000, 303_691_600], "the four awards in pence");
        assert_eq!(ranking["awarded"], TRANCHE_1_AWARDED_PENCE);
        assert_eq!(ranking["left"], 1_000_000_000 - TRANCHE_1_AWARDED_PENCE);
        // Each award's years add up to its total, to the penny.
        let advance = app.bid_id("Advance Women Centres and Advance Minerva Wrap Around support services for female offenders").await;
        let (_, bid) = get(&app, &admin, &format!("/api/v1/bids/{advance}")).await;
        let years: Vec<i64> = bid["award"]["amounts"].as_array().unwrap().iter().map(|y| y["amount"].as_i64().unwrap()).collect();
        assert_eq!(years, [99_898_000, 99_898_000, 99_898_000]);
        assert_eq!(bid["award"]["total"], 299_694_000);
        assert!(bid["award"]["assumptions"].as_str().unwrap().contains("even split"));
        assert_eq!(bid["boroughs"].as_array().unwrap().len(), 15);
        // Coverage: 15, 9, 6 and 32 boroughs; Barking and Dagenham has three of the four.
        let viewer = app.token(VIEWER).await;
        let (status, coverage) = get(&app, &viewer, "/api/v1/co-commissioning/coverage").await;
        assert_eq!(status, 200);
        let mut reach: Vec<i64> = coverage["services"].as_array().unwrap().iter().map(|s| s["boroughs"].as_i64().unwrap()).collect();
        reach.sort();
        assert_eq!(reach, [6, 9, 15, 32]);
        let bd = coverage["rows"].as_array().unwrap().iter().find(|r| r["ons_code"] == "E09000002").unwrap();
        assert_eq!(bd["services"], 3);
        let money: i64 = coverage["rows"].as_array().unwrap().iter().map(|r| r["money"].as_i64().unwrap()).sum();
        assert_eq!(money, TRANCHE_1_AWARDED_PENCE, "the even shares add up to the awards exactly");
        // The calls fit in the Co-Commissioning share: 30% of £18m for 2018/19 to 2020/21.
        let (_, calls) = get(&app, &admin, "/api/v1/calls").await;
        let lcpf = calls["funds"].as_array().unwrap().iter().find(|f| f["fund_name"] == "London Crime Prevention Fund").unwrap();
        let share = &lcpf["share"];
        assert_eq!(share["share"], 1_620_000_000);
        assert_eq!(share["promised"], 1_450_000_000);
        assert_eq!(share["left"], 170_000_000);
        // Barking and Dagenham's page lists the services that cover it.
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let page = client.get(app.url("/areas/E09000002")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Taith (Journey) London"), "the borough page lists co-commissioned services");
        assert!(!page.contains("Whole System Approach to Female Offending"), "nor one that does not cover it");
    }

    async fn a_call_from_opening_to_award(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let provider = app.token(PROVIDER).await;
        let barnet = app.token(BARNET_OFFICER).await;
        let bd = app.token(BD_OFFICER).await;
        let assessor = app.token(ASSESSOR).await;
        let officer = app.token(FUNDER_OFFICER).await;
        let (opens_on, opens_time) = london(-1);
        let (closes_on, closes_time) = london(2);
        let terms = |name: &str, maximum: &str| json!({
            "fund_id": 1, "name": name, "first_year": "2019/20", "last_year": "2020/21", "maximum": maximum,
            "themes": ["Youth offending"], "leads": ["voluntary_sector"], "minimum_boroughs": "3",
            "opens_on": opens_on, "opens_time": opens_time, "closes_on": closes_on, "closes_time": closes_time,
            "criteria": [{"name": "Need", "kind": "scored", "max": 5, "weight": 3}, {"name": "Safeguarding", "kind": "pass_fail"}],
            "questions": [{"key": "need", "section": "The need", "prompt": "What need will it meet?", "kind": "long_text", "max_words": 50, "required": true}]
        });
        // Only a funder admin opens a call; one that would over-promise the share is refused with the figures.
        let (status, _) = send(&app, &officer, "POST", "/api/v1/calls", terms("Tranche 3", "£1,000,000")).await;
        assert_eq!(status, 403);
        let before = app.audit_count().await;
        let (status, problem) = send(&app, &admin, "POST", "/api/v1/calls", terms("Tranche 3", "£2,000,000")).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("£16,500,000, more than the Co-Commissioning share of £16,200,000"), "{problem}");
        assert_eq!(app.audit_count().await, before, "a refused call changed something");
        let (status, call) = send(&app, &admin, "POST", "/api/v1/calls", terms("Tranche 3", "£1,000,000")).await;
        assert_eq!(status, 201, "{call}");
        let call_id = call["id"].as_i64().unwrap();
        assert_eq!(call["state"], "open");

        // A borough cannot lead this call, and a closed call takes no new bid, saying when it closed.
        let t1 = app.call_id("Tranche 1").await;
        let (status, problem) = send(&app, &provider, "POST", &format!("/api/v1/calls/{t1}/bids"), json!({"title": "Late"})).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("closed for bids on 30 November 2017 at midday"), "{problem}");
        let (status, started) = send(&app, &provider, "POST", &format!("/api/v1/calls/{call_id}/bids"), json!({"title": "Youth links"})).await;
        assert_eq!(status, 201, "{started}");
        let bid = started["id"].as_i64().unwrap();
        let path = format!("/api/v1/bids/{bid}");

        // Another consortium's draft is not Barnet's to read, yet.
        assert_eq!(get(&app, &barnet, &path).await.0, 403);
        // Saved with problems, which block submission, one message each.
        let (status, saved) = send(&app, &provider, "PUT", &path, json!({"title": "Youth links", "boroughs": ["E09000003", "E09000005"], "amounts": {"2019/20": "£300,000"}})).await;
        assert_eq!(status, 200, "{saved}");
        let problems: Vec<&str> = saved["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap()).collect();
        assert!(problems.iter().any(|p| p.contains("at least 3 boroughs; this one covers 2")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("What need will it meet?")), "{problems:?}");
        let (status, problem) = send(&app, &provider, "POST", &format!("{path}/submit"), json!({})).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("at least 3 boroughs"), "{problem}");
        // What cannot be read changes nothing.
        let (status, problem) = send(&app, &provider, "PUT", &path, json!({"title": "Youth links", "amounts": {"2019/20": "lots"}})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "amount-2019/20", "{problem}");
        let barnet_org = app.organisation_id("Barnet").await;
        let full = json!({
            "title": "Youth links", "partners": [{"organisation_id": barnet_org, "role": "borough_sponsor"}],
            "boroughs": ["E09000003", "E09000005", "E09000007"], "amounts": {"2019/20": "£300,000", "2020/21": "£300,000"},
            "answers": {"need": "Young people drawn into county lines in north London."},
            "outcomes": [{"outcome": "Fewer young people exploited", "measure": "Young people leaving exploitation", "baseline": "None", "target": "60 a year"}]
        });
        let (status, saved) = send(&app, &provider, "PUT", &path, full.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(saved["problems"], json!([]), "{saved}");
        // Outcomes keep their stable keys when the bid is saved again.
        let (_, view) = get(&app, &provider, &path).await;
        let key = view["outcomes"][0]["key"].as_i64().unwrap();
        let mut again = full.clone();
        again["outcomes"][0]["key"] = json!(key);
        again["outcomes"][0]["target"] = json!("70 a year");
        send(&app, &provider, "PUT", &path, again).await;
        let (_, view) = get(&app, &provider, &path).await;
        assert_eq!(view["outcomes"][0]["key"], key);
        assert_eq!(view["outcomes"][0]["target"], "70 a year");
        // Now a partner, Barnet reads the bid but cannot change it.
        assert_eq!(get(&app, &barnet, &path).await.0, 200);
        assert_eq!(send(&app, &barnet, "PUT", &path, full.clone()).await.0, 403);
        let (status, moved) = send(&app, &provider, "POST", &format!("{path}/submit"), json!({})).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["state"], "submitted");
        assert_eq!(send(&app, &provider, "PUT", &path, full).await.0, 403, "a submitted bid is frozen");

        // Assessment: only funder staff assign; an assessor sees only assigned bids.
        let assessor_id = app.user_id(ASSESSOR).await;
        let officer_id = app.user_id(FUNDER_OFFICER).await;
        assert_eq!(send(&app, &bd, "POST", &format!("{path}/assessors"), json!({"user_id": assessor_id})).await.0, 403);
        assert_eq!(get(&app, &assessor, &path).await.0, 403, "not yet assigned");
        for user in [assessor_id, officer_id] {
            let (status, r) = send(&app, &admin, "POST", &format!("{path}/assessors"), json!({"user_id": user})).await;
            assert_eq!(status, 204, "{r}");
        }
        assert_eq!(get(&app, &assessor, &path).await.0, 200);
        let draft = app.bid_id("Minerva pathways for young women").await;
        assert_eq!(get(&app, &assessor, &format!("/api/v1/bids/{draft}")).await.0, 403, "an unassigned bid");
        let marks = json!({"marks": {"need": "4", "safeguarding": "pass"}, "comments": {"need": "Clear evidence", "safeguarding": "Policy seen"}});
        assert_eq!(send(&app, &bd, "PUT", &format!("{path}/scores"), marks.clone()).await.0, 403, "a borough officer never scores");
        let (status, problem) = send(&app, &assessor, "PUT", &format!("{path}/scores"), marks.clone()).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("conflict of interest"), "declare first: {problem}");
        assert_eq!(send(&app, &assessor, "POST", &format!("{path}/conflict"), json!({"conflicted": false})).await.0, 204);
        let (status, scored) = send(&app, &assessor, "PUT", &format!("{path}/scores"), marks.clone()).await;
        assert_eq!(status, 200, "{scored}");
        assert_eq!(scored["total"], "80.00%");
        let (status, problem) = send(&app, &officer, "POST", &format!("{path}/conflict"), json!({"conflicted": true})).await;
        assert_eq!(status, 422, "a conflict needs saying what it is: {problem}");
        assert_eq!(send(&app, &officer, "POST", &format!("{path}/conflict"), json!({"conflicted": true, "note": "Trustee of the lead"})).await.0, 204);
        let (status, problem) = send(&app, &officer, "PUT", &format!("{path}/scores"), marks).await;
        assert_eq!(status, 403);
        assert!(messages(&problem).contains("declared a conflict"), "{problem}");
        let (status, scores) = get(&app, &admin, &format!("{path}/scores")).await;
        assert_eq!(status, 200);
        assert_eq!(scores["combined"], "80.00%");
        assert_eq!(scores["assessors"].as_array().unwrap().len(), 2);

        // Moderation needs a reason; the ranking uses the moderated score.
        let (status, problem) = send(&app, &admin, "PUT", &format!("{path}/moderation"), json!({"score": "75", "passes_gates": true, "reason": ""})).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "reason");
        assert_eq!(send(&app, &admin, "PUT", &format!("{path}/moderation"), json!({"score": "75", "passes_gates": true, "reason": "Panel agreed delivery risk"})).await.0, 204);
        let (_, ranking) = get(&app, &officer, &format!("/api/v1/calls/{call_id}/ranking")).await;
        assert_eq!(ranking["rows"][0]["bid_id"], bid);
        assert_eq!(ranking["rows"][0]["score"], "75.00%");
        assert_eq!(ranking["rows"][0]["moderated"], true);
        assert_eq!(ranking["rows"][0]["running_total"], 60_000_000);

        // Awards: funder admin only, within the maximum, once per idempotency key.
        let over = json!({"decision_reference": "PCD 999", "decided_on": "2019-03-01", "amounts": {"2019/20": "£600,000", "2020/21": "£600,000"}});
        assert_eq!(send(&app, &officer, "POST", &format!("{path}/award"), over.clone()).await.0, 403);
        let before = app.audit_count().await;
        let (status, problem) = send(&app, &admin, "POST", &format!("{path}/award"), over).await;
        assert_eq!(status, 422);
        assert!(messages(&problem).contains("Awarding £1,200,000 would bring Tranche 3's awards to £1,200,000, over its maximum of £1,000,000"), "{problem}");
        assert_eq!(app.audit_count().await, before);
        let award = json!({"decision_reference": "PCD 999", "decided_on": "2019-03-01", "conditions": "Subject to grant conditions", "amounts": {"2019/20": "£300,000", "2020/21": "£250,000"}});
        let send_award = || async {
            let r = app.client().post(app.url(&format!("{path}/award"))).bearer_auth(&admin).header("Idempotency-Key", "award-youth-links").json(&award).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        };
        let (status, first) = send_award().await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["total"], 55_000_000);
        let after_first = app.audit_count().await;
        let (status, repeat) = send_award().await;
        assert_eq!(status, 201);
        assert_eq!(repeat["id"], first["id"], "the same award, not a second one");
        assert_eq!(app.audit_count().await, after_first, "a repeated award changed nothing");
        let (_, view) = get(&app, &provider, &path).await;
        assert_eq!(view["state"]["code"], "awarded");
        assert_eq!(view["award"]["decision_reference"], "PCD 999");
        let (_, coverage) = get(&app, &admin, "/api/v1/co-commissioning/coverage").await;
        assert_eq!(coverage["services"].as_array().unwrap().len(), 5);

        // Declining needs feedback, and ends the bid.
        let t2_bid = app.bid_id("Safer Futures: county lines early help").await;
        let (status, _) = send(&app, &admin, "POST", &format!("/api/v1/bids/{t2_bid}/decline"), json!({"feedback": " "})).await;
        assert_eq!(status, 422);
        assert_eq!(send(&app, &admin, "POST", &format!("/api/v1/bids/{t2_bid}/decline"), json!({"feedback": "Overlaps Out There Response and Rescue"})).await.0, 204);
        let (_, declined) = get(&app, &admin, &format!("/api/v1/bids/{t2_bid}")).await;
        assert_eq!(declined["state"]["code"], "declined");
        assert_eq!(send(&app, &admin, "POST", &format!("/api/v1/bids/{t2_bid}/decline"), json!({"feedback": "Again"})).await.0, 403, "a decided bid stays decided");
    }

    async fn the_bid_form_refuses_what_it_cannot_read_and_saves_nothing(app: TestApp) {
        let (client, csrf) = app.signed_in(PROVIDER).await;
        let draft = app.bid_id("Minerva pathways for young women").await;
        let page = client.get(app.url(&format!("/bids/{draft}/edit"))).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("Boroughs covered") && page.contains("What need will the service meet"), "the call's own questions are on the form");
        let before = app.app.bid(&lcpf_app::Actor::System, draft).await.unwrap();
        let r = client.post(app.url(&format!("/bids/{draft}/edit")))
            .form(&[("csrf_token", csrf.as_str()), ("title", "Changed"), ("amount-2019/20", "lots"), ("boroughs", "E09000003")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("govuk-error-summary") && page.contains("href=\"#amount-2019/20\""), "the error names the field");
        let after = app.app.bid(&lcpf_app::Actor::System, draft).await.unwrap();
        assert_eq!(before, after, "nothing was saved");
        // A file is checked by its content, as claim evidence is: text named .pdf is refused,
        // saying which kinds are allowed.
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(b"Our delivery plan".to_vec()).file_name("fake.pdf").mime_str("application/pdf").unwrap());
        let r = client.post(app.url(&format!("/bids/{draft}/files/plan"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("is named as a PDF file but its content is not one") && page.contains("Word (.docx)"), "{page}");
        assert_eq!(app.app.bid(&lcpf_app::Actor::System, draft).await.unwrap(), before, "nothing was attached");
        // A file attaches through the file store and downloads for the bid's parties only.
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(b"Our delivery plan".to_vec()).file_name("plan.csv").mime_str("text/csv").unwrap());
        let r = client.post(app.url(&format!("/bids/{draft}/files/plan"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let file = client.get(app.url(&format!("/bids/{draft}/files/plan"))).send().await.unwrap();
        assert_eq!(file.status(), 200);
        assert!(file.headers()["content-disposition"].to_str().unwrap().contains("plan.csv"));
        assert_eq!(file.bytes().await.unwrap().as_ref(), b"Our delivery plan");
        let (barnet, _) = app.signed_in(BARNET_OFFICER).await;
        assert_eq!(barnet.get(app.url(&format!("/bids/{draft}/files/plan"))).send().await.unwrap().status(), 403);
    }
}

mod pages {
    use super::*;
    backend_tests! {
        async fn a_calls_bids_come_fifty_a_page(app: TestApp) {
            let t2 = app.call_id("Tranche 2").await;
            let advance = app.actor(PROVIDER).await;
            for i in 0..50 {
                app.app.start_bid(&advance, t2, &format!("Draft {i}")).await.unwrap();
            }
            let admin = app.token(ADMIN).await;
            let (status, first) = get(&app, &admin, &format!("/api/v1/calls/{t2}")).await;
            assert_eq!(status, 200);
            assert_eq!(first["bids"].as_array().unwrap().len(), 50);
            assert_eq!(first["pages"], json!({"page": 1, "pages": 2, "total": 52}));
            let (_, second) = get(&app, &admin, &format!("/api/v1/calls/{t2}?page=2")).await;
            let titles: Vec<&str> = second["bids"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap()).collect();
            assert_eq!(titles, ["Draft 48", "Draft 49"]);
            // The provider sees its own 51, not St Giles Trust's bid.
            let provider = app.token(PROVIDER).await;
            let (_, own) = get(&app, &provider, &format!("/api/v1/calls/{t2}?page=2")).await;
            assert_eq!(own["pages"]["total"], 51);
            let (client, _) = app.signed_in(ADMIN).await;
            let page = client.get(app.url(&format!("/calls/{t2}?page=2"))).send().await.unwrap().text().await.unwrap();
            assert!(page.contains("Page 2 of 2 (52 bids)") && page.contains("rel=\"prev\""), "the page says where it is");
        }
    }
}

mod questions {
    use super::*;
    backend_tests! {
        async fn a_new_call_takes_questions_and_criteria_until_it_opens(app: TestApp) {
            let admin = app.token(ADMIN).await;
            let (opens_on, opens_time) = london(5);
            let (closes_on, closes_time) = london(30);
            let t2 = app.call_id("Tranche 2").await;
            let (status, call) = send(&app, &admin, "POST", &format!("/api/v1/calls/{t2}/copy"), json!({"name": "Tranche 2b", "maximum": "£1,000,000", "opens_on": opens_on, "opens_time": opens_time, "closes_on": closes_on, "closes_time": closes_time})).await;
            assert_eq!(status, 201, "{call}");
            let id = call["id"].as_i64().unwrap();
            assert_eq!(call["copied_from"], t2);
            let (status, problem) = send(&app, &admin, "POST", &format!("/api/v1/calls/{id}/questions"), json!({"section": "Money", "prompt": "Which?", "kind": "choice", "options": ["One"]})).await;
            assert_eq!(status, 422);
            assert!(messages(&problem).contains("two options or more"), "{problem}");
            let (status, _) = send(&app, &admin, "POST", &format!("/api/v1/calls/{id}/questions"), json!({"section": "Money", "prompt": "How much match funding is secured?", "kind": "money_per_year", "required": true})).await;
            assert_eq!(status, 204);
            let (status, _) = send(&app, &admin, "POST", &format!("/api/v1/calls/{id}/criteria"), json!({"name": "Sustainability", "kind": "scored", "max": 5, "weight": 1})).await;
            assert_eq!(status, 204);
            let (_, detail) = get(&app, &admin, &format!("/api/v1/calls/{id}")).await;
            let money = detail["sections"].as_array().unwrap().iter().find(|s| s["section"] == "Money").unwrap();
            assert_eq!(money["questions"].as_array().unwrap().last().unwrap()["takes"], "An amount for each year");
            assert_eq!(detail["criteria"].as_array().unwrap().last().unwrap()["scoring"], "0 to 5, weight 1");
            // An open call's questions stay as they were.
            let (status, problem) = send(&app, &admin, "POST", &format!("/api/v1/calls/{t2}/criteria"), json!({"name": "Late", "kind": "pass_fail"})).await;
            assert_eq!(status, 403);
            assert!(messages(&problem).contains("has opened for bids"), "{problem}");
        }
    }
}
