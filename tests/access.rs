//! For every route that exists (the router's own table, so a new route cannot be missed):
//! a signed-out visitor gets only public pages, and a borough officer can neither read nor
//! change another borough's data. Nothing refused leaves an audit record behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_web::{Audience, RouteSpec};

const BARNET_ONS: &str = "E09000003";

fn specs(app: &TestApp) -> Vec<RouteSpec> {
    let (_, specs) = lcpf_web::router(lcpf_web::AppState::new(app.app.clone(), false));
    let audiences = [
        Audience::Public,
        Audience::SignedIn,
        Audience::OwnOrganisation,
        Audience::FunderAdmin,
        Audience::OwnAccount,
    ];
    for a in audiences {
        assert!(specs.iter().any(|s| s.audience == a), "no route for {a:?}");
    }
    specs
}

/// Barnet's draft proposal for 2017/18–2018/19 with one line: (proposal id, line id).
async fn barnet_proposal(app: &TestApp) -> (i64, i64) {
    // Barnet's officer's API token and the other consortium's file too, so that walks which
    // follow make nothing new.
    barnet_token(app).await;
    other_consortium_draft(app).await;
    let system = lcpf_app::Actor::System;
    let barnet_org = app.organisation_id("Barnet").await;
    if let Some(id) = app.proposal_id("2017/18", BARNET_ONS).await {
        let view = app.app.proposal(&system, id, None).await.unwrap();
        return (id, view.lines[0].id);
    }
    let period = app.period_id("2017/18").await;
    let p = app
        .app
        .start_proposal(&system, Some(period), barnet_org)
        .await
        .unwrap();
    let line = lcpf_app::proposals::LineInput {
        number: "1.1".into(),
        title: "Barnet's line".into(),
        priority: "Neighbourhood Policing".into(),
        ..Default::default()
    };
    let (line_id, _) = app
        .app
        .save_line(&system, p.id, None, &line, None)
        .await
        .unwrap();
    (p.id, line_id)
}

/// Advance's draft Tranche 2 bid ("another consortium's draft": Barking and Dagenham is no
/// party to it), with a delivery plan attached so its file route has something to serve.
async fn other_consortium_draft(app: &TestApp) -> i64 {
    let id = app.bid_id("Minerva pathways for young women").await;
    let system = lcpf_app::Actor::System;
    let bid = app.app.bid(&system, id).await.unwrap();
    let attached = bid
        .answers
        .iter()
        .flat_map(|s| &s.answers)
        .any(|a| a.file_name.is_some());
    if !attached {
        app.app
            .attach_bid_file(
                &system,
                id,
                "plan",
                "delivery-plan.csv",
                "text/csv",
                b"Delivery plan".to_vec(),
            )
            .await
            .unwrap();
    }
    id
}

/// The demo grant whose recipient is `organisation`.
async fn grant_of(app: &TestApp, organisation: &str) -> i64 {
    let page = app
        .app
        .grants_page(&lcpf_app::Actor::System, 1)
        .await
        .unwrap();
    page.rows
        .iter()
        .find(|g| g.recipient == organisation)
        .unwrap_or_else(|| panic!("no grant for {organisation}"))
        .id
}

/// The first of Barnardo's Taith milestones (the demo's grant paid on milestones).
async fn taith_milestone(app: &TestApp) -> i64 {
    let grant = grant_of(app, "Barnardo's").await;
    let view = app
        .app
        .grant(&lcpf_app::Actor::System, grant)
        .await
        .unwrap();
    view.payment_plan.milestones[0].id
}

/// Advance Charity's returned demo claim (its lead may still change it; Barking and Dagenham
/// has no part in it) with its evidence file's key, and the payment its first claim made.
async fn advance_claim(app: &TestApp) -> (i64, String, i64) {
    let system = lcpf_app::Actor::System;
    let grant = app
        .app
        .grant(&system, grant_of(app, "Advance Charity").await)
        .await
        .unwrap();
    let returned = grant
        .claims
        .iter()
        .find(|c| c.state.code == "returned")
        .expect("the demo's returned claim");
    let claim = app.app.claim(&system, returned.id).await.unwrap();
    let first = app.app.claim(&system, grant.claims[0].id).await.unwrap();
    let payment = first
        .payment
        .as_ref()
        .expect("the first demo claim was paid");
    (claim.id, claim.evidence[0].key.clone(), payment.id)
}

/// The id of an API token of Barnet's officer (made once).
async fn barnet_token(app: &TestApp) -> i64 {
    let barnet = app.actor(BARNET_OFFICER).await;
    let mut tokens = app.app.own_tokens(&barnet).await.unwrap();
    if tokens.is_empty() {
        app.app
            .create_own_token(&barnet, "Barnet's reporting")
            .await
            .unwrap();
        tokens = app.app.own_tokens(&barnet).await.unwrap();
    }
    tokens[0].id
}

/// A route that acts only on the caller's own account and names no record: anyone signed in
/// may use it, for themselves (creating their own API token).
fn acts_on_own_account(spec: &RouteSpec) -> bool {
    spec.audience == Audience::OwnAccount && !spec.path.contains('{')
}

/// Fills a route's parameters with Barnet's records (the "other" borough).
async fn path_for_barnet(app: &TestApp, spec: &RouteSpec) -> String {
    let barnet_org = app.organisation_id("Barnet").await;
    let barnet_user = app.user_id(BARNET_OFFICER).await;
    let (barnet_proposal, barnet_line) = barnet_proposal(app).await;
    let (claim, evidence, payment) = advance_claim(app).await;
    let id = if spec.path.contains("/claims/{id}") {
        claim
    } else if spec.path.contains("/payments/exports/{id}") {
        let page = app
            .app
            .payments_page(&lcpf_app::Actor::System, "exported", 1)
            .await
            .unwrap();
        page.exports[0].id
    } else if spec.path.contains("/payments/{id}") {
        payment
    } else if spec.path.contains("/spend-authority/{id}") {
        app.user_id(FUNDER_OFFICER).await
    } else if spec.path.contains("/grants/{id}") {
        // Barnardo's grant for Taith: Barking and Dagenham is covered, but not its recipient.
        grant_of(app, "Barnardo's").await
    } else if spec.path.contains("/bids/{id}") {
        other_consortium_draft(app).await
    } else if spec.path.contains("/calls/{id}") {
        // Tranche 1, closed: nobody can start a bid to it.
        app.call_id("Tranche 1").await
    } else if spec.path.contains("/tokens/") {
        barnet_token(app).await
    } else if spec.path.contains("/users/") {
        barnet_user
    } else if spec.path.contains("/proposals/{id}") {
        barnet_proposal
    } else if ["/plans/", "/periods/", "/scenarios/", "/funds/"]
        .iter()
        .any(|p| spec.path.contains(p))
    {
        1
    } else {
        barnet_org
    };
    if spec.path == "/scenarios/compare" {
        return "/scenarios/compare?id=2&id=3".to_string();
    }
    if spec.path == "/api/v1/scenarios/compare" {
        return "/api/v1/scenarios/compare?ids=2,3".to_string();
    }
    spec.path
        .replace("{id}", &id.to_string())
        .replace("{code}", BARNET_ONS)
        .replace("{name}", "app.css")
        .replace("{year}", "2014")
        .replace("{line}", &barnet_line.to_string())
        .replace("{milestone}", &taith_milestone(app).await.to_string())
        .replace(
            "{key}",
            if spec.path.contains("/evidence/") {
                &evidence
            } else {
                "plan"
            },
        )
}

/// A body that would be a valid change if the actor were allowed to make it.
fn form_body(path: &str) -> Vec<(&'static str, String)> {
    if path.ends_with("/contact") {
        vec![
            ("contact_email", "changed@example.org".into()),
            ("website", "".into()),
        ]
    } else if path.ends_with("/edit") && path.starts_with("/areas") {
        vec![("name", "Changed".into()), ("in_lcpf", "yes".into())]
    } else if path.ends_with("/proposals") {
        vec![("period_id", "3".into())]
    } else if path.starts_with("/organisations") {
        vec![("name", "Changed Org".into()), ("kind", "provider".into())]
    } else if path.ends_with("/scenarios") {
        vec![
            ("name", "Refused".into()),
            ("year", "2013/14".into()),
            ("dataset_1", "Recorded crime 2012/13".into()),
        ]
    } else if path.ends_with("/periods") {
        vec![
            ("round_name", "Refused".into()),
            ("first_year", "2030/31".into()),
            ("last_year", "2031/32".into()),
        ]
    } else if path.contains("/budgets/") {
        vec![("pot", "1".into()), ("co_commissioning", "".into())]
    } else if path.ends_with("/streams") {
        vec![
            ("year", "2013/14".into()),
            ("name", "Refused".into()),
            ("amount", "1".into()),
            ("recipient", "X".into()),
        ]
    } else if path.ends_with("/decide") {
        vec![
            ("reference", "PCD 1".into()),
            ("decided_on", "2014-01-01".into()),
            ("decision_maker", "X".into()),
            ("summary", "Y".into()),
        ]
    } else if path.ends_with("/themes") {
        vec![("themes", "Refused".into())]
    } else if path.ends_with("/max-lines") {
        vec![("max_lines", "3".into())]
    } else if path.contains("/proposals/") && path.contains("/lines") {
        vec![
            ("number", "9.9".into()),
            ("title", "Refused".into()),
            ("priority", "Neighbourhood Policing".into()),
            ("outcome", "X".into()),
        ]
    } else if path.ends_with("/return") || path.ends_with("/comments") {
        vec![("comment", "Refused".into())]
    } else if path.ends_with("/variation") {
        vec![("reason", "Refused".into())]
    } else if path.ends_with("/password") {
        vec![("password", "a brand new password".into())]
    } else if path == "/users" {
        vec![
            ("name", "New Person".into()),
            ("email", "new.person@example.org".into()),
            ("role", "viewer".into()),
            ("password", "a brand new password".into()),
        ]
    } else {
        vec![]
    }
}

fn json_body(path: &str) -> serde_json::Value {
    if path.ends_with("/lines") {
        serde_json::json!([{"number": "9.9", "title": "Refused", "priority": "Neighbourhood Policing"}])
    } else if path.ends_with("/proposals") {
        serde_json::json!({"period_id": 3})
    } else if path.ends_with("/return") || path.ends_with("/comments") || path.ends_with("/approve")
    {
        serde_json::json!({"comment": "Refused"})
    } else if path.ends_with("/variation") {
        serde_json::json!({"reason": "Refused"})
    } else if path.ends_with("/submit") {
        serde_json::json!({})
    } else if path.ends_with("/streams") {
        serde_json::json!({"year": "2012/13", "name": "Refused", "amount": "1", "recipient": "X"})
    } else if path.ends_with("/indicator-datasets") {
        serde_json::json!({"dataset": "Refused", "source": "X", "csv": "area,value\nBarnet,1\n"})
    } else if path.ends_with("/periods") {
        serde_json::json!({"round_name": "Refused", "first_year": "2030/31", "last_year": "2031/32"})
    } else if path.contains("/budgets/") {
        serde_json::json!({"pot": "1"})
    } else if path.ends_with("/scenarios") {
        serde_json::json!({"name": "Refused", "year": "2013/14", "indicators": [{"dataset": "Recorded crime 2012/13", "weight": "100"}]})
    } else if path.ends_with("/decision") {
        serde_json::json!({"reference": "PCD 1", "decided_on": "2014-01-01", "decision_maker": "X", "summary": "Y"})
    } else if path.ends_with("/contact") {
        serde_json::json!({"contact_email": "changed@example.org"})
    } else if path.ends_with("/plans") {
        serde_json::json!({"name": "A plan", "first_year": "2022/23", "last_year": "2024/25", "priorities": [{"name": "P", "objectives": ["O"]}]})
    } else if path.ends_with("/users") {
        serde_json::json!({"email": "new.person@example.org", "name": "New Person", "role": "viewer", "password": "a brand new password"})
    } else {
        serde_json::json!({"name": "Changed Org", "kind": "provider"})
    }
}

backend_tests! {
    async fn signed_out_visitors_see_only_public_pages(app: TestApp) {
        barnet_proposal(&app).await;
        let client = app.client();
        // The double-submit token a signed-out browser would have, so refusals are about
        // authorisation, not CSRF.
        let page = client.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
        let token = csrf_token(&page).unwrap();
        let before = app.audit_count().await;
        for spec in specs(&app) {
            if spec.path == "/sign-in" && spec.method == "POST" {
                continue; // signing in is what this route is for
            }
            let path = path_for_barnet(&app, &spec).await;
            let r = match spec.method {
                "GET" => client.get(app.url(&path)).send().await.unwrap(),
                "POST" if spec.is_api() => client.post(app.url(&path)).json(&json_body(&path)).send().await.unwrap(),
                "PUT" => client.put(app.url(&path)).json(&json_body(&path)).send().await.unwrap(),
                _ => {
                    let mut form = form_body(&path);
                    form.push(("csrf_token", token.clone()));
                    client.post(app.url(&path)).form(&form).send().await.unwrap()
                }
            };
            let status = r.status().as_u16();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            match spec.audience {
                Audience::Public => assert!(status == 200, "{} {path}: public page gave {status}", spec.method),
                _ if spec.is_api() => {
                    assert_eq!(status, 401, "{} {path} must need an API token", spec.method);
                    assert_eq!(r.headers()["content-type"], "application/problem+json");
                }
                _ => {
                    assert_eq!(status, 303, "{} {path} must send a signed-out visitor to sign in", spec.method);
                    // A page asked for returns there after signing in.
                    let location = location.unwrap_or_default();
                    let sent_to = reqwest::Url::parse(&format!("http://lcpf.test{location}")).unwrap();
                    assert_eq!(sent_to.path(), "/sign-in", "{} {path}", spec.method);
                    let next: Vec<String> = sent_to.query_pairs().filter(|(k, _)| k == "next").map(|(_, v)| v.into_owned()).collect();
                    let expected: Vec<String> = if spec.method == "GET" && path != "/" { vec![path.clone()] } else { Vec::new() };
                    assert_eq!(next, expected, "{} {path}: returns to the page asked for", spec.method);
                }
            }
        }
        assert_eq!(app.audit_count().await, before, "a signed-out visitor changed something");
    }

    async fn a_borough_officer_cannot_read_or_change_another_boroughs_data(app: TestApp) {
        let (proposal, _) = barnet_proposal(&app).await;
        let system = lcpf_app::Actor::System;
        let proposal_before = app.app.proposal(&system, proposal, None).await.unwrap();
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let token = app.token(BD_OFFICER).await;
        let before = app.audit_count().await;
        let barnet_before = app.app.get_organisation(&lcpf_app::Actor::System, app.organisation_id("Barnet").await).await.unwrap();
        let mut refused = 0;
        for spec in specs(&app) {
            if spec.path == "/sign-out" || spec.path == "/sign-in" || acts_on_own_account(&spec) {
                continue; // these act on the caller's own session or account (tests/tokens.rs)
            }
            let path = path_for_barnet(&app, &spec).await;
            let r = match (spec.method, spec.is_api()) {
                ("GET", true) => client.get(app.url(&path)).bearer_auth(&token).send().await.unwrap(),
                ("GET", false) => client.get(app.url(&path)).send().await.unwrap(),
                ("POST", true) => client.post(app.url(&path)).bearer_auth(&token).json(&json_body(&path)).send().await.unwrap(),
                ("PUT", _) => client.put(app.url(&path)).bearer_auth(&token).json(&json_body(&path)).send().await.unwrap(),
                _ => {
                    let mut form = form_body(&path);
                    form.push(("csrf_token", csrf.clone()));
                    client.post(app.url(&path)).form(&form).send().await.unwrap()
                }
            };
            let status = r.status().as_u16();
            match spec.audience {
                Audience::OwnOrganisation | Audience::OwnProposal | Audience::OwnBorough | Audience::OwnAccount | Audience::FunderAdmin | Audience::FunderStaff
                | Audience::Bidder | Audience::BidParties | Audience::BidLead | Audience::AssignedAssessor
                | Audience::OwnGrant | Audience::GrantRecipient | Audience::OwnClaim | Audience::ClaimRecipient => {
                    assert!(status == 403 || status == 404, "{} {path}: a Barking and Dagenham officer got {status}", spec.method);
                    refused += 1;
                }
                Audience::SignedIn | Audience::Public => {
                    assert_eq!(status, 200, "{} {path}: shared reference data should be readable", spec.method)
                }
            }
        }
        assert!(refused >= 10, "only {refused} routes were checked for refusal");
        assert_eq!(app.audit_count().await, before, "a refused request changed something");
        let barnet_after = app.app.get_organisation(&lcpf_app::Actor::System, barnet_before.id).await.unwrap();
        assert_eq!(barnet_before, barnet_after);
        let proposal_after = app.app.proposal(&system, proposal, None).await.unwrap();
        assert_eq!(proposal_before.lines, proposal_after.lines, "Barnet's draft lines changed");
        assert_eq!(proposal_before.versions, proposal_after.versions, "Barnet's versions changed");
    }

    async fn a_borough_officer_can_use_their_own_boroughs_pages(app: TestApp) {
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let own = app.organisation_id("Barking and Dagenham").await;
        let token = app.token(BD_OFFICER).await;
        for path in [format!("/organisations/{own}/people"), format!("/organisations/{own}/contact")] {
            assert_eq!(client.get(app.url(&path)).send().await.unwrap().status(), 200, "{path}");
        }
        let people = client.get(app.url(&format!("/organisations/{own}/people"))).send().await.unwrap().text().await.unwrap();
        assert!(people.contains(BD_OFFICER) && !people.contains(BARNET_OFFICER));
        let r = client.post(app.url(&format!("/organisations/{own}/contact")))
            .form(&[("csrf_token", csrf.as_str()), ("contact_email", "csu@lbbd.example"), ("website", "https://www.lbbd.gov.uk")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let r = client.get(app.url(&format!("/api/v1/organisations/{own}/people"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let people: Vec<serde_json::Value> = r.json().await.unwrap();
        let mut emails: Vec<&str> = people.iter().map(|p| p["email"].as_str().unwrap()).collect();
        emails.sort();
        // The borough's officer and its partnership board member; nobody from Barnet.
        assert_eq!(emails, [VIEWER, BD_OFFICER]);
        let org = app.app.get_organisation(&lcpf_app::Actor::System, own).await.unwrap();
        assert_eq!(org.contact_email.as_deref(), Some("csu@lbbd.example"));
    }

    async fn a_funder_admin_reaches_every_admin_page(app: TestApp) {
        let (client, _) = app.signed_in(ADMIN).await;
        // Drafting pages are the borough's own; a funder admin is refused them (tested below).
        // So are a bid's lead's and its assessors' pages.
        for spec in specs(&app).into_iter().filter(|s| s.method == "GET" && !s.is_api() && s.path != "/sign-in" && !matches!(s.audience, Audience::OwnBorough | Audience::BidLead | Audience::AssignedAssessor | Audience::GrantRecipient)) {
            let path = path_for_barnet(&app, &spec).await;
            let status = client.get(app.url(&path)).send().await.unwrap().status();
            assert_eq!(status, 200, "GET {path}");
        }
    }
}

/// A body that is wrong for every route: empty text where values are needed.
fn bad_form() -> Vec<(&'static str, String)> {
    vec![
        ("name", String::new()),
        ("amount", "not money".into()),
        ("year", "x".into()),
    ]
}

mod input_order {
    use super::*;
    backend_tests! {
        async fn who_may_comes_before_what_is_wrong_with_the_input(app: TestApp) {
            barnet_proposal(&app).await;
            let anonymous = app.client();
            let page = anonymous.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
            let anonymous_csrf = csrf_token(&page).unwrap();
            let (client, csrf) = app.signed_in(BD_OFFICER).await;
            let token = app.token(BD_OFFICER).await;
            let before = app.audit_count().await;
            let mut checked = 0;
            let mut wrong = Vec::new();
            for spec in specs(&app).into_iter().filter(|s| s.method != "GET") {
                if spec.path == "/sign-in" || spec.path == "/sign-out" {
                    continue;
                }
                let path = path_for_barnet(&app, &spec).await;
                let send = |c: &reqwest::Client, bearer: Option<&str>, csrf: &str| {
                    let r = match spec.method {
                        "PUT" => c.put(app.url(&path)),
                        _ => c.post(app.url(&path)),
                    };
                    let r = match bearer {
                        Some(t) => r.bearer_auth(t),
                        None => r,
                    };
                    if spec.is_api() {
                        r.header("content-type", "application/json").body("{\"unexpected\": [1, 2")
                    } else {
                        let mut form = bad_form();
                        form.push(("csrf_token", csrf.to_string()));
                        r.form(&form)
                    }
                };
                // Signed out: asked to sign in, never told what is wrong with the body.
                let r = send(&anonymous, None, &anonymous_csrf).send().await.unwrap();
                let status = r.status().as_u16();
                if spec.is_api() {
                    assert_eq!(status, 401, "{} {path}: a signed-out caller with a bad body", spec.method);
                } else {
                    assert_eq!(status, 303, "{} {path}: a signed-out visitor with a bad form", spec.method);
                }
                // Signed in as someone who may not: refused, not corrected.
                if spec.audience != Audience::SignedIn && !acts_on_own_account(&spec) {
                    let r = send(&client, spec.is_api().then_some(token.as_str()), &csrf).send().await.unwrap();
                    let status = r.status().as_u16();
                    if !(status == 403 || status == 404) {
                        wrong.push(format!("{} {path}: a Barking and Dagenham officer with a bad body got {status}", spec.method));
                    }
                }
                checked += 1;
            }
            assert!(wrong.is_empty(), "{}", wrong.join("\n"));
            assert!(checked >= 25, "only {checked} write routes were walked");
            assert_eq!(app.audit_count().await, before, "a refused request changed something");
        }
    }
}

/// Whether a write route takes an uploaded file (a multipart form) rather than a plain form.
fn takes_upload(path: &str) -> bool {
    path.ends_with("/preview") || path.contains("/files/") || path.ends_with("/evidence")
}

mod forgery {
    use super::*;
    backend_tests! {
        async fn every_form_without_its_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
            barnet_proposal(&app).await;
            // Each route is sent by someone who may use it, so the refusal is the token's.
            let (admin, _) = app.signed_in(ADMIN).await;
            let (barnet, _) = app.signed_in(BARNET_OFFICER).await;
            let (advance, _) = app.signed_in(PROVIDER).await;
            let before = app.audit_count().await;
            let mut walked = 0;
            for spec in specs(&app).into_iter().filter(|s| s.method != "GET" && !s.is_api()) {
                if spec.path == "/sign-in" {
                    continue; // signed out: checked against the double-submit cookie below
                }
                let path = path_for_barnet(&app, &spec).await;
                let client = match spec.audience {
                    Audience::OwnBorough | Audience::OwnOrganisation | Audience::OwnProposal => &barnet,
                    Audience::BidLead | Audience::Bidder | Audience::ClaimRecipient => &advance,
                    _ => &admin,
                };
                let request = client.post(app.url(&path));
                let r = if takes_upload(&path) {
                    let form = reqwest::multipart::Form::new()
                        .text("dataset", "Refused")
                        .part("file", reqwest::multipart::Part::bytes(b"area,value\n".to_vec()).file_name("x.csv"));
                    request.multipart(form).send().await.unwrap()
                } else {
                    request.form(&form_body(&path)).send().await.unwrap()
                };
                let status = r.status().as_u16();
                let page = r.text().await.unwrap();
                assert_eq!(status, 403, "POST {path} without a CSRF token gave {status}");
                assert!(page.contains("This form has expired"), "POST {path}: refused for another reason");
                walked += 1;
            }
            assert!(walked >= 29, "only {walked} form routes were walked");
            // Signing in without the double-submit token is refused too.
            let r = app.client().post(app.url("/sign-in"))
                .form(&[("email", ADMIN), ("password", DEMO_PASSWORD)])
                .send().await.unwrap();
            assert_eq!(r.status(), 403);
            assert_eq!(app.audit_count().await, before, "a form without its token changed something");
        }

        async fn every_api_write_with_only_a_session_cookie_is_refused_and_changes_nothing(app: TestApp) {
            let (proposal, _) = barnet_proposal(&app).await;
            let system = lcpf_app::Actor::System;
            let lines_before = app.app.proposal(&system, proposal, None).await.unwrap().lines;
            let (admin, _) = app.signed_in(ADMIN).await;
            let (barnet, _) = app.signed_in(BARNET_OFFICER).await;
            let before = app.audit_count().await;
            let mut walked = 0;
            for spec in specs(&app).into_iter().filter(|s| s.method != "GET" && s.is_api()) {
                let path = path_for_barnet(&app, &spec).await;
                let client = match spec.audience {
                    Audience::OwnBorough | Audience::OwnOrganisation | Audience::OwnProposal => &barnet,
                    _ => &admin,
                };
                let request = match spec.method {
                    "PUT" => client.put(app.url(&path)),
                    _ => client.post(app.url(&path)),
                };
                let r = request.json(&json_body(&path)).send().await.unwrap();
                let status = r.status().as_u16();
                assert_eq!(r.headers()["content-type"], "application/problem+json", "{} {path}", spec.method);
                let problem: serde_json::Value = r.json().await.unwrap();
                assert_eq!(status, 403, "{} {path} with a cookie only gave {status}", spec.method);
                assert!(problem["detail"].as_str().unwrap().contains("API token"), "{} {path}: {problem}", spec.method);
                walked += 1;
            }
            assert!(walked >= 15, "only {walked} API write routes were walked");
            assert_eq!(app.audit_count().await, before, "a cookie-only API write changed something");
            let lines_after = app.app.proposal(&system, proposal, None).await.unwrap().lines;
            assert_eq!(lines_before, lines_after);
        }
    }
}
