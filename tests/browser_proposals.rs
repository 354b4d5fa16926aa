//! In a real headless Chromium: Barnet's officer builds a proposal, sees a rule break
//! explained, fixes it and submits; a funder officer returns it with a comment; it is
//! resubmitted and approved. axe-core finds no WCAG 2.2 AA violations on those pages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::browser::*;
use common::*;
use fantoccini::{Client, Locator};
use lcpf_app::funds::DecisionInput;
use lcpf_app::Actor;
use lcpf_domain::Money;

async fn follow(client: &Client, locator: Locator<'_>) {
    let link = client.find(locator).await.unwrap();
    click_and_wait(client, link).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_is_built_returned_resubmitted_and_approved_in_chromium() {
    let Some((client, _driver, profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // Barnet's 2018/19 allocation, so its proposal has an envelope to keep within.
    let period = app.period_id("2017/18").await;
    app.app
        .record_allocations(
            &Actor::System,
            period,
            "2018/19",
            &DecisionInput {
                reference: "Test decision".into(),
                decided_on: "2018-03-01".into(),
                decision_maker: "Deputy Mayor for Policing and Crime".into(),
                summary: "Barnet's 2018/19 allocation, for this test".into(),
                ..Default::default()
            },
            &[("E09000003".to_string(), Money::from_pounds(500_000))],
        )
        .await
        .unwrap();

    // Barnet's officer starts a proposal for the period.
    sign_in(&client, &app, BARNET_OFFICER).await;
    client.goto(&app.url("/proposals")).await.unwrap();
    assert_accessible(&client, "proposals list").await;
    by_id(&client, "period_id")
        .await
        .select_by_label("London Crime Prevention Fund: 2017/18 to 2018/19 (Open for proposals until the funder closes it)")
        .await
        .unwrap();
    press(&client, "Start a proposal").await;
    assert_eq!(text_of(&client, "h1").await, "Barnet: proposal");
    assert_accessible(&client, "new proposal").await;

    // A line that pays for police officers.
    follow(&client, Locator::LinkText("Add a line")).await;
    text_of(&client, "form").await;
    assert_accessible(&client, "line form").await;
    fill(&client, "number", "1.1").await;
    fill(&client, "title", "Ward panel officers").await;
    by_id(&client, "priority").await.click().await.unwrap();
    fill(&client, "outcome", "Residents' concerns are acted on").await;
    fill(
        &client,
        "activity",
        "Two police officers to run the ward panels.",
    )
    .await;
    fill(&client, "years[1].cost", "£120,000").await;
    fill(
        &client,
        "providers[0].name",
        "Barnet Community Safety Partnership",
    )
    .await;
    by_id(&client, "police_posts-yes")
        .await
        .click()
        .await
        .unwrap();
    press(&client, "Save line").await;
    let problems = text_of(&client, ".lcpf-line-problems").await;
    assert!(
        problems.contains("Line 1.1: this line is not eligible: the fund's rule is “Cannot fund MPS or buy police officers.”"),
        "{problems}"
    );
    assert_accessible(&client, "proposal with a rule broken").await;

    // Submitting is refused with the same reason.
    press(&client, "Submit to the funder").await;
    let summary = text_of(&client, ".govuk-error-summary").await;
    assert!(
        summary.contains("Cannot fund MPS or buy police officers."),
        "{summary}"
    );
    assert_accessible(&client, "refused submission").await;

    // Fixed, then submitted.
    client.goto(&app.url("/proposals")).await.unwrap();
    let id = app.proposal_id("2017/18", "E09000003").await.unwrap();
    client
        .goto(&app.url(&format!("/proposals/{id}")))
        .await
        .unwrap();
    follow(&client, Locator::Css("a[href$='/edit']")).await;
    by_id(&client, "police_posts").await.click().await.unwrap();
    fill(
        &client,
        "activity",
        "Two community safety officers to run the ward panels.",
    )
    .await;
    press(&client, "Save line").await;
    text_of(&client, ".govuk-notification-banner").await;
    assert!(!client
        .source()
        .await
        .unwrap()
        .contains("lcpf-line-problems"));
    press(&client, "Submit to the funder").await;
    assert!(text_of(&client, ".govuk-notification-banner")
        .await
        .contains("The proposal is submitted"));

    // The funder officer sees it across London and returns it with a comment.
    switch_user(&client, &app, FUNDER_OFFICER).await;
    client
        .goto(&app.url(&format!("/periods/{period}/proposals")))
        .await
        .unwrap();
    assert!(text_of(&client, "main").await.contains("Barnet"));
    assert_accessible(&client, "proposals across London").await;
    client
        .goto(&app.url(&format!("/proposals/{id}")))
        .await
        .unwrap();
    assert_accessible(&client, "proposal under review").await;
    fill(&client, "comment", "Say how many ward panels this covers.").await;
    press(&client, "Return to the borough").await;
    assert!(text_of(&client, ".govuk-notification-banner")
        .await
        .contains("returned"));

    // Barnet sees the comment, lowers the cost and resubmits.
    switch_user(&client, &app, BARNET_OFFICER).await;
    client
        .goto(&app.url(&format!("/proposals/{id}")))
        .await
        .unwrap();
    assert!(client
        .source()
        .await
        .unwrap()
        .contains("Say how many ward panels this covers."));
    follow(&client, Locator::Css("a[href$='/edit']")).await;
    fill(&client, "years[1].cost", "£110,000").await;
    press(&client, "Save line").await;
    text_of(&client, ".govuk-notification-banner").await;
    press(&client, "Submit to the funder").await;
    text_of(&client, ".govuk-notification-banner").await;

    // The funder compares the versions and approves.
    switch_user(&client, &app, FUNDER_OFFICER).await;
    client
        .goto(&app.url(&format!("/proposals/{id}/compare?from=1&to=2")))
        .await
        .unwrap();
    let table = text_of(&client, "table").await;
    assert!(
        table.contains("Changed: cost") && table.contains("£120,000") && table.contains("£110,000"),
        "{table}"
    );
    assert_accessible(&client, "version comparison").await;
    client
        .goto(&app.url(&format!("/proposals/{id}")))
        .await
        .unwrap();
    press(&client, "Approve this version").await;
    assert!(text_of(&client, ".govuk-notification-banner")
        .await
        .contains("approved"));
    assert_eq!(
        text_of(&client, "main .govuk-tag").await.to_lowercase(),
        "approved"
    );

    // The seed's own draft, for the README.
    switch_user(&client, &app, BD_OFFICER).await;
    let bd = app.proposal_id("2017/18", "E09000002").await.unwrap();
    client
        .goto(&app.url(&format!("/proposals/{bd}")))
        .await
        .unwrap();
    assert_accessible(&client, "Barking and Dagenham's draft").await;
    keep_screenshot(&client, None, "proposal").await;
    client
        .goto(&app.url(&format!("/proposals/{bd}/print")))
        .await
        .unwrap();
    assert_accessible(&client, "printable proposal").await;

    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}
