//! Funds, funding periods, their budgets, streams and decided allocations. Scenarios,
//! comparison and decisions are in `scenarios`.

pub mod decisions;
pub mod indicators;
pub mod scenarios;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::access::{may, Permission};

use lcpf_app::Actor;
use lcpf_domain::{FieldErrors, Money, MoneyColumn};
use lcpf_store::queries::funds::{Decision, Fund, FundingPeriod, Scenario};
use serde::Deserialize;

use super::{download, field_errors, filters, render, render_invalid, Layout, XLSX};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::map::{london_svg, MapArea};
use crate::AppState;
use lcpf_app::funds::BudgetYear;

pub(super) fn money(pence: i64) -> String {
    Money::from_pence(pence).to_string()
}

pub(super) fn pct(millionths: i64) -> String {
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
    /// Not from the decision's source (demo data): labelled.
    pub illustrative: bool,
}

pub(super) async fn map_of(
    state: &AppState,
    actor: &Actor,
    values: &HashMap<String, (i64, String)>,
    title: &str,
) -> Result<String, PageError> {
    let boundaries = state.app.area_boundaries(actor).await?;
    Ok(map_from(&boundaries, values, title))
}

/// A London map from boundaries already read (a page with several maps reads them once).
pub(crate) fn map_from(
    boundaries: &[(String, String, Option<String>)],
    values: &HashMap<String, (i64, String)>,
    title: &str,
) -> String {
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
    london_svg(&areas, title)
}

#[derive(Template)]
#[template(path = "funds/funds.html")]
struct FundsPage {
    layout: Layout,
    can_add: bool,
    funds: Vec<FundSummary>,
}

struct FundSummary {
    fund: Fund,
    periods: Vec<PeriodSummary>,
}

struct PeriodSummary {
    period: FundingPeriod,
    years: Vec<BudgetYear>,
    /// Money that is not allocated by formula (e.g. the DIP's passported grants).
    streams: Vec<StreamRow>,
}

/// A sum of money for a table cell; an empty cell is a dash.
fn amount(m: &Option<Money>) -> String {
    m.map_or_else(|| "–".to_string(), |m| m.to_string())
}

pub async fn funds(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let mut out = Vec::new();
    for fund in state.app.list_funds(&auth.actor).await? {
        let (fund, periods) = state.app.fund(&auth.actor, fund.id).await?;
        let mut summaries = Vec::new();
        for (period, budgets) in periods {
            // Only the budgeted years, as the funds page lists what is known.
            let years = lcpf_app::funds::budget_years(&period, &budgets, &[])?
                .into_iter()
                .filter(|y| y.pot.is_some())
                .collect();
            let streams = state
                .app
                .streams(&auth.actor, period.id)
                .await?
                .into_iter()
                .map(StreamRow::from)
                .collect();
            summaries.push(PeriodSummary {
                period,
                years,
                streams,
            });
        }
        out.push(FundSummary {
            fund,
            periods: summaries,
        });
    }
    render(&FundsPage {
        layout: Layout::new(&auth, "Funds", "funds"),
        can_add: may(&auth.actor, Permission::ManageReferenceData),
        funds: out,
    })
}

/// A named stream of the period's money, as the period and funds pages list it.
struct StreamRow {
    year: String,
    name: String,
    amount: String,
    recipient: String,
    note: String,
}

impl From<lcpf_store::queries::funds::Stream> for StreamRow {
    fn from(st: lcpf_store::queries::funds::Stream) -> StreamRow {
        StreamRow {
            year: st.year,
            name: st.name,
            amount: money(st.amount_pence),
            recipient: st.recipient,
            note: st.note,
        }
    }
}

#[derive(Template)]
#[template(path = "funds/period.html")]
struct PeriodPage {
    layout: Layout,
    fund: Fund,
    period: FundingPeriod,
    years: Vec<YearAllocations>,
    scenarios: Vec<Scenario>,
    can_model: bool,
    can_set_budget: bool,
    /// Year, name, amount, recipient, note.
    streams: Vec<StreamRow>,
    stream_form: lcpf_app::funds::StreamInput,
    errors: FieldErrors,
    /// The scenario comparison's refusal, shown on its form.
    compare_errors: FieldErrors,
    /// The proposals window in words, and its form as typed (with its refusal).
    window: String,
    window_form: lcpf_app::proposals::WindowInput,
    window_errors: FieldErrors,
    /// Every year of the period, budgeted or not.
    budgets: Vec<BudgetYear>,
    sort: String,
    /// Funder admins: record a decision made elsewhere, amend one borough.
    can_decide: bool,
    /// What the decided years give out in all, across the period.
    period_total: String,
    /// How many years of the period are decided, of how many.
    decided_years: usize,
    all_years: usize,
    /// Some year of the period has a budget (a DIP-like period of streams has none).
    has_budget: bool,
    /// Some budgeted year is not decided yet, so a scenario can be modelled for it.
    can_start_scenario: bool,
    /// The period's close-out: done, or whether and why not it can be done.
    closeout: lcpf_app::grants::closeout::PeriodCloseOutView,
}

struct YearAllocations {
    year: String,
    decision: Option<Decision>,
    /// The scenario the year was decided from, if it was.
    decided_from: Option<lcpf_app::funds::DecidedFrom>,
    /// The year before, whose decided allocations the change is against (if any).
    previous_year: Option<String>,
    rows: Vec<AllocationRow>,
    total: String,
    map: String,
    /// The decision's stated total beside the sum of its rows, when they differ.
    mismatch: Option<String>,
    amendments: Vec<AmendmentRow>,
}

/// One amendment as the period page shows it.
struct AmendmentRow {
    borough: String,
    before: String,
    after: String,
    reason: String,
    by: String,
    at: String,
}

#[derive(Deserialize, Default)]
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
    period(State(state), auth, Path(id), Query(q), Refused::Nothing).await
}

/// A form on the period page that was refused, drawn again on the page with its errors.
pub enum Refused {
    Nothing,
    Stream(lcpf_app::funds::StreamInput, FieldErrors),
    Compare(FieldErrors),
    Window(lcpf_app::proposals::WindowInput, FieldErrors),
}

/// The period page with the scenario comparison's errors on its form (400).
pub async fn period_with_compare_errors(
    state: AppState,
    auth: Auth,
    id: i64,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    period_refused(state, auth, id, Refused::Compare(errors)).await
}

/// The period page drawn again with one of its forms refused (400).
async fn period_refused(
    state: AppState,
    auth: Auth,
    id: i64,
    refused: Refused,
) -> Result<Response, PageError> {
    let page = period(
        State(state),
        auth,
        Path(id.to_string()),
        Query(SortQuery::default()),
        refused,
    )
    .await?;
    Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
}

async fn period(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<SortQuery>,
    refused: Refused,
) -> Result<Response, PageError> {
    let mut window_refused = None;
    let (stream_errors, compare_errors) = match refused {
        Refused::Nothing => (None, FieldErrors::new()),
        Refused::Stream(form, errors) => (Some((form, errors)), FieldErrors::new()),
        Refused::Compare(errors) => (None, errors),
        Refused::Window(form, errors) => {
            window_refused = Some((form, errors));
            (None, FieldErrors::new())
        }
    };
    let id = parse_id(&id, "The funding period")?;
    let view = state.app.period(&auth.actor, id).await?;
    // Every year of the period, budgeted or not, so a new period's budgets can be set.
    let decided: Vec<String> = view.decisions.iter().map(|d| d.year.clone()).collect();
    let budgets = lcpf_app::funds::budget_years(&view.period, &view.budgets, &decided)?;
    let people = state.app.people(&auth.actor).await?;
    let amendments = state.app.amendments(&auth.actor, id).await?;
    // Read once for every year's map, so the page's queries do not grow with its years.
    let boundaries = state.app.area_boundaries(&auth.actor).await?;
    let mut period_total: i64 = 0;
    let budgets_count = budgets.len();
    let mut years = Vec::new();
    for b in &view.budgets {
        let decision = view.decisions.iter().find(|d| d.year == b.year).cloned();
        let of_year = || view.allocations.iter().filter(|a| a.year == b.year);
        let total_pence: i64 = of_year().map(|a| a.amount_pence).sum();
        let column = MoneyColumn::of(
            of_year()
                .map(|a| a.amount_pence)
                .chain([total_pence])
                .map(Money::from_pence),
        );
        // The year before: in this period, or the fund's previous period for the first year.
        let year_before = lcpf_domain::FinancialYear::parse(&b.year)
            .map(|y| lcpf_domain::FinancialYear::starting(y.start_year() - 1).to_string())
            .unwrap_or_default();
        let before: HashMap<&str, i64> = view
            .allocations
            .iter()
            .chain(&view.before_first_year)
            .filter(|a| a.year == year_before)
            .map(|a| (a.area_code.as_str(), a.amount_pence))
            .collect();
        let previous_column = MoneyColumn::of(before.values().copied().map(Money::from_pence));
        let change_column = MoneyColumn::of(of_year().filter_map(|a| {
            before
                .get(a.area_code.as_str())
                .map(|p| Money::from_pence(a.amount_pence - p))
        }));
        let mut rows: Vec<AllocationRow> = of_year()
            .map(|a| {
                let change =
                    before
                        .get(a.area_code.as_str())
                        .map(|p| lcpf_domain::allocation::YearOnYear {
                            previous: Money::from_pence(*p),
                            now: Money::from_pence(a.amount_pence),
                        });
                AllocationRow {
                    code: a.area_code.clone(),
                    name: a.area_name.clone(),
                    amount: column.show(Money::from_pence(a.amount_pence)),
                    amount_pence: a.amount_pence,
                    share: String::new(),
                    previous: change
                        .map(|c| previous_column.show(c.previous))
                        .unwrap_or_default(),
                    change: change
                        .map(|c| {
                            format!("{} ({})", change_column.show(c.change()), c.percent_text())
                        })
                        .unwrap_or_default(),
                    bound_by: String::new(),
                    illustrative: a.illustrative,
                }
            })
            .collect();
        if q.sort == "amount" {
            rows.sort_by_key(|r| std::cmp::Reverse(r.amount_pence));
        }
        let total = column.show(Money::from_pence(total_pence));
        // The decision's own total, beside its rows' sum (amendments included).
        let mismatch = decision.as_ref().and_then(|d| {
            lcpf_domain::reconciliation::Reconciliation {
                stated: d.stated_total_pence.map(lcpf_domain::Money::from_pence),
                sum: lcpf_domain::Money::from_pence(total_pence),
            }
            .mismatch(&format!("Decision {}", d.reference), "its rows add up to")
        });
        let amendments_of_year = amendments
            .iter()
            .filter(|a| a.year == b.year)
            .map(|a| AmendmentRow {
                borough: a.area_name.clone(),
                before: a.before_pence.map(money).unwrap_or_else(|| "None".into()),
                after: money(a.after_pence),
                reason: a.reason.clone(),
                by: people.of(&a.recorded_by),
                at: lcpf_domain::calendar::london_date_time_text(&a.recorded_at),
            })
            .collect();
        let values: HashMap<String, (i64, String)> = rows
            .iter()
            .map(|r| (r.code.clone(), (r.amount_pence, r.amount.clone())))
            .collect();
        let map = if rows.len() > 1 {
            map_from(
                &boundaries,
                &values,
                &format!("Allocations {} by borough", b.year),
            )
        } else {
            String::new()
        };
        if decision.is_some() {
            period_total += total_pence;
        }
        years.push(YearAllocations {
            previous_year: (!before.is_empty()).then(|| year_before.clone()),
            decided_from: view.decided_from.iter().find(|d| d.year == b.year).cloned(),
            year: b.year.clone(),
            decision,
            rows,
            total,
            map,
            mismatch,
            amendments: amendments_of_year,
        });
    }
    let streams = state
        .app
        .streams(&auth.actor, id)
        .await?
        .into_iter()
        .map(StreamRow::from)
        .collect();
    let has_budget = budgets.iter().any(|b| b.pot.is_some());
    let closeout = state.app.period_closeout(&auth.actor, id).await?;
    // A closed period's budgets, scenarios and decisions no longer change: nothing offers to.
    let open = !closeout.closed;
    let can_start_scenario = open && budgets.iter().any(|b| b.pot.is_some() && !b.decided);
    render(&PeriodPage {
        closeout,
        layout: Layout::new(
            &auth,
            &format!(
                "Funding period {}–{}",
                view.period.first_year, view.period.last_year
            ),
            "funds",
        ),
        can_model: may(&auth.actor, Permission::ModelAllocations),
        can_set_budget: open && may(&auth.actor, Permission::ManageReferenceData),
        streams,
        stream_form: stream_errors
            .as_ref()
            .map(|f| f.0.clone())
            .unwrap_or_default(),
        errors: stream_errors.map(|f| f.1).unwrap_or_default(),
        compare_errors,
        window: view
            .period
            .proposals_window()
            .words(lcpf_domain::calendar::london_today(chrono::Utc::now())),
        window_form: match &window_refused {
            Some((form, _)) => form.clone(),
            None => lcpf_app::proposals::WindowInput {
                opens_on: view.period.proposals_open_on.clone().unwrap_or_default(),
                closes_on: view.period.proposals_close_on.clone().unwrap_or_default(),
            },
        },
        window_errors: window_refused.map(|w| w.1).unwrap_or_default(),
        budgets,
        fund: view.fund,
        period: view.period,
        can_decide: open && may(&auth.actor, Permission::DecideAllocations),
        period_total: money(period_total),
        decided_years: view.decisions.len(),
        has_budget,
        can_start_scenario,
        all_years: budgets_count,
        years,
        scenarios: view.scenarios,
        sort: q.sort,
    })
}

#[derive(Template)]
#[template(path = "funds/period_form.html")]
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
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<PeriodForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The fund")?;
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
#[template(path = "funds/budget_form.html")]
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
        co_commissioning: Some(
            current
                .map(|b| {
                    lcpf_domain::Percentage::from_basis_points(b.co_commissioning_bp as u32)
                        .to_string()
                        .trim_end_matches('%')
                        .to_string()
                })
                .unwrap_or_default(),
        ),
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
    Path((id, start)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<lcpf_app::funds::BudgetInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let year = year_from_path(&start)?;
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

/// Sets the period's proposals window from the period page's form; errors redraw the page.
pub async fn set_proposals_window(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<lcpf_app::proposals::WindowInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    match state.app.set_proposals_window(&auth.actor, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/periods/{id}#proposals-window")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            period_refused(state, auth, id, Refused::Window(form, errors)).await
        }
    }
}

/// Adds another named stream from the period page's form; errors redraw the page.
pub async fn add_stream(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<lcpf_app::funds::StreamInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    match state.app.add_stream(&auth.actor, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/periods/{id}#streams")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            period_refused(state, auth, id, Refused::Stream(form, errors)).await
        }
    }
}

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

pub async fn budgets_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let body = state.app.period_budgets_csv(&auth.actor, id).await?;
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        format!("lcpf-budgets-period-{id}.csv"),
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
