//! The schema, written once, applied in order on both engines.
//!
//! Each step is plain SQL that both engines accept, with `{pk}` standing for an
//! auto-numbered primary key (`INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite, `BIGSERIAL
//! PRIMARY KEY` on PostgreSQL), plus optional fragments that only one engine runs (triggers,
//! whose syntax differs). Steps are never edited once released: a change is a new step.
//! `lcpf migrate` applies them, and so does every start.

use anyhow::Context;
use sqlx::Executor;

use crate::{Backend, Db};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation: areas, organisations, users, sessions, tokens, audit, plans",
        sql: r#"
CREATE TABLE areas (
    ons_code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    org_id TEXT,
    in_lcpf BIGINT NOT NULL DEFAULT 0,
    boundary_geojson TEXT
);

CREATE TABLE organisations (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    org_id TEXT UNIQUE,
    charity_number TEXT,
    company_number TEXT,
    area_code TEXT REFERENCES areas (ons_code),
    contact_email TEXT,
    website TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX organisations_kind ON organisations (kind);

CREATE TABLE users (
    id {pk},
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id {pk},
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id {pk},
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE sign_in_attempts (
    id {pk},
    email TEXT NOT NULL,
    at TEXT NOT NULL,
    succeeded BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_email_at ON sign_in_attempts (email, at);

CREATE TABLE audit_log (
    id {pk},
    at TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

CREATE TABLE plans (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    first_year TEXT NOT NULL,
    last_year TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE priorities (
    id {pk},
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    guidance TEXT NOT NULL,
    UNIQUE (plan_id, name)
);

CREATE TABLE objectives (
    id {pk},
    priority_id BIGINT NOT NULL REFERENCES priorities (id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL
);

CREATE TABLE project_categories (
    id {pk},
    position BIGINT NOT NULL,
    name TEXT NOT NULL UNIQUE
);
"#,
        sqlite: r#"
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
        postgres: r#"
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"#,
    },
    Migration {
        version: 2,
        name: "funds, funding periods, budgets, indicator data, scenarios, decisions, allocations",
        sql: r#"
CREATE TABLE funds (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    eligibility TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE funding_periods (
    id {pk},
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    round_name TEXT NOT NULL,
    first_year TEXT NOT NULL,
    last_year TEXT NOT NULL,
    plan_id BIGINT REFERENCES plans (id),
    UNIQUE (fund_id, first_year)
);

CREATE TABLE period_budgets (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    pot_pence BIGINT NOT NULL,
    co_commissioning_bp BIGINT NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (period_id, year)
);

CREATE TABLE indicator_values (
    dataset TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    value_millionths BIGINT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (dataset, area_code)
);

CREATE TABLE scenarios (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    name TEXT NOT NULL,
    illustrative BIGINT NOT NULL DEFAULT 0,
    rules_json TEXT NOT NULL,
    pot_pence BIGINT NOT NULL,
    top_slice_pence BIGINT NOT NULL,
    extra_cost_pence BIGINT NOT NULL,
    total_pence BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (period_id, name)
);

CREATE TABLE scenario_allocations (
    scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    amount_pence BIGINT NOT NULL,
    formula_pence BIGINT NOT NULL,
    formula_share_millionths BIGINT NOT NULL,
    previous_pence BIGINT,
    bound_by TEXT NOT NULL,
    PRIMARY KEY (scenario_id, area_code)
);

CREATE TABLE decisions (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    scenario_id BIGINT REFERENCES scenarios (id),
    reference TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    decision_maker TEXT NOT NULL,
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (period_id, year)
);

CREATE TABLE allocations (
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    amount_pence BIGINT NOT NULL,
    decision_id BIGINT NOT NULL REFERENCES decisions (id),
    PRIMARY KEY (period_id, year, area_code)
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 3,
        name: "other named funding streams per period and year",
        sql: r#"
CREATE TABLE period_streams (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    year TEXT NOT NULL,
    name TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (period_id, year, name)
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 4,
        name: "borough proposals: versions, lines, comments, local themes",
        sql: r#"
ALTER TABLE funds ADD COLUMN max_lines_per_proposal BIGINT;

CREATE TABLE local_themes (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (organisation_id, name)
);

CREATE TABLE proposals (
    id {pk},
    period_id BIGINT NOT NULL REFERENCES funding_periods (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    area_code TEXT NOT NULL REFERENCES areas (ons_code),
    created_at TEXT NOT NULL,
    UNIQUE (period_id, organisation_id)
);

CREATE TABLE proposal_versions (
    id {pk},
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    variation_reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    submitted_at TEXT,
    submitted_by TEXT,
    decided_at TEXT,
    decided_by TEXT,
    UNIQUE (proposal_id, number)
);

CREATE TABLE proposal_lines (
    id {pk},
    version_id BIGINT NOT NULL REFERENCES proposal_versions (id),
    position BIGINT NOT NULL,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    outcome TEXT NOT NULL,
    activity TEXT NOT NULL,
    priority TEXT NOT NULL,
    contract_total_pence BIGINT,
    cross_reference TEXT,
    continues_from TEXT,
    police_posts BIGINT NOT NULL
);
CREATE INDEX proposal_lines_version ON proposal_lines (version_id);

CREATE TABLE proposal_line_years (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    year TEXT NOT NULL,
    cost_pence BIGINT NOT NULL,
    local_authority_pence BIGINT NOT NULL,
    local_authority_in_kind TEXT NOT NULL,
    PRIMARY KEY (line_id, year)
);

-- A line's local themes, links to other priorities and project categories.
CREATE TABLE proposal_line_tags (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (line_id, kind, position)
);

-- Providers (who deliver) and partners (who match-fund), with their amounts per year.
CREATE TABLE proposal_line_contributors (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    voluntary_sector BIGINT NOT NULL,
    in_kind TEXT NOT NULL,
    PRIMARY KEY (line_id, kind, position)
);
CREATE TABLE proposal_line_contributions (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (line_id, kind, position, year)
);

CREATE TABLE proposal_line_outcomes (
    line_id BIGINT NOT NULL REFERENCES proposal_lines (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    measure TEXT NOT NULL,
    baseline TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (line_id, position)
);

CREATE TABLE proposal_comments (
    id {pk},
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    version_number BIGINT NOT NULL,
    line_number TEXT,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name:
            "hardening: sign-in attempts by client, audit log indexes, no TRUNCATE of the audit log",
        sql: r#"
ALTER TABLE sign_in_attempts ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX sign_in_attempts_client_at ON sign_in_attempts (client, at);

-- Every audit view is newest first (by id) under at most one filter's index.
CREATE INDEX audit_log_action_id ON audit_log (action, id);
CREATE INDEX audit_log_actor_id ON audit_log (actor, id);
CREATE INDEX audit_log_entity_type_id ON audit_log (entity_type, id);
CREATE INDEX audit_log_record_id ON audit_log (entity_type, entity_id, id);
"#,
        sqlite: "",
        postgres: r#"
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"#,
    },
];

fn render(sql: &str, backend: Backend) -> String {
    let pk = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    sql.replace("{pk}", pk)
}

/// Applies every step not yet applied, each in its own transaction. Returns how many ran.
pub async fn migrate(db: &Db) -> anyhow::Result<usize> {
    let pool = db.pool();
    pool.execute(
        "CREATE TABLE IF NOT EXISTS lcpf_migrations (\
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await
    .context("cannot create the migrations table")?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM lcpf_migrations")
        .fetch_all(pool)
        .await?;
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = db.begin().await?;
        let own = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let sql = format!("{}\n{}", render(m.sql, db.backend()), own);
        tx.execute(sqlx::raw_sql(&sql))
            .await
            .with_context(|| format!("migration {} ({}) failed", m.version, m.name))?;
        sqlx::query("INSERT INTO lcpf_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_placeholders_render() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        let pg = render(MIGRATIONS[0].sql, Backend::Postgres);
        assert!(!pg.contains("{pk}") && pg.contains("BIGSERIAL PRIMARY KEY"));
        let lite = render(MIGRATIONS[0].sql, Backend::Sqlite);
        assert!(lite.contains("INTEGER PRIMARY KEY AUTOINCREMENT"));
    }
}
