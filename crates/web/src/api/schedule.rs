//! How a grant is paid, over the API: its schedule, its milestones and their workflow, and a
//! quarter's advance. The same use cases as the grant's page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::grants::payments::PaymentRow;
use lcpf_app::grants::schedule::*;
use lcpf_domain::grant::milestone::MilestoneEvent;
use serde::Serialize;
use utoipa::ToSchema;

use super::{holds, json_body_after, Problem};
use crate::auth::Auth;
use crate::error::{parse_id, ApiError};
use crate::AppState;

/// This stage's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        schedule,
        add_milestone,
        remove_milestone,
        report_milestone,
        return_milestone,
        confirm_milestone,
        advance
    ),
    components(schemas(
        ScheduleInput,
        MilestoneInput,
        MilestoneStepInput,
        AdvanceInput,
        MilestoneAdded,
        MilestoneMoved,
        PaymentPlan,
        ScheduleChoice,
        MilestoneView,
        MilestoneYear,
        NextAdvance
    ))
)]
pub struct ScheduleApi;

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneAdded {
    /// The milestone's stable key.
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneMoved {
    /// `planned`, `reported` or `met`.
    pub state: String,
}

fn ids(id: &str, milestone: &str) -> Result<(i64, i64), ApiError> {
    Ok((
        parse_id(id, "The grant")?,
        parse_id(milestone, "The milestone")?,
    ))
}

/// Sets how a drafted grant is paid (funder staff): `quarterly_in_arrears`,
/// `quarterly_in_advance` or `milestones`.
#[utoipa::path(put, path = "/api/v1/grants/{id}/schedule", params(("id" = i64, Path)), request_body = ScheduleInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn schedule(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let input: ScheduleInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageGrants)).await?;
    state.app.set_schedule(&auth.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Adds a milestone to a drafted grant paid on milestones (funder staff): what, the year,
/// when it is due (in that year) and what is paid. A year's milestones never pass its profile.
#[utoipa::path(post, path = "/api/v1/grants/{id}/milestones", params(("id" = i64, Path)), request_body = MilestoneInput, responses((status = 201, body = MilestoneAdded), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let input: MilestoneInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageGrants)).await?;
    let added = state.app.add_milestone(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(MilestoneAdded { id: added })).into_response())
}

/// Removes a planned milestone from a drafted grant (funder staff).
#[utoipa::path(post, path = "/api/v1/grants/{id}/milestones/{milestone}/remove", params(("id" = i64, Path), ("milestone" = i64, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, milestone)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (id, milestone) = ids(&id, &milestone)?;
    state
        .app
        .remove_milestone(&auth.actor, id, milestone)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn step(
    state: AppState,
    auth: Auth,
    (id, milestone): (String, String),
    body: Bytes,
    event: MilestoneEvent,
) -> Result<Json<MilestoneMoved>, ApiError> {
    let (id, milestone) = ids(&id, &milestone)?;
    let input: MilestoneStepInput = if body.is_empty() {
        MilestoneStepInput::default()
    } else {
        let may = async {
            match event {
                MilestoneEvent::Report => state.app.grant(&auth.actor, id).await.map(|_| ()),
                _ => holds(&auth.actor, Permission::ReviewClaims).await,
            }
        };
        json_body_after(&body, may).await?
    };
    let to = state
        .app
        .milestone_step(&auth.actor, id, milestone, event, &input)
        .await?;
    Ok(Json(MilestoneMoved {
        state: to.as_str().into(),
    }))
}

/// Reports a milestone met (the recipient's officers): `text` says what shows it.
#[utoipa::path(post, path = "/api/v1/grants/{id}/milestones/{milestone}/report", params(("id" = i64, Path), ("milestone" = i64, Path)), request_body = MilestoneStepInput, responses((status = 200, body = MilestoneMoved), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<MilestoneMoved>, ApiError> {
    step(state, auth, path, body, MilestoneEvent::Report).await
}

/// Returns a reported milestone (funder staff): `text` says what to put right.
#[utoipa::path(post, path = "/api/v1/grants/{id}/milestones/{milestone}/return", params(("id" = i64, Path), ("milestone" = i64, Path)), request_body = MilestoneStepInput, responses((status = 200, body = MilestoneMoved), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn return_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<MilestoneMoved>, ApiError> {
    step(state, auth, path, body, MilestoneEvent::Return).await
}

/// Confirms a reported milestone met (funder staff): its payment request follows, never past
/// what is left of the year's firm profile. Confirmed once: a repeat is refused.
#[utoipa::path(post, path = "/api/v1/grants/{id}/milestones/{milestone}/confirm", params(("id" = i64, Path), ("milestone" = i64, Path)), responses((status = 200, body = MilestoneMoved), (status = 403, body = Problem)))]
pub async fn confirm_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<MilestoneMoved>, ApiError> {
    step(state, auth, path, body, MilestoneEvent::Confirm).await
}

/// Requests a quarter's advance on a live grant paid in advance (funder staff), from the
/// quarter's first day, quarters in order. The same quarter again returns the advance already
/// requested: a retry requests it once.
#[utoipa::path(post, path = "/api/v1/grants/{id}/advances", params(("id" = i64, Path)), request_body = AdvanceInput, responses((status = 200, body = PaymentRow), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn advance(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PaymentRow>, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let input: AdvanceInput =
        json_body_after(&body, holds(&auth.actor, Permission::ReviewClaims)).await?;
    Ok(Json(
        state.app.request_advance(&auth.actor, id, &input).await?,
    ))
}
