//! Turning use-case errors into responses: an HTML page for people, problem+json for the API.
//! Unexpected failures are logged with their cause and shown as a plain error, never details.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::AppError;
use serde_json::json;

use crate::views::{render_error_page, ErrorPageContent, Layout};

/// An error on an HTML page.
#[derive(Debug)]
pub enum PageError {
    App(AppError),
    /// A form arrived without the token its page gave it.
    Csrf,
    /// The request itself could not be read.
    BadRequest(String),
    /// The body was over its route's limit.
    TooLarge,
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::App(AppError::Internal(anyhow::anyhow!("template failed: {e}")))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::App(AppError::Unauthenticated) => return Redirect::to("/sign-in").into_response(),
            PageError::App(AppError::Forbidden(m)) => (StatusCode::FORBIDDEN, "You cannot do this", m),
            PageError::App(AppError::NotFound(what)) => (
                StatusCode::NOT_FOUND,
                "Page not found",
                format!("{what} was not found. If you typed the web address, check it is correct."),
            ),
            PageError::App(AppError::Invalid(errors)) => (StatusCode::BAD_REQUEST, "There is a problem", errors.to_string()),
            PageError::App(AppError::Conflict { message, changes }) => (
                StatusCode::CONFLICT,
                "Someone else changed this first",
                if changes.is_empty() {
                    format!("{message}.")
                } else {
                    format!("{message}. Changed since: {}.", changes.join("; "))
                },
            ),
            PageError::App(AppError::TooManyAttempts { retry_after_secs, until }) => {
                let when = chrono::DateTime::parse_from_rfc3339(&until)
                    .map(|t| lcpf_domain::calendar::london_date_time(t.with_timezone(&chrono::Utc)))
                    .unwrap_or_default();
                let minutes = retry_after_secs.div_ceil(60);
                let mut r = render_error_page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts to sign in",
                    &format!(
                        "For your security, signing in is paused after too many wrong email addresses or passwords. You can try again from {when} (in {minutes} minute{}).",
                        if minutes == 1 { "" } else { "s" }
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
            PageError::App(AppError::Unavailable(m)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                format!("{m}. Nothing you entered has been saved: try again in a few minutes."),
            ),
            PageError::App(AppError::Internal(e)) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    "Try again later. Nothing you entered has been saved.".to_string(),
                )
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your security the form could not be sent. Go back, reload the page and try again.".to_string(),
            ),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "There is a problem", m),
            PageError::TooLarge => return crate::views::too_large(false),
        };
        // Rendered without the user's navigation here; `with_actor` re-renders it in the
        // signed-in frame on the way out.
        let mut response = render_error_page(status, title, &message);
        response.extensions_mut().insert(ErrorPageContent {
            heading: title.to_string(),
            message,
        });
        response
    }
}

/// An error from the JSON API, as RFC 9457 problem details.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    errors: serde_json::Value,
) -> Response {
    let body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "errors": errors,
    });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Unauthenticated => {
                let mut r = problem(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorised",
                    "Send an API token: Authorization: Bearer <token>",
                    json!([]),
                );
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            AppError::Forbidden(m) => problem(StatusCode::FORBIDDEN, "Forbidden", &m, json!([])),
            AppError::NotFound(what) => problem(
                StatusCode::NOT_FOUND,
                "Not found",
                &format!("{what} was not found"),
                json!([]),
            ),
            AppError::Invalid(errors) => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The request has problems",
                &errors.to_string(),
                serde_json::to_value(&errors).unwrap_or_default(),
            ),
            AppError::TooManyAttempts {
                retry_after_secs,
                until,
            } => problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                &format!("try again in {retry_after_secs} seconds, at {until}"),
                json!([]),
            ),
            AppError::Conflict { message, changes } => problem(
                StatusCode::CONFLICT,
                "Changed since it was read",
                &message,
                json!({ "changes": changes }),
            ),
            AppError::Unavailable(m) => {
                let mut r = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Unavailable",
                    &format!("{m}: nothing was changed; send the request again later"),
                    json!([]),
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                r
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "API request failed");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "Something went wrong on our side; nothing was changed",
                    json!([]),
                )
            }
        }
    }
}

/// A path parameter that should be a number but is not: the page does not exist.
pub fn parse_id(text: &str, what: &str) -> Result<i64, AppError> {
    text.parse()
        .map_err(|_| AppError::NotFound(what.to_string()))
}

impl Layout {
    pub fn for_error() -> Layout {
        Layout::anonymous("Error")
    }
}

/// A handler panicked (a bug): log it and answer 500 instead of dropping the connection.
pub fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request panicked");
    render_error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you entered has been saved.",
    )
}
