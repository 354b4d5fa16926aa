//! Every route, declared once with who it is for.
//!
//! [`router`] returns the axum router and the list of [`RouteSpec`]s it was built from, so
//! tests can walk every route that exists. The audience is a description for those tests and
//! for readers; the decision itself is made by the use case each handler calls.

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

use crate::views::{audit, funds, pages, proposals, reference, tokens, users};

mod co_commissioning;
mod grants;
use crate::{api, assets, AppState};

/// The largest request body a form or an API write may send.
pub const FORM_BODY_LIMIT: usize = 1024 * 1024;
/// The largest body for a route that takes a file (a workbook, a CSV, evidence): the largest
/// file (10 MB, which each use case checks itself) and room for a form's multipart envelope,
/// so a file of exactly 10 MB is taken from the form as from the API.
pub const UPLOAD_BODY_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

/// `1 MB`, `10 MB`: a limit as people read it.
pub fn size_in_words(bytes: usize) -> String {
    format!("{} MB", bytes / (1024 * 1024))
}

/// Routes that take an uploaded file get the larger limit.
fn upload(handler: MethodRouter<AppState>) -> MethodRouter<AppState> {
    handler.layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Funder staff and the organisation named in the path (`{id}`) only.
    OwnOrganisation,
    /// Funder staff (submitted versions) and the borough whose proposal (`{id}`) it is.
    OwnProposal,
    /// The borough's own officers only: drafting its proposal (`{id}` is the proposal or
    /// the organisation).
    OwnBorough,
    /// Funder staff (admins and officers) only.
    FunderStaff,
    /// Funder admins only.
    FunderAdmin,
    /// The signed-in person's own account (their API tokens): anyone signed in, for
    /// themselves only; `{id}` is one of their own records (a funder admin may act on anyone's).
    OwnAccount,
    /// A provider's or borough's user, for their own organisation: starting a bid to an
    /// open call (`{id}` is the call).
    Bidder,
    /// Funder staff, the bid's lead and partners, and its assigned assessors (`{id}` is the
    /// bid).
    BidParties,
    /// The bid's lead organisation's own users only (`{id}` is the bid).
    BidLead,
    /// An assessor assigned to the bid (`{id}`), without a conflict, not of its parties.
    AssignedAssessor,
    /// Funder staff and the grant's (`{id}`) recipient's own officers.
    OwnGrant,
    /// The grant's (`{id}`) recipient's own officers only: accepting it, making claims.
    GrantRecipient,
    /// Funder staff and the claim's (`{id}`) grant's recipient's own officers.
    OwnClaim,
    /// The claim's (`{id}`) grant's recipient's own officers only: changing and submitting it.
    ClaimRecipient,
}

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub audience: Audience,
}

impl RouteSpec {
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/v1/")
    }
}

struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        audience: Audience,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.specs.push(RouteSpec {
            method,
            path,
            audience,
        });
        self.router = self.router.route(path, handler);
        self
    }
}

pub fn router(state: AppState) -> (Router, Vec<RouteSpec>) {
    use Audience::*;
    let r = Routes {
        router: Router::new(),
        specs: Vec::new(),
    }
    .add("GET", "/", Public, get(pages::start))
    .add("GET", "/sign-in", Public, get(pages::sign_in_form))
    .add("POST", "/sign-in", Public, post(pages::sign_in))
    .add("GET", "/sign-out", Public, get(pages::sign_out_page))
    .add("POST", "/sign-out", SignedIn, post(pages::sign_out))
    .add("GET", "/account/tokens", SignedIn, get(tokens::own))
    .add("POST", "/account/tokens", OwnAccount, post(tokens::create))
    .add(
        "POST",
        "/account/tokens/{id}/revoke",
        OwnAccount,
        post(tokens::revoke),
    )
    .add("GET", "/tokens", FunderAdmin, get(tokens::all))
    .add("GET", "/accessibility", Public, get(pages::accessibility))
    .add("GET", "/healthz", Public, get(pages::healthz))
    .add("GET", "/assets/{name}", Public, get(assets::asset))
    .add("GET", "/favicon.ico", Public, get(assets::favicon))
    .add(
        "GET",
        "/organisations",
        SignedIn,
        get(reference::organisations),
    )
    .add(
        "GET",
        "/organisations/new",
        FunderAdmin,
        get(reference::new_organisation_form),
    )
    .add(
        "POST",
        "/organisations",
        FunderAdmin,
        post(reference::create_organisation),
    )
    .add(
        "GET",
        "/organisations/{id}",
        SignedIn,
        get(reference::organisation),
    )
    .add(
        "GET",
        "/organisations/{id}/edit",
        FunderAdmin,
        get(reference::edit_organisation_form),
    )
    .add(
        "POST",
        "/organisations/{id}/edit",
        FunderAdmin,
        post(reference::update_organisation),
    )
    .add(
        "GET",
        "/organisations/{id}/contact",
        OwnOrganisation,
        get(reference::contact_form),
    )
    .add(
        "POST",
        "/organisations/{id}/contact",
        OwnOrganisation,
        post(reference::update_contact),
    )
    .add(
        "GET",
        "/organisations/{id}/people",
        OwnOrganisation,
        get(reference::people),
    )
    .add("GET", "/areas", SignedIn, get(reference::areas))
    .add("GET", "/areas/map", SignedIn, get(reference::areas_map))
    .add("GET", "/areas/{code}", SignedIn, get(reference::area))
    .add(
        "GET",
        "/areas/{code}/edit",
        FunderAdmin,
        get(reference::edit_area_form),
    )
    .add(
        "POST",
        "/areas/{code}/edit",
        FunderAdmin,
        post(reference::update_area),
    )
    .add("GET", "/funds", SignedIn, get(funds::funds))
    .add(
        "GET",
        "/funds/{id}/periods/new",
        FunderAdmin,
        get(funds::new_period_form),
    )
    .add(
        "POST",
        "/funds/{id}/periods",
        FunderAdmin,
        post(funds::create_period),
    )
    .add("GET", "/periods/{id}", SignedIn, get(funds::period_page))
    .add(
        "GET",
        "/periods/{id}/allocations.csv",
        SignedIn,
        get(funds::period_csv),
    )
    .add(
        "GET",
        "/periods/{id}/budgets.csv",
        SignedIn,
        get(funds::budgets_csv),
    )
    .add(
        "GET",
        "/periods/{id}/allocations.xlsx",
        SignedIn,
        get(funds::period_xlsx),
    )
    .add(
        "GET",
        "/periods/{id}/budgets/{year}",
        FunderAdmin,
        get(funds::budget_form),
    )
    .add(
        "POST",
        "/periods/{id}/streams",
        FunderAdmin,
        post(funds::add_stream),
    )
    .add(
        "POST",
        "/periods/{id}/proposals-window",
        FunderAdmin,
        post(funds::set_proposals_window),
    )
    .add(
        "POST",
        "/periods/{id}/budgets/{year}",
        FunderAdmin,
        post(funds::set_budget),
    )
    .add(
        "GET",
        "/periods/{id}/decisions/new",
        FunderAdmin,
        get(funds::decisions::record_form),
    )
    .add(
        "POST",
        "/periods/{id}/decisions/preview",
        FunderAdmin,
        upload(post(funds::decisions::preview)),
    )
    .add(
        "POST",
        "/periods/{id}/decisions",
        FunderAdmin,
        upload(post(funds::decisions::record)),
    )
    .add(
        "GET",
        "/periods/{id}/amendments/new",
        FunderAdmin,
        get(funds::decisions::amend_form),
    )
    .add(
        "POST",
        "/periods/{id}/amendments",
        FunderAdmin,
        post(funds::decisions::amend),
    )
    .add(
        "GET",
        "/periods/{id}/scenarios/new",
        FunderStaff,
        get(funds::scenarios::new_scenario_form),
    )
    .add(
        "POST",
        "/periods/{id}/scenarios",
        FunderStaff,
        post(funds::scenarios::create_scenario),
    )
    .add(
        "GET",
        "/scenarios/compare",
        FunderStaff,
        get(funds::scenarios::compare),
    )
    .add(
        "GET",
        "/scenarios/{id}",
        FunderStaff,
        get(funds::scenarios::scenario),
    )
    .add(
        "GET",
        "/indicators",
        FunderStaff,
        get(funds::indicators::list),
    )
    .add(
        "POST",
        "/indicators/preview",
        FunderStaff,
        upload(post(funds::indicators::preview)),
    )
    .add(
        "POST",
        "/indicators",
        FunderStaff,
        upload(post(funds::indicators::import)),
    )
    .add(
        "GET",
        "/scenarios/{id}/allocations.xlsx",
        FunderStaff,
        get(funds::scenarios::scenario_xlsx),
    )
    .add(
        "GET",
        "/scenarios/{id}/allocations.csv",
        FunderStaff,
        get(funds::scenarios::scenario_csv),
    )
    .add(
        "POST",
        "/scenarios/{id}/decide",
        FunderAdmin,
        post(funds::scenarios::decide),
    )
    .add("GET", "/proposals", SignedIn, get(proposals::list))
    .add(
        "POST",
        "/organisations/{id}/proposals",
        OwnBorough,
        post(proposals::start),
    )
    .add(
        "GET",
        "/organisations/{id}/themes",
        OwnBorough,
        get(proposals::lines::themes_form),
    )
    .add(
        "POST",
        "/organisations/{id}/themes",
        OwnBorough,
        post(proposals::lines::set_themes),
    )
    .add(
        "POST",
        "/funds/{id}/max-lines",
        FunderAdmin,
        post(proposals::lines::set_max_lines),
    )
    .add(
        "GET",
        "/periods/{id}/proposals",
        FunderStaff,
        get(proposals::reviews::overview),
    )
    .add(
        "GET",
        "/periods/{id}/proposals.csv",
        FunderStaff,
        get(proposals::reviews::overview_csv),
    )
    .add("GET", "/proposals/{id}", OwnProposal, get(proposals::show))
    .add(
        "GET",
        "/proposals/{id}/print",
        OwnProposal,
        get(proposals::print),
    )
    .add(
        "GET",
        "/proposals/{id}/compare",
        OwnProposal,
        get(proposals::reviews::compare),
    )
    .add(
        "GET",
        "/proposals/{id}/proposal.xlsx",
        OwnProposal,
        get(proposals::files::xlsx),
    )
    .add(
        "GET",
        "/proposals/{id}/proposal.csv",
        OwnProposal,
        get(proposals::files::csv),
    )
    .add(
        "GET",
        "/proposals/{id}/template.xlsx",
        OwnProposal,
        get(proposals::files::template),
    )
    .add(
        "POST",
        "/proposals/{id}/comments",
        OwnProposal,
        post(proposals::comment),
    )
    .add(
        "POST",
        "/proposals/{id}/submit",
        OwnBorough,
        post(proposals::submit),
    )
    .add(
        "POST",
        "/proposals/{id}/variation",
        OwnBorough,
        post(proposals::variation),
    )
    .add(
        "POST",
        "/proposals/{id}/return",
        FunderStaff,
        post(proposals::return_to_borough),
    )
    .add(
        "POST",
        "/proposals/{id}/approve",
        FunderStaff,
        post(proposals::approve),
    )
    .add(
        "GET",
        "/proposals/{id}/lines/new",
        OwnBorough,
        get(proposals::lines::new_form),
    )
    .add(
        "POST",
        "/proposals/{id}/lines",
        OwnBorough,
        post(proposals::lines::create),
    )
    .add(
        "GET",
        "/proposals/{id}/lines/{line}/edit",
        OwnBorough,
        get(proposals::lines::edit_form),
    )
    .add(
        "POST",
        "/proposals/{id}/lines/{line}",
        OwnBorough,
        post(proposals::lines::update),
    )
    .add(
        "GET",
        "/proposals/{id}/lines/{line}/delete",
        OwnBorough,
        get(proposals::lines::confirm_delete),
    )
    .add(
        "POST",
        "/proposals/{id}/lines/{line}/delete",
        OwnBorough,
        post(proposals::lines::delete),
    )
    .add(
        "GET",
        "/proposals/{id}/import",
        OwnBorough,
        get(proposals::files::import_form),
    )
    .add(
        "POST",
        "/proposals/{id}/import/preview",
        OwnBorough,
        upload(post(proposals::files::import_preview)),
    )
    .add(
        "POST",
        "/proposals/{id}/import",
        OwnBorough,
        upload(post(proposals::files::import)),
    )
    .add("GET", "/plans", SignedIn, get(reference::plans))
    .add("GET", "/plans/{id}", SignedIn, get(reference::plan))
    .add("GET", "/users", FunderAdmin, get(users::list))
    .add("GET", "/users/new", FunderAdmin, get(users::new_form))
    .add("POST", "/users", FunderAdmin, post(users::create))
    .add("GET", "/users/{id}", FunderAdmin, get(users::show))
    .add(
        "POST",
        "/users/{id}/disable",
        FunderAdmin,
        post(users::disable),
    )
    .add(
        "POST",
        "/users/{id}/enable",
        FunderAdmin,
        post(users::enable),
    )
    .add(
        "POST",
        "/users/{id}/password",
        FunderAdmin,
        post(users::reset_password),
    )
    .add("GET", "/audit", FunderAdmin, get(audit::browse))
    .add("GET", "/audit.csv", FunderAdmin, get(audit::export))
    .add("GET", "/api/openapi.json", Public, get(api::openapi_json))
    .add("GET", "/api/v1/me", SignedIn, get(api::me))
    .add("GET", "/api/v1/funds", SignedIn, get(api::funds))
    .add(
        "POST",
        "/api/v1/funds/{id}/periods",
        FunderAdmin,
        post(api::create_period),
    )
    .add("GET", "/api/v1/periods/{id}", SignedIn, get(api::period))
    .add(
        "PUT",
        "/api/v1/periods/{id}/budgets/{year}",
        FunderAdmin,
        put(api::set_budget),
    )
    .add(
        "PUT",
        "/api/v1/periods/{id}/proposals-window",
        FunderAdmin,
        put(api::set_proposals_window),
    )
    .add(
        "POST",
        "/api/v1/periods/{id}/decisions",
        FunderAdmin,
        upload(post(api::decisions::record_decision)),
    )
    .add(
        "POST",
        "/api/v1/periods/{id}/amendments",
        FunderAdmin,
        post(api::decisions::amend),
    )
    .add(
        "POST",
        "/api/v1/periods/{id}/streams",
        FunderAdmin,
        post(api::add_stream),
    )
    .add(
        "GET",
        "/api/v1/indicator-datasets",
        FunderStaff,
        get(api::indicator_datasets),
    )
    .add(
        "POST",
        "/api/v1/indicator-datasets",
        FunderStaff,
        upload(post(api::import_indicators)),
    )
    .add(
        "POST",
        "/api/v1/periods/{id}/scenarios",
        FunderStaff,
        post(api::create_scenario),
    )
    .add(
        "GET",
        "/api/v1/scenarios/compare",
        FunderStaff,
        get(api::compare),
    )
    .add(
        "GET",
        "/api/v1/scenarios/{id}",
        FunderStaff,
        get(api::scenario),
    )
    .add(
        "POST",
        "/api/v1/scenarios/{id}/decision",
        FunderAdmin,
        post(api::decide),
    )
    .add(
        "GET",
        "/api/v1/areas/{code}/allocations",
        SignedIn,
        get(api::area_allocations),
    )
    .add(
        "GET",
        "/api/v1/organisations",
        SignedIn,
        get(api::organisations),
    )
    .add(
        "POST",
        "/api/v1/organisations",
        FunderAdmin,
        post(api::create_organisation),
    )
    .add(
        "GET",
        "/api/v1/organisations/{id}",
        SignedIn,
        get(api::organisation),
    )
    .add(
        "GET",
        "/api/v1/organisations/{id}/people",
        OwnOrganisation,
        get(api::people),
    )
    .add(
        "PUT",
        "/api/v1/organisations/{id}/contact",
        OwnOrganisation,
        put(api::update_contact),
    )
    .add(
        "GET",
        "/api/v1/proposals/{id}",
        OwnProposal,
        get(api::proposals::proposal),
    )
    .add(
        "POST",
        "/api/v1/organisations/{id}/proposals",
        OwnBorough,
        post(api::proposals::start),
    )
    .add(
        "PUT",
        "/api/v1/proposals/{id}/lines",
        OwnBorough,
        put(api::proposals::replace_lines),
    )
    .add(
        "POST",
        "/api/v1/proposals/{id}/import",
        OwnBorough,
        upload(post(api::proposals::import)),
    )
    .add(
        "POST",
        "/api/v1/proposals/{id}/submit",
        OwnBorough,
        post(api::proposals::submit),
    )
    .add(
        "POST",
        "/api/v1/proposals/{id}/return",
        FunderStaff,
        post(api::proposals::return_to_borough),
    )
    .add(
        "POST",
        "/api/v1/proposals/{id}/approve",
        FunderStaff,
        post(api::proposals::approve),
    )
    .add(
        "POST",
        "/api/v1/proposals/{id}/variation",
        OwnBorough,
        post(api::proposals::variation),
    )
    .add(
        "POST",
        "/api/v1/proposals/{id}/comments",
        OwnProposal,
        post(api::proposals::comment),
    )
    .add(
        "GET",
        "/api/v1/proposals/{id}/compare",
        OwnProposal,
        get(api::proposals::compare),
    )
    .add(
        "GET",
        "/api/v1/periods/{id}/proposals",
        FunderStaff,
        get(api::proposals::overview),
    )
    .add("GET", "/api/v1/areas", SignedIn, get(api::areas))
    .add("GET", "/api/v1/areas/{code}", SignedIn, get(api::area))
    .add("GET", "/api/v1/plans", SignedIn, get(api::plans))
    .add("POST", "/api/v1/plans", FunderAdmin, post(api::create_plan))
    .add("GET", "/api/v1/plans/{id}", SignedIn, get(api::plan))
    .add(
        "GET",
        "/api/v1/project-categories",
        SignedIn,
        get(api::project_categories),
    )
    .add("GET", "/api/v1/users", FunderAdmin, get(api::users))
    .add("POST", "/api/v1/users", FunderAdmin, post(api::create_user))
    .add("GET", "/api/v1/audit", FunderAdmin, get(api::audit));
    let r = co_commissioning::add(r);
    let r = grants::add(r);
    let router = r
        .router
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::views::with_actor,
        ))
        // One line per request at the default level: method, address, status, time taken.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(crate::error::panicked))
        // Outermost, so refusals, errors and even a caught panic carry the headers.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::safety::security_headers,
        ))
        .with_state(state);
    (router, r.specs)
}
