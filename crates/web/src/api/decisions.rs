//! Recording a decision made elsewhere and amending one borough's allocation, over the API
//! (funder admins). The same use cases as the pages: a table is read, checked and compared
//! with its stated total the same way.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::funds::{AmendmentInput, DecidedRow, DecisionInput, DecisionPreview};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{holds, json_body_after, Problem};
use crate::auth::Auth;
use crate::error::{parse_id, ApiError};
use crate::AppState;

/// This stage's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(record_decision, amend),
    components(schemas(
        RecordedDecision,
        DecidedAllocation,
        DecisionPreview,
        DecidedRow,
        AmendmentInput,
        super::schemas::AmendmentSchema
    ))
)]
pub struct DecisionsApi;

/// A published decision's table: its details, and one row per borough.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecordedDecision {
    /// e.g. 2017/18
    pub year: String,
    /// e.g. PCD 79
    pub reference: String,
    /// YYYY-MM-DD
    pub decided_on: String,
    pub decision_maker: String,
    pub summary: String,
    /// The total the decision states, if it states one, e.g. "£17,900,000".
    #[serde(default)]
    pub stated_total: String,
    pub allocations: Vec<DecidedAllocation>,
}

/// One borough's allocation in a decision's table.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecidedAllocation {
    /// ONS code or borough name.
    pub area: String,
    /// e.g. "£644,000".
    pub amount: String,
}

#[derive(Deserialize, IntoParams)]
pub struct PreviewParams {
    /// Check the table and say what it would record, saving nothing.
    #[serde(default)]
    preview: bool,
}

impl RecordedDecision {
    /// The rows as the `area,amount` table the pages upload, so both are read alike.
    fn table(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["area", "amount"]);
        for a in &self.allocations {
            let _ = w.write_record([a.area.as_str(), a.amount.as_str()]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// Records a decision made elsewhere (funder admin): every problem by row and column, all or
/// nothing. With `?preview=true`, answers what would be recorded (the sum beside the stated
/// total, the boroughs left out) and saves nothing.
#[utoipa::path(post, path = "/api/v1/periods/{id}/decisions", params(("id" = i64, Path), PreviewParams), request_body = RecordedDecision, responses((status = 201, body = super::schemas::DecisionSchema), (status = 200, description = "The preview", body = DecisionPreview), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn record_decision(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PreviewParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    let input: RecordedDecision =
        json_body_after(&body, holds(&auth.actor, Permission::DecideAllocations)).await?;
    if q.preview {
        let preview = state
            .app
            .preview_decision_table(
                &auth.actor,
                id,
                &input.year,
                &input.stated_total,
                input.table().into_bytes(),
            )
            .await?;
        return Ok(Json(preview).into_response());
    }
    let decision = DecisionInput {
        reference: input.reference.clone(),
        decided_on: input.decided_on.clone(),
        decision_maker: input.decision_maker.clone(),
        summary: input.summary.clone(),
        stated_total: input.stated_total.clone(),
        // Figures recorded here are from the decision itself.
        illustrative_areas: Vec::new(),
    };
    let d = state
        .app
        .record_decision_table(&auth.actor, id, &input.year, &decision, &input.table())
        .await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// Adds or corrects one borough's allocation in a decided year, with the reason (funder admin).
#[utoipa::path(post, path = "/api/v1/periods/{id}/amendments", params(("id" = i64, Path)), request_body = AmendmentInput, responses((status = 201, body = super::schemas::AmendmentSchema), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn amend(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    let input: AmendmentInput =
        json_body_after(&body, holds(&auth.actor, Permission::DecideAllocations)).await?;
    let a = state.app.amend_allocation(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}
