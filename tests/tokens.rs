//! API tokens in the browser and the CLI (issue 11 §19): a person creates one, sees it once,
//! lists theirs with when each was created and last used, and revokes it; a funder admin sees
//! and revokes anyone's; `lcpf token list` and `lcpf token revoke` do the same for the operator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use std::process::Command;

use common::*;

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The token shown on the page just after it was created.
fn shown_token(html: &str) -> String {
    html.split("id=\"new-token\" class=\"lcpf-json\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

backend_tests! {
    async fn a_person_creates_uses_and_revokes_their_own_token(app: TestApp) {
        let (bd, csrf) = app.signed_in(BD_OFFICER).await;
        let (status, html) = page(&bd, &app, "/account/tokens").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"no-tokens\""), "{html}");
        // What it is for is needed; nothing is made without it.
        let audit = app.audit_count().await;
        let (status, html) = post(&bd, &app, "/account/tokens", &[("csrf_token", &csrf), ("label", "  ")]).await;
        assert_eq!(status, 400);
        assert!(html.contains("Enter what the token is for"), "{html}");
        assert_eq!(app.audit_count().await, audit);
        let r = bd.post(app.url("/account/tokens")).form(&[("csrf_token", csrf.as_str()), ("label", "Borough dashboard")]).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let html = r.text().await.unwrap();
        let token = shown_token(&html);
        assert!(token.starts_with("lcpf_") && token.len() > 30, "{token}");
        assert_eq!(app.audit_count().await, audit + 1, "creating is audited");
        // The token works, and the list says when it was last used; the secret is not shown again.
        let api = app.client();
        assert_eq!(api.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 200);
        let (_, html) = page(&bd, &app, "/account/tokens").await;
        assert!(!html.contains(&token), "the token is shown once only");
        let row = html.split("Borough dashboard").nth(1).unwrap().split("</tr>").next().unwrap();
        assert!(!row.contains("Never"), "last used is recorded: {row}");
        // Revoked, it stops working at once.
        let id = app.app.own_tokens(&app.actor(BD_OFFICER).await).await.unwrap()[0].id;
        let r = bd.post(app.url(&format!("/account/tokens/{id}/revoke"))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(api.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 401);
        let (_, html) = page(&bd, &app, "/account/tokens").await;
        assert!(html.contains("Revoked"), "{html}");
    }

    async fn only_the_owner_or_an_admin_revokes_a_token(app: TestApp) {
        let barnet = app.actor(BARNET_OFFICER).await;
        let token = app.app.create_own_token(&barnet, "Barnet reports").await.unwrap();
        let id = app.app.own_tokens(&barnet).await.unwrap()[0].id;
        // Another borough's officer is not told it exists.
        let (bd, csrf) = app.signed_in(BD_OFFICER).await;
        let audit = app.audit_count().await;
        let (status, _) = post(&bd, &app, &format!("/account/tokens/{id}/revoke"), &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 404);
        assert_eq!(page(&bd, &app, "/tokens").await.0, 403, "everyone's tokens are for admins");
        assert_eq!(app.audit_count().await, audit);
        // The admin sees it by its owner's name, and revokes it.
        let (admin, admin_csrf) = app.signed_in(ADMIN).await;
        let (status, html) = page(&admin, &app, "/tokens").await;
        assert_eq!(status, 200);
        assert!(html.contains("Barnet reports") && html.contains("Barnet"), "{html}");
        let r = admin.post(app.url(&format!("/account/tokens/{id}/revoke"))).form(&[("csrf_token", admin_csrf.as_str()), ("from", "all")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/tokens");
        assert_eq!(app.client().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 401);
        let (_, html) = page(&admin, &app, "/tokens").await;
        assert!(!html.contains("Barnet reports"), "only live tokens are listed");
    }

    async fn the_operator_lists_and_revokes_tokens_from_the_cli(app: TestApp) {
        let token = app.token(VIEWER).await;
        let lcpf = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_lcpf"))
                .args(args)
                .env("LCPF_DATABASE_URL", &app.database_url)
                .env("LCPF_LOG", "warn")
                .output()
                .unwrap()
        };
        let out = lcpf(&["token", "list", "--email", VIEWER]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let listed = String::from_utf8(out.stdout).unwrap();
        let line = listed.lines().find(|l| l.contains(VIEWER)).unwrap_or_else(|| panic!("{listed}"));
        assert!(!listed.contains(&token), "the secret is never listed");
        let id = line.split('\t').next().unwrap();
        let out = lcpf(&["token", "revoke", "--id", id]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(VIEWER));
        assert_eq!(app.client().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().status(), 401);
        let out = lcpf(&["token", "revoke", "--id", "999999"]);
        assert!(!out.status.success(), "an unknown token is an error");
        assert!(String::from_utf8_lossy(&out.stderr).contains("was not found"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
