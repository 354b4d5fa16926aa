//! Payment pages: payments by state with the finance export, one payment with its
//! authorisation, earlier exports' files, and each funder user's spend authority.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::co_commissioning::Pages;
use lcpf_app::grants::payments::*;
use lcpf_domain::FieldErrors;

use super::super::co_commissioning::value;
use super::super::{download, field_errors, filters, render, render_invalid, Layout};
use super::claims::ListQuery;
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

type Pairs = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "grants/payments.html")]
struct PaymentsListPage {
    layout: Layout,
    page: PaymentsPage,
    pages: Pages,
    states: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    auth: &Auth,
    q: &ListQuery,
    errors: FieldErrors,
) -> Result<PaymentsListPage, PageError> {
    let page = state
        .app
        .payments_page(&auth.actor, q.state(), q.page())
        .await?;
    Ok(PaymentsListPage {
        layout: Layout::new(auth, "Payments", "payments"),
        pages: page.pages,
        page,
        states: lcpf_domain::grant::payment::PaymentState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    render(&list_page(&state, &auth, &q, FieldErrors::new()).await?)
}

fn csv_file(file: ExportFile) -> Response {
    download(
        file.csv.into_bytes(),
        "text/csv; charset=utf-8",
        format!("lcpf-payments-{:04}.csv", file.id),
    )
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(_): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    match state.app.export_payments(&auth.actor).await {
        Ok(file) => Ok(csv_file(file)),
        Err(e) => {
            let errors = field_errors(e)?;
            let q = ListQuery::of_state("authorised");
            render_invalid(&list_page(&state, &auth, &q, errors).await?)
        }
    }
}

pub async fn export_file(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The finance export")?;
    Ok(csv_file(state.app.finance_export(&auth.actor, id).await?))
}

#[derive(Template)]
#[template(path = "grants/payment.html")]
struct PaymentPage {
    layout: Layout,
    p: PaymentView,
    /// A fresh key for this intent to pay: a double click sends it twice and pays once.
    key: String,
    errors: FieldErrors,
}

async fn payment_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    errors: FieldErrors,
) -> Result<PaymentPage, PageError> {
    let p = state.app.payment(&auth.actor, id).await?;
    Ok(PaymentPage {
        layout: Layout::new(
            auth,
            &format!("Payment for {}", p.payment.grant_reference),
            "payments",
        ),
        p,
        key: lcpf_app::auth::new_secret(),
        errors,
    })
}

pub async fn payment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The payment")?;
    render(&payment_page(&state, &auth, id, FieldErrors::new()).await?)
}

pub async fn authorise(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The payment")?;
    let input = AuthoriseInput {
        idempotency_key: value(&form, "idempotency_key"),
    };
    match state.app.authorise_payment(&auth.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/payments/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&payment_page(&state, &auth, id, errors).await?)
        }
    }
}

/// Cancels a payment request with the reason typed on its page.
pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The payment")?;
    let input = CancelInput {
        reason: value(&form, "reason"),
    };
    match state.app.cancel_payment(&auth.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/payments/{id}")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&payment_page(&state, &auth, id, errors).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "grants/spend_authority.html")]
struct AuthorityPage {
    layout: Layout,
    rows: Vec<AuthorityRow>,
    /// The person whose form was refused, and what they typed.
    refused: Option<(i64, String)>,
    errors: FieldErrors,
}

impl AuthorityPage {
    /// What was typed for `user_id`, when their form was refused.
    fn refused_value(&self, user_id: &i64) -> Option<String> {
        self.refused
            .as_ref()
            .filter(|(id, _)| id == user_id)
            .map(|(_, v)| v.clone())
    }
}

async fn authority_page(
    state: &AppState,
    auth: &Auth,
    refused: Option<(i64, String)>,
    errors: FieldErrors,
) -> Result<AuthorityPage, PageError> {
    Ok(AuthorityPage {
        layout: Layout::new(auth, "Spend authority", "users"),
        rows: state.app.spend_authorities(&auth.actor).await?,
        refused,
        errors,
    })
}

pub async fn authorities(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    render(&authority_page(&state, &auth, None, FieldErrors::new()).await?)
}

pub async fn set_authority(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funder user")?;
    let input = SpendAuthorityInput {
        limit: value(&form, "limit"),
    };
    match state.app.set_spend_authority(&auth.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to("/spend-authority").into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&authority_page(&state, &auth, Some((id, input.limit)), errors).await?)
        }
    }
}
