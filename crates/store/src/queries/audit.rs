//! The append-only audit log. There is an insert and there are reads; nothing else.
//! The database refuses updates and deletes too (triggers in the first migration).

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    /// When, in UTC.
    pub at: String,
    pub actor_user_id: Option<i64>,
    /// Who: the user's e-mail address, or "system".
    pub actor: String,
    /// What was done, e.g. organisation.update.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub summary: String,
    /// The record before the change, as JSON (absent for a creation).
    pub before_json: Option<String>,
    /// The record after the change, as JSON (absent for a removal).
    pub after_json: Option<String>,
}

pub struct NewAuditRecord<'a> {
    pub at: &'a str,
    pub actor_user_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub summary: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
}

pub async fn insert(conn: &mut AnyConnection, r: &NewAuditRecord<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, entity_type, entity_id, summary, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(r.at)
    .bind(r.actor_user_id)
    .bind(r.actor)
    .bind(r.action)
    .bind(r.entity_type)
    .bind(r.entity_id)
    .bind(r.summary)
    .bind(r.before_json)
    .bind(r.after_json)
    .fetch_one(conn)
    .await
}

/// Filters for browsing the log. Each is optional and matches exactly (`actor` is the
/// person's e-mail address, in any case), so every filter is served by an index.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Inclusive lower bound on `at` (an ISO date or timestamp).
    pub from: Option<String>,
    /// Exclusive upper bound on `at`.
    pub until: Option<String>,
}

fn map(row: AnyRow) -> sqlx::Result<AuditRecord> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor_user_id: row.try_get("actor_user_id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        entity_type: row.try_get("entity_type")?,
        entity_id: row.try_get("entity_id")?,
        summary: row.try_get("summary")?,
        before_json: row.try_get("before_json")?,
        after_json: row.try_get("after_json")?,
    })
}

/// Newest first, from just older than the record `before` (keyset pagination: each page
/// costs the same however far back it is). `limit` of `None` returns every match (export).
pub async fn list(
    conn: &mut AnyConnection,
    f: &AuditFilter,
    limit: Option<i64>,
    before: Option<i64>,
) -> sqlx::Result<Vec<AuditRecord>> {
    // Each filter is a fixed clause with its own placeholder; values are always bound.
    let mut clauses = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut add = |clause: &str, value: &Option<String>| {
        if let Some(v) = value.as_ref().filter(|v| !v.trim().is_empty()) {
            values.push(v.trim().to_string());
            clauses.push(clause.replace('?', &format!("${}", values.len())));
        }
    };
    let actor = f.actor.as_ref().map(|a| a.trim().to_lowercase());
    add("actor = ?", &actor);
    add("action = ?", &f.action);
    add("entity_type = ?", &f.entity_type);
    add("entity_id = ?", &f.entity_id);
    add("at >= ?", &f.from);
    add("at < ?", &f.until);
    let before = before.map(|b| b.to_string());
    add("id < CAST(? AS BIGINT)", &before);
    let mut sql = String::from(
        "SELECT id, at, actor_user_id, actor, action, entity_type, entity_id, summary, before_json, after_json FROM audit_log",
    );
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    sql.push_str(" ORDER BY id DESC");
    if let Some(limit) = limit {
        sql.push_str(&format!(" LIMIT {}", limit.max(0)));
    }
    let mut q = sqlx::query(&sql);
    for v in &values {
        q = q.bind(v);
    }
    let rows = q.fetch_all(conn).await?;
    rows.into_iter().map(map).collect()
}

/// The id of the latest record about one thing, leaving out `ignoring` (an action that does
/// not change it, such as a comment): the thing's revision. 0 when there is none.
pub async fn latest_change(
    conn: &mut AnyConnection,
    entity_type: &str,
    entity_id: &str,
    ignoring: &str,
) -> sqlx::Result<i64> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(id) FROM audit_log WHERE entity_type = $1 AND entity_id = $2 AND action <> $3",
    )
    .bind(entity_type)
    .bind(entity_id)
    .bind(ignoring)
    .fetch_one(conn)
    .await?;
    Ok(id.unwrap_or(0))
}

/// The records about one thing after the record `after`, oldest first, at most `limit`
/// (leaving out `ignoring`): what changed since someone last read it.
pub async fn changes_after(
    conn: &mut AnyConnection,
    entity_type: &str,
    entity_id: &str,
    ignoring: &str,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "SELECT id, at, actor_user_id, actor, action, entity_type, entity_id, summary, before_json, after_json FROM audit_log \
         WHERE entity_type = $1 AND entity_id = $2 AND action <> $3 AND id > $4 ORDER BY id LIMIT $5",
    )
    .bind(entity_type)
    .bind(entity_id)
    .bind(ignoring)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(map).collect()
}

pub async fn count(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(conn)
        .await
}

/// The distinct actions and entity types, for the filter form's choices. Each is a walk
/// up the column's index, one step per distinct value (a "loose index scan"), so it costs
/// the number of values, not the number of records.
pub async fn facets(conn: &mut AnyConnection) -> sqlx::Result<(Vec<String>, Vec<String>)> {
    let walk = |column: &str| {
        format!(
            "WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM audit_log \
             UNION ALL SELECT (SELECT MIN({column}) FROM audit_log WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) \
             SELECT x FROM v WHERE x IS NOT NULL"
        )
    };
    let actions = sqlx::query_scalar(&walk("action"))
        .fetch_all(&mut *conn)
        .await?;
    let types = sqlx::query_scalar(&walk("entity_type"))
        .fetch_all(conn)
        .await?;
    Ok((actions, types))
}
