//! Funds, funding periods, allocation scenarios and decisions.
//!
//! A scenario is a set of inputs (the year's pot, the co-commissioning top-slice, indicator
//! datasets with weights, the previous year's decided allocations, floor, ceiling, phasing)
//! run through the allocation engine and stored with its results. Funder staff build and
//! compare scenarios; a funder admin decides one, which records the decision's reference,
//! date, maker and summary and locks the allocations: they become each borough's envelope
//! for that year. A year, once decided, cannot be decided again.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lcpf_domain::allocation::{
    allocate, AllocationArea, AllocationInput, AllocationRules, FloorMode, Indicator,
    IndicatorValue,
};
use lcpf_domain::field::required_text;
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod as Period, Money, Percentage};
use lcpf_store::queries::funds::{
    self as q, Allocation, Decision, Fund, FundingPeriod, PeriodBudget, Scenario,
    ScenarioAllocation,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{authorise, may, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::exports::{self, Cell};
use crate::{Actor, App, AppError};

/// A new scenario as entered. Percentages and money are text, parsed here so every problem
/// can be reported against its field.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct ScenarioInput {
    pub name: String,
    /// The financial year allocated, e.g. 2017/18 (within the period).
    pub year: String,
    /// Defaults to the year's budgeted pot.
    #[serde(default)]
    pub pot: String,
    /// Defaults to the year's co-commissioning percentage.
    #[serde(default)]
    pub top_slice: String,
    /// Indicator datasets and their weights (percentages adding to 100).
    pub indicators: Vec<ScenarioIndicator>,
    /// Use the decided allocations of this year as each borough's previous allocation.
    #[serde(default)]
    pub previous_year: String,
    #[serde(default)]
    pub floor: String,
    /// budget-neutral or funded.
    #[serde(default)]
    pub floor_mode: String,
    #[serde(default)]
    pub ceiling: String,
    #[serde(default)]
    pub uplift_phase: String,
    #[serde(default)]
    pub illustrative: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct ScenarioIndicator {
    pub dataset: String,
    pub weight: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct DecisionInput {
    /// The decision's reference, e.g. PCD 79.
    pub reference: String,
    /// The date it was decided, YYYY-MM-DD.
    pub decided_on: String,
    /// Who decided, e.g. Deputy Mayor for Policing and Crime.
    pub decision_maker: String,
    pub summary: String,
}

/// Everything on a funding period's page.
pub struct PeriodView {
    pub fund: Fund,
    pub period: FundingPeriod,
    pub budgets: Vec<PeriodBudget>,
    /// Only for those who may model allocations.
    pub scenarios: Vec<Scenario>,
    pub decisions: Vec<Decision>,
    pub allocations: Vec<Allocation>,
}

/// Scenarios side by side: each area's amount under each, and the totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comparison {
    pub scenarios: Vec<Scenario>,
    pub rows: Vec<ComparisonRow>,
    pub totals: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComparisonRow {
    pub area_code: String,
    pub area_name: String,
    /// Pence, one per scenario, in the order of `scenarios`.
    pub amounts: Vec<i64>,
    /// Last scenario minus first, in pence.
    pub difference: i64,
}

fn percentage(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Percentage> {
    match text.trim() {
        "" => None,
        t => errors.check(field, Percentage::parse(t)),
    }
}

impl App {
    pub async fn list_funds(&self, actor: &Actor) -> AppResult<Vec<Fund>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::list_funds(&mut conn).await?)
    }

    /// A fund and its funding periods, each with its budgets.
    pub async fn fund(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(Fund, Vec<(FundingPeriod, Vec<PeriodBudget>)>)> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let fund = q::list_funds(&mut conn)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| AppError::NotFound("The fund".into()))?;
        let mut periods = Vec::new();
        for p in q::periods(&mut conn, id).await? {
            let budgets = q::budgets(&mut conn, p.id).await?;
            periods.push((p, budgets));
        }
        Ok((fund, periods))
    }

    pub async fn period(&self, actor: &Actor, id: i64) -> AppResult<PeriodView> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let fund = q::list_funds(&mut conn)
            .await?
            .into_iter()
            .find(|f| f.id == period.fund_id)
            .ok_or_else(|| AppError::NotFound("The fund".into()))?;
        let scenarios = if may(actor, Permission::ModelAllocations) {
            q::scenarios(&mut conn, id).await?
        } else {
            Vec::new()
        };
        Ok(PeriodView {
            budgets: q::budgets(&mut conn, id).await?,
            decisions: q::decisions(&mut conn, id).await?,
            allocations: q::allocations_for_period(&mut conn, id).await?,
            scenarios,
            fund,
            period,
        })
    }

    /// Indicator datasets held (name, source), for choosing a scenario's inputs.
    pub async fn indicator_datasets(&self, actor: &Actor) -> AppResult<Vec<(String, String)>> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::datasets(&mut conn).await?)
    }

    /// Builds a scenario from its inputs, runs the allocation engine and stores the result.
    pub async fn create_scenario(
        &self,
        actor: &Actor,
        period_id: i64,
        input: &ScenarioInput,
    ) -> AppResult<Scenario> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut tx = self.db().begin().await?;
        let period = q::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let span = span_of(&period)?;
        let budgets = q::budgets(&mut tx, period_id).await?;

        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            required_text(&input.name, "a name for the scenario", 100),
        );
        let year = match FinancialYear::parse(&input.year) {
            Ok(y) if span.contains(y) => Some(y),
            Ok(y) => {
                errors.add(
                    "year",
                    format!("{y} is outside this funding period ({span})"),
                );
                None
            }
            Err(e) => {
                errors.add("year", e.to_string());
                None
            }
        };
        let budget = year.and_then(|y| budgets.iter().find(|b| b.year == y.to_string()));
        let pot = match input.pot.trim() {
            "" => match budget {
                Some(b) => Some(Money::from_pence(b.pot_pence)),
                None => {
                    errors.add("pot", "Enter the pot: this year has no budget set");
                    None
                }
            },
            t => errors.check("pot", Money::parse(t)),
        };
        let top_slice = match input.top_slice.trim() {
            "" => budget
                .map(|b| Percentage::from_basis_points(b.co_commissioning_bp as u32))
                .filter(|p| p.basis_points() > 0),
            t => errors.check("top_slice", Percentage::parse(t)),
        };
        let floor = percentage(&mut errors, "floor", &input.floor);
        let ceiling = percentage(&mut errors, "ceiling", &input.ceiling);
        let uplift_phase = percentage(&mut errors, "uplift_phase", &input.uplift_phase);
        let floor_mode = match input.floor_mode.trim() {
            "" => FloorMode::BudgetNeutral,
            t => errors
                .check("floor_mode", FloorMode::parse(t))
                .unwrap_or_default(),
        };
        let chosen: Vec<&ScenarioIndicator> = input
            .indicators
            .iter()
            .filter(|i| !i.dataset.trim().is_empty())
            .collect();
        if chosen.is_empty() {
            errors.add(
                "indicators[0].dataset",
                "Choose at least one indicator dataset",
            );
        }
        let mut indicators = Vec::new();
        let mut columns: Vec<BTreeMap<String, IndicatorValue>> = Vec::new();
        for (i, ind) in chosen.iter().enumerate() {
            let weight = match ind.weight.trim() {
                "" if chosen.len() == 1 => Some(Percentage::HUNDRED),
                t => errors.check(&format!("indicators[{i}].weight"), Percentage::parse(t)),
            };
            let values = q::dataset_values(&mut tx, ind.dataset.trim()).await?;
            if values.is_empty() {
                errors.add(
                    &format!("indicators[{i}].dataset"),
                    format!(
                        "There is no indicator dataset called “{}”",
                        ind.dataset.trim()
                    ),
                );
            }
            if let Some(weight) = weight {
                indicators.push(Indicator {
                    name: ind.dataset.trim().to_string(),
                    weight,
                });
            }
            columns.push(
                values
                    .into_iter()
                    .map(|(code, v)| (code, IndicatorValue::from_millionths(v.max(0) as u64)))
                    .collect(),
            );
        }
        let previous: Option<BTreeMap<String, Money>> = match input.previous_year.trim() {
            "" => None,
            t => match FinancialYear::parse(t) {
                Ok(y) => {
                    let rows = q::allocations_in_year(&mut tx, &y.to_string()).await?;
                    if rows.is_empty() {
                        errors.add(
                            "previous_year",
                            format!("No allocations have been decided for {y}"),
                        );
                    }
                    Some(
                        rows.into_iter()
                            .map(|a| (a.area_code, Money::from_pence(a.amount_pence)))
                            .collect(),
                    )
                }
                Err(e) => {
                    errors.add("previous_year", e.to_string());
                    None
                }
            },
        };
        if previous.is_none() && (floor.is_some() || ceiling.is_some() || uplift_phase.is_some()) {
            errors.add("previous_year", "A floor, ceiling or phasing compares with last year's allocations: choose the previous year");
        }
        errors.into_result()?;
        let (Some(name), Some(year), Some(pot)) = (name, year, pot) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated scenario input is incomplete"
            )));
        };

        // The areas are the LCPF boroughs that every chosen dataset covers.
        let codes: Vec<String> = columns[0]
            .keys()
            .filter(|c| columns.iter().all(|col| col.contains_key(*c)))
            .cloned()
            .collect();
        let engine_input = AllocationInput {
            pot,
            areas: codes
                .iter()
                .map(|code| AllocationArea {
                    code: code.clone(),
                    previous: previous.as_ref().and_then(|p| p.get(code).copied()),
                    indicators: columns.iter().map(|c| c[code]).collect(),
                })
                .collect(),
            rules: AllocationRules {
                indicators,
                top_slice,
                uplift_phase,
                floor,
                floor_mode,
                ceiling,
            },
        };
        let outcome = allocate(&engine_input)
            .map_err(|e| AppError::invalid("rules", format!("These rules cannot be met: {e}")))?;
        let rules_json =
            serde_json::json!({ "input": input, "rules": engine_input.rules }).to_string();
        let mut scenario = Scenario {
            id: 0,
            period_id,
            year: year.to_string(),
            name,
            illustrative: input.illustrative,
            rules_json,
            pot_pence: outcome.pot.pence(),
            top_slice_pence: outcome.top_slice.pence(),
            extra_cost_pence: outcome.extra_cost.pence(),
            total_pence: outcome.total.pence(),
            created_by: actor.label(),
            created_at: lcpf_store::now(),
        };
        scenario.id = q::insert_scenario(&mut tx, &scenario).await.map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid(
                    "name",
                    format!(
                        "This period already has a scenario called “{}”",
                        scenario.name
                    ),
                )
            } else {
                e.into()
            }
        })?;
        for a in &outcome.areas {
            q::insert_scenario_allocation(
                &mut tx,
                scenario.id,
                &ScenarioAllocation {
                    area_code: a.code.clone(),
                    area_name: String::new(),
                    amount_pence: a.amount.pence(),
                    formula_pence: a.formula_amount.pence(),
                    formula_share_millionths: a.formula_share_millionths as i64,
                    previous_pence: a.previous.map(Money::pence),
                    bound_by: a.bound_by.label().to_string(),
                },
            )
            .await?;
        }
        record::<(), Scenario>(
            &mut tx,
            actor,
            Change {
                action: "scenario.create",
                entity_type: "scenario",
                entity_id: scenario.id.to_string(),
                summary: format!(
                    "scenario “{}” for {} allocates {}",
                    scenario.name, scenario.year, outcome.total
                ),
                before: None,
                after: Some(&scenario),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(scenario)
    }

    pub async fn scenario(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(Scenario, Vec<ScenarioAllocation>)> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut conn = self.db().pool().acquire().await?;
        let s = q::scenario(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The scenario".into()))?;
        let rows = q::scenario_allocations(&mut conn, id).await?;
        Ok((s, rows))
    }

    /// Two or more scenarios side by side.
    pub async fn compare_scenarios(&self, actor: &Actor, ids: &[i64]) -> AppResult<Comparison> {
        authorise(actor, Permission::ModelAllocations)?;
        if ids.len() < 2 {
            return Err(AppError::invalid(
                "scenario",
                "Choose at least two scenarios to compare",
            ));
        }
        let mut scenarios = Vec::new();
        let mut by_area: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
        for (k, id) in ids.iter().enumerate() {
            let (s, rows) = self.scenario(actor, *id).await?;
            for r in rows {
                by_area
                    .entry((r.area_name, r.area_code))
                    .or_insert_with(|| vec![0; ids.len()])[k] = r.amount_pence;
            }
            scenarios.push(s);
        }
        let rows: Vec<ComparisonRow> = by_area
            .into_iter()
            .map(|((area_name, area_code), amounts)| ComparisonRow {
                difference: amounts[amounts.len() - 1] - amounts[0],
                area_code,
                area_name,
                amounts,
            })
            .collect();
        let totals = scenarios.iter().map(|s| s.total_pence).collect();
        Ok(Comparison {
            scenarios,
            rows,
            totals,
        })
    }

    /// Decides a scenario: records the decision and locks its allocations as the envelopes.
    pub async fn decide_scenario(
        &self,
        actor: &Actor,
        scenario_id: i64,
        input: &DecisionInput,
    ) -> AppResult<Decision> {
        authorise(actor, Permission::DecideAllocations)?;
        let mut tx = self.db().begin().await?;
        let scenario = q::scenario(&mut tx, scenario_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The scenario".into()))?;
        let rows = q::scenario_allocations(&mut tx, scenario_id).await?;
        let amounts: Vec<(String, Money)> = rows
            .iter()
            .map(|r| (r.area_code.clone(), Money::from_pence(r.amount_pence)))
            .collect();
        let decision = insert_decision(
            &mut tx,
            actor,
            scenario.period_id,
            &scenario.year,
            Some(scenario_id),
            input,
            &amounts,
        )
        .await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// Records allocations decided outside LCPF (a published notification), with its reference.
    pub async fn record_allocations(
        &self,
        actor: &Actor,
        period_id: i64,
        year: &str,
        input: &DecisionInput,
        amounts: &[(String, Money)],
    ) -> AppResult<Decision> {
        authorise(actor, Permission::DecideAllocations)?;
        let mut tx = self.db().begin().await?;
        q::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let decision =
            insert_decision(&mut tx, actor, period_id, year, None, input, amounts).await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// An area's decided allocations over time.
    pub async fn area_allocations(
        &self,
        actor: &Actor,
        ons_code: &str,
    ) -> AppResult<Vec<Allocation>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::allocations_for_area(&mut conn, ons_code).await?)
    }
}

/// The years a stored funding period spans.
fn span_of(period: &FundingPeriod) -> AppResult<Period> {
    let year = |t: &str| FinancialYear::parse(t).map_err(anyhow::Error::from);
    Ok(
        Period::new(year(&period.first_year)?, year(&period.last_year)?)
            .map_err(anyhow::Error::from)?,
    )
}

async fn insert_decision(
    tx: &mut lcpf_store::AnyConnection,
    actor: &Actor,
    period_id: i64,
    year: &str,
    scenario_id: Option<i64>,
    input: &DecisionInput,
    amounts: &[(String, Money)],
) -> AppResult<Decision> {
    let mut errors = FieldErrors::new();
    let reference = errors.check(
        "reference",
        required_text(
            &input.reference,
            "the decision's reference, for example PCD 79",
            50,
        ),
    );
    let decided_on = match NaiveDate::parse_from_str(input.decided_on.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                "decided_on",
                format!(
                    "“{}” is not a date: write it as year-month-day, for example 2017-03-31",
                    input.decided_on.trim()
                ),
            );
            None
        }
    };
    let maker = errors.check(
        "decision_maker",
        required_text(&input.decision_maker, "who made the decision", 200),
    );
    let summary = errors.check(
        "summary",
        required_text(&input.summary, "a summary of the decision", 2000),
    );
    errors.into_result()?;
    if let Some(existing) = q::decision_for(&mut *tx, period_id, year).await? {
        return Err(AppError::Forbidden(format!(
            "The allocations for {year} were decided on {} ({}) and are locked",
            existing.decided_on, existing.reference
        )));
    }
    let (Some(reference), Some(decided_on), Some(decision_maker), Some(summary)) =
        (reference, decided_on, maker, summary)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated decision input is incomplete"
        )));
    };
    let mut decision = Decision {
        id: 0,
        period_id,
        year: year.to_string(),
        scenario_id,
        reference,
        decided_on: decided_on.to_string(),
        decision_maker,
        summary,
        recorded_by: actor.label(),
        recorded_at: lcpf_store::now(),
    };
    decision.id = q::insert_decision(&mut *tx, &decision).await?;
    for (code, amount) in amounts {
        q::insert_allocation(&mut *tx, period_id, year, code, amount.pence(), decision.id).await?;
    }
    let total = Money::checked_sum(amounts.iter().map(|a| a.1)).map_err(anyhow::Error::from)?;
    record::<(), Decision>(
        &mut *tx,
        actor,
        Change {
            action: "allocation.decide",
            entity_type: "decision",
            entity_id: decision.id.to_string(),
            summary: format!(
                "{}: {total} allocated to {} boroughs for {year}",
                decision.reference,
                amounts.len()
            ),
            before: None,
            after: Some(&decision),
        },
    )
    .await?;
    Ok(decision)
}

/// Funds, periods and budgets are set up by a funder admin (the demo does it through these).
impl App {
    pub async fn create_fund(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        eligibility: &[String],
    ) -> AppResult<Fund> {
        authorise(actor, Permission::ManageReferenceData)?;
        let name = required_text(name, "the fund's name", 200)
            .map_err(|e| AppError::invalid("name", e))?;
        let mut tx = self.db().begin().await?;
        let id = q::insert_fund(
            &mut tx,
            &name,
            description.trim(),
            eligibility,
            &lcpf_store::now(),
        )
        .await
        .map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid("name", format!("A fund called “{name}” already exists"))
            } else {
                e.into()
            }
        })?;
        let fund = Fund {
            id,
            name,
            description: description.trim().to_string(),
            eligibility: eligibility.to_vec(),
        };
        record::<(), Fund>(
            &mut tx,
            actor,
            Change {
                action: "fund.create",
                entity_type: "fund",
                entity_id: id.to_string(),
                summary: format!("fund {} created", fund.name),
                before: None,
                after: Some(&fund),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(fund)
    }

    /// Adds a funding period with a budget per year: (year, pot, co-commissioning share, note).
    pub async fn create_period(
        &self,
        actor: &Actor,
        fund_id: i64,
        round_name: &str,
        period: Period,
        plan_id: Option<i64>,
        budgets: &[(FinancialYear, Money, Percentage, String)],
    ) -> AppResult<FundingPeriod> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut tx = self.db().begin().await?;
        let id = q::insert_period(
            &mut tx,
            fund_id,
            round_name,
            &period.first().to_string(),
            &period.last().to_string(),
            plan_id,
        )
        .await
        .map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid(
                    "first_year",
                    format!("The fund already has a period starting {}", period.first()),
                )
            } else {
                e.into()
            }
        })?;
        for (year, pot, share, note) in budgets {
            if !period.contains(*year) {
                return Err(AppError::invalid(
                    "year",
                    format!("{year} is outside the period {period}"),
                ));
            }
            q::upsert_budget(
                &mut tx,
                &PeriodBudget {
                    period_id: id,
                    year: year.to_string(),
                    pot_pence: pot.pence(),
                    co_commissioning_bp: i64::from(share.basis_points()),
                    note: note.clone(),
                },
            )
            .await?;
        }
        let created = q::period(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("period vanished")))?;
        record::<(), FundingPeriod>(
            &mut tx,
            actor,
            Change {
                action: "funding_period.create",
                entity_type: "funding_period",
                entity_id: id.to_string(),
                summary: format!("funding period {period} ({round_name}) created"),
                before: None,
                after: Some(&created),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }
}

/// A new funding period as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct PeriodInput {
    /// The round it belongs to, e.g. 2017/18–2020/21.
    pub round_name: String,
    pub first_year: String,
    pub last_year: String,
    /// The Police and Crime Plan its projects link to (optional).
    #[serde(default)]
    pub plan_id: Option<i64>,
}

/// A year's budget as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct BudgetInput {
    /// The year's whole pot, e.g. £18,000,000.
    pub pot: String,
    /// The Co-Commissioning Fund's top-slice, %, e.g. 30.
    #[serde(default)]
    pub co_commissioning: String,
    #[serde(default)]
    pub note: String,
}

impl App {
    /// Adds a funding period from entered text; each year starts with no budget.
    pub async fn add_period(
        &self,
        actor: &Actor,
        fund_id: i64,
        input: &PeriodInput,
    ) -> AppResult<FundingPeriod> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut errors = FieldErrors::new();
        let round = errors.check(
            "round_name",
            required_text(
                &input.round_name,
                "the round, for example 2017/18–2020/21",
                50,
            ),
        );
        let first = errors.check("first_year", FinancialYear::parse(&input.first_year));
        let last = errors.check("last_year", FinancialYear::parse(&input.last_year));
        let span = match (first, last) {
            (Some(f), Some(l)) => errors.check("last_year", Period::new(f, l)),
            _ => None,
        };
        errors.into_result()?;
        let (Some(round), Some(span)) = (round, span) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated period input is incomplete"
            )));
        };
        let mut conn = self.db().pool().acquire().await?;
        let others = q::periods(&mut conn, fund_id).await?;
        drop(conn);
        for p in &others {
            if span_of(p)?.overlaps(span) {
                return Err(AppError::invalid(
                    "first_year",
                    format!(
                        "Funding periods cannot overlap: {}–{} is already a period of this fund",
                        p.first_year, p.last_year
                    ),
                ));
            }
        }
        self.create_period(actor, fund_id, &round, span, input.plan_id, &[])
            .await
    }

    /// Sets (or changes) one year's pot and co-commissioning share. Refused once the year's
    /// allocations are decided, because they were decided against this budget.
    pub async fn set_budget(
        &self,
        actor: &Actor,
        period_id: i64,
        year: &str,
        input: &BudgetInput,
    ) -> AppResult<PeriodBudget> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut errors = FieldErrors::new();
        let pot = errors.check("pot", Money::parse(&input.pot));
        if pot.is_some_and(Money::is_negative) {
            errors.add("pot", "The pot cannot be negative");
        }
        let share = match input.co_commissioning.trim() {
            "" => Some(Percentage::ZERO),
            t => errors.check("co_commissioning", Percentage::parse(t)),
        };
        if share.is_some_and(|s| s > Percentage::HUNDRED) {
            errors.add(
                "co_commissioning",
                "The co-commissioning share is at most 100%",
            );
        }
        errors.into_result()?;
        let (Some(pot), Some(share)) = (pot, share) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated budget input is incomplete"
            )));
        };
        let mut tx = self.db().begin().await?;
        let period = q::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let year = FinancialYear::parse(year)
            .map_err(|_| AppError::NotFound(format!("The year {year}")))?;
        let span = span_of(&period)?;
        if !span.contains(year) {
            return Err(AppError::NotFound(format!(
                "The year {year} in this funding period"
            )));
        }
        if let Some(d) = q::decision_for(&mut tx, period_id, &year.to_string()).await? {
            return Err(AppError::Forbidden(format!(
                "{year} was decided on {} ({}): its budget is locked",
                d.decided_on, d.reference
            )));
        }
        let before = q::budgets(&mut tx, period_id)
            .await?
            .into_iter()
            .find(|b| b.year == year.to_string());
        let after = PeriodBudget {
            period_id,
            year: year.to_string(),
            pot_pence: pot.pence(),
            co_commissioning_bp: i64::from(share.basis_points()),
            note: input.note.trim().to_string(),
        };
        q::upsert_budget(&mut tx, &after).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: "budget.set",
                entity_type: "funding_period",
                entity_id: period_id.to_string(),
                summary: format!("{year} budget set to {pot} with {share} to co-commissioning"),
                before: before.as_ref(),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

impl App {
    /// The period and a year's current budget, for its edit form: the same checks as
    /// [`App::set_budget`] (funder admin, a year of the period).
    pub async fn budget_to_edit(
        &self,
        actor: &Actor,
        period_id: i64,
        year: FinancialYear,
    ) -> AppResult<(FundingPeriod, Option<PeriodBudget>)> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let span = span_of(&period)?;
        if !span.contains(year) {
            return Err(AppError::NotFound(format!(
                "The year {year} in this funding period"
            )));
        }
        let budget = q::budgets(&mut conn, period_id)
            .await?
            .into_iter()
            .find(|b| b.year == year.to_string());
        Ok((period, budget))
    }
}

/// Another named stream of money, as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct StreamInput {
    /// Financial year, e.g. 2012/13.
    pub year: String,
    /// e.g. Drug testing on arrest.
    pub name: String,
    pub amount: String,
    /// e.g. Metropolitan Police Service.
    pub recipient: String,
    #[serde(default)]
    pub note: String,
}

impl App {
    /// Records another named stream of a period's money (funder admin).
    pub async fn add_stream(
        &self,
        actor: &Actor,
        period_id: i64,
        input: &StreamInput,
    ) -> AppResult<lcpf_store::queries::funds::Stream> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut tx = self.db().begin().await?;
        let period = q::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let span = span_of(&period)?;
        let mut errors = FieldErrors::new();
        let year = match FinancialYear::parse(&input.year) {
            Ok(y) if span.contains(y) => Some(y),
            Ok(y) => {
                errors.add(
                    "year",
                    format!("{y} is outside this funding period ({span})"),
                );
                None
            }
            Err(e) => {
                errors.add("year", e.to_string());
                None
            }
        };
        let name = errors.check(
            "name",
            required_text(
                &input.name,
                "the stream's name, for example Drug testing on arrest",
                100,
            ),
        );
        let amount = errors.check("amount", Money::parse(&input.amount));
        if amount.is_some_and(Money::is_negative) {
            errors.add("amount", "The amount cannot be negative");
        }
        let recipient = errors.check(
            "recipient",
            required_text(
                &input.recipient,
                "who receives it, for example Metropolitan Police Service",
                200,
            ),
        );
        errors.into_result()?;
        let (Some(year), Some(name), Some(amount), Some(recipient)) =
            (year, name, amount, recipient)
        else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated stream input is incomplete"
            )));
        };
        let mut stream = lcpf_store::queries::funds::Stream {
            id: 0,
            period_id,
            year: year.to_string(),
            name,
            amount_pence: amount.pence(),
            recipient,
            note: input.note.trim().to_string(),
        };
        stream.id = q::insert_stream(&mut tx, &stream).await.map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid(
                    "name",
                    format!("{year} already has a stream called “{}”", stream.name),
                )
            } else {
                e.into()
            }
        })?;
        record::<(), lcpf_store::queries::funds::Stream>(
            &mut tx,
            actor,
            Change {
                action: "stream.add",
                entity_type: "funding_period",
                entity_id: period_id.to_string(),
                summary: format!(
                    "{year} stream “{}”: {amount} to {}",
                    stream.name, stream.recipient
                ),
                before: None,
                after: Some(&stream),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(stream)
    }

    pub async fn streams(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<lcpf_store::queries::funds::Stream>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::streams(&mut conn, period_id).await?)
    }
}

const SCENARIO_XLSX_HEADER: [&str; 8] = [
    "ONS code",
    "Borough",
    "Formula share %",
    "Formula amount",
    "Allocation",
    "Previous",
    "Change",
    "Decided by rule",
];
const SCENARIO_HEADER: [&str; 8] = [
    "area",
    "name",
    "formula_share_pct",
    "formula_amount",
    "amount",
    "previous",
    "change",
    "bound_by",
];

impl App {
    /// A scenario's table: one row per borough and a total.
    async fn scenario_table(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(Scenario, Vec<Vec<Cell>>)> {
        let (s, rows) = self.scenario(actor, id).await?;
        let mut table: Vec<Vec<Cell>> = rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.area_code),
                    Cell::Text(r.area_name),
                    Cell::Share(r.formula_share_millionths),
                    Cell::Money(r.formula_pence),
                    Cell::Money(r.amount_pence),
                    r.previous_pence.map(Cell::Money).unwrap_or(Cell::Empty),
                    r.previous_pence
                        .map(|p| Cell::Money(r.amount_pence - p))
                        .unwrap_or(Cell::Empty),
                    Cell::Text(r.bound_by),
                ]
            })
            .collect();
        table.push(vec![
            Cell::Text("total".into()),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Money(s.total_pence),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]);
        Ok((s, table))
    }

    /// A scenario as CSV for Excel.
    pub async fn scenario_csv(&self, actor: &Actor, id: i64) -> AppResult<Vec<u8>> {
        let (_, table) = self.scenario_table(actor, id).await?;
        exports::csv(&SCENARIO_HEADER, &table)
    }

    /// A scenario as an Excel workbook, money as numbers with a £ format.
    pub async fn scenario_xlsx(&self, actor: &Actor, id: i64) -> AppResult<Vec<u8>> {
        let (s, table) = self.scenario_table(actor, id).await?;
        let notes: &[&str] = if s.illustrative {
            &["Illustrative: computed from Metropolitan Police recorded crime, not MOPAC's allocation"]
        } else {
            &[]
        };
        exports::xlsx(
            "Allocation",
            &format!("{} ({})", s.name, s.year),
            notes,
            &SCENARIO_XLSX_HEADER,
            &table,
        )
    }

    /// A period's decided allocations (each borough's envelope per year) with each year's total.
    async fn period_table(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<(FundingPeriod, Vec<Vec<Cell>>)> {
        let view = self.period(actor, period_id).await?;
        let mut table = Vec::new();
        for d in &view.decisions {
            let mut total = 0;
            for a in view.allocations.iter().filter(|a| a.year == d.year) {
                total += a.amount_pence;
                table.push(vec![
                    Cell::Text(a.year.clone()),
                    Cell::Text(a.area_code.clone()),
                    Cell::Text(a.area_name.clone()),
                    Cell::Money(a.amount_pence),
                    Cell::Text(d.reference.clone()),
                ]);
            }
            table.push(vec![
                Cell::Text(d.year.clone()),
                Cell::Text("total".into()),
                Cell::Empty,
                Cell::Money(total),
                Cell::Text(d.reference.clone()),
            ]);
        }
        Ok((view.period, table))
    }

    pub async fn period_allocations_csv(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<u8>> {
        let (_, table) = self.period_table(actor, period_id).await?;
        exports::csv(&PERIOD_HEADER, &table)
    }

    pub async fn period_allocations_xlsx(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<u8>> {
        let (p, table) = self.period_table(actor, period_id).await?;
        exports::xlsx(
            "Allocations",
            &format!(
                "Decided allocations, funding period {}–{}",
                p.first_year, p.last_year
            ),
            &[],
            &["Year", "ONS code", "Borough", "Allocation", "Decision"],
            &table,
        )
    }
}

const PERIOD_HEADER: [&str; 5] = ["year", "area", "name", "amount", "decision"];
