//! Every change writes an audit record with who, what, before and after; the log can be
//! browsed, filtered and exported, and cannot be edited.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::Actor;

backend_tests! {
    async fn a_change_is_audited_with_before_and_after(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let barnet = app.organisation_id("Barnet").await;
        let r = client.post(app.url(&format!("/organisations/{barnet}/contact")))
            .form(&[("csrf_token", csrf.as_str()), ("contact_email", "csu@barnet.example"), ("website", "https://www.barnet.gov.uk")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let filter = lcpf_app::AuditFilter { entity_type: Some("organisation".into()), entity_id: Some(barnet.to_string()), ..Default::default() };
        let page = app.app.audit_log(&Actor::System, &filter, None).await.unwrap();
        let record = page.records.first().expect("an audit record");
        assert_eq!(record.actor, ADMIN);
        assert_eq!(record.action, "organisation.update_contact");
        let before: serde_json::Value = serde_json::from_str(record.before_json.as_deref().unwrap()).unwrap();
        let after: serde_json::Value = serde_json::from_str(record.after_json.as_deref().unwrap()).unwrap();
        assert_eq!(before["contact_email"], serde_json::Value::Null);
        assert_eq!(after["contact_email"], "csu@barnet.example");
    }

    async fn a_refused_change_leaves_neither_change_nor_record(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let before = app.audit_count().await;
        // Invalid input: nothing saved, nothing audited, the error names the fields.
        let r = client.post(app.url("/organisations"))
            .form(&[("csrf_token", csrf.as_str()), ("name", ""), ("kind", "borough"), ("area_code", "X1"), ("website", "not a url")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body = r.text().await.unwrap();
        for text in ["Enter the organisation", "is not an ONS code", "starting https://", "href=\"#name\"", "govuk-input--error"] {
            assert!(body.contains(text), "missing {text}");
        }
        assert_eq!(app.audit_count().await, before);
    }

    async fn the_audit_log_is_append_only_in_the_database(app: TestApp) {
        let pool = app.app.db().pool();
        let mut statements = vec!["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"];
        if app.backend == Backend::Postgres {
            statements.push("TRUNCATE audit_log");
        }
        for sql in statements {
            let err = sqlx::query(sql).execute(pool).await.expect_err("the database must refuse");
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert!(app.audit_count().await > 0);
    }

    async fn admins_browse_filter_and_export_the_log(app: TestApp) {
        let (client, _) = app.signed_in(ADMIN).await;
        let page = client.get(app.url("/audit?action=user.add")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(BD_OFFICER), "user.add records list the demo users");
        assert!(!page.contains("reference_data.load</td>") && !page.contains("loaded 33 areas"), "filtered out");
        let all = client.get(app.url("/audit")).send().await.unwrap().text().await.unwrap();
        // The newest first: the demo's last change is its returned claim (Advance's Q4).
        assert!(all.contains("Returned the claim for Q4"), "the whole log, newest first");
        assert!(all.contains("LCPF (system)") && !all.contains("(UTC)"), "who by name, when in London time");
        let year = chrono::Utc::now().format("%Y").to_string();
        assert!(all.contains(&format!(" {year} at ")) && !all.contains(&format!(">{year}-")), "dates the GOV.UK way");
        let bad = client.get(app.url("/audit?from=yesterday")).send().await.unwrap();
        assert_eq!(bad.status(), 400);
        let bad = bad.text().await.unwrap();
        assert!(bad.contains("is not a date"));
        // On the filter form itself: the error summary links to the field, which keeps what was typed.
        assert!(bad.contains("govuk-error-summary") && bad.contains("href=\"#from\"") && bad.contains("id=\"from-error\""), "{bad}");
        assert!(bad.contains("value=\"yesterday\"") && bad.contains("action=\"/audit\""));
        assert!(!bad.contains("loaded 33 areas"), "no records under a filter that cannot be read");

        let r = client.get(app.url("/audit.csv?action=user.add")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM so Excel reads UTF-8");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["id", "at", "actor", "action", "entity_type", "entity_id", "summary", "before", "after"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), lcpf_app::demo::DEMO_LOGINS.len());
        assert!(rows.iter().all(|r| &r[3] == "user.add"));
        let (officer, _) = app.signed_in(BD_OFFICER).await;
        assert_eq!(officer.get(app.url("/audit.csv")).send().await.unwrap().status(), 403);
    }

    async fn sign_in_and_token_creation_are_audited(app: TestApp) {
        app.signed_in(VIEWER).await;
        app.token(VIEWER).await;
        let page = app.app.audit_log(&Actor::System, &lcpf_app::AuditFilter { actor: Some(VIEWER.to_uppercase()), ..Default::default() }, None).await.unwrap();
        assert!(page.records.iter().any(|r| r.action == "session.sign_in"));
        let tokens = app.app.audit_log(&Actor::System, &lcpf_app::AuditFilter { action: Some("api_token.create".into()), ..Default::default() }, None).await.unwrap();
        assert_eq!(tokens.records.len(), 1);
        assert!(!tokens.records[0].after_json.as_deref().unwrap().contains("lcpf_"), "the token itself is never stored in the log");
    }
}
