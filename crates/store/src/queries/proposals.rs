//! Borough proposals: one per borough per funding period, kept as numbered versions. A
//! version's lines are rows (money per year, tags, contributors, SMART outcomes), so money by
//! priority across London is a query, and every submitted version stays as it was.

use std::collections::HashMap;

use lcpf_domain::proposal::{
    LineYear, Partner, ProposalLine, Provider, SmartOutcome, VersionState,
};
use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use super::flag;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Proposal {
    pub id: i64,
    pub period_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub area_code: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Version {
    pub id: i64,
    pub proposal_id: i64,
    /// 1, 2, 3… in the order they were started.
    pub number: i64,
    /// draft, submitted, returned or approved.
    #[schema(value_type = String)]
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

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
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

/// The line a detail row belongs to. A row whose line is not among those read (possible
/// only if the rows were read outside one snapshot) is an error, never a panic.
fn line_of<'a>(
    out: &'a mut [(i64, ProposalLine)],
    index: &HashMap<i64, usize>,
    row: &sqlx::any::AnyRow,
) -> sqlx::Result<&'a mut ProposalLine> {
    let id: i64 = row.try_get("line_id")?;
    index
        .get(&id)
        .and_then(|&i| out.get_mut(i))
        .map(|(_, line)| line)
        .ok_or_else(|| {
            sqlx::Error::Decode(
                format!("line {id} changed while it was read: read it in one transaction").into(),
            )
        })
}

/// A version's lines with their row ids, in the order they were entered. Call it inside one
/// transaction (`Db::begin_read`) so its several queries see one snapshot.
pub async fn lines(
    conn: &mut AnyConnection,
    version_id: i64,
) -> sqlx::Result<Vec<(i64, ProposalLine)>> {
    let rows = sqlx::query("SELECT id, number, title, outcome, activity, priority, contract_total_pence, cross_reference, continues_from, police_posts FROM proposal_lines WHERE version_id = $1 ORDER BY position")
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?;
    let bad = |what: &str, value: &str| {
        sqlx::Error::Decode(format!("stored {what} “{value}” is not valid").into())
    };
    let mut out: Vec<(i64, ProposalLine)> = Vec::with_capacity(rows.len());
    let mut index: HashMap<i64, usize> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let number: String = r.try_get("number")?;
        let cross: Option<String> = r.try_get("cross_reference")?;
        let from: Option<String> = r.try_get("continues_from")?;
        let line = ProposalLine {
            number: number.parse().map_err(|_| bad("line number", &number))?,
            title: r.try_get("title")?,
            outcome: r.try_get("outcome")?,
            themes: Vec::new(),
            activity: r.try_get("activity")?,
            priority: r.try_get("priority")?,
            links: Vec::new(),
            categories: Vec::new(),
            years: Vec::new(),
            providers: Vec::new(),
            partners: Vec::new(),
            smart_outcomes: Vec::new(),
            contract_total: r
                .try_get::<Option<i64>, _>("contract_total_pence")?
                .map(Money::from_pence),
            cross_reference: match cross {
                Some(c) => Some(c.parse().map_err(|_| bad("cross-reference", &c))?),
                None => None,
            },
            continues_from: match from {
                Some(f) => Some(f.parse().map_err(|_| bad("year", &f))?),
                None => None,
            },
            police_posts: flag(&r, "police_posts")?,
        };
        index.insert(id, out.len());
        out.push((id, line));
    }
    let year = |text: String| -> sqlx::Result<FinancialYear> {
        text.parse().map_err(|_| bad("year", &text))
    };
    for r in sqlx::query("SELECT y.line_id, y.year, y.cost_pence, y.local_authority_pence, y.local_authority_in_kind FROM proposal_line_years y JOIN proposal_lines l ON l.id = y.line_id WHERE l.version_id = $1 ORDER BY y.line_id, y.year")
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?
    {
        let line = line_of(&mut out, &index, &r)?;
        line.years.push(LineYear {
            year: year(r.try_get("year")?)?,
            cost: Money::from_pence(r.try_get("cost_pence")?),
            local_authority: Money::from_pence(r.try_get("local_authority_pence")?),
            local_authority_in_kind: r.try_get("local_authority_in_kind")?,
        });
    }
    for r in sqlx::query("SELECT t.line_id, t.kind, t.name FROM proposal_line_tags t JOIN proposal_lines l ON l.id = t.line_id WHERE l.version_id = $1 ORDER BY t.line_id, t.kind, t.position")
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?
    {
        let line = line_of(&mut out, &index, &r)?;
        let name: String = r.try_get("name")?;
        match r.try_get::<String, _>("kind")?.as_str() {
            "theme" => line.themes.push(name),
            "link" => line.links.push(name),
            _ => line.categories.push(name),
        }
    }
    for r in sqlx::query("SELECT c.line_id, c.kind, c.name, c.voluntary_sector, c.in_kind FROM proposal_line_contributors c JOIN proposal_lines l ON l.id = c.line_id WHERE l.version_id = $1 ORDER BY c.line_id, c.kind, c.position")
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?
    {
        let line = line_of(&mut out, &index, &r)?;
        let name: String = r.try_get("name")?;
        if r.try_get::<String, _>("kind")? == "provider" {
            line.providers.push(Provider {
                name,
                voluntary_sector: flag(&r, "voluntary_sector")?,
                amounts: Default::default(),
            });
        } else {
            line.partners.push(Partner {
                name,
                amounts: Default::default(),
                in_kind: r.try_get("in_kind")?,
            });
        }
    }
    for r in sqlx::query("SELECT c.line_id, c.kind, c.position, c.year, c.amount_pence FROM proposal_line_contributions c JOIN proposal_lines l ON l.id = c.line_id WHERE l.version_id = $1")
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?
    {
        let line = line_of(&mut out, &index, &r)?;
        let position = r.try_get::<i64, _>("position")? as usize;
        let y = year(r.try_get("year")?)?;
        let amount = Money::from_pence(r.try_get("amount_pence")?);
        let amounts = if r.try_get::<String, _>("kind")? == "provider" {
            line.providers.get_mut(position).map(|p| &mut p.amounts)
        } else {
            line.partners.get_mut(position).map(|p| &mut p.amounts)
        };
        if let Some(a) = amounts {
            a.insert(y, amount);
        }
    }
    for r in sqlx::query("SELECT o.line_id, o.outcome, o.measure, o.baseline, o.target FROM proposal_line_outcomes o JOIN proposal_lines l ON l.id = o.line_id WHERE l.version_id = $1 ORDER BY o.line_id, o.position")
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?
    {
        let line = line_of(&mut out, &index, &r)?;
        line.smart_outcomes.push(SmartOutcome {
            outcome: r.try_get("outcome")?,
            measure: r.try_get("measure")?,
            baseline: r.try_get("baseline")?,
            target: r.try_get("target")?,
        });
    }
    Ok(out)
}

/// Adds a line to a version at `position`; returns its row id.
pub async fn insert_line(
    conn: &mut AnyConnection,
    version_id: i64,
    position: i64,
    line: &ProposalLine,
) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar("INSERT INTO proposal_lines (version_id, position, number, title, outcome, activity, priority, contract_total_pence, cross_reference, continues_from, police_posts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(version_id)
        .bind(position)
        .bind(line.number.to_string())
        .bind(&line.title)
        .bind(&line.outcome)
        .bind(&line.activity)
        .bind(&line.priority)
        .bind(line.contract_total.map(Money::pence))
        .bind(line.cross_reference.map(|n| n.to_string()))
        .bind(line.continues_from.map(|y| y.to_string()))
        .bind(i64::from(line.police_posts))
        .fetch_one(&mut *conn)
        .await?;
    for y in &line.years {
        sqlx::query("INSERT INTO proposal_line_years (line_id, year, cost_pence, local_authority_pence, local_authority_in_kind) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(y.year.to_string())
            .bind(y.cost.pence())
            .bind(y.local_authority.pence())
            .bind(&y.local_authority_in_kind)
            .execute(&mut *conn)
            .await?;
    }
    let tags = [
        ("theme", &line.themes),
        ("link", &line.links),
        ("category", &line.categories),
    ];
    for (kind, names) in tags {
        for (i, name) in names.iter().enumerate() {
            sqlx::query("INSERT INTO proposal_line_tags (line_id, kind, position, name) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(kind)
                .bind(i as i64)
                .bind(name)
                .execute(&mut *conn)
                .await?;
        }
    }
    let providers = line
        .providers
        .iter()
        .map(|p| ("provider", &p.name, p.voluntary_sector, "", &p.amounts));
    let partners = line
        .partners
        .iter()
        .map(|p| ("partner", &p.name, false, p.in_kind.as_str(), &p.amounts));
    let mut positions: HashMap<&str, i64> = HashMap::new();
    for (kind, name, vcs, in_kind, amounts) in providers.chain(partners) {
        let position = positions.entry(kind).or_default();
        sqlx::query("INSERT INTO proposal_line_contributors (line_id, kind, position, name, voluntary_sector, in_kind) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(kind)
            .bind(*position)
            .bind(name)
            .bind(i64::from(vcs))
            .bind(in_kind)
            .execute(&mut *conn)
            .await?;
        for (year, amount) in amounts {
            sqlx::query("INSERT INTO proposal_line_contributions (line_id, kind, position, year, amount_pence) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(kind)
                .bind(*position)
                .bind(year.to_string())
                .bind(amount.pence())
                .execute(&mut *conn)
                .await?;
        }
        *position += 1;
    }
    for (i, o) in line.smart_outcomes.iter().enumerate() {
        sqlx::query("INSERT INTO proposal_line_outcomes (line_id, position, outcome, measure, baseline, target) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(i as i64)
            .bind(&o.outcome)
            .bind(&o.measure)
            .bind(&o.baseline)
            .bind(&o.target)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// Removes one line (and, by cascade, its years, tags, contributors and outcomes).
pub async fn delete_line(conn: &mut AnyConnection, line_id: i64) -> sqlx::Result<()> {
    for table in [
        "proposal_line_years",
        "proposal_line_tags",
        "proposal_line_contributions",
        "proposal_line_contributors",
        "proposal_line_outcomes",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE line_id = $1"))
            .bind(line_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM proposal_lines WHERE id = $1")
        .bind(line_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where a line sits in its version, so a replaced line keeps its place.
pub async fn line_position(
    conn: &mut AnyConnection,
    line_id: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let row = sqlx::query("SELECT version_id, position FROM proposal_lines WHERE id = $1")
        .bind(line_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get("version_id")?, r.try_get("position")?)))
        .transpose()
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

pub async fn line_count(conn: &mut AnyConnection, version_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM proposal_lines WHERE version_id = $1")
        .bind(version_id)
        .fetch_one(conn)
        .await
}

pub async fn next_position(conn: &mut AnyConnection, version_id: i64) -> sqlx::Result<i64> {
    let max: Option<i64> =
        sqlx::query_scalar("SELECT MAX(position) FROM proposal_lines WHERE version_id = $1")
            .bind(version_id)
            .fetch_one(conn)
            .await?;
    Ok(max.map_or(0, |m| m + 1))
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
    sqlx::query_scalar("SELECT name FROM local_themes WHERE organisation_id = $1 ORDER BY position")
        .bind(organisation_id)
        .fetch_all(conn)
        .await
}

/// Replaces a borough's local themes with `themes`, in order.
pub async fn set_local_themes(
    conn: &mut AnyConnection,
    organisation_id: i64,
    themes: &[String],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM local_themes WHERE organisation_id = $1")
        .bind(organisation_id)
        .execute(&mut *conn)
        .await?;
    for (i, t) in themes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO local_themes (organisation_id, position, name) VALUES ($1, $2, $3)",
        )
        .bind(organisation_id)
        .bind(i as i64)
        .bind(t)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
