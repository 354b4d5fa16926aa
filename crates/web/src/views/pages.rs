//! Start, sign-in and sign-out, each person's home page (the app's `home` model), health
//! and errors.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use lcpf_app::auth::Password;
use lcpf_app::AppError;
use lcpf_domain::FieldErrors;
use serde::Deserialize;

use super::{filters, render, render_invalid, Layout};
use crate::auth::{anonymous_csrf, cookie, Auth, CsrfForm, SESSION_COOKIE};
use crate::error::PageError;
use crate::AppState;

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    layout: Layout,
    stages: &'static [Stage],
}

/// A stage of the fund's lifecycle as the start page tells visitors about it.
pub struct Stage {
    /// What a person can do in it, e.g. "prepare borough proposals…".
    pub words: &'static str,
    /// Where its pages live; a stage is available once a page there is routed.
    pub pages: &'static str,
    pub available: bool,
}

/// The lifecycle, in order. `tests/sign_in.rs` checks `available` against the route table,
/// so the start page stays true as stages land.
pub const STAGES: &[Stage] = &[
    Stage {
        words: "find the 32 LCPF boroughs, providers and the police, with their ONS codes and org-ids",
        pages: "/areas",
        available: true,
    },
    Stage {
        words: "read the Police and Crime Plan's priority areas and objectives that every project links to",
        pages: "/plans",
        available: true,
    },
    Stage {
        words: "model each borough's allocation from need and demand, compare scenarios and record the decision",
        pages: "/funds",
        available: true,
    },
    Stage {
        words: "prepare a borough's proposal line by line, submit it, and have the funder return or approve it",
        pages: "/proposals",
        available: true,
    },
    Stage {
        words: "open co-commissioning calls, bid as a consortium, assess and award bids",
        pages: "/calls",
        available: true,
    },
    Stage {
        words: "turn approved proposals and awards into grant agreements, offer, sign and vary them",
        pages: "/grants",
        available: true,
    },
    Stage {
        words: "claim a grant's spend each quarter with evidence, authorise and export payments, and close a period",
        pages: "/claims",
        available: true,
    },
    Stage {
        words: "report quarterly performance and publish the fund's grants as open data",
        pages: "/returns",
        available: false,
    },
];

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    home: lcpf_app::home::Home,
}

/// `/`: the start page for visitors, the person's home page once signed in.
pub async fn start(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    if auth.actor.user().is_none() {
        return render(&StartPage {
            layout: Layout::anonymous(""),
            stages: STAGES,
        });
    }
    render(&HomePage {
        home: state.app.home(&auth.actor).await?,
        layout: Layout::new(&auth, "Home", "home"),
    })
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    csrf: String,
    email: String,
    errors: FieldErrors,
    /// The page asked for before signing in, to return to afterwards.
    next: String,
}

/// Where to go after signing in: the page that was asked for, when it is a page of this
/// site (a path, never another site's address); otherwise the home page.
fn after_sign_in(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && !next.starts_with("/sign-in")
        && !next.starts_with("/sign-out");
    if local {
        next
    } else {
        "/"
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn sign_in_form(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Result<Response, PageError> {
    let next = after_sign_in(&q.next).to_string();
    if auth.actor.user().is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let (jar, csrf) = anonymous_csrf(jar, state.secure_cookies);
    let page = SignInPage {
        layout: Layout::anonymous("Sign in"),
        csrf,
        email: String::new(),
        errors: FieldErrors::new(),
        next,
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct SignInFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    client: crate::auth::ClientAddress,
    jar: CookieJar,
    crate::auth::SignInForm(form): crate::auth::SignInForm<SignInFields>,
) -> Result<Response, PageError> {
    match state
        .app
        .sign_in(&form.email, &Password::new(form.password), &client.0)
        .await
    {
        Ok((_, session)) => {
            let jar = jar.add(cookie(SESSION_COOKIE, session.token, state.secure_cookies));
            Ok((jar, Redirect::to(after_sign_in(&form.next))).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let (jar, csrf) = anonymous_csrf(jar, state.secure_cookies);
            let page = SignInPage {
                layout: Layout::anonymous("Sign in"),
                csrf,
                email: form.email,
                errors,
                next: after_sign_in(&form.next).to_string(),
            };
            Ok((jar, render_invalid(&page)?).into_response())
        }
        Err(e) => Err(PageError::App(e)),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

#[derive(Template)]
#[template(path = "sign_out.html")]
struct SignOutPage {
    layout: Layout,
    signed_in: bool,
}

/// `GET /sign-out` (a bookmark, a typed address): a page with the sign-out button, since
/// signing out changes something and so is a form; signed out already, it says so.
pub async fn sign_out_page(auth: Auth) -> Result<Response, PageError> {
    let signed_in = auth.actor.user().is_some();
    render(&SignOutPage {
        layout: if signed_in {
            Layout::new(&auth, "Sign out", "")
        } else {
            Layout::anonymous("Signed out")
        },
        signed_in,
    })
}

pub async fn sign_out(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(token) = &auth.session_token {
        state.app.sign_out(&auth.actor, token).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/sign-in")).into_response())
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    layout: Layout,
}

pub async fn accessibility(auth: Auth) -> Result<Response, PageError> {
    render(&AccessibilityPage {
        layout: Layout::new(&auth, "Accessibility", ""),
    })
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.app.health().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(what) => (StatusCode::SERVICE_UNAVAILABLE, what).into_response(),
    }
}

pub async fn not_found() -> Response {
    PageError::App(AppError::NotFound("The page".into())).into_response()
}
