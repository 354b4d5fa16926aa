//! A proposal as a workbook: the export is the import template (read back in `import`), so
//! a borough can download its proposal (or a blank one), work on it in Excel and bring it
//! back.
//!
//! Sheets: Lines (one row per line), Providers, Partners and SMART outcomes (each row names
//! its line), and Totals (export only). Several themes, links or categories in one cell are
//! separated by semicolons. Money is in pounds.

use lcpf_domain::proposal::ProposalLine;
use lcpf_domain::FinancialYear;

use super::ProposalView;
use crate::error::AppResult;
use crate::exports::{self, Cell, Sheet};
use crate::{Actor, App};

const SEP: &str = "; ";

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "Yes" } else { "No" }.into())
}

fn joined(v: &[String]) -> Cell {
    Cell::Text(v.join(SEP))
}

/// The Lines sheet's columns before the per-year ones; import reads them by these names.
pub(super) const LEADING_COLUMNS: [&str; 8] = [
    "No.",
    "Title",
    "Priority",
    "Outcome",
    "Local themes",
    "Activity",
    "Links to other priorities",
    "Project categories",
];

/// The Lines sheet's columns after the per-year ones.
pub(super) const TRAILING_COLUMNS: [&str; 4] = [
    "Contract total",
    "Cross-reference to line",
    "Continues a service from",
    "Police officer posts or MPS",
];

/// The last column of the Lines sheet: the line's stable key (empty for a new line).
pub(super) const LINE_KEY_COLUMN: &str = "Line key (keep as it is)";

fn line_header(years: &[FinancialYear]) -> Vec<String> {
    let mut h: Vec<String> = LEADING_COLUMNS.iter().map(|s| s.to_string()).collect();
    for prefix in [
        "Cost",
        "Local authority contribution",
        "Local authority in kind",
    ] {
        h.extend(years.iter().map(|y| format!("{prefix} {y}")));
    }
    h.extend(TRAILING_COLUMNS.iter().map(|s| s.to_string()));
    h.push(LINE_KEY_COLUMN.to_string());
    h
}

/// A line as one row of the Lines sheet (and of the CSV).
fn line_cells(l: &ProposalLine, years: &[FinancialYear]) -> Vec<Cell> {
    let mut row = vec![
        Cell::Text(l.number.to_string()),
        Cell::Text(l.title.clone()),
        Cell::Text(l.priority.clone()),
        Cell::Text(l.outcome.clone()),
        joined(&l.themes),
        Cell::Text(l.activity.clone()),
        joined(&l.links),
        joined(&l.categories),
    ];
    row.extend(years.iter().map(|y| Cell::Money(l.cost_in(*y).pence())));
    for y in years {
        let la = l.years.iter().find(|x| x.year == *y);
        row.push(Cell::Money(la.map_or(0, |x| x.local_authority.pence())));
    }
    for y in years {
        let la = l.years.iter().find(|x| x.year == *y);
        row.push(Cell::Text(
            la.map(|x| x.local_authority_in_kind.clone())
                .unwrap_or_default(),
        ));
    }
    row.push(
        l.contract_total
            .map_or(Cell::Empty, |m| Cell::Money(m.pence())),
    );
    row.push(
        l.cross_reference
            .map_or(Cell::Empty, |n| Cell::Text(n.to_string())),
    );
    row.push(
        l.continues_from
            .map_or(Cell::Empty, |y| Cell::Text(y.to_string())),
    );
    row.push(yes_no(l.police_posts));
    row.push(l.key.map_or(Cell::Empty, |k| Cell::Text(k.to_string())));
    row
}

/// The workbook for a proposal as shown (`blank`: the template, with no lines).
pub fn workbook(view: &ProposalView, blank: bool) -> AppResult<Vec<u8>> {
    let years = &view.years;
    let lines: Vec<&ProposalLine> = if blank {
        Vec::new()
    } else {
        view.lines.iter().map(|s| &s.line).collect()
    };
    let title = format!(
        "{} — {} proposal, {}–{}{}",
        view.proposal.organisation_name,
        view.fund.name,
        view.period.first_year,
        view.period.last_year,
        match (&view.version, blank) {
            (_, true) => " (template)".to_string(),
            (Some(v), false) => format!(", version {} ({})", v.number, v.state),
            (None, false) => String::new(),
        }
    );
    let notes = vec![
        format!("Priorities: {}.", view.priorities.join(SEP)),
        "One row per line. Money in pounds. Separate several themes, links or categories with a semicolon. Providers, partners and SMART outcomes go on their own sheets, each row naming its line.".to_string(),
    ];
    let mut rows = Vec::new();
    let (mut providers, mut partners, mut outcomes) = (Vec::new(), Vec::new(), Vec::new());
    for l in &lines {
        rows.push(line_cells(l, years));
        for p in &l.providers {
            let mut r = vec![
                Cell::Text(l.number.to_string()),
                Cell::Text(p.name.clone()),
                yes_no(p.voluntary_sector),
            ];
            r.extend(years.iter().map(|y| {
                p.amounts
                    .get(y)
                    .map_or(Cell::Empty, |m| Cell::Money(m.pence()))
            }));
            providers.push(r);
        }
        for p in &l.partners {
            let mut r = vec![Cell::Text(l.number.to_string()), Cell::Text(p.name.clone())];
            r.extend(years.iter().map(|y| {
                p.amounts
                    .get(y)
                    .map_or(Cell::Empty, |m| Cell::Money(m.pence()))
            }));
            r.push(Cell::Text(p.in_kind.clone()));
            partners.push(r);
        }
        for o in &l.smart_outcomes {
            outcomes.push(vec![
                Cell::Text(l.number.to_string()),
                Cell::Text(o.outcome.clone()),
                Cell::Text(o.measure.clone()),
                Cell::Text(o.baseline.clone()),
                Cell::Text(o.target.clone()),
            ]);
        }
    }
    let per_year = |first: &[&str], last: &[&str]| {
        let mut h: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        h.extend(years.iter().map(|y| format!("Amount {y}")));
        h.extend(last.iter().map(|s| s.to_string()));
        h
    };
    let mut totals: Vec<Vec<Cell>> = view
        .totals
        .by_priority
        .iter()
        .map(|(p, m)| {
            vec![
                Cell::Text(p.clone()),
                Cell::Money(if blank { 0 } else { m.pence() }),
            ]
        })
        .collect();
    if !blank {
        totals.push(vec![
            Cell::Text("TOTAL".into()),
            Cell::Money(view.totals.total.pence()),
        ]);
        if let (Some(e), Some(h)) = (view.totals.envelope, view.totals.headroom) {
            totals.push(vec![
                Cell::Text("Allocation for the period".into()),
                Cell::Money(e.pence()),
            ]);
            totals.push(vec![Cell::Text("Headroom".into()), Cell::Money(h.pence())]);
        }
    }
    exports::workbook(vec![
        Sheet {
            name: "Lines",
            title: &title,
            notes,
            header: line_header(years),
            rows,
        },
        Sheet {
            name: "Providers",
            title: "Providers: who delivers each line",
            notes: vec![
                "Voluntary sector: Yes for a voluntary or community sector organisation.".into(),
            ],
            header: per_year(&["Line", "Provider", "Voluntary sector"], &[]),
            rows: providers,
        },
        Sheet {
            name: "Partners",
            title: "Partners' match funding for each line",
            notes: Vec::new(),
            header: per_year(&["Line", "Partner"], &["In kind"]),
            rows: partners,
        },
        Sheet {
            name: "SMART outcomes",
            title: "SMART outcomes each line commits to",
            notes: Vec::new(),
            header: ["Line", "Outcome", "Measure", "Baseline", "Target"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: outcomes,
        },
        Sheet {
            name: "Totals",
            title: "Total costs by priority (on import, checked against the lines)",
            notes: Vec::new(),
            header: vec!["Priority".into(), "Cost".into()],
            rows: totals,
        },
    ])
}

/// The Lines sheet as CSV, for analysis: one row per line, the same columns as the workbook.
pub fn lines_csv(view: &ProposalView) -> AppResult<Vec<u8>> {
    let header = line_header(&view.years);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<Cell>> = view
        .lines
        .iter()
        .map(|s| line_cells(&s.line, &view.years))
        .collect();
    exports::csv(&header, &rows)
}

impl App {
    /// The proposal's workbook (`blank`: the import template for its period).
    pub async fn proposal_workbook(
        &self,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
        blank: bool,
    ) -> AppResult<(String, Vec<u8>)> {
        let view = self.proposal(actor, id, version).await?;
        let name = file_name(&view, if blank { "template" } else { "proposal" });
        Ok((format!("{name}.xlsx"), workbook(&view, blank)?))
    }

    pub async fn proposal_csv(
        &self,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
    ) -> AppResult<(String, Vec<u8>)> {
        let view = self.proposal(actor, id, version).await?;
        Ok((
            format!("{}.csv", file_name(&view, "proposal")),
            lines_csv(&view)?,
        ))
    }

    /// Every borough's row of the funder's overview, with its money by priority, as CSV.
    pub async fn proposals_overview_csv(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<(String, Vec<u8>)> {
        let o = self.proposals_overview(actor, period_id).await?;
        let priorities: Vec<String> = o.by_priority.iter().map(|(p, _)| p.clone()).collect();
        let mut header: Vec<&str> = vec![
            "Borough",
            "ONS code",
            "Status",
            "Proposed",
            "Allocation",
            "Headroom",
        ];
        header.extend(priorities.iter().map(String::as_str));
        let money = |p: Option<i64>| p.map_or(Cell::Empty, Cell::Money);
        let rows: Vec<Vec<Cell>> =
            o.rows
                .iter()
                .map(|r| {
                    let mut row = vec![
                        Cell::Text(r.area_name.clone()),
                        Cell::Text(r.area_code.clone()),
                        Cell::Text(r.status.clone()),
                        money(r.total_pence),
                        money(r.envelope_pence),
                        money(r.headroom_pence),
                    ];
                    row.extend(priorities.iter().map(|p| {
                        money(r.by_priority.iter().find(|(n, _)| n == p).map(|(_, m)| *m))
                    }));
                    row
                })
                .collect();
        let name = format!(
            "proposals-{}-{}.csv",
            o.period.first_year.replace('/', "-"),
            o.period.last_year.replace('/', "-")
        );
        Ok((name, exports::csv(&header, &rows)?))
    }
}

fn file_name(view: &ProposalView, what: &str) -> String {
    let borough: String = view
        .proposal
        .organisation_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let period = format!("{}-{}", view.period.first_year, view.period.last_year).replace('/', "-");
    let version = view
        .version
        .as_ref()
        .map(|v| format!("-v{}", v.number))
        .unwrap_or_default();
    format!(
        "{borough}-{what}-{period}{}",
        if what == "template" {
            String::new()
        } else {
            version
        }
    )
}
