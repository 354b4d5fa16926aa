//! Importing indicator data: upload, preview with errors by row and column, confirm.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use lcpf_app::allocation_files::RowError;
use lcpf_domain::FieldErrors;
use serde::Deserialize;

use super::{field_errors, render, render_invalid, Layout};
use crate::auth::{check_csrf, read_form, Auth};
use crate::error::PageError;
use crate::AppState;

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    layout: Layout,
    datasets: Vec<(String, String)>,
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
#[template(path = "indicator_preview.html")]
struct PreviewPage {
    layout: Layout,
    dataset: String,
    source: String,
    csv: String,
    rows: Vec<(String, String, String)>,
}

/// Step 1: the upload, read but not saved.
pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    state.app.may_import_indicators(&auth.actor)?;
    let unreadable = || {
        PageError::BadRequest(
            "The upload could not be read. Go back and choose the file again.".into(),
        )
    };
    let (mut csrf, mut dataset, mut source, mut csv) =
        (String::new(), String::new(), String::new(), String::new());
    let mut multipart = multipart.map_err(|_| unreadable())?;
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|_| unreadable())?;
        if bytes.len() > lcpf_app::indicators::MAX_IMPORT_BYTES {
            return Err(PageError::BadRequest(
                "The file is too large: indicator files are a row per borough, well under 256 KB."
                    .into(),
            ));
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            PageError::BadRequest("The file is not text: save it from Excel as “CSV UTF-8”.".into())
        })?;
        match name.as_str() {
            "csrf_token" => csrf = text,
            "dataset" => dataset = text,
            "source" => source = text,
            "file" => csv = text,
            _ => {}
        }
    }
    check_csrf(&auth, &jar, &csrf)?;
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
                .map(|(code, v)| {
                    (
                        code.clone(),
                        names.get(code).cloned().unwrap_or_default(),
                        v.to_string(),
                    )
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
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: ConfirmForm = read_form(&auth, &jar, &body)?;
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
