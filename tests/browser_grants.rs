//! In a real headless Chromium: a borough officer makes a claim on the borough's live grant
//! and attaches evidence; a funder officer accepts it; a second officer, whose spend authority
//! covers it, authorises the payment; the grant page shows spend against its profile. axe-core
//! finds no WCAG 2.2 AA violations on the pages visited.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::browser::*;
use common::*;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_made_accepted_and_paid_in_chromium() {
    let Some((client, _driver, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (grant, key) = app.live_borough_grant().await;
    let grant_path = format!("/grants/{grant}");

    // The borough officer makes the claim and attaches evidence.
    sign_in(&client, &app, BD_OFFICER).await;
    check_page(&client, &app, &grant_path, "Make a claim").await;
    let link = client.find(Locator::Id("new-claim")).await.unwrap();
    click_and_wait(&client, link).await;
    assert_accessible(&client, "the new claim form").await;
    choose(&client, "quarter", "Q1 2017/18").await;
    fill(&client, &format!("spend-{key}-revenue"), "30,000").await;
    fill(
        &client,
        "narrative",
        "Two detached youth workers ran outreach sessions four evenings a week.",
    )
    .await;
    fill(&client, "forecast", "150,000").await;
    press(&client, "Save the claim as a draft").await;
    assert_eq!(text_of(&client, "#claim-state").await, "Draft");
    let claim_path = client.current_url().await.unwrap().path().to_string();
    let evidence = std::env::temp_dir().join(format!("lcpf-timesheets-{}.csv", std::process::id()));
    std::fs::write(&evidence, "week,hours\n1,37.5\n2,37.5\n").unwrap();
    client
        .find(Locator::Id("evidence-file"))
        .await
        .unwrap()
        .send_keys(evidence.to_str().unwrap())
        .await
        .unwrap();
    press(&client, "Attach the file").await;
    let listed = text_of(&client, "#evidence-list").await;
    assert!(listed.contains("lcpf-timesheets"), "{listed}");
    assert_accessible(&client, "the draft claim with its evidence").await;
    press(&client, "Save and submit the claim to MOPAC").await;
    assert_eq!(text_of(&client, "#claim-state").await, "Submitted");

    // A funder officer accepts it from the queue: its payment is requested.
    switch_user(&client, &app, FUNDER_OFFICER).await;
    check_page(&client, &app, "/claims", "Q1 2017/18").await;
    assert_accessible(&client, "the claims queue").await;
    check_page(&client, &app, &claim_path, "Review the claim").await;
    assert_accessible(&client, "the submitted claim").await;
    press(&client, "Accept the claim and request its payment").await;
    assert_eq!(text_of(&client, "#claim-state").await, "Accepted");
    let payment = text_of(&client, "#claim-payment").await;
    assert!(
        payment.contains("£30,000") && payment.contains("Waiting for an authoriser"),
        "{payment}"
    );
    let link = client.find(Locator::Css("#claim-payment a")).await.unwrap();
    click_and_wait(&client, link).await;
    let payment_path = client.current_url().await.unwrap().path().to_string();
    // The officer who accepted it cannot authorise it.
    let refusal = text_of(&client, "#refusal").await;
    assert!(refusal.contains("You accepted this claim"), "{refusal}");

    // A second officer authorises it.
    switch_user(&client, &app, FINANCE_OFFICER).await;
    check_page(&client, &app, "/payments", "Barking and Dagenham").await;
    assert_accessible(&client, "the payments waiting").await;
    check_page(
        &client,
        &app,
        &payment_path,
        "Authorise the payment of £30,000",
    )
    .await;
    assert_accessible(&client, "the payment to authorise").await;
    press(&client, "Authorise the payment of £30,000").await;
    assert_eq!(text_of(&client, "#payment-state").await, "Authorised");
    assert!(text_of(&client, "#authorised-by")
        .await
        .contains("MOPAC Finance Officer"));

    // The grant page shows spend against the profile.
    check_page(&client, &app, &grant_path, "Spend against profile").await;
    assert_eq!(text_of(&client, "#spend-claimed").await, "£30,000");
    assert_eq!(text_of(&client, "#spend-paid").await, "£30,000");
    let q1 = client
        .find(Locator::XPath(
            "//table[@id='spend-by-quarter']//tr[th[normalize-space()='2017/18']]/td[2]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(q1, "£30,000", "Q1 2017/18 claimed");
    assert_accessible(&client, "the grant with its spend").await;
    keep_screenshot(&client, Some("spend"), "grant-spend").await;
    std::fs::remove_file(evidence).ok();
}

/// How grants are paid, in Chromium with axe: a funder officer puts a drafted borough grant
/// on milestones and agrees one (a mistake first, named beside its field); Barnardo's
/// service manager reports a Taith milestone met; a funder officer confirms it, and its
/// payment is requested; the next St Giles Trust advance is requested from its grant page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milestones_and_advances_are_paid_in_chromium() {
    use lcpf_domain::grant::workflow::GrantEvent;
    let Some((client, _driver, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let system = lcpf_app::Actor::System;
    let officer = app.actor(FUNDER_OFFICER).await;
    let drafted = app.drafted_borough_grant().await;

    // A funder officer chooses milestones and agrees one.
    sign_in(&client, &app, FUNDER_OFFICER).await;
    let drafted_path = format!("/grants/{drafted}");
    check_page(&client, &app, &drafted_path, "How the grant is paid").await;
    by_id(&client, "schedule-milestones")
        .await
        .click()
        .await
        .unwrap();
    press(&client, "Save how it is paid").await;
    assert!(text_of(&client, "#schedule")
        .await
        .contains("On milestones"));
    assert!(text_of(&client, "#no-milestones")
        .await
        .contains("No milestones"));
    fill(
        &client,
        "milestone_title",
        "Youth outreach running in every ward",
    )
    .await;
    fill(&client, "milestone_due_on", "30/09/2017").await;
    fill(&client, "milestone_amount", "£100,000").await;
    press(&client, "Add the milestone").await;
    let problem = text_of(&client, ".govuk-error-summary").await;
    assert!(problem.contains("YYYY-MM-DD"), "{problem}");
    assert_accessible(&client, "the milestone form with its problem").await;
    fill(&client, "milestone_due_on", "2017-09-30").await;
    press(&client, "Add the milestone").await;
    assert!(text_of(&client, "#milestone-list")
        .await
        .contains("Youth outreach running in every ward"));
    assert_accessible(&client, "the drafted grant with a milestone").await;
    app.app
        .grant_step(&officer, drafted, GrantEvent::Offer)
        .await
        .unwrap();

    // Barnardo's service manager reports a planned Taith milestone met.
    let taith = app
        .app
        .grants_page(&system, 1)
        .await
        .unwrap()
        .rows
        .into_iter()
        .find(|g| g.recipient == "Barnardo's")
        .unwrap()
        .id;
    let plan = app.app.grant(&system, taith).await.unwrap().payment_plan;
    let planned = plan
        .milestones
        .iter()
        .find(|m| m.state.code == "planned")
        .unwrap()
        .clone();
    let taith_path = format!("/grants/{taith}");
    switch_user(&client, &app, "taith@barnardos.example").await;
    check_page(&client, &app, &taith_path, "Report the milestone met").await;
    fill(&client, &format!("milestone_{}", planned.id), "The half-year report went to every borough's partnership with referral and session counts.").await;
    click_and_wait(
        &client,
        by_id(&client, &format!("report-{}", planned.id)).await,
    )
    .await;
    let list = text_of(&client, "#milestone-list").await;
    assert!(
        list.contains("Reported met") && list.contains("The half-year report went"),
        "{list}"
    );
    assert_accessible(&client, "the recipient's grant with a reported milestone").await;

    // A funder officer confirms it: its payment is requested.
    switch_user(&client, &app, FUNDER_OFFICER).await;
    check_page(&client, &app, &taith_path, "Milestones").await;
    click_and_wait(
        &client,
        by_id(&client, &format!("confirm-{}", planned.id)).await,
    )
    .await;
    let payments = text_of(&client, "#grant-payments").await;
    assert!(
        payments.contains(&format!("Milestone: {}", planned.title))
            && payments.contains("Waiting for an authoriser"),
        "{payments}"
    );
    assert_accessible(&client, "the grant with a confirmed milestone").await;
    keep_screenshot(&client, Some("milestones"), "grant-milestones").await;

    // The next St Giles Trust advance is requested from its page.
    let st_giles = app
        .app
        .grants_page(&system, 1)
        .await
        .unwrap()
        .rows
        .into_iter()
        .find(|g| g.recipient == "St Giles Trust")
        .unwrap()
        .id;
    let st_giles_path = format!("/grants/{st_giles}");
    check_page(&client, &app, &st_giles_path, "Advance payments").await;
    let next = text_of(&client, "#next-advance").await;
    assert!(next.starts_with("Q3 "), "{next}");
    let quarter: String = next.split("'s advance").next().unwrap().to_string();
    press(&client, &format!("Request the advance for {quarter}")).await;
    assert!(text_of(&client, "#grant-payments")
        .await
        .contains(&format!("{quarter} in advance")));
    assert!(text_of(&client, "#next-advance").await.starts_with("Q4 "));
    assert_accessible(&client, "the grant paid in advance").await;

    // London's spend by year and quarter, beside each grant's.
    check_page(&client, &app, "/grants/spend", "London by year and quarter").await;
    let by_year = text_of(&client, "#spend-by-year").await;
    assert!(
        by_year.contains("2018/19") && by_year.contains("paid"),
        "{by_year}"
    );
}
