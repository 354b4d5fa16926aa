//! Payments: requests made from accepted claims, advances and met milestones, authorised once
//! under an idempotency key,
//! and the finance exports each authorised payment goes in exactly once; and each funder
//! user's spend authority. SQL only.

use std::collections::BTreeMap;

use lcpf_domain::grant::payment::{PaymentBasis, PaymentState};
use lcpf_domain::{FinancialYear, Money, Quarter};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{corrupt, year};

/// A payment with what its pages, checks and the finance export need: the grant, payee, what
/// it is for and the people who handled that. One query for any number of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRecord {
    pub id: i64,
    pub grant_id: i64,
    pub grant_reference: String,
    pub cost_centre: String,
    pub payee: String,
    pub payee_organisation_id: i64,
    /// The payee's 360Giving org-id, where known.
    pub payee_org_id: Option<String>,
    pub basis: PaymentBasis,
    /// The quarter it pays: its claim's, its advance's, or (a milestone) the one it is due in.
    pub quarter: Quarter,
    pub year: FinancialYear,
    pub amount: Money,
    pub state: PaymentState,
    pub requested_at: String,
    pub requested_by: String,
    pub authorised_at: Option<String>,
    pub authorised_by: Option<String>,
    pub idempotency_key: Option<String>,
    pub reference: Option<String>,
    pub export_id: Option<i64>,
    /// When a request was cancelled: when, by whom, and why.
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
    /// Who submitted and who accepted its claim, who reported and who confirmed its
    /// milestone, or (an advance) nobody and who requested it: none of them may authorise it.
    pub submitted_by: String,
    pub accepted_by: String,
}

const SELECT: &str = "SELECT p.*, g.reference AS grant_reference, g.cost_centre, o.name AS payee, o.id AS payee_organisation_id, o.org_id AS payee_org_id, m.title AS milestone_title,
        CASE p.basis WHEN 'claim' THEN COALESCE(c.submitted_by, '') WHEN 'milestone' THEN COALESCE(m.reported_by, '') ELSE '' END AS submitted_by,
        CASE p.basis WHEN 'claim' THEN COALESCE(c.decided_by, '') WHEN 'milestone' THEN COALESCE(m.decided_by, '') ELSE p.requested_by END AS accepted_by
     FROM payments p JOIN grants g ON g.id = p.grant_id JOIN organisations o ON o.id = g.recipient_organisation_id
     LEFT JOIN grant_claims c ON c.id = p.claim_id LEFT JOIN grant_milestones m ON m.id = p.milestone_id";

fn quarter_of(r: &sqlx::any::AnyRow) -> sqlx::Result<Quarter> {
    let quarter_year = year(&r.try_get::<String, _>("quarter_year")?)?;
    let n: i64 = r.try_get("quarter_number")?;
    u8::try_from(n)
        .ok()
        .and_then(|n| Quarter::new(quarter_year, n))
        .ok_or_else(|| corrupt(format!("quarter {n}")))
}

fn basis_of(r: &sqlx::any::AnyRow, quarter: Quarter) -> sqlx::Result<PaymentBasis> {
    let basis: String = r.try_get("basis")?;
    let missing = |what: &str| corrupt(format!("a {basis} payment without its {what}"));
    Ok(match basis.as_str() {
        "claim" => PaymentBasis::Claim {
            claim_id: r
                .try_get::<Option<i64>, _>("claim_id")?
                .ok_or_else(|| missing("claim"))?,
            quarter,
        },
        "advance" => PaymentBasis::Advance { quarter },
        "milestone" => PaymentBasis::Milestone {
            milestone_id: r
                .try_get::<Option<i64>, _>("milestone_id")?
                .ok_or_else(|| missing("milestone"))?,
            title: r
                .try_get::<Option<String>, _>("milestone_title")?
                .ok_or_else(|| missing("milestone"))?,
        },
        other => return Err(corrupt(format!("payment basis “{other}”"))),
    })
}

fn map(r: sqlx::any::AnyRow) -> sqlx::Result<PaymentRecord> {
    let quarter = quarter_of(&r)?;
    Ok(PaymentRecord {
        id: r.try_get("id")?,
        grant_id: r.try_get("grant_id")?,
        grant_reference: r.try_get("grant_reference")?,
        cost_centre: r.try_get("cost_centre")?,
        payee: r.try_get("payee")?,
        payee_organisation_id: r.try_get("payee_organisation_id")?,
        payee_org_id: r.try_get("payee_org_id")?,
        basis: basis_of(&r, quarter)?,
        quarter,
        year: year(&r.try_get::<String, _>("year")?)?,
        amount: Money::from_pence(r.try_get("amount_pence")?),
        state: PaymentState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        requested_at: r.try_get("requested_at")?,
        requested_by: r.try_get("requested_by")?,
        authorised_at: r.try_get("authorised_at")?,
        authorised_by: r.try_get("authorised_by")?,
        idempotency_key: r.try_get("idempotency_key")?,
        reference: r.try_get("payment_reference")?,
        export_id: r.try_get("export_id")?,
        cancelled_at: r.try_get("cancelled_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        cancel_reason: r.try_get("cancel_reason")?,
        submitted_by: r.try_get("submitted_by")?,
        accepted_by: r.try_get("accepted_by")?,
    })
}

pub async fn payment(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<PaymentRecord>> {
    sqlx::query(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(map)
        .transpose()
}

pub async fn payment_of_claim(
    conn: &mut AnyConnection,
    claim_id: i64,
) -> sqlx::Result<Option<PaymentRecord>> {
    sqlx::query(&format!("{SELECT} WHERE p.claim_id = $1"))
        .bind(claim_id)
        .fetch_optional(conn)
        .await?
        .map(map)
        .transpose()
}

/// A grant's advance for a quarter, if it was requested.
pub async fn advance_of(
    conn: &mut AnyConnection,
    grant_id: i64,
    quarter: Quarter,
) -> sqlx::Result<Option<PaymentRecord>> {
    sqlx::query(&format!(
        "{SELECT} WHERE p.grant_id = $1 AND p.basis = 'advance' AND p.quarter_year = $2 AND p.quarter_number = $3"
    ))
    .bind(grant_id)
    .bind(quarter.year().to_string())
    .bind(i64::from(quarter.number()))
    .fetch_optional(conn)
    .await?
    .map(map)
    .transpose()
}

/// The payment an idempotency key already authorised, if any.
pub async fn payment_by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> sqlx::Result<Option<PaymentRecord>> {
    sqlx::query(&format!("{SELECT} WHERE p.idempotency_key = $1"))
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(map)
        .transpose()
}

/// Which payments a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentsOf {
    Grant(i64),
    State(PaymentState),
}

pub async fn payments_page(
    conn: &mut AnyConnection,
    of: PaymentsOf,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PaymentRecord>> {
    let sql = match of {
        PaymentsOf::Grant(_) => format!(
            "{SELECT} WHERE p.grant_id = $1 ORDER BY p.quarter_year, p.quarter_number, p.id LIMIT $2 OFFSET $3"
        ),
        PaymentsOf::State(_) => format!(
            "{SELECT} WHERE p.state = $1 ORDER BY p.requested_at, p.id LIMIT $2 OFFSET $3"
        ),
    };
    let query = sqlx::query(&sql);
    let query = match of {
        PaymentsOf::Grant(g) => query.bind(g),
        PaymentsOf::State(s) => query.bind(s.as_str()),
    };
    query
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(map)
        .collect()
}

pub async fn count_payments(conn: &mut AnyConnection, of: PaymentsOf) -> sqlx::Result<i64> {
    match of {
        PaymentsOf::Grant(g) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE grant_id = $1")
                .bind(g)
                .fetch_one(conn)
                .await
        }
        PaymentsOf::State(s) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE state = $1")
                .bind(s.as_str())
                .fetch_one(conn)
                .await
        }
    }
}

/// A grant's payments by year: everything requested or authorised (`committed`, which a new
/// request must fit beside) and what is authorised or exported (`paid`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Paid {
    pub committed: BTreeMap<FinancialYear, Money>,
    pub paid: BTreeMap<FinancialYear, Money>,
    /// Authorised or exported, by the quarter it pays.
    pub paid_by_quarter: BTreeMap<Quarter, Money>,
}

impl Paid {
    pub fn total_paid(&self) -> Money {
        Money::from_pence(self.paid.values().map(|m| m.pence()).sum())
    }
}

pub async fn paid(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<Paid> {
    let mut out = Paid::default();
    for r in sqlx::query(
        "SELECT year, state, amount_pence, quarter_year, quarter_number FROM payments WHERE grant_id = $1",
    )
    .bind(grant_id)
    .fetch_all(conn)
    .await?
    {
        let state = PaymentState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?;
        if state == PaymentState::Cancelled {
            continue; // never paid, and holds no money back
        }
        let y = year(&r.try_get::<String, _>("year")?)?;
        let amount = Money::from_pence(r.try_get("amount_pence")?);
        // Checked: a sum over rows never wraps.
        let add = |e: &mut Money| -> sqlx::Result<()> {
            *e = e.checked_add(amount).map_err(corrupt)?;
            Ok(())
        };
        add(out.committed.entry(y).or_insert(Money::ZERO))?;
        if state != PaymentState::Requested {
            add(out.paid.entry(y).or_insert(Money::ZERO))?;
            add(out.paid_by_quarter.entry(quarter_of(&r)?).or_insert(Money::ZERO))?;
        }
    }
    Ok(out)
}

/// A payment request: what it is for, the quarter it pays, its year and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment<'a> {
    pub grant_id: i64,
    pub basis: &'a PaymentBasis,
    pub quarter: Quarter,
    pub year: FinancialYear,
    pub amount: Money,
}

/// Records a payment request. A quarter's advance is recorded once: a second request for it
/// returns none (the unique index says so) and changes nothing.
pub async fn insert_payment(
    conn: &mut AnyConnection,
    p: &NewPayment<'_>,
    now: &str,
    by: &str,
) -> sqlx::Result<Option<i64>> {
    let (claim_id, milestone_id) = match p.basis {
        PaymentBasis::Claim { claim_id, .. } => (Some(*claim_id), None),
        PaymentBasis::Advance { .. } => (None, None),
        PaymentBasis::Milestone { milestone_id, .. } => (None, Some(*milestone_id)),
    };
    sqlx::query_scalar(
        "INSERT INTO payments (grant_id, basis, claim_id, milestone_id, quarter_year, quarter_number, year, amount_pence, state, requested_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9, $10) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(p.grant_id)
    .bind(p.basis.code())
    .bind(claim_id)
    .bind(milestone_id)
    .bind(p.quarter.year().to_string())
    .bind(i64::from(p.quarter.number()))
    .bind(p.year.to_string())
    .bind(p.amount.pence())
    .bind(now)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// The quarters of a grant already advanced.
pub async fn advanced_quarters(
    conn: &mut AnyConnection,
    grant_id: i64,
) -> sqlx::Result<Vec<Quarter>> {
    sqlx::query(
        "SELECT quarter_year, quarter_number FROM payments WHERE grant_id = $1 AND basis = 'advance' ORDER BY quarter_year, quarter_number",
    )
    .bind(grant_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(quarter_of)
    .collect()
}

/// Authorises a requested payment under an idempotency key. Returns false (nothing changed)
/// when it was no longer waiting: someone else authorised it first.
pub async fn authorise_payment(
    conn: &mut AnyConnection,
    id: i64,
    key: &str,
    reference: &str,
    now: &str,
    by: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET state = 'authorised', authorised_at = $1, authorised_by = $2, idempotency_key = $3, payment_reference = $4 WHERE id = $5 AND state = 'requested'",
    )
    .bind(now)
    .bind(by)
    .bind(key)
    .bind(reference)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Authorised payments not yet in a finance export, oldest first.
pub async fn unexported(conn: &mut AnyConnection) -> sqlx::Result<Vec<PaymentRecord>> {
    sqlx::query(&format!(
        "{SELECT} WHERE p.state = 'authorised' AND p.export_id IS NULL ORDER BY p.authorised_at, p.id"
    ))
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map)
    .collect()
}

/// A finance export as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FinanceExport {
    pub id: i64,
    pub exported_at: String,
    pub exported_by: String,
    pub payments: i64,
    pub total: Money,
}

/// Records an export and marks its payments as in it. Each payment is marked only if it is
/// still unexported: the count says how many were, so a concurrent export is caught.
pub async fn insert_export(
    conn: &mut AnyConnection,
    ids: &[i64],
    total: Money,
    csv: &str,
    now: &str,
    by: &str,
) -> sqlx::Result<(i64, u64)> {
    let export: i64 = sqlx::query_scalar(
        "INSERT INTO finance_exports (exported_at, exported_by, payments, total_pence, csv) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(now)
    .bind(by)
    .bind(ids.len() as i64)
    .bind(total.pence())
    .bind(csv)
    .fetch_one(&mut *conn)
    .await?;
    let mut marked = 0;
    for id in ids {
        marked += sqlx::query(
            "UPDATE payments SET state = 'exported', export_id = $1 WHERE id = $2 AND state = 'authorised' AND export_id IS NULL",
        )
        .bind(export)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok((export, marked))
}

pub async fn exports(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<FinanceExport>> {
    sqlx::query("SELECT id, exported_at, exported_by, payments, total_pence FROM finance_exports ORDER BY id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(FinanceExport {
                id: r.try_get("id")?,
                exported_at: r.try_get("exported_at")?,
                exported_by: r.try_get("exported_by")?,
                payments: r.try_get("payments")?,
                total: Money::from_pence(r.try_get("total_pence")?),
            })
        })
        .collect()
}

/// An export's CSV, exactly as it was first produced.
pub async fn export_csv(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT csv FROM finance_exports WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The most a user may authorise in one payment; none: no spend authority.
pub async fn spend_authority(
    conn: &mut AnyConnection,
    user_id: i64,
) -> sqlx::Result<Option<Money>> {
    let limit: Option<Option<i64>> =
        sqlx::query_scalar("SELECT spend_authority_pence FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(limit.flatten().map(Money::from_pence))
}

pub async fn set_spend_authority(
    conn: &mut AnyConnection,
    user_id: i64,
    limit: Option<Money>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET spend_authority_pence = $1 WHERE id = $2")
        .bind(limit.map(|m| m.pence()))
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Funder staff and their spend authority, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authority {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub limit: Option<Money>,
}

pub async fn authorities(conn: &mut AnyConnection) -> sqlx::Result<Vec<Authority>> {
    sqlx::query("SELECT id, name, email, role, spend_authority_pence FROM users WHERE role IN ('funder_admin', 'funder_officer') AND disabled = 0 ORDER BY name, id")
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Authority {
                user_id: r.try_get("id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                role: r.try_get("role")?,
                limit: r
                    .try_get::<Option<i64>, _>("spend_authority_pence")?
                    .map(Money::from_pence),
            })
        })
        .collect()
}

/// Cancels a payment request still waiting for an authoriser; false when it is not waiting
/// (authorised, exported or cancelled already).
pub async fn cancel_payment(
    conn: &mut AnyConnection,
    id: i64,
    now: &str,
    by: &str,
    reason: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET state = 'cancelled', cancelled_at = $1, cancelled_by = $2, cancel_reason = $3 WHERE id = $4 AND state = 'requested'",
    )
    .bind(now)
    .bind(by)
    .bind(reason)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
