//! Managing users (funder admin).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::auth::Password;
use lcpf_app::users::NewUserInput;
use lcpf_app::{Organisation, User};
use lcpf_domain::{FieldErrors, Role};
use serde::Deserialize;

use super::{field_errors, filters, render, render_invalid, Choice, Layout};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
}

pub async fn list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let users = state.app.list_users(&auth.actor).await?;
    render(&UsersPage {
        layout: Layout::new(&auth, "Users", "users"),
        users,
    })
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserFormPage {
    layout: Layout,
    form: UserForm,
    roles: Vec<Choice>,
    organisations: Vec<Organisation>,
    errors: FieldErrors,
}

fn roles() -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.code(),
            label: r.label(),
        })
        .collect()
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let organisations = state.app.organisations_for_new_user(&auth.actor).await?;
    render(&UserFormPage {
        layout: Layout::new(&auth, "Add a user", "users"),
        form: UserForm::default(),
        roles: roles(),
        organisations,
        errors: FieldErrors::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<UserForm>,
) -> Result<Response, PageError> {
    let input = NewUserInput {
        email: form.email.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        organisation: form.organisation.clone(),
        password: Some(Password::new(form.password.clone())),
    };
    match state.app.add_user(&auth.actor, &input).await {
        Ok(user) => Ok(Redirect::to(&format!("/users/{}", user.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let organisations = state.app.organisations_for_new_user(&auth.actor).await?;
            render_invalid(&UserFormPage {
                layout: Layout::new(&auth, "Add a user", "users"),
                form,
                roles: roles(),
                organisations,
                errors,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    user: User,
    notice: Option<String>,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The user")?;
    let user = state.app.get_user(&auth.actor, id).await?;
    let notice = match n.done.as_str() {
        "disabled" => Some(format!("{} has been disabled and signed out", user.name)),
        "enabled" => Some(format!("{} can sign in again", user.name)),
        "password" => Some(format!("{}'s password has been reset", user.name)),
        _ => None,
    };
    render(&UserPage {
        layout: Layout::new(&auth, &user.name, "users"),
        user,
        notice,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct Empty {}

async fn set_disabled(
    state: AppState,
    auth: Auth,
    id: String,
    CsrfForm(_): CsrfForm<Empty>,
    disabled: bool,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The user")?;
    state
        .app
        .set_user_disabled(&auth.actor, id, disabled)
        .await?;
    Ok(Redirect::to(&format!(
        "/users/{id}?done={}",
        if disabled { "disabled" } else { "enabled" }
    ))
    .into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    set_disabled(state, auth, id, form, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    form: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    set_disabled(state, auth, id, form, false).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The user")?;
    match state
        .app
        .reset_password(&auth.actor, id, &Password::new(form.password))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/users/{id}?done=password")).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let user = state.app.get_user(&auth.actor, id).await?;
            render_invalid(&UserPage {
                layout: Layout::new(&auth, &user.name, "users"),
                user,
                notice: None,
                errors,
            })
        }
    }
}
