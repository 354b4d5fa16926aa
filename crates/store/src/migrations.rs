//! The schema, written once, applied in order on both engines.
//!
//! Each step is a file in `crates/store/migrations/` (`NNNN_name.sql`), plain SQL that both
//! engines accept, with `{pk}` standing for an
//! auto-numbered primary key (`INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite, `BIGSERIAL
//! PRIMARY KEY` on PostgreSQL), plus optional fragments that only one engine runs (triggers,
//! whose syntax differs: `NNNN_name.sqlite.sql`, `NNNN_name.postgres.sql`). Steps are never edited once released: a change is a new step.
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
        sql: include_str!("../migrations/0001_foundation.sql"),
        sqlite: include_str!("../migrations/0001_foundation.sqlite.sql"),
        postgres: include_str!("../migrations/0001_foundation.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "funds, funding periods, budgets, indicator data, scenarios, decisions, allocations",
        sql: include_str!("../migrations/0002_funds.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 3,
        name: "other named funding streams per period and year",
        sql: include_str!("../migrations/0003_streams.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 4,
        name: "borough proposals: versions, lines, comments, local themes",
        sql: include_str!("../migrations/0004_proposals.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name:
            "hardening: sign-in attempts by client, audit log indexes, no TRUNCATE of the audit log",
        sql: include_str!("../migrations/0005_hardening.sql"),
        sqlite: "",
        postgres: include_str!("../migrations/0005_hardening.postgres.sql"),
    },
    Migration {
        version: 6,
        name: "stable keys: proposal lines keep one key; priorities, themes and categories by id",
        sql: include_str!("../migrations/0006_stable_keys.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 7,
        name: "recorded decisions: stated totals, and amendments to one borough's allocation",
        sql: include_str!("../migrations/0007_recorded_decisions.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 8,
        name: "eligibility rules as data: each in the fund's words with what it refuses",
        sql: include_str!("../migrations/0008_eligibility_rules.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 9,
        name: "illustrative allocations: figures not from the decision's source, labelled",
        sql: include_str!("../migrations/0009_illustrative_allocations.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 10,
        name: "the proposals window of a funding period",
        sql: include_str!("../migrations/0010_proposals_window.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 11,
        name: "co-commissioning: calls, bids, assessment and awards",
        sql: include_str!("../migrations/0011_co_commissioning.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 12,
        name: "grants: agreements, profiles, variations and confirmations",
        sql: include_str!("../migrations/0012_grants.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 13,
        name: "claims and payments: claims, evidence, payment requests, spend authority, finance exports",
        sql: include_str!("../migrations/0013_claims_and_payments.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 14,
        name: "close-out: periods closed, unspent money returned",
        sql: include_str!("../migrations/0014_close_out.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 15,
        name: "onward funding to partners, and match funding reported with claims",
        sql: include_str!("../migrations/0015_onward_and_match_funding.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 16,
        name: "payment schedules: in advance and on milestones; what each payment is for",
        sql: include_str!("../migrations/0016_payment_schedules.sql"),
        sqlite: include_str!("../migrations/0016_payment_schedules.sqlite.sql"),
        postgres: include_str!("../migrations/0016_payment_schedules.postgres.sql"),
    },
    Migration {
        version: 17,
        name: "edges: every grant belongs to one funding period and closes with it alone; payment requests can be cancelled with a reason",
        sql: include_str!("../migrations/0017_edges.sql"),
        sqlite: "",
        postgres: "",
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
    migrate_until(db, i64::MAX).await
}

/// Applies the steps not yet applied up to `last` (a version): how an upgrade test builds a
/// database as an earlier release left it.
pub async fn migrate_until(db: &Db, last: i64) -> anyhow::Result<usize> {
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
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version <= last && !applied.contains(&m.version))
    {
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
