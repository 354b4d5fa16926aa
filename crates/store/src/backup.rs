//! Backing up and restoring a SQLite database. (PostgreSQL uses `pg_dump` and `pg_restore`:
//! see docs/operating.md.)
//!
//! A backup is taken with `VACUUM INTO`, which writes a consistent copy from one read
//! snapshot while the server keeps serving — unlike copying the file, which can catch a
//! write half-done or miss what is still in the write-ahead log. A restore checks the copy
//! (SQLite's integrity check, and a schema this version of LCPF knows) before it replaces
//! anything.

use std::path::Path;

use anyhow::{bail, Context};
use sqlx::Connection;

use crate::migrations::MIGRATIONS;
use crate::{Backend, Db};

/// Writes a consistent copy of a live SQLite database to `to`, which must not exist yet.
pub async fn backup(db: &Db, to: &Path) -> anyhow::Result<()> {
    if db.backend() != Backend::Sqlite {
        bail!("lcpf backup copies SQLite databases; for PostgreSQL use pg_dump (see docs/operating.md)");
    }
    if to.exists() {
        bail!("{} already exists: choose a new file name", to.display());
    }
    let target = to
        .to_str()
        .context("the backup file's name must be valid UTF-8")?;
    sqlx::query(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
        .execute(db.pool())
        .await
        .with_context(|| format!("cannot write the backup to {}", to.display()))?;
    Ok(())
}

/// What a checked backup holds.
#[derive(Debug)]
pub struct BackupSummary {
    pub schema_version: i64,
    pub audit_records: i64,
}

/// Checks that `file` is a sound SQLite database with a schema this version knows.
pub async fn check(file: &Path) -> anyhow::Result<BackupSummary> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    if integrity != "ok" {
        bail!(
            "{} failed SQLite's integrity check: {integrity}",
            file.display()
        );
    }
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM lcpf_migrations")
        .fetch_one(&mut conn)
        .await
        .with_context(|| {
            format!(
                "{} is not an LCPF database (no schema version)",
                file.display()
            )
        })?;
    let latest = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    let Some(version) = version else {
        bail!(
            "{} is not an LCPF database (no schema version)",
            file.display()
        );
    };
    if version > latest {
        bail!(
            "{} has schema version {version}, newer than this lcpf knows ({latest}): restore it with a newer lcpf",
            file.display()
        );
    }
    let audit_records: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(BackupSummary {
        schema_version: version,
        audit_records,
    })
}

/// Puts a checked backup in place of the SQLite database at `database` (the server must be
/// stopped). The old file is kept beside it as `<name>.before-restore`.
pub async fn restore(from: &Path, database: &Path) -> anyhow::Result<BackupSummary> {
    let summary = check(from).await?;
    let staging = database.with_extension("restoring");
    std::fs::copy(from, &staging)
        .with_context(|| format!("cannot copy {} to {}", from.display(), staging.display()))?;
    if database.exists() {
        let kept = database.with_extension("before-restore");
        std::fs::rename(database, &kept)
            .with_context(|| format!("cannot move the current database to {}", kept.display()))?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut side = database.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    std::fs::rename(&staging, database)
        .with_context(|| format!("cannot put the backup in place at {}", database.display()))?;
    Ok(summary)
}

/// The file behind a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> anyhow::Result<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("lcpf restore puts back SQLite databases; for PostgreSQL use pg_restore (see docs/operating.md)")?;
    let path = rest.split('?').next().unwrap_or(rest);
    Ok(std::path::PathBuf::from(path))
}
