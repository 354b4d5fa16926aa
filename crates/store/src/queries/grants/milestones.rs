//! Milestones: a milestone grant's agreed payment points, reported met by the recipient and
//! confirmed or returned by the funder. SQL only; records hold the domain's `Milestone` and
//! `MilestoneState`.

use chrono::NaiveDate;
use lcpf_domain::grant::milestone::{Milestone, MilestoneState};
use lcpf_domain::Money;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{corrupt, year};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneRecord {
    /// The milestone's stable key: its payment points at it.
    pub id: i64,
    pub grant_id: i64,
    pub milestone: Milestone,
    pub state: MilestoneState,
    pub report: String,
    pub comments: String,
    pub reported_at: Option<String>,
    pub reported_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

fn map(r: sqlx::any::AnyRow) -> sqlx::Result<MilestoneRecord> {
    let due: String = r.try_get("due_on")?;
    Ok(MilestoneRecord {
        id: r.try_get("id")?,
        grant_id: r.try_get("grant_id")?,
        milestone: Milestone {
            title: r.try_get("title")?,
            year: year(&r.try_get::<String, _>("year")?)?,
            due_on: NaiveDate::parse_from_str(&due, "%Y-%m-%d")
                .map_err(|_| corrupt(format!("due date “{due}”")))?,
            amount: Money::from_pence(r.try_get("amount_pence")?),
        },
        state: MilestoneState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        report: r.try_get("report")?,
        comments: r.try_get("comments")?,
        reported_at: r.try_get("reported_at")?,
        reported_by: r.try_get("reported_by")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
    })
}

/// A grant's milestones, by when they are due.
pub async fn milestones(
    conn: &mut AnyConnection,
    grant_id: i64,
) -> sqlx::Result<Vec<MilestoneRecord>> {
    sqlx::query("SELECT * FROM grant_milestones WHERE grant_id = $1 ORDER BY due_on, id")
        .bind(grant_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(map)
        .collect()
}

pub async fn milestone(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<MilestoneRecord>> {
    sqlx::query("SELECT * FROM grant_milestones WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(map)
        .transpose()
}

pub async fn insert_milestone(
    conn: &mut AnyConnection,
    grant_id: i64,
    m: &Milestone,
    now: &str,
    by: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO grant_milestones (grant_id, title, year, due_on, amount_pence, state, report, comments, created_at, created_by) VALUES ($1, $2, $3, $4, $5, 'planned', '', '', $6, $7) RETURNING id",
    )
    .bind(grant_id)
    .bind(m.title.trim())
    .bind(m.year.to_string())
    .bind(m.due_on.format("%Y-%m-%d").to_string())
    .bind(m.amount.pence())
    .bind(now)
    .bind(by)
    .fetch_one(conn)
    .await
}

/// Removes a planned milestone. Returns false when it was no longer planned.
pub async fn delete_milestone(conn: &mut AnyConnection, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM grant_milestones WHERE id = $1 AND state = 'planned'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a move writes: the report (reporting) or the comments (returning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneWrite<'a> {
    Report(&'a str),
    Return(&'a str),
    Confirm,
}

/// Moves a milestone from `from` to `to`. Returns false (nothing changed) when someone else
/// moved it first.
pub async fn move_milestone(
    conn: &mut AnyConnection,
    id: i64,
    from: MilestoneState,
    to: MilestoneState,
    write: MilestoneWrite<'_>,
    now: &str,
    by: &str,
) -> sqlx::Result<bool> {
    let sql = match write {
        MilestoneWrite::Report(_) => "UPDATE grant_milestones SET state = $1, report = $2, comments = '', reported_at = $3, reported_by = $4 WHERE id = $5 AND state = $6",
        MilestoneWrite::Return(_) | MilestoneWrite::Confirm => "UPDATE grant_milestones SET state = $1, comments = $2, decided_at = $3, decided_by = $4 WHERE id = $5 AND state = $6",
    };
    let text = match write {
        MilestoneWrite::Report(t) | MilestoneWrite::Return(t) => t,
        MilestoneWrite::Confirm => "",
    };
    let done = sqlx::query(sql)
        .bind(to.as_str())
        .bind(text.trim())
        .bind(now)
        .bind(by)
        .bind(id)
        .bind(from.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
