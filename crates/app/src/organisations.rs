//! Organisations, areas, plans and project categories: the fund's reference data.

use lcpf_domain::field::required_text;
use lcpf_domain::{EmailAddress, FieldErrors, OnsCode, OrgId, OrganisationKind};
use lcpf_store::queries::organisations::{self as q, OrganisationFields};
use lcpf_store::queries::{areas, plans};

use crate::access::{authorise, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError, Area, Organisation, Plan, Priority, ProjectCategory};

/// An organisation's fields as entered in a form or API request.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrganisationInput {
    pub name: String,
    /// funder, borough, provider or police.
    pub kind: String,
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub charity_number: String,
    #[serde(default)]
    pub company_number: String,
    /// ONS code of the borough's area (boroughs only).
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub website: String,
}

impl OrganisationInput {
    pub fn from_organisation(o: &Organisation) -> Self {
        OrganisationInput {
            name: o.name.clone(),
            kind: o.kind.clone(),
            org_id: o.org_id.clone().unwrap_or_default(),
            charity_number: o.charity_number.clone().unwrap_or_default(),
            company_number: o.company_number.clone().unwrap_or_default(),
            area_code: o.area_code.clone().unwrap_or_default(),
            contact_email: o.contact_email.clone().unwrap_or_default(),
            website: o.website.clone().unwrap_or_default(),
        }
    }
}

/// The details an organisation's own officers may change.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub website: String,
}

fn parse_contact(
    input: &ContactInput,
    errors: &mut FieldErrors,
) -> (Option<String>, Option<String>) {
    let email = match input.contact_email.trim() {
        "" => None,
        t => errors
            .check("contact_email", EmailAddress::parse(t))
            .map(|e| e.to_string()),
    };
    let website = match input.website.trim() {
        "" => None,
        t if (t.starts_with("https://") || t.starts_with("http://"))
            && t.len() <= 300
            && !t.contains(char::is_whitespace) =>
        {
            Some(t.to_string())
        }
        _ => {
            errors.add("website", "Enter the website's full address, starting https://, for example https://www.lbbd.gov.uk");
            None
        }
    };
    (email, website)
}

fn digits_only(value: &str, field: &str, what: &str, errors: &mut FieldErrors) -> Option<String> {
    let t = value.trim();
    if t.is_empty() {
        return None;
    }
    if t.len() <= 12 && t.chars().all(|c| c.is_ascii_alphanumeric()) {
        Some(t.to_ascii_uppercase())
    } else {
        errors.add(
            field,
            format!("{what} is letters and digits only, up to 12 characters, for example 216250"),
        );
        None
    }
}

impl App {
    pub async fn list_organisations(
        &self,
        actor: &Actor,
        kind: Option<&str>,
    ) -> AppResult<Vec<Organisation>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let kind = match kind.filter(|k| !k.is_empty()) {
            Some(k) => Some(OrganisationKind::parse(k).map_err(|e| AppError::invalid("kind", e))?),
            None => None,
        };
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::list(&mut conn, kind.map(|k| k.code())).await?)
    }

    pub async fn get_organisation(&self, actor: &Actor, id: i64) -> AppResult<Organisation> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        q::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The organisation".into()))
    }

    async fn parse_organisation(
        &self,
        input: &OrganisationInput,
        conn: &mut lcpf_store::AnyConnection,
    ) -> AppResult<OrganisationFields> {
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            required_text(&input.name, "the organisation's name", 200),
        );
        let kind = errors.check("kind", OrganisationKind::parse(&input.kind));
        let org_id = match input.org_id.trim() {
            "" => None,
            t => errors
                .check("org_id", OrgId::parse(t))
                .map(|o| o.to_string()),
        };
        let charity_number = digits_only(
            &input.charity_number,
            "charity_number",
            "A charity number",
            &mut errors,
        );
        let company_number = digits_only(
            &input.company_number,
            "company_number",
            "A company number",
            &mut errors,
        );
        let area_code = match input.area_code.trim() {
            "" => None,
            t => match errors.check("area_code", OnsCode::parse(t)) {
                Some(code) if areas::get(conn, code.as_str()).await?.is_none() => {
                    errors.add("area_code", format!("There is no London area with the ONS code {code}: use one from the areas list"));
                    None
                }
                Some(code) => Some(code.to_string()),
                None => None,
            },
        };
        if kind == Some(OrganisationKind::Borough)
            && area_code.is_none()
            && errors.for_field("area_code").is_none()
        {
            errors.add(
                "area_code",
                "A borough must have the ONS code of its area, for example E09000002",
            );
        }
        if kind.is_some() && kind != Some(OrganisationKind::Borough) && area_code.is_some() {
            errors.add(
                "area_code",
                "Only a borough has an area: leave the ONS code empty",
            );
        }
        let (contact_email, website) = parse_contact(
            &ContactInput {
                contact_email: input.contact_email.clone(),
                website: input.website.clone(),
            },
            &mut errors,
        );
        errors.into_result()?;
        Ok(OrganisationFields {
            name: name.unwrap_or_default(),
            kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
            org_id,
            charity_number,
            company_number,
            area_code,
            contact_email,
            website,
        })
    }

    fn duplicate(e: sqlx::Error, fields: &OrganisationFields) -> AppError {
        if lcpf_store::is_unique_violation(&e) {
            let mut errors = FieldErrors::new();
            errors.add(
                "name",
                format!(
                    "An organisation called “{}” or with org-id {} already exists",
                    fields.name,
                    fields.org_id.as_deref().unwrap_or("(none)")
                ),
            );
            AppError::Invalid(errors)
        } else {
            e.into()
        }
    }

    pub async fn create_organisation(
        &self,
        actor: &Actor,
        input: &OrganisationInput,
    ) -> AppResult<Organisation> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut tx = self.db().begin().await?;
        let fields = self.parse_organisation(input, &mut tx).await?;
        let org = q::insert(&mut tx, &fields, &lcpf_store::now())
            .await
            .map_err(|e| Self::duplicate(e, &fields))?;
        record::<(), Organisation>(
            &mut tx,
            actor,
            Change {
                action: "organisation.create",
                entity_type: "organisation",
                entity_id: org.id.to_string(),
                summary: format!("organisation {} created", org.name),
                before: None,
                after: Some(&org),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn update_organisation(
        &self,
        actor: &Actor,
        id: i64,
        input: &OrganisationInput,
    ) -> AppResult<Organisation> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut tx = self.db().begin().await?;
        let before = q::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The organisation".into()))?;
        let fields = self.parse_organisation(input, &mut tx).await?;
        let after = q::update(&mut tx, id, &fields, &lcpf_store::now())
            .await
            .map_err(|e| Self::duplicate(e, &fields))?;
        record(
            &mut tx,
            actor,
            Change {
                action: "organisation.update",
                entity_type: "organisation",
                entity_id: id.to_string(),
                summary: format!("organisation {} updated", after.name),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// An organisation's own officers keep its contact details up to date.
    pub async fn update_organisation_contact(
        &self,
        actor: &Actor,
        id: i64,
        input: &ContactInput,
    ) -> AppResult<Organisation> {
        authorise(
            actor,
            Permission::EditOrganisationContact {
                organisation_id: id,
            },
        )?;
        let mut errors = FieldErrors::new();
        let (contact_email, website) = parse_contact(input, &mut errors);
        errors.into_result()?;
        let mut tx = self.db().begin().await?;
        let before = q::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The organisation".into()))?;
        let fields = OrganisationFields {
            contact_email,
            website,
            ..OrganisationFields::from(&before)
        };
        let after = q::update(&mut tx, id, &fields, &lcpf_store::now()).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: "organisation.update_contact",
                entity_type: "organisation",
                entity_id: id.to_string(),
                summary: format!("contact details of {} updated", after.name),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn list_areas(&self, actor: &Actor) -> AppResult<Vec<Area>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(areas::list(&mut conn).await?)
    }

    /// An area, its borough organisation (if any) and its boundary as GeoJSON.
    pub async fn get_area(
        &self,
        actor: &Actor,
        ons_code: &str,
    ) -> AppResult<(Area, Option<Organisation>, Option<String>)> {
        authorise(actor, Permission::ViewReferenceData)?;
        let code = OnsCode::parse(ons_code)
            .map_err(|_| AppError::NotFound(format!("The area {ons_code}")))?;
        let mut conn = self.db().pool().acquire().await?;
        let area = areas::get(&mut conn, code.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("The area {code}")))?;
        let org = q::for_area(&mut conn, code.as_str()).await?;
        let boundary = areas::boundary(&mut conn, code.as_str()).await?;
        Ok((area, org, boundary))
    }

    /// Renames an area or changes whether it is an LCPF borough.
    pub async fn update_area(
        &self,
        actor: &Actor,
        ons_code: &str,
        name: &str,
        in_lcpf: bool,
    ) -> AppResult<Area> {
        authorise(actor, Permission::ManageReferenceData)?;
        let name = required_text(name, "the area's name", 100)
            .map_err(|e| AppError::invalid("name", e))?;
        let mut tx = self.db().begin().await?;
        let before = areas::get(&mut tx, ons_code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("The area {ons_code}")))?;
        let after = Area {
            name,
            in_lcpf,
            ..before.clone()
        };
        areas::update(&mut tx, &after).await.map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid(
                    "name",
                    format!("Another area is already called “{}”", after.name),
                )
            } else {
                e.into()
            }
        })?;
        record(
            &mut tx,
            actor,
            Change {
                action: "area.update",
                entity_type: "area",
                entity_id: ons_code.to_string(),
                summary: format!("area {} updated", after.name),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn list_plans(&self, actor: &Actor) -> AppResult<Vec<Plan>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(plans::list(&mut conn).await?)
    }

    pub async fn get_plan(&self, actor: &Actor, id: i64) -> AppResult<(Plan, Vec<Priority>)> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let plan = plans::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The plan".into()))?;
        let priorities = plans::priorities(&mut conn, id).await?;
        Ok((plan, priorities))
    }

    pub async fn project_categories(&self, actor: &Actor) -> AppResult<Vec<ProjectCategory>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(plans::categories(&mut conn).await?)
    }
}

/// The records behind edit forms: each checks the same permission as the change it leads to,
/// so a form is never shown to someone who could not submit it.
impl App {
    pub fn may_manage_reference_data(&self, actor: &Actor) -> AppResult<()> {
        authorise(actor, Permission::ManageReferenceData)
    }

    pub async fn organisation_to_edit(&self, actor: &Actor, id: i64) -> AppResult<Organisation> {
        authorise(actor, Permission::ManageReferenceData)?;
        self.get_organisation(actor, id).await
    }

    pub async fn organisation_contact_to_edit(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<Organisation> {
        authorise(
            actor,
            Permission::EditOrganisationContact {
                organisation_id: id,
            },
        )?;
        self.get_organisation(actor, id).await
    }

    pub async fn area_to_edit(&self, actor: &Actor, ons_code: &str) -> AppResult<Area> {
        authorise(actor, Permission::ManageReferenceData)?;
        Ok(self.get_area(actor, ons_code).await?.0)
    }

    /// The organisations a new user may be added to (funder admin).
    pub async fn organisations_for_new_user(&self, actor: &Actor) -> AppResult<Vec<Organisation>> {
        authorise(actor, Permission::ManageUsers)?;
        self.list_organisations(actor, None).await
    }
}

impl App {
    /// Every area's code, name and boundary (GeoJSON), for maps.
    pub async fn area_boundaries(
        &self,
        actor: &Actor,
    ) -> AppResult<Vec<(String, String, Option<String>)>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(areas::boundaries(&mut conn).await?)
    }
}
