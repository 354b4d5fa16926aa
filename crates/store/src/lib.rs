//! Storage for LCPF: one code path for SQLite (embedded default) and PostgreSQL (production).
//!
//! Queries are written once in SQL that both engines accept (`$1` placeholders, `RETURNING`,
//! text timestamps in UTC ISO 8601, money as BIGINT pence) and run through sqlx's `Any`
//! driver. The only per-engine text is in [`migrations`], where a step may carry a
//! fragment for each engine (identity columns, triggers).
//!
//! Functions here take a connection (or a transaction, which derefs to one) and do no
//! permission checks: the application layer decides who may call them, and opens the
//! transaction that holds a change and its audit record together.

pub mod backup;
pub mod db;
pub mod migrations;
pub mod queries;

pub use db::{now, Backend, Db};
pub use sqlx::{Any, AnyConnection, Transaction};

/// Whether a database error is a broken uniqueness rule (a duplicate name, e-mail, …).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .map(|e| e.is_unique_violation())
        .unwrap_or(false)
}
