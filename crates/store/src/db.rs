//! Connecting to the database, whichever engine the URL names.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            bail!(
                "the database URL must start with sqlite:// or postgres:// (got “{}”)",
                redact(url)
            )
        }
    }
}

/// The connection pool and which engine is behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects, creating a SQLite file if it does not exist yet. SQLite connections run in
    /// WAL mode with foreign keys enforced and a busy timeout, so a web request and a CLI
    /// command can share the file.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("cannot read the database URL {}", redact(&url)))?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(10))
            // A connection goes back into the pool, and comes out of it, only outside any
            // transaction: one left inside a transaction by a request dropped half-way (a
            // browser navigating away, a load run stopped) is closed instead of poisoning the
            // next request. sqlx pings first (test_before_acquire), so the check sees every
            // BEGIN or ROLLBACK a dropped future left queued.
            .after_release(|conn, _meta| Box::pin(async move { Ok(release_clean(conn).await) }))
            .before_acquire(|conn, _meta| Box::pin(async move { Ok(outside_transaction(conn)) }))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 15000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to the database at {}", redact(&url)))?;
        Ok(Db { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that will write. On SQLite it starts as a writer (`BEGIN
    /// IMMEDIATE`), so concurrent writers wait their turn under the busy timeout instead of
    /// failing with "database is locked" when a read inside the transaction is followed by a
    /// write after another writer committed (a deferred transaction cannot be upgraded then).
    pub async fn begin(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.begin_with("BEGIN").await,
        }
    }

    /// Begins a read-only transaction in which every query sees one snapshot of the
    /// database, so a page assembled from several queries never mixes before and after a
    /// concurrent save. SQLite (WAL) holds the snapshot from the first read; PostgreSQL gets
    /// `REPEATABLE READ`.
    pub async fn begin_read(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.begin_with("BEGIN DEFERRED").await,
            Backend::Postgres => {
                self.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
            }
        }
    }

    /// Takes a connection and begins a transaction on it in a task of its own, so that the
    /// caller being dropped half-way (a request cancelled while waiting) cannot leave a
    /// begun transaction with no `Transaction` to roll it back: sqlx's SQLite driver awaits
    /// once more after its custom `BEGIN` has run, and a future dropped there left the
    /// connection inside a transaction ("attempted to call begin_with at non-zero
    /// transaction depth"). If the caller has gone, the task's `Transaction` is dropped and
    /// rolls back as usual.
    async fn begin_with(
        &self,
        statement: &'static str,
    ) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin_with(statement).await })
            .await
            .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
    }

    /// Whether the database answers: used by `/healthz`.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a connection being released may go back into the pool: pinged first, so that a
/// `ROLLBACK` a dropped transaction queued (or a `BEGIN` a dropped request sent) has run,
/// then outside any transaction. A connection still inside one is closed, with a warning.
async fn release_clean(conn: &mut AnyConnection) -> bool {
    conn.ping().await.is_ok() && outside_transaction(conn)
}

fn outside_transaction(conn: &AnyConnection) -> bool {
    let outside = !conn.is_in_transaction();
    if !outside {
        tracing::warn!("a database connection was left inside a transaction; closing it");
    }
    outside
}

/// The current time as stored: UTC, ISO 8601 with microseconds, so text order is time order.
pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Hides a password in a database URL before it goes into a message or a log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}://{}:***{}", &url[..scheme], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://lcpf:secret@db:5432/lcpf"),
            "postgres://lcpf:***@db:5432/lcpf"
        );
        assert_eq!(redact("postgres://lcpf@db/lcpf"), "postgres://lcpf@db/lcpf");
        assert_eq!(redact("sqlite://lcpf.db"), "sqlite://lcpf.db");
    }

    #[test]
    fn timestamps_are_utc_iso() {
        let t = chrono::DateTime::from_timestamp_micros(1_795_336_613_000_042).unwrap();
        assert_eq!(timestamp(t), "2026-11-22T08:36:53.000042Z");
    }
}
