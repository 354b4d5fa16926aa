//! Grants: agreements, their projects and profile years, variations and confirmations. SQL
//! only; records hold the domain's `Profile`, `GrantState` and `Schedule`.

use std::collections::BTreeMap;

use lcpf_domain::grant::payment::Schedule;
use lcpf_domain::grant::profile::{Certainty, Profile, Project, Source, YearFunding};
use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

pub mod claims;
pub mod closeout;
pub mod milestones;
pub mod onward;
pub mod payments;
pub mod spend;

pub(crate) fn corrupt(what: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(what.to_string().into())
}

pub(crate) fn year(text: &str) -> sqlx::Result<FinancialYear> {
    FinancialYear::parse(text).map_err(corrupt)
}

fn schedule_of(code: &str) -> sqlx::Result<Schedule> {
    Schedule::parse(code).map_err(corrupt)
}

/// What a grant was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GrantSource {
    /// A borough's approved proposal for a funding period (the version approved).
    Proposal { period_id: i64, version_id: i64 },
    /// A co-commissioning award.
    Award { award_id: i64 },
    /// History from before the product.
    Imported,
}

/// A grant as stored: its id is its stable key, as are its projects' (`project_keys`, in the
/// profile's order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantRecord {
    pub id: i64,
    pub reference: String,
    pub recipient_organisation_id: i64,
    pub recipient_name: String,
    pub source: GrantSource,
    pub first_year: FinancialYear,
    pub last_year: FinancialYear,
    pub starts_on: String,
    pub ends_on: String,
    pub conditions: String,
    pub schedule: Schedule,
    /// The most the grant may come to (the borough's envelope for the period, or the award).
    pub ceiling: Money,
    /// What the ceiling is, in words ("Barnet's envelope for 2017/18–2018/19").
    pub ceiling_words: String,
    /// Where finance books the grant's payments.
    pub cost_centre: String,
    pub state: GrantState,
    pub created_at: String,
    pub created_by: String,
    pub offered_at: Option<String>,
    pub offered_by: Option<String>,
    pub accepted_at: Option<String>,
    pub accepted_by: Option<String>,
    pub started_at: Option<String>,
    pub started_by: Option<String>,
    pub profile: Profile,
    pub project_keys: Vec<i64>,
}

/// A grant as a list shows it: one query for a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantSummary {
    pub id: i64,
    pub reference: String,
    pub recipient_organisation_id: i64,
    pub recipient_name: String,
    pub state: GrantState,
    pub first_year: String,
    pub last_year: String,
    pub total: Money,
}

/// Which grants a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantsOf {
    All,
    Recipient(i64),
}

pub(crate) fn grants_filter(of: GrantsOf) -> (&'static str, i64) {
    match of {
        GrantsOf::All => ("$1 = $1", 0),
        GrantsOf::Recipient(o) => ("g.recipient_organisation_id = $1", o),
    }
}

pub async fn grants_page(
    conn: &mut AnyConnection,
    of: GrantsOf,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<GrantSummary>> {
    let (filter, a) = grants_filter(of);
    sqlx::query(&format!(
        "SELECT g.id, g.reference, g.recipient_organisation_id, o.name AS recipient_name, g.state, g.first_year, g.last_year,
                CAST(COALESCE((SELECT SUM(y.revenue_pence + y.capital_pence) FROM grant_profile_years y JOIN grant_projects p ON p.id = y.project_id WHERE p.grant_id = g.id), 0) AS BIGINT) AS total
         FROM grants g JOIN organisations o ON o.id = g.recipient_organisation_id
         WHERE {filter} ORDER BY o.name, g.first_year, g.id LIMIT $2 OFFSET $3"
    ))
    .bind(a)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(GrantSummary {
            id: r.try_get("id")?,
            reference: r.try_get("reference")?,
            recipient_organisation_id: r.try_get("recipient_organisation_id")?,
            recipient_name: r.try_get("recipient_name")?,
            state: GrantState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
            first_year: r.try_get("first_year")?,
            last_year: r.try_get("last_year")?,
            total: Money::from_pence(r.try_get("total")?),
        })
    })
    .collect()
}

pub async fn count_grants(conn: &mut AnyConnection, of: GrantsOf) -> sqlx::Result<i64> {
    let (filter, a) = grants_filter(of);
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM grants g WHERE {filter}"))
        .bind(a)
        .fetch_one(conn)
        .await
}

/// A grant with its profile: three queries.
pub async fn grant(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<GrantRecord>> {
    let Some(r) = sqlx::query(
        "SELECT g.*, o.name AS recipient_name FROM grants g JOIN organisations o ON o.id = g.recipient_organisation_id WHERE g.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let source = match r.try_get::<String, _>("source_kind")?.as_str() {
        "proposal" => GrantSource::Proposal {
            period_id: r
                .try_get::<Option<i64>, _>("period_id")?
                .ok_or_else(|| corrupt("a proposal grant without its period"))?,
            version_id: r
                .try_get::<Option<i64>, _>("proposal_version_id")?
                .ok_or_else(|| corrupt("a proposal grant without its version"))?,
        },
        "award" => GrantSource::Award {
            award_id: r
                .try_get::<Option<i64>, _>("award_id")?
                .ok_or_else(|| corrupt("an award grant without its award"))?,
        },
        _ => GrantSource::Imported,
    };
    let mut record = GrantRecord {
        id,
        reference: r.try_get("reference")?,
        recipient_organisation_id: r.try_get("recipient_organisation_id")?,
        recipient_name: r.try_get("recipient_name")?,
        source,
        first_year: year(&r.try_get::<String, _>("first_year")?)?,
        last_year: year(&r.try_get::<String, _>("last_year")?)?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        conditions: r.try_get("conditions")?,
        schedule: schedule_of(&r.try_get::<String, _>("schedule")?)?,
        ceiling: Money::from_pence(r.try_get("ceiling_pence")?),
        ceiling_words: r.try_get("ceiling_words")?,
        cost_centre: r.try_get("cost_centre")?,
        state: GrantState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        offered_at: r.try_get("offered_at")?,
        offered_by: r.try_get("offered_by")?,
        accepted_at: r.try_get("accepted_at")?,
        accepted_by: r.try_get("accepted_by")?,
        started_at: r.try_get("started_at")?,
        started_by: r.try_get("started_by")?,
        profile: Profile::default(),
        project_keys: Vec::new(),
    };
    for p in sqlx::query("SELECT id, name, source_kind, source_key FROM grant_projects WHERE grant_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
    {
        let key: Option<i64> = p.try_get("source_key")?;
        record.project_keys.push(p.try_get("id")?);
        record.profile.projects.push(Project {
            name: p.try_get("name")?,
            source: match (p.try_get::<String, _>("source_kind")?.as_str(), key) {
                ("proposal_line", Some(k)) => Source::ProposalLine(k),
                ("award", Some(k)) => Source::Award(k),
                _ => Source::Imported,
            },
            years: BTreeMap::new(),
        });
    }
    for y in sqlx::query(
        "SELECT y.project_id, y.year, y.revenue_pence, y.capital_pence, y.certainty FROM grant_profile_years y JOIN grant_projects p ON p.id = y.project_id WHERE p.grant_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    {
        let project: i64 = y.try_get("project_id")?;
        let i = record
            .project_keys
            .iter()
            .position(|k| *k == project)
            .ok_or_else(|| corrupt("a profile year without its project"))?;
        let certainty = match y.try_get::<String, _>("certainty")?.as_str() {
            "firm" => Certainty::Firm,
            _ => Certainty::Provisional,
        };
        record.profile.projects[i].years.insert(
            year(&y.try_get::<String, _>("year")?)?,
            YearFunding {
                revenue: Money::from_pence(y.try_get("revenue_pence")?),
                capital: Money::from_pence(y.try_get("capital_pence")?),
                certainty,
            },
        );
    }
    Ok(Some(record))
}

/// The grant already made from a proposal version's borough for a period, or an award.
pub async fn grant_made_from(
    conn: &mut AnyConnection,
    source: &GrantSource,
    recipient: i64,
) -> sqlx::Result<Option<i64>> {
    match source {
        GrantSource::Proposal { period_id, .. } => {
            sqlx::query_scalar("SELECT id FROM grants WHERE source_kind = 'proposal' AND period_id = $1 AND recipient_organisation_id = $2")
                .bind(period_id)
                .bind(recipient)
                .fetch_optional(conn)
                .await
        }
        GrantSource::Award { award_id } => sqlx::query_scalar("SELECT id FROM grants WHERE award_id = $1")
            .bind(award_id)
            .fetch_optional(conn)
            .await,
        GrantSource::Imported => Ok(None),
    }
}

/// The money of a recipient's grants in a period, one amount a profile cell with its year
/// (revenue and capital apart), for the caller to add up with checked arithmetic; `except`
/// leaves out one grant (the one being changed).
pub async fn recipient_money_in_period(
    conn: &mut AnyConnection,
    period_id: i64,
    recipient: i64,
    except: Option<i64>,
) -> sqlx::Result<Vec<(FinancialYear, Money)>> {
    let rows = sqlx::query(
        "SELECT y.year, y.revenue_pence, y.capital_pence FROM grants g
         JOIN grant_projects p ON p.grant_id = g.id JOIN grant_profile_years y ON y.project_id = p.id
         WHERE g.period_id = $1 AND g.recipient_organisation_id = $2 AND g.id <> $3",
    )
    .bind(period_id)
    .bind(recipient)
    .bind(except.unwrap_or(-1))
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len() * 2);
    for r in rows {
        let y = year(&r.try_get::<String, _>("year")?)?;
        out.push((y, Money::from_pence(r.try_get("revenue_pence")?)));
        out.push((y, Money::from_pence(r.try_get("capital_pence")?)));
    }
    Ok(out)
}

/// A new grant's terms.
pub struct NewGrant<'a> {
    pub reference: &'a str,
    /// The funding period the grant's money comes from and closes with.
    pub period_id: i64,
    pub recipient_organisation_id: i64,
    pub source: GrantSource,
    pub first_year: FinancialYear,
    pub last_year: FinancialYear,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub conditions: &'a str,
    pub schedule: Schedule,
    pub ceiling: Money,
    pub ceiling_words: &'a str,
    pub profile: &'a Profile,
}

pub async fn insert_grant(
    conn: &mut AnyConnection,
    g: &NewGrant<'_>,
    now: &str,
    by: &str,
) -> sqlx::Result<i64> {
    let (kind, version, award) = match g.source {
        GrantSource::Proposal { version_id, .. } => ("proposal", Some(version_id), None),
        GrantSource::Award { award_id } => ("award", None, Some(award_id)),
        GrantSource::Imported => ("imported", None, None),
    };
    let period = g.period_id;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO grants (reference, recipient_organisation_id, source_kind, period_id, proposal_version_id, award_id, first_year, last_year, starts_on, ends_on, conditions, schedule, ceiling_pence, ceiling_words, state, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'drafted', $15, $16) RETURNING id",
    )
    .bind(g.reference)
    .bind(g.recipient_organisation_id)
    .bind(kind)
    .bind(period)
    .bind(version)
    .bind(award)
    .bind(g.first_year.to_string())
    .bind(g.last_year.to_string())
    .bind(g.starts_on)
    .bind(g.ends_on)
    .bind(g.conditions)
    .bind(g.schedule.as_str())
    .bind(g.ceiling.pence())
    .bind(g.ceiling_words)
    .bind(now)
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    for (i, p) in g.profile.projects.iter().enumerate() {
        let (kind, key) = match p.source {
            Source::ProposalLine(k) => ("proposal_line", Some(k)),
            Source::Award(k) => ("award", Some(k)),
            Source::Imported => ("imported", None),
        };
        let project: i64 = sqlx::query_scalar("INSERT INTO grant_projects (grant_id, position, name, source_kind, source_key) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(id)
            .bind(i as i64)
            .bind(&p.name)
            .bind(kind)
            .bind(key)
            .fetch_one(&mut *conn)
            .await?;
        insert_years(conn, project, p).await?;
    }
    Ok(id)
}

async fn insert_years(conn: &mut AnyConnection, project: i64, p: &Project) -> sqlx::Result<()> {
    for (y, f) in &p.years {
        sqlx::query("INSERT INTO grant_profile_years (project_id, year, revenue_pence, capital_pence, certainty) VALUES ($1, $2, $3, $4, $5)")
            .bind(project)
            .bind(y.to_string())
            .bind(f.revenue.pence())
            .bind(f.capital.pence())
            .bind(match f.certainty {
                Certainty::Firm => "firm",
                Certainty::Provisional => "provisional",
            })
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces the profile's years, project by project (the projects keep their keys).
pub async fn replace_profile(
    conn: &mut AnyConnection,
    keys: &[i64],
    profile: &Profile,
) -> sqlx::Result<()> {
    for (key, p) in keys.iter().zip(&profile.projects) {
        sqlx::query("DELETE FROM grant_profile_years WHERE project_id = $1")
            .bind(key)
            .execute(&mut *conn)
            .await?;
        insert_years(conn, *key, p).await?;
    }
    Ok(())
}

/// Sets how a grant is paid.
pub async fn set_schedule(
    conn: &mut AnyConnection,
    id: i64,
    schedule: Schedule,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE grants SET schedule = $1 WHERE id = $2")
        .bind(schedule.as_str())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_cost_centre(
    conn: &mut AnyConnection,
    id: i64,
    cost_centre: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE grants SET cost_centre = $1 WHERE id = $2")
        .bind(cost_centre)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The grant with this reference, if any (references are unique).
pub async fn grant_by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM grants WHERE LOWER(reference) = LOWER($1)")
        .bind(reference)
        .fetch_optional(conn)
        .await
}

/// Takes the grant's row lock until the transaction ends (SQLite's writer lock already covers
/// it), so two payments or claims against one grant are checked against its money one at a
/// time.
pub async fn lock(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE grants SET id = id WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a grant to `state`, noting who and when it was offered, accepted or started.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    state: GrantState,
    now: &str,
    by: &str,
) -> sqlx::Result<()> {
    let columns = match state {
        GrantState::Offered => Some(("offered_at", "offered_by")),
        GrantState::Accepted => Some(("accepted_at", "accepted_by")),
        GrantState::Live => Some(("started_at", "started_by")),
        GrantState::Drafted | GrantState::Closed => None,
    };
    match columns {
        Some((at, who)) => {
            sqlx::query(&format!(
                "UPDATE grants SET state = $1, {at} = $2, {who} = $3 WHERE id = $4"
            ))
            .bind(state.as_str())
            .bind(now)
            .bind(by)
            .bind(id)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("UPDATE grants SET state = $1 WHERE id = $2")
                .bind(state.as_str())
                .bind(id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// One variation, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variation {
    pub id: i64,
    pub number: i64,
    pub reason: String,
    pub varied_on: String,
    pub approved_by: String,
    pub before: Profile,
    pub after: Profile,
    pub created_at: String,
}

pub async fn variations(conn: &mut AnyConnection, grant_id: i64) -> sqlx::Result<Vec<Variation>> {
    sqlx::query("SELECT id, number, reason, varied_on, approved_by, before_profile, after_profile, created_at FROM grant_variations WHERE grant_id = $1 ORDER BY number")
        .bind(grant_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Variation {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                reason: r.try_get("reason")?,
                varied_on: r.try_get("varied_on")?,
                approved_by: r.try_get("approved_by")?,
                before: serde_json::from_str(&r.try_get::<String, _>("before_profile")?).map_err(corrupt)?,
                after: serde_json::from_str(&r.try_get::<String, _>("after_profile")?).map_err(corrupt)?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_variation(
    conn: &mut AnyConnection,
    grant_id: i64,
    reason: &str,
    varied_on: &str,
    approved_by: &str,
    before: &Profile,
    after: &Profile,
    now: &str,
) -> sqlx::Result<i64> {
    let number: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM grant_variations WHERE grant_id = $1",
    )
    .bind(grant_id)
    .fetch_one(&mut *conn)
    .await?;
    let json = |p: &Profile| serde_json::to_string(p).map_err(|e| sqlx::Error::Encode(e.into()));
    sqlx::query("INSERT INTO grant_variations (grant_id, number, reason, varied_on, approved_by, before_profile, after_profile, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(grant_id)
        .bind(number)
        .bind(reason)
        .bind(varied_on)
        .bind(approved_by)
        .bind(json(before)?)
        .bind(json(after)?)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(number)
}

/// A provisional year made firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub year: String,
    pub decision_reference: String,
    pub decided_on: String,
    pub created_at: String,
    pub created_by: String,
}

pub async fn confirmations(
    conn: &mut AnyConnection,
    grant_id: i64,
) -> sqlx::Result<Vec<Confirmation>> {
    sqlx::query("SELECT year, decision_reference, decided_on, created_at, created_by FROM grant_confirmations WHERE grant_id = $1 ORDER BY year")
        .bind(grant_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Confirmation {
                year: r.try_get("year")?,
                decision_reference: r.try_get("decision_reference")?,
                decided_on: r.try_get("decided_on")?,
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
}

pub async fn insert_confirmation(
    conn: &mut AnyConnection,
    grant_id: i64,
    c: &Confirmation,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO grant_confirmations (grant_id, year, decision_reference, decided_on, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(grant_id)
        .bind(&c.year)
        .bind(&c.decision_reference)
        .bind(&c.decided_on)
        .bind(&c.created_at)
        .bind(&c.created_by)
        .execute(conn)
        .await?;
    Ok(())
}

/// An approved proposal no grant has been made from yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantableProposal {
    pub version_id: i64,
    pub proposal_id: i64,
    pub period_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub area_code: String,
}

/// Each borough's latest approved proposal for a period without its grant: one query.
pub async fn approved_without_grant(
    conn: &mut AnyConnection,
) -> sqlx::Result<Vec<GrantableProposal>> {
    sqlx::query(
        "SELECT v.id AS version_id, p.id AS proposal_id, p.period_id, p.organisation_id, o.name AS organisation_name, p.area_code
         FROM proposal_versions v JOIN proposals p ON p.id = v.proposal_id JOIN organisations o ON o.id = p.organisation_id
         WHERE v.state = 'approved'
           AND v.number = (SELECT MAX(v2.number) FROM proposal_versions v2 WHERE v2.proposal_id = p.id AND v2.state = 'approved')
           AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.source_kind = 'proposal' AND g.period_id = p.period_id AND g.recipient_organisation_id = p.organisation_id)
         ORDER BY o.name, p.period_id",
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(GrantableProposal {
            version_id: r.try_get("version_id")?,
            proposal_id: r.try_get("proposal_id")?,
            period_id: r.try_get("period_id")?,
            organisation_id: r.try_get("organisation_id")?,
            organisation_name: r.try_get("organisation_name")?,
            area_code: r.try_get("area_code")?,
        })
    })
    .collect()
}

/// An award no grant has been made from yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantableAward {
    pub award_id: i64,
    pub bid_title: String,
    pub lead_organisation_id: i64,
    pub lead_name: String,
    pub call_name: String,
}

pub async fn awards_without_grant(conn: &mut AnyConnection) -> sqlx::Result<Vec<GrantableAward>> {
    sqlx::query(
        "SELECT a.id AS award_id, b.title, b.lead_organisation_id, o.name AS lead_name, c.name AS call_name
         FROM awards a JOIN bids b ON b.id = a.bid_id JOIN organisations o ON o.id = b.lead_organisation_id JOIN calls c ON c.id = a.call_id
         WHERE NOT EXISTS (SELECT 1 FROM grants g WHERE g.award_id = a.id) ORDER BY a.id",
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(GrantableAward {
            award_id: r.try_get("award_id")?,
            bid_title: r.try_get("title")?,
            lead_organisation_id: r.try_get("lead_organisation_id")?,
            lead_name: r.try_get("lead_name")?,
            call_name: r.try_get("call_name")?,
        })
    })
    .collect()
}

/// The proposal a version belongs to (for linking a grant to its source).
pub async fn proposal_of_version(
    conn: &mut AnyConnection,
    version_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT proposal_id FROM proposal_versions WHERE id = $1")
        .bind(version_id)
        .fetch_optional(conn)
        .await
}

/// The bid an award was made on (for linking a grant to its source).
pub async fn bid_of_award(conn: &mut AnyConnection, award_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT bid_id FROM awards WHERE id = $1")
        .bind(award_id)
        .fetch_optional(conn)
        .await
}
