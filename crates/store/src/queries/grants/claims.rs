//! Claims: a recipient's actual spend for a quarter of a grant, per project, with its
//! narrative, forecast and evidence. SQL only; records hold the domain's `Quarter`,
//! `ClaimState` and `Spend`.

use std::collections::BTreeMap;

use lcpf_domain::grant::claim::{ClaimState, Spend};
use lcpf_domain::{FinancialYear, Money, Quarter};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{corrupt, year};

/// A claim as stored. Its id is the stable key its payment points at; its spend is keyed by
/// the grant's project keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimRecord {
    pub id: i64,
    pub grant_id: i64,
    pub quarter: Quarter,
    pub state: ClaimState,
    pub spend: BTreeMap<i64, Spend>,
    pub narrative: String,
    pub forecast: Money,
    /// Match funding received in the quarter.
    pub match_funding: Money,
    pub comments: String,
    pub created_at: String,
    pub created_by: String,
    pub submitted_at: Option<String>,
    pub submitted_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub evidence: Vec<Evidence>,
}

/// A file attached to a claim as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub key: String,
    pub name: String,
    pub size_bytes: i64,
    pub added_at: String,
    pub added_by: String,
}

/// A claim as a list shows it: one query for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimSummary {
    pub id: i64,
    pub grant_id: i64,
    pub grant_reference: String,
    pub recipient_name: String,
    pub quarter: Quarter,
    pub state: ClaimState,
    pub total: Money,
    pub forecast: Money,
    pub submitted_at: Option<String>,
}

fn quarter_of(r: &sqlx::any::AnyRow) -> sqlx::Result<Quarter> {
    let y = year(&r.try_get::<String, _>("year")?)?;
    let n: i64 = r.try_get("quarter_number")?;
    u8::try_from(n)
        .ok()
        .and_then(|n| Quarter::new(y, n))
        .ok_or_else(|| corrupt(format!("quarter {n}")))
}

fn state_of(r: &sqlx::any::AnyRow) -> sqlx::Result<ClaimState> {
    ClaimState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)
}

/// Which claims a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsOf {
    /// One grant's, every state.
    Grant(i64),
    /// Every grant's claims in one state (the funder's queue).
    State(ClaimState),
}

const SUMMARY: &str = "SELECT c.id, c.grant_id, g.reference AS grant_reference, o.name AS recipient_name, c.year, c.quarter_number, c.state, c.forecast_pence, c.submitted_at,
        CAST(COALESCE((SELECT SUM(s.revenue_pence + s.capital_pence) FROM grant_claim_spend s WHERE s.claim_id = c.id), 0) AS BIGINT) AS total
     FROM grant_claims c JOIN grants g ON g.id = c.grant_id JOIN organisations o ON o.id = g.recipient_organisation_id";

fn filter(of: ClaimsOf) -> &'static str {
    match of {
        ClaimsOf::Grant(_) => "c.grant_id = $1",
        ClaimsOf::State(_) => "c.state = $1",
    }
}

fn bind_filter<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    of: ClaimsOf,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match of {
        ClaimsOf::Grant(g) => query.bind(g),
        ClaimsOf::State(s) => query.bind(s.as_str()),
    }
}

pub async fn claims_page(
    conn: &mut AnyConnection,
    of: ClaimsOf,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ClaimSummary>> {
    let sql = format!(
        "{SUMMARY} WHERE {} ORDER BY c.year, c.quarter_number, o.name, c.id LIMIT $2 OFFSET $3",
        filter(of)
    );
    bind_filter(sqlx::query(&sql), of)
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(ClaimSummary {
                id: r.try_get("id")?,
                grant_id: r.try_get("grant_id")?,
                grant_reference: r.try_get("grant_reference")?,
                recipient_name: r.try_get("recipient_name")?,
                quarter: quarter_of(&r)?,
                state: state_of(&r)?,
                total: Money::from_pence(r.try_get("total")?),
                forecast: Money::from_pence(r.try_get("forecast_pence")?),
                submitted_at: r.try_get("submitted_at")?,
            })
        })
        .collect()
}

pub async fn count_claims(conn: &mut AnyConnection, of: ClaimsOf) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM grant_claims c WHERE {}", filter(of));
    let row = bind_filter(sqlx::query(&sql), of).fetch_one(conn).await?;
    row.try_get(0)
}

/// A claim with its spend and evidence: three queries.
pub async fn claim(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<ClaimRecord>> {
    let Some(r) = sqlx::query("SELECT * FROM grant_claims WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let spend = sqlx::query(
        "SELECT project_id, revenue_pence, capital_pence FROM grant_claim_spend WHERE claim_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|s| {
        Ok((
            s.try_get("project_id")?,
            Spend {
                revenue: Money::from_pence(s.try_get("revenue_pence")?),
                capital: Money::from_pence(s.try_get("capital_pence")?),
            },
        ))
    })
    .collect::<sqlx::Result<_>>()?;
    let evidence = sqlx::query(
        "SELECT e.file_key, e.name, f.size_bytes, e.added_at, e.added_by FROM grant_claim_evidence e JOIN stored_files f ON f.key = e.file_key WHERE e.claim_id = $1 ORDER BY e.added_at, e.name",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|e| {
        Ok(Evidence {
            key: e.try_get("file_key")?,
            name: e.try_get("name")?,
            size_bytes: e.try_get("size_bytes")?,
            added_at: e.try_get("added_at")?,
            added_by: e.try_get("added_by")?,
        })
    })
    .collect::<sqlx::Result<_>>()?;
    Ok(Some(ClaimRecord {
        id,
        grant_id: r.try_get("grant_id")?,
        quarter: quarter_of(&r)?,
        state: state_of(&r)?,
        spend,
        narrative: r.try_get("narrative")?,
        forecast: Money::from_pence(r.try_get("forecast_pence")?),
        match_funding: Money::from_pence(r.try_get("match_funding_pence")?),
        comments: r.try_get("comments")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        submitted_at: r.try_get("submitted_at")?,
        submitted_by: r.try_get("submitted_by")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        evidence,
    }))
}

/// The claim already made for a grant's quarter.
pub async fn claim_for(
    conn: &mut AnyConnection,
    grant_id: i64,
    quarter: Quarter,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM grant_claims WHERE grant_id = $1 AND year = $2 AND quarter_number = $3",
    )
    .bind(grant_id)
    .bind(quarter.year().to_string())
    .bind(i64::from(quarter.number()))
    .fetch_optional(conn)
    .await
}

/// What a claim says, as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimContent<'a> {
    pub spend: &'a BTreeMap<i64, Spend>,
    pub narrative: &'a str,
    pub forecast: Money,
    pub match_funding: Money,
}

pub async fn insert_claim(
    conn: &mut AnyConnection,
    grant_id: i64,
    quarter: Quarter,
    content: &ClaimContent<'_>,
    now: &str,
    by: &str,
) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO grant_claims (grant_id, year, quarter_number, state, narrative, forecast_pence, comments, created_at, created_by, match_funding_pence) VALUES ($1, $2, $3, 'draft', $4, $5, '', $6, $7, $8) RETURNING id",
    )
    .bind(grant_id)
    .bind(quarter.year().to_string())
    .bind(i64::from(quarter.number()))
    .bind(content.narrative)
    .bind(content.forecast.pence())
    .bind(now)
    .bind(by)
    .bind(content.match_funding.pence())
    .fetch_one(&mut *conn)
    .await?;
    insert_spend(conn, id, content.spend).await?;
    Ok(id)
}

async fn insert_spend(
    conn: &mut AnyConnection,
    claim_id: i64,
    spend: &BTreeMap<i64, Spend>,
) -> sqlx::Result<()> {
    for (project, s) in spend {
        sqlx::query("INSERT INTO grant_claim_spend (claim_id, project_id, revenue_pence, capital_pence) VALUES ($1, $2, $3, $4)")
            .bind(claim_id)
            .bind(project)
            .bind(s.revenue.pence())
            .bind(s.capital.pence())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn save_claim(
    conn: &mut AnyConnection,
    id: i64,
    content: &ClaimContent<'_>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE grant_claims SET narrative = $1, forecast_pence = $2, match_funding_pence = $3 WHERE id = $4")
        .bind(content.narrative)
        .bind(content.forecast.pence())
        .bind(content.match_funding.pence())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM grant_claim_spend WHERE claim_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_spend(conn, id, content.spend).await
}

/// Moves a claim from `from` to `to`, noting who submitted or decided it, and the funder's
/// comments. Returns false (nothing changed) when the claim was no longer in `from`: someone
/// else moved it first.
pub async fn set_claim_state(
    conn: &mut AnyConnection,
    id: i64,
    from: ClaimState,
    to: ClaimState,
    comments: Option<&str>,
    now: &str,
    by: &str,
) -> sqlx::Result<bool> {
    let (at, who) = match to {
        ClaimState::Submitted => ("submitted_at", "submitted_by"),
        _ => ("decided_at", "decided_by"),
    };
    let done = sqlx::query(&format!(
        "UPDATE grant_claims SET state = $1, {at} = $2, {who} = $3, comments = COALESCE($4, comments) WHERE id = $5 AND state = $6"
    ))
    .bind(to.as_str())
    .bind(now)
    .bind(by)
    .bind(comments)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn add_evidence(
    conn: &mut AnyConnection,
    claim_id: i64,
    key: &str,
    name: &str,
    now: &str,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO grant_claim_evidence (claim_id, file_key, name, added_at, added_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_id, file_key) DO NOTHING")
        .bind(claim_id)
        .bind(key)
        .bind(name)
        .bind(now)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// Each quarter's claimed money for a grant (accepted claims only, as the funder agreed them),
/// and the latest forecast for the remaining quarters: one query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Claimed {
    pub by_quarter: BTreeMap<Quarter, Money>,
    /// The forecast on the latest accepted claim.
    pub forecast: Money,
    /// Match funding reported on accepted claims.
    pub match_funding: Money,
}

impl Claimed {
    pub fn in_year(&self, y: FinancialYear) -> Money {
        Money::from_pence(
            self.by_quarter
                .iter()
                .filter(|(q, _)| q.year() == y)
                .map(|(_, m)| m.pence())
                .sum(),
        )
    }

    pub fn total(&self) -> Money {
        Money::from_pence(self.by_quarter.values().map(|m| m.pence()).sum())
    }
}

pub async fn claimed(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<Claimed> {
    let mut out = Claimed::default();
    for r in sqlx::query(
        "SELECT c.year, c.quarter_number, c.forecast_pence, c.match_funding_pence,
                CAST(COALESCE((SELECT SUM(s.revenue_pence + s.capital_pence) FROM grant_claim_spend s WHERE s.claim_id = c.id), 0) AS BIGINT) AS total
         FROM grant_claims c WHERE c.grant_id = $1 AND c.state = 'accepted' ORDER BY c.year, c.quarter_number",
    )
    .bind(grant_id)
    .fetch_all(conn)
    .await?
    {
        out.by_quarter
            .insert(quarter_of(&r)?, Money::from_pence(r.try_get("total")?));
        out.forecast = Money::from_pence(r.try_get("forecast_pence")?);
        out.match_funding = Money::from_pence(
            out.match_funding.pence() + r.try_get::<i64, _>("match_funding_pence")?,
        );
    }
    Ok(out)
}

/// What waits on grants, for a home page: claims with the funder and returned to the
/// recipient, milestones reported met, payments waiting for an authoriser, offers waiting for
/// acceptance, and live grants. One query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WorkWaiting {
    pub claims_submitted: i64,
    pub claims_returned: i64,
    pub milestones_reported: i64,
    pub payments_requested: i64,
    pub grants_offered: i64,
    pub grants_live: i64,
}

pub async fn work_waiting(
    conn: &mut AnyConnection,
    of: super::GrantsOf,
) -> sqlx::Result<WorkWaiting> {
    let (filter, a) = super::grants_filter(of);
    let r = sqlx::query(&format!(
        "SELECT
            (SELECT COUNT(*) FROM grant_claims c JOIN grants g ON g.id = c.grant_id WHERE c.state = 'submitted' AND {filter}) AS claims_submitted,
            (SELECT COUNT(*) FROM grant_claims c JOIN grants g ON g.id = c.grant_id WHERE c.state = 'returned' AND {filter}) AS claims_returned,
            (SELECT COUNT(*) FROM grant_milestones m JOIN grants g ON g.id = m.grant_id WHERE m.state = 'reported' AND {filter}) AS milestones_reported,
            (SELECT COUNT(*) FROM payments p JOIN grants g ON g.id = p.grant_id WHERE p.state = 'requested' AND {filter}) AS payments_requested,
            (SELECT COUNT(*) FROM grants g WHERE g.state = 'offered' AND {filter}) AS grants_offered,
            (SELECT COUNT(*) FROM grants g WHERE g.state = 'live' AND {filter}) AS grants_live"
    ))
    .bind(a)
    .fetch_one(conn)
    .await?;
    Ok(WorkWaiting {
        claims_submitted: r.try_get("claims_submitted")?,
        claims_returned: r.try_get("claims_returned")?,
        milestones_reported: r.try_get("milestones_reported")?,
        payments_requested: r.try_get("payments_requested")?,
        grants_offered: r.try_get("grants_offered")?,
        grants_live: r.try_get("grants_live")?,
    })
}

/// A grant's accepted claims for `year` that have no payment (accepted while nothing was
/// payable), oldest quarter first.
pub async fn accepted_without_payment(
    conn: &mut AnyConnection,
    grant_id: i64,
    year: FinancialYear,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT c.id FROM grant_claims c WHERE c.grant_id = $1 AND c.year = $2 AND c.state = 'accepted'
         AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.claim_id = c.id) ORDER BY c.quarter_number",
    )
    .bind(grant_id)
    .bind(year.to_string())
    .fetch_all(conn)
    .await
}
