//! Co-commissioning over the API: calls, bids, assessment, awards and coverage. The same use
//! cases as the pages; a caller who may not act is refused before their body is read.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::co_commissioning::*;
use lcpf_domain::co_commissioning::workflow::BidEvent;
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
        calls,
        open_call,
        call,
        copy_call,
        add_question,
        add_criterion,
        start_bid,
        ranking,
        bid,
        save_bid,
        submit,
        withdraw,
        assign,
        declare,
        score,
        scores,
        moderate,
        award,
        decline,
        coverage,
        assessments
    ),
    components(schemas(
        CallsPage,
        FundCalls,
        ShareView,
        CallRow,
        CallSummary,
        CallDetail,
        Pages,
        BidRow,
        QuestionSection,
        QuestionView,
        CriterionView,
        CallInput,
        CopyInput,
        CriterionInput,
        QuestionInput,
        StartBid,
        Started,
        BidView,
        StateTag,
        PartnerView,
        BoroughView,
        MatchView,
        OutcomeView,
        AnswerSection,
        AnswerView,
        ProblemView,
        AwardView,
        YearAmount,
        BidInput,
        PartnerInput,
        MatchInput,
        OutcomeInput,
        Saved,
        Moved,
        AssignInput,
        ConflictInput,
        ScoresInput,
        Scored,
        ScoresView,
        AssessorView,
        MarkView,
        ModerationView,
        Assignable,
        ModerationInput,
        AwardInput,
        DeclineInput,
        RankingView,
        RankRow,
        Coverage,
        ServiceColumn,
        CoverageRow,
        QueueRow
    ))
)]
pub struct CoCommissioningApi;

#[derive(Debug, Deserialize, ToSchema)]
pub struct StartBid {
    /// The service's name.
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// The new bid's stable key.
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// What stops the bid being submitted, one per problem (empty: ready to submit).
    pub problems: Vec<ProblemView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Moved {
    /// The bid's state now.
    pub state: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignInput {
    pub user_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Scored {
    /// The assessor's weighted total, e.g. "72.50%".
    pub total: String,
}

async fn on_bid(
    state: &AppState,
    auth: &Auth,
    id: i64,
    act: BidAct,
) -> Result<(), lcpf_app::AppError> {
    state.app.may_act_on_bid(&auth.actor, id, act).await
}

/// Every fund's calls, with its Co-Commissioning share beside what the calls promise.
#[utoipa::path(get, path = "/api/v1/calls", responses((status = 200, body = CallsPage), (status = 401, body = Problem)))]
pub async fn calls(State(state): State<AppState>, auth: Auth) -> Result<Json<CallsPage>, ApiError> {
    Ok(Json(state.app.calls_page(&auth.actor).await?))
}

/// Opens a call (funder admin). Questions and criteria may be given, copied from another call
/// (`copy_questions_from`), or left to the standard set.
#[utoipa::path(post, path = "/api/v1/calls", request_body = CallInput, responses((status = 201, body = CallSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open_call(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: CallInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageCalls)).await?;
    let call = state.app.open_call(&auth.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(call)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// The page of bids, from 1 (50 a page).
    #[serde(default)]
    page: Option<u32>,
}

/// A call: its terms, questions, criteria and a page of the bids the caller may see.
#[utoipa::path(get, path = "/api/v1/calls/{id}", params(("id" = i64, Path), PageParams), responses((status = 200, body = CallDetail), (status = 404, body = Problem)))]
pub async fn call(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PageParams>,
) -> Result<Json<CallDetail>, ApiError> {
    let id = parse_id(&id, "The call")?;
    Ok(Json(
        state
            .app
            .call_detail(&auth.actor, id, q.page.unwrap_or(1))
            .await?,
    ))
}

/// Copies a call with a new name and dates (funder admin).
#[utoipa::path(post, path = "/api/v1/calls/{id}/copy", params(("id" = i64, Path)), request_body = CopyInput, responses((status = 201, body = CallSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn copy_call(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The call")?;
    let input: CopyInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageCalls)).await?;
    let call = state.app.copy_call(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(call)).into_response())
}

/// Adds a question to a call that has not opened yet (funder admin).
#[utoipa::path(post, path = "/api/v1/calls/{id}/questions", params(("id" = i64, Path)), request_body = QuestionInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_question(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The call")?;
    let input: QuestionInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageCalls)).await?;
    state
        .app
        .add_to_call(&auth.actor, id, Some(&input), None)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Adds an assessment criterion to a call that has not opened yet (funder admin).
#[utoipa::path(post, path = "/api/v1/calls/{id}/criteria", params(("id" = i64, Path)), request_body = CriterionInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_criterion(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The call")?;
    let input: CriterionInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageCalls)).await?;
    state
        .app
        .add_to_call(&auth.actor, id, None, Some(&input))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Starts a bid to an open call, led by the caller's organisation.
#[utoipa::path(post, path = "/api/v1/calls/{id}/bids", params(("id" = i64, Path)), request_body = StartBid, responses((status = 201, body = Started), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The call")?;
    let input: StartBid = match super::json_body(&body) {
        Ok(i) => i,
        // Refused for who they are, or for a closed call, before what they sent.
        Err(e) => {
            state.app.start_bid(&auth.actor, id, "").await?;
            return Err(e);
        }
    };
    let bid = state.app.start_bid(&auth.actor, id, &input.title).await?;
    Ok((StatusCode::CREATED, Json(Started { id: bid })).into_response())
}

/// A call's bids ranked against its maximum (funder staff).
#[utoipa::path(get, path = "/api/v1/calls/{id}/ranking", params(("id" = i64, Path)), responses((status = 200, body = RankingView), (status = 403, body = Problem)))]
pub async fn ranking(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<RankingView>, ApiError> {
    let id = parse_id(&id, "The call")?;
    Ok(Json(state.app.ranking(&auth.actor, id).await?))
}

/// A bid: funder staff, its lead and partners, and its assessors.
#[utoipa::path(get, path = "/api/v1/bids/{id}", params(("id" = i64, Path)), responses((status = 200, body = BidView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<BidView>, ApiError> {
    let id = parse_id(&id, "The bid")?;
    Ok(Json(state.app.bid(&auth.actor, id).await?))
}

/// Replaces a draft bid's content (its lead). Saved with the problems that stop submission.
#[utoipa::path(put, path = "/api/v1/bids/{id}", params(("id" = i64, Path)), request_body = BidInput, responses((status = 200, body = Saved), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn save_bid(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Saved>, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: BidInput = json_body_after(&body, on_bid(&state, &auth, id, BidAct::Lead)).await?;
    Ok(Json(Saved {
        problems: state.app.save_bid(&auth.actor, id, &input).await?,
    }))
}

async fn step(
    state: AppState,
    auth: Auth,
    id: String,
    event: BidEvent,
) -> Result<Json<Moved>, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let to = state.app.bid_step(&auth.actor, id, event).await?;
    Ok(Json(Moved {
        state: to.as_str().into(),
    }))
}

/// Submits a bid before the call closes (its lead); refused with each problem, or with when
/// the call closed.
#[utoipa::path(post, path = "/api/v1/bids/{id}/submit", params(("id" = i64, Path)), responses((status = 200, body = Moved), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Moved>, ApiError> {
    step(state, auth, id, BidEvent::Submit).await
}

/// Withdraws a bid (its lead).
#[utoipa::path(post, path = "/api/v1/bids/{id}/withdraw", params(("id" = i64, Path)), responses((status = 200, body = Moved), (status = 403, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Moved>, ApiError> {
    step(state, auth, id, BidEvent::Withdraw).await
}

/// Assigns an assessor to a submitted bid (funder staff).
#[utoipa::path(post, path = "/api/v1/bids/{id}/assessors", params(("id" = i64, Path)), request_body = AssignInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: AssignInput =
        json_body_after(&body, holds(&auth.actor, Permission::ModerateBids)).await?;
    state
        .app
        .assign_assessor(&auth.actor, id, input.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An assigned assessor declares whether they have a conflict of interest.
#[utoipa::path(post, path = "/api/v1/bids/{id}/conflict", params(("id" = i64, Path)), request_body = ConflictInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn declare(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: ConflictInput =
        json_body_after(&body, on_bid(&state, &auth, id, BidAct::Assess)).await?;
    state.app.declare_conflict(&auth.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An assigned, unconflicted assessor's marks on every criterion, each with a comment.
#[utoipa::path(put, path = "/api/v1/bids/{id}/scores", params(("id" = i64, Path)), request_body = ScoresInput, responses((status = 200, body = Scored), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn score(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Scored>, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: ScoresInput =
        json_body_after(&body, on_bid(&state, &auth, id, BidAct::Assess)).await?;
    Ok(Json(Scored {
        total: state.app.score_bid(&auth.actor, id, &input).await?,
    }))
}

/// Every assessor's scores side by side, the spread and any moderation (funder staff).
#[utoipa::path(get, path = "/api/v1/bids/{id}/scores", params(("id" = i64, Path)), responses((status = 200, body = ScoresView), (status = 403, body = Problem)))]
pub async fn scores(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ScoresView>, ApiError> {
    let id = parse_id(&id, "The bid")?;
    Ok(Json(state.app.bid_scores(&auth.actor, id).await?))
}

/// Records a moderated score with its reason (funder staff).
#[utoipa::path(put, path = "/api/v1/bids/{id}/moderation", params(("id" = i64, Path)), request_body = ModerationInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn moderate(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: ModerationInput =
        json_body_after(&body, holds(&auth.actor, Permission::ModerateBids)).await?;
    state.app.moderate_bid(&auth.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Awards a submitted bid (funder admin). Send an `Idempotency-Key` header: the same key
/// again returns the first award and changes nothing. An award that would take the call past
/// its maximum is refused with the figures.
#[utoipa::path(post, path = "/api/v1/bids/{id}/award", params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = AwardInput, responses((status = 201, body = AwardView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn award(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: AwardInput =
        json_body_after(&body, holds(&auth.actor, Permission::AwardBids)).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().chars().take(200).collect::<String>())
        .filter(|k| !k.is_empty());
    let award = state
        .app
        .award_bid(&auth.actor, id, &input, key.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(award)).into_response())
}

/// Declines a submitted bid with feedback (funder admin).
#[utoipa::path(post, path = "/api/v1/bids/{id}/decline", params(("id" = i64, Path)), request_body = DeclineInput, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn decline(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The bid")?;
    let input: DeclineInput =
        json_body_after(&body, holds(&auth.actor, Permission::AwardBids)).await?;
    state.app.decline_bid(&auth.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The awarded services by borough: the coverage matrix and money per borough.
#[utoipa::path(get, path = "/api/v1/co-commissioning/coverage", responses((status = 200, body = Coverage)))]
pub async fn coverage(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Coverage>, ApiError> {
    Ok(Json(state.app.coverage(&auth.actor).await?))
}

/// The bids assigned to the caller to assess.
#[utoipa::path(get, path = "/api/v1/assessments", responses((status = 200, body = [QueueRow])))]
pub async fn assessments(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<QueueRow>>, ApiError> {
    Ok(Json(state.app.assessment_queue(&auth.actor).await?))
}
