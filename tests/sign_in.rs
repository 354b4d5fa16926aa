//! Signing in and out, sessions, throttling and CSRF, over HTTP on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;

backend_tests! {
    async fn signing_in_shows_the_role_home_page(app: TestApp) {
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let home = client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Barking and Dagenham community safety"), "{home}");
        assert!(home.contains("Your team"));
        assert!(!home.contains("href=\"/audit\""), "a borough officer has no audit link");
        let (admin, _) = app.signed_in(ADMIN).await;
        let home = admin.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Fund administration") && home.contains("href=\"/audit\""));
    }

    async fn wrong_password_gets_an_error_summary_and_no_session(app: TestApp) {
        let client = app.client();
        let page = client.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&page).unwrap();
        let r = client.post(app.url("/sign-in"))
            .form(&[("csrf_token", token.as_str()), ("email", BD_OFFICER), ("password", "not the password")])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body = r.text().await.unwrap();
        assert!(body.contains("govuk-error-summary") && body.contains("Enter a correct email address and password"));
        assert!(body.contains("href=\"#email\""), "the summary links to the field");
        let r = client.get(app.url("/organisations")).send().await.unwrap();
        assert_eq!(r.status(), 303, "still signed out");
    }

    async fn empty_fields_are_named(app: TestApp) {
        let client = app.client();
        let page = client.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&page).unwrap();
        let body = client.post(app.url("/sign-in"))
            .form(&[("csrf_token", token.as_str()), ("email", ""), ("password", "")])
            .send().await.unwrap().text().await.unwrap();
        assert!(body.contains("Enter your email address") && body.contains("Enter your password"));
    }

    async fn repeated_failures_are_throttled(app: TestApp) {
        let client = app.client();
        let page = client.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&page).unwrap();
        for _ in 0..lcpf_app::auth::MAX_FAILURES {
            let r = client.post(app.url("/sign-in"))
                .form(&[("csrf_token", token.as_str()), ("email", VIEWER), ("password", "guess guess guess")])
                .send().await.unwrap();
            assert_eq!(r.status(), 400);
        }
        // Now even the right password is refused until the window passes.
        let r = client.post(app.url("/sign-in"))
            .form(&[("csrf_token", token.as_str()), ("email", VIEWER), ("password", DEMO_PASSWORD)])
            .send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert!(r.headers().get("retry-after").is_some());
        // Another address is not affected.
        let r = client.post(app.url("/sign-in"))
            .form(&[("csrf_token", token.as_str()), ("email", ASSESSOR), ("password", DEMO_PASSWORD)])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
    }

    async fn sign_out_ends_the_session(app: TestApp) {
        let (client, csrf) = app.signed_in(FUNDER_OFFICER).await;
        assert_eq!(client.get(app.url("/organisations")).send().await.unwrap().status(), 200);
        let r = client.post(app.url("/sign-out")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(client.get(app.url("/organisations")).send().await.unwrap().status(), 303);
    }

    async fn session_cookie_is_http_only(app: TestApp) {
        let client = app.client();
        let page = client.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&page).unwrap();
        let r = client.post(app.url("/sign-in"))
            .form(&[("csrf_token", token.as_str()), ("email", VIEWER), ("password", DEMO_PASSWORD)])
            .send().await.unwrap();
        let cookie = r.headers().get_all("set-cookie").iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("lcpf_session=")).expect("session cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    }

    async fn forms_without_the_csrf_token_change_nothing(app: TestApp) {
        let (client, csrf) = app.signed_in(ADMIN).await;
        let before = app.audit_count().await;
        let barnet = app.organisation_id("Barnet").await;
        for token in ["", "forged-token"] {
            let r = client.post(app.url(&format!("/organisations/{barnet}/contact")))
                .form(&[("csrf_token", token), ("contact_email", "forged@example.org"), ("website", "")])
                .send().await.unwrap();
            assert_eq!(r.status(), 403);
            assert!(r.text().await.unwrap().contains("This form has expired"));
        }
        // The sign-in form needs its double-submit token too.
        let anonymous = app.client();
        let r = anonymous.post(app.url("/sign-in")).form(&[("email", ADMIN), ("password", DEMO_PASSWORD)]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.audit_count().await, before, "nothing was changed or audited");
        let org = app.app.get_organisation(&lcpf_app::Actor::System, barnet).await.unwrap();
        assert_eq!(org.contact_email, None);
        // With the right token the same change goes through.
        let r = client.post(app.url(&format!("/organisations/{barnet}/contact")))
            .form(&[("csrf_token", csrf.as_str()), ("contact_email", "csu@barnet.example"), ("website", "")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
    }

    async fn disabled_users_lose_their_session_and_cannot_sign_in(app: TestApp) {
        let (client, _) = app.signed_in(PROVIDER).await;
        let (admin, csrf) = app.signed_in(ADMIN).await;
        let id = app.user_id(PROVIDER).await;
        let r = admin.post(app.url(&format!("/users/{id}/disable"))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(client.get(app.url("/organisations")).send().await.unwrap().status(), 303);
        let fresh = app.client();
        let page = fresh.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&page).unwrap();
        let r = fresh.post(app.url("/sign-in"))
            .form(&[("csrf_token", token.as_str()), ("email", PROVIDER), ("password", DEMO_PASSWORD)])
            .send().await.unwrap();
        assert_eq!(r.status(), 400);
    }

    async fn the_start_page_says_which_stages_are_here(app: TestApp) {
        // A stage is "available" on the start page exactly when its pages are routed.
        let (_, specs) = lcpf_web::router(lcpf_web::AppState::new(app.app.clone(), false));
        let page = app.client().get(app.url("/")).send().await.unwrap().text().await.unwrap().replace("&#39;", "'").replace("&#x27;", "'");
        let (available, coming) = page.split_once("id=\"coming\"").unwrap();
        for stage in lcpf_web::views::pages::STAGES {
            let routed = specs.iter().any(|s| s.method == "GET" && s.path.starts_with(stage.pages));
            assert_eq!(stage.available, routed, "{} is said to be {}available", stage.pages, if stage.available { "" } else { "not " });
            assert!(if routed { available.contains(stage.words) } else { coming.contains(stage.words) }, "{}", stage.words);
        }
        assert!(!page.contains("being added"));
        let icon = app.client().get(app.url("/favicon.ico")).send().await.unwrap();
        assert_eq!((icon.status().as_u16(), icon.headers()["content-type"].to_str().unwrap()), (200, "image/x-icon"));
    }

    async fn healthz_and_unknown_pages(app: TestApp) {
        let client = app.client();
        let r = client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = client.get(app.url("/no/such/page")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(r.text().await.unwrap().contains("Page not found"));
    }
}

mod error_pages {
    use super::common::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn error_pages_keep_the_signed_in_navigation() {
        let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let barnet = app.organisation_id("Barnet").await;
        let r = client
            .get(app.url(&format!("/organisations/{barnet}/people")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("You cannot do this")
                && body.contains("own organisation (Barking and Dagenham)")
        );
        assert!(
            body.contains("action=\"/sign-out\"") && body.contains(">Your team<"),
            "the officer's menu is still there"
        );
        let r = client.get(app.url("/nowhere")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(r.text().await.unwrap().contains("action=\"/sign-out\""));
        let anonymous = app
            .client()
            .get(app.url("/nowhere"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!anonymous.contains("/sign-out"));
    }
}
