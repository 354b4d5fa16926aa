//! Organisations, areas and plans.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lcpf_app::access::{may, Permission};
use lcpf_app::organisations::{ContactInput, OrganisationInput};
use lcpf_app::{Area, Organisation, Plan, Priority, ProjectCategory, User};
use lcpf_domain::{FieldErrors, OrganisationKind};
use serde::Deserialize;

use super::{field_errors, filters, render, render_invalid, Choice, Layout};
use crate::auth::{Auth, CsrfForm};
use crate::error::{parse_id, PageError};
use crate::AppState;

fn kinds() -> Vec<Choice> {
    OrganisationKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.code(),
            label: k.label(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    organisations: Vec<Organisation>,
    kinds: Vec<Choice>,
    kind: String,
    can_add: bool,
}

#[derive(Deserialize)]
pub struct KindQuery {
    #[serde(default)]
    kind: String,
}

pub async fn organisations(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<KindQuery>,
) -> Result<Response, PageError> {
    let organisations = state
        .app
        .list_organisations(&auth.actor, Some(&q.kind))
        .await?;
    render(&OrganisationsPage {
        layout: Layout::new(&auth, "Organisations", "organisations"),
        organisations,
        kinds: kinds(),
        kind: q.kind,
        can_add: may(&auth.actor, Permission::ManageReferenceData),
    })
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    layout: Layout,
    org: Organisation,
    can_edit: bool,
    can_edit_contact: bool,
    can_see_people: bool,
}

pub async fn organisation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    let org = state.app.get_organisation(&auth.actor, id).await?;
    render(&OrganisationPage {
        layout: Layout::new(&auth, &org.name, "organisations"),
        can_edit: may(&auth.actor, Permission::ManageReferenceData),
        can_edit_contact: may(
            &auth.actor,
            Permission::EditOrganisationContact {
                organisation_id: id,
            },
        ),
        can_see_people: may(
            &auth.actor,
            Permission::ViewOrganisationPeople {
                organisation_id: id,
            },
        ),
        org,
    })
}

#[derive(Template)]
#[template(path = "organisation_form.html")]
struct OrganisationFormPage {
    layout: Layout,
    action: String,
    form: OrganisationInput,
    kinds: Vec<Choice>,
    errors: FieldErrors,
}

pub async fn new_organisation_form(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    state.app.may_manage_reference_data(&auth.actor)?;
    render(&OrganisationFormPage {
        layout: Layout::new(&auth, "Add an organisation", "organisations"),
        action: "/organisations".into(),
        form: OrganisationInput {
            kind: "provider".into(),
            ..Default::default()
        },
        kinds: kinds(),
        errors: FieldErrors::new(),
    })
}

pub async fn create_organisation(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<OrganisationInput>,
) -> Result<Response, PageError> {
    match state.app.create_organisation(&auth.actor, &form).await {
        Ok(org) => Ok(Redirect::to(&format!("/organisations/{}", org.id)).into_response()),
        Err(e) => render_invalid(&OrganisationFormPage {
            errors: field_errors(e)?,
            layout: Layout::new(&auth, "Add an organisation", "organisations"),
            action: "/organisations".into(),
            form,
            kinds: kinds(),
        }),
    }
}

pub async fn edit_organisation_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    let org = state.app.organisation_to_edit(&auth.actor, id).await?;
    render(&OrganisationFormPage {
        layout: Layout::new(&auth, &format!("Change {}", org.name), "organisations"),
        action: format!("/organisations/{id}/edit"),
        form: OrganisationInput::from_organisation(&org),
        kinds: kinds(),
        errors: FieldErrors::new(),
    })
}

pub async fn update_organisation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<OrganisationInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    match state.app.update_organisation(&auth.actor, id, &form).await {
        Ok(org) => Ok(Redirect::to(&format!("/organisations/{}", org.id)).into_response()),
        Err(e) => render_invalid(&OrganisationFormPage {
            errors: field_errors(e)?,
            layout: Layout::new(&auth, "Change organisation", "organisations"),
            action: format!("/organisations/{id}/edit"),
            form,
            kinds: kinds(),
        }),
    }
}

#[derive(Template)]
#[template(path = "contact_form.html")]
struct ContactFormPage {
    layout: Layout,
    org: Organisation,
    form: ContactInput,
    errors: FieldErrors,
}

pub async fn contact_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    let org = state
        .app
        .organisation_contact_to_edit(&auth.actor, id)
        .await?;
    render(&ContactFormPage {
        layout: Layout::new(&auth, "Contact details", "organisations"),
        form: ContactInput {
            contact_email: org.contact_email.clone().unwrap_or_default(),
            website: org.website.clone().unwrap_or_default(),
        },
        org,
        errors: FieldErrors::new(),
    })
}

pub async fn update_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ContactInput>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    match state
        .app
        .update_organisation_contact(&auth.actor, id, &form)
        .await
    {
        Ok(org) => Ok(Redirect::to(&format!("/organisations/{}", org.id)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let org = state.app.get_organisation(&auth.actor, id).await?;
            render_invalid(&ContactFormPage {
                layout: Layout::new(&auth, "Contact details", "organisations"),
                org,
                form,
                errors,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    layout: Layout,
    org: Organisation,
    people: Vec<User>,
}

pub async fn people(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The organisation")?;
    let people = state.app.organisation_people(&auth.actor, id).await?;
    let org = state.app.get_organisation(&auth.actor, id).await?;
    render(&PeoplePage {
        layout: Layout::new(&auth, &format!("People at {}", org.name), "team"),
        org,
        people,
    })
}

#[derive(Template)]
#[template(path = "areas.html")]
struct AreasPage {
    layout: Layout,
    areas: Vec<Area>,
}

pub async fn areas(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let areas = state.app.list_areas(&auth.actor).await?;
    render(&AreasPage {
        layout: Layout::new(&auth, "Areas", "areas"),
        areas,
    })
}

#[derive(Template)]
#[template(path = "areas_map.html")]
struct AreasMapPage {
    layout: Layout,
    london: lcpf_app::funds::LondonAllocations,
    rows: Vec<MapRow>,
    total: String,
    map: String,
}

/// One borough's allocation beside the map.
struct MapRow {
    code: String,
    name: String,
    amount: String,
    illustrative: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct MapQuery {
    #[serde(default)]
    year: String,
}

/// `/areas/map`: London's decided allocations for a year on a map, beside the same figures
/// as a table (the latest decided year unless another is chosen).
pub async fn areas_map(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Query(q): axum::extract::Query<MapQuery>,
) -> Result<Response, PageError> {
    let london = state
        .app
        .london_allocations(&auth.actor, Some(&q.year))
        .await?;
    let total_pence: i64 = london.allocations.iter().map(|a| a.amount_pence).sum();
    let column = lcpf_domain::MoneyColumn::of(
        london
            .allocations
            .iter()
            .map(|a| a.amount_pence)
            .chain([total_pence])
            .map(lcpf_domain::Money::from_pence),
    );
    let rows: Vec<MapRow> = london
        .allocations
        .iter()
        .map(|a| MapRow {
            code: a.area_code.clone(),
            name: a.area_name.clone(),
            amount: column.show(lcpf_domain::Money::from_pence(a.amount_pence)),
            illustrative: a.illustrative,
        })
        .collect();
    let values: std::collections::HashMap<String, (i64, String)> = rows
        .iter()
        .zip(&london.allocations)
        .map(|(r, a)| (r.code.clone(), (a.amount_pence, r.amount.clone())))
        .collect();
    let boundaries = state.app.area_boundaries(&auth.actor).await?;
    let title = match &london.year {
        Some(y) => format!("LCPF allocations {y} by borough"),
        None => "LCPF allocations by borough".into(),
    };
    let map = crate::views::funds::map_from(&boundaries, &values, &title);
    render(&AreasMapPage {
        layout: Layout::new(&auth, "London's allocations on a map", "areas"),
        total: column.show(lcpf_domain::Money::from_pence(total_pence)),
        london,
        rows,
        map,
    })
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    layout: Layout,
    area: Area,
    org: Option<Organisation>,
    map_svg: Option<String>,
    can_edit: bool,
    /// Decided allocations over time.
    allocations: Vec<AllocationRow>,
    /// Awarded co-commissioned services that cover it, beside its own direct funding.
    services: Vec<lcpf_app::co_commissioning::ServiceHere>,
}

/// A decided allocation as the area page lists it.
struct AllocationRow {
    year: String,
    amount: String,
    /// The decision's reference, e.g. PCD 79.
    reference: String,
    /// Not from the decision's source (demo data): labelled.
    illustrative: bool,
}

pub async fn area(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let (area, org, _) = state.app.get_area(&auth.actor, &code).await?;
    // The borough among its neighbours, so a reader sees where in London it is.
    let boundaries = state.app.area_boundaries(&auth.actor).await?;
    let map_svg = crate::map::borough_in_london(
        &boundaries,
        &area.ons_code,
        &format!("{} in London", area.name),
    );
    let allocations = state
        .app
        .area_allocations(&auth.actor, &area.ons_code)
        .await?
        .into_iter()
        .map(|a| AllocationRow {
            year: a.year,
            amount: lcpf_domain::Money::from_pence(a.amount_pence).to_string(),
            reference: a.reference,
            illustrative: a.illustrative,
        })
        .collect();
    let services = state
        .app
        .services_covering(&auth.actor, &area.ons_code)
        .await?;
    render(&AreaPage {
        services,
        allocations,
        layout: Layout::new(&auth, &area.name, "areas"),
        can_edit: may(&auth.actor, Permission::ManageReferenceData),
        area,
        org,
        map_svg,
    })
}

#[derive(Template)]
#[template(path = "area_form.html")]
struct AreaFormPage {
    layout: Layout,
    area: Area,
    name: String,
    in_lcpf: bool,
    errors: FieldErrors,
}

pub async fn edit_area_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let area = state.app.area_to_edit(&auth.actor, &code).await?;
    render(&AreaFormPage {
        layout: Layout::new(&auth, &format!("Change {}", area.name), "areas"),
        name: area.name.clone(),
        in_lcpf: area.in_lcpf,
        area,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct AreaForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    in_lcpf: Option<String>,
}

pub async fn update_area(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<AreaForm>,
) -> Result<Response, PageError> {
    let in_lcpf = form.in_lcpf.is_some();
    match state
        .app
        .update_area(&auth.actor, &code, &form.name, in_lcpf)
        .await
    {
        Ok(area) => Ok(Redirect::to(&format!("/areas/{}", area.ons_code)).into_response()),
        Err(e) => {
            let errors = field_errors(e)?;
            let (area, _, _) = state.app.get_area(&auth.actor, &code).await?;
            render_invalid(&AreaFormPage {
                layout: Layout::new(&auth, "Change area", "areas"),
                area,
                name: form.name,
                in_lcpf,
                errors,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    layout: Layout,
    plans: Vec<Plan>,
    categories: Vec<ProjectCategory>,
}

pub async fn plans(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let plans = state.app.list_plans(&auth.actor).await?;
    let categories = state.app.project_categories(&auth.actor).await?;
    render(&PlansPage {
        layout: Layout::new(&auth, "Plans", "plans"),
        plans,
        categories,
    })
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    plan: Plan,
    priorities: Vec<Priority>,
}

pub async fn plan(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The plan")?;
    let (plan, priorities) = state.app.get_plan(&auth.actor, id).await?;
    render(&PlanPage {
        layout: Layout::new(&auth, &plan.name, "plans"),
        plan,
        priorities,
    })
}
