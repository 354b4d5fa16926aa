//! Co-commissioning pages: calls, bids (lead and partner views), the assessor's queue and
//! scoring form, scores side by side with moderation, the ranking, awards, and coverage.
//! Every handler calls one `App` method; forms are read as name/value pairs and turned into
//! the app's inputs here.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::co_commissioning::*;
use lcpf_domain::FieldErrors;

use super::{download, field_errors, filters, render, render_invalid, Layout, XLSX};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

mod bids;
pub use bids::*;

type Pairs = Vec<(String, String)>;

pub(crate) fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

pub(crate) fn values(pairs: &Pairs, name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// An option of a select or checkbox group, with whether it is chosen.
pub struct Option_ {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "co_commissioning/calls.html")]
struct CallsTemplate {
    layout: Layout,
    page: CallsPage,
}

pub async fn calls(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let page = state.app.calls_page(&auth.actor).await?;
    render(&CallsTemplate {
        layout: Layout::new(&auth, "Co-commissioning calls", "calls"),
        page,
    })
}

#[derive(Template)]
#[template(path = "co_commissioning/call_form.html")]
struct CallForm {
    layout: Layout,
    funds: Vec<Option_>,
    copy_from: Vec<Option_>,
    fields: Pairs,
    leads: Vec<Option_>,
    errors: FieldErrors,
}

impl CallForm {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn call_form_page(
    state: &AppState,
    auth: &Auth,
    fields: Pairs,
    errors: FieldErrors,
) -> Result<CallForm, PageError> {
    let (funds, calls) = state.app.call_form(&auth.actor).await?;
    let chosen_fund = value(&fields, "fund_id");
    let chosen_copy = value(&fields, "copy_questions_from");
    let leads = values(&fields, "leads");
    Ok(CallForm {
        layout: Layout::new(auth, "Open a call", "calls"),
        funds: funds
            .iter()
            .map(|f| Option_ {
                value: f.id.to_string(),
                label: f.name.clone(),
                chosen: chosen_fund == f.id.to_string(),
            })
            .collect(),
        copy_from: calls
            .iter()
            .map(|c| Option_ {
                value: c.id.to_string(),
                label: format!("{} ({})", c.name, c.fund_name),
                chosen: chosen_copy == c.id.to_string(),
            })
            .collect(),
        leads: [
            (
                "voluntary_sector",
                "A voluntary or community sector organisation",
            ),
            ("borough", "A borough"),
        ]
        .into_iter()
        .map(|(v, l)| Option_ {
            value: v.into(),
            label: l.into(),
            chosen: leads.iter().any(|x| x == v),
        })
        .collect(),
        fields,
        errors,
    })
}

pub async fn new_call(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let fields = vec![
        ("opens_time".to_string(), "09:00".to_string()),
        ("closes_time".to_string(), "12:00".to_string()),
        ("spread_margin".to_string(), "20".to_string()),
        ("leads".to_string(), "voluntary_sector".to_string()),
        ("leads".to_string(), "borough".to_string()),
    ];
    render(&call_form_page(&state, &auth, fields, FieldErrors::new()).await?)
}

fn call_input(f: &Pairs) -> CallInput {
    CallInput {
        fund_id: value(f, "fund_id").parse().unwrap_or(0),
        name: value(f, "name"),
        first_year: value(f, "first_year"),
        last_year: value(f, "last_year"),
        maximum: value(f, "maximum"),
        themes: value(f, "themes").lines().map(str::to_string).collect(),
        leads: values(f, "leads"),
        minimum_boroughs: value(f, "minimum_boroughs"),
        match_funding_required: value(f, "match_funding_required") == "yes",
        opens_on: value(f, "opens_on"),
        opens_time: value(f, "opens_time"),
        closes_on: value(f, "closes_on"),
        closes_time: value(f, "closes_time"),
        spread_margin: value(f, "spread_margin"),
        copy_questions_from: value(f, "copy_questions_from").parse().ok(),
        criteria: None,
        questions: None,
    }
}

pub async fn create_call(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    match state.app.open_call(&auth.actor, &call_input(&form)).await {
        Ok(call) => Ok(Redirect::to(&format!("/calls/{}", call.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&call_form_page(&state, &auth, form, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "co_commissioning/call.html")]
struct CallPage {
    layout: Layout,
    call: CallSummary,
    sections: Vec<QuestionSection>,
    criteria: Vec<CriterionView>,
    bids: Vec<BidRow>,
    pages: Pages,
    may_start: bool,
    may_manage: bool,
    may_rank: bool,
    not_yet_open: bool,
    errors: FieldErrors,
    fields: Pairs,
}

impl CallPage {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn call_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    fields: Pairs,
    errors: FieldErrors,
) -> Result<CallPage, PageError> {
    let page = value(&fields, "page").parse().unwrap_or(1);
    let d = state.app.call_detail(&auth.actor, id, page).await?;
    Ok(CallPage {
        layout: Layout::new(auth, &d.call.name, "calls"),
        not_yet_open: d.call.state == "not_yet_open",
        call: d.call,
        sections: d.sections,
        criteria: d.criteria,
        bids: d.bids,
        pages: d.pages,
        may_start: d.may_start,
        may_manage: d.may_manage,
        may_rank: d.may_rank,
        errors,
        fields,
    })
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<u32>,
}

impl PageQuery {
    /// The page asked for, from 1.
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }
}

pub async fn call(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let fields = vec![("page".to_string(), q.page.unwrap_or(1).to_string())];
    render(&call_page(&state, &auth, id, fields, FieldErrors::new()).await?)
}

pub async fn copy_call(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let input = CopyInput {
        name: value(&form, "name"),
        maximum: value(&form, "maximum"),
        opens_on: value(&form, "opens_on"),
        opens_time: value(&form, "opens_time"),
        closes_on: value(&form, "closes_on"),
        closes_time: value(&form, "closes_time"),
    };
    match state.app.copy_call(&auth.actor, id, &input).await {
        Ok(call) => Ok(Redirect::to(&format!("/calls/{}", call.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&call_page(&state, &auth, id, form, errors).await?)
        }
    }
}

pub async fn add_question(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let input = QuestionInput {
        key: String::new(),
        section: value(&form, "section"),
        order: None,
        prompt: value(&form, "prompt"),
        kind: value(&form, "kind"),
        max_words: value(&form, "max_words").trim().parse().ok(),
        options: value(&form, "options")
            .lines()
            .map(str::to_string)
            .collect(),
        required: value(&form, "required") == "yes",
    };
    match state
        .app
        .add_to_call(&auth.actor, id, Some(&input), None)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/calls/{id}#questions")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&call_page(&state, &auth, id, form, errors).await?)
        }
    }
}

pub async fn add_criterion(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let input = CriterionInput {
        key: String::new(),
        name: value(&form, "criterion_name"),
        kind: value(&form, "criterion_kind"),
        max: value(&form, "criterion_max").trim().parse().ok(),
        weight: value(&form, "criterion_weight").trim().parse().ok(),
    };
    match state
        .app
        .add_to_call(&auth.actor, id, None, Some(&input))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/calls/{id}#criteria")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&call_page(&state, &auth, id, form, errors).await?)
        }
    }
}

pub async fn start_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    match state
        .app
        .start_bid(&auth.actor, id, &value(&form, "title"))
        .await
    {
        Ok(bid) => Ok(Redirect::to(&format!("/bids/{bid}/edit")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&call_page(&state, &auth, id, form, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "co_commissioning/ranking.html")]
struct RankingPage {
    layout: Layout,
    ranking: RankingView,
}

pub async fn ranking(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let ranking = state.app.ranking(&auth.actor, id).await?;
    render(&RankingPage {
        layout: Layout::new(&auth, &format!("{}: ranking", ranking.call.name), "calls"),
        ranking,
    })
}

pub async fn bids_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let bytes = state.app.bids_csv(&auth.actor, id).await?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        format!("call-{id}-bids.csv"),
    ))
}

pub async fn bids_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The call")?;
    let bytes = state.app.bids_xlsx(&auth.actor, id).await?;
    Ok(download(bytes, XLSX, format!("call-{id}-bids.xlsx")))
}

#[derive(Template)]
#[template(path = "co_commissioning/coverage.html")]
struct CoveragePage {
    layout: Layout,
    coverage: Coverage,
    map: String,
}

pub async fn coverage(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let coverage = state.app.coverage(&auth.actor).await?;
    let values = coverage
        .rows
        .iter()
        .map(|r| {
            let words = format!(
                "{} service{}, {} (even shares)",
                r.services,
                if r.services == 1 { "" } else { "s" },
                r.money
            );
            (r.ons_code.clone(), (r.services as i64, words))
        })
        .collect();
    let boundaries = state.app.area_boundaries(&auth.actor).await?;
    let map = super::funds::map_from(
        &boundaries,
        &values,
        "Number of co-commissioned services in each borough",
    );
    render(&CoveragePage {
        layout: Layout::new(&auth, "Co-commissioned services across London", "calls"),
        coverage,
        map,
    })
}

pub async fn coverage_csv(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    let bytes = state.app.coverage_csv(&auth.actor).await?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        "co-commissioning-coverage.csv".into(),
    ))
}

pub async fn coverage_xlsx(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    let bytes = state.app.coverage_xlsx(&auth.actor).await?;
    Ok(download(
        bytes,
        XLSX,
        "co-commissioning-coverage.xlsx".into(),
    ))
}

#[derive(Template)]
#[template(path = "co_commissioning/queue.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
}

pub async fn queue(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let rows = state.app.assessment_queue(&auth.actor).await?;
    render(&QueuePage {
        layout: Layout::new(&auth, "Bids to assess", "assessments"),
        rows,
    })
}
