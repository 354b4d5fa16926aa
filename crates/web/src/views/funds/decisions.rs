//! Recording a decision made elsewhere (its table, checked and previewed first) and
//! amending one borough's allocation in a decided year: funder admins.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::funds::{AmendmentInput, DecisionInput, DecisionPreview};
use lcpf_app::Area;
use lcpf_domain::FieldErrors;
use lcpf_store::queries::funds::FundingPeriod;
use serde::Deserialize;

use crate::auth::{Auth, CsrfForm, CsrfUpload};
use crate::error::{parse_id, PageError};
use crate::views::{field_errors, render, render_invalid, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "funds/decisions/record.html")]
struct RecordPage {
    layout: Layout,
    period: FundingPeriod,
    /// Years of the period not yet decided.
    open_years: Vec<String>,
    form: RecordForm,
    preview: Option<DecisionPreview>,
    errors: FieldErrors,
}

/// The decision's details, as the form sends them (the confirming form adds the table).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecordForm {
    year: String,
    reference: String,
    decided_on: String,
    decision_maker: String,
    summary: String,
    stated_total: String,
    table: String,
}

impl RecordForm {
    fn decision(&self) -> DecisionInput {
        DecisionInput {
            reference: self.reference.clone(),
            decided_on: self.decided_on.clone(),
            decision_maker: self.decision_maker.clone(),
            summary: self.summary.clone(),
            stated_total: self.stated_total.clone(),
            // Figures recorded here are from the decision itself.
            illustrative_areas: Vec::new(),
        }
    }
}

async fn record_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    form: RecordForm,
    preview: Option<DecisionPreview>,
    errors: FieldErrors,
) -> Result<RecordPage, PageError> {
    let years = state.app.undecided_years(&auth.actor, id).await?;
    let view = state.app.period(&auth.actor, id).await?;
    Ok(RecordPage {
        layout: Layout::new(auth, "Record a decision made elsewhere", "funds"),
        period: view.period,
        open_years: years,
        form,
        preview,
        errors,
    })
}

pub async fn record_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    state.app.may_record_decisions(&auth.actor)?;
    render(
        &record_page(
            &state,
            &auth,
            id,
            RecordForm::default(),
            None,
            FieldErrors::new(),
        )
        .await?,
    )
}

/// Step 1: the uploaded table read and checked; nothing saved.
pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    state.app.may_record_decisions(&auth.actor)?;
    let upload = upload.read().await?;
    let form = RecordForm {
        year: upload.text("year"),
        reference: upload.text("reference"),
        decided_on: upload.text("decided_on"),
        decision_maker: upload.text("decision_maker"),
        summary: upload.text("summary"),
        stated_total: upload.text("stated_total"),
        table: String::new(),
    };
    let file = upload.bytes("file").to_vec();
    if file.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add(
            "file",
            "Choose the decision's table: a CSV or Excel file with the header area,amount",
        );
        return render_invalid(&record_page(&state, &auth, id, form, None, errors).await?);
    }
    let preview = state
        .app
        .preview_decision_table(&auth.actor, id, &form.year, &form.stated_total, file)
        .await?;
    let page = record_page(&state, &auth, id, form, Some(preview), FieldErrors::new()).await?;
    match &page.preview {
        Some(p) if !p.errors.is_empty() => render_invalid(&page),
        _ => render(&page),
    }
}

/// Step 2: the previewed table read again and recorded, with the decision.
pub async fn record(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RecordForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    match state
        .app
        .record_decision_table(&auth.actor, id, &form.year, &form.decision(), &form.table)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/periods/{id}?recorded={}", form.year)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&record_page(&state, &auth, id, form, None, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "funds/decisions/amend.html")]
struct AmendPage {
    layout: Layout,
    period: FundingPeriod,
    decided_years: Vec<String>,
    boroughs: Vec<Area>,
    form: AmendmentInput,
    errors: FieldErrors,
}

async fn amend_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    form: AmendmentInput,
    errors: FieldErrors,
) -> Result<AmendPage, PageError> {
    state.app.may_record_decisions(&auth.actor)?;
    let view = state.app.period(&auth.actor, id).await?;
    let boroughs = state.app.areas_taking_part(&auth.actor).await?;
    Ok(AmendPage {
        layout: Layout::new(auth, "Amend a borough's allocation", "funds"),
        decided_years: view.decisions.iter().map(|d| d.year.clone()).collect(),
        period: view.period,
        boroughs,
        form,
        errors,
    })
}

pub async fn amend_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    render(
        &amend_page(
            &state,
            &auth,
            id,
            AmendmentInput::default(),
            FieldErrors::new(),
        )
        .await?,
    )
}

pub async fn amend(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AmendmentInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    match state.app.amend_allocation(&auth.actor, id, &form).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/periods/{id}?amended={}#amendments", form.year))
                .into_response(),
        ),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&amend_page(&state, &auth, id, form, errors).await?)
        }
    }
}
