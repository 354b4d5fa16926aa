//! Assessors, their declarations and marks, moderation, and awards.

use std::collections::BTreeMap;

use lcpf_domain::co_commissioning::assessment::{Mark, Total};
use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{corrupt, json, placeholders, to_json, year};

/// What an assessor said about a conflict of interest with a bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// Not yet declared: the assessor cannot score until they say.
    Undeclared,
    None,
    Conflicted,
}

/// An assessor assigned to a bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub bid_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub user_email: String,
    pub user_organisation_id: Option<i64>,
    pub assigned_at: String,
    pub assigned_by: String,
    pub conflict: Conflict,
    pub conflict_note: String,
    pub declared_at: Option<String>,
}

/// The assessors of some bids: one query.
pub async fn assignments(
    conn: &mut AnyConnection,
    bid_ids: &[i64],
) -> sqlx::Result<Vec<Assignment>> {
    if bid_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT a.bid_id, a.user_id, u.name, u.email, u.organisation_id, a.assigned_at, a.assigned_by, a.conflict, a.conflict_note, a.declared_at
         FROM bid_assessors a JOIN users u ON u.id = a.user_id WHERE a.bid_id IN ({}) ORDER BY a.bid_id, u.name",
        placeholders(bid_ids.len(), 1)
    );
    let mut q = sqlx::query(&sql);
    for id in bid_ids {
        q = q.bind(*id);
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            let conflict: Option<String> = r.try_get("conflict")?;
            Ok(Assignment {
                bid_id: r.try_get("bid_id")?,
                user_id: r.try_get("user_id")?,
                user_name: r.try_get("name")?,
                user_email: r.try_get("email")?,
                user_organisation_id: r.try_get("organisation_id")?,
                assigned_at: r.try_get("assigned_at")?,
                assigned_by: r.try_get("assigned_by")?,
                conflict: match conflict.as_deref() {
                    None => Conflict::Undeclared,
                    Some("none") => Conflict::None,
                    Some("conflicted") => Conflict::Conflicted,
                    Some(other) => return Err(corrupt(format!("conflict “{other}”"))),
                },
                conflict_note: r.try_get("conflict_note")?,
                declared_at: r.try_get("declared_at")?,
            })
        })
        .collect()
}

pub async fn assign(
    conn: &mut AnyConnection,
    bid_id: i64,
    user_id: i64,
    now: &str,
    by: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO bid_assessors (bid_id, user_id, assigned_at, assigned_by, conflict_note) VALUES ($1, $2, $3, $4, '') ON CONFLICT (bid_id, user_id) DO NOTHING")
        .bind(bid_id)
        .bind(user_id)
        .bind(now)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn declare(
    conn: &mut AnyConnection,
    bid_id: i64,
    user_id: i64,
    conflicted: bool,
    note: &str,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE bid_assessors SET conflict = $1, conflict_note = $2, declared_at = $3 WHERE bid_id = $4 AND user_id = $5")
        .bind(if conflicted { "conflicted" } else { "none" })
        .bind(note)
        .bind(now)
        .bind(bid_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One assessor's mark on one criterion of a bid, with its comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub bid_id: i64,
    pub user_id: i64,
    pub criterion_key: String,
    pub mark: Mark,
    pub comment: String,
    pub scored_at: String,
}

/// The marks on some bids: one query.
pub async fn scores(conn: &mut AnyConnection, bid_ids: &[i64]) -> sqlx::Result<Vec<Score>> {
    if bid_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT bid_id, user_id, criterion_key, mark, comment, scored_at FROM bid_scores WHERE bid_id IN ({}) ORDER BY bid_id, user_id, criterion_key",
        placeholders(bid_ids.len(), 1)
    );
    let mut q = sqlx::query(&sql);
    for id in bid_ids {
        q = q.bind(*id);
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Score {
                bid_id: r.try_get("bid_id")?,
                user_id: r.try_get("user_id")?,
                criterion_key: r.try_get("criterion_key")?,
                mark: json(&r.try_get::<String, _>("mark")?)?,
                comment: r.try_get("comment")?,
                scored_at: r.try_get("scored_at")?,
            })
        })
        .collect()
}

/// Replaces an assessor's marks on a bid.
pub async fn set_scores(
    conn: &mut AnyConnection,
    bid_id: i64,
    user_id: i64,
    marks: &[(String, Mark, String)],
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM bid_scores WHERE bid_id = $1 AND user_id = $2")
        .bind(bid_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for (key, mark, comment) in marks {
        sqlx::query("INSERT INTO bid_scores (bid_id, user_id, criterion_key, mark, comment, scored_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(bid_id)
            .bind(user_id)
            .bind(key)
            .bind(to_json(mark)?)
            .bind(comment)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The panel's moderated score for a bid, which replaces the assessors' combined one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moderation {
    pub bid_id: i64,
    pub total: Total,
    pub reason: String,
    pub moderated_at: String,
    pub moderated_by: String,
}

pub async fn moderations(
    conn: &mut AnyConnection,
    bid_ids: &[i64],
) -> sqlx::Result<Vec<Moderation>> {
    if bid_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT bid_id, basis_points, passes_gates, reason, moderated_at, moderated_by FROM bid_moderations WHERE bid_id IN ({})",
        placeholders(bid_ids.len(), 1)
    );
    let mut q = sqlx::query(&sql);
    for id in bid_ids {
        q = q.bind(*id);
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Moderation {
                bid_id: r.try_get("bid_id")?,
                total: Total {
                    basis_points: u32::try_from(r.try_get::<i64, _>("basis_points")?)
                        .map_err(corrupt)?,
                    passes_gates: r.try_get::<i64, _>("passes_gates")? != 0,
                },
                reason: r.try_get("reason")?,
                moderated_at: r.try_get("moderated_at")?,
                moderated_by: r.try_get("moderated_by")?,
            })
        })
        .collect()
}

pub async fn set_moderation(conn: &mut AnyConnection, m: &Moderation) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM bid_moderations WHERE bid_id = $1")
        .bind(m.bid_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO bid_moderations (bid_id, basis_points, passes_gates, reason, moderated_at, moderated_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(m.bid_id)
        .bind(i64::from(m.total.basis_points))
        .bind(i64::from(m.total.passes_gates))
        .bind(&m.reason)
        .bind(&m.moderated_at)
        .bind(&m.moderated_by)
        .execute(conn)
        .await?;
    Ok(())
}

/// An award: what a grant agreement will be made from. Its id is its stable key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Award {
    pub id: i64,
    pub bid_id: i64,
    pub call_id: i64,
    pub decision_reference: String,
    /// YYYY-MM-DD
    pub decided_on: String,
    pub conditions: String,
    /// What the record assumes that its source does not say (e.g. the split by year).
    pub assumptions: String,
    pub amounts: BTreeMap<FinancialYear, Money>,
    pub created_at: String,
    pub created_by: String,
}

impl Award {
    pub fn total(&self) -> Money {
        Money::from_pence(self.amounts.values().map(|m| m.pence()).sum())
    }
}

/// Which awards to read.
#[derive(Debug, Clone, Copy)]
pub enum AwardsOf {
    Call(i64),
    All,
}

/// Awards with their amounts per year: two queries.
pub async fn awards(conn: &mut AnyConnection, of: AwardsOf) -> sqlx::Result<Vec<Award>> {
    let (filter, id) = match of {
        AwardsOf::Call(c) => ("a.call_id = $1", c),
        AwardsOf::All => ("$1 = $1", 0),
    };
    let mut out: Vec<Award> = sqlx::query(&format!(
        "SELECT id, bid_id, call_id, decision_reference, decided_on, conditions, assumptions, created_at, created_by FROM awards a WHERE {filter} ORDER BY a.id"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Award {
            id: r.try_get("id")?,
            bid_id: r.try_get("bid_id")?,
            call_id: r.try_get("call_id")?,
            decision_reference: r.try_get("decision_reference")?,
            decided_on: r.try_get("decided_on")?,
            conditions: r.try_get("conditions")?,
            assumptions: r.try_get("assumptions")?,
            amounts: BTreeMap::new(),
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
        })
    })
    .collect::<sqlx::Result<_>>()?;
    let rows = sqlx::query(&format!(
        "SELECT y.award_id, y.year, y.pence FROM award_years y JOIN awards a ON a.id = y.award_id WHERE {filter}"
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    for r in rows {
        let award: i64 = r.try_get("award_id")?;
        if let Some(a) = out.iter_mut().find(|a| a.id == award) {
            a.amounts.insert(
                year(&r.try_get::<String, _>("year")?)?,
                Money::from_pence(r.try_get("pence")?),
            );
        }
    }
    Ok(out)
}

/// The award made with an idempotency key, if one was.
pub async fn award_with_key(conn: &mut AnyConnection, key: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM awards WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
}

pub async fn insert_award(
    conn: &mut AnyConnection,
    a: &Award,
    idempotency_key: Option<&str>,
) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar("INSERT INTO awards (bid_id, call_id, decision_reference, decided_on, conditions, assumptions, idempotency_key, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(a.bid_id)
        .bind(a.call_id)
        .bind(&a.decision_reference)
        .bind(&a.decided_on)
        .bind(&a.conditions)
        .bind(&a.assumptions)
        .bind(idempotency_key)
        .bind(&a.created_at)
        .bind(&a.created_by)
        .fetch_one(&mut *conn)
        .await?;
    for (y, m) in &a.amounts {
        sqlx::query("INSERT INTO award_years (award_id, year, pence) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(y.to_string())
            .bind(m.pence())
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// The boroughs each awarded service covers: (bid, ONS code) pairs, one query.
pub async fn awarded_coverage(conn: &mut AnyConnection) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query("SELECT bb.bid_id, bb.area_code FROM bid_boroughs bb JOIN awards a ON a.bid_id = bb.bid_id ORDER BY bb.bid_id, bb.area_code")
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("bid_id")?, r.try_get("area_code")?)))
        .collect()
}
