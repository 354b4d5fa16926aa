//! Importing indicator data: upload, preview with errors by row and column, confirm.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::allocation_files::RowError;
use lcpf_domain::FieldErrors;
use serde::Deserialize;

use crate::auth::{Auth, CsrfForm, CsrfUpload};
use crate::error::PageError;
use crate::views::{field_errors, render, render_invalid, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "funds/indicators.html")]
struct IndicatorsPage {
    layout: Layout,
    datasets: Vec<lcpf_app::funds::IndicatorDatasetSummary>,
    imported: String,
    dataset: String,
    source: String,
    errors: FieldErrors,
    row_errors: Vec<RowError>,
}

#[derive(Deserialize)]
pub struct Imported {
    #[serde(default)]
    imported: String,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    imported: String,
    dataset: String,
    source: String,
    errors: FieldErrors,
    row_errors: Vec<RowError>,
) -> Result<IndicatorsPage, PageError> {
    let datasets = state.app.indicator_datasets(&auth.actor).await?;
    Ok(IndicatorsPage {
        layout: Layout::new(auth, "Indicator data", "funds"),
        datasets,
        imported,
        dataset,
        source,
        errors,
        row_errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<Imported>,
) -> Result<Response, PageError> {
    render(
        &page(
            &state,
            &auth,
            q.imported,
            String::new(),
            String::new(),
            FieldErrors::new(),
            Vec::new(),
        )
        .await?,
    )
}

#[derive(Template)]
#[template(path = "funds/indicator_preview.html")]
struct PreviewPage {
    layout: Layout,
    dataset: String,
    source: String,
    csv: String,
    rows: Vec<PreviewRow>,
}

/// One borough's value as the import would record it.
struct PreviewRow {
    code: String,
    name: String,
    value: String,
}

/// Step 1: the upload, read but not saved.
pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    state.app.may_import_indicators(&auth.actor)?;
    let upload = upload.read().await?;
    let file = upload.bytes("file");
    if file.len() > lcpf_app::indicators::MAX_IMPORT_BYTES {
        return Err(PageError::BadRequest(
            "The file is too large: indicator files are a row per borough, well under 256 KB."
                .into(),
        ));
    }
    let (dataset, source) = (upload.text("dataset"), upload.text("source"));
    let csv = lcpf_app::text::spreadsheet_text(file);
    match state
        .app
        .preview_indicator_import(&auth.actor, &dataset, &source, &csv)
        .await
    {
        Ok(p) if p.errors.is_empty() => {
            let names: std::collections::HashMap<String, String> = state
                .app
                .list_areas(&auth.actor)
                .await?
                .into_iter()
                .map(|a| (a.ons_code, a.name))
                .collect();
            let rows = p
                .rows
                .iter()
                .map(|(code, v)| PreviewRow {
                    code: code.clone(),
                    name: names.get(code).cloned().unwrap_or_default(),
                    value: v.to_string(),
                })
                .collect();
            render(&PreviewPage {
                layout: Layout::new(&auth, "Check the import", "funds"),
                dataset: p.dataset,
                source: p.source,
                csv,
                rows,
            })
        }
        Ok(p) => render_invalid(
            &page(
                &state,
                &auth,
                String::new(),
                dataset,
                source,
                FieldErrors::new(),
                p.errors,
            )
            .await?,
        ),
        Err(e) => render_invalid(
            &page(
                &state,
                &auth,
                String::new(),
                dataset,
                source,
                field_errors(e)?,
                Vec::new(),
            )
            .await?,
        ),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    dataset: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    csv: String,
}

/// Step 2: the same text, checked again and saved whole.
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, PageError> {
    match state
        .app
        .import_indicator_dataset(&auth.actor, &form.dataset, &form.source, &form.csv)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!(
            "/indicators?imported={}",
            serde_urlencoded::to_string([("x", p.dataset.as_str())])
                .unwrap_or_default()
                .trim_start_matches("x=")
        ))
        .into_response()),
        Err(e) => render_invalid(
            &page(
                &state,
                &auth,
                String::new(),
                form.dataset,
                form.source,
                field_errors(e)?,
                Vec::new(),
            )
            .await?,
        ),
    }
}
