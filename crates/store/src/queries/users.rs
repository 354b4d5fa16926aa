//! Named users. The password hash is read only by the sign-in query.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::flag;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// funder_admin, funder_officer, borough_officer, provider, assessor or viewer.
    pub role: String,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub organisation_kind: Option<String>,
    /// For a borough officer: the ONS code of the borough.
    pub area_code: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

const COLUMNS: &str =
    "u.id, u.email, u.name, u.role, u.organisation_id, o.name AS organisation_name, \
    o.kind AS organisation_kind, o.area_code, u.disabled, u.created_at";
const FROM: &str = "users u LEFT JOIN organisations o ON o.id = u.organisation_id";

fn map(row: AnyRow) -> sqlx::Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        organisation_id: row.try_get("organisation_id")?,
        organisation_name: row.try_get("organisation_name")?,
        organisation_kind: row.try_get("organisation_kind")?,
        area_code: row.try_get("area_code")?,
        disabled: flag(&row, "disabled")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn list(
    conn: &mut AnyConnection,
    organisation_id: Option<i64>,
) -> sqlx::Result<Vec<User>> {
    let rows = match organisation_id {
        Some(org) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE u.organisation_id = $1 ORDER BY u.name"
            ))
            .bind(org)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY u.name"))
                .fetch_all(conn)
                .await?
        }
    };
    rows.into_iter().map(map).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(map).transpose()
}

pub async fn find_by_email(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE u.email = $1"))
        .bind(email)
        .fetch_optional(conn)
        .await?;
    row.map(map).transpose()
}

/// The user and their password hash, for signing in.
pub async fn credentials(
    conn: &mut AnyConnection,
    email: &str,
) -> sqlx::Result<Option<(User, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, u.password_hash FROM {FROM} WHERE u.email = $1"
    ))
    .bind(email)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => {
            let hash: String = row.try_get("password_hash")?;
            Ok(Some((map(row)?, hash)))
        }
        None => Ok(None),
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub organisation_id: Option<i64>,
    pub password_hash: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, u: &NewUser<'_>, now: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, role, organisation_id, password_hash, disabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(u.email)
    .bind(u.name)
    .bind(u.role)
    .bind(u.organisation_id)
    .bind(u.password_hash)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn set_disabled(
    conn: &mut AnyConnection,
    id: i64,
    disabled: bool,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(i64::from(disabled))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    hash: &str,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await
}
