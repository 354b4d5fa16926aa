//! Queries, a module per table group. Each takes a connection or transaction.

pub mod areas;
pub mod audit;
pub mod auth;
pub mod co_commissioning;
pub mod files;
pub mod funds;
pub mod grants;
pub mod organisations;
pub mod plans;
pub mod proposals;
pub mod users;

use sqlx::any::AnyRow;
use sqlx::Row;

/// Stored flags are BIGINT 0/1 on both engines.
pub(crate) fn flag(row: &AnyRow, column: &str) -> sqlx::Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}
