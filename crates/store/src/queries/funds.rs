//! Funds, funding periods and their budgets, indicator data, allocation scenarios, decisions
//! and the decided allocations (each borough's envelope).

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::flag;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Fund {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Rules every funded activity must keep, in the fund's words, one per entry.
    pub eligibility: Vec<String>,
    /// The same rules with what each refuses, for checking lines.
    #[serde(skip)]
    pub eligibility_rules: Vec<lcpf_domain::proposal::EligibilityRule>,
    /// The most lines a borough's proposal may have, when the fund sets a cap.
    pub max_lines_per_proposal: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FundingPeriod {
    pub id: i64,
    pub fund_id: i64,
    /// The round this period belongs to, e.g. "2017/18–2020/21".
    pub round_name: String,
    pub first_year: String,
    pub last_year: String,
    pub plan_id: Option<i64>,
    /// The proposals window: the first and last London days boroughs may start and submit
    /// proposals (YYYY-MM-DD); no opening day: not open for proposals.
    pub proposals_open_on: Option<String>,
    pub proposals_close_on: Option<String>,
}

impl FundingPeriod {
    /// The proposals window as the domain reads it (a stored day that is not a date is
    /// treated as unset).
    pub fn proposals_window(&self) -> lcpf_domain::proposal::window::ProposalsWindow {
        let day = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        };
        lcpf_domain::proposal::window::ProposalsWindow {
            opens_on: day(&self.proposals_open_on),
            closes_on: day(&self.proposals_close_on),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodBudget {
    pub period_id: i64,
    pub year: String,
    /// The whole pot for the year, in pence.
    pub pot_pence: i64,
    /// The Co-Commissioning Fund's top-slice, in basis points (3000 = 30%).
    pub co_commissioning_bp: i64,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scenario {
    pub id: i64,
    pub period_id: i64,
    pub year: String,
    pub name: String,
    /// Computed from illustrative data rather than the fund's own record.
    pub illustrative: bool,
    /// The rules and inputs, as JSON.
    pub rules_json: String,
    pub pot_pence: i64,
    pub top_slice_pence: i64,
    pub extra_cost_pence: i64,
    pub total_pence: i64,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScenarioAllocation {
    pub area_code: String,
    pub area_name: String,
    pub amount_pence: i64,
    pub formula_pence: i64,
    pub formula_share_millionths: i64,
    pub previous_pence: Option<i64>,
    pub bound_by: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub id: i64,
    pub period_id: i64,
    pub year: String,
    pub scenario_id: Option<i64>,
    /// e.g. PCD 79.
    pub reference: String,
    pub decided_on: String,
    pub decision_maker: String,
    pub summary: String,
    pub recorded_by: String,
    pub recorded_at: String,
    /// The total the decision's own table states, in pence, when it states one.
    pub stated_total_pence: Option<i64>,
}

/// An allocation added or corrected after its year was decided.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Amendment {
    pub id: i64,
    pub period_id: i64,
    pub year: String,
    pub area_code: String,
    pub area_name: String,
    pub decision_id: i64,
    /// None when the borough had no allocation that year.
    pub before_pence: Option<i64>,
    pub after_pence: i64,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Allocation {
    pub period_id: i64,
    pub year: String,
    pub area_code: String,
    pub area_name: String,
    pub amount_pence: i64,
    pub decision_id: i64,
    pub reference: String,
    /// Not from the decision's source (demo data): labelled wherever shown.
    pub illustrative: bool,
}

fn lines(text: String) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn list_funds(conn: &mut AnyConnection) -> sqlx::Result<Vec<Fund>> {
    let rows = sqlx::query(
        "SELECT id, name, description, eligibility, eligibility_rules, max_lines_per_proposal FROM funds ORDER BY name",
    )
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let words = lines(r.try_get("eligibility")?);
            let stored: Option<String> = r.try_get("eligibility_rules")?;
            let eligibility_rules = match stored {
                Some(json) => serde_json::from_str(&json).map_err(|e| {
                    sqlx::Error::Decode(
                        format!("a fund's eligibility rules are not valid: {e}").into(),
                    )
                })?,
                None => words
                    .iter()
                    .map(|w| lcpf_domain::proposal::EligibilityRule::statement(w))
                    .collect(),
            };
            Ok(Fund {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                eligibility: words,
                eligibility_rules,
                max_lines_per_proposal: r.try_get("max_lines_per_proposal")?,
            })
        })
        .collect()
}

pub async fn insert_fund(
    conn: &mut AnyConnection,
    name: &str,
    description: &str,
    eligibility: &[lcpf_domain::proposal::EligibilityRule],
    now: &str,
) -> sqlx::Result<i64> {
    let words: Vec<&str> = eligibility.iter().map(|r| r.words.as_str()).collect();
    let rules = serde_json::to_string(eligibility)
        .map_err(|e| sqlx::Error::Encode(e.to_string().into()))?;
    sqlx::query_scalar("INSERT INTO funds (name, description, eligibility, eligibility_rules, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(name)
        .bind(description)
        .bind(words.join("\n"))
        .bind(rules)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// Sets a fund's cap on lines per proposal (`None`: no cap).
pub async fn set_max_lines(
    conn: &mut AnyConnection,
    fund_id: i64,
    max: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE funds SET max_lines_per_proposal = $1 WHERE id = $2")
        .bind(max)
        .bind(fund_id)
        .execute(conn)
        .await?;
    Ok(())
}

fn map_period(r: AnyRow) -> sqlx::Result<FundingPeriod> {
    Ok(FundingPeriod {
        id: r.try_get("id")?,
        fund_id: r.try_get("fund_id")?,
        round_name: r.try_get("round_name")?,
        first_year: r.try_get("first_year")?,
        last_year: r.try_get("last_year")?,
        plan_id: r.try_get("plan_id")?,
        proposals_open_on: r.try_get("proposals_open_on")?,
        proposals_close_on: r.try_get("proposals_close_on")?,
    })
}

const PERIOD_COLUMNS: &str =
    "id, fund_id, round_name, first_year, last_year, plan_id, proposals_open_on, proposals_close_on";

/// Sets a period's proposals window (days as YYYY-MM-DD; none to unset).
pub async fn set_proposals_window(
    conn: &mut AnyConnection,
    period_id: i64,
    opens_on: Option<&str>,
    closes_on: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE funding_periods SET proposals_open_on = $1, proposals_close_on = $2 WHERE id = $3",
    )
    .bind(opens_on)
    .bind(closes_on)
    .bind(period_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn periods(conn: &mut AnyConnection, fund_id: i64) -> sqlx::Result<Vec<FundingPeriod>> {
    let rows = sqlx::query(&format!(
        "SELECT {PERIOD_COLUMNS} FROM funding_periods WHERE fund_id = $1 ORDER BY first_year"
    ))
    .bind(fund_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_period).collect()
}

/// The period of a fund whose years hold `year` (a call's last year), if any.
pub async fn period_holding(
    conn: &mut AnyConnection,
    fund_id: i64,
    year: lcpf_domain::FinancialYear,
) -> sqlx::Result<Option<FundingPeriod>> {
    let year = year.to_string();
    sqlx::query(&format!(
        "SELECT {PERIOD_COLUMNS} FROM funding_periods WHERE fund_id = $1 AND first_year <= $2 AND last_year >= $3 ORDER BY first_year LIMIT 1"
    ))
    .bind(fund_id)
    .bind(&year)
    .bind(&year)
    .fetch_optional(conn)
    .await?
    .map(map_period)
    .transpose()
}

/// A funding period with its fund's name, and whether it is closed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodOfFund {
    pub period: FundingPeriod,
    pub fund_name: String,
    pub closed: bool,
}

/// Every funding period with its fund's name and whether it is closed, the newest first (to
/// choose one from). One query.
pub async fn all_periods(conn: &mut AnyConnection) -> sqlx::Result<Vec<PeriodOfFund>> {
    let columns = PERIOD_COLUMNS
        .split(',')
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {columns}, f.name AS fund_name, CASE WHEN c.period_id IS NULL THEN 0 ELSE 1 END AS closed
         FROM funding_periods p JOIN funds f ON f.id = p.fund_id
         LEFT JOIN period_closeouts c ON c.period_id = p.id
         ORDER BY p.first_year DESC, f.name"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let fund_name: String = r.try_get("fund_name")?;
            let closed: i64 = r.try_get("closed")?;
            Ok(PeriodOfFund {
                period: map_period(r)?,
                fund_name,
                closed: closed != 0,
            })
        })
        .collect()
}

/// Takes a period's row lock for the rest of the transaction (close-out, and every change to
/// the period's money, one at a time).
pub async fn lock_period(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE funding_periods SET id = id WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn period(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<FundingPeriod>> {
    let row = sqlx::query(&format!(
        "SELECT {PERIOD_COLUMNS} FROM funding_periods WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(map_period).transpose()
}

pub async fn insert_period(
    conn: &mut AnyConnection,
    fund_id: i64,
    round_name: &str,
    first: &str,
    last: &str,
    plan_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO funding_periods (fund_id, round_name, first_year, last_year, plan_id) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(fund_id)
        .bind(round_name)
        .bind(first)
        .bind(last)
        .bind(plan_id)
        .fetch_one(conn)
        .await
}

pub async fn budgets(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<Vec<PeriodBudget>> {
    let rows = sqlx::query("SELECT period_id, year, pot_pence, co_commissioning_bp, note FROM period_budgets WHERE period_id = $1 ORDER BY year")
        .bind(period_id)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(PeriodBudget {
                period_id: r.try_get("period_id")?,
                year: r.try_get("year")?,
                pot_pence: r.try_get("pot_pence")?,
                co_commissioning_bp: r.try_get("co_commissioning_bp")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub async fn upsert_budget(conn: &mut AnyConnection, b: &PeriodBudget) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM period_budgets WHERE period_id = $1 AND year = $2")
        .bind(b.period_id)
        .bind(&b.year)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO period_budgets (period_id, year, pot_pence, co_commissioning_bp, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(b.period_id)
        .bind(&b.year)
        .bind(b.pot_pence)
        .bind(b.co_commissioning_bp)
        .bind(&b.note)
        .execute(conn)
        .await?;
    Ok(())
}

/// The names of the indicator datasets held, e.g. "Recorded crime 2016/17".
pub async fn datasets(conn: &mut AnyConnection) -> sqlx::Result<Vec<(String, String)>> {
    let rows =
        sqlx::query("SELECT DISTINCT dataset, source FROM indicator_values ORDER BY dataset")
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("dataset")?, r.try_get("source")?)))
        .collect()
}

pub async fn dataset_values(
    conn: &mut AnyConnection,
    dataset: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT area_code, value_millionths FROM indicator_values WHERE dataset = $1 ORDER BY area_code")
        .bind(dataset)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("area_code")?, r.try_get("value_millionths")?)))
        .collect()
}

pub async fn insert_indicator_value(
    conn: &mut AnyConnection,
    dataset: &str,
    area_code: &str,
    millionths: i64,
    source: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO indicator_values (dataset, area_code, value_millionths, source) VALUES ($1, $2, $3, $4)")
        .bind(dataset)
        .bind(area_code)
        .bind(millionths)
        .bind(source)
        .execute(conn)
        .await?;
    Ok(())
}

const SCENARIO_COLUMNS: &str = "id, period_id, year, name, illustrative, rules_json, pot_pence, top_slice_pence, extra_cost_pence, total_pence, created_by, created_at";

fn map_scenario(r: AnyRow) -> sqlx::Result<Scenario> {
    Ok(Scenario {
        id: r.try_get("id")?,
        period_id: r.try_get("period_id")?,
        year: r.try_get("year")?,
        name: r.try_get("name")?,
        illustrative: flag(&r, "illustrative")?,
        rules_json: r.try_get("rules_json")?,
        pot_pence: r.try_get("pot_pence")?,
        top_slice_pence: r.try_get("top_slice_pence")?,
        extra_cost_pence: r.try_get("extra_cost_pence")?,
        total_pence: r.try_get("total_pence")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn scenarios(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<Vec<Scenario>> {
    let rows = sqlx::query(&format!(
        "SELECT {SCENARIO_COLUMNS} FROM scenarios WHERE period_id = $1 ORDER BY year, id"
    ))
    .bind(period_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_scenario).collect()
}

pub async fn scenario(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Scenario>> {
    let row = sqlx::query(&format!(
        "SELECT {SCENARIO_COLUMNS} FROM scenarios WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(map_scenario).transpose()
}

pub async fn insert_scenario(conn: &mut AnyConnection, s: &Scenario) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO scenarios (period_id, year, name, illustrative, rules_json, pot_pence, top_slice_pence, extra_cost_pence, total_pence, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(s.period_id)
    .bind(&s.year)
    .bind(&s.name)
    .bind(i64::from(s.illustrative))
    .bind(&s.rules_json)
    .bind(s.pot_pence)
    .bind(s.top_slice_pence)
    .bind(s.extra_cost_pence)
    .bind(s.total_pence)
    .bind(&s.created_by)
    .bind(&s.created_at)
    .fetch_one(conn)
    .await
}

pub async fn insert_scenario_allocation(
    conn: &mut AnyConnection,
    scenario_id: i64,
    a: &ScenarioAllocation,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scenario_allocations (scenario_id, area_code, amount_pence, formula_pence, formula_share_millionths, previous_pence, bound_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(scenario_id)
    .bind(&a.area_code)
    .bind(a.amount_pence)
    .bind(a.formula_pence)
    .bind(a.formula_share_millionths)
    .bind(a.previous_pence)
    .bind(&a.bound_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn scenario_allocations(
    conn: &mut AnyConnection,
    scenario_id: i64,
) -> sqlx::Result<Vec<ScenarioAllocation>> {
    let rows = sqlx::query(
        "SELECT s.area_code, a.name AS area_name, s.amount_pence, s.formula_pence, s.formula_share_millionths, s.previous_pence, s.bound_by \
         FROM scenario_allocations s JOIN areas a ON a.ons_code = s.area_code WHERE s.scenario_id = $1 ORDER BY a.name",
    )
    .bind(scenario_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ScenarioAllocation {
                area_code: r.try_get("area_code")?,
                area_name: r.try_get("area_name")?,
                amount_pence: r.try_get("amount_pence")?,
                formula_pence: r.try_get("formula_pence")?,
                formula_share_millionths: r.try_get("formula_share_millionths")?,
                previous_pence: r.try_get("previous_pence")?,
                bound_by: r.try_get("bound_by")?,
            })
        })
        .collect()
}

const DECISION_COLUMNS: &str = "id, period_id, year, scenario_id, reference, decided_on, decision_maker, summary, recorded_by, recorded_at, stated_total_pence";

fn map_decision(r: AnyRow) -> sqlx::Result<Decision> {
    Ok(Decision {
        id: r.try_get("id")?,
        period_id: r.try_get("period_id")?,
        year: r.try_get("year")?,
        scenario_id: r.try_get("scenario_id")?,
        reference: r.try_get("reference")?,
        decided_on: r.try_get("decided_on")?,
        decision_maker: r.try_get("decision_maker")?,
        summary: r.try_get("summary")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_at: r.try_get("recorded_at")?,
        stated_total_pence: r.try_get("stated_total_pence")?,
    })
}

pub async fn decisions(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<Vec<Decision>> {
    let rows = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE period_id = $1 ORDER BY year"
    ))
    .bind(period_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_decision).collect()
}

pub async fn decision_for(
    conn: &mut AnyConnection,
    period_id: i64,
    year: &str,
) -> sqlx::Result<Option<Decision>> {
    let row = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE period_id = $1 AND year = $2"
    ))
    .bind(period_id)
    .bind(year)
    .fetch_optional(conn)
    .await?;
    row.map(map_decision).transpose()
}

pub async fn insert_decision(conn: &mut AnyConnection, d: &Decision) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO decisions (period_id, year, scenario_id, reference, decided_on, decision_maker, summary, recorded_by, recorded_at, stated_total_pence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(d.period_id)
    .bind(&d.year)
    .bind(d.scenario_id)
    .bind(&d.reference)
    .bind(&d.decided_on)
    .bind(&d.decision_maker)
    .bind(&d.summary)
    .bind(&d.recorded_by)
    .bind(&d.recorded_at)
    .bind(d.stated_total_pence)
    .fetch_one(conn)
    .await
}

pub async fn insert_allocation(
    conn: &mut AnyConnection,
    period_id: i64,
    year: &str,
    area_code: &str,
    amount_pence: i64,
    decision_id: i64,
    illustrative: bool,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO allocations (period_id, year, area_code, amount_pence, decision_id, illustrative) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(period_id)
        .bind(year)
        .bind(area_code)
        .bind(amount_pence)
        .bind(decision_id)
        .bind(i64::from(illustrative))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets one area's allocation for a decided year (an amendment): changed if it has one,
/// added under the year's decision if not.
pub async fn set_allocation(
    conn: &mut AnyConnection,
    period_id: i64,
    year: &str,
    area_code: &str,
    amount_pence: i64,
    decision_id: i64,
) -> sqlx::Result<()> {
    // An amended figure is the funder's own: no longer illustrative.
    let changed = sqlx::query("UPDATE allocations SET amount_pence = $1, illustrative = 0 WHERE period_id = $2 AND year = $3 AND area_code = $4")
        .bind(amount_pence)
        .bind(period_id)
        .bind(year)
        .bind(area_code)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if changed == 0 {
        insert_allocation(
            conn,
            period_id,
            year,
            area_code,
            amount_pence,
            decision_id,
            false,
        )
        .await?;
    }
    Ok(())
}

pub async fn insert_amendment(conn: &mut AnyConnection, a: &Amendment) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO allocation_amendments (period_id, year, area_code, decision_id, before_pence, after_pence, reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(a.period_id)
        .bind(&a.year)
        .bind(&a.area_code)
        .bind(a.decision_id)
        .bind(a.before_pence)
        .bind(a.after_pence)
        .bind(&a.reason)
        .bind(&a.recorded_by)
        .bind(&a.recorded_at)
        .fetch_one(conn)
        .await
}

/// A period's amendments, oldest first.
pub async fn amendments(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<Vec<Amendment>> {
    sqlx::query("SELECT m.id, m.period_id, m.year, m.area_code, a.name AS area_name, m.decision_id, m.before_pence, m.after_pence, m.reason, m.recorded_by, m.recorded_at FROM allocation_amendments m JOIN areas a ON a.ons_code = m.area_code WHERE m.period_id = $1 ORDER BY m.year, m.id")
        .bind(period_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Amendment {
                id: r.try_get("id")?,
                period_id: r.try_get("period_id")?,
                year: r.try_get("year")?,
                area_code: r.try_get("area_code")?,
                area_name: r.try_get("area_name")?,
                decision_id: r.try_get("decision_id")?,
                before_pence: r.try_get("before_pence")?,
                after_pence: r.try_get("after_pence")?,
                reason: r.try_get("reason")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        })
        .collect()
}

const ALLOCATION_SELECT: &str = "SELECT l.period_id, l.year, l.area_code, a.name AS area_name, l.amount_pence, l.decision_id, d.reference, l.illustrative \
     FROM allocations l JOIN areas a ON a.ons_code = l.area_code JOIN decisions d ON d.id = l.decision_id";

fn map_allocation(r: AnyRow) -> sqlx::Result<Allocation> {
    Ok(Allocation {
        period_id: r.try_get("period_id")?,
        year: r.try_get("year")?,
        area_code: r.try_get("area_code")?,
        area_name: r.try_get("area_name")?,
        amount_pence: r.try_get("amount_pence")?,
        decision_id: r.try_get("decision_id")?,
        reference: r.try_get("reference")?,
        illustrative: flag(&r, "illustrative")?,
    })
}

pub async fn allocations_for_period(
    conn: &mut AnyConnection,
    period_id: i64,
) -> sqlx::Result<Vec<Allocation>> {
    let rows = sqlx::query(&format!(
        "{ALLOCATION_SELECT} WHERE l.period_id = $1 ORDER BY l.year, a.name"
    ))
    .bind(period_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_allocation).collect()
}

/// Every decided allocation of one area, oldest first: its allocations over time.
pub async fn allocations_for_area(
    conn: &mut AnyConnection,
    area_code: &str,
) -> sqlx::Result<Vec<Allocation>> {
    let rows = sqlx::query(&format!(
        "{ALLOCATION_SELECT} WHERE l.area_code = $1 ORDER BY l.year"
    ))
    .bind(area_code)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_allocation).collect()
}

/// Decided allocations of one fund in one financial year, by area: what a period's first
/// year is compared with.
pub async fn allocations_in_fund_year(
    conn: &mut AnyConnection,
    fund_id: i64,
    year: &str,
) -> sqlx::Result<Vec<Allocation>> {
    let rows = sqlx::query(&format!(
        "{ALLOCATION_SELECT} JOIN funding_periods fp ON fp.id = l.period_id WHERE fp.fund_id = $1 AND l.year = $2 ORDER BY a.name"
    ))
    .bind(fund_id)
    .bind(year)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_allocation).collect()
}

/// The financial years that have decided allocations, oldest first.
pub async fn decided_years(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT year FROM allocations ORDER BY year")
        .fetch_all(conn)
        .await
}

/// Decided allocations in one financial year, by area (a round's "previous allocation").
pub async fn allocations_in_year(
    conn: &mut AnyConnection,
    year: &str,
) -> sqlx::Result<Vec<Allocation>> {
    let rows = sqlx::query(&format!(
        "{ALLOCATION_SELECT} WHERE l.year = $1 ORDER BY a.name"
    ))
    .bind(year)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map_allocation).collect()
}

/// A named stream of money besides direct borough funding and co-commissioning, e.g. DIP
/// money passported to boroughs, or drug testing on arrest funded to the police.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stream {
    pub id: i64,
    pub period_id: i64,
    pub year: String,
    pub name: String,
    pub amount_pence: i64,
    /// Who receives it, e.g. "the 32 boroughs" or "Metropolitan Police Service".
    pub recipient: String,
    pub note: String,
}

pub async fn streams(conn: &mut AnyConnection, period_id: i64) -> sqlx::Result<Vec<Stream>> {
    let rows = sqlx::query("SELECT id, period_id, year, name, amount_pence, recipient, note FROM period_streams WHERE period_id = $1 ORDER BY year, name")
        .bind(period_id)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Stream {
                id: r.try_get("id")?,
                period_id: r.try_get("period_id")?,
                year: r.try_get("year")?,
                name: r.try_get("name")?,
                amount_pence: r.try_get("amount_pence")?,
                recipient: r.try_get("recipient")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub async fn insert_stream(conn: &mut AnyConnection, s: &Stream) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO period_streams (period_id, year, name, amount_pence, recipient, note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(s.period_id)
        .bind(&s.year)
        .bind(&s.name)
        .bind(s.amount_pence)
        .bind(&s.recipient)
        .bind(&s.note)
        .fetch_one(conn)
        .await
}
