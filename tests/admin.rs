//! A funder admin's forms in the browser-facing HTML: users, organisations, areas.
//! Bad input re-shows the form with a GOV.UK error summary and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::Actor;

backend_tests! {
    async fn adding_a_user_explains_each_problem_then_succeeds(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let lewisham = app.organisation_id("Lewisham").await;
        let advance = app.organisation_id("Advance Charity").await;
        let before = app.audit_count().await;
        let r = client.post(app.url("/users"))
            .form(&[("csrf_token", csrf.as_str()), ("name", ""), ("email", BD_OFFICER), ("role", "borough_officer"), ("organisation", &advance.to_string()), ("password", "short")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body = r.text().await.unwrap();
        for (anchor, text) in [("#name", "Enter the person"), ("#email", "already exists"), ("#organisation", "must belong to a borough organisation"), ("#password", "at least 10 characters")] {
            assert!(body.contains(&format!("href=\"{anchor}\"")), "summary links to {anchor}");
            assert!(body.contains(text), "missing “{text}”");
        }
        assert!(body.contains("value=\"community.safety@barking-dagenham.example\""), "what was typed is kept");
        assert!(!body.contains("value=\"short\""), "passwords are never echoed back");
        assert_eq!(app.audit_count().await, before);

        let r = client.post(app.url("/users"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Lewisham Officer"), ("email", "csu@lewisham.example"), ("role", "borough_officer"), ("organisation", &lewisham.to_string()), ("password", "a good long password")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = client.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Lewisham Officer") && page.contains("Lewisham"));
        assert!(page.contains("Borough officer") && !page.contains(">borough_officer<"), "the role in words");
        let year = chrono::Utc::now().format("%Y").to_string();
        assert!(page.contains(&format!(" {year} at ")), "added on a date said the GOV.UK way");
        let list = client.get(app.url("/users")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("Funder officer") && !list.contains(">funder_officer<"), "roles in words in the list");
        let (officer, _) = {
            let c = app.client();
            let p = c.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
            let t = csrf_token(&p).unwrap();
            let r = c.post(app.url("/sign-in")).form(&[("csrf_token", t.as_str()), ("email", "csu@lewisham.example"), ("password", "a good long password")]).send().await.unwrap();
            assert_eq!(r.status(), 303);
            (c, t)
        };
        let home = officer.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Lewisham community safety"));
    }

    async fn organisations_are_created_and_edited_with_clear_errors(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let r = client.post(app.url("/organisations"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Barnet"), ("kind", "borough"), ("area_code", "E09000003"), ("org_id", "")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400, "a second organisation called Barnet is refused");
        assert!(r.text().await.unwrap().contains("already exists"));
        let r = client.post(app.url("/organisations"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Safer London"), ("kind", "provider"), ("org_id", "GB-CHC-1098020"), ("charity_number", "1098020"), ("area_code", "E09000003")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Only a borough has an area"));
        let r = client.post(app.url("/organisations"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Safer London"), ("kind", "provider"), ("org_id", "GB-CHC-1098020"), ("charity_number", "1098020")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let id = app.organisation_id("Safer London").await;
        let r = client.post(app.url(&format!("/organisations/{id}/edit")))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Safer London Foundation"), ("kind", "provider"), ("org_id", "GB-CHC-1098020"), ("website", "https://saferlondon.org.uk")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let org = app.app.get_organisation(&Actor::System, id).await.unwrap();
        assert_eq!(org.name, "Safer London Foundation");
        assert_eq!(org.charity_number, None, "cleared fields are cleared");
        let page = client.get(app.url("/organisations?kind=provider")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Safer London Foundation") && !page.contains("Metropolitan Police Service"));
    }

    async fn areas_are_edited_by_an_admin(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let r = client.post(app.url("/areas/E09000001/edit")).form(&[("csrf_token", csrf.as_str()), ("name", "")]).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Enter the area"));
        let r = client.post(app.url("/areas/E09000001/edit")).form(&[("csrf_token", csrf.as_str()), ("name", "City of London"), ("in_lcpf", "yes")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let (area, _, _) = app.app.get_area(&Actor::System, "E09000001").await.unwrap();
        assert!(area.in_lcpf);
        let r = client.get(app.url("/areas/E99999999")).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }

    async fn passwords_are_reset_and_admins_cannot_disable_themselves(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let viewer = app.user_id(VIEWER).await;
        let r = client.post(app.url(&format!("/users/{viewer}/password"))).form(&[("csrf_token", csrf.as_str()), ("password", "tiny")]).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("at least 10 characters"));
        let r = client.post(app.url(&format!("/users/{viewer}/password"))).form(&[("csrf_token", csrf.as_str()), ("password", "a fresh long password")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = client.get(app.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("password has been reset"));
        assert!(app.app.sign_in(VIEWER, &lcpf_app::auth::Password::new("a fresh long password"), "127.0.0.1").await.is_ok());
        let me = app.user_id(ADMIN).await;
        let r = client.post(app.url(&format!("/users/{me}/disable"))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("cannot disable yourself"));
        let r = client.post(app.url("/users/not-a-number/disable")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
}
