//! Allocation scenarios: inputs run through the allocation engine, stored, compared and
//! exported. Funder staff build them; deciding one is in `decisions`.

use std::collections::BTreeMap;

use lcpf_domain::allocation::{
    allocate, allocation_input, AllocationRules, FloorMode, Indicator, IndicatorValue,
};
use lcpf_domain::field::required_text;
use lcpf_domain::{FieldErrors, FinancialYear, Money, Percentage};
use lcpf_store::queries::funds::{self as q, Decision, Scenario, ScenarioAllocation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{span_of, year_in_period};
use crate::access::{authorise, Permission};
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

/// A year of a period as the scenario form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioYear {
    /// e.g. 2018/19
    pub year: String,
    /// Why no scenario can be modelled for it (decided, or no budget); none when one can.
    pub why_not: Option<String>,
}

/// A decided year's allocations change only by amendment, never by a new scenario.
fn decided_year_refusal(d: &Decision) -> String {
    format!(
        "{} is decided ({}): its allocations change only by an amendment, not a new scenario",
        d.year, d.reference
    )
}

/// Scenarios side by side: each area's amount under each, and the totals.
#[derive(Debug, Clone, Serialize)]
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

/// The most scenarios one comparison shows side by side.
pub const MAX_COMPARED: usize = 10;

impl App {
    /// Builds a scenario from its inputs, runs the allocation engine and stores the result.
    /// The years of a period a scenario can be modelled for, and why each other year cannot.
    pub async fn scenario_years(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<ScenarioYear>> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let budgets = q::budgets(&mut conn, period_id).await?;
        let decisions = q::decisions(&mut conn, period_id).await?;
        Ok(span_of(&period)?
            .years()
            .into_iter()
            .map(|y| {
                let year = y.to_string();
                let why_not = match decisions.iter().find(|d| d.year == year) {
                    Some(d) => Some(decided_year_refusal(d)),
                    None if !budgets.iter().any(|b| b.year == year) => {
                        Some(format!("{year} has no budget set yet: set its pot first"))
                    }
                    None => None,
                };
                ScenarioYear { year, why_not }
            })
            .collect())
    }

    pub async fn create_scenario(
        &self,
        actor: &Actor,
        period_id: i64,
        input: &ScenarioInput,
    ) -> AppResult<Scenario> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut tx = self.db().begin().await?;
        let period = super::period_to_change(&mut tx, period_id).await?;
        let span = span_of(&period)?;
        let budgets = q::budgets(&mut tx, period_id).await?;

        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            required_text(&input.name, "a name for the scenario", 100),
        );
        let year = year_in_period(&mut errors, "year", &input.year, span);
        let decisions = q::decisions(&mut tx, period_id).await?;
        if let Some(d) = year.and_then(|y| decisions.iter().find(|d| d.year == y.to_string())) {
            errors.add("year", decided_year_refusal(d));
        }
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

        // The areas are the boroughs that take part in the fund; a dataset without one of
        // them, or a rule that needs a previous allocation one lacks, is refused naming it.
        let codes: Vec<String> = super::taking_part(&mut tx)
            .await?
            .into_iter()
            .map(|a| a.ons_code)
            .collect();
        let names = crate::allocation_files::AreaNames::load()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let column_refs: Vec<&BTreeMap<String, IndicatorValue>> = columns.iter().collect();
        let rules = AllocationRules {
            indicators,
            top_slice,
            uplift_phase,
            floor,
            floor_mode,
            ceiling,
        };
        let engine_input = allocation_input(pot, &codes, &column_refs, previous.as_ref(), rules)
            .map_err(|e| {
                AppError::invalid(
                    "rules",
                    format!(
                        "These rules cannot be met: {}",
                        names.described(&e.to_string())
                    ),
                )
            })?;
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
        if ids.len() > MAX_COMPARED {
            return Err(AppError::invalid(
                "scenario",
                format!(
                    "Choose at most {MAX_COMPARED} scenarios to compare side by side; {} were chosen",
                    ids.len()
                ),
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
        let mut years: Vec<&str> = scenarios.iter().map(|s| s.year.as_str()).collect();
        years.sort_unstable();
        years.dedup();
        if years.len() > 1 {
            return Err(AppError::invalid(
                "scenario",
                format!(
                    "Choose scenarios of one year: these are for {}, whose pots and previous allocations differ",
                    lcpf_domain::words::and_list(&years)
                ),
            ));
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
}
