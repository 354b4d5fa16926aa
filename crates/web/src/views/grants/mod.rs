//! Grant pages: the list, the agreement (printable, with its profile, timeline and actions),
//! and the variation form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::co_commissioning::Pages;
use lcpf_app::grants::*;
use lcpf_domain::grant::workflow::GrantEvent;
use lcpf_domain::FieldErrors;

use super::co_commissioning::{value, PageQuery};
use super::{field_errors, filters, render, render_invalid, Layout};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

pub mod claims;
pub mod import;
pub mod payments;
pub mod schedule;

pub(super) type Pairs = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "grants/list.html")]
struct ListPage {
    layout: Layout,
    page: GrantsPage,
    pages: Pages,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    auth: &Auth,
    page: u32,
    errors: FieldErrors,
) -> Result<ListPage, PageError> {
    let page = state.app.grants_page(&auth.actor, page).await?;
    Ok(ListPage {
        layout: Layout::new(auth, "Grants", "grants"),
        pages: page.pages,
        page,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    render(&list_page(&state, &auth, q.page(), FieldErrors::new()).await?)
}

pub async fn make(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let chosen = value(&form, "source");
    let (source, id) = chosen.split_once(':').unwrap_or(("", ""));
    let input = MakeGrant {
        source: source.to_string(),
        id: id.parse().unwrap_or(0),
        conditions: value(&form, "conditions"),
    };
    match state.app.make_grant(&auth.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/grants/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&list_page(&state, &auth, 1, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "grants/grant.html")]
pub(super) struct GrantPage {
    layout: Layout,
    grant: GrantView,
    errors: FieldErrors,
    fields: Pairs,
}

impl GrantPage {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }

    /// The problem with a milestone's report or return, beside its own form.
    fn milestone_error(&self, id: &i64) -> Option<&str> {
        self.errors.for_field(&format!("milestone_{id}"))
    }

    /// A milestone's report as typed when refused.
    fn milestone_text(&self, id: &i64) -> String {
        self.field(&format!("milestone_{id}"))
    }

    /// The cost centre as typed when refused, else the grant's.
    fn cost_centre_shown(&self) -> String {
        match self.field("cost_centre") {
            t if t.is_empty() => self.grant.cost_centre.clone(),
            t => t,
        }
    }
}

pub(super) async fn grant_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    fields: Pairs,
    errors: FieldErrors,
) -> Result<GrantPage, PageError> {
    let grant = state.app.grant(&auth.actor, id).await?;
    Ok(GrantPage {
        layout: Layout::new(auth, &grant.reference, "grants"),
        grant,
        errors,
        fields,
    })
}

/// Back to the grant's page at `anchor`, or the page again with the app's problems named for
/// the grant page's fields (`rename` maps the app's field to the page's).
pub(super) async fn back_to_grant(
    state: &AppState,
    auth: &Auth,
    id: i64,
    anchor: &str,
    form: Pairs,
    result: Result<(), lcpf_app::AppError>,
    rename: impl Fn(&str) -> String,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&match anchor {
            "" => format!("/grants/{id}"),
            a => format!("/grants/{id}#{a}"),
        })
        .into_response()),
        Err(e) => {
            let mut errors = FieldErrors::new();
            for f in field_errors(e)?.iter() {
                errors.add(&rename(&f.field), f.message.clone());
            }
            render_invalid(&grant_page(state, auth, id, form, errors).await?)
        }
    }
}

/// A form whose fields the app names as the grant page does.
pub(super) fn same(field: &str) -> String {
    field.to_string()
}

/// The grant agreement as a Word document, for whoever may read the grant's page.
pub async fn agreement(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let file = state.app.grant_agreement(&auth.actor, id).await?;
    Ok(super::download(file.bytes, super::DOCX, file.name))
}

pub async fn grant(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    render(&grant_page(&state, &auth, id, Vec::new(), FieldErrors::new()).await?)
}

async fn step(
    state: AppState,
    auth: Auth,
    id: String,
    event: GrantEvent,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let result = state
        .app
        .grant_step(&auth.actor, id, event)
        .await
        .map(|_| ());
    back_to_grant(&state, &auth, id, "", Vec::new(), result, same).await
}

pub async fn offer(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, GrantEvent::Offer).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, GrantEvent::Withdraw).await
}

pub async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, GrantEvent::Accept).await
}

pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    step(state, auth, id, GrantEvent::Start).await
}

pub async fn confirm(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let input = ConfirmInput {
        year: value(&form, "year"),
        decision_reference: value(&form, "decision_reference"),
        decided_on: value(&form, "decided_on"),
    };
    let result = state.app.confirm_grant_year(&auth.actor, id, &input).await;
    back_to_grant(&state, &auth, id, "", form, result, same).await
}

#[derive(Template)]
#[template(path = "grants/variation.html")]
struct VariationPage {
    layout: Layout,
    grant: GrantView,
    rows: Vec<VariationRow>,
    fields: Pairs,
    errors: FieldErrors,
}

impl VariationPage {
    fn field(&self, name: &str) -> String {
        value(&self.fields, name)
    }
}

async fn variation_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    typed: Option<Pairs>,
    errors: FieldErrors,
) -> Result<VariationPage, PageError> {
    let grant = state.app.grant_to_vary(&auth.actor, id).await?;
    let mut rows = variation_rows(&grant);
    let fields = typed.unwrap_or_default();
    // What was typed is shown again when the form is refused.
    for cell in rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
        if let Some((_, v)) = fields
            .iter()
            .find(|(k, _)| *k == format!("{}-revenue", cell.field))
        {
            cell.revenue = v.clone();
        }
        if let Some((_, v)) = fields
            .iter()
            .find(|(k, _)| *k == format!("{}-capital", cell.field))
        {
            cell.capital = v.clone();
        }
    }
    Ok(VariationPage {
        layout: Layout::new(auth, &format!("Vary {}", grant.reference), "grants"),
        grant,
        rows,
        fields,
        errors,
    })
}

pub async fn variation_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    render(&variation_page(&state, &auth, id, None, FieldErrors::new()).await?)
}

pub async fn vary(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    // Fields are `project-{key}-{year}-revenue` and `…-capital`.
    let mut projects: BTreeMap<i64, BTreeMap<String, AmountsInput>> = BTreeMap::new();
    for (k, v) in &form {
        let Some(rest) = k.strip_prefix("project-") else {
            continue;
        };
        let Some((key, rest)) = rest.split_once('-') else {
            continue;
        };
        let Ok(key) = key.parse::<i64>() else {
            continue;
        };
        let (year, part) = match rest.rsplit_once('-') {
            Some((y, p)) => (y.to_string(), p),
            None => continue,
        };
        let amounts = projects.entry(key).or_default().entry(year).or_default();
        match part {
            "revenue" => amounts.revenue = v.clone(),
            "capital" => amounts.capital = v.clone(),
            _ => {}
        }
    }
    let input = VariationInput {
        reason: value(&form, "reason"),
        varied_on: value(&form, "varied_on"),
        projects,
    };
    match state.app.vary_grant(&auth.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/grants/{id}#variations")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&variation_page(&state, &auth, id, Some(form), errors).await?)
        }
    }
}

/// Closes a funding period (funder admin): its grants' unspent money returns to the fund.
#[derive(Template)]
#[template(path = "grants/close_period.html")]
struct ClosePeriodPage {
    layout: Layout,
    preview: lcpf_app::grants::closeout::CloseOutPreview,
}

/// Closing a period, checked first: what each grant returns and to recover, with a warning
/// for grants with no payment recorded, before the button that closes it for good.
pub async fn close_period_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let preview = state.app.closeout_preview(&auth.actor, id).await?;
    render(&ClosePeriodPage {
        layout: Layout::new(&auth, &format!("Close {}", preview.years), "funds"),
        preview,
    })
}

pub async fn close_period(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    state.app.close_period(&auth.actor, id).await?;
    Ok(Redirect::to(&format!("/periods/{id}#close-out")).into_response())
}

#[derive(Template)]
#[template(path = "grants/spend.html")]
struct SpendPage {
    layout: Layout,
    report: lcpf_app::grants::spend::SpendReport,
    pages: Pages,
}

/// Spend across the grants the reader may see, with London's (or their own) totals.
pub async fn spend(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let report = state.app.spend_report(&auth.actor, q.page()).await?;
    render(&SpendPage {
        layout: Layout::new(&auth, "Spend against profile", "grants"),
        pages: report.pages,
        report,
    })
}

/// Records a partner's onward funding for a year (the lead's officers or funder staff).
pub async fn onward(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let input = lcpf_app::grants::onward::OnwardInput {
        organisation_id: value(&form, "organisation_id").parse().unwrap_or(0),
        year: value(&form, "onward_year"),
        amount: value(&form, "onward_amount"),
        note: value(&form, "onward_note"),
    };
    let result = state
        .app
        .record_onward_funding(&auth.actor, id, &input)
        .await;
    // The form's fields are named for the grant page, beside its other forms.
    back_to_grant(&state, &auth, id, "onward", form, result, |f| match f {
        "year" | "amount" | "note" => format!("onward_{f}"),
        other => other.to_string(),
    })
    .await
}

/// Sets where finance books a grant's payments (funder staff).
pub async fn cost_centre(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let result = state
        .app
        .set_cost_centre(&auth.actor, id, &value(&form, "cost_centre"))
        .await;
    back_to_grant(&state, &auth, id, "", form, result, same).await
}
