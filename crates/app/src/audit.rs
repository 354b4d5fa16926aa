//! Writing and reading the audit log.

use lcpf_store::queries::audit::{self as q, AuditFilter, AuditRecord, NewAuditRecord};
use lcpf_store::AnyConnection;
use serde::Serialize;

use crate::access::{authorise, Permission};
use crate::error::AppResult;
use crate::exports::Cell;
use crate::{Actor, App};

/// One change, described for the log.
pub struct Change<'a, B: Serialize, A: Serialize> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub summary: String,
    pub before: Option<&'a B>,
    pub after: Option<&'a A>,
}

/// Writes the audit record for a change. Call it with the transaction that makes the change,
/// so that both are committed together or neither is.
pub async fn record<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    actor: &Actor,
    change: Change<'_, B, A>,
) -> AppResult<()> {
    let before = change
        .before
        .map(serde_json::to_string)
        .transpose()
        .map_err(anyhow::Error::from)?;
    let after = change
        .after
        .map(serde_json::to_string)
        .transpose()
        .map_err(anyhow::Error::from)?;
    let now = lcpf_store::now();
    let label = actor.label();
    q::insert(
        conn,
        &NewAuditRecord {
            at: &now,
            actor_user_id: actor.user_id(),
            actor: &label,
            action: change.action,
            entity_type: change.entity_type,
            entity_id: &change.entity_id,
            summary: &change.summary,
            before_json: before.as_deref(),
            after_json: after.as_deref(),
        },
    )
    .await?;
    Ok(())
}

/// Rows per page when browsing.
pub const PAGE_SIZE: i64 = 50;

pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    /// The page starts just older than this record (none: the newest).
    pub before: Option<i64>,
    /// Pass as `before` for the next, older page (none: this is the last).
    pub next_before: Option<i64>,
    pub actions: Vec<String>,
    pub entity_types: Vec<String>,
    /// Who acted, by name.
    pub people: crate::people::People,
}

impl App {
    pub async fn audit_log(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        before: Option<i64>,
    ) -> AppResult<AuditPage> {
        authorise(actor, Permission::ViewAuditLog)?;
        let mut conn = self.db().begin_read().await?;
        let mut records = q::list(&mut conn, filter, Some(PAGE_SIZE + 1), before).await?;
        let more = records.len() as i64 > PAGE_SIZE;
        records.truncate(PAGE_SIZE as usize);
        let next_before = if more {
            records.last().map(|r| r.id)
        } else {
            None
        };
        let (actions, entity_types) = q::facets(&mut conn).await?;
        let people = crate::people::people(&mut conn).await?;
        Ok(AuditPage {
            people,
            records,
            before,
            next_before,
            actions,
            entity_types,
        })
    }

    /// Every matching record as CSV (UTF-8 with a byte-order mark, so Excel reads it right).
    pub async fn audit_log_csv(&self, actor: &Actor, filter: &AuditFilter) -> AppResult<Vec<u8>> {
        authorise(actor, Permission::ViewAuditLog)?;
        let mut conn = self.db().pool().acquire().await?;
        let records = q::list(&mut conn, filter, None, None).await?;
        let table: Vec<Vec<Cell>> = records
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.id.to_string()),
                    Cell::Text(r.at),
                    Cell::Text(r.actor),
                    Cell::Text(r.action),
                    Cell::Text(r.entity_type),
                    Cell::Text(r.entity_id),
                    Cell::Text(r.summary),
                    Cell::Text(r.before_json.unwrap_or_default()),
                    Cell::Text(r.after_json.unwrap_or_default()),
                ]
            })
            .collect();
        crate::exports::csv(
            &[
                "id",
                "at",
                "actor",
                "action",
                "entity_type",
                "entity_id",
                "summary",
                "before",
                "after",
            ],
            &table,
        )
    }
}

/// Text that a spreadsheet would run as a formula gets a leading apostrophe, so a cell shows
/// what was typed instead of executing it (CSV injection).
pub fn spreadsheet_safe(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            super::spreadsheet_safe("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(super::spreadsheet_safe("Barnet"), "Barnet");
    }
}
