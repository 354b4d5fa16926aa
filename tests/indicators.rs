//! Importing indicator data: a preview with every problem by row and column, nothing saved
//! until confirmed, and all or nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::Actor;
use reqwest::multipart::{Form, Part};

fn upload(csrf: &str, dataset: &str, csv: &str) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_string())
        .text("dataset", dataset.to_string())
        .text("source", "ONS mid-year estimates 2021".to_string())
        .part(
            "file",
            Part::bytes(csv.as_bytes().to_vec())
                .file_name("population.csv")
                .mime_str("text/csv")
                .unwrap(),
        )
}

backend_tests! {
    async fn a_bad_file_lists_every_problem_and_saves_nothing(app: TestApp) {
        let (client, csrf) = app.signed_in(FUNDER_OFFICER).await;
        let before = (app.audit_count().await, app.app.indicator_datasets(&Actor::System).await.unwrap().len());
        let csv = "area,value\nBarnet,395869\nGotham,12\nSutton,-4\nBarnet,1\nCamden,lots\n";
        let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "Population 2021", csv)).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body = r.text().await.unwrap();
        for text in ["nothing has been saved", "row 3, column area: “Gotham” is not a London area", "row 4, column value: “-4” is negative", "row 5, column area: Barnet appears more than once", "row 6, column value: “lots” is not a number"] {
            assert!(body.contains(text), "missing “{text}”");
        }
        let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "Recorded crime 2016/17", "area,value\nBarnet,1\n")).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("already exists"));
        let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "X", "borough,count\nBarnet,1\n")).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("header area,value"));
        assert_eq!((app.audit_count().await, app.app.indicator_datasets(&Actor::System).await.unwrap().len()), before);
    }

    async fn a_good_file_is_previewed_then_imported_and_used(app: TestApp) {
        let (client, csrf) = app.signed_in(FUNDER_OFFICER).await;
        let csv = "area,value\nE09000002,218900\n\"Barking & Dagenham\"\nBarnet,\"395,869\"\n";
        let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "Population 2021", csv)).send().await.unwrap();
        assert_eq!(r.status(), 400, "a row with no value is a problem");
        let csv = "area,value\nE09000002,218900\nBarnet,\"395,869\"\nCamden,210100\n";
        let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "Population 2021", csv)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("Nothing has been saved yet") && page.contains("Barking and Dagenham") && page.contains("395869"));
        assert!(!app.app.indicator_datasets(&Actor::System).await.unwrap().iter().any(|d| d.dataset == "Population 2021"), "a preview saves nothing");
        // A confirm whose text was changed on the way is checked again: nothing is saved.
        let before = app.audit_count().await;
        let r = client.post(app.url("/indicators"))
            .form(&[("csrf_token", csrf.as_str()), ("dataset", "Population 2021"), ("source", "x"), ("csv", "area,value\nBarnet,1\nNowhere,2\n")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(app.audit_count().await, before);
        let r = client.post(app.url("/indicators"))
            .form(&[("csrf_token", csrf.as_str()), ("dataset", hidden(&page, "dataset").as_str()), ("source", hidden(&page, "source").as_str()), ("csv", hidden(&page, "csv").as_str())])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let list = client.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("“Population 2021” has been imported") && list.contains("ONS mid-year estimates 2021"));
        let mut conn = app.app.db().pool().acquire().await.unwrap();
        let values = lcpf_store::queries::funds::dataset_values(&mut conn, "Population 2021").await.unwrap();
        assert_eq!(values, vec![("E09000002".to_string(), 218_900_000_000), ("E09000003".to_string(), 395_869_000_000), ("E09000007".to_string(), 210_100_000_000)]);
    }

    async fn only_funder_staff_import(app: TestApp) {
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "Mine", "area,value\nBarnet,1\n")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(client.get(app.url("/indicators")).send().await.unwrap().status(), 403);
    }
}

mod api {
    use super::common::*;

    crate::backend_tests! {
        async fn datasets_are_imported_through_the_api_all_or_nothing(app: TestApp) {
            let token = app.token(FUNDER_OFFICER).await;
            let client = app.client();
            let r = client.post(app.url("/api/v1/indicator-datasets")).bearer_auth(&token)
                .json(&serde_json::json!({"dataset": "Demand 2023", "source": "Borough returns", "csv": "area,value\nBarnet,10\nAtlantis,3\nSutton,x\n"}))
                .send().await.unwrap();
            assert_eq!(r.status(), 422);
            let body: serde_json::Value = r.json().await.unwrap();
            let messages: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
            assert_eq!(messages.len(), 2);
            assert!(messages[0].starts_with("row 3, column area") && messages[1].starts_with("row 4, column value"));
            let r = client.post(app.url("/api/v1/indicator-datasets")).bearer_auth(&token)
                .json(&serde_json::json!({"dataset": "Demand 2023", "source": "Borough returns", "csv": "area,value\nBarnet,10\nSutton,4.5\n"}))
                .send().await.unwrap();
            assert_eq!(r.status(), 201);
            let list: Vec<serde_json::Value> = client.get(app.url("/api/v1/indicator-datasets")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            assert!(list.iter().any(|d| d["dataset"] == "Demand 2023" && d["source"] == "Borough returns"));
        }
    }
}

mod encodings {
    use super::*;
    crate::backend_tests! {
        async fn a_windows_1252_file_from_excel_is_read_not_refused_as_not_text(app: TestApp) {
            let (client, csrf) = app.signed_in(FUNDER_OFFICER).await;
            // Excel on Windows writes an en dash as the single byte 96.
            let form = Form::new()
                .text("csrf_token", csrf.clone())
                .text("dataset", "Population 2021")
                .text("source", "ONS")
                .part("file", Part::bytes(b"area,value\nBarnet,\x96\n".to_vec()).file_name("p.csv"));
            let r = client.post(app.url("/indicators/preview")).multipart(form).send().await.unwrap();
            assert_eq!(r.status(), 400);
            let body = r.text().await.unwrap();
            assert!(body.contains("row 2, column value: “–” is not a number"), "{body}");
        }

        async fn a_decimal_comma_is_refused_not_read_as_thousands(app: TestApp) {
            let (client, csrf) = app.signed_in(FUNDER_OFFICER).await;
            let r = client.post(app.url("/indicators/preview")).multipart(upload(&csrf, "Rate 2021", "area,value\nBarnet,\"12,34\"\n")).send().await.unwrap();
            assert_eq!(r.status(), 400);
            let body = r.text().await.unwrap();
            assert!(body.contains("“12,34” has a comma that does not separate thousands"), "{body}");
        }
    }
}
