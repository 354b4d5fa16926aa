//! Importing grants from before LCPF: the upload form, the preview (every mistake by row and
//! column, or what would be made, with any stated total that differs from its rows), and the
//! confirmation that makes them all at once.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::access::{authorise, Permission};
use lcpf_app::grants::import::{GrantsImportPreview, COLUMNS};
use lcpf_domain::FieldErrors;

use super::super::co_commissioning::value;
use super::super::{field_errors, render, render_invalid, Layout};
use crate::auth::{Auth, CsrfForm, CsrfUpload, UploadError};
use crate::error::PageError;
use crate::AppState;

type Pairs = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "grants/import.html")]
struct ImportPage {
    layout: Layout,
    preview: Option<GrantsImportPreview>,
    /// Problems with the file itself (none chosen, too large), or the import's refusal.
    errors: FieldErrors,
    columns: String,
    /// The periods to import into (id, "fund first to last"), and the one chosen.
    periods: Vec<(i64, String)>,
    period: i64,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    preview: Option<GrantsImportPreview>,
    errors: FieldErrors,
    period: i64,
) -> Result<ImportPage, PageError> {
    Ok(ImportPage {
        layout: Layout::new(auth, "Import grants from before LCPF", "grants"),
        preview,
        errors,
        columns: COLUMNS.join(", "),
        periods: state.app.import_periods(&auth.actor).await?,
        period,
    })
}

pub async fn form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    authorise(&auth.actor, Permission::ImportGrants)?;
    render(&page(&state, &auth, None, FieldErrors::new(), 0).await?)
}

pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    // Who may import is decided before the upload is read.
    authorise(&auth.actor, Permission::ImportGrants)?;
    let (file, period) = match upload.read().await {
        Ok(u) => (
            u.bytes("file").to_vec(),
            u.text("period").trim().parse::<i64>().unwrap_or(0),
        ),
        Err(UploadError::TooLarge) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "file",
                format!(
                    "The file is larger than {}: import it in parts",
                    crate::routes::size_in_words(crate::routes::UPLOAD_BODY_LIMIT)
                ),
            );
            let mut r = render_invalid(&page(&state, &auth, None, errors, 0).await?)?;
            *r.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    if file.is_empty() {
        return render_invalid(
            &page(
                &state,
                &auth,
                None,
                FieldErrors::single("file", "Choose the spreadsheet (.xlsx or .csv) to import"),
                period,
            )
            .await?,
        );
    }
    let preview = match state
        .app
        .preview_grants_import(&auth.actor, period, file)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            let errors = field_errors(e)?;
            return render_invalid(&page(&state, &auth, None, errors, period).await?);
        }
    };
    if preview.errors.is_empty() {
        render(&page(&state, &auth, Some(preview), FieldErrors::new(), period).await?)
    } else {
        render_invalid(&page(&state, &auth, Some(preview), FieldErrors::new(), period).await?)
    }
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let period = value(&form, "period").trim().parse::<i64>().unwrap_or(0);
    match state
        .app
        .import_grants(&auth.actor, period, &value(&form, "csv"))
        .await
    {
        Ok(_) => Ok(Redirect::to("/grants").into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&page(&state, &auth, None, errors, period).await?)
        }
    }
}
