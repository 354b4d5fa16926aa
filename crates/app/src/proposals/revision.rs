//! A proposal's revision: which change a reader saw, so a change made from a stale page or
//! an API client's old copy is refused (409) with what changed since, instead of silently
//! overwriting someone else's work. The revision is the id of the proposal's latest audit
//! record other than a comment (comments change nothing that a save could overwrite): it is
//! derived, never stored twice.

use lcpf_store::queries::audit as audit_q;

use super::*;

/// The audited action that leaves a proposal's revision as it was.
const COMMENT: &str = "proposal.comment";

/// How many of the changes since a stale read a conflict lists.
const CHANGES_SHOWN: i64 = 10;

/// The proposal's current revision.
pub(super) async fn revision(conn: &mut AnyConnection, proposal_id: i64) -> AppResult<i64> {
    Ok(audit_q::latest_change(conn, "proposal", &proposal_id.to_string(), COMMENT).await?)
}

/// Refuses the change when the proposal has moved on since revision `expected` was read.
/// Without an expectation (a client that sends none) the change goes ahead. Call it inside
/// the write transaction, after authorising: it locks the proposal until the commit.
pub(super) async fn check_revision(
    conn: &mut AnyConnection,
    proposal_id: i64,
    expected: Option<i64>,
) -> AppResult<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    q::lock(conn, proposal_id).await?;
    if revision(conn, proposal_id).await? == expected {
        return Ok(());
    }
    let changes = audit_q::changes_after(
        conn,
        "proposal",
        &proposal_id.to_string(),
        COMMENT,
        expected,
        CHANGES_SHOWN,
    )
    .await?
    .into_iter()
    .map(|r| {
        let when = lcpf_domain::calendar::london_date_time_text(&r.at);
        format!("{} — {}, {when}", r.summary, r.actor)
    })
    .collect();
    Err(AppError::Conflict {
        message: "The proposal was changed by someone else after you opened it, so your change was not saved. Look at the proposal as it is now and make your change again".into(),
        changes,
    })
}
