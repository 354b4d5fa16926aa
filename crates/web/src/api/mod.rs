//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//!
//! Authenticate with `Authorization: Bearer <token>` (from `lcpf token create`). Reads also
//! accept a signed-in browser session; changes need a bearer token, so a page on another
//! site cannot make a browser change anything (no CSRF through the API). That rule is the
//! router's (`safety::api_write_refusal`), checked before any handler runs. Errors are
//! problem+json with one entry per field.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lcpf_app::access::Permission;
use lcpf_app::auth::Password;
use lcpf_app::organisations::{ContactInput, OrganisationInput};
use lcpf_app::users::NewUserInput;
use lcpf_app::{
    AppError, Area, AuditRecord, CurrentUser, Organisation, Plan, Priority, ProjectCategory, User,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Auth;
use crate::error::{parse_id, ApiError};
use crate::views::audit::AuditQuery;
use crate::AppState;

pub mod claims;
pub mod co_commissioning;
pub mod decisions;
pub mod grants;
pub mod proposals;
pub mod schedule;
pub mod schemas;

#[derive(OpenApi)]
#[openapi(
    info(title = "LCPF API", description = "The London Crime Prevention Fund: reference data, funds, allocation scenarios and decisions, borough proposals, users and the audit log.", version = "1"),
    paths(funds, period, create_period, set_budget, set_proposals_window, add_stream, indicator_datasets, import_indicators, create_scenario, scenario, compare, decide, area_allocations, me, organisations, organisation, create_organisation, people, update_contact, areas, area, plans, plan, create_plan, project_categories, users, create_user, audit),
    components(schemas(IndicatorImport, IndicatorDataset, lcpf_app::funds::StreamInput, schemas::StreamSchema, lcpf_app::funds::PeriodInput, lcpf_app::funds::BudgetInput, PeriodDetail, ScenarioDetail, schemas::FundSchema, schemas::FundingPeriodSchema, schemas::PeriodBudgetSchema, schemas::DecisionSchema, schemas::AllocationSchema, schemas::ScenarioSchema, schemas::ScenarioAllocationSchema, lcpf_app::funds::ScenarioInput, lcpf_app::funds::ScenarioIndicator, lcpf_app::funds::DecisionInput, schemas::ComparisonSchema, lcpf_app::funds::ComparisonRow, lcpf_app::plans::PlanInput, lcpf_app::plans::PriorityInput, CurrentUser, schemas::OrganisationSchema, OrganisationInput, ContactInput, schemas::AreaSchema, AreaDetail, schemas::PlanSchema, PlanDetail, schemas::PrioritySchema, schemas::ObjectiveSchema, schemas::ProjectCategorySchema, schemas::UserSchema, NewUserRequest, schemas::AuditRecordSchema, Problem, ProblemField )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The whole OpenAPI document: the shared parts above, and each lifecycle stage's own
/// fragment (its paths and schemas live beside its handlers).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(proposals::ProposalsApi::openapi());
    doc.merge(decisions::DecisionsApi::openapi());
    doc.merge(co_commissioning::CoCommissioningApi::openapi());
    doc.merge(grants::GrantsApi::openapi());
    doc.merge(claims::ClaimsApi::openapi());
    doc.merge(schedule::ScheduleApi::openapi());
    doc
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// An error, as RFC 9457 problem details.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    title: String,
    status: u16,
    detail: String,
    errors: Vec<ProblemField>,
}

/// One problem with one field.
#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    field: String,
    message: String,
}

pub async fn openapi_json() -> Response {
    Json(document()).into_response()
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Reads a JSON body; when it cannot be read, `may` (whether the caller may make this
/// request at all, asked of the app) is answered first, so a caller who may not is refused
/// (403) before being told what is wrong with the body (422). `may` runs only then.
pub(crate) async fn json_body_after<T: DeserializeOwned>(
    body: &Bytes,
    may: impl std::future::Future<Output = Result<(), AppError>>,
) -> Result<T, ApiError> {
    match json_body(body) {
        Ok(input) => Ok(input),
        Err(unreadable) => {
            may.await?;
            Err(unreadable)
        }
    }
}

/// Whether the caller holds `permission`, as a future for [`json_body_after`].
pub(crate) async fn holds(actor: &lcpf_app::Actor, permission: Permission) -> Result<(), AppError> {
    lcpf_app::access::authorise(actor, permission)
}

pub(crate) fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    // Text with a NUL is refused the same way on both databases (PostgreSQL cannot store it).
    if body.contains(&0) || contains_escaped_nul(body) {
        return Err(ApiError(AppError::invalid(
            "body",
            "Text must not contain the NUL character (U+0000): send plain text",
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError(AppError::invalid(
            "body",
            format!("The request body is not valid JSON for this request: {e}"),
        ))
    })
}

/// Whether JSON text holds the escape `\u0000` (in any case, not itself escaped).
fn contains_escaped_nul(body: &[u8]) -> bool {
    body.windows(6).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"\\u0000")
            && body[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

fn current(auth: &Auth) -> Result<CurrentUser, ApiError> {
    auth.actor
        .user()
        .cloned()
        .ok_or(ApiError(AppError::Unauthenticated))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = CurrentUser), (status = 401, body = Problem)))]
pub async fn me(auth: Auth) -> ApiResult<CurrentUser> {
    Ok(Json(current(&auth)?))
}

#[derive(Deserialize, IntoParams)]
pub struct KindParam {
    /// funder, borough, provider or police.
    kind: Option<String>,
}

/// Organisations, optionally of one kind.
#[utoipa::path(get, path = "/api/v1/organisations", params(KindParam), responses((status = 200, body = Vec<schemas::OrganisationSchema>), (status = 422, body = Problem)))]
pub async fn organisations(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<KindParam>,
) -> ApiResult<Vec<Organisation>> {
    Ok(Json(
        state
            .app
            .list_organisations(&auth.actor, q.kind.as_deref())
            .await?,
    ))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", params(("id" = i64, Path)), responses((status = 200, body = schemas::OrganisationSchema), (status = 404, body = Problem)))]
pub async fn organisation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Organisation> {
    let id = parse_id(&id, "The organisation")?;
    Ok(Json(state.app.get_organisation(&auth.actor, id).await?))
}

/// Adds an organisation (funder admin).
#[utoipa::path(post, path = "/api/v1/organisations", request_body = OrganisationInput, responses((status = 201, body = schemas::OrganisationSchema), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_organisation(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: OrganisationInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageReferenceData)).await?;
    let org = state.app.create_organisation(&auth.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

/// The people of an organisation: funder staff, or the organisation's own users.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/people", params(("id" = i64, Path)), responses((status = 200, body = Vec<schemas::UserSchema>), (status = 403, body = Problem)))]
pub async fn people(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Vec<User>> {
    let id = parse_id(&id, "The organisation")?;
    Ok(Json(state.app.organisation_people(&auth.actor, id).await?))
}

/// Changes an organisation's contact details: funder admin, or its own officers.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/contact", params(("id" = i64, Path)), request_body = ContactInput, responses((status = 200, body = schemas::OrganisationSchema), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Organisation> {
    let id = parse_id(&id, "The organisation")?;
    let input: ContactInput = json_body_after(
        &body,
        holds(
            &auth.actor,
            Permission::EditOrganisationContact {
                organisation_id: id,
            },
        ),
    )
    .await?;
    Ok(Json(
        state
            .app
            .update_organisation_contact(&auth.actor, id, &input)
            .await?,
    ))
}

/// The 33 London areas.
#[utoipa::path(get, path = "/api/v1/areas", responses((status = 200, body = Vec<schemas::AreaSchema>)))]
pub async fn areas(State(state): State<AppState>, auth: Auth) -> ApiResult<Vec<Area>> {
    Ok(Json(state.app.list_areas(&auth.actor).await?))
}

/// An area with its council and boundary.
#[derive(Serialize, ToSchema)]
pub struct AreaDetail {
    #[schema(value_type = schemas::AreaSchema)]
    area: Area,
    #[schema(value_type = Option<schemas::OrganisationSchema>)]
    council: Option<Organisation>,
    /// GeoJSON geometry (WGS84).
    #[schema(value_type = Object)]
    boundary: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v1/areas/{code}", params(("code" = String, Path, description = "ONS code, e.g. E09000002")), responses((status = 200, body = AreaDetail), (status = 404, body = Problem)))]
pub async fn area(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> ApiResult<AreaDetail> {
    let (area, council, boundary) = state.app.get_area(&auth.actor, &code).await?;
    let boundary = boundary.and_then(|b| serde_json::from_str(&b).ok());
    Ok(Json(AreaDetail {
        area,
        council,
        boundary,
    }))
}

/// Police and Crime Plans.
#[utoipa::path(get, path = "/api/v1/plans", responses((status = 200, body = Vec<schemas::PlanSchema>)))]
pub async fn plans(State(state): State<AppState>, auth: Auth) -> ApiResult<Vec<Plan>> {
    Ok(Json(state.app.list_plans(&auth.actor).await?))
}

#[derive(Serialize, ToSchema)]
pub struct PlanDetail {
    #[schema(value_type = schemas::PlanSchema)]
    plan: Plan,
    #[schema(value_type = Vec<schemas::PrioritySchema>)]
    priorities: Vec<Priority>,
}

/// A plan with its priority areas and objectives.
#[utoipa::path(get, path = "/api/v1/plans/{id}", params(("id" = i64, Path)), responses((status = 200, body = PlanDetail), (status = 404, body = Problem)))]
pub async fn plan(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<PlanDetail> {
    let id = parse_id(&id, "The plan")?;
    let (plan, priorities) = state.app.get_plan(&auth.actor, id).await?;
    Ok(Json(PlanDetail { plan, priorities }))
}

/// Adds a Police and Crime Plan with its priority areas and objectives (funder admin).
#[utoipa::path(post, path = "/api/v1/plans", request_body = lcpf_app::plans::PlanInput, responses((status = 201, body = schemas::PlanSchema), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_plan(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: lcpf_app::plans::PlanInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageReferenceData)).await?;
    let plan = state.app.create_plan(&auth.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(plan)).into_response())
}

/// The LCPF form's project categories.
#[utoipa::path(get, path = "/api/v1/project-categories", responses((status = 200, body = Vec<schemas::ProjectCategorySchema>)))]
pub async fn project_categories(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Vec<ProjectCategory>> {
    Ok(Json(state.app.project_categories(&auth.actor).await?))
}

/// All users (funder admin).
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = Vec<schemas::UserSchema>), (status = 403, body = Problem)))]
pub async fn users(State(state): State<AppState>, auth: Auth) -> ApiResult<Vec<User>> {
    Ok(Json(state.app.list_users(&auth.actor).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUserRequest {
    email: String,
    name: String,
    /// funder_admin, funder_officer, borough_officer, provider, assessor or viewer.
    role: String,
    /// Name, org-id or id of the organisation.
    #[serde(default)]
    organisation: String,
    password: String,
}

/// Adds a user (funder admin).
#[utoipa::path(post, path = "/api/v1/users", request_body = NewUserRequest, responses((status = 201, body = schemas::UserSchema), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let r: NewUserRequest =
        json_body_after(&body, holds(&auth.actor, Permission::ManageUsers)).await?;
    let user = state
        .app
        .add_user(
            &auth.actor,
            &NewUserInput {
                email: r.email,
                name: r.name,
                role: r.role,
                organisation: r.organisation,
                password: Some(Password::new(r.password)),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    actor: Option<String>,
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// First day, YYYY-MM-DD.
    from: Option<String>,
    /// Last day (inclusive), YYYY-MM-DD.
    to: Option<String>,
    /// Only records older than this id: pass the last id of one page to get the next.
    before: Option<i64>,
}

/// Audit records, newest first, 50 a page (funder admin). `actor` is the person's e-mail
/// address; for the next page pass `before` = the last record's id.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams), responses((status = 200, body = Vec<schemas::AuditRecordSchema>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<AuditParams>,
) -> ApiResult<Vec<AuditRecord>> {
    let q = AuditQuery {
        actor: p.actor.unwrap_or_default(),
        action: p.action.unwrap_or_default(),
        entity_type: p.entity_type.unwrap_or_default(),
        entity_id: p.entity_id.unwrap_or_default(),
        from: p.from.unwrap_or_default(),
        to: p.to.unwrap_or_default(),
        before: None,
    };
    let page = state
        .app
        .audit_log(&auth.actor, &q.filter()?, p.before)
        .await?;
    Ok(Json(page.records))
}

/// A funding period with its budgets, decisions and decided allocations (and, for funder
/// staff, its scenarios).
#[derive(Serialize, ToSchema)]
pub struct PeriodDetail {
    #[schema(value_type = schemas::FundSchema)]
    fund: lcpf_store::queries::funds::Fund,
    #[schema(value_type = schemas::FundingPeriodSchema)]
    period: lcpf_store::queries::funds::FundingPeriod,
    #[schema(value_type = Vec<schemas::PeriodBudgetSchema>)]
    budgets: Vec<lcpf_store::queries::funds::PeriodBudget>,
    #[schema(value_type = Vec<schemas::DecisionSchema>)]
    decisions: Vec<lcpf_store::queries::funds::Decision>,
    #[schema(value_type = Vec<schemas::AllocationSchema>)]
    allocations: Vec<lcpf_store::queries::funds::Allocation>,
    /// Allocations added or corrected after their year was decided.
    #[schema(value_type = Vec<schemas::AmendmentSchema>)]
    amendments: Vec<lcpf_store::queries::funds::Amendment>,
    /// Other named streams of the period's money (DIP passporting, drug testing on arrest…).
    #[schema(value_type = Vec<schemas::StreamSchema>)]
    streams: Vec<lcpf_store::queries::funds::Stream>,
    #[schema(value_type = Vec<schemas::ScenarioSchema>)]
    scenarios: Vec<lcpf_store::queries::funds::Scenario>,
}

/// A scenario and its allocation rows.
#[derive(Serialize, ToSchema)]
pub struct ScenarioDetail {
    #[schema(value_type = schemas::ScenarioSchema)]
    scenario: lcpf_store::queries::funds::Scenario,
    #[schema(value_type = Vec<schemas::ScenarioAllocationSchema>)]
    allocations: Vec<lcpf_store::queries::funds::ScenarioAllocation>,
}

/// Funds.
#[utoipa::path(get, path = "/api/v1/funds", responses((status = 200, body = Vec<schemas::FundSchema>)))]
pub async fn funds(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Vec<lcpf_store::queries::funds::Fund>> {
    Ok(Json(state.app.list_funds(&auth.actor).await?))
}

/// A funding period.
#[utoipa::path(get, path = "/api/v1/periods/{id}", params(("id" = i64, Path)), responses((status = 200, body = PeriodDetail), (status = 404, body = Problem)))]
pub async fn period(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<PeriodDetail> {
    let id = parse_id(&id, "The funding period")?;
    let v = state.app.period(&auth.actor, id).await?;
    let amendments = state.app.amendments(&auth.actor, id).await?;
    let streams = state.app.streams(&auth.actor, id).await?;
    Ok(Json(PeriodDetail {
        amendments,
        streams,
        fund: v.fund,
        period: v.period,
        budgets: v.budgets,
        decisions: v.decisions,
        allocations: v.allocations,
        scenarios: v.scenarios,
    }))
}

/// Builds a scenario: runs the allocation engine on the inputs and stores the result (funder staff).
#[utoipa::path(post, path = "/api/v1/periods/{id}/scenarios", params(("id" = i64, Path)), request_body = lcpf_app::funds::ScenarioInput, responses((status = 201, body = schemas::ScenarioSchema), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_scenario(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    let input: lcpf_app::funds::ScenarioInput =
        json_body_after(&body, holds(&auth.actor, Permission::ModelAllocations)).await?;
    let s = state.app.create_scenario(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// A scenario and its allocations (funder staff).
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", params(("id" = i64, Path)), responses((status = 200, body = ScenarioDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn scenario(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<ScenarioDetail> {
    let id = parse_id(&id, "The scenario")?;
    let (scenario, allocations) = state.app.scenario(&auth.actor, id).await?;
    Ok(Json(ScenarioDetail {
        scenario,
        allocations,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct CompareParams {
    /// Scenario ids, comma-separated, e.g. 2,3.
    ids: String,
}

/// Two or more scenarios side by side (funder staff).
#[utoipa::path(get, path = "/api/v1/scenarios/compare", params(CompareParams), responses((status = 200, body = schemas::ComparisonSchema), (status = 422, body = Problem)))]
pub async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<CompareParams>,
) -> ApiResult<lcpf_app::funds::Comparison> {
    let mut ids = Vec::new();
    for part in p.ids.split(',').filter(|s| !s.trim().is_empty()) {
        ids.push(part.trim().parse().map_err(|_| {
            ApiError(AppError::invalid(
                "ids",
                format!("“{part}” is not a scenario id: give numbers separated by commas"),
            ))
        })?);
    }
    Ok(Json(state.app.compare_scenarios(&auth.actor, &ids).await?))
}

/// Decides a scenario, locking its allocations as the year's envelopes (funder admin).
#[utoipa::path(post, path = "/api/v1/scenarios/{id}/decision", params(("id" = i64, Path)), request_body = lcpf_app::funds::DecisionInput, responses((status = 201, body = schemas::DecisionSchema), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The scenario")?;
    let input: lcpf_app::funds::DecisionInput =
        json_body_after(&body, holds(&auth.actor, Permission::DecideAllocations)).await?;
    let d = state.app.decide_scenario(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// An area's decided allocations over time.
#[utoipa::path(get, path = "/api/v1/areas/{code}/allocations", params(("code" = String, Path)), responses((status = 200, body = Vec<schemas::AllocationSchema>)))]
pub async fn area_allocations(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> ApiResult<Vec<lcpf_store::queries::funds::Allocation>> {
    Ok(Json(state.app.area_allocations(&auth.actor, &code).await?))
}

/// Adds a funding period to a fund (funder admin).
#[utoipa::path(post, path = "/api/v1/funds/{id}/periods", params(("id" = i64, Path)), request_body = lcpf_app::funds::PeriodInput, responses((status = 201, body = schemas::FundingPeriodSchema), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_period(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The fund")?;
    let input: lcpf_app::funds::PeriodInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageReferenceData)).await?;
    let p = state.app.add_period(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

/// Sets the period's proposals window: the first and last London days boroughs may start and
/// submit proposals (YYYY-MM-DD; both empty: closed; no last day: open until closed) (funder admin).
#[utoipa::path(put, path = "/api/v1/periods/{id}/proposals-window", params(("id" = i64, Path)), request_body = lcpf_app::proposals::WindowInput, responses((status = 200, body = schemas::FundingPeriodSchema), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_proposals_window(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<lcpf_store::queries::funds::FundingPeriod> {
    let id = parse_id(&id, "The funding period")?;
    let input: lcpf_app::proposals::WindowInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageReferenceData)).await?;
    Ok(Json(
        state
            .app
            .set_proposals_window(&auth.actor, id, &input)
            .await?,
    ))
}

/// Sets a year's pot and co-commissioning share; `year` is the year it starts, e.g. 2021 for 2021/22 (funder admin).
#[utoipa::path(put, path = "/api/v1/periods/{id}/budgets/{year}", params(("id" = i64, Path), ("year" = i32, Path)), request_body = lcpf_app::funds::BudgetInput, responses((status = 200, body = schemas::PeriodBudgetSchema), (status = 422, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_budget(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, year)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<lcpf_store::queries::funds::PeriodBudget> {
    let id = parse_id(&id, "The funding period")?;
    let start: i32 = year
        .parse()
        .map_err(|_| ApiError(AppError::NotFound(format!("The year {year}"))))?;
    let input: lcpf_app::funds::BudgetInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageReferenceData)).await?;
    Ok(Json(
        state
            .app
            .set_budget(
                &auth.actor,
                id,
                &lcpf_domain::FinancialYear::starting(start).to_string(),
                &input,
            )
            .await?,
    ))
}

/// Records another named stream of a period's money (funder admin).
#[utoipa::path(post, path = "/api/v1/periods/{id}/streams", params(("id" = i64, Path)), request_body = lcpf_app::funds::StreamInput, responses((status = 201, body = schemas::StreamSchema), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_stream(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "The funding period")?;
    let input: lcpf_app::funds::StreamInput =
        json_body_after(&body, holds(&auth.actor, Permission::ManageReferenceData)).await?;
    let s = state.app.add_stream(&auth.actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// An indicator dataset to import: `csv` is the file's text, header `area,value`.
#[derive(Deserialize, ToSchema)]
pub struct IndicatorImport {
    dataset: String,
    source: String,
    csv: String,
}

/// A dataset held: its name and source.
#[derive(Serialize, ToSchema)]
pub struct IndicatorDataset {
    dataset: String,
    source: String,
}

/// Indicator datasets held (funder staff).
#[utoipa::path(get, path = "/api/v1/indicator-datasets", responses((status = 200, body = Vec<IndicatorDataset>), (status = 403, body = Problem)))]
pub async fn indicator_datasets(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Vec<IndicatorDataset>> {
    let list = state.app.indicator_datasets(&auth.actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| IndicatorDataset {
                dataset: d.dataset,
                source: d.source,
            })
            .collect(),
    ))
}

/// Imports an indicator dataset, all or nothing; every bad row is an error naming its row and column (funder staff).
#[utoipa::path(post, path = "/api/v1/indicator-datasets", request_body = IndicatorImport, responses((status = 201, body = IndicatorDataset), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import_indicators(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: IndicatorImport =
        json_body_after(&body, holds(&auth.actor, Permission::ModelAllocations)).await?;
    let p = state
        .app
        .import_indicator_dataset(&auth.actor, &input.dataset, &input.source, &input.csv)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IndicatorDataset {
            dataset: p.dataset,
            source: p.source,
        }),
    )
        .into_response())
}
