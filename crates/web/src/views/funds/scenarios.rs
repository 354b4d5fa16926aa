//! Allocation scenarios: the form, the scenario page (table, map, downloads, decision) and
//! comparison.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::access::{may, Permission};
use lcpf_app::funds::{Comparison, DecisionInput, ScenarioIndicator, ScenarioInput};
use lcpf_domain::{FieldErrors, Money, MoneyColumn};
use lcpf_store::queries::funds::{Decision, FundingPeriod, Scenario};
use serde::Deserialize;

use super::{map_of, money, pct, AllocationRow};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::views::filters;
use crate::views::{download, field_errors, render, render_invalid, Layout, XLSX};
use crate::AppState;

#[derive(Template)]
#[template(path = "funds/scenario_form.html")]
struct ScenarioFormPage {
    layout: Layout,
    period: FundingPeriod,
    /// Years a scenario can be modelled for.
    years: Vec<String>,
    /// Years it cannot, each with why.
    closed_years: Vec<String>,
    datasets: Vec<String>,
    form: ScenarioForm,
    errors: FieldErrors,
}

/// The form's flat fields; two indicator slots cover the common cases.
#[derive(Deserialize, Default)]
pub struct ScenarioForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    pot: String,
    #[serde(default)]
    top_slice: String,
    #[serde(default)]
    dataset_1: String,
    #[serde(default)]
    weight_1: String,
    #[serde(default)]
    dataset_2: String,
    #[serde(default)]
    weight_2: String,
    #[serde(default)]
    previous_year: String,
    #[serde(default)]
    floor: String,
    #[serde(default)]
    floor_mode: String,
    #[serde(default)]
    ceiling: String,
    #[serde(default)]
    uplift_phase: String,
}

impl ScenarioForm {
    fn input(&self) -> ScenarioInput {
        ScenarioInput {
            name: self.name.clone(),
            year: self.year.clone(),
            pot: self.pot.clone(),
            top_slice: self.top_slice.clone(),
            indicators: vec![
                ScenarioIndicator {
                    dataset: self.dataset_1.clone(),
                    weight: self.weight_1.clone(),
                },
                ScenarioIndicator {
                    dataset: self.dataset_2.clone(),
                    weight: self.weight_2.clone(),
                },
            ],
            previous_year: self.previous_year.clone(),
            floor: self.floor.clone(),
            floor_mode: self.floor_mode.clone(),
            ceiling: self.ceiling.clone(),
            uplift_phase: self.uplift_phase.clone(),
            illustrative: false,
        }
    }
}

/// Field names in the app's errors, as the form's ids.
fn form_errors(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in errors.iter() {
        let field = match e.field.as_str() {
            "indicators[0].dataset" => "dataset_1",
            "indicators[0].weight" => "weight_1",
            "indicators[1].dataset" => "dataset_2",
            "indicators[1].weight" => "weight_2",
            "rules" => "floor",
            f => f,
        };
        out.add(field, e.message.clone());
    }
    out
}

async fn scenario_form_page(
    state: &AppState,
    auth: &Auth,
    period_id: i64,
    form: ScenarioForm,
    errors: FieldErrors,
) -> Result<ScenarioFormPage, PageError> {
    let view = state.app.period(&auth.actor, period_id).await?;
    let datasets = state
        .app
        .indicator_datasets(&auth.actor)
        .await?
        .into_iter()
        .map(|d| d.dataset)
        .rev()
        .collect();
    let (open, closed): (Vec<_>, Vec<_>) = state
        .app
        .scenario_years(&auth.actor, period_id)
        .await?
        .into_iter()
        .partition(|y| y.why_not.is_none());
    Ok(ScenarioFormPage {
        layout: Layout::new(auth, "New allocation scenario", "funds"),
        years: open.into_iter().map(|y| y.year).collect(),
        closed_years: closed.into_iter().filter_map(|y| y.why_not).collect(),
        period: view.period,
        datasets,
        form,
        errors,
    })
}

pub async fn new_scenario_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let page = scenario_form_page(
        &state,
        &auth,
        id,
        ScenarioForm {
            floor_mode: "budget-neutral".into(),
            ..Default::default()
        },
        FieldErrors::new(),
    )
    .await?;
    render(&page)
}

pub async fn create_scenario(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ScenarioForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    match state
        .app
        .create_scenario(&auth.actor, id, &form.input())
        .await
    {
        Ok(s) => Ok(Redirect::to(&format!("/scenarios/{}", s.id)).into_response()),
        Err(e) => {
            let errors = form_errors(field_errors(e)?);
            render_invalid(&scenario_form_page(&state, &auth, id, form, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "funds/scenario.html")]
struct ScenarioPage {
    layout: Layout,
    scenario: Scenario,
    people: lcpf_app::people::People,
    pot: String,
    top_slice: String,
    extra_cost: String,
    total: String,
    /// The total as the allocations table writes it (with pence when its rows have them).
    table_total: String,
    rows: Vec<AllocationRow>,
    map: String,
    decision: Option<Decision>,
    can_decide: bool,
    form: DecisionInput,
    errors: FieldErrors,
    /// Table order: name, amount or change.
    sort: String,
    /// What shades the map: amount or change.
    colour: String,
    has_previous: bool,
    /// Boroughs this scenario would cut by more than the fund calls large, largest cut first:
    /// said above the decide form.
    large_cuts: Vec<LargeCut>,
}

/// A borough that would lose more than a tenth of its money on the previous year.
struct LargeCut {
    code: String,
    name: String,
    previous: String,
    now: String,
    percent: String,
}

/// How a scenario's page is shown: `?sort=amount&colour=change`.
#[derive(Deserialize, Default)]
pub struct ScenarioView {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    colour: String,
}

async fn scenario_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    form: DecisionInput,
    errors: FieldErrors,
    view_as: ScenarioView,
) -> Result<ScenarioPage, PageError> {
    let (scenario, rows) = state.app.scenario(&auth.actor, id).await?;
    let view = state.app.period(&auth.actor, scenario.period_id).await?;
    let decision = view.decisions.into_iter().find(|d| d.year == scenario.year);
    let changes: HashMap<String, i64> = rows
        .iter()
        .filter_map(|r| {
            r.previous_pence
                .map(|p| (r.area_code.clone(), r.amount_pence - p))
        })
        .collect();
    let has_previous = !changes.is_empty();
    let mut cuts: Vec<(i64, LargeCut)> = rows
        .iter()
        .filter_map(|r| {
            let y = lcpf_domain::allocation::YearOnYear {
                previous: Money::from_pence(r.previous_pence?),
                now: Money::from_pence(r.amount_pence),
            };
            y.is_large_cut().then(|| {
                (
                    y.basis_points().unwrap_or_default(),
                    LargeCut {
                        code: r.area_code.clone(),
                        name: r.area_name.clone(),
                        previous: y.previous.to_string(),
                        now: y.now.to_string(),
                        percent: y.percent_text(),
                    },
                )
            })
        })
        .collect();
    cuts.sort_by_key(|(bp, _)| *bp);
    let large_cuts = cuts.into_iter().map(|(_, c)| c).collect();
    let by_change = view_as.colour == "change" && has_previous;
    // One way of writing every amount in the table, so that they line up.
    let column = MoneyColumn::of(rows.iter().flat_map(|r| {
        [Some(r.amount_pence), r.previous_pence]
            .into_iter()
            .flatten()
            .map(Money::from_pence)
    }));
    let show = |pence: i64| column.show(Money::from_pence(pence));
    let mut rows: Vec<AllocationRow> = rows
        .into_iter()
        .map(|r| AllocationRow {
            amount: show(r.amount_pence),
            share: pct(r.formula_share_millionths),
            previous: r.previous_pence.map(show).unwrap_or_default(),
            change: r
                .previous_pence
                .map(|p| show(r.amount_pence - p))
                .unwrap_or_default(),
            amount_pence: r.amount_pence,
            code: r.area_code,
            name: r.area_name,
            bound_by: r.bound_by,
            illustrative: false,
        })
        .collect();
    let change_of = |code: &str| changes.get(code).copied().unwrap_or(0);
    match view_as.sort.as_str() {
        "amount" => rows.sort_by_key(|r| std::cmp::Reverse(r.amount_pence)),
        "change" if has_previous => rows.sort_by_key(|r| std::cmp::Reverse(change_of(&r.code))),
        _ => {}
    }
    let values: HashMap<String, (i64, String)> = rows
        .iter()
        .map(|r| {
            let shade = if by_change {
                (change_of(&r.code), format!("change {}", r.change))
            } else {
                (r.amount_pence, r.amount.clone())
            };
            (r.code.clone(), shade)
        })
        .collect();
    let what = if by_change {
        "change on the previous year"
    } else {
        "amount"
    };
    let map = map_of(
        state,
        &auth.actor,
        &values,
        &format!("{} by borough, shaded by {what}", scenario.name),
    )
    .await?;
    Ok(ScenarioPage {
        people: state.app.people(&auth.actor).await?,
        layout: Layout::new(auth, &scenario.name, "funds"),
        pot: money(scenario.pot_pence),
        top_slice: money(scenario.top_slice_pence),
        extra_cost: money(scenario.extra_cost_pence),
        total: money(scenario.total_pence),
        table_total: show(scenario.total_pence),
        can_decide: may(&auth.actor, Permission::DecideAllocations) && decision.is_none(),
        scenario,
        rows,
        map,
        decision,
        form,
        errors,
        sort: view_as.sort,
        colour: if by_change { "change" } else { "amount" }.to_string(),
        has_previous,
        large_cuts,
    })
}

pub async fn scenario(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(view_as): Query<ScenarioView>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The scenario")?;
    render(
        &scenario_page(
            &state,
            &auth,
            id,
            DecisionInput::default(),
            FieldErrors::new(),
            view_as,
        )
        .await?,
    )
}

pub async fn scenario_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The scenario")?;
    let body = state.app.scenario_csv(&auth.actor, id).await?;
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        format!("lcpf-scenario-{id}.csv"),
    ))
}

pub async fn scenario_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The scenario")?;
    let body = state.app.scenario_xlsx(&auth.actor, id).await?;
    Ok(download(body, XLSX, format!("lcpf-scenario-{id}.xlsx")))
}

pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The scenario")?;
    match state.app.decide_scenario(&auth.actor, id, &form).await {
        Ok(d) => Ok(Redirect::to(&format!("/periods/{}", d.period_id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(
                &scenario_page(&state, &auth, id, form, errors, ScenarioView::default()).await?,
            )
        }
    }
}

#[derive(Template)]
#[template(path = "funds/scenario_compare.html")]
struct ComparePage {
    layout: Layout,
    /// Boroughs getting more, less and the same under the last scenario than the first.
    winners: usize,
    losers: usize,
    unchanged: usize,
    comparison: Comparison,
    rows: Vec<CompareRow>,
    totals: Vec<String>,
}

/// One area's amounts under each scenario compared, and the last minus the first.
struct CompareRow {
    area_code: String,
    area_name: String,
    amounts: Vec<String>,
    difference: String,
}

pub async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&query.unwrap_or_default()).unwrap_or_default();
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    // The period page's form says which period it is on, so a refusal is shown there.
    let period: Option<i64> = pairs
        .iter()
        .find(|(k, _)| k == "period")
        .and_then(|(_, v)| v.parse().ok());
    let comparison = match state.app.compare_scenarios(&auth.actor, &ids).await {
        Ok(c) => c,
        Err(lcpf_app::AppError::Invalid(errors)) => match period {
            Some(period) => {
                return super::period_with_compare_errors(state, auth, period, errors).await;
            }
            None => return Err(lcpf_app::AppError::Invalid(errors).into()),
        },
        Err(e) => return Err(e.into()),
    };
    let column = MoneyColumn::of(
        comparison
            .rows
            .iter()
            .flat_map(|r| r.amounts.iter().copied())
            .chain(comparison.totals.iter().copied())
            .map(Money::from_pence),
    );
    let show = |pence: i64| column.show(Money::from_pence(pence));
    let rows = comparison
        .rows
        .iter()
        .map(|r| CompareRow {
            area_code: r.area_code.clone(),
            area_name: r.area_name.clone(),
            amounts: r.amounts.iter().map(|a| show(*a)).collect(),
            difference: show(r.difference),
        })
        .collect();
    let totals = comparison.totals.iter().map(|t| show(*t)).collect();
    let winners = comparison.rows.iter().filter(|r| r.difference > 0).count();
    let losers = comparison.rows.iter().filter(|r| r.difference < 0).count();
    let unchanged = comparison.rows.len() - winners - losers;
    render(&ComparePage {
        winners,
        losers,
        unchanged,
        layout: Layout::new(&auth, "Compare scenarios", "funds"),
        comparison,
        rows,
        totals,
    })
}
