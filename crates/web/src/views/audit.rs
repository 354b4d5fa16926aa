//! Browsing and exporting the audit log (funder admin).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lcpf_app::audit::AuditPage;
use lcpf_app::{AppError, AuditFilter};
use lcpf_domain::FieldErrors;
use serde::{Deserialize, Serialize};

use super::{field_errors, filters, render, render_invalid, Layout};
use crate::auth::Auth;
use crate::error::PageError;
use crate::AppState;

/// The filter as typed in the form. Dates are `YYYY-MM-DD`; `to` is inclusive.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Show records older than this one (the "Older" link).
    #[serde(default, skip_serializing)]
    pub before: Option<String>,
}

impl AuditQuery {
    /// Parses the dates; a bad one is a field error that names the field.
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let date = |field: &str, text: &str| -> Result<Option<chrono::NaiveDate>, AppError> {
            match text.trim() {
                "" => Ok(None),
                t => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::invalid(field, format!("“{t}” is not a date: write it as year-month-day, for example 2026-11-01"))),
            }
        };
        let from = date("from", &self.from)?;
        let to = date("to", &self.to)?;
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Ok(AuditFilter {
            actor: opt(&self.actor),
            action: opt(&self.action),
            entity_type: opt(&self.entity_type),
            entity_id: opt(&self.entity_id),
            from: from.map(|d| d.format("%Y-%m-%d").to_string()),
            until: to
                .and_then(|d| d.succ_opt())
                .map(|d| d.format("%Y-%m-%d").to_string()),
        })
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLogPage {
    layout: Layout,
    page: AuditPage,
    q: AuditQuery,
    query_string: String,
    /// A filter that cannot be read is shown on the form, not on a page of its own.
    errors: FieldErrors,
}

pub async fn browse(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let (filter, errors) = match q.filter() {
        Ok(filter) => (filter, FieldErrors::new()),
        // The choices of the form still come from the log; no records are listed.
        Err(e) => (AuditFilter::default(), field_errors(e)?),
    };
    let before = q.before.as_deref().and_then(|p| p.parse().ok());
    let mut page = state.app.audit_log(&auth.actor, &filter, before).await?;
    let query_string = serde_urlencoded::to_string(&q).unwrap_or_default();
    let layout = Layout::new(&auth, "Audit log", "audit");
    if errors.is_empty() {
        render(&AuditLogPage {
            layout,
            page,
            q,
            query_string,
            errors,
        })
    } else {
        page.records.clear();
        page.next_before = None;
        render_invalid(&AuditLogPage {
            layout,
            page,
            q,
            query_string,
            errors,
        })
    }
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let filter = q.filter()?;
    let csv = state.app.audit_log_csv(&auth.actor, &filter).await?;
    Ok(super::download(
        csv,
        "text/csv; charset=utf-8",
        "lcpf-audit-log.csv".into(),
    ))
}
