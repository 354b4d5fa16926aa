//! Borough proposals: one per borough per funding period, kept as numbered versions. A
//! version's lines are rows (money per year, tags, contributors, SMART outcomes), so money by
//! priority across London is a query, and every submitted version stays as it was.

use std::collections::HashMap;

use lcpf_domain::proposal::VersionState;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

mod lines;
pub use lines::*;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Proposal {
    pub id: i64,
    pub period_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub area_code: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Version {
    pub id: i64,
    pub proposal_id: i64,
    /// 1, 2, 3… in the order they were started.
    pub number: i64,
    /// draft, submitted, returned or approved.
    pub state: VersionState,
    /// Set when the version is a variation of an approved proposal.
    pub variation_reason: String,
    pub created_at: String,
    pub created_by: String,
    pub submitted_at: Option<String>,
    pub submitted_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub version_number: i64,
    /// The line the comment is about, or none for the proposal as a whole.
    pub line_number: Option<String>,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

const PROPOSAL_COLUMNS: &str =
    "p.id, p.period_id, p.organisation_id, o.name AS organisation_name, p.area_code, p.created_at";

fn map_proposal(r: AnyRow) -> sqlx::Result<Proposal> {
    Ok(Proposal {
        id: r.try_get("id")?,
        period_id: r.try_get("period_id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        area_code: r.try_get("area_code")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn proposal(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Proposal>> {
    sqlx::query(&format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals p JOIN organisations o ON o.id = p.organisation_id WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(map_proposal)
    .transpose()
}

pub async fn proposals_for_period(
    conn: &mut AnyConnection,
    period_id: i64,
) -> sqlx::Result<Vec<Proposal>> {
    sqlx::query(&format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals p JOIN organisations o ON o.id = p.organisation_id WHERE p.period_id = $1 ORDER BY o.name"
    ))
    .bind(period_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map_proposal)
    .collect()
}

pub async fn proposals_for_organisation(
    conn: &mut AnyConnection,
    organisation_id: i64,
) -> sqlx::Result<Vec<Proposal>> {
    sqlx::query(&format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposals p JOIN organisations o ON o.id = p.organisation_id WHERE p.organisation_id = $1 ORDER BY p.period_id"
    ))
    .bind(organisation_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map_proposal)
    .collect()
}

pub async fn insert_proposal(
    conn: &mut AnyConnection,
    period_id: i64,
    organisation_id: i64,
    area_code: &str,
    now: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO proposals (period_id, organisation_id, area_code, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(period_id)
        .bind(organisation_id)
        .bind(area_code)
        .bind(now)
        .fetch_one(conn)
        .await
}

const VERSION_COLUMNS: &str = "id, proposal_id, number, state, variation_reason, created_at, created_by, submitted_at, submitted_by, decided_at, decided_by";

fn map_version(r: AnyRow) -> sqlx::Result<Version> {
    Ok(Version {
        id: r.try_get("id")?,
        proposal_id: r.try_get("proposal_id")?,
        number: r.try_get("number")?,
        state: {
            let s: String = r.try_get("state")?;
            s.parse()
                .map_err(|e: String| sqlx::Error::Decode(e.into()))?
        },
        variation_reason: r.try_get("variation_reason")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        submitted_at: r.try_get("submitted_at")?,
        submitted_by: r.try_get("submitted_by")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
    })
}

/// Every version of a proposal, oldest first.
pub async fn versions(conn: &mut AnyConnection, proposal_id: i64) -> sqlx::Result<Vec<Version>> {
    sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM proposal_versions WHERE proposal_id = $1 ORDER BY number"
    ))
    .bind(proposal_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map_version)
    .collect()
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    proposal_id: i64,
    number: i64,
    variation_reason: &str,
    now: &str,
    by: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO proposal_versions (proposal_id, number, state, variation_reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(proposal_id)
        .bind(number)
        .bind(VersionState::Draft.as_str())
        .bind(variation_reason)
        .bind(now)
        .bind(by)
        .fetch_one(conn)
        .await
}

/// Moves a version on: submission records who submitted it, a decision who decided.
pub async fn set_state(
    conn: &mut AnyConnection,
    version_id: i64,
    new_state: VersionState,
    now: &str,
    by: &str,
) -> sqlx::Result<()> {
    let sql = if new_state == VersionState::Submitted {
        "UPDATE proposal_versions SET state = $1, submitted_at = $2, submitted_by = $3 WHERE id = $4"
    } else {
        "UPDATE proposal_versions SET state = $1, decided_at = $2, decided_by = $3 WHERE id = $4"
    };
    sqlx::query(sql)
        .bind(new_state.as_str())
        .bind(now)
        .bind(by)
        .bind(version_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every version of every proposal in a period, by proposal, oldest first.
pub async fn versions_for_period(
    conn: &mut AnyConnection,
    period_id: i64,
) -> sqlx::Result<HashMap<i64, Vec<Version>>> {
    let mut out: HashMap<i64, Vec<Version>> = HashMap::new();
    for r in sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM proposal_versions WHERE proposal_id IN (SELECT id FROM proposals WHERE period_id = $1) ORDER BY proposal_id, number"
    ))
    .bind(period_id)
    .fetch_all(conn)
    .await?
    {
        let v = map_version(r)?;
        out.entry(v.proposal_id).or_default().push(v);
    }
    Ok(out)
}

/// Takes the proposal's row lock until the transaction ends (SQLite's writer lock already
/// covers it), so two changes to one proposal are checked against its revision one at a time.
pub async fn lock(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE proposals SET id = id WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn comments(conn: &mut AnyConnection, proposal_id: i64) -> sqlx::Result<Vec<Comment>> {
    sqlx::query("SELECT id, version_number, line_number, author, body, created_at FROM proposal_comments WHERE proposal_id = $1 ORDER BY id")
        .bind(proposal_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Comment {
                id: r.try_get("id")?,
                version_number: r.try_get("version_number")?,
                line_number: r.try_get("line_number")?,
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn insert_comment(
    conn: &mut AnyConnection,
    proposal_id: i64,
    c: &Comment,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO proposal_comments (proposal_id, version_number, line_number, author, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(proposal_id)
        .bind(c.version_number)
        .bind(&c.line_number)
        .bind(&c.author)
        .bind(&c.body)
        .bind(&c.created_at)
        .fetch_one(conn)
        .await
}

/// A borough's own local themes, in its order.
pub async fn local_themes(
    conn: &mut AnyConnection,
    organisation_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT name FROM borough_themes WHERE organisation_id = $1 ORDER BY position",
    )
    .bind(organisation_id)
    .fetch_all(conn)
    .await
}

/// Sets a borough's local themes to `themes`, in order, keeping each theme's id: a name kept
/// keeps its id (wherever it moves); a new name written in the place of a name that is gone is
/// that theme renamed, so it keeps its id and every line that names it; anything else is
/// added or removed.
pub async fn set_local_themes(
    conn: &mut AnyConnection,
    organisation_id: i64,
    themes: &[String],
) -> sqlx::Result<()> {
    let old: Vec<(i64, String)> = sqlx::query(
        "SELECT id, name FROM borough_themes WHERE organisation_id = $1 ORDER BY position",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
    .collect::<sqlx::Result<_>>()?;
    let mut placed: Vec<(i64, &String)> = Vec::new();
    for (i, name) in themes.iter().enumerate() {
        let renamed = old.get(i).filter(|(_, was)| !themes.contains(was));
        if let Some((id, _)) = old.iter().find(|(_, n)| n == name) {
            placed.push((*id, name));
        } else if let Some((id, _)) = renamed {
            sqlx::query("UPDATE borough_themes SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            placed.push((*id, name));
        } else {
            let id: i64 = sqlx::query_scalar("INSERT INTO borough_themes (organisation_id, position, name) VALUES ($1, $2, $3) RETURNING id")
                .bind(organisation_id)
                .bind(old.len() as i64 + i as i64)
                .bind(name)
                .fetch_one(&mut *conn)
                .await?;
            placed.push((id, name));
        }
    }
    for (id, _) in old
        .iter()
        .filter(|(id, _)| !placed.iter().any(|(p, _)| p == id))
    {
        sqlx::query("DELETE FROM borough_themes WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    for (position, (id, _)) in placed.iter().enumerate() {
        sqlx::query("UPDATE borough_themes SET position = $1 WHERE id = $2")
            .bind(position as i64)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
