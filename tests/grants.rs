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

/// An HTML attribute's value as the browser would send it back.
fn unescape(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let Some(end) = rest[i..].find(';') else {
            break;
        };
        let entity = &rest[i + 1..i + end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..i + end + 1]),
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    common::api_send(app, token, "POST", path, body).await
}

backend_tests! {
    async fn each_tranche_1_award_has_a_live_grant_to_its_lead(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let (status, page) = get(&app, &admin, "/api/v1/grants").await;
        assert_eq!(status, 200);
        let rows: Vec<&Value> = page["rows"].as_array().unwrap().iter().filter(|r| !r["reference"].as_str().unwrap().starts_with("LCPF 2013/14")).collect();
        assert_eq!(rows.len(), 4, "the Tranche 1 awards' grants, beside the imported history");
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

    async fn bexley_and_barnet_2013_17_grants_are_imported_history(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let (_, page) = get(&app, &admin, "/api/v1/grants").await;
        let find = |name: &str| page["rows"].as_array().unwrap().iter().find(|r| r["reference"] == format!("LCPF 2013/14 to 2016/17: {name}")).unwrap_or_else(|| panic!("no {name} grant")).clone();
        let (_, bexley) = get(&app, &admin, &format!("/api/v1/grants/{}", find("Bexley")["id"])).await;
        assert_eq!(bexley["state"]["code"], "live");
        assert_eq!(bexley["source"], "Imported from before LCPF");
        assert_eq!(bexley["projects"].as_array().unwrap().len(), 8, "the seed's eight initiatives");
        let years = bexley["year_totals"].as_array().unwrap();
        // 2013/14 firm: the eight initiatives, £67,677 DIP among them; the later years provisional.
        assert_eq!(years[0]["year"], "2013/14");
        assert_eq!(years[0]["firm"], 20_990_700);
        assert_eq!(years[0]["provisional"], 0);
        assert_eq!((years[1]["firm"].as_i64(), years[1]["provisional"].as_i64()), (Some(0), Some(4_500_000)));
        assert_eq!(years[3]["provisional"], 2_000_000, "2016/17: the Freedom Programme only");
        assert!(bexley["conditions"].as_str().unwrap().contains("assumed to be 2013/14 to 2015/16"), "the assumption is said");
        let dip = bexley["projects"].as_array().unwrap().iter().find(|p| p["name"] == "Drugs Intervention Programme (DIP)").unwrap();
        assert_eq!(dip["total"], 6_767_700);
        // It matches Bexley's decided 2013/14 allocation to the penny.
        let (_, allocations) = get(&app, &admin, "/api/v1/areas/E09000004/allocations").await;
        let y2013 = allocations.as_array().unwrap().iter().find(|a| a["year"] == "2013/14").unwrap();
        assert_eq!(y2013["amount_pence"], 20_990_700, "{y2013}");

        let (_, barnet) = get(&app, &admin, &format!("/api/v1/grants/{}", find("Barnet")["id"])).await;
        assert_eq!(barnet["projects"].as_array().unwrap().len(), 5);
        assert!(barnet["conditions"].as_str().unwrap().contains("ILLUSTRATIVE"));
        let v = &barnet["variations"][0];
        assert!(v["reason"].as_str().unwrap().starts_with("In June 2015 this agreement was updated"));
        assert_eq!(v["varied_on"], "2015-06-01");
        assert_eq!(barnet["total"], 138_000_000, "moving money between projects keeps the total");
        // Barnet's officer sees its grant; Barking and Dagenham's does not.
        assert_eq!(get(&app, &app.token(BARNET_OFFICER).await, &format!("/api/v1/grants/{}", barnet["id"])).await.0, 200);
        assert_eq!(get(&app, &app.token(BD_OFFICER).await, &format!("/api/v1/grants/{}", barnet["id"])).await.0, 403);
    }

    async fn a_grants_spreadsheet_is_imported_all_or_nothing(app: TestApp) {
        let admin = app.token(ADMIN).await;
        let send = |token: String, path: &'static str, body: &'static str| {
            let client = app.client();
            let url = app.url(path);
            async move {
                let r = client.post(url).bearer_auth(token).header("content-type", "text/csv").body(body).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            }
        };
        const HEADER: &str = "Grant reference,Recipient,First year,Last year,Project,Year,Revenue,Capital,Certainty,Stated total,Note\n";
        let bad: &'static str = Box::leak(format!("{HEADER}Havering 2013-17,Havering,2013/14,2016/17,Mentoring,2013/14,10000,,firm,,\nHavering 2013-17,Havering,2013/14,2016/17,Mentoring,2019/20,5000,,firm,,\nHavering 2013-17,Nowhere Council,2013/14,2016/17,Mentoring,2014/15,lots,,sometimes,,\n").into_boxed_str());
        let bd = app.token(BD_OFFICER).await;
        let before = app.audit_count().await;
        let period = app.period_id("2013/14").await;
        let import: &'static str = Box::leak(format!("/api/v1/grants/import?period={period}").into_boxed_str());
        let preview_path: &'static str = Box::leak(format!("/api/v1/grants/import?preview=true&period={period}").into_boxed_str());
        assert_eq!(send(bd, import, bad).await.0, 403);
        let (status, problem) = send(admin.clone(), "/api/v1/grants/import", bad).await;
        assert_eq!(status, 422, "no period named");
        assert!(messages(&problem).contains("Choose the funding period"), "{problem}");
        let (status, problem) = send(admin.clone(), import, bad).await;
        assert_eq!(status, 422);
        let all = messages(&problem);
        for expected in ["Row 3, column “Year”: 2019/20 is outside", "Row 4, column “Revenue”", "Row 4, column “Certainty”"] {
            assert!(all.contains(expected), "missing {expected}: {all}");
        }
        assert_eq!(app.audit_count().await, before, "a refused import changes nothing");
        let (_, page) = get(&app, &admin, "/api/v1/grants").await;
        assert!(!page["rows"].as_array().unwrap().iter().any(|r| r["reference"] == "Havering 2013-17"), "nothing was saved");

        // A stated total that differs from the rows is shown with both figures; the rows are imported.
        let good: &'static str = Box::leak(format!("{HEADER}Havering 2013-17,Havering,2013/14,2016/17,Mentoring,2013/14,10000,,firm,\"£10,001\",\nHavering 2013-17,Havering,2013/14,2016/17,Mentoring,2014/15,5000,,provisional,,\n").into_boxed_str());
        let (status, preview) = send(admin.clone(), preview_path, good).await;
        assert_eq!(status, 200);
        assert!(preview["errors"].as_array().unwrap().is_empty(), "{preview}");
        let mismatch = preview["grants"][0]["mismatch"].as_str().unwrap();
        assert!(mismatch.contains("£10,001") && mismatch.contains("£15,000"), "{mismatch}");
        assert_eq!(app.audit_count().await, before, "a preview saves nothing");
        let (status, made) = send(admin.clone(), import, good).await;
        assert_eq!(status, 201, "{made}");
        let id = made["ids"][0].as_i64().unwrap();
        let (_, grant) = get(&app, &admin, &format!("/api/v1/grants/{id}")).await;
        assert_eq!(grant["total"], 1_500_000);
        assert_eq!(grant["state"]["code"], "live");
        let (status, again) = send(admin.clone(), import, good).await;
        assert_eq!(status, 422);
        assert!(messages(&again).contains("already in LCPF"), "{again}");
    }

    async fn the_import_page_reads_a_workbook_previews_it_and_imports_on_confirmation(app: TestApp) {
        // An Excel workbook, as a grants officer would keep the history.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let header = ["Grant reference", "Recipient", "First year", "Last year", "Project", "Year", "Revenue", "Capital", "Certainty"];
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let row = ["Sutton 2013-17", "Sutton", "2013/14", "2016/17", "Safer Neighbourhoods", "2013/14"];
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(1, c as u16, *v).unwrap();
        }
        sheet.write_number(1, 6, 12_500.5).unwrap();
        sheet.write_string(1, 8, "firm").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let (client, csrf) = app.signed_in(ADMIN).await;
        assert_eq!(client.get(app.url("/grants/import")).send().await.unwrap().status(), 200);
        let period = app.period_id("2013/14").await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .text("period", period.to_string())
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("history.xlsx"));
        let r = client.post(app.url("/grants/import/preview")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("What would be imported") && page.contains("Sutton 2013-17") && page.contains("£12,500.50"), "the preview");
        let before = app.audit_count().await;
        let raw = page.split("name=\"csv\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        let csv = unescape(raw);
        let r = client.post(app.url("/grants/import")).form(&[("csrf_token", csrf.as_str()), ("csv", csv.as_str()), ("period", period.to_string().as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303, "imported");
        assert_eq!(app.audit_count().await, before + 1);
        let list = client.get(app.url("/grants")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("Sutton 2013-17"));
    }

    async fn the_agreement_downloads_as_a_word_document(app: TestApp) {
        use std::io::Read;
        let admin = app.token(ADMIN).await;
        let (_, page) = get(&app, &admin, "/api/v1/grants").await;
        let taith = page["rows"].as_array().unwrap().iter().find(|r| r["recipient"] == "Barnardo's").unwrap().clone();
        let (_, grant) = get(&app, &admin, &format!("/api/v1/grants/{}", taith["id"])).await;
        let path = format!("/grants/{}/agreement.docx", taith["id"]);
        let (client, _) = app.signed_in("taith@barnardos.example").await;
        let r = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment; filename=\"Grant agreement ") && disposition.ends_with(".docx\""), "{disposition}");
        let bytes = r.bytes().await.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut xml = String::new();
        archive.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
        // The agreement's terms, profile, milestones and signature, as its page has them.
        let money = |v: &Value| lcpf_domain::Money::from_pence(v.as_i64().unwrap()).to_string();
        for expected in [
            grant["reference"].as_str().unwrap().to_string(),
            "The Mayor&apos;s Office for Policing and Crime and Barnardo&apos;s".to_string(),
            "On milestones".to_string(),
            money(&grant["year_totals"][0]["firm"]),
            money(&grant["payment_plan"]["milestones"][0]["amount"]),
            "Accepted by".to_string(),
        ] {
            assert!(xml.contains(&expected), "the agreement lacks {expected}");
        }
        // Another organisation's officer may not download it.
        let (other, _) = app.signed_in(PROVIDER).await;
        assert_eq!(other.get(app.url(&path)).send().await.unwrap().status(), 403);
    }
}
