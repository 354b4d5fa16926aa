//! In a real headless Chromium: a provider drafts and submits a Tranche 2 bid covering three
//! boroughs, the funder assigns an assessor, the assessor declares no conflict and scores it,
//! a funder admin awards it, and the coverage map and matrix show it. axe-core finds no WCAG
//! 2.2 AA violations on the pages visited.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::browser::*;
use common::*;
use fantoccini::{Client, Locator};

async fn tick(client: &Client, id: &str) {
    client
        .find(Locator::Css(&format!("label[for=\"{id}\"]")))
        .await
        .unwrap_or_else(|_| panic!("no label for {id}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bid_is_drafted_submitted_scored_awarded_and_mapped_in_chromium() {
    let Some((client, _driver, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let t2 = app.call_id("Tranche 2").await;

    // The provider starts and writes a bid.
    sign_in(&client, &app, PROVIDER).await;
    check_page(&client, &app, "/calls", "Tranche 2").await;
    check_page(&client, &app, &format!("/calls/{t2}"), "Start a bid").await;
    fill(&client, "title", "Women's futures in west London").await;
    press(&client, "Start a bid").await;
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/edit"));
    assert_accessible(&client, "the bid form").await;
    fill(&client, "amount-2019/20", "£250,000").await;
    fill(&client, "amount-2020/21", "£250,000").await;
    for code in ["E09000005", "E09000007", "E09000009"] {
        tick(&client, &format!("borough-{code}")).await;
    }
    fill(
        &client,
        "answer-need",
        "Women in west London at risk of offending.",
    )
    .await;
    tick(&client, "answer-theme-2").await;
    fill(
        &client,
        "answer-partnership",
        "Designed with Brent, Camden and Ealing.",
    )
    .await;
    fill(&client, "answer-delivery", "Keyworkers in women centres.").await;
    fill(&client, "answer-people", "90").await;
    tick(&client, "answer-safeguarding-yes").await;
    fill(&client, "answer-value", "Shared across three boroughs.").await;
    fill(&client, "outcome_0", "Fewer women re-offend").await;
    fill(&client, "measure_0", "Proven re-offending").await;
    fill(&client, "target_0", "Down a fifth").await;
    press(&client, "Save the bid").await;
    let saved = client
        .find(Locator::Id("saved"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(saved.contains("ready to submit"), "{saved}");
    assert_accessible(&client, "the saved bid form").await;
    let bid_path = client
        .current_url()
        .await
        .unwrap()
        .path()
        .trim_end_matches("/edit")
        .to_string();
    check_page(&client, &app, &bid_path, "Women's futures in west London").await;
    press(&client, "Submit the bid").await;
    assert_eq!(
        client
            .find(Locator::Id("bid-state"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Submitted"
    );
    assert_accessible(&client, "the submitted bid").await;

    // The funder assigns the assessor.
    switch_user(&client, &app, ADMIN).await;
    check_page(
        &client,
        &app,
        &format!("{bid_path}/scores"),
        "Assign an assessor",
    )
    .await;
    choose(&client, "user_id", "Co-commissioning Assessor").await;
    press(&client, "Assign").await;

    // The assessor declares no conflict and scores it.
    switch_user(&client, &app, ASSESSOR).await;
    check_page(
        &client,
        &app,
        "/assessments",
        "Women's futures in west London",
    )
    .await;
    check_page(
        &client,
        &app,
        &format!("{bid_path}/assessment"),
        "Conflict of interest",
    )
    .await;
    tick(&client, "conflicted-no").await;
    press(&client, "Declare").await;
    assert_accessible(&client, "the scoring form").await;
    for (key, mark) in [
        ("need", "4"),
        ("partnership", "3"),
        ("delivery", "4"),
        ("value", "3"),
    ] {
        fill(&client, &format!("mark-{key}"), mark).await;
        fill(&client, &format!("comment-{key}"), "Seen in the bid").await;
    }
    tick(&client, "mark-safeguarding-pass").await;
    fill(&client, "comment-safeguarding", "Policy reviewed this year").await;
    press(&client, "Save the scores").await;
    let queue = client.source().await.unwrap();
    assert!(queue.contains("Scored"), "the queue shows the bid scored");

    // The funder admin sees the score and awards it.
    switch_user(&client, &app, ADMIN).await;
    check_page(&client, &app, &format!("{bid_path}/scores"), "72.00%").await;
    check_page(
        &client,
        &app,
        &format!("/calls/{t2}/ranking"),
        "Women's futures in west London",
    )
    .await;
    check_page(&client, &app, &format!("{bid_path}/award"), "Award the bid").await;
    fill(&client, "decision_reference", "PCD 512").await;
    fill(&client, "decided_on", "2019-06-03").await;
    press(&client, "Award the bid").await;
    let award = client
        .find(Locator::Id("award"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        award.contains("Awarded £500,000") && award.contains("PCD 512"),
        "{award}"
    );
    assert_accessible(&client, "the awarded bid").await;

    // Coverage: the matrix has a column for it and the map shades its boroughs.
    check_page(
        &client,
        &app,
        "/co-commissioning/coverage",
        "Women's futures in west London",
    )
    .await;
    keep_screenshot(&client, None, "co-commissioning-coverage").await;
    let map = client
        .find(Locator::Css("#coverage-map svg"))
        .await
        .unwrap();
    assert!(map.html(false).await.unwrap().contains("Ealing"));
    let brent = client
        .find(Locator::XPath(
            "//table[@id='coverage']//tr[th//a[normalize-space()='Brent']]/td[last()-1]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        brent, "3",
        "Brent: Advance's service, Out There, and this one"
    );

    // The award becomes a grant: made and offered by the funder, accepted by the lead.
    check_page(&client, &app, "/grants", "Make a grant").await;
    // The newest award is the last choice.
    let option = client
        .find(Locator::Css("#source option:last-child"))
        .await
        .unwrap();
    assert!(option
        .text()
        .await
        .unwrap()
        .contains("Women's futures in west London"));
    option.click().await.unwrap();
    press(&client, "Make the grant").await;
    assert_eq!(
        client
            .find(Locator::Id("grant-state"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Drafted"
    );
    assert_accessible(&client, "the drafted grant").await;
    press(&client, "Offer the grant").await;
    let grant_path = client.current_url().await.unwrap().path().to_string();
    switch_user(&client, &app, PROVIDER).await;
    check_page(
        &client,
        &app,
        &grant_path,
        "Accept the grant and its conditions",
    )
    .await;
    press(&client, "Accept the grant and its conditions").await;
    let signature = client
        .find(Locator::Id("signature"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        signature.starts_with("Accepted by Advance Bids Manager (Advance Charity)"),
        "{signature}"
    );
    assert_accessible(&client, "the accepted grant").await;
    switch_user(&client, &app, ADMIN).await;
    check_page(&client, &app, &grant_path, "Start the grant").await;
    press(&client, "Start the grant").await;
    check_page(
        &client,
        &app,
        &format!("{grant_path}/variation"),
        "Record the variation",
    )
    .await;
}
