//! The London local authority areas (reference data).

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::flag;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Area {
    /// ONS GSS code, e.g. E09000002.
    pub ons_code: String,
    pub name: String,
    /// The council's org-id, e.g. GB-LAE-BDG.
    pub org_id: Option<String>,
    /// Whether the area is one of the 32 LCPF boroughs (the City of London is not).
    pub in_lcpf: bool,
}

fn map(row: AnyRow) -> sqlx::Result<Area> {
    Ok(Area {
        ons_code: row.try_get("ons_code")?,
        name: row.try_get("name")?,
        org_id: row.try_get("org_id")?,
        in_lcpf: flag(&row, "in_lcpf")?,
    })
}

const COLUMNS: &str = "ons_code, name, org_id, in_lcpf";

pub async fn list(conn: &mut AnyConnection) -> sqlx::Result<Vec<Area>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM areas ORDER BY name"))
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(map).collect()
}

pub async fn get(conn: &mut AnyConnection, ons_code: &str) -> sqlx::Result<Option<Area>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM areas WHERE ons_code = $1"))
        .bind(ons_code)
        .fetch_optional(conn)
        .await?;
    row.map(map).transpose()
}

pub async fn boundary(conn: &mut AnyConnection, ons_code: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT boundary_geojson FROM areas WHERE ons_code = $1")
        .bind(ons_code)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
}

pub async fn count(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM areas")
        .fetch_one(conn)
        .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    area: &Area,
    boundary: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO areas (ons_code, name, org_id, in_lcpf, boundary_geojson) VALUES ($1, $2, $3, $4, $5)")
        .bind(&area.ons_code)
        .bind(&area.name)
        .bind(&area.org_id)
        .bind(i64::from(area.in_lcpf))
        .bind(boundary)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update(conn: &mut AnyConnection, area: &Area) -> sqlx::Result<()> {
    sqlx::query("UPDATE areas SET name = $2, org_id = $3, in_lcpf = $4 WHERE ons_code = $1")
        .bind(&area.ons_code)
        .bind(&area.name)
        .bind(&area.org_id)
        .bind(i64::from(area.in_lcpf))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every area's code, name and boundary, for drawing London.
pub async fn boundaries(
    conn: &mut AnyConnection,
) -> sqlx::Result<Vec<(String, String, Option<String>)>> {
    let rows = sqlx::query("SELECT ons_code, name, boundary_geojson FROM areas ORDER BY ons_code")
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get("ons_code")?,
                r.try_get("name")?,
                r.try_get("boundary_geojson")?,
            ))
        })
        .collect()
}
