//! Who is making a request (session cookie or API bearer token), and CSRF protection.
//!
//! Every form a signed-in user sees carries their session's CSRF token; the sign-in form,
//! before there is a session, uses a double-submit cookie. A form whose token does not match
//! changes nothing. The API takes bearer tokens, which a browser never sends by itself, and
//! refuses changes made with only a session cookie.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use lcpf_app::Actor;
use serde::de::DeserializeOwned;

use crate::error::PageError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "lcpf_session";
pub const CSRF_COOKIE: &str = "lcpf_csrf";

/// The actor behind a request and what it needs to send forms.
#[derive(Clone, Debug)]
pub struct Auth {
    pub actor: Actor,
    /// The session's CSRF token, when signed in with a cookie.
    pub csrf: Option<String>,
    pub session_token: Option<String>,
    /// Signed in with an API bearer token.
    pub bearer: bool,
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.extensions.get::<Auth>() {
            return Ok(auth.clone());
        }
        Auth::resolve(parts, state).await
    }
}

impl Auth {
    /// Looks up the session or token behind a request.
    pub async fn resolve(parts: &Parts, state: &AppState) -> Result<Auth, PageError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        if let Some(token) = bearer {
            let actor = match state.app.token_user(&token).await? {
                Some(user) => Actor::User(user),
                None => Actor::Anonymous,
            };
            return Ok(Auth {
                actor,
                csrf: None,
                session_token: None,
                bearer: true,
            });
        }
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
            if let Some(session) = state.app.session(&token).await? {
                return Ok(Auth {
                    actor: Actor::User(session.user),
                    csrf: Some(session.csrf_token),
                    session_token: Some(token),
                    bearer: false,
                });
            }
        }
        Ok(Auth {
            actor: Actor::Anonymous,
            csrf: None,
            session_token: None,
            bearer: false,
        })
    }
}

/// The client's network address: the connection's peer, or the last value of the header a
/// trusted reverse proxy sets (`--client-address-header`). Sign-in throttling counts by it.
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_header = state.client_address_header.as_ref().and_then(|h| {
            let values: Vec<&str> = parts
                .headers
                .get_all(h)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            values
                .last()
                .and_then(|v| v.rsplit(',').next())
                .map(|v| v.trim().chars().take(64).collect::<String>())
                .filter(|v| !v.is_empty())
        });
        let peer = || {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        };
        Ok(ClientAddress(
            from_header
                .or_else(peer)
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

fn same(a: &str, b: &str) -> bool {
    // Constant time for equal lengths, so a guess cannot be refined by timing.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Reads a submitted form and checks its CSRF token: the session's when signed in, otherwise
/// the double-submit cookie's. Fields the form type does not know are ignored.
///
/// A signed-out visitor is sent to sign in before anything about the form is looked at:
/// who may do something comes before what is wrong with the input. The sign-in form itself
/// uses [`read_sign_in_form`].
pub fn read_form<T: DeserializeOwned>(
    auth: &Auth,
    jar: &CookieJar,
    body: &[u8],
) -> Result<T, PageError> {
    if auth.actor.user().is_none() {
        return Err(PageError::App(lcpf_app::AppError::Unauthenticated));
    }
    read_sign_in_form(auth, jar, body)
}

/// Reads the one form a signed-out visitor may send.
pub fn read_sign_in_form<T: DeserializeOwned>(
    auth: &Auth,
    jar: &CookieJar,
    body: &[u8],
) -> Result<T, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
        PageError::BadRequest("The form could not be read. Go back and try again.".into())
    })?;
    let submitted = pairs
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    check_csrf(auth, jar, submitted)?;
    // A NUL is refused here, for every field of every form, the same way on both databases
    // (PostgreSQL cannot store one); other control characters are refused with each field's
    // own rules (`lcpf_domain::field::check_text`).
    let mut errors = lcpf_domain::FieldErrors::new();
    for (k, v) in &pairs {
        if v.chars().any(|c| c == '\0') {
            errors.add(
                k,
                "must not contain the NUL character (U+0000): type or paste plain text",
            );
        }
    }
    if !errors.is_empty() {
        return Err(PageError::App(lcpf_app::AppError::Invalid(errors)));
    }
    serde_urlencoded::from_bytes(body).map_err(|_| {
        PageError::BadRequest("The form could not be read. Go back and try again.".into())
    })
}

/// Checks a form's CSRF token: the session's when signed in, otherwise the double-submit
/// cookie's.
pub fn check_csrf(auth: &Auth, jar: &CookieJar, submitted: &str) -> Result<(), PageError> {
    let expected = match &auth.csrf {
        Some(t) => Some(t.clone()),
        None => jar.get(CSRF_COOKIE).map(|c| c.value().to_string()),
    };
    match expected {
        Some(e) if !submitted.is_empty() && same(&e, submitted) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c
}

/// The double-submit token for a signed-out form: the cookie's, or a new one to set.
pub fn anonymous_csrf(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(CSRF_COOKIE) {
        let v = c.value().to_string();
        return (jar, v);
    }
    use std::fmt::Write;
    let mut token = String::new();
    for b in lcpf_app::auth::random_bytes() {
        let _ = write!(token, "{b:02x}");
    }
    (jar.add(cookie(CSRF_COOKIE, token.clone(), secure)), token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_compare() {
        assert!(super::same("abc", "abc"));
        assert!(!super::same("abc", "abd"));
        assert!(!super::same("abc", "abcd"));
    }
}
