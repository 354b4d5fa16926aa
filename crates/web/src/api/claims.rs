//! Claims and payments over the API: the same use cases as the pages. An evidence file is
//! sent as the request body, its name in `?name=`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::grants::claims::*;
use lcpf_app::grants::payments::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{holds, json_body, json_body_after, Problem};
use crate::auth::Auth;
use crate::error::{parse_id, ApiError};
use crate::AppState;

/// This stage's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        start, claims, claim, save, attach, submit, accept, send_back, payments, payment,
        authorise, cancel, export, closeout, close
    ),
    components(schemas(
        ClaimInput,
        ClaimStep,
        ClaimView,
        ClaimLine,
        EvidenceView,
        ClaimRow,
        ClaimsPage,
        ClaimMoved,
        ClaimMade,
        Comments,
        PaymentsPage,
        PaymentRow,
        PaymentView,
        lcpf_app::grants::payments::HandledBy,
        ExportRow,
        AuthoriseInput,
        lcpf_app::grants::payments::CancelInput,
        lcpf_app::grants::closeout::PeriodCloseOutView,
        lcpf_app::grants::closeout::CloseOutMoney,
        lcpf_app::grants::closeout::GrantCloseOutRow
    ))
)]
pub struct ClaimsApi;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimMade {
    /// The new claim's stable key.
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimMoved {
    pub state: String,
}

/// The funder's comments when returning a claim.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Comments {
    #[serde(default)]
    pub comments: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Claims: draft, submitted (the default), returned or accepted. Payments: requested (the
    /// default), authorised or exported.
    #[serde(default)]
    state: String,
    /// The page, from 1 (50 a page).
    #[serde(default)]
    page: Option<u32>,
}

async fn may_change(state: &AppState, auth: &Auth, id: i64) -> Result<(), lcpf_app::AppError> {
    state.app.claim_to_change(&auth.actor, id).await.map(|_| ())
}

/// Starts a claim for an ended quarter of a live grant, as a draft (the recipient's own
/// officers).
#[utoipa::path(post, path = "/api/v1/grants/{id}/claims", params(("id" = i64, Path)), request_body = ClaimInput, responses((status = 201, body = ClaimMade), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The grant")?;
    let may = async { state.app.claim_form(&auth.actor, id).await.map(|_| ()) };
    let input: ClaimInput = json_body_after(&body, may).await?;
    let claim = state.app.start_claim(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(ClaimMade { id: claim })).into_response())
}

/// Every grant's claims in one state (funder staff).
#[utoipa::path(get, path = "/api/v1/claims", params(ListParams), responses((status = 200, body = ClaimsPage), (status = 403, body = Problem)))]
pub async fn claims(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListParams>,
) -> Result<Json<ClaimsPage>, ApiError> {
    Ok(Json(
        state
            .app
            .claims_page(&auth.actor, &q.state, q.page.unwrap_or(1).max(1))
            .await?,
    ))
}

/// A claim: funder staff and the recipient's own officers.
#[utoipa::path(get, path = "/api/v1/claims/{id}", params(("id" = i64, Path)), responses((status = 200, body = ClaimView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ClaimView>, ApiError> {
    let id = parse_id(&id, "The claim")?;
    Ok(Json(state.app.claim(&auth.actor, id).await?))
}

/// Changes a draft or returned claim (the recipient's own officers). The claim is sent whole
/// (`spend` and `narrative` at least; `forecast` and `match_funding` empty when left out): a
/// body of another shape, or with fields a claim does not have, is refused, never taken as
/// "blank everything".
#[utoipa::path(put, path = "/api/v1/claims/{id}", params(("id" = i64, Path)), request_body = ClaimInput, responses((status = 200, body = ClaimView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ClaimView>, ApiError> {
    let id = parse_id(&id, "The claim")?;
    let value: serde_json::Value = json_body_after(&body, may_change(&state, &auth, id)).await?;
    let missing: Vec<&str> = ["spend", "narrative"]
        .into_iter()
        .filter(|f| value.get(f).is_none())
        .collect();
    let input = match (value.is_object() && missing.is_empty())
        .then(|| serde_json::from_value::<ClaimInput>(value))
    {
        Some(Ok(input)) => input,
        shape => {
            may_change(&state, &auth, id).await?;
            let why = match shape {
                Some(Err(e)) => format!("The request body is not a claim: {e}"),
                _ => format!(
                    "A claim is sent whole, as a JSON object with its spend and narrative: the body has no {}",
                    lcpf_domain::words::and_list(&missing.iter().map(|f| format!("“{f}”")).collect::<Vec<_>>())
                ),
            };
            return Err(lcpf_app::AppError::invalid("body", why).into());
        }
    };
    state.app.save_claim(&auth.actor, id, &input).await?;
    Ok(Json(state.app.claim(&auth.actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FileName {
    /// The file's name, with its ending (`timesheets.pdf`): the kind is checked by it and by
    /// the content.
    #[serde(default)]
    name: String,
}

/// Attaches an evidence file to a draft or returned claim (the recipient's own officers): the
/// body is the file; PDF, Word (.docx), Excel (.xlsx), CSV, PNG or JPEG, up to 10 MB.
#[utoipa::path(post, path = "/api/v1/claims/{id}/evidence", params(("id" = i64, Path), FileName), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, body = ClaimView), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn attach(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(file): Query<FileName>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ClaimView>, ApiError> {
    let id = parse_id(&id, "The claim")?;
    // Who may attach is decided before the file is looked at.
    state.app.claim_to_change(&auth.actor, id).await?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    state
        .app
        .attach_claim_evidence(
            &auth.actor,
            id,
            lcpf_app::files::Upload {
                name: file.name,
                content_type,
                bytes: body.to_vec(),
            },
        )
        .await?;
    Ok(Json(state.app.claim(&auth.actor, id).await?))
}

async fn step(
    state: &AppState,
    auth: &Auth,
    id: i64,
    event: &str,
    comments: String,
) -> Result<Json<ClaimMoved>, ApiError> {
    let to = state
        .app
        .claim_step(
            &auth.actor,
            id,
            &ClaimStep {
                event: event.into(),
                comments,
            },
        )
        .await?;
    Ok(Json(ClaimMoved {
        state: to.as_str().into(),
    }))
}

/// Submits a claim to the funder (the recipient's own officers).
#[utoipa::path(post, path = "/api/v1/claims/{id}/submit", params(("id" = i64, Path)), responses((status = 200, body = ClaimMoved), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ClaimMoved>, ApiError> {
    let id = parse_id(&id, "The claim")?;
    step(&state, &auth, id, "submit", String::new()).await
}

/// Accepts a submitted claim, making its payment request (funder staff who did not submit it).
#[utoipa::path(post, path = "/api/v1/claims/{id}/accept", params(("id" = i64, Path)), responses((status = 200, body = ClaimMoved), (status = 403, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ClaimMoved>, ApiError> {
    let id = parse_id(&id, "The claim")?;
    step(&state, &auth, id, "accept", String::new()).await
}

/// Returns a submitted claim with comments saying what to put right (funder staff).
#[utoipa::path(post, path = "/api/v1/claims/{id}/return", params(("id" = i64, Path)), request_body = Comments, responses((status = 200, body = ClaimMoved), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn send_back(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ClaimMoved>, ApiError> {
    let id = parse_id(&id, "The claim")?;
    let input: Comments =
        json_body_after(&body, holds(&auth.actor, Permission::ReviewClaims)).await?;
    step(&state, &auth, id, "return", input.comments).await
}

/// Payments in one state (funder staff), with what the next finance export will hold.
#[utoipa::path(get, path = "/api/v1/payments", params(ListParams), responses((status = 200, body = PaymentsPage), (status = 403, body = Problem)))]
pub async fn payments(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListParams>,
) -> Result<Json<PaymentsPage>, ApiError> {
    Ok(Json(
        state
            .app
            .payments_page(&auth.actor, &q.state, q.page.unwrap_or(1).max(1))
            .await?,
    ))
}

/// A payment (funder staff), with whether the caller may authorise it and why not.
#[utoipa::path(get, path = "/api/v1/payments/{id}", params(("id" = i64, Path)), responses((status = 200, body = PaymentView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn payment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<PaymentView>, ApiError> {
    let id = parse_id(&id, "The payment")?;
    Ok(Json(state.app.payment(&auth.actor, id).await?))
}

/// Cancels a payment request before it is authorised (funder staff), with a reason: one that
/// no longer fits the year's firm profile after a variation, or was made by mistake. It is
/// never paid.
#[utoipa::path(post, path = "/api/v1/payments/{id}/cancel", params(("id" = i64, Path)), request_body = lcpf_app::grants::payments::CancelInput, responses((status = 200, body = PaymentRow), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PaymentRow>, ApiError> {
    let id = parse_id(&id, "The payment")?;
    let may = holds(&auth.actor, Permission::ManageGrants);
    let input: lcpf_app::grants::payments::CancelInput = json_body_after(&body, may).await?;
    Ok(Json(
        state.app.cancel_payment(&auth.actor, id, &input).await?,
    ))
}

/// Authorises a payment (funder staff who neither submitted nor accepted its claim, within
/// their spend authority). Send an `Idempotency-Key` header (or `idempotency_key` in the
/// body): the same key again returns the payment as first authorised and pays once.
#[utoipa::path(post, path = "/api/v1/payments/{id}/authorise", params(("id" = i64, Path), ("Idempotency-Key" = String, Header, description = "Unique to this intent to pay; the same on a retry")), request_body(content = AuthoriseInput, description = "Optional when the header is sent"), responses((status = 200, body = PaymentRow), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn authorise(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PaymentRow>, ApiError> {
    let id = parse_id(&id, "The payment")?;
    let input = match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(key) => AuthoriseInput {
            idempotency_key: key.to_string(),
        },
        None if body.is_empty() => {
            holds(&auth.actor, Permission::AuthorisePayments).await?;
            AuthoriseInput::default()
        }
        None => match json_body(&body) {
            Ok(input) => input,
            Err(unreadable) => {
                holds(&auth.actor, Permission::AuthorisePayments).await?;
                return Err(unreadable);
            }
        },
    };
    Ok(Json(
        state.app.authorise_payment(&auth.actor, id, &input).await?,
    ))
}

/// Exports every authorised payment not yet exported as CSV for the finance system (funder
/// staff); each payment is exported exactly once.
#[utoipa::path(post, path = "/api/v1/payments/export", responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    let file = state.app.export_payments(&auth.actor).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lcpf-payments-{:04}.csv\"", file.id),
            ),
        ],
        file.csv,
    )
        .into_response())
}

/// A funding period's close-out: what each grant was paid and returned to the fund, or (for a
/// funder admin) why it cannot be closed yet.
#[utoipa::path(get, path = "/api/v1/periods/{id}/close-out", params(("id" = i64, Path)), responses((status = 200, body = lcpf_app::grants::closeout::PeriodCloseOutView), (status = 404, body = Problem)))]
pub async fn closeout(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<lcpf_app::grants::closeout::PeriodCloseOutView>, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    Ok(Json(state.app.period_closeout(&auth.actor, id).await?))
}

/// Closes a funding period after its last quarter (funder admin): each grant's unspent money
/// is returned to the fund, never carried over, and no more claims are made against it.
#[utoipa::path(post, path = "/api/v1/periods/{id}/close-out", params(("id" = i64, Path)), responses((status = 200, body = lcpf_app::grants::closeout::CloseOutMoney), (status = 403, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<lcpf_app::grants::closeout::CloseOutMoney>, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    Ok(Json(state.app.close_period(&auth.actor, id).await?))
}
