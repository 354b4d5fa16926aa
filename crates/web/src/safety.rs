//! Protections every response and every API write gets from the router, so that no handler
//! can forget them: security headers, and the rule that API changes need a bearer token.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lcpf_app::AppError;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::AppState;

/// Scripts, styles, images and fonts come from this service only (no inline scripts or
/// styles anywhere); forms post only here; no page can be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// HSTS for a year, sent only when cookies are marked Secure (the service is behind HTTPS).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Middleware: the security headers on every response, errors and assets included.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // A page asked for while signed out returns there after signing in.
    let asked_for = (request.method() == Method::GET)
        .then(|| {
            request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
        })
        .flatten()
        .filter(|p| p != "/" && !p.starts_with("/api/"));
    let mut response = next.run(request).await;
    if let Some(asked_for) = asked_for {
        let to_sign_in = response.status().is_redirection()
            && response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                == Some("/sign-in");
        if to_sign_in {
            if let Ok(query) = serde_urlencoded::to_string([("next", asked_for.as_str())]) {
                if let Ok(v) = HeaderValue::from_str(&format!("/sign-in?{query}")) {
                    response.headers_mut().insert(header::LOCATION, v);
                }
            }
        }
    }
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, value);
    }
    // Pages, API answers, exports and downloads hold the fund's records: no browser or proxy
    // keeps a copy (the static assets say otherwise for themselves).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// Whether a request may change something through the API, decided before any handler (and
/// before the body is read): a signed-out caller gets 401, and a caller with only a browser
/// session gets 403, so a page on another site can never make a browser change anything
/// through the API. Reads and pages pass.
pub fn api_write_refusal(method: &Method, path: &str, auth: &Auth) -> Option<Response> {
    let is_write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !is_write || !path.starts_with("/api/") {
        return None;
    }
    let refusal = if auth.actor.user().is_none() {
        AppError::Unauthenticated
    } else if auth.bearer {
        return None;
    } else {
        AppError::Forbidden(
            "Changes through the API need an API token: send Authorization: Bearer <token>".into(),
        )
    };
    Some(ApiError(refusal).into_response())
}
