//! How a grant is paid, on its page: the schedule (while drafted), its milestones (agreed,
//! reported met, confirmed or returned) and a quarter's advance. Each form posts to the app
//! and comes back to the grant's page, with the problems beside the form that had them.

use axum::extract::{Path, State};
use axum::response::Response;
use lcpf_app::grants::schedule::{AdvanceInput, MilestoneInput, MilestoneStepInput, ScheduleInput};
use lcpf_domain::grant::milestone::MilestoneEvent;

use super::super::co_commissioning::value;
use super::{back_to_grant as back, same, Pairs};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

fn ids(id: &str, milestone: &str) -> Result<(i64, i64), PageError> {
    Ok((
        parse_id(id, "The grant")?,
        parse_id(milestone, "The milestone")?,
    ))
}

/// Chooses how a drafted grant is paid (funder staff).
pub async fn schedule(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let input = ScheduleInput {
        schedule: value(&form, "schedule"),
    };
    let result = state.app.set_schedule(&auth.actor, id, &input).await;
    back(&state, &auth, id, "payment-plan", form, result, same).await
}

/// Adds a milestone to a drafted grant paid on milestones (funder staff).
pub async fn add_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let input = MilestoneInput {
        title: value(&form, "milestone_title"),
        year: value(&form, "milestone_year"),
        due_on: value(&form, "milestone_due_on"),
        amount: value(&form, "milestone_amount"),
    };
    let result = state
        .app
        .add_milestone(&auth.actor, id, &input)
        .await
        .map(|_| ());
    back(&state, &auth, id, "milestones", form, result, |f| match f {
        "title" | "year" | "due_on" | "amount" => format!("milestone_{f}"),
        other => other.to_string(),
    })
    .await
}

/// Removes a planned milestone from a drafted grant (funder staff).
pub async fn remove_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, milestone)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let (id, milestone) = ids(&id, &milestone)?;
    let result = state.app.remove_milestone(&auth.actor, id, milestone).await;
    back(&state, &auth, id, "milestones", form, result, same).await
}

async fn milestone_step(
    state: AppState,
    auth: Auth,
    (id, milestone): (String, String),
    form: Pairs,
    event: MilestoneEvent,
) -> Result<Response, PageError> {
    let (id, milestone) = ids(&id, &milestone)?;
    let input = MilestoneStepInput {
        text: value(&form, &format!("milestone_{milestone}")),
    };
    let result = state
        .app
        .milestone_step(&auth.actor, id, milestone, event, &input)
        .await
        .map(|_| ());
    back(&state, &auth, id, "milestones", form, result, |f| match f {
        "report" | "comments" => format!("milestone_{milestone}"),
        other => other.to_string(),
    })
    .await
}

/// Reports a milestone met, saying what shows it (the recipient's officers).
pub async fn report_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    milestone_step(state, auth, path, form, MilestoneEvent::Report).await
}

/// Returns a reported milestone with comments (funder staff).
pub async fn return_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    milestone_step(state, auth, path, form, MilestoneEvent::Return).await
}

/// Confirms a reported milestone met: its payment request follows (funder staff).
pub async fn confirm_milestone(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    milestone_step(state, auth, path, form, MilestoneEvent::Confirm).await
}

/// Requests a quarter's advance (funder staff).
pub async fn advance(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The grant")?;
    let input = AdvanceInput {
        quarter: value(&form, "quarter"),
    };
    let result = state
        .app
        .request_advance(&auth.actor, id, &input)
        .await
        .map(|_| ());
    back(
        &state,
        &auth,
        id,
        "payment-plan",
        form,
        result,
        |f| match f {
            "quarter" => "advance".to_string(),
            other => other.to_string(),
        },
    )
    .await
}
