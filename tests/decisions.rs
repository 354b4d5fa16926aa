//! Recording a decision made elsewhere (issue 10 §6): a published table entered from a page
//! (CSV or Excel, previewed first) or the API, compared with the total it states and never
//! adjusted; one borough added or corrected later through an amendment with its reason.
//! On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::Actor;
use reqwest::multipart::{Form, Part};

fn upload(csrf: &str, year: &str, stated: &str, file: Vec<u8>, name: &str) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_string())
        .text("year", year.to_string())
        .text("reference", "PCD 123".to_string())
        .text("decided_on", "2018-03-01".to_string())
        .text(
            "decision_maker",
            "Deputy Mayor for Policing and Crime".to_string(),
        )
        .text("summary", "LCPF 2018/19 borough allocations".to_string())
        .text("stated_total", stated.to_string())
        .part("file", Part::bytes(file).file_name(name.to_string()))
}

/// Allocations decided for `year` in the 2017/18 period: (ONS code, pence).
async fn decided(app: &TestApp, year: &str) -> Vec<(String, i64)> {
    let period = app.period_id("2017/18").await;
    let view = app.app.period(&Actor::System, period).await.unwrap();
    view.allocations
        .into_iter()
        .filter(|a| a.year == year)
        .map(|a| (a.area_code, a.amount_pence))
        .collect()
}

backend_tests! {
    async fn a_published_table_is_previewed_then_recorded_with_its_mismatch_shown(app: TestApp) {
        let period = app.period_id("2017/18").await;
        let (admin, csrf) = app.signed_in(ADMIN).await;
        let form = admin.get(app.url(&format!("/periods/{period}/decisions/new"))).send().await.unwrap();
        assert_eq!(form.status(), 200);
        let html = form.text().await.unwrap();
        assert!(html.contains("<option value=\"2018/19\"") && !html.contains("<option value=\"2017/18\""), "only undecided years are offered");
        // The decision states £1,200,000; its rows add up to £1,200,001.
        let csv = "area,amount\nBarnet,\"£500,000\"\nSutton,400001\nBarking & Dagenham,\"£300,000\"\n";
        let before = app.audit_count().await;
        let r = admin.post(app.url(&format!("/periods/{period}/decisions/preview"))).multipart(upload(&csrf, "2018/19", "£1,200,000", csv.into(), "t.csv")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("states a total of £1,200,000, but its rows add up to £1,200,001: a difference of £1"), "{html}");
        assert!(html.contains("leaves out 29 boroughs"));
        assert_eq!(app.audit_count().await, before, "a preview saves nothing");
        assert!(decided(&app, "2018/19").await.is_empty());
        // Confirmed: recorded as given, not adjusted; the page shows both figures.
        let table = hidden(&html, "table");
        let fields = [("csrf_token", csrf.as_str()), ("year", "2018/19"), ("reference", "PCD 123"), ("decided_on", "2018-03-01"), ("decision_maker", "Deputy Mayor for Policing and Crime"), ("summary", "LCPF 2018/19 borough allocations"), ("stated_total", "£1,200,000"), ("table", table.as_str())];
        let r = admin.post(app.url(&format!("/periods/{period}/decisions"))).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let mut rows = decided(&app, "2018/19").await;
        rows.sort();
        assert_eq!(rows, [("E09000002".to_string(), 30_000_000), ("E09000003".to_string(), 50_000_000), ("E09000029".to_string(), 40_000_100)]);
        let page = admin.get(app.url(&format!("/periods/{period}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Decision PCD 123 states a total of £1,200,000, but its rows add up to £1,200,001"));
        assert!(page.contains("£1,844,001"), "the period's total across its years (£644,000 + £1,200,001)");
        // The year is now locked: recording it again is refused.
        let r = admin.post(app.url(&format!("/periods/{period}/decisions"))).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("correct one borough with an amendment"));
    }

    async fn a_bad_table_lists_every_problem_and_records_nothing(app: TestApp) {
        let period = app.period_id("2017/18").await;
        let (admin, csrf) = app.signed_in(ADMIN).await;
        let before = app.audit_count().await;
        let csv = "area,amount\nBarnet,£5\nGotham,1\nSutton,-3\nBarnet,4\nCity of London,100\nCamden,\"12,34\"\n";
        let r = admin.post(app.url(&format!("/periods/{period}/decisions/preview"))).multipart(upload(&csrf, "2018/19", "lots", csv.into(), "t.csv")).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        for text in ["nothing has been saved", "row 3, column area: “Gotham” is not a London area", "row 4, column amount: “-3” is negative", "row 5, column area: Barnet appears more than once", "E09000001 does not take part in the fund", "row 7, column amount", "The stated total"] {
            assert!(html.contains(text), "missing “{text}” in the page");
        }
        let r = admin.post(app.url(&format!("/periods/{period}/decisions/preview"))).multipart(upload(&csrf, "2030/31", "", b"area,amount\nBarnet,1\n".to_vec(), "t.csv")).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("2030/31 is not a year of this funding period"));
        assert_eq!(app.audit_count().await, before);
        assert!(decided(&app, "2018/19").await.is_empty());
        // Only a funder admin records decisions.
        let (officer, officer_csrf) = app.signed_in(FUNDER_OFFICER).await;
        let r = officer.post(app.url(&format!("/periods/{period}/decisions/preview"))).multipart(upload(&officer_csrf, "2018/19", "", b"area,amount\nBarnet,1\n".to_vec(), "t.csv")).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }

    async fn an_excel_table_is_read_like_a_csv(app: TestApp) {
        let period = app.period_id("2017/18").await;
        let (admin, csrf) = app.signed_in(ADMIN).await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "area").unwrap();
        sheet.write_string(0, 1, "amount").unwrap();
        sheet.write_string(1, 0, "Barnet").unwrap();
        sheet.write_number(1, 1, 500000.0).unwrap();
        sheet.write_string(3, 0, "Sutton").unwrap();
        sheet.write_number(3, 1, 400000.5).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let r = admin.post(app.url(&format!("/periods/{period}/decisions/preview"))).multipart(upload(&csrf, "2018/19", "£900,000.50", bytes, "t.xlsx")).send().await.unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("£400,000.50") && html.contains("£900,000.50") && !html.contains("a difference of"), "{html}");
    }

    async fn one_borough_is_added_or_corrected_by_an_amendment_with_its_reason(app: TestApp) {
        let period = app.period_id("2017/18").await;
        let (admin, csrf) = app.signed_in(ADMIN).await;
        let path = format!("/periods/{period}/amendments");
        // Every problem named, nothing changed.
        let before = app.audit_count().await;
        let r = admin.post(app.url(&path)).form(&[("csrf_token", csrf.as_str()), ("year", "2018/19"), ("area", "Gotham"), ("amount", "x"), ("reason", "")]).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        assert!(html.contains("“Gotham” is not a borough that takes part") && html.contains("Enter the reason"), "{html}");
        let r = admin.post(app.url(&path)).form(&[("csrf_token", csrf.as_str()), ("year", "2018/19"), ("area", "E09000003"), ("amount", "£1"), ("reason", "Test")]).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("2018/19 has not been decided yet"));
        assert_eq!(app.audit_count().await, before);
        // Barnet added to 2017/18 after Barking and Dagenham was decided; then B&D corrected.
        let r = admin.post(app.url(&path)).form(&[("csrf_token", csrf.as_str()), ("year", "2017/18"), ("area", "E09000003"), ("amount", "£412,000"), ("reason", "Barnet's allocation from the same notification")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let r = admin.post(app.url(&path)).form(&[("csrf_token", csrf.as_str()), ("year", "2017/18"), ("area", "Barking and Dagenham"), ("amount", "£644,001"), ("reason", "Correction notified by MOPAC")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let mut rows = decided(&app, "2017/18").await;
        rows.sort();
        assert_eq!(rows, [("E09000002".to_string(), 64_400_100), ("E09000003".to_string(), 41_200_000)]);
        assert_eq!(app.audit_count().await, before + 2);
        let page = admin.get(app.url(&format!("/periods/{period}"))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Amendments since the decision") && page.contains("Correction notified by MOPAC") && page.contains("£644,000") && page.contains("£644,001"));
        // The envelope follows: Barking and Dagenham's proposal now has £1 more headroom.
        let id = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
        assert_eq!(view.totals.headroom.map(|m| m.pence()), Some(400_100));
    }

    async fn the_api_previews_records_and_amends_and_the_period_shows_its_streams(app: TestApp) {
        let period = app.period_id("2017/18").await;
        let token = app.token(ADMIN).await;
        let client = app.client();
        let body = serde_json::json!({"year": "2018/19", "reference": "PCD 124", "decided_on": "2018-03-02", "decision_maker": "DMPC", "summary": "Two boroughs", "stated_total": "£900,000", "allocations": [{"area": "Barnet", "amount": "£500,000"}, {"area": "E09000029", "amount": "£400,001"}]});
        let r = client.post(app.url(&format!("/api/v1/periods/{period}/decisions?preview=true"))).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let preview: serde_json::Value = r.json().await.unwrap();
        assert_eq!(preview["reconciliation"]["sum"], 90_000_100);
        assert_eq!(preview["reconciliation"]["stated"], 90_000_000);
        assert!(preview["mismatch"].as_str().unwrap().contains("a difference of £1"));
        assert!(decided(&app, "2018/19").await.is_empty());
        let r = client.post(app.url(&format!("/api/v1/periods/{period}/decisions"))).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let d: serde_json::Value = r.json().await.unwrap();
        assert_eq!(d["stated_total_pence"], 90_000_000);
        let r = client.post(app.url(&format!("/api/v1/periods/{period}/amendments"))).bearer_auth(&token).json(&serde_json::json!({"year": "2018/19", "area": "Sutton", "amount": "£400,000", "reason": "The £1 was a typing slip"})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let detail: serde_json::Value = client.get(app.url(&format!("/api/v1/periods/{period}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(detail["amendments"][0]["before_pence"], 40_000_100);
        assert_eq!(detail["amendments"][0]["after_pence"], 40_000_000);
        assert!(detail["streams"].is_array());
        // The DIP period's two real streams are in its API answer.
        let funds = app.app.list_funds(&Actor::System).await.unwrap();
        let dip_fund = funds.iter().find(|f| f.name != lcpf_app::demo::funds::FUND_NAME).unwrap();
        let dip = app.app.fund(&Actor::System, dip_fund.id).await.unwrap().1[0].0.id;
        let detail: serde_json::Value = client.get(app.url(&format!("/api/v1/periods/{dip}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(detail["streams"].as_array().unwrap().len(), 2, "{detail}");
        // A funder officer may not record decisions.
        let officer = app.token(FUNDER_OFFICER).await;
        let r = client.post(app.url(&format!("/api/v1/periods/{period}/decisions"))).bearer_auth(&officer).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
}

mod exports {
    use super::*;
    backend_tests! {
        async fn the_period_exports_carry_its_budgets_streams_and_amendments(app: TestApp) {
            let period = app.period_id("2017/18").await;
            let (client, _) = app.signed_in(FUNDER_OFFICER).await;
            let csv = client.get(app.url(&format!("/periods/{period}/budgets.csv"))).send().await.unwrap().text().await.unwrap();
            let csv = csv.trim_start_matches('\u{feff}');
            let mut reader = csv::Reader::from_reader(csv.as_bytes());
            let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
            // 2018/19: £18m with 30% top-sliced: £5.4m to co-commissioning, £12.6m shared.
            let y = rows.iter().find(|r| &r[0] == "2018/19").unwrap();
            assert_eq!((&y[1], &y[2], &y[3], &y[4]), ("18000000.00", "30%", "5400000.00", "12600000.00"));
            let bytes = client.get(app.url(&format!("/periods/{period}/allocations.xlsx"))).send().await.unwrap().bytes().await.unwrap();
            let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
            use calamine::Reader;
            assert_eq!(book.sheet_names(), ["Allocations", "Budgets", "Other streams", "Amendments"]);
        }
    }
}
