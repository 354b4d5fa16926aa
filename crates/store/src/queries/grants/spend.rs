//! Spend across grants: each grant's profile, claimed, paid and forecast in one query for a
//! page of them; the totals over every grant the reader may see; and those grants' money by
//! year and quarter, in three queries however many grants there are. SQL only.

use std::collections::BTreeMap;

use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::{FinancialYear, Money, Quarter};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{corrupt, grants_filter, year, GrantsOf};

/// A grant's money as the spend report shows it: one query for a page of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantSpend {
    pub id: i64,
    pub reference: String,
    pub recipient_name: String,
    pub state: GrantState,
    pub first_year: String,
    pub last_year: String,
    /// The envelope or award the grant sits within.
    pub ceiling: Money,
    pub profile: Money,
    /// Accepted claims.
    pub claimed: Money,
    /// Authorised and exported payments.
    pub paid: Money,
    /// The forecast on the latest accepted claim.
    pub forecast: Money,
}

const SPEND_COLUMNS: &str = "CAST(COALESCE((SELECT SUM(y.revenue_pence + y.capital_pence) FROM grant_profile_years y JOIN grant_projects p ON p.id = y.project_id WHERE p.grant_id = g.id), 0) AS BIGINT) AS profile,
    CAST(COALESCE((SELECT SUM(s.revenue_pence + s.capital_pence) FROM grant_claim_spend s JOIN grant_claims c ON c.id = s.claim_id WHERE c.grant_id = g.id AND c.state = 'accepted'), 0) AS BIGINT) AS claimed,
    CAST(COALESCE((SELECT SUM(pay.amount_pence) FROM payments pay WHERE pay.grant_id = g.id AND pay.state IN ('authorised', 'exported')), 0) AS BIGINT) AS paid,
    CAST(COALESCE((SELECT c.forecast_pence FROM grant_claims c WHERE c.grant_id = g.id AND c.state = 'accepted' ORDER BY c.year DESC, c.quarter_number DESC LIMIT 1), 0) AS BIGINT) AS forecast";

pub async fn spend_page(
    conn: &mut AnyConnection,
    of: GrantsOf,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<GrantSpend>> {
    let (filter, a) = grants_filter(of);
    sqlx::query(&format!(
        "SELECT g.id, g.reference, o.name AS recipient_name, g.state, g.first_year, g.last_year, g.ceiling_pence, {SPEND_COLUMNS}
         FROM grants g JOIN organisations o ON o.id = g.recipient_organisation_id
         WHERE {filter} ORDER BY o.name, g.first_year, g.id LIMIT $2 OFFSET $3"
    ))
    .bind(a)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        let m = |c: &str| -> sqlx::Result<Money> { Ok(Money::from_pence(r.try_get(c)?)) };
        Ok(GrantSpend {
            id: r.try_get("id")?,
            reference: r.try_get("reference")?,
            recipient_name: r.try_get("recipient_name")?,
            state: GrantState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
            first_year: r.try_get("first_year")?,
            last_year: r.try_get("last_year")?,
            ceiling: m("ceiling_pence")?,
            profile: m("profile")?,
            claimed: m("claimed")?,
            paid: m("paid")?,
            forecast: m("forecast")?,
        })
    })
    .collect()
}

/// The spend report's totals over every grant it covers (London, or one recipient's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpendTotals {
    pub grants: i64,
    pub ceiling: Money,
    pub profile: Money,
    pub claimed: Money,
    pub paid: Money,
    pub forecast: Money,
    /// The first of the grants' years and the last (none without grants).
    pub first_year: Option<FinancialYear>,
    pub last_year: Option<FinancialYear>,
}

pub async fn spend_totals(conn: &mut AnyConnection, of: GrantsOf) -> sqlx::Result<SpendTotals> {
    let (filter, a) = grants_filter(of);
    let r = sqlx::query(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS grants, CAST(COALESCE(SUM(ceiling_pence), 0) AS BIGINT) AS ceiling, CAST(COALESCE(SUM(profile), 0) AS BIGINT) AS profile,
                CAST(COALESCE(SUM(claimed), 0) AS BIGINT) AS claimed, CAST(COALESCE(SUM(paid), 0) AS BIGINT) AS paid, CAST(COALESCE(SUM(forecast), 0) AS BIGINT) AS forecast,
                MIN(first_year) AS first_year, MAX(last_year) AS last_year
         FROM (SELECT g.ceiling_pence, g.first_year, g.last_year, {SPEND_COLUMNS} FROM grants g WHERE {filter}) AS each_grant"
    ))
    .bind(a)
    .fetch_one(conn)
    .await?;
    let m = |c: &str| -> sqlx::Result<Money> { Ok(Money::from_pence(r.try_get(c)?)) };
    Ok(SpendTotals {
        grants: r.try_get("grants")?,
        ceiling: m("ceiling")?,
        profile: m("profile")?,
        claimed: m("claimed")?,
        paid: m("paid")?,
        forecast: m("forecast")?,
        first_year: r
            .try_get::<Option<String>, _>("first_year")?
            .map(|y| year(&y))
            .transpose()?,
        last_year: r
            .try_get::<Option<String>, _>("last_year")?
            .map(|y| year(&y))
            .transpose()?,
    })
}

/// The money of every grant the reader may see, by year (the profile) and quarter (claimed
/// and paid).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpendByQuarter {
    /// Each year's profile: (firm and provisional, firm).
    pub profile: BTreeMap<FinancialYear, (Money, Money)>,
    /// Accepted claims by the quarter claimed.
    pub claimed: BTreeMap<Quarter, Money>,
    /// Authorised and exported payments by the quarter they pay.
    pub paid: BTreeMap<Quarter, Money>,
}

fn quarter_of(r: &sqlx::any::AnyRow) -> sqlx::Result<Quarter> {
    let y = year(&r.try_get::<String, _>("year")?)?;
    let n: i64 = r.try_get("quarter_number")?;
    u8::try_from(n)
        .ok()
        .and_then(|n| Quarter::new(y, n))
        .ok_or_else(|| corrupt(format!("quarter {n}")))
}

pub async fn spend_by_quarter(
    conn: &mut AnyConnection,
    of: GrantsOf,
) -> sqlx::Result<SpendByQuarter> {
    let (filter, a) = grants_filter(of);
    let mut out = SpendByQuarter::default();
    for r in sqlx::query(&format!(
        "SELECT y.year, CAST(SUM(y.revenue_pence + y.capital_pence) AS BIGINT) AS total,
                CAST(SUM(CASE WHEN y.certainty = 'firm' THEN y.revenue_pence + y.capital_pence ELSE 0 END) AS BIGINT) AS firm
         FROM grant_profile_years y JOIN grant_projects p ON p.id = y.project_id JOIN grants g ON g.id = p.grant_id
         WHERE {filter} GROUP BY y.year"
    ))
    .bind(a)
    .fetch_all(&mut *conn)
    .await?
    {
        out.profile.insert(
            year(&r.try_get::<String, _>("year")?)?,
            (
                Money::from_pence(r.try_get("total")?),
                Money::from_pence(r.try_get("firm")?),
            ),
        );
    }
    for r in sqlx::query(&format!(
        "SELECT c.year, c.quarter_number, CAST(SUM(s.revenue_pence + s.capital_pence) AS BIGINT) AS total
         FROM grant_claim_spend s JOIN grant_claims c ON c.id = s.claim_id JOIN grants g ON g.id = c.grant_id
         WHERE c.state = 'accepted' AND {filter} GROUP BY c.year, c.quarter_number"
    ))
    .bind(a)
    .fetch_all(&mut *conn)
    .await?
    {
        out.claimed
            .insert(quarter_of(&r)?, Money::from_pence(r.try_get("total")?));
    }
    for r in sqlx::query(&format!(
        "SELECT pay.quarter_year AS year, pay.quarter_number, CAST(SUM(pay.amount_pence) AS BIGINT) AS total
         FROM payments pay JOIN grants g ON g.id = pay.grant_id
         WHERE pay.state IN ('authorised', 'exported') AND {filter} GROUP BY pay.quarter_year, pay.quarter_number"
    ))
    .bind(a)
    .fetch_all(&mut *conn)
    .await?
    {
        out.paid
            .insert(quarter_of(&r)?, Money::from_pence(r.try_get("total")?));
    }
    Ok(out)
}
