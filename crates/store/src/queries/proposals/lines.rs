//! A version's lines: read for one version or many at once (a fixed number of queries),
//! written with the references they name by id, changed in place so a line keeps its row
//! and its key.

use std::collections::HashMap;

use lcpf_domain::proposal::{LineKey, LineYear, Partner, ProposalLine, Provider, SmartOutcome};
use lcpf_domain::{FinancialYear, Money};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::super::flag;

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
    Ok(lines_of_versions(conn, &[version_id])
        .await?
        .remove(&version_id)
        .unwrap_or_default())
}

/// The lines of several versions at once (the London overview), by version: the same six
/// queries however many versions and lines there are.
pub async fn lines_of_versions(
    conn: &mut AnyConnection,
    version_ids: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<(i64, ProposalLine)>>> {
    if version_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let among = (1..=version_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    // Names are read through the ids, so a renamed priority, theme or category shows its
    // new name on every line; a name the plan never had is shown as written.
    let rows = among_query(&format!("SELECT l.id, l.version_id, l.line_key, l.number, l.title, l.outcome, l.activity, COALESCE(pr.name, l.priority) AS priority, l.contract_total_pence, l.cross_reference, l.continues_from, l.police_posts FROM proposal_lines l LEFT JOIN priorities pr ON pr.id = l.priority_id WHERE l.version_id IN ({among}) ORDER BY l.version_id, l.position"), version_ids)
        .fetch_all(&mut *conn)
        .await?;
    let bad = |what: &str, value: &str| {
        sqlx::Error::Decode(format!("stored {what} “{value}” is not valid").into())
    };
    let mut out: Vec<(i64, ProposalLine)> = Vec::with_capacity(rows.len());
    let mut version_of: Vec<i64> = Vec::with_capacity(rows.len());
    let mut index: HashMap<i64, usize> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        version_of.push(r.try_get("version_id")?);
        let number: String = r.try_get("number")?;
        let cross: Option<String> = r.try_get("cross_reference")?;
        let from: Option<String> = r.try_get("continues_from")?;
        let line = ProposalLine {
            key: r.try_get::<Option<i64>, _>("line_key")?.map(LineKey),
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
    for r in among_query(&format!("SELECT y.line_id, y.year, y.cost_pence, y.local_authority_pence, y.local_authority_in_kind FROM proposal_line_years y JOIN proposal_lines l ON l.id = y.line_id WHERE l.version_id IN ({among}) ORDER BY y.line_id, y.year"), version_ids)
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
    for r in among_query(&format!("SELECT t.line_id, t.kind, COALESCE(pr.name, c.name, bt.name, t.name) AS name FROM proposal_line_tags t JOIN proposal_lines l ON l.id = t.line_id LEFT JOIN priorities pr ON t.kind = 'link' AND pr.id = t.ref_id LEFT JOIN project_categories c ON t.kind = 'category' AND c.id = t.ref_id LEFT JOIN borough_themes bt ON t.kind = 'theme' AND bt.id = t.ref_id WHERE l.version_id IN ({among}) ORDER BY t.line_id, t.kind, t.position"), version_ids)
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
    for r in among_query(&format!("SELECT c.line_id, c.kind, c.name, c.voluntary_sector, c.in_kind FROM proposal_line_contributors c JOIN proposal_lines l ON l.id = c.line_id WHERE l.version_id IN ({among}) ORDER BY c.line_id, c.kind, c.position"), version_ids)
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
    for r in among_query(&format!("SELECT c.line_id, c.kind, c.position, c.year, c.amount_pence FROM proposal_line_contributions c JOIN proposal_lines l ON l.id = c.line_id WHERE l.version_id IN ({among})"), version_ids)
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
    for r in among_query(&format!("SELECT o.line_id, o.outcome, o.measure, o.baseline, o.target FROM proposal_line_outcomes o JOIN proposal_lines l ON l.id = o.line_id WHERE l.version_id IN ({among}) ORDER BY o.line_id, o.position"), version_ids)
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
    let mut by_version: HashMap<i64, Vec<(i64, ProposalLine)>> = HashMap::new();
    for (version, line) in version_of.into_iter().zip(out) {
        by_version.entry(version).or_default().push(line);
    }
    Ok(by_version)
}

/// A query whose `$1…$n` are `ids`.
fn among_query<'q>(
    sql: &'q str,
    ids: &'q [i64],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    ids.iter().fold(sqlx::query(sql), |q, id| q.bind(*id))
}

/// What a line's names refer to, by id: the period's plan priorities, the project
/// categories and the borough's own themes. A name not found is kept as written.
#[derive(Debug, Clone, Default)]
pub struct LineReferences {
    pub priorities: HashMap<String, i64>,
    pub categories: HashMap<String, i64>,
    pub themes: HashMap<String, i64>,
}

/// The references for lines of a proposal of `organisation_id` under `plan_id`.
pub async fn line_references(
    conn: &mut AnyConnection,
    plan_id: Option<i64>,
    organisation_id: i64,
) -> sqlx::Result<LineReferences> {
    let pairs = |rows: Vec<AnyRow>| -> sqlx::Result<HashMap<String, i64>> {
        rows.into_iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("id")?)))
            .collect()
    };
    let priorities = match plan_id {
        Some(plan) => pairs(
            sqlx::query("SELECT id, name FROM priorities WHERE plan_id = $1")
                .bind(plan)
                .fetch_all(&mut *conn)
                .await?,
        )?,
        None => HashMap::new(),
    };
    let categories = pairs(
        sqlx::query("SELECT id, name FROM project_categories")
            .fetch_all(&mut *conn)
            .await?,
    )?;
    let themes = pairs(
        sqlx::query("SELECT id, name FROM borough_themes WHERE organisation_id = $1")
            .bind(organisation_id)
            .fetch_all(&mut *conn)
            .await?,
    )?;
    Ok(LineReferences {
        priorities,
        categories,
        themes,
    })
}

/// Adds a line to a version at `position`; returns its row id and its key. A line that
/// already has a key (copied into a new version, or matched on import) keeps it; a new line's
/// key is its first row's id.
pub async fn insert_line(
    conn: &mut AnyConnection,
    version_id: i64,
    position: i64,
    line: &ProposalLine,
    refs: &LineReferences,
) -> sqlx::Result<(i64, LineKey)> {
    let id: i64 = bind_line_fields(
        sqlx::query("INSERT INTO proposal_lines (version_id, position, line_key, number, title, outcome, activity, priority, priority_id, contract_total_pence, cross_reference, continues_from, police_posts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(version_id)
            .bind(position)
            .bind(line.key.map(|k| k.0)),
        line,
        refs,
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let key = match line.key {
        Some(k) => k,
        None => {
            sqlx::query("UPDATE proposal_lines SET line_key = id WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            LineKey(id)
        }
    };
    insert_details(conn, id, line, refs).await?;
    Ok((id, key))
}

/// Changes a line in place: its row and key stay; its details are written again.
pub async fn update_line(
    conn: &mut AnyConnection,
    line_id: i64,
    line: &ProposalLine,
    refs: &LineReferences,
) -> sqlx::Result<()> {
    bind_line_fields(
        sqlx::query("UPDATE proposal_lines SET number = $1, title = $2, outcome = $3, activity = $4, priority = $5, priority_id = $6, contract_total_pence = $7, cross_reference = $8, continues_from = $9, police_posts = $10 WHERE id = $11"),
        line,
        refs,
    )
    .bind(line_id)
        .execute(&mut *conn)
        .await?;
    delete_details(conn, line_id).await?;
    insert_details(conn, line_id, line, refs).await
}

/// Binds a line's own columns, in the order both the insert and the update name them.
fn bind_line_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    line: &'q ProposalLine,
    refs: &LineReferences,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(line.number.to_string())
        .bind(&line.title)
        .bind(&line.outcome)
        .bind(&line.activity)
        .bind(&line.priority)
        .bind(refs.priorities.get(&line.priority).copied())
        .bind(line.contract_total.map(Money::pence))
        .bind(line.cross_reference.map(|n| n.to_string()))
        .bind(line.continues_from.map(|y| y.to_string()))
        .bind(i64::from(line.police_posts))
}

/// A line's years, tags, contributors and SMART outcomes.
async fn insert_details(
    conn: &mut AnyConnection,
    id: i64,
    line: &ProposalLine,
    refs: &LineReferences,
) -> sqlx::Result<()> {
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
        ("theme", &line.themes, &refs.themes),
        ("link", &line.links, &refs.priorities),
        ("category", &line.categories, &refs.categories),
    ];
    for (kind, names, ids) in tags {
        for (i, name) in names.iter().enumerate() {
            sqlx::query("INSERT INTO proposal_line_tags (line_id, kind, position, name, ref_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(kind)
                .bind(i as i64)
                .bind(name)
                .bind(ids.get(name).copied())
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
    Ok(())
}

async fn delete_details(conn: &mut AnyConnection, line_id: i64) -> sqlx::Result<()> {
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
    Ok(())
}

/// Removes one line and its details.
pub async fn delete_line(conn: &mut AnyConnection, line_id: i64) -> sqlx::Result<()> {
    delete_details(conn, line_id).await?;
    sqlx::query("DELETE FROM proposal_lines WHERE id = $1")
        .bind(line_id)
        .execute(&mut *conn)
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
