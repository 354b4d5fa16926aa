//! Changing a draft's lines: one at a time from the form, or all at once (import, API).

use super::revision::check_revision;
use super::*;
use std::collections::HashSet;

use lcpf_domain::proposal::{LineKey, ProposalEvent};

/// Refuses a draft that would hold more lines than any proposal may (the domain's
/// [`ProposalRules::line_limit`](lcpf_domain::proposal::ProposalRules::line_limit)).
async fn line_limit(conn: &mut AnyConnection, proposal: &Proposal, lines: usize) -> AppResult<()> {
    let (_, _, rules, _) = rules_for(conn, proposal).await?;
    let limit = rules.line_limit();
    if lines > limit {
        return Err(AppError::invalid(
            "lines",
            format!("A proposal may have at most {limit} lines; this would have {lines}"),
        ));
    }
    Ok(())
}

impl App {
    /// Adds a line to the draft (`line_id` none) or replaces one. Entry errors change nothing;
    /// broken rules are saved and returned, to be fixed before submission.
    pub async fn save_line(
        &self,
        actor: &Actor,
        proposal_id: i64,
        line_id: Option<i64>,
        input: &LineInput,
        expected: Option<i64>,
    ) -> AppResult<(i64, Vec<Problem>)> {
        let mut tx = self.db().begin().await?;
        let (proposal, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let period = period_of(&mut tx, &proposal).await?;
        let mut line = input.parse(&years_of(&period)?)?;
        let refs = references(&mut tx, &proposal).await?;
        let (before, row_id) = match line_id {
            Some(lid) => {
                let existing = q::lines(&mut tx, draft.id).await?;
                let Some((_, old)) = existing.into_iter().find(|(i, _)| *i == lid) else {
                    return Err(AppError::NotFound("The line".into()));
                };
                // Changed in place: the row and the line's key stay.
                line.key = old.key;
                q::update_line(&mut tx, lid, &line, &refs).await?;
                (Some(old), lid)
            }
            None => {
                let count = q::line_count(&mut tx, draft.id).await?;
                line_limit(&mut tx, &proposal, count as usize + 1).await?;
                let position = q::next_position(&mut tx, draft.id).await?;
                line.key = None;
                let (id, key) = q::insert_line(&mut tx, draft.id, position, &line, &refs).await?;
                line.key = Some(key);
                (None, id)
            }
        };
        record(
            &mut tx,
            actor,
            Change {
                action: if before.is_some() {
                    "proposal.line.update"
                } else {
                    "proposal.line.add"
                },
                entity_type: "proposal",
                entity_id: proposal_id.to_string(),
                summary: format!(
                    "Line {} “{}” ({}) in version {}",
                    line.number,
                    line.title,
                    line.cost(),
                    draft.number
                ),
                before: before.as_ref(),
                after: Some(&line),
            },
        )
        .await?;
        let problems = check_version(&mut tx, &proposal, draft.id).await?;
        tx.commit().await?;
        Ok((row_id, problems))
    }

    pub async fn delete_line(
        &self,
        actor: &Actor,
        proposal_id: i64,
        line_id: i64,
        expected: Option<i64>,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let (_, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let existing = q::lines(&mut tx, draft.id).await?;
        let Some((_, old)) = existing.into_iter().find(|(i, _)| *i == line_id) else {
            return Err(AppError::NotFound("The line".into()));
        };
        q::delete_line(&mut tx, line_id).await?;
        record::<ProposalLine, ()>(
            &mut tx,
            actor,
            Change {
                action: "proposal.line.delete",
                entity_type: "proposal",
                entity_id: proposal_id.to_string(),
                summary: format!("Removed line {} “{}”", old.number, old.title),
                before: Some(&old),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces every line of the draft at once (an import, or the API). All or nothing.
    pub async fn replace_lines(
        &self,
        actor: &Actor,
        proposal_id: i64,
        inputs: &[LineInput],
        how: &str,
        expected: Option<i64>,
    ) -> AppResult<Vec<Problem>> {
        let mut tx = self.db().begin().await?;
        let (proposal, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let period = period_of(&mut tx, &proposal).await?;
        let years = years_of(&period)?;
        line_limit(&mut tx, &proposal, inputs.len()).await?;
        let mut errors = FieldErrors::new();
        let mut lines = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match input.parse(&years) {
                Ok(l) => lines.push(l),
                Err(es) => {
                    for e in es.iter() {
                        errors.add(&format!("lines[{i}].{}", e.field), e.message.clone());
                    }
                }
            }
        }
        let before: Vec<ProposalLine> = q::lines(&mut tx, draft.id)
            .await?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        keep_keys(&before, &mut lines, &mut errors);
        errors.into_result()?;
        let refs = references(&mut tx, &proposal).await?;
        replace_all(&mut tx, draft.id, &lines, &refs).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: "proposal.lines.replace",
                entity_type: "proposal",
                entity_id: proposal_id.to_string(),
                summary: format!(
                    "{how}: {} lines replaced {} in version {}",
                    lines.len(),
                    before.len(),
                    draft.number
                ),
                before: Some(&before),
                after: Some(&lines),
            },
        )
        .await?;
        let problems = check_version(&mut tx, &proposal, draft.id).await?;
        tx.commit().await?;
        Ok(problems)
    }
}

/// The draft a borough officer may change, or why not (the workflow's `edit` move).
pub(super) async fn draft_for_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal_id: i64,
) -> AppResult<(Proposal, Version)> {
    let proposal = find(conn, proposal_id).await?;
    let by = super::workflow::party(actor, &proposal, ProposalEvent::Edit)?;
    let (draft, _) =
        super::workflow::latest_and_move(conn, &proposal, ProposalEvent::Edit, by).await?;
    Ok((proposal, draft))
}

pub(super) async fn check_version(
    conn: &mut AnyConnection,
    proposal: &Proposal,
    version_id: i64,
) -> AppResult<Vec<Problem>> {
    let (_, _, rules, _) = rules_for(conn, proposal).await?;
    let lines: Vec<ProposalLine> = q::lines(conn, version_id)
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    Ok(rules::check(&lines, &rules))
}

pub(super) fn problems_as_errors(problems: &[Problem]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for p in problems {
        let field = match p.line {
            Some(n) => format!("line-{n}"),
            None => p.field.clone(),
        };
        errors.add(&field, p.message.clone());
    }
    errors
}

/// What the names on this proposal's lines refer to (its plan, the categories, its themes).
pub(super) async fn references(
    conn: &mut AnyConnection,
    proposal: &Proposal,
) -> AppResult<q::LineReferences> {
    let period = period_of(conn, proposal).await?;
    Ok(q::line_references(conn, period.plan_id, proposal.organisation_id).await?)
}

/// Gives lines replacing a draft's the keys they keep: a key sent (from the API or an exported
/// workbook) must be one of the draft's lines, once; a line sent without one takes the key of
/// the draft's line with its number, if any, so a round trip without keys keeps identity.
fn keep_keys(before: &[ProposalLine], lines: &mut [ProposalLine], errors: &mut FieldErrors) {
    let known: HashSet<LineKey> = before.iter().filter_map(|l| l.key).collect();
    let mut claimed: HashSet<LineKey> = HashSet::new();
    for (i, line) in lines.iter_mut().enumerate() {
        if let Some(key) = line.key {
            if !known.contains(&key) {
                errors.add(
                    &format!("lines[{i}].key"),
                    format!("Line key {key} is not a line of this draft: leave the key empty for a new line"),
                );
            } else if !claimed.insert(key) {
                errors.add(
                    &format!("lines[{i}].key"),
                    format!("Line key {key} is given to more than one line: each line keeps its own key"),
                );
            }
        }
    }
    let sent: HashSet<LineKey> = lines.iter().filter_map(|l| l.key).collect();
    for line in lines.iter_mut().filter(|l| l.key.is_none()) {
        line.key = before
            .iter()
            .filter(|b| b.number == line.number)
            .filter_map(|b| b.key)
            .find(|k| !sent.contains(k) && claimed.insert(*k));
    }
}

/// Writes `lines` as the version's lines, in order, each keeping the key it carries.
pub(super) async fn replace_all(
    conn: &mut AnyConnection,
    version_id: i64,
    lines: &[ProposalLine],
    refs: &q::LineReferences,
) -> AppResult<()> {
    for (id, _) in q::lines(conn, version_id).await? {
        q::delete_line(conn, id).await?;
    }
    for (i, l) in lines.iter().enumerate() {
        q::insert_line(conn, version_id, i as i64, l, refs).await?;
    }
    Ok(())
}
