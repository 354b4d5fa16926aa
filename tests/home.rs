//! Every role's home page is a place to start work (issue 11 §18): each shows that person's
//! work at a glance, worked out here from the app's own records, with the numbers linked to
//! the rows behind them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::Actor;

async fn home(app: &TestApp, who: &str) -> String {
    let (client, _) = app.signed_in(who).await;
    let r = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{who}");
    r.text().await.unwrap()
}

/// The text of the element with this id, up to its closing tag's end.
fn part<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    html.split(&format!("id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no #{id}"))
        .split(end)
        .next()
        .unwrap()
}

backend_tests! {
    async fn a_borough_officer_sees_the_allocation_the_proposal_and_what_to_do_next(app: TestApp) {
        let html = home(&app, BD_OFFICER).await;
        let id = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let view = app.app.proposal(&app.actor(BD_OFFICER).await, id, None).await.unwrap();
        let glance = part(&html, "borough-glance", "</dl>");
        // 2017/18 is the only decided year of the open period: the allocation is its £644,000.
        assert!(glance.contains("<a class=\"govuk-link\" href=\"/areas/E09000002\">£644,000</a>"), "{glance}");
        assert!(glance.contains(&format!("<a class=\"govuk-link\" href=\"/proposals/{id}\">{}</a>", view.status)), "{glance}");
        let headroom = view.totals.headroom.unwrap().to_string();
        assert!(glance.contains(&headroom), "headroom {headroom}: {glance}");
        let next = part(&html, "next-step", "</p>");
        if view.problems.is_empty() {
            assert!(next.contains("Submit your proposal"), "{next}");
        } else {
            assert!(next.contains(&format!("Put right {} problem", view.problems.len())), "{next}");
            assert!(next.contains(&format!("/proposals/{id}#problems")), "{next}");
        }
    }

    async fn funder_staff_see_what_waits_for_them(app: TestApp) {
        let html = home(&app, FUNDER_OFFICER).await;
        // Periods' budgeted years with no decision, each linked to its period.
        let mut undecided = 0;
        for fund in app.app.list_funds(&Actor::System).await.unwrap() {
            for (period, budgets) in app.app.fund(&Actor::System, fund.id).await.unwrap().1 {
                let view = app.app.period(&Actor::System, period.id).await.unwrap();
                for b in budgets.iter().filter(|b| !view.decisions.iter().any(|d| d.year == b.year)) {
                    undecided += 1;
                    assert!(html.contains(&format!("<a class=\"govuk-link\" href=\"/periods/{}\">{}</a>", period.id, b.year)), "{} missing", b.year);
                }
            }
        }
        assert!(undecided > 0);
        assert!(part(&html, "undecided", "</h2>").contains(&format!("{undecided} budgeted years have no decision yet")));
        // A submitted proposal appears as waiting, linked; before, none do.
        assert!(part(&html, "waiting", "</h2>").contains("No proposals are waiting for review"));
        let period = app.period_id("2017/18").await;
        let barnet = app.organisation_id("Barnet").await;
        let system = Actor::System;
        let amendment = lcpf_app::funds::AmendmentInput { year: "2017/18".into(), area: "Barnet".into(), amount: "£500,000".into(), reason: "Test: Barnet's allocation".into() };
        app.app.amend_allocation(&system, period, &amendment).await.unwrap();
        let p = app.app.start_proposal(&system, Some(period), barnet).await.unwrap();
        let view = app.app.proposal(&system, p.id, None).await.unwrap();
        let line = lcpf_app::proposals::LineInput {
            number: "1.1".into(),
            title: "Barnet youth outreach".into(),
            priority: view.priorities[0].clone(),
            outcome: "Fewer young victims".into(),
            activity: "Detached youth work".into(),
            years: vec![lcpf_app::proposals::LineYearInput { year: "2017/18".into(), cost: "£1,000".into(), ..Default::default() }],
            ..Default::default()
        };
        app.app.save_line(&system, p.id, None, &line, None).await.unwrap();
        let barnet_officer = app.actor(BARNET_OFFICER).await;
        app.app.proposal_step(&barnet_officer, p.id, lcpf_domain::proposal::ProposalEvent::Submit, &Default::default(), None).await.unwrap();
        let html = home(&app, FUNDER_OFFICER).await;
        assert!(part(&html, "waiting", "</h2>").contains("1 proposal is waiting for review"));
        assert!(html.contains(&format!("<a class=\"govuk-link\" href=\"/proposals/{}\">Barnet</a>", p.id)), "{html}");
    }

    async fn an_admin_sees_users_and_the_latest_changes(app: TestApp) {
        let html = home(&app, ADMIN).await;
        let users = app.app.list_users(&Actor::System).await.unwrap();
        let active = users.iter().filter(|u| !u.disabled).count();
        assert!(part(&html, "users-count", "</p>").contains(&format!("{active} active users")));
        let log = app.app.audit_log(&Actor::System, &Default::default(), None).await.unwrap();
        let recent = part(&html, "recent-changes", "</ul>");
        // The admin's own sign-in is the latest change.
        let latest = html_escape(&log.records[0].summary);
        assert!(recent.contains(&latest), "{latest}: {recent}");
        assert_eq!(recent.matches("<li>").count(), 5);
        assert!(html.contains("waiting for review") && html.contains("id=\"undecided\""), "an admin sees the funder's work too");
    }

    async fn a_board_member_reads_the_linked_boroughs_allocations_and_approved_proposals(app: TestApp) {
        let html = home(&app, VIEWER).await;
        assert!(html.contains("Barking and Dagenham partnership board"), "{html}");
        let allocations = part(&html, "board-allocations", "</ul>");
        assert!(allocations.contains("2016/17: <a class=\"govuk-link\" href=\"/areas/E09000002\">£403,000</a>"), "{allocations}");
        assert!(allocations.contains("£644,000"), "{allocations}");
        assert!(part(&html, "board-approved", "</p>").contains("no approved proposal yet"));
        // The draft is not theirs to read; another borough's proposal not at all.
        let (client, _) = app.signed_in(VIEWER).await;
        let bd = app.proposal_id("2017/18", "E09000002").await.unwrap();
        let page = client.get(app.url(&format!("/proposals/{bd}"))).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains("Add a line") && !page.contains("/lines/"), "a board member sees no draft lines");
        let view = app.app.proposal(&app.actor(VIEWER).await, bd, None).await.unwrap();
        assert!(view.versions.is_empty() && view.lines.is_empty(), "only approved versions are shown to a board member");
        let period = app.period_id("2017/18").await;
        let barnet = app.app.start_proposal(&Actor::System, Some(period), app.organisation_id("Barnet").await).await.unwrap();
        assert_eq!(client.get(app.url(&format!("/proposals/{}", barnet.id))).send().await.unwrap().status(), 403);
    }

    async fn providers_and_assessors_see_their_bids_and_are_told_what_is_coming(app: TestApp) {
        let provider = home(&app, PROVIDER).await;
        let coming = part(&provider, "coming", "</div>");
        assert!(coming.contains("later stages"), "{coming}");
        // Advance's own grant at a glance: live, with its returned Q4 claim to put right.
        assert!(provider.contains("1 grant live; no grants offered to accept; 1 claim returned to put right."), "the provider's grants at a glance");
        assert!(provider.contains("One call is open for bids; your organisation leads or partners 2 bids"), "the provider's bids at a glance");
        let assessor = home(&app, ASSESSOR).await;
        assert!(assessor.contains("One bid is assigned to you: declare any conflict of interest, then score it."), "the assessor's queue at a glance");
        assert!(assessor.contains("href=\"/assessments\""));
    }

    async fn funder_staff_see_the_claims_milestones_and_payments_waiting(app: TestApp) {
        // The demo: no claim submitted, Barnardo's second milestone reported, and two payments
        // waiting (Advance's Q3 claim and St Giles Trust's Q2 advance).
        let html = home(&app, FINANCE_OFFICER).await;
        assert!(html.contains("No claims to accept or return, 1 milestone reported met to confirm, and 2 payments waiting for an authoriser."), "the funder's money at a glance");
        assert!(html.contains("href=\"/claims\""));
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
