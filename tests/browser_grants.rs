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
    press(&client, "Submit the claim to MOPAC").await;
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
    client
        .execute("document.getElementById('spend').scrollIntoView();", vec![])
        .await
        .unwrap();
    std::fs::create_dir_all("target/screenshots").unwrap();
    std::fs::write(
        "target/screenshots/grant-spend.png",
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    std::fs::remove_file(evidence).ok();
}
