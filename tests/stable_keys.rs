//! Stable identity for what money will point at (issue 10 §1): a proposal line keeps its key
//! through an edit, a return and a new version, a renumbering and an import; priorities and
//! borough themes are referenced by id, so renaming one keeps every line attached to it. The
//! API exposes the keys. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use std::collections::BTreeMap;

use common::*;
use lcpf_app::proposals::{LineInput, StepInput};
use lcpf_app::Actor;
use lcpf_domain::proposal::{LineChange, LineKey, ProposalEvent};

const BD_ONS: &str = "E09000002";

/// The latest version's lines: number → (row id, key).
async fn keys(app: &TestApp, id: i64) -> BTreeMap<String, (i64, LineKey)> {
    let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
    view.lines
        .iter()
        .map(|s| {
            (
                s.line.number.to_string(),
                (s.id, s.line.key.expect("a saved line has a key")),
            )
        })
        .collect()
}

backend_tests! {
    async fn a_line_keeps_its_key_through_edits_versions_and_renumbering(app: TestApp) {
        let id = app.proposal_id("2017/18", BD_ONS).await.unwrap();
        let bd = app.actor(BD_OFFICER).await;
        let funder = app.actor(FUNDER_OFFICER).await;
        let first = keys(&app, id).await;
        assert_eq!(first.len(), 18);
        let distinct: std::collections::HashSet<LineKey> = first.values().map(|(_, k)| *k).collect();
        assert_eq!(distinct.len(), 18, "every line has its own key");

        // An edit changes the line in place: same row, same key.
        let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
        let (row, line) = view.lines.iter().map(|s| (s.id, &s.line)).find(|(_, l)| l.number.to_string() == "1.1").unwrap();
        let mut input = LineInput::from_line(line);
        input.title = format!("{} (revised)", input.title);
        let (saved_row, _) = app.app.save_line(&bd, id, Some(row), &input, None).await.unwrap();
        assert_eq!(saved_row, row);
        assert_eq!(keys(&app, id).await["1.1"], first["1.1"]);

        // Submitted and returned: the new draft's lines are new rows with the same keys.
        app.app.proposal_step(&bd, id, ProposalEvent::Submit, &StepInput::default(), None).await.unwrap();
        let returned = StepInput { comment: "Please split line 2.1".into(), ..Default::default() };
        let draft = app.app.proposal_step(&funder, id, ProposalEvent::Return, &returned, None).await.unwrap();
        assert_eq!(draft.number, 2);
        let second = keys(&app, id).await;
        for (number, (row, key)) in &first {
            assert_eq!(second[number].1, *key, "line {number} lost its key in version 2");
            assert_ne!(second[number].0, *row, "version 2 has rows of its own");
        }

        // Renumbered 5.2 → 5.9: still the same line, shown as changed, not removed and added.
        let last = first.keys().max_by_key(|n| n.parse::<lcpf_domain::proposal::LineNumber>().unwrap()).unwrap().clone();
        let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
        let (row, line) = view.lines.iter().map(|s| (s.id, &s.line)).find(|(_, l)| l.number.to_string() == last).unwrap();
        let mut input = LineInput::from_line(line);
        let section = last.split('.').next().unwrap();
        input.number = format!("{section}.9");
        app.app.save_line(&bd, id, Some(row), &input, None).await.unwrap();
        let third = keys(&app, id).await;
        assert_eq!(third[&format!("{section}.9")].1, first[&last].1);
        let (_, _, rows) = app.app.compare_versions(&bd, id, Some(1), Some(2)).await.unwrap().unwrap();
        assert_eq!(rows.len(), 18, "matched by key: no line removed and added");
        let renumbered = rows.iter().find(|r| r.key == Some(first[&last].1)).unwrap();
        assert_eq!(renumbered.previous_number.map(|n| n.to_string()), Some(last.clone()));
        assert!(matches!(&renumbered.change, LineChange::Changed(f) if f == &["number".to_string()]), "{:?}", renumbered.change);
        let (bd_client, _) = app.signed_in(BD_OFFICER).await;
        let html = bd_client.get(app.url(&format!("/proposals/{id}/compare?from=1&to=2"))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("renumbered from {last}")), "the comparison page says so");
    }

    async fn renaming_a_theme_or_a_priority_keeps_every_line_attached(app: TestApp) {
        let id = app.proposal_id("2017/18", BD_ONS).await.unwrap();
        let bd = app.actor(BD_OFFICER).await;
        let view = app.app.proposal(&Actor::System, id, None).await.unwrap();
        let org = view.proposal.organisation_id;
        let themed = view.lines.iter().map(|s| &s.line).find(|l| !l.themes.is_empty()).cloned().expect("a line with a local theme");
        let theme = themed.themes[0].clone();
        let mut themes = view.themes.clone();
        let at = themes.iter().position(|t| *t == theme).unwrap();
        themes[at] = format!("{theme} (renamed)");
        app.app.set_local_themes(&bd, org, &themes.join("\n")).await.unwrap();
        let after = app.app.proposal(&Actor::System, id, None).await.unwrap();
        let line = after.lines.iter().map(|s| (s.id, &s.line)).find(|(_, l)| l.key == themed.key).unwrap();
        assert!(line.1.themes.contains(&format!("{theme} (renamed)")), "{:?}", line.1.themes);
        assert!(after.problems.iter().all(|p| !p.message.contains("theme")), "{:?}", after.problems);

        // The plan's priority renamed (reference data): lines follow it, and the rules still
        // find it in the plan.
        let priority = themed.priority.clone();
        let mut conn = app.app.db().pool().acquire().await.unwrap();
        sqlx::query("UPDATE priorities SET name = $1 WHERE name = $2")
            .bind(format!("{priority} (renamed)"))
            .bind(&priority)
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        let after = app.app.proposal(&Actor::System, id, None).await.unwrap();
        let moved: Vec<_> = after.lines.iter().map(|s| &s.line).filter(|l| l.priority == format!("{priority} (renamed)")).collect();
        let before: Vec<_> = view.lines.iter().map(|s| &s.line).filter(|l| l.priority == priority).collect();
        assert_eq!(moved.len(), before.len());
        assert!(!moved.is_empty());
        assert!(after.problems.is_empty(), "{:?}", after.problems);
    }

    async fn the_api_shows_keys_and_a_put_keeps_them(app: TestApp) {
        let id = app.proposal_id("2017/18", BD_ONS).await.unwrap();
        let client = app.client();
        let token = app.token(BD_OFFICER).await;
        let url = app.url(&format!("/api/v1/proposals/{id}/lines"));
        let current: serde_json::Value = client.get(app.url(&format!("/api/v1/proposals/{id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let sent: Vec<serde_json::Value> = current["lines"].as_array().unwrap().clone();
        assert!(sent.iter().all(|l| l["key"].as_i64().is_some()), "every line shows its key");
        let mut lines: Vec<LineInput> = sent.iter().map(|l| LineInput::from_line(&serde_json::from_value(l.clone()).unwrap())).collect();
        // Renumber the first line and send all back: the keys stay.
        lines[0].number = "1.9".into();
        let r = client.put(&url).bearer_auth(&token).json(&lines).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let after = keys(&app, id).await;
        assert_eq!(after["1.9"].1.0, sent[0]["key"].as_i64().unwrap());
        // A key that is not a line of this draft is refused, naming the field; nothing changes.
        let before = app.audit_count().await;
        lines[1].key = "999999".into();
        let r = client.put(&url).bearer_auth(&token).json(&lines).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: serde_json::Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "lines[1].key", "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("not a line of this draft"));
        assert_eq!(app.audit_count().await, before);
        // Sent without keys (an old spreadsheet): lines are matched by number and keep theirs.
        for l in &mut lines {
            l.key.clear();
        }
        assert_eq!(client.put(&url).bearer_auth(&token).json(&lines).send().await.unwrap().status(), 200);
        let key_by_number = |m: &BTreeMap<String, (i64, LineKey)>| m.iter().map(|(n, (_, k))| (n.clone(), *k)).collect::<BTreeMap<_, _>>();
        assert_eq!(key_by_number(&keys(&app, id).await), key_by_number(&after));
    }
}
