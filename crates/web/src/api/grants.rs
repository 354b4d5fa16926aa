//! Grants over the API: the same use cases as the pages.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::grants::*;
use lcpf_domain::grant::workflow::GrantEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{holds, json_body_after, Problem};
use crate::auth::Auth;
use crate::error::{parse_id, ApiError};
use crate::AppState;

/// This stage's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        grants,
        make,
        import,
        spend_report,
        onward,
        grant,
        offer,
        withdraw,
        accept,
        start,
        vary,
        confirm
    ),
    components(schemas(
        GrantsPage,
        GrantRow,
        SourceChoice,
        lcpf_app::co_commissioning::Pages,
        GrantView,
        ProjectView,
        ProfileCell,
        YearView,
        VariationView,
        ConfirmationView,
        MakeGrant,
        Made,
        GrantMoved,
        VariationInput,
        AmountsInput,
        ConfirmInput,
        lcpf_app::grants::import::GrantsImportPreview,
        lcpf_app::grants::import::ImportedGrant,
        lcpf_app::grants::spend::SpendReport,
        lcpf_app::grants::spend::SpendRow,
        lcpf_app::grants::onward::OnwardInput,
        lcpf_app::grants::onward::OnwardRow,
        MatchFundingView,
        Imported
    ))
)]
pub struct GrantsApi;

#[derive(Debug, Serialize, ToSchema)]
pub struct Made {
    /// The new grant's stable key.
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantMoved {
    pub state: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// The page, from 1 (50 a page).
    #[serde(default)]
    page: Option<u32>,
}

/// A page of grants: every grant for funder staff, a recipient's own for its officers.
#[utoipa::path(get, path = "/api/v1/grants", params(PageParams), responses((status = 200, body = GrantsPage)))]
pub async fn grants(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageParams>,
) -> Result<Json<GrantsPage>, ApiError> {
    Ok(Json(
        state
            .app
            .grants_page(&auth.actor, q.page.unwrap_or(1).max(1))
            .await?,
    ))
}

/// Makes a grant from an approved proposal (`source`: `proposal`, `id`: the proposal) or a
/// co-commissioning award (`award`, the award's id) (funder staff).
#[utoipa::path(post, path = "/api/v1/grants", request_body = MakeGrant, responses((status = 201, body = Made), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn make(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: MakeGrant =
        json_body_after(&body, holds(&auth.actor, Permission::ManageGrants)).await?;
    let id = state.app.make_grant(&auth.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(Made { id })).into_response())
}

/// A grant: funder staff and the recipient's own officers.
#[utoipa::path(get, path = "/api/v1/grants/{id}", params(("id" = i64, Path)), responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn grant(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<GrantView>, ApiError> {
    let id = parse_id(&id, "The grant")?;
    Ok(Json(state.app.grant(&auth.actor, id).await?))
}

async fn step(
    state: AppState,
    auth: Auth,
    id: String,
    event: GrantEvent,
) -> Result<Json<GrantMoved>, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let to = state.app.grant_step(&auth.actor, id, event).await?;
    Ok(Json(GrantMoved {
        state: to.as_str().into(),
    }))
}

/// Offers a drafted grant to its recipient (funder staff).
#[utoipa::path(post, path = "/api/v1/grants/{id}/offer", params(("id" = i64, Path)), responses((status = 200, body = GrantMoved), (status = 403, body = Problem)))]
pub async fn offer(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<GrantMoved>, ApiError> {
    step(state, auth, id, GrantEvent::Offer).await
}

/// Takes an offer back to change it (funder staff).
#[utoipa::path(post, path = "/api/v1/grants/{id}/withdraw", params(("id" = i64, Path)), responses((status = 200, body = GrantMoved), (status = 403, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<GrantMoved>, ApiError> {
    step(state, auth, id, GrantEvent::Withdraw).await
}

/// Accepts an offered grant: the recipient officer's signature.
#[utoipa::path(post, path = "/api/v1/grants/{id}/accept", params(("id" = i64, Path)), responses((status = 200, body = GrantMoved), (status = 403, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<GrantMoved>, ApiError> {
    step(state, auth, id, GrantEvent::Accept).await
}

/// Starts an accepted grant (funder staff).
#[utoipa::path(post, path = "/api/v1/grants/{id}/start", params(("id" = i64, Path)), responses((status = 200, body = GrantMoved), (status = 403, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<GrantMoved>, ApiError> {
    step(state, auth, id, GrantEvent::Start).await
}

/// Varies a signed grant with a reason (funder admin): each project's money per year as it
/// will be. Returns the variation's number.
#[utoipa::path(post, path = "/api/v1/grants/{id}/variations", params(("id" = i64, Path)), request_body = VariationInput, responses((status = 201, body = i64), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn vary(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let input: VariationInput =
        json_body_after(&body, holds(&auth.actor, Permission::ApproveGrantChanges)).await?;
    let number = state.app.vary_grant(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(number)).into_response())
}

/// Confirms a provisional year by a recorded decision (funder admin).
#[utoipa::path(post, path = "/api/v1/grants/{id}/confirmations", params(("id" = i64, Path)), request_body = ConfirmInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn confirm(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let input: ConfirmInput =
        json_body_after(&body, holds(&auth.actor, Permission::ApproveGrantChanges)).await?;
    state
        .app
        .confirm_grant_year(&auth.actor, id, &input)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// The new grants' stable keys.
    pub ids: Vec<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// `true`: say what the file would become, and save nothing.
    #[serde(default)]
    preview: bool,
    /// The funding period the grants belong to and close with (its id); required.
    period: Option<i64>,
}

/// Imports grants from before LCPF (funder admin): the body is the spreadsheet itself (.xlsx
/// or CSV, one row per project per year). All or nothing: any problem refuses the whole file
/// with every problem by row and column. `?preview=true` saves nothing and says what it would
/// become. `?period=` names the funding period they are imported into: their years must lie
/// within it, it must not be closed, and a borough's grants in it stay within its allocation.
#[utoipa::path(post, path = "/api/v1/grants/import", params(ImportParams), request_body(content = String, content_type = "text/csv"), responses((status = 201, body = Imported), (status = 200, body = lcpf_app::grants::import::GrantsImportPreview), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ImportParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let preview = state
        .app
        .preview_grants_import(&auth.actor, q.period.unwrap_or(0), body.to_vec())
        .await?;
    if q.preview {
        return Ok(Json(preview).into_response());
    }
    if !preview.errors.is_empty() {
        let mut e = lcpf_domain::FieldErrors::new();
        for m in preview.errors {
            e.add("file", m);
        }
        return Err(lcpf_app::AppError::Invalid(e).into());
    }
    let ids = state
        .app
        .import_grants(&auth.actor, preview.period_id, &preview.csv)
        .await?;
    Ok((StatusCode::CREATED, Json(Imported { ids })).into_response())
}

/// Spend across grants: each grant's envelope, profile, claimed, paid and forecast underspend,
/// with London's totals for funder staff, or a recipient's own for its officers.
#[utoipa::path(get, path = "/api/v1/grants/spend", params(PageParams), responses((status = 200, body = lcpf_app::grants::spend::SpendReport)))]
pub async fn spend_report(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageParams>,
) -> Result<Json<lcpf_app::grants::spend::SpendReport>, ApiError> {
    Ok(Json(
        state
            .app
            .spend_report(&auth.actor, q.page.unwrap_or(1).max(1))
            .await?,
    ))
}

/// Records a partner's onward funding for a year on an award's grant (the lead's own officers
/// or funder staff); no amount removes it. A year's onward funding never passes the grant's
/// money for the year.
#[utoipa::path(post, path = "/api/v1/grants/{id}/onward-funding", params(("id" = i64, Path)), request_body = lcpf_app::grants::onward::OnwardInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn onward(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let may = async { state.app.grant(&auth.actor, id).await.map(|_| ()) };
    let input: lcpf_app::grants::onward::OnwardInput = json_body_after(&body, may).await?;
    state
        .app
        .record_onward_funding(&auth.actor, id, &input)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
