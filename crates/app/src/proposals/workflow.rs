//! Submission, return, approval, variation and comments: how a version moves on.

use super::lines::{
    check_version, draft_for_change, problems_as_errors, replace_all, submitted_version,
};
use super::revision::check_revision;
use super::*;

impl App {
    /// Submits the draft to the funder. Refused, with every problem, while any rule is broken.
    pub async fn submit_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        expected: Option<i64>,
    ) -> AppResult<Version> {
        let mut tx = self.db().begin().await?;
        let (proposal, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let problems = check_version(&mut tx, &proposal, draft.id).await?;
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems_as_errors(&problems)));
        }
        move_on(
            &mut tx,
            actor,
            &proposal,
            &draft,
            state::SUBMITTED,
            "proposal.submit",
        )
        .await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// Returns a submitted version with a comment; the borough's next draft starts from it.
    pub async fn return_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        comment: &str,
        expected: Option<i64>,
    ) -> AppResult<()> {
        authorise(actor, Permission::ReviewProposals)?;
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let submitted = submitted_version(&mut tx, &proposal).await?;
        let body = comment_text(comment)?;
        move_on(
            &mut tx,
            actor,
            &proposal,
            &submitted,
            state::RETURNED,
            "proposal.return",
        )
        .await?;
        add_comment(&mut tx, actor, &proposal, submitted.number, None, &body).await?;
        copy_version(&mut tx, actor, &submitted, &submitted.variation_reason).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approves a submitted version, which locks the proposal. The rules are checked again:
    /// the envelope may have changed since submission.
    pub async fn approve_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        comment: &str,
        expected: Option<i64>,
    ) -> AppResult<()> {
        authorise(actor, Permission::ReviewProposals)?;
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let submitted = submitted_version(&mut tx, &proposal).await?;
        let problems = check_version(&mut tx, &proposal, submitted.id).await?;
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems_as_errors(&problems)));
        }
        move_on(
            &mut tx,
            actor,
            &proposal,
            &submitted,
            state::APPROVED,
            "proposal.approve",
        )
        .await?;
        if !comment.trim().is_empty() {
            let body = comment_text(comment)?;
            add_comment(&mut tx, actor, &proposal, submitted.number, None, &body).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a variation of an approved proposal: a new draft, with the reason for it.
    pub async fn start_variation(
        &self,
        actor: &Actor,
        proposal_id: i64,
        reason: &str,
        expected: Option<i64>,
    ) -> AppResult<Version> {
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        authorise(
            actor,
            Permission::DraftProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let versions = q::versions(&mut tx, proposal_id).await?;
        let Some(latest) = versions.last().filter(|v| v.state == state::APPROVED) else {
            return Err(AppError::invalid(
                "reason",
                "Only an approved proposal can be varied; until then, change the draft or wait for the funder's review",
            ));
        };
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "reason",
                "Enter the reason for the variation (up to 2,000 characters), for example “Provider withdrew from line 2.3”",
            ));
        }
        let version = copy_version(&mut tx, actor, latest, reason).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Adds a comment on the proposal, or on one of its lines.
    pub async fn comment_on_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        line_number: &str,
        body: &str,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        authorise(
            actor,
            Permission::ViewProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        let shown = view(&mut tx, actor, proposal.clone(), None).await?;
        let Some(version) = shown.version else {
            return Err(AppError::Forbidden(
                "The proposal has not been submitted yet, so there is nothing to comment on".into(),
            ));
        };
        let line = match line_number.trim() {
            "" => None,
            n => {
                if !shown.lines.iter().any(|(_, l)| l.number.to_string() == n) {
                    return Err(AppError::invalid(
                        "line_number",
                        format!(
                            "Version {} has no line {n}: choose a line of the proposal, or none",
                            version.number
                        ),
                    ));
                }
                Some(n.to_string())
            }
        };
        let body = comment_text(body)?;
        add_comment(
            &mut tx,
            actor,
            &proposal,
            version.number,
            line.as_deref(),
            &body,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A new draft version that starts from `from`'s lines.
pub(super) async fn copy_version(
    conn: &mut AnyConnection,
    actor: &Actor,
    from: &Version,
    reason: &str,
) -> AppResult<Version> {
    let versions = q::versions(conn, from.proposal_id).await?;
    let number = versions.last().map_or(1, |v| v.number + 1);
    let now = lcpf_store::now();
    let id =
        q::insert_version(conn, from.proposal_id, number, reason, &now, &actor.label()).await?;
    let lines: Vec<ProposalLine> = q::lines(conn, from.id)
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    replace_all(conn, id, &lines).await?;
    let version = q::versions(conn, from.proposal_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("new version vanished")))?;
    record::<(), Version>(
        conn,
        actor,
        Change {
            action: if reason.is_empty() {
                "proposal.version"
            } else {
                "proposal.variation"
            },
            entity_type: "proposal",
            entity_id: from.proposal_id.to_string(),
            summary: if reason.is_empty() {
                format!("Version {number} started from version {}", from.number)
            } else {
                format!("Variation (version {number}) started: {reason}")
            },
            before: None,
            after: Some(&version),
        },
    )
    .await?;
    Ok(version)
}

pub(super) async fn move_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal: &Proposal,
    version: &Version,
    new_state: &str,
    action: &str,
) -> AppResult<()> {
    q::set_state(
        conn,
        version.id,
        new_state,
        &lcpf_store::now(),
        &actor.label(),
    )
    .await?;
    let after = Version {
        state: new_state.to_string(),
        ..version.clone()
    };
    record(
        conn,
        actor,
        Change {
            action,
            entity_type: "proposal",
            entity_id: proposal.id.to_string(),
            summary: format!(
                "{}'s proposal, version {}: {} → {new_state}",
                proposal.organisation_name, version.number, version.state
            ),
            before: Some(version),
            after: Some(&after),
        },
    )
    .await
}

pub(super) fn comment_text(body: &str) -> AppResult<String> {
    let t = body.trim();
    if t.is_empty() {
        return Err(AppError::invalid(
            "comment",
            "Enter a comment: say what needs to change, or why",
        ));
    }
    if t.chars().count() > 5000 {
        return Err(AppError::invalid(
            "comment",
            format!(
                "A comment must be 5,000 characters or fewer; this one is {}",
                t.chars().count()
            ),
        ));
    }
    Ok(t.to_string())
}

pub(super) async fn add_comment(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal: &Proposal,
    version_number: i64,
    line_number: Option<&str>,
    body: &str,
) -> AppResult<()> {
    let author = match actor.user() {
        Some(u) => match &u.organisation_name {
            Some(org) => format!("{} ({org})", u.name),
            None => u.name.clone(),
        },
        None => "LCPF".to_string(),
    };
    let mut comment = Comment {
        id: 0,
        version_number,
        line_number: line_number.map(str::to_string),
        author,
        body: body.to_string(),
        created_at: lcpf_store::now(),
    };
    comment.id = q::insert_comment(conn, proposal.id, &comment).await?;
    record::<(), Comment>(
        conn,
        actor,
        Change {
            action: "proposal.comment",
            entity_type: "proposal",
            entity_id: proposal.id.to_string(),
            summary: format!(
                "Comment on version {version_number}{}",
                line_number
                    .map(|n| format!(", line {n}"))
                    .unwrap_or_default()
            ),
            before: None,
            after: Some(&comment),
        },
    )
    .await
}
