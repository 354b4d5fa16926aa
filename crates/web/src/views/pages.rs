//! Start, sign-in and sign-out, the home page for each role, health and errors.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use lcpf_app::access::{may, Permission};
use lcpf_app::auth::Password;
use lcpf_app::{Actor, AppError};
use lcpf_domain::{FieldErrors, Role};
use serde::Deserialize;

use super::{render, render_invalid, Layout};
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
        available: false,
    },
    Stage {
        words: "turn decisions into grants, claim and pay them, and close a period",
        pages: "/grants",
        available: false,
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
    heading: String,
    tasks: Vec<(String, String, String)>,
    plan_summary: String,
}

/// `/`: the start page for visitors, the role's home page once signed in.
pub async fn start(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let Actor::User(user) = &auth.actor else {
        return render(&StartPage {
            layout: Layout::anonymous(""),
            stages: STAGES,
        });
    };
    let mut tasks: Vec<(String, String, String)> = Vec::new();
    let mut task = |href: String, title: &str, hint: &str| {
        tasks.push((href, title.to_string(), hint.to_string()))
    };
    let heading = match user.role {
        Role::FunderAdmin => {
            task(
                "/funds".into(),
                "Funds and allocations",
                "Funding periods and budgets, allocation scenarios and decisions.",
            );
            task(
                "/proposals".into(),
                "Borough proposals",
                "Each borough's proposal: review, return with comments, approve; money by priority across London.",
            );
            task(
                "/users".into(),
                "Manage users",
                "Add people, give them roles, disable accounts and reset passwords.",
            );
            task(
                "/organisations".into(),
                "Organisations",
                "MOPAC, the 32 boroughs, providers and the police.",
            );
            task(
                "/audit".into(),
                "Audit log",
                "Every change: who, when, what, before and after.",
            );
            "Fund administration".to_string()
        }
        Role::FunderOfficer => {
            task(
                "/funds".into(),
                "Funds and allocations",
                "Model allocation scenarios and compare them.",
            );
            task(
                "/proposals".into(),
                "Borough proposals",
                "Review what each borough proposes against its allocation; return or approve.",
            );
            task(
                "/organisations?kind=borough".into(),
                "Boroughs",
                "The 32 LCPF boroughs and their people.",
            );
            task(
                "/organisations?kind=provider".into(),
                "Providers",
                "Charities and companies delivering services.",
            );
            "Grants and performance".to_string()
        }
        Role::BoroughOfficer => {
            let org = user.organisation_id.unwrap_or_default();
            task(
                "/proposals".into(),
                "Your proposal",
                "Turn your allocation into funded activities under the plan's priorities, and submit it to MOPAC.",
            );
            task(
                format!("/organisations/{org}"),
                "Your borough",
                "Your council's details as MOPAC holds them.",
            );
            if may(
                &auth.actor,
                Permission::EditOrganisationContact {
                    organisation_id: org,
                },
            ) {
                task(
                    format!("/organisations/{org}/contact"),
                    "Update your contact details",
                    "Where MOPAC writes to about the fund.",
                );
            }
            task(
                format!("/organisations/{org}/people"),
                "Your team",
                "Who in your borough can sign in.",
            );
            if let Some(code) = &user.area_code {
                task(
                    format!("/areas/{code}"),
                    "Your allocations",
                    "Your borough's LCPF allocations year by year, its ONS code and boundary.",
                );
            }
            format!(
                "{} community safety",
                user.organisation_name.clone().unwrap_or_default()
            )
        }
        Role::Provider => {
            let org = user.organisation_id.unwrap_or_default();
            task(
                format!("/organisations/{org}"),
                "Your organisation",
                "Your details as MOPAC holds them.",
            );
            task(
                format!("/organisations/{org}/contact"),
                "Update your contact details",
                "Where MOPAC writes to about your grants.",
            );
            user.organisation_name
                .clone()
                .unwrap_or_else(|| "Your organisation".into())
        }
        Role::Assessor => {
            task(
                "/plans".into(),
                "Police and Crime Plan",
                "The priorities bids are scored against.",
            );
            "Assessing bids".to_string()
        }
        Role::Viewer => {
            task(
                "/areas".into(),
                "London's boroughs",
                "The 32 LCPF boroughs and the City of London.",
            );
            "Reports".to_string()
        }
    };
    task(
        "/plans".into(),
        "Police and Crime Plan priorities",
        "The five priority areas every project links to, and their objectives.",
    );
    let plans = state.app.list_plans(&auth.actor).await?;
    let plan_summary = match plans.last() {
        Some(p) => format!(
            "Projects link to the {} ({} to {}).",
            p.name, p.first_year, p.last_year
        ),
        None => "No Police and Crime Plan is set up yet.".to_string(),
    };
    render(&HomePage {
        layout: Layout::new(&auth, "Home", "home"),
        heading,
        tasks,
        plan_summary,
    })
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    csrf: String,
    email: String,
    errors: FieldErrors,
}

pub async fn sign_in_form(
    State(state): State<AppState>,
    auth: Auth,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if auth.actor.user().is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let (jar, csrf) = anonymous_csrf(jar, state.secure_cookies);
    let page = SignInPage {
        layout: Layout::anonymous("Sign in"),
        csrf,
        email: String::new(),
        errors: FieldErrors::new(),
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct SignInFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
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
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let (jar, csrf) = anonymous_csrf(jar, state.secure_cookies);
            let page = SignInPage {
                layout: Layout::anonymous("Sign in"),
                csrf,
                email: form.email,
                errors,
            };
            Ok((jar, render_invalid(&page)?).into_response())
        }
        Err(e) => Err(PageError::App(e)),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

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
    if state.app.healthy().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

pub async fn not_found() -> Response {
    PageError::App(AppError::NotFound("The page".into())).into_response()
}
