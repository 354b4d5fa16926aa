//! Police and Crime Plans, their priority areas and objectives, and project categories.
//! Plans are data: a new plan is new rows, not new code.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    /// First financial year, e.g. 2017/18.
    pub first_year: String,
    pub last_year: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Priority {
    pub id: i64,
    pub plan_id: i64,
    pub position: i64,
    pub name: String,
    /// What the plan expects of projects under this priority, one point per entry.
    pub guidance: Vec<String>,
    pub objectives: Vec<Objective>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Objective {
    pub id: i64,
    pub position: i64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProjectCategory {
    pub id: i64,
    pub position: i64,
    pub name: String,
}

pub async fn list(conn: &mut AnyConnection) -> sqlx::Result<Vec<Plan>> {
    let rows = sqlx::query(
        "SELECT id, name, first_year, last_year, description FROM plans ORDER BY first_year",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Plan {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                first_year: r.try_get("first_year")?,
                last_year: r.try_get("last_year")?,
                description: r.try_get("description")?,
            })
        })
        .collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Plan>> {
    Ok(list(conn).await?.into_iter().find(|p| p.id == id))
}

pub async fn priorities(conn: &mut AnyConnection, plan_id: i64) -> sqlx::Result<Vec<Priority>> {
    let rows = sqlx::query("SELECT id, plan_id, position, name, guidance FROM priorities WHERE plan_id = $1 ORDER BY position")
        .bind(plan_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let guidance: String = r.try_get("guidance")?;
        let objectives = sqlx::query(
            "SELECT id, position, text FROM objectives WHERE priority_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|o| {
            Ok(Objective {
                id: o.try_get("id")?,
                position: o.try_get("position")?,
                text: o.try_get("text")?,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
        out.push(Priority {
            id,
            plan_id: r.try_get("plan_id")?,
            position: r.try_get("position")?,
            name: r.try_get("name")?,
            guidance: guidance
                .lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect(),
            objectives,
        });
    }
    Ok(out)
}

pub async fn insert_plan(
    conn: &mut AnyConnection,
    name: &str,
    first_year: &str,
    last_year: &str,
    description: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO plans (name, first_year, last_year, description) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(name)
        .bind(first_year)
        .bind(last_year)
        .bind(description)
        .fetch_one(conn)
        .await
}

pub async fn insert_priority(
    conn: &mut AnyConnection,
    plan_id: i64,
    position: i64,
    name: &str,
    guidance: &[String],
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO priorities (plan_id, position, name, guidance) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(plan_id)
        .bind(position)
        .bind(name)
        .bind(guidance.join("\n"))
        .fetch_one(conn)
        .await
}

pub async fn insert_objective(
    conn: &mut AnyConnection,
    priority_id: i64,
    position: i64,
    text: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO objectives (priority_id, position, text) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(priority_id)
    .bind(position)
    .bind(text)
    .fetch_one(conn)
    .await
}

pub async fn categories(conn: &mut AnyConnection) -> sqlx::Result<Vec<ProjectCategory>> {
    let rows = sqlx::query("SELECT id, position, name FROM project_categories ORDER BY position")
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ProjectCategory {
                id: r.try_get("id")?,
                position: r.try_get("position")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

pub async fn insert_category(
    conn: &mut AnyConnection,
    position: i64,
    name: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO project_categories (position, name) VALUES ($1, $2) RETURNING id",
    )
    .bind(position)
    .bind(name)
    .fetch_one(conn)
    .await
}
