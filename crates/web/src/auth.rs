//! Who is making a request (session cookie or API bearer token), and CSRF protection.
//!
//! Every form a signed-in user sees carries their session's CSRF token; the sign-in form,
//! before there is a session, uses a double-submit cookie. A form whose token does not match
//! changes nothing. The API takes bearer tokens, which a browser never sends by itself, and
//! refuses changes made with only a session cookie.

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
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

/// A form whose CSRF token has been checked: the only way a page handler reads a form.
///
/// A signed-out visitor is sent to sign in before anything about the form is looked at
/// (who may do something comes before what is wrong with the input). The token must be the
/// session's. Fields the form type does not know are ignored. A NUL in any field is refused,
/// the same way on both databases.
pub struct CsrfForm<T>(pub T);

/// The one form a signed-out visitor may send (sign-in), checked against the double-submit
/// cookie.
pub struct SignInForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (auth, jar, body) = form_parts(request, state, true).await?;
        read_checked(&auth, &jar, &body).map(CsrfForm)
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignInForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (auth, jar, body) = form_parts(request, state, false).await?;
        read_checked(&auth, &jar, &body).map(SignInForm)
    }
}

/// Who is asking, their cookies, and the body; a signed-out caller of a form that needs
/// a user is refused before the body is read.
async fn form_parts(
    request: Request,
    state: &AppState,
    needs_user: bool,
) -> Result<(Auth, CookieJar, Bytes), PageError> {
    let (mut parts, body) = request.into_parts();
    let auth = Auth::from_request_parts(&mut parts, state).await?;
    if needs_user && auth.actor.user().is_none() {
        return Err(PageError::App(lcpf_app::AppError::Unauthenticated));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let body = Bytes::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                PageError::TooLarge
            } else {
                unreadable_form()
            }
        })?;
    Ok((auth, jar, body))
}

fn unreadable_form() -> PageError {
    PageError::BadRequest("The form could not be read. Go back and try again.".into())
}

fn read_checked<T: DeserializeOwned>(
    auth: &Auth,
    jar: &CookieJar,
    body: &[u8],
) -> Result<T, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| unreadable_form())?;
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
    serde_urlencoded::from_bytes(body).map_err(|_| unreadable_form())
}

/// Checks a form's CSRF token: the session's when signed in, otherwise the double-submit
/// cookie's.
fn check_csrf(auth: &Auth, jar: &CookieJar, submitted: &str) -> Result<(), PageError> {
    let expected = match &auth.csrf {
        Some(t) => Some(t.clone()),
        None => jar.get(CSRF_COOKIE).map(|c| c.value().to_string()),
    };
    match expected {
        Some(e) if !submitted.is_empty() && same(&e, submitted) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

/// An uploaded file's form (multipart), not yet read. The handler decides who may upload
/// first, then calls [`CsrfUpload::read`], which reads every part and checks the CSRF token
/// before handing any of them over: the only way a page handler reads an upload.
pub struct CsrfUpload {
    auth: Auth,
    jar: CookieJar,
    multipart: Result<Multipart, MultipartRejection>,
}

/// Why an upload could not be read.
#[derive(Debug)]
pub enum UploadError {
    /// Not a multipart form, or broken.
    Unreadable,
    /// Over the route's body limit; the CSRF token may not have been read.
    TooLarge,
    /// The token was missing or wrong.
    Csrf,
}

/// An upload's fields by name, after the CSRF check.
pub struct Upload {
    fields: std::collections::HashMap<String, Bytes>,
    /// The file name and content type the browser sent with each file field.
    files: std::collections::HashMap<String, (String, String)>,
}

impl Upload {
    /// The bytes of a field (a file or a text field); empty when it was not sent.
    pub fn bytes(&self, name: &str) -> &[u8] {
        self.fields.get(name).map(|b| b.as_ref()).unwrap_or(&[])
    }

    /// The name and content type sent with a file field (empty when none).
    pub fn file_details(&self, name: &str) -> (String, String) {
        self.files.get(name).cloned().unwrap_or_default()
    }

    /// A text field, lossily decoded (text fields are checked by the use case).
    pub fn text(&self, name: &str) -> String {
        String::from_utf8_lossy(self.bytes(name)).into_owned()
    }
}

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        let auth = Auth::from_request_parts(&mut parts, state).await?;
        if auth.actor.user().is_none() {
            return Err(PageError::App(lcpf_app::AppError::Unauthenticated));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let multipart = Multipart::from_request(Request::from_parts(parts, body), state).await;
        Ok(CsrfUpload {
            auth,
            jar,
            multipart,
        })
    }
}

impl CsrfUpload {
    pub async fn read(self) -> Result<Upload, UploadError> {
        let mut multipart = self.multipart.map_err(|_| UploadError::Unreadable)?;
        let mut fields = std::collections::HashMap::new();
        let mut files = std::collections::HashMap::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(upload_error(e.status())),
            };
            let name = field.name().unwrap_or("").to_string();
            if let Some(file_name) = field.file_name() {
                let content_type = field.content_type().unwrap_or("").to_string();
                files.insert(name.clone(), (file_name.to_string(), content_type));
            }
            let bytes = field.bytes().await.map_err(|e| upload_error(e.status()))?;
            fields.insert(name, bytes);
        }
        let submitted = fields
            .get("csrf_token")
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        check_csrf(&self.auth, &self.jar, &submitted).map_err(|_| UploadError::Csrf)?;
        fields.remove("csrf_token");
        Ok(Upload { fields, files })
    }
}

fn upload_error(status: axum::http::StatusCode) -> UploadError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::TooLarge
    } else {
        UploadError::Unreadable
    }
}

impl From<UploadError> for PageError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Unreadable => PageError::BadRequest(
                "The upload could not be read. Go back and choose the file again.".into(),
            ),
            UploadError::TooLarge => PageError::TooLarge,
            UploadError::Csrf => PageError::Csrf,
        }
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
