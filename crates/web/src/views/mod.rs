//! HTML pages: a module per area of the product, templates in `templates/`.

pub mod audit;
pub mod co_commissioning;
pub mod funds;
pub mod grants;
pub mod pages;
pub mod proposals;
pub mod reference;
pub mod tokens;
pub mod users;

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use lcpf_app::access::{may, Permission};
use lcpf_app::{Actor, CurrentUser};
use lcpf_domain::FieldErrors;

use crate::auth::Auth;
use crate::error::PageError;

/// Template filters every page may use; a view module brings them in with
/// `use crate::views::filters;`.
pub mod filters {
    /// `{{ at|london }}`: a stored UTC timestamp in London time, the GOV.UK way
    /// (`2 December 2026 at 6:14am`).
    pub fn london<T: std::fmt::Display>(at: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(lcpf_domain::calendar::london_date_time_text(
            &at.to_string(),
        ))
    }

    /// `{{ d.decided_on|date }}`: a stored date the GOV.UK way (`30 November 2016`).
    pub fn date<T: std::fmt::Display>(on: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(lcpf_domain::calendar::date_text(&on.to_string()))
    }

    /// `{{ user.role|role }}`: a role by its words ("Funder officer"), not its code.
    pub fn role<T: std::fmt::Display>(code: T, _: &dyn askama::Values) -> askama::Result<String> {
        let code = code.to_string();
        Ok(lcpf_domain::Role::parse(&code)
            .map(|r| r.label().to_string())
            .unwrap_or(code))
    }
}

/// One option of a radio group or select: the value sent and the words shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

/// What every page's frame needs: who is signed in, the form token and the navigation.
pub struct Layout {
    pub title: String,
    pub user: Option<CurrentUser>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}

impl Layout {
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user: None,
            csrf: String::new(),
            nav: Vec::new(),
        }
    }

    /// The frame for a page; `section` marks the navigation item that is current.
    pub fn new(auth: &Auth, title: &str, section: &str) -> Layout {
        let mut nav = Vec::new();
        let mut item = |href: String, label: &'static str, key: &str| {
            nav.push(NavItem {
                href,
                label,
                active: key == section,
            })
        };
        if let Actor::User(u) = &auth.actor {
            item("/".into(), "Home", "home");
            item("/funds".into(), "Funds", "funds");
            item("/organisations".into(), "Organisations", "organisations");
            item("/areas".into(), "Areas", "areas");
            item("/plans".into(), "Plans", "plans");
            // What the menu offers is what the app allows this person, never a role test here.
            let reviews = may(&auth.actor, Permission::ReviewProposals);
            let drafts = u.organisation_id.is_some_and(|o| {
                may(
                    &auth.actor,
                    Permission::DraftProposal { organisation_id: o },
                )
            });
            if reviews || drafts {
                item("/proposals".into(), "Proposals", "proposals");
            }
            if let Some(org) = u.organisation_id.filter(|o| {
                may(
                    &auth.actor,
                    Permission::ViewOrganisationPeople {
                        organisation_id: *o,
                    },
                ) && !reviews
            }) {
                item(format!("/organisations/{org}/people"), "Your team", "team");
            }
            item("/calls".into(), "Co-commissioning", "calls");
            if u.role.is_funder()
                || u.organisation_id
                    .is_some_and(|o| may(&auth.actor, Permission::ViewGrant { organisation_id: o }))
            {
                item("/grants".into(), "Grants", "grants");
            }
            if may(&auth.actor, Permission::ReviewClaims) {
                item("/claims".into(), "Claims", "claims");
                item("/payments".into(), "Payments", "payments");
            }
            if lcpf_app::access::role_allows(&auth.actor, Permission::AssessBid) {
                item("/assessments".into(), "Bids to assess", "assessments");
            }
            if may(&auth.actor, Permission::ManageUsers) {
                item("/users".into(), "Users", "users");
            }
            if may(&auth.actor, Permission::ViewAuditLog) {
                item("/audit".into(), "Audit log", "audit");
            }
            item("/account/tokens".into(), "API tokens", "tokens");
        }
        Layout {
            title: title.to_string(),
            user: auth.actor.user().cloned(),
            csrf: auth.csrf.clone().unwrap_or_default(),
            nav,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
    /// The page the person came from, on this site, to go back to.
    back: Option<&'a str>,
}

/// What an error page says, kept on the response so it can be drawn in the user's frame.
#[derive(Clone, Debug)]
pub struct ErrorPageContent {
    pub heading: String,
    pub message: String,
}

pub fn render_error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    render_error_page_for(None, status, heading, message, None)
}

pub fn render_error_page_for(
    auth: Option<&Auth>,
    status: StatusCode,
    heading: &str,
    message: &str,
    back: Option<&str>,
) -> Response {
    let layout = match auth {
        Some(auth) => Layout::new(auth, heading, ""),
        None => Layout::anonymous(heading),
    };
    let page = ErrorPage {
        layout,
        heading,
        message,
        back,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, heading.to_string()).into_response(),
    }
}

pub fn render<T: Template>(page: &T) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

/// Renders a form again with its errors, as 400 so that tools see it was refused.
pub fn render_invalid<T: Template>(page: &T) -> Result<Response, PageError> {
    Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
}

/// Splits an error into the field errors a form shows, or passes anything else on.
pub fn field_errors(e: lcpf_app::AppError) -> Result<FieldErrors, PageError> {
    match e {
        lcpf_app::AppError::Invalid(errors) => Ok(errors),
        other => Err(PageError::App(other)),
    }
}

/// Middleware: finds who is asking once per request (handlers reuse it), and draws error
/// pages inside that user's navigation so they can carry on from there.
pub async fn with_actor(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // A NUL can only arrive in an address as %00; no page or filter means anything by it.
    if parts
        .uri
        .path_and_query()
        .is_some_and(|pq| pq.as_str().to_ascii_lowercase().contains("%00"))
    {
        let message = "The web address contains a NUL character (%00): check the address";
        return if parts.uri.path().starts_with("/api/") {
            crate::error::problem(
                StatusCode::BAD_REQUEST,
                "Bad request",
                message,
                serde_json::json!([]),
            )
        } else {
            render_error_page(StatusCode::BAD_REQUEST, "There is a problem", message)
        };
    }
    let auth = match Auth::resolve(&parts, &state).await {
        Ok(auth) => auth,
        Err(e) => return e.into_response(),
    };
    if let Some(refusal) = crate::safety::api_write_refusal(&parts.method, parts.uri.path(), &auth)
    {
        return refusal;
    }
    parts.extensions.insert(auth.clone());
    let is_api = parts.uri.path().starts_with("/api/");
    let back = page_came_from(&parts);
    let response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    // A body over its route's limit was refused by the extractor with a bare message.
    let response = if response.status() == StatusCode::PAYLOAD_TOO_LARGE && is_bare(&response) {
        too_large(is_api)
    } else {
        response
    };
    match (
        response.extensions().get::<ErrorPageContent>(),
        auth.actor.user(),
    ) {
        (Some(content), Some(_)) => {
            let status = response.status();
            let mut redrawn = render_error_page_for(
                Some(&auth),
                status,
                &content.heading,
                &content.message,
                back.as_deref(),
            );
            for (name, value) in response.headers() {
                if name != axum::http::header::CONTENT_LENGTH
                    && name != axum::http::header::CONTENT_TYPE
                {
                    redrawn.headers_mut().insert(name.clone(), value.clone());
                }
            }
            redrawn
        }
        _ => response,
    }
}

/// The page on this site a request came from (its `Referer`, when it names this host and
/// is not the page asked for), so that a refusal can lead back there.
fn page_came_from(parts: &axum::http::request::Parts) -> Option<String> {
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let (authority, path) = rest.split_at(rest.find('/')?);
    let here = parts.uri.path_and_query().map(|pq| pq.as_str());
    (authority.eq_ignore_ascii_case(host)
        && !path.starts_with("//")
        && Some(path) != here
        && path.len() <= 2000)
        .then(|| path.to_string())
}

/// A response from an extractor's rejection: plain text, not one of our pages or problems.
fn is_bare(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"))
}

/// The answer to a request body over its route's limit, naming the limits.
pub fn too_large(is_api: bool) -> Response {
    let detail = format!(
        "The request is larger than this service accepts: at most {} for a form and {} for an uploaded file",
        crate::routes::size_in_words(crate::routes::FORM_BODY_LIMIT),
        crate::routes::size_in_words(crate::routes::UPLOAD_BODY_LIMIT)
    );
    if is_api {
        crate::error::problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            &detail,
            serde_json::json!([]),
        )
    } else {
        let mut r = render_error_page(StatusCode::PAYLOAD_TOO_LARGE, "There is a problem", &detail);
        r.extensions_mut().insert(ErrorPageContent {
            heading: "There is a problem".into(),
            message: detail,
        });
        r
    }
}

/// A file to download, named.
pub fn download(body: Vec<u8>, content_type: &str, filename: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// An attached file sent back as a download, never shown inline whatever type it claims to
/// be, under a name of safe characters only (`fallback` when none are left).
pub fn attachment(bytes: Vec<u8>, name: &str, fallback: &str) -> Response {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .collect();
    download(
        bytes,
        "application/octet-stream",
        if name.trim().is_empty() {
            fallback.to_string()
        } else {
            name
        },
    )
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
