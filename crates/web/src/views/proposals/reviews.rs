//! The funder's overview of every borough's proposal, and two versions compared.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lcpf_app::proposals::{Overview, ProposalView};
use lcpf_domain::proposal::{LineChange, LineComparison};
use lcpf_domain::{Money, MoneyColumn};
use serde::Deserialize;

use crate::auth::Auth;
use crate::error::{parse_id, PageError};
use crate::views::{render, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "proposals/overview.html")]
struct OverviewPage {
    layout: Layout,
    overview: Overview,
    /// One way of writing the page's amounts, so that they line up.
    column: MoneyColumn,
}

impl OverviewPage {
    fn money(&self, pence: &Option<i64>) -> String {
        pence
            .map(|p| self.column.show(Money::from_pence(p)))
            .unwrap_or_else(|| "–".into())
    }
    fn pounds(&self, pence: &i64) -> String {
        self.column.show(Money::from_pence(*pence))
    }
}

pub async fn overview(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let overview = state.app.proposals_overview(&auth.actor, id).await?;
    let o = &overview;
    let column = MoneyColumn::of(
        o.rows
            .iter()
            .flat_map(|r| [r.total_pence, r.envelope_pence, r.headroom_pence])
            .flatten()
            .chain(o.by_priority.iter().map(|(_, p)| *p))
            .chain([o.total_pence, o.envelope_pence])
            .map(Money::from_pence),
    );
    render(&OverviewPage {
        layout: Layout::new(&auth, "Proposals across London", "proposals"),
        column,
        overview,
    })
}

#[derive(Template)]
#[template(path = "proposals/compare.html")]
struct ComparePage {
    layout: Layout,
    view: ProposalView,
    from: i64,
    to: i64,
    rows: Vec<LineComparison>,
    before_total: Money,
    after_total: Money,
}

impl ComparePage {
    fn amount(&self, m: &Option<Money>) -> String {
        m.map(|m| m.to_string()).unwrap_or_else(|| "–".into())
    }
    fn change(&self, r: &LineComparison) -> String {
        match &r.change {
            LineChange::Added => "Added".into(),
            LineChange::Removed => "Removed".into(),
            LineChange::Changed(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| match (f.as_str(), r.previous_number) {
                        ("number", Some(n)) => format!("renumbered from {n}"),
                        _ => f.clone(),
                    })
                    .collect();
                format!("Changed: {}", fields.join(", "))
            }
            LineChange::Unchanged => "No change".into(),
        }
    }
    fn tag(&self, r: &LineComparison) -> &'static str {
        match &r.change {
            LineChange::Added => "govuk-tag--green",
            LineChange::Removed => "govuk-tag--red",
            LineChange::Changed(f) if f.iter().any(|f| f == "cost") => "govuk-tag--orange",
            LineChange::Changed(_) => "govuk-tag--blue",
            LineChange::Unchanged => "govuk-tag--grey",
        }
    }
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The proposal")?;
    let version = |text: &Option<String>| -> Result<Option<i64>, PageError> {
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| PageError::App(lcpf_app::AppError::NotFound(format!("Version {t}")))),
            None => Ok(None),
        }
    };
    let compared = state
        .app
        .compare_versions(&auth.actor, id, version(&q.from)?, version(&q.to)?)
        .await?;
    let layout = Layout::new(&auth, "Compare versions", "proposals");
    let page = match compared {
        Some((a, b, rows)) => ComparePage {
            layout,
            from: a.version.as_ref().map_or(0, |v| v.number),
            to: b.version.as_ref().map_or(0, |v| v.number),
            before_total: a.totals.total,
            after_total: b.totals.total,
            view: b,
            rows,
        },
        // Nothing this person may see yet: the page says so.
        None => ComparePage {
            layout,
            from: 0,
            to: 0,
            before_total: Money::ZERO,
            after_total: Money::ZERO,
            view: state.app.proposal(&auth.actor, id, None).await?,
            rows: Vec::new(),
        },
    };
    render(&page)
}

/// The overview as CSV, for the finance officer's spreadsheet.
pub async fn overview_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id, "The funding period")?;
    let (name, bytes) = state.app.proposals_overview_csv(&auth.actor, id).await?;
    Ok(crate::views::download(
        bytes,
        "text/csv; charset=utf-8",
        name,
    ))
}
