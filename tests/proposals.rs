//! Borough proposals end to end, on SQLite and PostgreSQL: the seed's draft, the workflow with
//! its roles and refusals, versions and their comparison, variation after approval, the
//! fund's rules, spreadsheet export and import, and the same through the API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_app::Actor;
use lcpf_domain::Money;

const BD_ONS: &str = "E09000002";

async fn bd_proposal(app: &TestApp) -> i64 {
    app.proposal_id("2017/18", BD_ONS)
        .await
        .expect("the demo has Barking and Dagenham's draft")
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", csrf));
    let r = client.post(app.url(path)).form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = r.text().await.unwrap();
    (status, if status == 303 { location } else { body })
}

/// The id of the draft line with this number.
async fn line_id(app: &TestApp, proposal: i64, number: &str) -> i64 {
    let view = app
        .app
        .proposal(&Actor::System, proposal, None)
        .await
        .unwrap();
    view.lines
        .iter()
        .find(|s| s.line.number.to_string() == number)
        .unwrap_or_else(|| panic!("no line {number}"))
        .id
}

fn police_line() -> Vec<(&'static str, &'static str)> {
    vec![
        ("number", "1.3"),
        ("title", "Dedicated ward officers"),
        ("priority", "Neighbourhood Policing"),
        ("outcome", "Residents see more police on the street"),
        ("activity", "Two police constables for the town centre."),
        ("years[0].cost", "£4,000"),
        ("years[1].cost", ""),
        ("police_posts", "yes"),
        ("providers[0].name", "Ward Watch"),
        ("providers[0].voluntary_sector", "yes"),
        ("providers[0].amounts[0]", "£1,500"),
        ("smart_outcomes[0].outcome", "More residents feel safe"),
        ("smart_outcomes[0].measure", "Resident survey"),
        ("smart_outcomes[0].target", "60% by March 2018"),
    ]
}

backend_tests! {
    async fn the_demo_draft_is_the_seed_document_with_four_thousand_pounds_headroom(app: TestApp) {
        let id = bd_proposal(&app).await;
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let (status, html) = page(&client, &app, &format!("/proposals/{id}")).await;
        assert_eq!(status, 200);
        for text in ["Total cost: £65,000", "Total cost: £268,000", "Total cost: £63,000", "Total cost: £54,000", "Total cost: £190,000", "£640,000", "£644,000", "Contribution of £110,000 towards a contract totalling £1,082,015", "£0 – paid for by line 1.1", "Continues a service commissioned in 2016/17"] {
            assert!(html.contains(text), "the proposal page lacks {text}");
        }
        assert!(html.contains(r#"id="headroom">£4,000"#));
        // The demo data says what it assumed, on the line it concerns.
        assert!(html.contains("The cost of this line is not legible in the source document; £40,000 follows from the Children and Young People section total"));
        assert!(html.contains("About this demo data"));
        // The funder sees nothing of a draft.
        let (client, _) = app.signed_in(FUNDER_OFFICER).await;
        let (status, html) = page(&client, &app, &format!("/proposals/{id}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("has not submitted this proposal yet") && !html.contains("Victim Support Project Worker"));
        // One status, said as the overview says it; no headroom worked out from lines it cannot see.
        assert!(html.contains(">Draft</strong>") && !html.contains("Not started"), "the funder sees the draft's status");
        assert!(!html.contains("Headroom") && !html.contains("Total costs"), "no figures for a draft the funder cannot read");
        let period = app.period_id("2017/18").await;
        let (_, overview) = page(&client, &app, &format!("/periods/{period}/proposals")).await;
        let bd_row = overview.split("Barking and Dagenham").nth(1).unwrap_or_default();
        assert!(bd_row.split("</tr>").next().unwrap_or_default().contains("Draft"), "the overview says Draft too");
        let token = app.token(FUNDER_OFFICER).await;
        let api: serde_json::Value = client.get(app.url(&format!("/api/v1/proposals/{id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert!(api["version"].is_null() && api["lines"].as_array().unwrap().is_empty(), "{api}");
    }

    async fn each_problem_belongs_to_its_own_line_even_when_two_share_a_number(app: TestApp) {
        let id = bd_proposal(&app).await;
        let bd = app.actor(BD_OFFICER).await;
        let view = app.app.proposal(&bd, id, None).await.unwrap();
        // Give line 1.2 the number 1.1 and make it pay for police officers.
        let second = view.lines.iter().find(|s| s.line.number.to_string() == "1.2").unwrap().clone();
        let first_key = view.lines.iter().find(|s| s.line.number.to_string() == "1.1").unwrap().line.key.unwrap();
        let mut input = lcpf_app::proposals::LineInput::from_line(&second.line);
        input.number = "1.1".into();
        input.police_posts = true;
        app.app.save_line(&bd, id, Some(second.id), &input, None).await.unwrap();
        let (client, _) = app.signed_in(BD_OFFICER).await;
        let (_, html) = page(&client, &app, &format!("/proposals/{id}")).await;
        let police = "this line is not eligible";
        let same = "another line has the same number";
        // Once in the summary, once on the line; the number problem once each for two lines.
        assert_eq!(html.matches(police).count(), 2, "the eligibility problem is the police line's only");
        assert_eq!(html.matches(same).count(), 4, "each line has its own duplicate-number problem");
        let row = |key: String| html.split(&format!("id=\"line-{key}\"")).nth(1).unwrap().split("</tr>").next().unwrap().to_string();
        assert!(row(second.line.key.unwrap().to_string()).contains(police));
        assert!(!row(first_key.to_string()).contains(police), "the other 1.1 does not show the police line's error");
        assert!(html.contains(&format!("href=\"#line-{}\"", second.line.key.unwrap())), "the summary links to the line by its key");
        let token = app.token(BD_OFFICER).await;
        let api: serde_json::Value = client.get(app.url(&format!("/api/v1/proposals/{id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let keyed: Vec<i64> = api["problems"].as_array().unwrap().iter().filter(|p| p["message"].as_str().unwrap().contains(police)).map(|p| p["key"].as_i64().unwrap()).collect();
        assert_eq!(keyed, [second.line.key.unwrap().0], "the API says which line by its key");
    }

    async fn approving_money_in_a_year_not_yet_allocated_is_warned_of(app: TestApp) {
        let id = bd_proposal(&app).await;
        let bd = app.actor(BD_OFFICER).await;
        let view = app.app.proposal(&bd, id, None).await.unwrap();
        assert!(view.unallocated.is_empty(), "the demo draft asks for 2017/18 only, which is decided");
        // £4,000 (the headroom) in 2018/19, which has no decided allocation yet.
        let shown = view.lines.iter().find(|s| s.line.number.to_string() == "1.1").unwrap().clone();
        let mut input = lcpf_app::proposals::LineInput::from_line(&shown.line);
        input.years.iter_mut().find(|y| y.year == "2018/19").unwrap().cost = "4000".into();
        app.app.save_line(&bd, id, Some(shown.id), &input, None).await.unwrap();
        let view = app.app.proposal(&bd, id, None).await.unwrap();
        assert_eq!(view.unallocated.iter().map(|u| (u.year.to_string(), u.asked.pence())).collect::<Vec<_>>(), [("2018/19".to_string(), 400_000)]);
        // The police line is what stands between the demo draft and submission.
        let police = view.lines.iter().find(|s| s.line.police_posts).map(|s| s.id);
        if let Some(line) = police {
            app.app.delete_line(&bd, id, line, None).await.unwrap();
        }
        let (client, csrf) = app.signed_in(BD_OFFICER).await;
        let (status, _) = post(&client, &app, &format!("/proposals/{id}/submit"), &csrf, &[]).await;
        assert_eq!(status, 303);
        let (funder, _) = app.signed_in(FUNDER_OFFICER).await;
        let (_, html) = page(&funder, &app, &format!("/proposals/{id}")).await;
        let warning = html.split("id=\"unallocated\"").nth(1).expect("a warning above Approve").split("</div>").next().unwrap().to_string();
        assert!(warning.contains("asks for £4,000 in 2018/19") && warning.contains("no allocation to Barking and Dagenham has been decided for 2018/19"), "{warning}");
        assert!(html.find("id=\"unallocated\"").unwrap() < html.find("Approve this version").unwrap());
    }

    async fn a_proposal_goes_from_draft_to_approval_with_each_role_in_its_place(app: TestApp) {
        let id = bd_proposal(&app).await;
        let (bd, bd_csrf) = app.signed_in(BD_OFFICER).await;
        let (funder, funder_csrf) = app.signed_in(FUNDER_OFFICER).await;
        let (barnet, barnet_csrf) = app.signed_in(BARNET_OFFICER).await;

        // A line that pays for police officers is saved with the fund's own words as the problem…
        let (status, location) = post(&bd, &app, &format!("/proposals/{id}/lines"), &bd_csrf, &police_line()).await;
        assert_eq!(status, 303, "{location}");
        let (_, html) = page(&bd, &app, &location).await;
        assert!(html.contains("Line 1.3: this line is not eligible") && html.contains("“Cannot fund MPS or buy police officers.”, and it declares police officer posts"), "the rule is not explained");
        assert!(html.contains("£644,000") && html.contains("id=\"headroom\">£0"));
        // …and blocks submission, changing nothing.
        let before = app.audit_count().await;
        let (status, html) = post(&bd, &app, &format!("/proposals/{id}/submit"), &bd_csrf, &[]).await;
        assert_eq!(status, 400);
        assert!(html.contains("Cannot fund MPS or buy police officers."));
        assert_eq!(app.audit_count().await, before);
        let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
        assert_eq!(view.version.as_ref().unwrap().state.as_str(), "draft");
        let saved = view.lines.iter().map(|s| (s.id, &s.line)).find(|(_, l)| l.number.to_string() == "1.3").unwrap();
        assert_eq!(saved.1.providers[0].name, "Ward Watch");
        assert_eq!(saved.1.smart_outcomes[0].target, "60% by March 2018");

        // Another borough's officer can neither see nor touch it.
        assert_eq!(page(&barnet, &app, &format!("/proposals/{id}")).await.0, 403);
        let line = line_id(&app, id, "1.3").await;
        assert_eq!(post(&barnet, &app, &format!("/proposals/{id}/lines/{line}/delete"), &barnet_csrf, &[("confirm", "yes")]).await.0, 403);
        assert_eq!(post(&barnet, &app, &format!("/proposals/{id}/submit"), &barnet_csrf, &[]).await.0, 403);
        // The funder cannot edit a borough's draft either.
        assert_eq!(page(&funder, &app, &format!("/proposals/{id}/lines/new")).await.0, 403);

        // Fixed: removed (after saying yes), then submitted.
        let before = app.audit_count().await;
        let (_, question) = page(&bd, &app, &format!("/proposals/{id}/lines/{line}/delete")).await;
        assert!(question.contains("Are you sure you want to remove line 1.3?") && question.contains("name=\"confirm\" value=\"yes\"") && question.contains("No, keep it"), "{question}");
        let (status, asked) = post(&bd, &app, &format!("/proposals/{id}/lines/{line}/delete"), &bd_csrf, &[]).await;
        assert_eq!(status, 200, "without the answer, the question is asked");
        assert!(asked.contains("Are you sure you want to remove line 1.3?"));
        assert_eq!(app.audit_count().await, before, "nothing removed before the yes");
        assert_eq!(line_id(&app, id, "1.3").await, line);
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/lines/{line}/delete"), &bd_csrf, &[("confirm", "yes")]).await.0, 303);
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/submit"), &bd_csrf, &[]).await, (303, format!("/proposals/{id}?saved=submitted")));
        // Submitted is frozen for the borough.
        let first = line_id(&app, id, "1.1").await;
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/lines/{first}/delete"), &bd_csrf, &[("confirm", "yes")]).await.0, 403);
        // Only funder staff review; a return needs a comment.
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/approve"), &bd_csrf, &[]).await.0, 403);
        let (status, html) = post(&funder, &app, &format!("/proposals/{id}/return"), &funder_csrf, &[("comment", " ")]).await;
        assert_eq!(status, 400);
        assert!(html.contains("Enter a comment"));
        assert_eq!(post(&funder, &app, &format!("/proposals/{id}/return"), &funder_csrf, &[("comment", "Line 1.1 should say how many victims it will support.")]).await.0, 303);

        // The borough revises version 2 (started from the returned version 1) and comments on a line.
        let (_, html) = page(&bd, &app, &format!("/proposals/{id}")).await;
        assert!(html.contains("Line 1.1 should say how many victims it will support.") && html.contains("Returned; being revised"));
        let first = line_id(&app, id, "1.1").await;
        let edit: Vec<(&str, &str)> = vec![("number", "1.1"), ("title", "Victim Support Project Worker"), ("priority", "Neighbourhood Policing"), ("links", "Hate Crime and Extremism"), ("outcome", "Victims are supported"), ("activity", "A full-time caseworker."), ("years[0].cost", "£39,000"), ("police_posts", "no"), ("smart_outcomes[0].outcome", "Victims supported"), ("smart_outcomes[0].measure", "Victims given casework"), ("smart_outcomes[0].target", "120 a year")];
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/lines/{first}"), &bd_csrf, &edit).await.0, 303);
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/comments"), &bd_csrf, &[("line_number", "1.1"), ("comment", "Now 120 victims a year.")]).await.0, 303);
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/submit"), &bd_csrf, &[]).await.0, 303);
        assert_eq!(post(&funder, &app, &format!("/proposals/{id}/approve"), &funder_csrf, &[]).await.0, 303);
        // Who and when, said the GOV.UK way: people by name with their organisation, London time.
        let (_, html) = page(&bd, &app, &format!("/proposals/{id}")).await;
        let today = lcpf_domain::calendar::london_date_time(chrono::Utc::now());
        let today = today.split(" at ").next().unwrap();
        assert!(html.contains(&format!("submitted {today} at ")), "submitted on {today}: {html}");
        assert!(html.contains("by Barking and Dagenham Community Safety Officer (Barking and Dagenham)"), "the submitter by name");
        assert!(html.contains("by MOPAC Grants Officer"), "the approver by name");
        assert!(html.contains("<strong>Barking and Dagenham Community Safety Officer (Barking and Dagenham)</strong>, "), "a comment's author by name");
        assert!(!html.contains(BD_OFFICER) && !html.contains(FUNDER_OFFICER), "no e-mail addresses for people");
        assert!(!html.contains("Z (version") && !html.contains("+00:00"), "no raw timestamps");

        // Versions 1 and 2 compared: only line 1.1 changed, its cost highlighted.
        let (status, html) = page(&funder, &app, &format!("/proposals/{id}/compare?from=1&to=2")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Changed: cost"), "{html}");
        assert!(html.contains("£40,000") && html.contains("£39,000") && html.contains("£639,000"));
        assert_eq!(html.matches("No change").count(), 17);

        // Approved is locked; a variation needs a reason and goes through review again.
        let first = line_id(&app, id, "1.1").await;
        let (status, html) = post(&bd, &app, &format!("/proposals/{id}/lines/{first}/delete"), &bd_csrf, &[("confirm", "yes")]).await;
        assert_eq!(status, 403);
        assert!(html.contains("start a variation"));
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/variation"), &bd_csrf, &[("reason", "")]).await.0, 400);
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/variation"), &bd_csrf, &[("reason", "Raised Voices has closed")]).await.0, 303);
        let raised = line_id(&app, id, "3.4").await;
        assert_eq!(post(&bd, &app, &format!("/proposals/{id}/lines/{raised}/delete"), &bd_csrf, &[("confirm", "yes")]).await.0, 303);
        let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
        assert_eq!(view.status(), "Approved; variation in draft");
        assert_eq!(view.versions.iter().map(|v| v.state.as_str()).collect::<Vec<_>>(), ["returned", "approved", "draft"]);
        assert_eq!(view.totals.total, lcpf_domain::Money::from_pounds(629_000));
        // The funder still sees the approved version until the variation is submitted.
        let funder_view = app.app.proposal(&app.actor(FUNDER_OFFICER).await, id, None).await.unwrap();
        assert_eq!(funder_view.version.unwrap().number, 2);
        assert_eq!(funder_view.totals.total, lcpf_domain::Money::from_pounds(639_000));
        let (_, html) = page(&funder, &app, &format!("/proposals/{id}")).await;
        assert!(html.contains("Now 120 victims a year."));
        // Everything above is in the audit log.
        let log = app.app.audit_log(&Actor::System, &lcpf_app::AuditFilter { entity_type: Some("proposal".into()), ..Default::default() }, None).await.unwrap().records;
        for action in ["proposal.line.add", "proposal.line.delete", "proposal.submit", "proposal.return", "proposal.approve", "proposal.variation", "proposal.comment", "proposal.line.update"] {
            assert!(log.iter().any(|r| r.action == action), "no {action} in the audit log");
        }
    }

    async fn entry_errors_name_the_field_and_save_nothing(app: TestApp) {
        let id = bd_proposal(&app).await;
        let (bd, csrf) = app.signed_in(BD_OFFICER).await;
        let before = app.audit_count().await;
        let lines_before = app.app.proposal(&Actor::System, id, None).await.unwrap().lines;
        let fields = [("number", "one"), ("title", "X"), ("priority", "Neighbourhood Policing"), ("years[0].cost", "forty pounds"), ("cross_reference", "9.9.9"), ("continues_from", "2016")];
        let (status, html) = post(&bd, &app, &format!("/proposals/{id}/lines"), &csrf, &fields).await;
        assert_eq!(status, 400);
        for text in ["“one” is not a line number", "The cost for 2017/18", "href=\"#years[0].cost\"", "href=\"#cross_reference\"", "href=\"#continues_from\""] {
            assert!(html.contains(text), "missing {text}");
        }
        assert_eq!(app.audit_count().await, before);
        assert_eq!(app.app.proposal(&Actor::System, id, None).await.unwrap().lines, lines_before);
    }

    async fn a_spreadsheet_round_trips_and_a_bad_one_changes_nothing(app: TestApp) {
        let id = bd_proposal(&app).await;
        let (bd, csrf) = app.signed_in(BD_OFFICER).await;
        let system = Actor::System;
        // A line that uses every part of the form, so the round trip covers them all.
        let mut full = lcpf_app::proposals::LineInput::from_line(&app.app.proposal(&system, id, None).await.unwrap().lines[0].line);
        full.number = "1.3".into();
        full.title = "Business crime reduction partnership".into();
        full.categories = vec!["Business crime".into(), "Crime prevention".into()];
        full.years[0].local_authority = "£2,500.50".into();
        full.years[1].local_authority_in_kind = "Office space in the town hall".into();
        full.partners = vec![lcpf_app::proposals::ContributorInput { name: "Barking Town Centre BID".into(), amounts: [("2018/19".to_string(), "£1,000".to_string())].into(), in_kind: "CCTV monitoring".into(), ..Default::default() }];
        full.smart_outcomes = vec![lcpf_app::proposals::SmartOutcomeInput { outcome: "Less shoplifting".into(), measure: "Recorded shoplifting offences".into(), baseline: "410 in 2016/17".into(), target: "350 in 2017/18".into() }];
        full.years[0].cost = "£0".into();
        app.app.save_line(&app.actor(BD_OFFICER).await, id, None, &full, None).await.unwrap();
        let before = app.app.proposal(&system, id, None).await.unwrap();
        let r = bd.get(app.url(&format!("/proposals/{id}/proposal.xlsx"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let book = r.bytes().await.unwrap().to_vec();

        // Upload the export unchanged: the preview shows the same lines and totals, and saves nothing.
        let upload = |bytes: Vec<u8>| {
            reqwest::multipart::Form::new()
                .text("csrf_token", csrf.clone())
                .part("file", reqwest::multipart::Part::bytes(bytes).file_name("proposal.xlsx"))
        };
        let audit = app.audit_count().await;
        let r = bd.post(app.url(&format!("/proposals/{id}/import/preview"))).multipart(upload(book.clone())).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("The spreadsheet has 19 lines") && html.contains("£640,000"), "{html}");
        assert_eq!(app.audit_count().await, audit);
        let lines_json = html_unescape(&hidden_value(&html, "lines"));
        let (status, _) = post(&bd, &app, &format!("/proposals/{id}/import"), &csrf, &[("lines", &lines_json)]).await;
        assert_eq!(status, 303);
        let after = app.app.proposal(&system, id, None).await.unwrap();
        let strip = |v: &lcpf_app::proposals::ProposalView| v.lines.iter().map(|s| s.line.clone()).collect::<Vec<_>>();
        assert_eq!(strip(&before), strip(&after), "the export did not round-trip");

        // A workbook with mistakes: every one is reported by sheet, row and column; nothing changes.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet().set_name("Lines").unwrap();
        let header = ["No.", "Title", "Priority", "Outcome", "Local themes", "Activity", "Links to other priorities", "Project categories", "Cost 2017/18", "Cost 2018/19", "Local authority contribution 2017/18", "Local authority contribution 2018/19", "Local authority in kind 2017/18", "Local authority in kind 2018/19", "Contract total", "Cross-reference to line", "Continues a service from", "Police officer posts or MPS"];
        for (c, h) in header.iter().enumerate() {
            sheet.write(0, c as u16, *h).unwrap();
        }
        let row = ["1.1", "Mentoring", "Neighbourhood Policing", "Fewer victims", "", "Mentoring", "", "", "forty pounds", "0", "0", "0", "", "", "", "", "", "maybe"];
        for (c, v) in row.iter().enumerate() {
            sheet.write(1, c as u16, *v).unwrap();
        }
        // A second line reads cleanly but breaks a rule of the fund: reported at the same time.
        let ruled = ["1.2", "Outreach", "Gardening", "Fewer victims", "", "Outreach", "", "", "100", "0", "0", "0", "", "", "", "", "", "No"];
        for (c, v) in ruled.iter().enumerate() {
            sheet.write(2, c as u16, *v).unwrap();
        }
        let providers = wb.add_worksheet().set_name("Providers").unwrap();
        for (c, h) in ["Line", "Provider", "Voluntary sector", "Amount 2017/18"].iter().enumerate() {
            providers.write(0, c as u16, *h).unwrap();
        }
        providers.write(1, 0, "7.7").unwrap();
        let bad = wb.save_to_buffer().unwrap();
        let audit = app.audit_count().await;
        let r = bd.post(app.url(&format!("/proposals/{id}/import/preview"))).multipart(upload(bad)).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        for text in ["Lines sheet, row 2, column “Police officer posts or MPS”: “maybe” is not Yes or No", "Lines sheet, row 2, column “Cost 2017/18”", "Providers sheet, row 2, column “Line”: “7.7” is not a line on the Lines sheet", "Nothing has been saved", "Lines sheet, row 3: Line 1.2: “Gardening” is not a priority of the plan"] {
            assert!(html.contains(text), "missing {text}: {html}");
        }
        let not_a_workbook = app.audit_count().await;
        let r = bd.post(app.url(&format!("/proposals/{id}/import/preview"))).multipart(upload(b"No.,Title\n".to_vec())).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("not an Excel workbook"));
        assert_eq!(app.audit_count().await, audit);
        assert_eq!(not_a_workbook, audit);
        assert_eq!(strip(&app.app.proposal(&system, id, None).await.unwrap()), strip(&before));
    }

    async fn the_csv_export_opens_in_excel_with_money_as_numbers(app: TestApp) {
        let id = bd_proposal(&app).await;
        let (bd, _) = app.signed_in(BD_OFFICER).await;
        let r = bd.get(app.url(&format!("/proposals/{id}/proposal.csv"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let header = reader.headers().unwrap().clone();
        let cost = header.iter().position(|h| h == "Cost 2017/18").unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 18);
        let total: i64 = rows.iter().map(|r| lcpf_domain::Money::parse(&r[cost]).unwrap().pence()).sum();
        assert_eq!(total, Money::from_pounds(640_000).pence());
        assert_eq!(&rows[0][cost], "40000.00");
    }

    async fn the_api_runs_the_same_workflow_and_the_funder_sees_london(app: TestApp) {
        let id = bd_proposal(&app).await;
        let client = app.client();
        let bd = app.token(BD_OFFICER).await;
        let funder = app.token(FUNDER_OFFICER).await;
        let current: serde_json::Value = client.get(app.url(&format!("/api/v1/proposals/{id}"))).bearer_auth(&bd).send().await.unwrap().json().await.unwrap();
        assert_eq!(current["totals"]["headroom"], 400_000);
        let mut lines: Vec<lcpf_app::proposals::LineInput> = current["lines"].as_array().unwrap().iter().map(|l| {
            let line: lcpf_domain::proposal::ProposalLine = serde_json::from_value(l.clone()).unwrap();
            lcpf_app::proposals::LineInput::from_line(&line)
        }).collect();
        lines[0].years[0].cost = "£48,000".into();
        let r = client.put(app.url(&format!("/api/v1/proposals/{id}/lines"))).bearer_auth(&bd).json(&lines).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let saved: serde_json::Value = r.json().await.unwrap();
        assert!(saved["problems"][0]["message"].as_str().unwrap().contains("by £4,000"), "{saved}");
        let r = client.post(app.url(&format!("/api/v1/proposals/{id}/submit"))).bearer_auth(&bd).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        lines[0].years[0].cost = "£44,000".into();
        assert_eq!(client.put(app.url(&format!("/api/v1/proposals/{id}/lines"))).bearer_auth(&bd).json(&lines).send().await.unwrap().status(), 200);
        let r = client.post(app.url(&format!("/api/v1/proposals/{id}/submit"))).bearer_auth(&bd).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(client.post(app.url(&format!("/api/v1/proposals/{id}/approve"))).bearer_auth(&bd).send().await.unwrap().status(), 403);
        let r = client.post(app.url(&format!("/api/v1/proposals/{id}/approve"))).bearer_auth(&funder).json(&serde_json::json!({"comment": "Approved at the March board."})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let approved: serde_json::Value = r.json().await.unwrap();
        assert_eq!(approved["status"], "Approved");
        assert_eq!(approved["totals"]["headroom"], 0);
        let period = app.period_id("2017/18").await;
        let overview: serde_json::Value = client.get(app.url(&format!("/api/v1/periods/{period}/proposals"))).bearer_auth(&funder).send().await.unwrap().json().await.unwrap();
        let rows = overview["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 32);
        let row = rows.iter().find(|r| r["area_code"] == BD_ONS).unwrap();
        assert_eq!((row["status"].as_str(), row["total_pence"].as_i64(), row["headroom_pence"].as_i64()), (Some("Approved"), Some(Money::from_pounds(644_000).pence()), Some(0)));
        assert_eq!(overview["by_priority"][0], serde_json::json!(["Neighbourhood Policing", Money::from_pounds(69_000).pence()]));
        assert_eq!(client.get(app.url(&format!("/api/v1/periods/{period}/proposals"))).bearer_auth(&bd).send().await.unwrap().status(), 403);
        let (funder_client, _) = app.signed_in(FUNDER_OFFICER).await;
        let (status, html) = page(&funder_client, &app, &format!("/periods/{period}/proposals")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Barking and Dagenham") && html.contains("£644,000") && html.contains("Not started"));
        let r = funder_client.get(app.url(&format!("/periods/{period}/proposals.csv"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(reader.headers().unwrap().get(6), Some("Neighbourhood Policing"));
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 32);
        let bd = rows.iter().find(|r| &r[1] == BD_ONS).unwrap();
        assert_eq!((&bd[2], &bd[3], &bd[5], &bd[6], &bd[7]), ("Approved", "644000.00", "0.00", "69000.00", "268000.00"));
    }

    async fn the_api_previews_and_imports_a_workbook(app: TestApp) {
        let id = bd_proposal(&app).await;
        let client = app.client();
        let token = app.token(BD_OFFICER).await;
        let book = client.get(app.url(&format!("/proposals/{id}/proposal.xlsx"))).bearer_auth(&token).send().await.unwrap().bytes().await.unwrap();
        let audit = app.audit_count().await;
        let r = client.post(app.url(&format!("/api/v1/proposals/{id}/import"))).bearer_auth(&token).body(book.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let preview: serde_json::Value = r.json().await.unwrap();
        assert_eq!(preview["parsed"].as_array().unwrap().len(), 18);
        assert_eq!(preview["totals"]["total"], Money::from_pounds(640_000).pence());
        assert_eq!(app.audit_count().await, audit, "a preview saved something");
        let r = client.post(app.url(&format!("/api/v1/proposals/{id}/import"))).bearer_auth(&token).body("not a workbook").send().await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: serde_json::Value = r.json().await.unwrap();
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("not an Excel workbook"));
        let r = client.post(app.url(&format!("/api/v1/proposals/{id}/import?confirm=true"))).bearer_auth(&token).body(book).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let detail: serde_json::Value = r.json().await.unwrap();
        assert_eq!(detail["lines"].as_array().unwrap().len(), 18);
        assert!(app.audit_count().await > audit);
    }

    async fn proposals_are_started_and_submitted_only_while_the_window_is_open(app: TestApp) {
        let (barnet, csrf) = app.signed_in(BARNET_OFFICER).await;
        let (_, html) = page(&barnet, &app, "/proposals").await;
        let offered = html.split("<select").nth(1).unwrap().split("</select>").next().unwrap();
        // Only the 2017–19 period is open in the demo: not the past round, the next, or the DIP.
        assert_eq!(offered.matches("<option").count(), 1, "{offered}");
        assert!(offered.contains("2017/18 to 2018/19") && offered.contains("Open for proposals"), "{offered}");
        let not_open = html.split("id=\"not-open\"").nth(1).unwrap();
        assert!(not_open.contains("2019/20 to 2020/21: Not open for proposals") && not_open.contains("Drug Interventions"), "{not_open}");
        // Starting one for a period that is not open is refused on the form, and changes nothing.
        let later = app.period_id("2019/20").await;
        let org = app.organisation_id("Barnet").await;
        let audit = app.audit_count().await;
        let (status, html) = post(&barnet, &app, &format!("/organisations/{org}/proposals"), &csrf, &[("period_id", &later.to_string())]).await;
        assert_eq!(status, 400, "{html}");
        assert!(html.contains("This funding period is not open for proposals"), "{html}");
        assert_eq!(app.audit_count().await, audit);

        // The funder admin opens it; a bad window is refused naming the field.
        let (admin, admin_csrf) = app.signed_in(ADMIN).await;
        let audit = app.audit_count().await;
        let (status, html) = post(&admin, &app, &format!("/periods/{later}/proposals-window"), &admin_csrf, &[("opens_on", "2019-02-01"), ("closes_on", "2019-01-01")]).await;
        assert_eq!(status, 400);
        assert!(html.contains("closes on 1 January 2019 before it opens on 1 February 2019"), "{html}");
        let (status, html) = post(&admin, &app, &format!("/periods/{later}/proposals-window"), &admin_csrf, &[("opens_on", "1st Feb"), ("closes_on", "")]).await;
        assert_eq!(status, 400);
        assert!(html.contains("“1st Feb” is not a date"), "{html}");
        assert_eq!(app.audit_count().await, audit);
        let today = chrono::Utc::now().date_naive();
        let (status, _) = post(&admin, &app, &format!("/periods/{later}/proposals-window"), &admin_csrf, &[("opens_on", &(today - chrono::Days::new(1)).to_string()), ("closes_on", "")]).await;
        assert_eq!(status, 303);
        assert_eq!(app.audit_count().await, audit + 1, "the change is audited");
        let (status, _) = post(&barnet, &app, &format!("/organisations/{org}/proposals"), &csrf, &[("period_id", &later.to_string())]).await;
        assert_eq!(status, 303, "open now");

        // Once the window has closed, a borough's draft can no longer be submitted.
        let period = app.period_id("2017/18").await;
        let closed = (today - chrono::Days::new(2)).to_string();
        let (status, _) = post(&admin, &app, &format!("/periods/{period}/proposals-window"), &admin_csrf, &[("opens_on", "2016-11-30"), ("closes_on", &closed)]).await;
        assert_eq!(status, 303);
        let (_, html) = page(&admin, &app, &format!("/periods/{period}")).await;
        assert!(html.contains("Closed for proposals on"), "the period page says so");
        let id = bd_proposal(&app).await;
        let bd = app.actor(BD_OFFICER).await;
        let e = app.app.proposal_step(&bd, id, lcpf_domain::proposal::ProposalEvent::Submit, &Default::default(), None).await.unwrap_err();
        assert!(e.to_string().contains("closed on"), "{e}");
        // The API sets the same window, with the same refusals.
        let token = app.token(ADMIN).await;
        let api = app.client();
        let r = api.put(app.url(&format!("/api/v1/periods/{period}/proposals-window"))).bearer_auth(&token).json(&serde_json::json!({"opens_on": "2016-11-30", "closes_on": "2016-11-01"})).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = api.put(app.url(&format!("/api/v1/periods/{period}/proposals-window"))).bearer_auth(&token).json(&serde_json::json!({"opens_on": "2016-11-30", "closes_on": ""})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!((p["proposals_open_on"].as_str(), p["proposals_close_on"].as_str()), (Some("2016-11-30"), None));
    }

    async fn people_who_hold_no_proposal_see_none(app: TestApp) {
        let id = bd_proposal(&app).await;
        for who in [PROVIDER, VIEWER, ASSESSOR] {
            let (client, _) = app.signed_in(who).await;
            let (status, html) = page(&client, &app, "/proposals").await;
            assert_eq!(status, 200, "{who}");
            assert!(!html.contains(&format!("/proposals/{id}")) && !html.contains("Start a proposal"), "{who}");
            let (status, html) = page(&client, &app, &format!("/proposals/{id}")).await;
            if who == VIEWER {
                // Barking and Dagenham's board member may read its approved versions: the
                // draft shows nothing of its lines.
                assert_eq!(status, 200, "{who}");
                assert!(html.contains("has not submitted this proposal yet") && !html.contains("lcpf-proposal-table"), "{html}");
            } else {
                assert_eq!(status, 403, "{who}");
            }
        }
    }

    async fn the_funds_cap_on_lines_and_the_boroughs_themes(app: TestApp) {
        let id = bd_proposal(&app).await;
        let (admin, admin_csrf) = app.signed_in(ADMIN).await;
        let fund = app.app.list_funds(&Actor::System).await.unwrap().into_iter().find(|f| f.name == lcpf_app::demo::funds::FUND_NAME).unwrap();
        assert_eq!(post(&admin, &app, &format!("/funds/{}/max-lines", fund.id), &admin_csrf, &[("max_lines", "lots")]).await.0, 400);
        assert_eq!(post(&admin, &app, &format!("/funds/{}/max-lines", fund.id), &admin_csrf, &[("max_lines", "17")]).await.0, 303);
        let (bd, csrf) = app.signed_in(BD_OFFICER).await;
        let (_, html) = page(&bd, &app, &format!("/proposals/{id}")).await;
        assert!(html.contains("The fund allows at most 17 lines per borough; this proposal has 18"));
        let org = app.organisation_id("Barking and Dagenham").await;
        assert_eq!(post(&bd, &app, &format!("/organisations/{org}/themes"), &csrf, &[("themes", "Early Resolution\nSafer Streets\n")]).await.0, 303);
        let (_, form) = page(&bd, &app, &format!("/proposals/{id}/lines/new")).await;
        assert!(form.contains("value=\"Safer Streets\"") && !form.contains("value=\"Improving Resilience in the Community\""));
        // Lines tagged with a theme the borough no longer lists are pointed out.
        let (_, html) = page(&bd, &app, &format!("/proposals/{id}")).await;
        assert!(html.contains("“Support and Preventative Measures” is not one of the borough"), "the theme list is not enforced");
        assert_eq!(post(&admin, &app, &format!("/organisations/{org}/themes"), &admin_csrf, &[("themes", "X")]).await.0, 403);
    }
}

fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x22;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}
