//! The JSON API for borough proposals: read, start, replace lines, submit, return, approve,
//! vary, comment, compare, and the funder's overview. The same use cases as the pages.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::proposals::{LineInput, Overview, ProposalRequest, ProposalView, StepInput};
use lcpf_domain::proposal::{
    LineComparison, Problem as RuleProblem, ProposalEvent, ProposalLine, Totals,
};
use lcpf_store::queries::funds::FundingPeriod;
use lcpf_store::queries::proposals::{Comment, Proposal, Version};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{holds, json_body_after, Problem};
use crate::auth::Auth;
use crate::error::{parse_id, ApiError};
use crate::AppState;

/// This stage's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        proposal,
        start,
        replace_lines,
        submit,
        return_to_borough,
        approve,
        variation,
        comment,
        compare,
        overview,
        import
    ),
    components(schemas(
        ProposalDetail,
        LineDetail,
        StartRequest,
        SaveResult,
        StepRequest,
        lcpf_app::proposals::LineInput,
        lcpf_app::proposals::LineYearInput,
        lcpf_app::proposals::ContributorInput,
        lcpf_app::proposals::SmartOutcomeInput,
        super::schemas::OverviewSchema,
        lcpf_app::proposals::OverviewRow,
        super::schemas::ProposalSchema,
        super::schemas::VersionSchema,
        super::schemas::CommentSchema
    ))
)]
pub struct ProposalsApi;

/// One line with its row id and its stable `key`. The key is the line's identity for its
/// whole life (edits, new versions, variations, renumbering); send it back in
/// `PUT …/lines` to keep it. Row ids belong to one version.
#[derive(Serialize, ToSchema)]
pub struct LineDetail {
    pub id: i64,
    #[serde(flatten)]
    #[schema(value_type = super::schemas::LineSchema)]
    pub line: ProposalLine,
}

/// A proposal as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct ProposalDetail {
    #[schema(value_type = super::schemas::ProposalSchema)]
    pub proposal: Proposal,
    #[schema(value_type = super::schemas::FundingPeriodSchema)]
    pub period: FundingPeriod,
    /// e.g. Draft, Submitted, Returned, Approved, "Approved; variation in draft".
    pub status: String,
    #[schema(value_type = Option<super::schemas::VersionSchema>)]
    pub version: Option<Version>,
    #[schema(value_type = Vec<super::schemas::VersionSchema>)]
    pub versions: Vec<Version>,
    pub lines: Vec<LineDetail>,
    /// Money by priority and by year, the envelope and the headroom, in pence.
    #[schema(value_type = super::schemas::TotalsSchema)]
    pub totals: Totals,
    /// The fund's rules this version breaks; a draft with any cannot be submitted.
    #[schema(value_type = Vec<super::schemas::RuleProblemSchema>)]
    pub problems: Vec<RuleProblem>,
    #[schema(value_type = Vec<super::schemas::CommentSchema>)]
    pub comments: Vec<Comment>,
    /// The revision read (also the `ETag`): send it back as `If-Match` with a change, and a
    /// change to a proposal someone else changed since is refused with 409 and what changed.
    pub revision: i64,
}

impl From<ProposalView> for ProposalDetail {
    fn from(v: ProposalView) -> Self {
        ProposalDetail {
            revision: v.revision,
            status: v.status(),
            proposal: v.proposal,
            period: v.period,
            version: v.version,
            versions: v.versions,
            lines: v
                .lines
                .into_iter()
                .map(|s| LineDetail {
                    id: s.id,
                    line: s.line,
                })
                .collect(),
            totals: v.totals,
            problems: v.problems,
            comments: v.comments,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct VersionParam {
    /// A version number; the latest the caller may see when left out.
    version: Option<i64>,
}

/// A proposal: funder staff see submitted versions, the borough's own officers every version.
/// The `ETag` header is its revision.
#[utoipa::path(get, path = "/api/v1/proposals/{id}", params(("id" = i64, Path), VersionParam), responses((status = 200, body = ProposalDetail, headers(("ETag" = String, description = "The revision, for If-Match"))), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn proposal(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<VersionParam>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The proposal")?;
    let view: ProposalDetail = state.app.proposal(&auth.actor, id, q.version).await?.into();
    Ok(with_etag(view))
}

/// A proposal as JSON with its revision as the `ETag`.
fn with_etag(view: ProposalDetail) -> Response {
    let etag = format!("\"{}\"", view.revision);
    let mut r = Json(view).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// The revision an `If-Match` header names (`"12"`); none when absent or `*`. A value that
/// is not one of our ETags matches no revision, so the change is refused as stale.
fn if_match(headers: &HeaderMap) -> Option<i64> {
    let value = headers.get(header::IF_MATCH)?.to_str().unwrap_or("").trim();
    if value == "*" {
        return None;
    }
    Some(
        value
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .unwrap_or(-1),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct StartRequest {
    pub period_id: i64,
}

/// Starts the borough's proposal for a funding period (the borough's own officers).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/proposals", params(("id" = i64, Path)), request_body = StartRequest, responses((status = 201, body = super::schemas::ProposalSchema), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The organisation")?;
    let input: StartRequest = json_body_after(
        &body,
        holds(
            &auth.actor,
            Permission::DraftProposal {
                organisation_id: id,
            },
        ),
    )
    .await?;
    let p = state
        .app
        .start_proposal(&auth.actor, Some(input.period_id), id)
        .await?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct SaveResult {
    /// The fund's rules the draft now breaks (it is saved anyway).
    #[schema(value_type = Vec<super::schemas::RuleProblemSchema>)]
    pub problems: Vec<RuleProblem>,
}

/// Replaces every line of the draft, all or nothing (the borough's own officers).
#[utoipa::path(put, path = "/api/v1/proposals/{id}/lines", params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The revision read (ETag): refused with 409 if the proposal changed since")), request_body = Vec<LineInput>, responses((status = 200, body = SaveResult), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_lines(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SaveResult>, ApiError> {
    let id = parse_id(&id, "The proposal")?;
    let lines: Vec<LineInput> = json_body_after(
        &body,
        state
            .app
            .authorise_proposal_request(&auth.actor, id, ProposalRequest::Draft),
    )
    .await?;
    let problems = state
        .app
        .replace_lines(
            &auth.actor,
            id,
            &lines,
            "Replaced through the API",
            if_match(&headers),
        )
        .await?;
    Ok(Json(SaveResult { problems }))
}

/// A comment, a reason, or both; which one a step needs is in its description.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct StepRequest {
    pub comment: String,
    pub reason: String,
    /// For a comment on one line, e.g. 2.3.
    pub line_number: String,
}

async fn step(
    state: &AppState,
    auth: &Auth,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
    event: Option<ProposalEvent>,
) -> Result<Response, ApiError> {
    let expected = if_match(headers);
    let id = parse_id(id, "The proposal")?;
    let request = match event {
        Some(ProposalEvent::Return | ProposalEvent::Approve) => ProposalRequest::Review,
        Some(_) => ProposalRequest::Draft,
        None => ProposalRequest::Comment,
    };
    let input: StepRequest = if body.is_empty() {
        StepRequest::default()
    } else {
        json_body_after(
            body,
            state
                .app
                .authorise_proposal_request(&auth.actor, id, request),
        )
        .await?
    };
    let actor = &auth.actor;
    match event {
        Some(event) => {
            let step = StepInput {
                comment: input.comment,
                reason: input.reason,
            };
            state
                .app
                .proposal_step(actor, id, event, &step, expected)
                .await?;
        }
        None => {
            state
                .app
                .comment_on_proposal(actor, id, &input.line_number, &input.comment)
                .await?
        }
    }
    let view: ProposalDetail = state.app.proposal(actor, id, None).await?.into();
    Ok(with_etag(view))
}

macro_rules! api_step {
    ($name:ident, $path:literal, $event:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The revision read (ETag): refused with 409 if the proposal changed since")), request_body = StepRequest, responses((status = 200, body = ProposalDetail), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
        pub async fn $name(State(state): State<AppState>, auth: Auth, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
            step(&state, &auth, &id, &headers, &body, $event).await
        }
    };
}

api_step!(
    submit,
    "/api/v1/proposals/{id}/submit",
    Some(ProposalEvent::Submit),
    "Submits the draft (the borough's own officers); refused with every broken rule."
);
api_step!(
    return_to_borough,
    "/api/v1/proposals/{id}/return",
    Some(ProposalEvent::Return),
    "Returns the submitted version with a `comment` (funder staff)."
);
api_step!(
    approve,
    "/api/v1/proposals/{id}/approve",
    Some(ProposalEvent::Approve),
    "Approves the submitted version, locking the proposal (funder staff)."
);
api_step!(
    variation,
    "/api/v1/proposals/{id}/variation",
    Some(ProposalEvent::Vary),
    "Starts a variation of the approved proposal, with its `reason` (the borough's own officers)."
);
api_step!(
    comment,
    "/api/v1/proposals/{id}/comments",
    None,
    "Adds a `comment` on the proposal, or on the line `line_number`."
);

#[derive(Deserialize, IntoParams)]
pub struct CompareParams {
    /// The earlier version; the one before `to` when left out.
    from: Option<i64>,
    /// The later version; the latest the caller may see when left out.
    to: Option<i64>,
}

/// Two versions compared line by line: added, removed, changed (with the changed fields).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/compare", params(("id" = i64, Path), CompareParams), responses((status = 200, body = Vec<super::schemas::LineComparisonSchema>), (status = 404, body = Problem)))]
pub async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<CompareParams>,
) -> Result<Json<Vec<LineComparison>>, ApiError> {
    let id = parse_id(&id, "The proposal")?;
    let compared = state
        .app
        .compare_versions(&auth.actor, id, q.from, q.to)
        .await?;
    Ok(Json(compared.map(|(_, _, rows)| rows).unwrap_or_default()))
}

/// Every LCPF borough's proposal for a period, with totals, headroom and money by priority
/// (funder staff).
#[utoipa::path(get, path = "/api/v1/periods/{id}/proposals", params(("id" = i64, Path)), responses((status = 200, body = super::schemas::OverviewSchema), (status = 403, body = Problem)))]
pub async fn overview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Overview>, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    Ok(Json(state.app.proposals_overview(&auth.actor, id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// `true` to replace the draft's lines with the workbook's; otherwise only a preview.
    #[serde(default)]
    confirm: bool,
}

/// Reads a workbook in the template's layout (the request body, as .xlsx). Without
/// `confirm=true` it only says what the workbook would become; with it, the draft's lines
/// are replaced all at once. A workbook with mistakes is refused with one error per sheet,
/// row and column, and changes nothing (the borough's own officers).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/import", params(("id" = i64, Path), ImportParams), request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), responses((status = 200, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The proposal")?;
    let preview = state
        .app
        .preview_proposal_import(&auth.actor, id, body.to_vec())
        .await?;
    if !preview.errors.is_empty() {
        let mut errors = lcpf_domain::FieldErrors::new();
        for e in &preview.errors {
            errors.add("file", e.clone());
        }
        return Err(ApiError(lcpf_app::AppError::Invalid(errors)));
    }
    if !q.confirm {
        return Ok(Json(preview).into_response());
    }
    state
        .app
        .replace_lines(
            &auth.actor,
            id,
            &preview.lines,
            "Imported from a spreadsheet",
            if_match(&headers),
        )
        .await?;
    let view: ProposalDetail = state.app.proposal(&auth.actor, id, None).await?.into();
    Ok(with_etag(view))
}
