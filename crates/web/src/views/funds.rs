//! Funds, funding periods, allocation scenarios, comparison and decisions.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use lcpf_app::access::{may, Permission};
use lcpf_app::funds::{Comparison, DecisionInput, ScenarioIndicator, ScenarioInput};
use lcpf_app::Actor;
use lcpf_domain::{FieldErrors, Money};
use lcpf_store::queries::funds::{Decision, Fund, FundingPeriod, Scenario};
use serde::Deserialize;

use super::{field_errors, render, render_invalid, Layout};
use crate::auth::{read_form, Auth};
use crate::error::{parse_id, PageError};
use crate::map::{london_svg, MapArea};
use crate::AppState;

fn money(pence: i64) -> String {
    Money::from_pence(pence).to_string()
}

fn pct(millionths: i64) -> String {
    format!(
        "{}.{:02}%",
        millionths / 10_000,
        (millionths % 10_000) / 100
    )
}

/// One row of an allocation table, formatted for display.
pub struct AllocationRow {
    pub code: String,
    pub name: String,
    pub amount: String,
    pub amount_pence: i64,
    pub share: String,
    pub previous: String,
    pub change: String,
    pub bound_by: String,
}

async fn map_of(
    state: &AppState,
    actor: &Actor,
    values: &HashMap<String, (i64, String)>,
    title: &str,
) -> Result<String, PageError> {
    let boundaries = state.app.area_boundaries(actor).await?;
    let areas: Vec<MapArea> = boundaries
        .iter()
        .filter_map(|(code, name, g)| {
            g.as_deref().map(|geometry| MapArea {
                code,
                name,
                geometry,
                value: values.get(code).cloned(),
            })
        })
        .collect();
    Ok(london_svg(&areas, title))
}

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    layout: Layout,
    can_add: bool,
    funds: Vec<(Fund, Vec<PeriodSummary>)>,
}

struct PeriodSummary {
    period: FundingPeriod,
    years: Vec<(String, String, String, String, String)>,
}

pub async fn funds(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let mut out = Vec::new();
    for fund in state.app.list_funds(&auth.actor).await? {
        let (fund, periods) = state.app.fund(&auth.actor, fund.id).await?;
        let periods = periods
            .into_iter()
            .map(|(period, budgets)| PeriodSummary {
                period,
                years: budgets
                    .into_iter()
                    .map(|b| {
                        let top = lcpf_domain::Percentage::from_basis_points(
                            b.co_commissioning_bp as u32,
                        );
                        let co = top.of_floor(Money::from_pence(b.pot_pence));
                        (
                            b.year,
                            money(b.pot_pence),
                            top.to_string(),
                            money(b.pot_pence - co.pence()),
                            b.note,
                        )
                    })
                    .collect(),
            })
            .collect();
        out.push((fund, periods));
    }
    render(&FundsPage {
        layout: Layout::new(&auth, "Funds", "funds"),
        can_add: may(&auth.actor, Permission::ManageReferenceData),
        funds: out,
    })
}

#[derive(Template)]
#[template(path = "period.html")]
struct PeriodPage {
    layout: Layout,
    fund: Fund,
    period: FundingPeriod,
    years: Vec<YearAllocations>,
    scenarios: Vec<Scenario>,
    can_model: bool,
    can_set_budget: bool,
    /// Year, name, amount, recipient, note.
    streams: Vec<(String, String, String, String, String)>,
    stream_form: lcpf_app::funds::StreamInput,
    errors: FieldErrors,
    /// Year, pot, co-commissioning %, note, start year (for links), decided.
    budgets: Vec<(String, String, String, String, i32, bool)>,
    sort: String,
}

struct YearAllocations {
    year: String,
    decision: Option<Decision>,
    rows: Vec<AllocationRow>,
    total: String,
    map: String,
}

#[derive(Deserialize)]
pub struct SortQuery {
    #[serde(default)]
    sort: String,
}

pub async fn period_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<SortQuery>,
) -> Result<Response, PageError> {
    period(State(state), auth, Path(id), Query(q), None).await
}

async fn period(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<SortQuery>,
    stream_errors: Option<(lcpf_app::funds::StreamInput, FieldErrors)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let view = state.app.period(&auth.actor, id).await?;
    // Every year of the period, budgeted or not, so a new period's budgets can be set.
    let first = lcpf_domain::FinancialYear::parse(&view.period.first_year)
        .map_err(|e| PageError::App(lcpf_app::AppError::Internal(e.into())))?;
    let last = lcpf_domain::FinancialYear::parse(&view.period.last_year)
        .map_err(|e| PageError::App(lcpf_app::AppError::Internal(e.into())))?;
    let budgets = (first.start_year()..=last.start_year())
        .map(|y| {
            let year = lcpf_domain::FinancialYear::starting(y).to_string();
            let b = view.budgets.iter().find(|b| b.year == year);
            (
                year.clone(),
                b.map(|b| money(b.pot_pence))
                    .unwrap_or_else(|| "Not set".into()),
                b.map(|b| {
                    lcpf_domain::Percentage::from_basis_points(b.co_commissioning_bp as u32)
                        .to_string()
                })
                .unwrap_or_default(),
                b.map(|b| b.note.clone()).unwrap_or_default(),
                y,
                view.decisions.iter().any(|d| d.year == year),
            )
        })
        .collect();
    let mut years = Vec::new();
    for b in &view.budgets {
        let decision = view.decisions.iter().find(|d| d.year == b.year).cloned();
        let mut rows: Vec<AllocationRow> = view
            .allocations
            .iter()
            .filter(|a| a.year == b.year)
            .map(|a| AllocationRow {
                code: a.area_code.clone(),
                name: a.area_name.clone(),
                amount: money(a.amount_pence),
                amount_pence: a.amount_pence,
                share: String::new(),
                previous: String::new(),
                change: String::new(),
                bound_by: String::new(),
            })
            .collect();
        if q.sort == "amount" {
            rows.sort_by_key(|r| std::cmp::Reverse(r.amount_pence));
        }
        let total = money(rows.iter().map(|r| r.amount_pence).sum());
        let values: HashMap<String, (i64, String)> = rows
            .iter()
            .map(|r| (r.code.clone(), (r.amount_pence, r.amount.clone())))
            .collect();
        let map = if rows.len() > 1 {
            map_of(
                &state,
                &auth.actor,
                &values,
                &format!("Allocations {} by borough", b.year),
            )
            .await?
        } else {
            String::new()
        };
        years.push(YearAllocations {
            year: b.year.clone(),
            decision,
            rows,
            total,
            map,
        });
    }
    let streams = state
        .app
        .streams(&auth.actor, id)
        .await?
        .into_iter()
        .map(|st| {
            (
                st.year,
                st.name,
                money(st.amount_pence),
                st.recipient,
                st.note,
            )
        })
        .collect();
    render(&PeriodPage {
        layout: Layout::new(
            &auth,
            &format!(
                "Funding period {}–{}",
                view.period.first_year, view.period.last_year
            ),
            "funds",
        ),
        can_model: may(&auth.actor, Permission::ModelAllocations),
        can_set_budget: may(&auth.actor, Permission::ManageReferenceData),
        streams,
        stream_form: stream_errors
            .as_ref()
            .map(|f| f.0.clone())
            .unwrap_or_default(),
        errors: stream_errors.map(|f| f.1).unwrap_or_default(),
        budgets,
        fund: view.fund,
        period: view.period,
        years,
        scenarios: view.scenarios,
        sort: q.sort,
    })
}

#[derive(Template)]
#[template(path = "scenario_form.html")]
struct ScenarioFormPage {
    layout: Layout,
    period: FundingPeriod,
    years: Vec<String>,
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
        .map(|d| d.0)
        .rev()
        .collect();
    Ok(ScenarioFormPage {
        layout: Layout::new(auth, "New allocation scenario", "funds"),
        years: view.budgets.iter().map(|b| b.year.clone()).collect(),
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
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let form: ScenarioForm = read_form(&auth, &jar, &body)?;
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
#[template(path = "scenario.html")]
struct ScenarioPage {
    layout: Layout,
    scenario: Scenario,
    pot: String,
    top_slice: String,
    extra_cost: String,
    total: String,
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
    let by_change = view_as.colour == "change" && has_previous;
    let mut rows: Vec<AllocationRow> = rows
        .into_iter()
        .map(|r| AllocationRow {
            amount: money(r.amount_pence),
            share: pct(r.formula_share_millionths),
            previous: r.previous_pence.map(money).unwrap_or_default(),
            change: r
                .previous_pence
                .map(|p| money(r.amount_pence - p))
                .unwrap_or_default(),
            amount_pence: r.amount_pence,
            code: r.area_code,
            name: r.area_name,
            bound_by: r.bound_by,
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
        layout: Layout::new(auth, &scenario.name, "funds"),
        pot: money(scenario.pot_pence),
        top_slice: money(scenario.top_slice_pence),
        extra_cost: money(scenario.extra_cost_pence),
        total: money(scenario.total_pence),
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
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lcpf-scenario-{id}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn scenario_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The scenario")?;
    let body = state.app.scenario_xlsx(&auth.actor, id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lcpf-scenario-{id}.xlsx\""),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The scenario")?;
    let form: DecisionInput = read_form(&auth, &jar, &body)?;
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
#[template(path = "compare.html")]
struct ComparePage {
    layout: Layout,
    /// Boroughs getting more, less and the same under the last scenario than the first.
    winners: usize,
    losers: usize,
    unchanged: usize,
    comparison: Comparison,
    rows: Vec<(String, String, Vec<String>, String)>,
    totals: Vec<String>,
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
    let comparison = state.app.compare_scenarios(&auth.actor, &ids).await?;
    let rows = comparison
        .rows
        .iter()
        .map(|r| {
            (
                r.area_code.clone(),
                r.area_name.clone(),
                r.amounts.iter().map(|a| money(*a)).collect(),
                money(r.difference),
            )
        })
        .collect();
    let totals = comparison.totals.iter().map(|t| money(*t)).collect();
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

#[derive(Template)]
#[template(path = "period_form.html")]
struct PeriodFormPage {
    layout: Layout,
    fund: Fund,
    plans: Vec<lcpf_app::Plan>,
    form: PeriodForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct PeriodForm {
    #[serde(default)]
    round_name: String,
    #[serde(default)]
    first_year: String,
    #[serde(default)]
    last_year: String,
    #[serde(default)]
    plan_id: String,
}

async fn period_form_page(
    state: &AppState,
    auth: &Auth,
    fund_id: i64,
    form: PeriodForm,
    errors: FieldErrors,
) -> Result<PeriodFormPage, PageError> {
    state.app.may_manage_reference_data(&auth.actor)?;
    let (fund, _) = state.app.fund(&auth.actor, fund_id).await?;
    let plans = state.app.list_plans(&auth.actor).await?;
    Ok(PeriodFormPage {
        layout: Layout::new(auth, "Add a funding period", "funds"),
        fund,
        plans,
        form,
        errors,
    })
}

pub async fn new_period_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The fund")?;
    render(&period_form_page(&state, &auth, id, PeriodForm::default(), FieldErrors::new()).await?)
}

pub async fn create_period(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The fund")?;
    let form: PeriodForm = read_form(&auth, &jar, &body)?;
    let input = lcpf_app::funds::PeriodInput {
        round_name: form.round_name.clone(),
        first_year: form.first_year.clone(),
        last_year: form.last_year.clone(),
        plan_id: form.plan_id.parse().ok(),
    };
    match state.app.add_period(&auth.actor, id, &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/periods/{}", p.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&period_form_page(&state, &auth, id, form, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "budget_form.html")]
struct BudgetFormPage {
    layout: Layout,
    period: FundingPeriod,
    year: String,
    start: i32,
    form: lcpf_app::funds::BudgetInput,
    errors: FieldErrors,
}

fn year_from_path(start: &str) -> Result<lcpf_domain::FinancialYear, PageError> {
    start
        .parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .map(lcpf_domain::FinancialYear::starting)
        .ok_or_else(|| PageError::App(lcpf_app::AppError::NotFound("The year".into())))
}

pub async fn budget_form(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, start)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let year = year_from_path(&start)?;
    let (period, current) = state.app.budget_to_edit(&auth.actor, id, year).await?;
    let current = current.as_ref();
    let form = lcpf_app::funds::BudgetInput {
        pot: current
            .map(|b| Money::from_pence(b.pot_pence).to_string())
            .unwrap_or_default(),
        co_commissioning: current
            .map(|b| {
                lcpf_domain::Percentage::from_basis_points(b.co_commissioning_bp as u32)
                    .to_string()
                    .trim_end_matches('%')
                    .to_string()
            })
            .unwrap_or_default(),
        note: current.map(|b| b.note.clone()).unwrap_or_default(),
    };
    render(&BudgetFormPage {
        layout: Layout::new(&auth, &format!("Budget for {year}"), "funds"),
        period,
        year: year.to_string(),
        start: year.start_year(),
        form,
        errors: FieldErrors::new(),
    })
}

pub async fn set_budget(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path((id, start)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let year = year_from_path(&start)?;
    let form: lcpf_app::funds::BudgetInput = read_form(&auth, &jar, &body)?;
    match state
        .app
        .set_budget(&auth.actor, id, &year.to_string(), &form)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/periods/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let view = state.app.period(&auth.actor, id).await?;
            render_invalid(&BudgetFormPage {
                layout: Layout::new(&auth, &format!("Budget for {year}"), "funds"),
                period: view.period,
                year: year.to_string(),
                start: year.start_year(),
                form,
                errors,
            })
        }
    }
}

/// Adds another named stream from the period page's form; errors redraw the page.
pub async fn add_stream(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let form: lcpf_app::funds::StreamInput = read_form(&auth, &jar, &body)?;
    match state.app.add_stream(&auth.actor, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/periods/{id}#streams")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let response = period(
                State(state),
                auth,
                Path(id.to_string()),
                Query(SortQuery {
                    sort: String::new(),
                }),
                Some((form, errors)),
            )
            .await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, response).into_response())
        }
    }
}

fn download(body: Vec<u8>, content_type: &str, filename: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn period_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let body = state.app.period_allocations_csv(&auth.actor, id).await?;
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        format!("lcpf-allocations-period-{id}.csv"),
    ))
}

pub async fn period_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let body = state.app.period_allocations_xlsx(&auth.actor, id).await?;
    Ok(download(
        body,
        XLSX,
        format!("lcpf-allocations-period-{id}.xlsx"),
    ))
}
