//! Co-commissioning: calls, bids and their content, assessment and awards. SQL only; the
//! records hold the domain's own types (`Call`, `Bid`, `BidState`, `Mark`), so the rules run
//! on what is read here unchanged. Every read of many bids is a fixed number of queries,
//! whatever the number of bids.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lcpf_domain::co_commissioning::bid::{
    Answer, Bid, MatchFunding, Outcome, Partner, PartnerRole,
};
use lcpf_domain::co_commissioning::call::{Call, Lead};
use lcpf_domain::co_commissioning::workflow::BidState;
use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

mod assessment;
pub use assessment::*;

fn corrupt(what: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(what.to_string().into())
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text).map_err(corrupt)
}

fn to_json<T: Serialize>(value: &T) -> sqlx::Result<String> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(e.into()))
}

fn year(text: &str) -> sqlx::Result<FinancialYear> {
    FinancialYear::parse(text).map_err(corrupt)
}

fn moment(text: &str) -> sqlx::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(corrupt)
}

/// Binds a list as `$n, $n+1, …` for an `IN (…)`; `start` is the first placeholder number.
fn placeholders(n: usize, start: usize) -> String {
    (start..start + n.max(1))
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A call as stored: its id (the key bids point at), its fund, and its terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    pub id: i64,
    pub fund_id: i64,
    pub fund_name: String,
    pub call: Call,
    pub copied_from: Option<i64>,
    pub created_at: String,
    pub created_by: String,
}

const CALL_COLUMNS: &str = "c.id, c.fund_id, f.name AS fund_name, c.name, c.first_year, c.last_year, c.maximum_pence, c.themes, c.leads, c.minimum_boroughs, c.match_funding_required, c.opens_at, c.closes_at, c.spread_margin_bp, c.criteria, c.questions, c.copied_from, c.created_at, c.created_by";

fn map_call(r: AnyRow) -> sqlx::Result<CallRecord> {
    let first = year(&r.try_get::<String, _>("first_year")?)?;
    let last = year(&r.try_get::<String, _>("last_year")?)?;
    let mut years = vec![first];
    while let Some(y) = years.last().copied().filter(|y| *y < last) {
        years.push(y.next());
    }
    Ok(CallRecord {
        id: r.try_get("id")?,
        fund_id: r.try_get("fund_id")?,
        fund_name: r.try_get("fund_name")?,
        call: Call {
            name: r.try_get("name")?,
            years,
            maximum: Money::from_pence(r.try_get("maximum_pence")?),
            themes: json(&r.try_get::<String, _>("themes")?)?,
            leads: json::<BTreeSet<Lead>>(&r.try_get::<String, _>("leads")?)?,
            minimum_boroughs: usize::try_from(r.try_get::<i64, _>("minimum_boroughs")?)
                .map_err(corrupt)?,
            match_funding_required: r.try_get::<i64, _>("match_funding_required")? != 0,
            opens_at: moment(&r.try_get::<String, _>("opens_at")?)?,
            closes_at: moment(&r.try_get::<String, _>("closes_at")?)?,
            spread_margin_bp: u32::try_from(r.try_get::<i64, _>("spread_margin_bp")?)
                .map_err(corrupt)?,
            criteria: json(&r.try_get::<String, _>("criteria")?)?,
            questions: json(&r.try_get::<String, _>("questions")?)?,
        },
        copied_from: r.try_get("copied_from")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

pub async fn calls(conn: &mut AnyConnection) -> sqlx::Result<Vec<CallRecord>> {
    sqlx::query(&format!(
        "SELECT {CALL_COLUMNS} FROM calls c JOIN funds f ON f.id = c.fund_id ORDER BY c.fund_id, c.opens_at, c.id"
    ))
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map_call)
    .collect()
}

pub async fn call(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<CallRecord>> {
    sqlx::query(&format!(
        "SELECT {CALL_COLUMNS} FROM calls c JOIN funds f ON f.id = c.fund_id WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(map_call)
    .transpose()
}

pub async fn call_named(
    conn: &mut AnyConnection,
    fund_id: i64,
    name: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM calls WHERE fund_id = $1 AND name = $2")
        .bind(fund_id)
        .bind(name)
        .fetch_optional(conn)
        .await
}

/// Saves a new call; its id.
pub async fn insert_call(
    conn: &mut AnyConnection,
    fund_id: i64,
    call: &Call,
    copied_from: Option<i64>,
    now: &str,
    by: &str,
) -> sqlx::Result<i64> {
    let (first, last) = match (call.years.first(), call.years.last()) {
        (Some(f), Some(l)) => (f.to_string(), l.to_string()),
        _ => return Err(sqlx::Error::Protocol("a call needs its years".into())),
    };
    sqlx::query_scalar(
        "INSERT INTO calls (fund_id, name, first_year, last_year, maximum_pence, themes, leads, minimum_boroughs, match_funding_required, opens_at, closes_at, spread_margin_bp, criteria, questions, copied_from, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(fund_id)
    .bind(&call.name)
    .bind(first)
    .bind(last)
    .bind(call.maximum.pence())
    .bind(to_json(&call.themes)?)
    .bind(to_json(&call.leads)?)
    .bind(call.minimum_boroughs as i64)
    .bind(i64::from(call.match_funding_required))
    .bind(crate::db::timestamp(call.opens_at))
    .bind(crate::db::timestamp(call.closes_at))
    .bind(i64::from(call.spread_margin_bp))
    .bind(to_json(&call.criteria)?)
    .bind(to_json(&call.questions)?)
    .bind(copied_from)
    .bind(now)
    .bind(by)
    .fetch_one(conn)
    .await
}

/// Replaces a call's questions and criteria (while it is not yet open).
pub async fn set_call_questions(
    conn: &mut AnyConnection,
    id: i64,
    call: &Call,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE calls SET criteria = $1, questions = $2 WHERE id = $3")
        .bind(to_json(&call.criteria)?)
        .bind(to_json(&call.questions)?)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A bid as stored: its id (the stable key awards and grants point at), its call and lead,
/// its state and its content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BidRecord {
    pub id: i64,
    pub call_id: i64,
    pub lead_organisation_id: i64,
    pub lead_name: String,
    pub state: BidState,
    pub bid: Bid,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub submitted_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub feedback: String,
}

/// A bid as a list shows it, without its content: one query for any number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BidSummary {
    pub id: i64,
    pub call_id: i64,
    pub title: String,
    pub lead_organisation_id: i64,
    pub lead_name: String,
    pub state: BidState,
    pub ask: Money,
    pub boroughs: i64,
    pub submitted_at: Option<String>,
}

const BID_COLUMNS: &str = "b.id, b.call_id, b.lead_organisation_id, o.name AS lead_name, o.kind AS lead_kind, b.title, b.state, b.created_at, b.created_by, b.updated_at, b.submitted_at, b.submitted_by, b.decided_at, b.decided_by, b.feedback";

fn lead_of(kind: &str) -> Option<Lead> {
    match kind {
        "borough" => Some(Lead::Borough),
        "provider" => Some(Lead::VoluntarySector),
        _ => None,
    }
}

fn map_bid(r: AnyRow) -> sqlx::Result<BidRecord> {
    Ok(BidRecord {
        id: r.try_get("id")?,
        call_id: r.try_get("call_id")?,
        lead_organisation_id: r.try_get("lead_organisation_id")?,
        lead_name: r.try_get("lead_name")?,
        state: BidState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        bid: Bid {
            title: r.try_get("title")?,
            lead: lead_of(&r.try_get::<String, _>("lead_kind")?),
            partners: Vec::new(),
            boroughs: BTreeSet::new(),
            amounts: BTreeMap::new(),
            match_funding: Vec::new(),
            answers: BTreeMap::new(),
            outcomes: Vec::new(),
        },
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        updated_at: r.try_get("updated_at")?,
        submitted_at: r.try_get("submitted_at")?,
        submitted_by: r.try_get("submitted_by")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        feedback: r.try_get("feedback")?,
    })
}

/// Bids with their whole content, in id order: seven queries, whatever their number.
pub async fn bids_with_content(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> sqlx::Result<Vec<BidRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(ids.len(), 1);
    macro_rules! fetch {
        ($sql:expr) => {{
            let sql = $sql;
            let mut query = sqlx::query(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(&mut *conn).await?
        }};
    }
    let mut bids: Vec<BidRecord> = fetch!(format!(
        "SELECT {BID_COLUMNS} FROM bids b JOIN organisations o ON o.id = b.lead_organisation_id WHERE b.id IN ({list}) ORDER BY b.id"
    ))
    .into_iter()
    .map(map_bid)
    .collect::<sqlx::Result<_>>()?;
    let index: HashMap<i64, usize> = bids.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
    let at = |r: &AnyRow| -> sqlx::Result<usize> {
        let id: i64 = r.try_get("bid_id")?;
        index
            .get(&id)
            .copied()
            .ok_or_else(|| corrupt("a bid's row without its bid"))
    };
    for r in fetch!(format!(
        "SELECT bid_id, organisation_id, role FROM bid_partners WHERE bid_id IN ({list}) ORDER BY bid_id, position"
    )) {
        let role: String = r.try_get("role")?;
        let role: PartnerRole = json(&format!("\"{role}\""))?;
        let i = at(&r)?;
        bids[i].bid.partners.push(Partner {
            organisation_id: r.try_get("organisation_id")?,
            role,
        });
    }
    for r in fetch!(format!(
        "SELECT bid_id, area_code FROM bid_boroughs WHERE bid_id IN ({list})"
    )) {
        let i = at(&r)?;
        bids[i].bid.boroughs.insert(r.try_get("area_code")?);
    }
    for r in fetch!(format!(
        "SELECT bid_id, year, pence FROM bid_amounts WHERE bid_id IN ({list})"
    )) {
        let i = at(&r)?;
        bids[i].bid.amounts.insert(
            year(&r.try_get::<String, _>("year")?)?,
            Money::from_pence(r.try_get("pence")?),
        );
    }
    for r in fetch!(format!(
        "SELECT bid_id, contributor, year, cash_pence, in_kind_pence, in_kind_description FROM bid_match_funding WHERE bid_id IN ({list}) ORDER BY bid_id, position"
    )) {
        let i = at(&r)?;
        bids[i].bid.match_funding.push(MatchFunding {
            contributor: r.try_get("contributor")?,
            year: year(&r.try_get::<String, _>("year")?)?,
            cash: Money::from_pence(r.try_get("cash_pence")?),
            in_kind: Money::from_pence(r.try_get("in_kind_pence")?),
            in_kind_description: r.try_get("in_kind_description")?,
        });
    }
    for r in fetch!(format!(
        "SELECT bid_id, question_key, answer FROM bid_answers WHERE bid_id IN ({list})"
    )) {
        let i = at(&r)?;
        let answer: Answer = json(&r.try_get::<String, _>("answer")?)?;
        bids[i]
            .bid
            .answers
            .insert(r.try_get("question_key")?, answer);
    }
    for r in fetch!(format!(
        "SELECT id, bid_id, outcome, measure, baseline, target FROM bid_outcomes WHERE bid_id IN ({list}) ORDER BY bid_id, position"
    )) {
        let i = at(&r)?;
        bids[i].bid.outcomes.push(Outcome {
            key: Some(r.try_get("id")?),
            outcome: r.try_get("outcome")?,
            measure: r.try_get("measure")?,
            baseline: r.try_get("baseline")?,
            target: r.try_get("target")?,
        });
    }
    Ok(bids)
}

pub async fn bid(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<BidRecord>> {
    Ok(bids_with_content(conn, &[id]).await?.into_iter().next())
}

/// Which bids a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidsOf {
    /// Every bid of every call.
    All,
    /// Every bid of a call.
    Call(i64),
    /// The bids of a call that an organisation leads or partners.
    CallAndOrganisation(i64, i64),
    /// The bids of a call assigned to an assessor.
    CallAndAssessor(i64, i64),
    /// Every bid assigned to an assessor, in any call.
    Assessor(i64),
    /// Every bid an organisation leads or partners, in any call.
    Organisation(i64),
}

/// The `WHERE` of a list of bids, and its one or two parameters.
fn bids_filter(of: BidsOf) -> (String, i64, Option<i64>) {
    let party = "(b.lead_organisation_id = $2 OR b.id IN (SELECT bid_id FROM bid_partners WHERE organisation_id = $2))";
    let assigned = "b.id IN (SELECT bid_id FROM bid_assessors WHERE user_id = $2)";
    match of {
        BidsOf::All => ("$1 = $1".to_string(), 0, None),
        BidsOf::Call(c) => ("b.call_id = $1".to_string(), c, None),
        BidsOf::CallAndOrganisation(c, o) => (format!("b.call_id = $1 AND {party}"), c, Some(o)),
        BidsOf::CallAndAssessor(c, u) => (format!("b.call_id = $1 AND {assigned}"), c, Some(u)),
        BidsOf::Assessor(u) => (format!("$1 = $1 AND {assigned}"), 0, Some(u)),
        BidsOf::Organisation(o) => (format!("$1 = $1 AND {party}"), 0, Some(o)),
    }
}

/// Bids as a list shows them: one query, with the ask and the number of boroughs.
pub async fn bid_summaries(conn: &mut AnyConnection, of: BidsOf) -> sqlx::Result<Vec<BidSummary>> {
    bid_summaries_page(conn, of, i64::MAX, 0).await
}

/// One page of a list of bids (`limit` from `offset`, in call and id order): one query.
pub async fn bid_summaries_page(
    conn: &mut AnyConnection,
    of: BidsOf,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<BidSummary>> {
    let (filter, a, b) = bids_filter(of);
    let (limit_at, offset_at) = if b.is_some() { (3, 4) } else { (2, 3) };
    let sql = format!(
        "SELECT b.id, b.call_id, b.title, b.lead_organisation_id, o.name AS lead_name, b.state, b.submitted_at,
                CAST(COALESCE((SELECT SUM(pence) FROM bid_amounts WHERE bid_id = b.id), 0) AS BIGINT) AS ask,
                (SELECT COUNT(*) FROM bid_boroughs WHERE bid_id = b.id) AS boroughs
         FROM bids b JOIN organisations o ON o.id = b.lead_organisation_id
         WHERE {filter} ORDER BY b.call_id, b.id LIMIT ${limit_at} OFFSET ${offset_at}"
    );
    let mut q = sqlx::query(&sql).bind(a);
    if let Some(b) = b {
        q = q.bind(b);
    }
    q.bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(BidSummary {
                id: r.try_get("id")?,
                call_id: r.try_get("call_id")?,
                title: r.try_get("title")?,
                lead_organisation_id: r.try_get("lead_organisation_id")?,
                lead_name: r.try_get("lead_name")?,
                state: BidState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
                ask: Money::from_pence(r.try_get("ask")?),
                boroughs: r.try_get("boroughs")?,
                submitted_at: r.try_get("submitted_at")?,
            })
        })
        .collect()
}

/// How many bids of a list each call has: (call, count), one query.
pub async fn bid_counts(conn: &mut AnyConnection, of: BidsOf) -> sqlx::Result<Vec<(i64, i64)>> {
    let (filter, a, b) = bids_filter(of);
    let sql =
        format!("SELECT b.call_id, COUNT(*) AS n FROM bids b WHERE {filter} GROUP BY b.call_id");
    let mut q = sqlx::query(&sql).bind(a);
    if let Some(b) = b {
        q = q.bind(b);
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("call_id")?, r.try_get("n")?)))
        .collect()
}

/// Starts a bid (a draft with a title); its id.
pub async fn insert_bid(
    conn: &mut AnyConnection,
    call_id: i64,
    lead_organisation_id: i64,
    title: &str,
    now: &str,
    by: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO bids (call_id, lead_organisation_id, title, state, created_at, created_by, updated_at, feedback) VALUES ($1, $2, $3, 'draft', $4, $5, $4, '') RETURNING id")
        .bind(call_id)
        .bind(lead_organisation_id)
        .bind(title)
        .bind(now)
        .bind(by)
        .fetch_one(conn)
        .await
}

/// Replaces a bid's content. Outcomes keep their keys: a row with a key is updated in
/// place, one without is added, and a saved one no longer sent is removed.
pub async fn save_bid_content(
    conn: &mut AnyConnection,
    id: i64,
    bid: &Bid,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE bids SET title = $1, updated_at = $2 WHERE id = $3")
        .bind(&bid.title)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for table in [
        "bid_partners",
        "bid_boroughs",
        "bid_amounts",
        "bid_match_funding",
        "bid_answers",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE bid_id = $1"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    for (i, p) in bid.partners.iter().enumerate() {
        let role = to_json(&p.role)?.trim_matches('"').to_string();
        sqlx::query("INSERT INTO bid_partners (bid_id, organisation_id, role, position) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(p.organisation_id)
            .bind(role)
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
    }
    for code in &bid.boroughs {
        sqlx::query("INSERT INTO bid_boroughs (bid_id, area_code) VALUES ($1, $2)")
            .bind(id)
            .bind(code)
            .execute(&mut *conn)
            .await?;
    }
    for (y, m) in &bid.amounts {
        sqlx::query("INSERT INTO bid_amounts (bid_id, year, pence) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(y.to_string())
            .bind(m.pence())
            .execute(&mut *conn)
            .await?;
    }
    for (i, m) in bid.match_funding.iter().enumerate() {
        sqlx::query("INSERT INTO bid_match_funding (bid_id, position, contributor, year, cash_pence, in_kind_pence, in_kind_description) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(i as i64)
            .bind(&m.contributor)
            .bind(m.year.to_string())
            .bind(m.cash.pence())
            .bind(m.in_kind.pence())
            .bind(&m.in_kind_description)
            .execute(&mut *conn)
            .await?;
    }
    for (key, a) in &bid.answers {
        sqlx::query("INSERT INTO bid_answers (bid_id, question_key, answer) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(key)
            .bind(to_json(a)?)
            .execute(&mut *conn)
            .await?;
    }
    let kept: Vec<i64> = bid.outcomes.iter().filter_map(|o| o.key).collect();
    let saved: Vec<i64> = sqlx::query_scalar("SELECT id FROM bid_outcomes WHERE bid_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    for gone in saved.iter().filter(|k| !kept.contains(k)) {
        sqlx::query("DELETE FROM bid_outcomes WHERE id = $1")
            .bind(gone)
            .execute(&mut *conn)
            .await?;
    }
    for (i, o) in bid.outcomes.iter().enumerate() {
        match o.key.filter(|k| saved.contains(k)) {
            Some(key) => {
                sqlx::query("UPDATE bid_outcomes SET position = $1, outcome = $2, measure = $3, baseline = $4, target = $5 WHERE id = $6")
                    .bind(i as i64)
                    .bind(&o.outcome)
                    .bind(&o.measure)
                    .bind(&o.baseline)
                    .bind(&o.target)
                    .bind(key)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                sqlx::query("INSERT INTO bid_outcomes (bid_id, position, outcome, measure, baseline, target) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(i as i64)
                    .bind(&o.outcome)
                    .bind(&o.measure)
                    .bind(&o.baseline)
                    .bind(&o.target)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Moves a bid to `state`, noting who and when for a submission or a decision.
pub async fn set_bid_state(
    conn: &mut AnyConnection,
    id: i64,
    state: BidState,
    now: &str,
    by: &str,
    feedback: Option<&str>,
) -> sqlx::Result<()> {
    let column = match state {
        BidState::Submitted => Some(("submitted_at", "submitted_by")),
        BidState::Awarded | BidState::Declined => Some(("decided_at", "decided_by")),
        BidState::Draft | BidState::Withdrawn => None,
    };
    match column {
        Some((at, who)) => {
            sqlx::query(&format!(
                "UPDATE bids SET state = $1, {at} = $2, {who} = $3, updated_at = $2 WHERE id = $4"
            ))
            .bind(state.as_str())
            .bind(now)
            .bind(by)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("UPDATE bids SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(state.as_str())
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    if let Some(f) = feedback {
        sqlx::query("UPDATE bids SET feedback = $1 WHERE id = $2")
            .bind(f)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
