//! The form for one proposal line (repeating tables for providers, partners and SMART
//! outcomes, a cost per year of the period), the borough's local themes, and the fund's cap
//! on lines.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::proposals::{
    ContributorInput, LineInput, LineYearInput, ProposalView, SmartOutcomeInput,
};
use lcpf_domain::FieldErrors;
use serde::Deserialize;

use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::views::{field_errors, render, render_invalid, Layout};
use crate::AppState;

/// Blank rows offered for each repeating table, so no JavaScript is needed to add one.
const SPARE_ROWS: usize = 2;

#[derive(Template)]
#[template(path = "proposals/line_form.html")]
struct LineFormPage {
    layout: Layout,
    view: ProposalView,
    line_id: Option<i64>,
    input: LineInput,
    years: Vec<String>,
    errors: FieldErrors,
}

impl LineFormPage {
    fn has(&self, list: &[String], value: &str) -> bool {
        list.iter().any(|v| v == value)
    }
    fn category(&self, i: &usize) -> &str {
        self.input
            .categories
            .get(*i)
            .map(String::as_str)
            .unwrap_or("")
    }
    fn amount(&self, c: &ContributorInput, year: &str) -> String {
        c.amounts.get(year).cloned().unwrap_or_default()
    }
    fn action(&self) -> String {
        match self.line_id {
            Some(id) => format!("/proposals/{}/lines/{id}", self.view.proposal.id),
            None => format!("/proposals/{}/lines", self.view.proposal.id),
        }
    }
}

fn padded(mut input: LineInput, years: &[String]) -> LineInput {
    input
        .providers
        .extend((0..SPARE_ROWS).map(|_| ContributorInput::default()));
    input
        .partners
        .extend((0..SPARE_ROWS).map(|_| ContributorInput::default()));
    input
        .smart_outcomes
        .extend((0..SPARE_ROWS).map(|_| SmartOutcomeInput::default()));
    if input.years.is_empty() {
        input.years = years
            .iter()
            .map(|y| LineYearInput {
                year: y.clone(),
                ..Default::default()
            })
            .collect();
    }
    input
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    proposal_id: i64,
    line_id: Option<i64>,
    input: Option<LineInput>,
    errors: FieldErrors,
) -> Result<LineFormPage, PageError> {
    let view = state.app.proposal_to_edit(&auth.actor, proposal_id).await?;
    let years: Vec<String> = view.years.iter().map(|y| y.to_string()).collect();
    let input = match (input, line_id) {
        (Some(i), _) => i,
        (None, Some(id)) => {
            let line = view
                .lines
                .iter()
                .find(|s| s.id == id)
                .map(|s| &s.line)
                .ok_or_else(|| PageError::App(lcpf_app::AppError::NotFound("The line".into())))?;
            LineInput::from_line(line)
        }
        (None, None) => LineInput::default(),
    };
    let title = if line_id.is_some() {
        "Change a line"
    } else {
        "Add a line"
    };
    Ok(LineFormPage {
        layout: Layout::new(auth, title, "proposals"),
        input: padded(input, &years),
        years,
        view,
        line_id,
        errors,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    render(&form_page(&state, &auth, id, None, None, FieldErrors::new()).await?)
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, line)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let line = parse_id(&line, "The line")?;
    render(&form_page(&state, &auth, id, Some(line), None, FieldErrors::new()).await?)
}

/// Builds the line from the form's flat fields (`years[0].cost`, `providers[1].amounts[0]`…).
fn line_from_pairs(pairs: &[(String, String)], years: &[String]) -> LineInput {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |k: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let count = |prefix: &str| {
        (0..100)
            .take_while(|i| {
                pairs
                    .iter()
                    .any(|(n, _)| n.starts_with(&format!("{prefix}[{i}]")))
            })
            .count()
    };
    let amounts = |prefix: String| {
        years
            .iter()
            .enumerate()
            .map(|(j, y)| (y.clone(), get(&format!("{prefix}.amounts[{j}]"))))
            .filter(|(_, a)| !a.trim().is_empty())
            .collect()
    };
    LineInput {
        key: String::new(),
        number: get("number"),
        title: get("title"),
        outcome: get("outcome"),
        themes: all("themes"),
        activity: get("activity"),
        priority: get("priority"),
        links: all("links"),
        categories: (0..3).map(|i| get(&format!("categories[{i}]"))).collect(),
        years: years
            .iter()
            .enumerate()
            .map(|(i, y)| LineYearInput {
                year: y.clone(),
                cost: get(&format!("years[{i}].cost")),
                local_authority: get(&format!("years[{i}].local_authority")),
                local_authority_in_kind: get(&format!("years[{i}].local_authority_in_kind")),
            })
            .collect(),
        providers: (0..count("providers"))
            .map(|i| ContributorInput {
                name: get(&format!("providers[{i}].name")),
                voluntary_sector: get(&format!("providers[{i}].voluntary_sector")) == "yes",
                amounts: amounts(format!("providers[{i}]")),
                in_kind: String::new(),
            })
            .collect(),
        partners: (0..count("partners"))
            .map(|i| ContributorInput {
                name: get(&format!("partners[{i}].name")),
                voluntary_sector: false,
                amounts: amounts(format!("partners[{i}]")),
                in_kind: get(&format!("partners[{i}].in_kind")),
            })
            .collect(),
        smart_outcomes: (0..count("smart_outcomes"))
            .map(|i| SmartOutcomeInput {
                outcome: get(&format!("smart_outcomes[{i}].outcome")),
                measure: get(&format!("smart_outcomes[{i}].measure")),
                baseline: get(&format!("smart_outcomes[{i}].baseline")),
                target: get(&format!("smart_outcomes[{i}].target")),
            })
            .collect(),
        contract_total: get("contract_total"),
        cross_reference: get("cross_reference"),
        continues_from: get("continues_from"),
        police_posts: get("police_posts") == "yes",
    }
}

fn revision_in(pairs: &[(String, String)]) -> Option<i64> {
    pairs
        .iter()
        .find(|(k, _)| k == "revision")
        .and_then(|(_, v)| super::form_revision(v))
}

async fn save(
    state: &AppState,
    auth: &Auth,
    id: i64,
    line_id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let view = state.app.proposal_to_edit(&auth.actor, id).await?;
    let years: Vec<String> = view.years.iter().map(|y| y.to_string()).collect();
    let mut input = line_from_pairs(&pairs, &years);
    input.categories.retain(|c| !c.trim().is_empty());
    let expected = revision_in(&pairs);
    match state
        .app
        .save_line(&auth.actor, id, line_id, &input, expected)
        .await
    {
        Ok((_, problems)) => {
            let anchor = if problems.is_empty() {
                String::new()
            } else {
                "#problems".into()
            };
            Ok(Redirect::to(&format!("/proposals/{id}?saved=line{anchor}")).into_response())
        }
        Err(e) => {
            let errors = field_errors(e)?;
            let mut page = form_page(state, auth, id, line_id, Some(input), errors).await?;
            // Nothing was saved: the form stays tied to the revision it was drawn from.
            if let Some(revision) = expected {
                page.view.revision = revision;
            }
            render_invalid(&page)
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    save(&state, &auth, id, None, pairs).await
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, line)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let line = parse_id(&line, "The line")?;
    save(&state, &auth, id, Some(line), pairs).await
}

#[derive(Template)]
#[template(path = "proposals/remove_line.html")]
struct RemoveLinePage {
    layout: Layout,
    view: ProposalView,
    line_id: i64,
    number: String,
    title: String,
    cost: String,
}

/// `GET …/lines/{line}/delete`: asks before a line is removed.
pub async fn confirm_delete(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, line)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let line = parse_id(&line, "The line")?;
    render(&remove_line_page(&state, &auth, id, line).await?)
}

async fn remove_line_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    line_id: i64,
) -> Result<RemoveLinePage, PageError> {
    let view = state.app.proposal_to_edit(&auth.actor, id).await?;
    let shown = view
        .lines
        .iter()
        .find(|s| s.id == line_id)
        .ok_or_else(|| PageError::App(lcpf_app::AppError::NotFound("The line".into())))?;
    let (number, title, cost) = (
        shown.line.number.to_string(),
        shown.line.title.clone(),
        shown.line.cost().to_string(),
    );
    Ok(RemoveLinePage {
        layout: Layout::new(auth, &format!("Remove line {number}"), "proposals"),
        view,
        line_id,
        number,
        title,
        cost,
    })
}

/// `POST …/lines/{line}/delete`: removes the line once the person has said yes on the
/// confirmation page; without that answer, the question is asked.
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, line)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let line = parse_id(&line, "The line")?;
    if !pairs.iter().any(|(k, v)| k == "confirm" && v == "yes") {
        return render(&remove_line_page(&state, &auth, id, line).await?);
    }
    state
        .app
        .delete_line(&auth.actor, id, line, revision_in(&pairs))
        .await?;
    Ok(Redirect::to(&format!("/proposals/{id}?saved=deleted")).into_response())
}

#[derive(Template)]
#[template(path = "proposals/themes_form.html")]
struct ThemesPage {
    layout: Layout,
    organisation_id: i64,
    themes: String,
    errors: FieldErrors,
}

pub async fn themes_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    let themes = state
        .app
        .local_themes_to_edit(&auth.actor, id)
        .await?
        .join("\n");
    render(&ThemesPage {
        layout: Layout::new(&auth, "Local themes", "proposals"),
        organisation_id: id,
        themes,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct ThemesForm {
    #[serde(default)]
    themes: String,
}

pub async fn set_themes(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ThemesForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    match state
        .app
        .set_local_themes(&auth.actor, id, &form.themes)
        .await
    {
        Ok(_) => Ok(Redirect::to("/proposals").into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&ThemesPage {
                layout: Layout::new(&auth, "Local themes", "proposals"),
                organisation_id: id,
                themes: form.themes,
                errors,
            })
        }
    }
}

#[derive(Deserialize)]
pub struct MaxLinesForm {
    #[serde(default)]
    max_lines: String,
}

/// Sets the fund's cap on lines per borough proposal.
pub async fn set_max_lines(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<MaxLinesForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The fund")?;
    state
        .app
        .set_max_lines(&auth.actor, id, &form.max_lines)
        .await?;
    Ok(Redirect::to("/funds").into_response())
}
