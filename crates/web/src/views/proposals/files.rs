//! A proposal as a spreadsheet: downloads (XLSX, CSV, the blank template) and import with
//! a preview that saves nothing until the officer confirms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::proposals::{ImportPreview, LineInput, ProposalView};
use serde::Deserialize;

use super::ViewQuery;
use crate::auth::{Auth, CsrfForm, CsrfUpload};
use crate::error::{parse_id, PageError};
use crate::views::field_errors;
use crate::views::{download, render, render_invalid, Layout, XLSX};
use crate::AppState;

pub async fn xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let (name, bytes) = state
        .app
        .proposal_workbook(&auth.actor, id, q.version, false)
        .await?;
    Ok(download(bytes, XLSX, name))
}

pub async fn template(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let (name, bytes) = state
        .app
        .proposal_workbook(&auth.actor, id, None, true)
        .await?;
    Ok(download(bytes, XLSX, name))
}

pub async fn csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let (name, bytes) = state.app.proposal_csv(&auth.actor, id, q.version).await?;
    Ok(download(bytes, "text/csv; charset=utf-8", name))
}

#[derive(Template)]
#[template(path = "proposals/import.html")]
struct ImportPage {
    layout: Layout,
    view: ProposalView,
    preview: Option<ImportPreview>,
    /// The previewed lines, as JSON, carried to the confirmation.
    lines_json: String,
    file_errors: Vec<String>,
    /// With file errors: the fund's rules the readable lines break, reported at the same time.
    rule_problems: Vec<String>,
}

async fn import_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    preview: Option<ImportPreview>,
    file_errors: Vec<String>,
) -> Result<ImportPage, PageError> {
    let view = state.app.proposal_to_edit(&auth.actor, id).await?;
    let lines_json = preview
        .as_ref()
        .map(|p| serde_json::to_string(&p.lines).unwrap_or_default())
        .unwrap_or_default();
    Ok(ImportPage {
        layout: Layout::new(auth, "Import lines from a spreadsheet", "proposals"),
        view,
        preview,
        lines_json,
        file_errors,
        rule_problems: Vec::new(),
    })
}

pub async fn import_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    render(&import_page(&state, &auth, id, None, Vec::new()).await?)
}

/// Step 1: reads the uploaded workbook and shows what it would become. Saves nothing.
pub async fn import_preview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    // Who may import is decided before the upload is read.
    state.app.proposal_to_edit(&auth.actor, id).await?;
    let file = match upload.read().await {
        Ok(upload) => upload.bytes("file").to_vec(),
        Err(crate::auth::UploadError::TooLarge) => {
            // The CSRF token may not have been read: show the form again, change nothing.
            let message = format!(
                "The file is larger than {}: use the template, which is far smaller",
                crate::routes::size_in_words(crate::routes::UPLOAD_BODY_LIMIT)
            );
            let page = import_page(&state, &auth, id, None, vec![message]).await?;
            let mut r = render_invalid(&page)?;
            *r.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    if file.is_empty() {
        return render_invalid(
            &import_page(
                &state,
                &auth,
                id,
                None,
                vec!["Choose the spreadsheet (.xlsx) to import".into()],
            )
            .await?,
        );
    }
    let preview = state
        .app
        .preview_proposal_import(&auth.actor, id, file)
        .await?;
    if preview.errors.is_empty() {
        render(&import_page(&state, &auth, id, Some(preview), Vec::new()).await?)
    } else {
        let mut page = import_page(&state, &auth, id, None, preview.errors).await?;
        page.rule_problems = preview.problems_located;
        render_invalid(&page)
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    lines: String,
    #[serde(default)]
    revision: String,
}

/// Step 2: the previewed lines, checked again and saved whole.
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let Ok(lines) = serde_json::from_str::<Vec<LineInput>>(&form.lines) else {
        return render_invalid(
            &import_page(
                &state,
                &auth,
                id,
                None,
                vec!["The previewed lines could not be read: upload the spreadsheet again".into()],
            )
            .await?,
        );
    };
    match state
        .app
        .replace_lines(
            &auth.actor,
            id,
            &lines,
            "Imported from a spreadsheet",
            super::form_revision(&form.revision),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/proposals/{id}?saved=imported")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            render_invalid(&import_page(&state, &auth, id, None, errors).await?)
        }
    }
}
