//! API tokens in the browser: each person creates, lists and revokes their own; a funder
//! admin sees everyone's live tokens and revokes any. A new token is shown once only.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::access::{may, Permission};
use lcpf_domain::FieldErrors;
use lcpf_store::queries::auth::ApiToken;
use serde::Deserialize;

use super::{field_errors, filters, render, render_invalid, Layout};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

#[derive(Template)]
#[template(path = "tokens/own.html")]
struct OwnTokensPage {
    layout: Layout,
    tokens: Vec<ApiToken>,
    /// A token just created: shown on this page once and never again.
    created: Option<String>,
    typed_label: String,
    errors: FieldErrors,
    /// Funder admins: a link to everyone's tokens.
    sees_all: bool,
}

async fn own_page(
    state: &AppState,
    auth: &Auth,
    created: Option<String>,
    label: String,
    errors: FieldErrors,
) -> Result<OwnTokensPage, PageError> {
    Ok(OwnTokensPage {
        layout: Layout::new(auth, "Your API tokens", "tokens"),
        tokens: state.app.own_tokens(&auth.actor).await?,
        created,
        typed_label: label,
        errors,
        sees_all: may(&auth.actor, Permission::ManageUsers),
    })
}

pub async fn own(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    render(&own_page(&state, &auth, None, String::new(), FieldErrors::new()).await?)
}

#[derive(Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    label: String,
}

/// Creates a token and shows it on the page, this once (no redirect: it is not kept).
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<Response, PageError> {
    match state.app.create_own_token(&auth.actor, &form.label).await {
        Ok(token) => {
            let page = own_page(
                &state,
                &auth,
                Some(token),
                String::new(),
                FieldErrors::new(),
            )
            .await?;
            let mut r = render(&page)?;
            // The token must not linger in a cache or the back button's copy.
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(r)
        }
        Err(e) => {
            let errors = field_errors(e)?;
            render_invalid(&own_page(&state, &auth, None, form.label, errors).await?)
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RevokeForm {
    /// Where to go back to: `all` for the admin's list.
    #[serde(default)]
    from: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The API token")?;
    state.app.revoke_token(&auth.actor, id).await?;
    let back = if form.from == "all" {
        "/tokens"
    } else {
        "/account/tokens"
    };
    Ok(Redirect::to(back).into_response())
}

#[derive(Template)]
#[template(path = "tokens/all.html")]
struct AllTokensPage {
    layout: Layout,
    tokens: Vec<ApiToken>,
    people: lcpf_app::people::People,
}

pub async fn all(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let tokens = state.app.live_tokens(&auth.actor).await?;
    render(&AllTokensPage {
        layout: Layout::new(&auth, "API tokens", "users"),
        people: state.app.people(&auth.actor).await?,
        tokens,
    })
}
