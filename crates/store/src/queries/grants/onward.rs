//! Onward funding: the money a consortium's lead passes to its partners, per partner per year,
//! recorded against the lead's grant. SQL only.

use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::year;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Onward {
    pub organisation_id: i64,
    pub organisation_name: String,
    pub year: FinancialYear,
    pub amount: Money,
    pub note: String,
    pub recorded_at: String,
    pub recorded_by: String,
}

pub async fn onward_funding(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<Vec<Onward>> {
    sqlx::query(
        "SELECT f.*, o.name AS organisation_name FROM grant_onward_funding f JOIN organisations o ON o.id = f.organisation_id WHERE f.grant_id = $1 ORDER BY o.name, f.year",
    )
    .bind(grant_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Onward {
            organisation_id: r.try_get("organisation_id")?,
            organisation_name: r.try_get("organisation_name")?,
            year: year(&r.try_get::<String, _>("year")?)?,
            amount: Money::from_pence(r.try_get("amount_pence")?),
            note: r.try_get("note")?,
            recorded_at: r.try_get("recorded_at")?,
            recorded_by: r.try_get("recorded_by")?,
        })
    })
    .collect()
}

/// Sets a partner's onward funding for a year (none: removes it).
#[allow(clippy::too_many_arguments)]
pub async fn set_onward_funding(
    conn: &mut AnyConnection,
    grant_id: i64,
    organisation_id: i64,
    year: FinancialYear,
    amount: Option<Money>,
    note: &str,
    now: &str,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM grant_onward_funding WHERE grant_id = $1 AND organisation_id = $2 AND year = $3")
        .bind(grant_id)
        .bind(organisation_id)
        .bind(year.to_string())
        .execute(&mut *conn)
        .await?;
    if let Some(amount) = amount {
        sqlx::query("INSERT INTO grant_onward_funding (grant_id, organisation_id, year, amount_pence, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(grant_id)
            .bind(organisation_id)
            .bind(year.to_string())
            .bind(amount.pence())
            .bind(note)
            .bind(now)
            .bind(by)
            .execute(conn)
            .await?;
    }
    Ok(())
}
