//! Submission, return, approval, variation and comments: how a version moves on.

use super::lines::{check_version, problems_as_errors, references, replace_all};
use super::revision::check_revision;
use super::*;
use lcpf_domain::proposal::workflow::{self, Party};
use lcpf_domain::proposal::{ProposalEvent, VersionState};
use serde::Deserialize;

/// What a step needs besides its event: a comment (returning needs one; approving may have
/// one) or a reason (a variation needs one). Other fields are ignored by each step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct StepInput {
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub reason: String,
}

/// Which party of the workflow the actor is for this proposal: its borough's own officers, or
/// funder staff. Anyone else is refused here, by [`authorise`], before any state is looked at.
/// The system (demo loading, the CLI) acts as whichever party the event needs.
pub(super) fn party(actor: &Actor, proposal: &Proposal, event: ProposalEvent) -> AppResult<Party> {
    if matches!(actor, Actor::System) {
        return Ok(workflow::MOVES
            .iter()
            .find(|m| m.event == event)
            .map_or(Party::Funder, |m| m.by));
    }
    let borough = Permission::DraftProposal {
        organisation_id: proposal.organisation_id,
    };
    if may(actor, borough) {
        return Ok(Party::Borough);
    }
    if may(actor, Permission::ReviewProposals) {
        return Ok(Party::Funder);
    }
    authorise(actor, borough).map(|_| Party::Borough)
}

/// The latest version of a proposal, and the move `event` by `by` would make from it.
pub(super) async fn latest_and_move(
    conn: &mut AnyConnection,
    proposal: &Proposal,
    event: ProposalEvent,
    by: Party,
) -> AppResult<(Version, workflow::Move)> {
    let versions = q::versions(conn, proposal.id).await?;
    let latest = versions
        .last()
        .cloned()
        .ok_or_else(|| AppError::NotFound("The proposal's draft".into()))?;
    let m = workflow::transition(latest.state, event, by)
        .map_err(|refusal| AppError::Forbidden(refusal.0))?;
    Ok((latest, m))
}

impl App {
    /// The one way a proposal's latest version moves on (submit, return, approve, vary), for
    /// the pages and the API alike. The move is the workflow's ([`workflow::transition`]);
    /// this adds what each needs: no problems to submit or approve (approval checks again, as
    /// the envelope may have changed), a comment to return, a reason to vary. Returns the
    /// version the proposal now continues from (the new draft, when one is started).
    pub async fn proposal_step(
        &self,
        actor: &Actor,
        proposal_id: i64,
        event: ProposalEvent,
        input: &StepInput,
        expected: Option<i64>,
    ) -> AppResult<Version> {
        if event == ProposalEvent::Edit {
            return Err(AppError::invalid(
                "event",
                "Lines are changed one at a time or imported, not as a step",
            ));
        }
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        let by = party(actor, &proposal, event)?;
        check_revision(&mut tx, proposal_id, expected).await?;
        let (latest, m) = latest_and_move(&mut tx, &proposal, event, by).await?;
        if by == Party::Funder {
            // Whoever submitted a version never reviews it (segregation of duties).
            crate::access::authorise_on(
                actor,
                Permission::ReviewProposals,
                &crate::access::Subject {
                    submitted_by: latest.submitted_by.clone(),
                    ..Default::default()
                },
            )?;
        }
        let comment = match event {
            ProposalEvent::Return => Some(comment_text(&input.comment)?),
            ProposalEvent::Approve if !input.comment.trim().is_empty() => {
                Some(comment_text(&input.comment)?)
            }
            _ => None,
        };
        let reason = match event {
            ProposalEvent::Vary => variation_reason(&input.reason)?,
            _ => latest.variation_reason.clone(),
        };
        if event == ProposalEvent::Submit {
            // A borough submits only while the period's proposals window is open.
            let period = super::period_of(&mut tx, &proposal).await?;
            let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
            if let Some(why) = period.proposals_window().refusal(today, "submit it") {
                return Err(AppError::Forbidden(why));
            }
        }
        if matches!(event, ProposalEvent::Submit | ProposalEvent::Approve) {
            let problems = check_version(&mut tx, &proposal, latest.id).await?;
            if !problems.is_empty() {
                return Err(AppError::Invalid(problems_as_errors(&problems)));
            }
        }
        let mut result = latest.clone();
        if m.to != latest.state {
            move_on(&mut tx, actor, &proposal, &latest, m.to, event).await?;
            result.state = m.to;
        }
        if let Some(body) = comment {
            add_comment(&mut tx, actor, &proposal, latest.number, None, &body).await?;
        }
        if m.starts_new_draft {
            result = copy_version(&mut tx, actor, &latest, &reason).await?;
        }
        tx.commit().await?;
        Ok(result)
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
                if !shown.lines.iter().any(|s| s.line.number.to_string() == n) {
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
    // The lines carry their keys into the new version.
    let proposal = find(conn, from.proposal_id).await?;
    let refs = references(conn, &proposal).await?;
    replace_all(conn, id, &lines, &refs).await?;
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
    new_state: VersionState,
    event: ProposalEvent,
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
        state: new_state,
        ..version.clone()
    };
    record(
        conn,
        actor,
        Change {
            action: &format!("proposal.{}", event.as_str()),
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

fn variation_reason(reason: &str) -> AppResult<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::invalid(
            "reason",
            "Enter the reason for the variation (up to 2,000 characters), for example “Provider withdrew from line 2.3”",
        ));
    }
    Ok(reason.to_string())
}

pub(super) fn comment_text(body: &str) -> AppResult<String> {
    // The checks every piece of free text gets: not empty, 5,000 characters at most, and no
    // control characters but tab and line breaks.
    if body.trim().is_empty() {
        return Err(AppError::invalid(
            "comment",
            "Enter a comment: say what needs to change, or why",
        ));
    }
    lcpf_domain::field::required_text(body, "the comment", 5000)
        .map_err(|m| AppError::invalid("comment", m))
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
