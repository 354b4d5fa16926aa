//! Close-out: which grants close with a funding period, and the record of each grant's and
//! the period's unspent money returned to the fund. SQL only.

use lcpf_domain::grant::closeout::CloseOut;
use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::Money;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::corrupt;

/// A grant that closes with a period: every grant belongs to one period (made from one of its
/// proposals, from an award on its fund's calls, or imported into it), and closes with that
/// period alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodGrant {
    pub id: i64,
    pub reference: String,
    pub recipient_name: String,
    pub state: GrantState,
}

pub async fn grants_of_period(
    conn: &mut AnyConnection,
    period_id: i64,
) -> sqlx::Result<Vec<PeriodGrant>> {
    sqlx::query(&format!(
        "SELECT g.id, g.reference, o.name AS recipient_name, g.state FROM grants g JOIN organisations o ON o.id = g.recipient_organisation_id
         WHERE {OF_PERIOD} ORDER BY o.name, g.id"
    ))
    .bind(period_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(PeriodGrant {
            id: r.try_get("id")?,
            reference: r.try_get("reference")?,
            recipient_name: r.try_get("recipient_name")?,
            state: GrantState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        })
    })
    .collect()
}

/// Which grants close with a period (the same test everywhere).
const OF_PERIOD: &str = "g.period_id = $1";

/// What waits on a period's grants: claims and milestone reports for the funder, payments
/// for an authoriser. A period closes only once none do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unsettled {
    pub claims: i64,
    pub milestones: i64,
    pub payments: i64,
}

impl Unsettled {
    pub fn any(&self) -> bool {
        self.claims + self.milestones + self.payments > 0
    }
}

/// What waits on the period's grants. Three queries.
pub async fn unsettled(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<Unsettled> {
    let mut count = async |from_where: &str| -> sqlx::Result<i64> {
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {from_where} AND {OF_PERIOD}"
        ))
        .bind(period_id)
        .fetch_one(&mut *conn)
        .await
    };
    Ok(Unsettled {
        claims: count(
            "grant_claims c JOIN grants g ON g.id = c.grant_id WHERE c.state = 'submitted'",
        )
        .await?,
        milestones: count(
            "grant_milestones m JOIN grants g ON g.id = m.grant_id WHERE m.state = 'reported'",
        )
        .await?,
        payments: count(
            "payments p JOIN grants g ON g.id = p.grant_id WHERE p.state = 'requested'",
        )
        .await?,
    })
}

/// A period's close-out as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodCloseOut {
    pub closed_at: String,
    pub closed_by: String,
    pub totals: CloseOut,
    pub grants: Vec<GrantCloseOut>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantCloseOut {
    pub grant_id: i64,
    pub reference: String,
    pub recipient_name: String,
    pub totals: CloseOut,
}

fn totals(r: &sqlx::any::AnyRow) -> sqlx::Result<CloseOut> {
    Ok(CloseOut {
        profile: Money::from_pence(r.try_get("profile_pence")?),
        paid: Money::from_pence(r.try_get("paid_pence")?),
        returned: Money::from_pence(r.try_get("returned_pence")?),
        claimed: Money::from_pence(r.try_get("claimed_pence")?),
        to_recover: Money::from_pence(r.try_get("to_recover_pence")?),
    })
}

pub async fn period_closeout(
    conn: &mut AnyConnection,
    period_id: i64,
) -> sqlx::Result<Option<PeriodCloseOut>> {
    let Some(r) = sqlx::query("SELECT * FROM period_closeouts WHERE period_id = $1")
        .bind(period_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let grants = sqlx::query(
        "SELECT c.*, g.reference, o.name AS recipient_name FROM grant_closeouts c JOIN grants g ON g.id = c.grant_id JOIN organisations o ON o.id = g.recipient_organisation_id WHERE c.period_id = $1 ORDER BY o.name, g.id",
    )
    .bind(period_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|g| {
        Ok(GrantCloseOut {
            grant_id: g.try_get("grant_id")?,
            reference: g.try_get("reference")?,
            recipient_name: g.try_get("recipient_name")?,
            totals: totals(&g)?,
        })
    })
    .collect::<sqlx::Result<_>>()?;
    Ok(Some(PeriodCloseOut {
        closed_at: r.try_get("closed_at")?,
        closed_by: r.try_get("closed_by")?,
        totals: totals(&r)?,
        grants,
    }))
}

/// The close-out of one grant, if it has been closed.
pub async fn grant_closeout(
    conn: &mut AnyConnection,
    grant_id: i64,
) -> sqlx::Result<Option<CloseOut>> {
    sqlx::query("SELECT * FROM grant_closeouts WHERE grant_id = $1")
        .bind(grant_id)
        .fetch_optional(conn)
        .await?
        .map(|r| totals(&r))
        .transpose()
}

pub async fn is_closed(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM period_closeouts WHERE period_id = $1")
        .bind(period_id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

pub async fn insert_grant_closeout(
    conn: &mut AnyConnection,
    grant_id: i64,
    period_id: i64,
    c: &CloseOut,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO grant_closeouts (grant_id, period_id, profile_pence, paid_pence, returned_pence, claimed_pence, to_recover_pence) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(grant_id)
        .bind(period_id)
        .bind(c.profile.pence())
        .bind(c.paid.pence())
        .bind(c.returned.pence())
        .bind(c.claimed.pence())
        .bind(c.to_recover.pence())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_period_closeout(
    conn: &mut AnyConnection,
    period_id: i64,
    c: &CloseOut,
    now: &str,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO period_closeouts (period_id, closed_at, closed_by, profile_pence, paid_pence, returned_pence, claimed_pence, to_recover_pence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(period_id)
        .bind(now)
        .bind(by)
        .bind(c.profile.pence())
        .bind(c.paid.pence())
        .bind(c.returned.pence())
        .bind(c.claimed.pence())
        .bind(c.to_recover.pence())
        .execute(conn)
        .await?;
    Ok(())
}
