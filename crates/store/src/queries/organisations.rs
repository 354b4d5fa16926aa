//! Organisations: the funder, the boroughs, providers and the police.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    /// funder, borough, provider or police.
    pub kind: String,
    /// org-id (org-id.guide), e.g. GB-CHC-216250.
    pub org_id: Option<String>,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    /// For a borough: the ONS code of its area.
    pub area_code: Option<String>,
    pub contact_email: Option<String>,
    pub website: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The fields a person can set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct OrganisationFields {
    pub name: String,
    pub kind: String,
    pub org_id: Option<String>,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub area_code: Option<String>,
    pub contact_email: Option<String>,
    pub website: Option<String>,
}

const COLUMNS: &str = "id, name, kind, org_id, charity_number, company_number, area_code, contact_email, website, created_at, updated_at";

fn map(row: AnyRow) -> sqlx::Result<Organisation> {
    Ok(Organisation {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        org_id: row.try_get("org_id")?,
        charity_number: row.try_get("charity_number")?,
        company_number: row.try_get("company_number")?,
        area_code: row.try_get("area_code")?,
        contact_email: row.try_get("contact_email")?,
        website: row.try_get("website")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn list(conn: &mut AnyConnection, kind: Option<&str>) -> sqlx::Result<Vec<Organisation>> {
    let rows = match kind {
        Some(k) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM organisations WHERE kind = $1 ORDER BY name"
            ))
            .bind(k)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM organisations ORDER BY kind, name"
            ))
            .fetch_all(conn)
            .await?
        }
    };
    rows.into_iter().map(map).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Organisation>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(map).transpose()
}

pub async fn find_by_name(
    conn: &mut AnyConnection,
    name: &str,
) -> sqlx::Result<Option<Organisation>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE LOWER(name) = LOWER($1)"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await?;
    row.map(map).transpose()
}

pub async fn for_area(
    conn: &mut AnyConnection,
    ons_code: &str,
) -> sqlx::Result<Option<Organisation>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE area_code = $1 AND kind = 'borough'"
    ))
    .bind(ons_code)
    .fetch_optional(conn)
    .await?;
    row.map(map).transpose()
}

pub async fn insert(
    conn: &mut AnyConnection,
    f: &OrganisationFields,
    now: &str,
) -> sqlx::Result<Organisation> {
    let row = sqlx::query(&format!(
        "INSERT INTO organisations (name, kind, org_id, charity_number, company_number, area_code, contact_email, website, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
    ))
    .bind(&f.name)
    .bind(&f.kind)
    .bind(&f.org_id)
    .bind(&f.charity_number)
    .bind(&f.company_number)
    .bind(&f.area_code)
    .bind(&f.contact_email)
    .bind(&f.website)
    .bind(now)
    .fetch_one(conn)
    .await?;
    map(row)
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &OrganisationFields,
    now: &str,
) -> sqlx::Result<Organisation> {
    let row = sqlx::query(&format!(
        "UPDATE organisations SET name = $2, kind = $3, org_id = $4, charity_number = $5, company_number = $6, \
         area_code = $7, contact_email = $8, website = $9, updated_at = $10 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(&f.name)
    .bind(&f.kind)
    .bind(&f.org_id)
    .bind(&f.charity_number)
    .bind(&f.company_number)
    .bind(&f.area_code)
    .bind(&f.contact_email)
    .bind(&f.website)
    .bind(now)
    .fetch_one(conn)
    .await?;
    map(row)
}

impl From<&Organisation> for OrganisationFields {
    fn from(o: &Organisation) -> Self {
        OrganisationFields {
            name: o.name.clone(),
            kind: o.kind.clone(),
            org_id: o.org_id.clone(),
            charity_number: o.charity_number.clone(),
            company_number: o.company_number.clone(),
            area_code: o.area_code.clone(),
            contact_email: o.contact_email.clone(),
            website: o.website.clone(),
        }
    }
}
