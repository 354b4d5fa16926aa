//! A proposal as a workbook, and back: the export is the import template, so a borough can
//! download its proposal (or a blank one), work on it in Excel and bring it back.
//!
//! Sheets: Lines (one row per line), Providers, Partners and SMART outcomes (each row names
//! its line), and Totals (export only). Several themes, links or categories in one cell are
//! separated by semicolons. Money is in pounds. Importing checks every cell and says which
//! sheet, row and column is wrong; nothing is saved until the officer confirms, and then the
//! draft's lines are replaced all at once.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use lcpf_domain::proposal::{self as rules, Problem, ProposalLine, Totals};
use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;

use super::{
    find, rules_for, ContributorInput, LineInput, LineYearInput, ProposalView, SmartOutcomeInput,
};
use crate::access::{authorise, Permission};
use crate::error::AppResult;
use crate::exports::{self, Cell, Sheet};
use crate::{Actor, App};

/// What an uploaded workbook would become, before anything is saved.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    /// Problems reading the workbook, each naming sheet, row and column. None: it can be saved.
    pub errors: Vec<String>,
    pub lines: Vec<LineInput>,
    pub parsed: Vec<ProposalLine>,
    /// The fund's rules the imported lines would break (they may still be saved as a draft).
    pub problems: Vec<Problem>,
    pub totals: Option<Totals>,
}

const SEP: &str = "; ";

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "Yes" } else { "No" }.into())
}

fn joined(v: &[String]) -> Cell {
    Cell::Text(v.join(SEP))
}

fn line_header(years: &[FinancialYear]) -> Vec<String> {
    let mut h: Vec<String> = [
        "No.",
        "Title",
        "Priority",
        "Outcome",
        "Local themes",
        "Activity",
        "Links to other priorities",
        "Project categories",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for y in years {
        h.push(format!("Cost {y}"));
    }
    for y in years {
        h.push(format!("Local authority contribution {y}"));
    }
    for y in years {
        h.push(format!("Local authority in kind {y}"));
    }
    for s in [
        "Contract total",
        "Cross-reference to line",
        "Continues a service from",
        "Police officer posts or MPS",
    ] {
        h.push(s.to_string());
    }
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
    row
}

/// The workbook for a proposal as shown (`blank`: the template, with no lines).
pub fn workbook(view: &ProposalView, blank: bool) -> AppResult<Vec<u8>> {
    let years = &view.years;
    let lines: Vec<&ProposalLine> = if blank {
        Vec::new()
    } else {
        view.lines.iter().map(|(_, l)| l).collect()
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
            title: "Total costs by priority (not read on import)",
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
        .map(|(_, l)| line_cells(l, &view.years))
        .collect();
    exports::csv(&header, &rows)
}

/// One sheet read back: its header and its non-empty rows with their Excel row numbers.
struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => {
            let pence = (f * 100.0).round();
            if (f * 100.0 - pence).abs() < 1e-6 && pence.abs() < 9.0e15 {
                Money::from_pence(pence as i64).to_string()
            } else {
                f.to_string()
            }
        }
        Data::Int(i) => Money::from_pounds(*i).to_string(),
        Data::Bool(b) => if *b { "Yes" } else { "No" }.to_string(),
        other => other.to_string(),
    }
}

/// Reads a sheet, finding its header as the first row whose first cell is `No.` or `Line`.
fn read_sheet(bytes: &[u8], name: &str) -> Result<Table, String> {
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| {
            "The file is not an Excel workbook (.xlsx): download the template and fill that in"
                .to_string()
        })?;
    let range = book.worksheet_range(name).map_err(|_| {
        format!("The workbook has no “{name}” sheet: download the template and fill that in")
    })?;
    let (start_row, _) = range.start().unwrap_or((0, 0));
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let excel_row = start_row as usize + i + 1;
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        match &header {
            None => {
                if cells.first().is_some_and(|c| c == "No." || c == "Line") {
                    header = Some(cells);
                }
            }
            Some(_) if cells.iter().all(|c| c.is_empty()) => {}
            Some(_) => rows.push((excel_row, cells)),
        }
    }
    let header = header.ok_or_else(|| format!("The “{name}” sheet has no header row starting “No.” or “Line”: keep the template's header"))?;
    Ok(Table { header, rows })
}

fn list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn yes(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" => Some(true),
        "no" | "n" | "false" | "" => Some(false),
        _ => None,
    }
}

/// Reads one row of a Providers, Partners or SMART outcomes sheet into its line.
type RowReader<'a> = dyn FnMut(&mut LineInput, &Table, &[String], &[Option<usize>]) + 'a;

/// Reads every sheet into line inputs. Errors name the sheet, row and column.
fn read_workbook(bytes: &[u8], years: &[FinancialYear]) -> Result<Vec<LineInput>, Vec<String>> {
    let lines = read_sheet(bytes, "Lines").map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut col = |t: &Table, sheet: &str, name: &str| -> usize {
        t.column(name).unwrap_or_else(|| {
            errors.push(format!(
                "The “{sheet}” sheet has no “{name}” column: use the template for this period"
            ));
            usize::MAX
        })
    };
    let get = |row: &[String], c: usize| row.get(c).cloned().unwrap_or_default();
    let fixed: Vec<usize> = [
        "No.",
        "Title",
        "Priority",
        "Outcome",
        "Local themes",
        "Activity",
        "Links to other priorities",
        "Project categories",
        "Contract total",
        "Cross-reference to line",
        "Continues a service from",
        "Police officer posts or MPS",
    ]
    .iter()
    .map(|n| col(&lines, "Lines", n))
    .collect();
    let cost: Vec<usize> = years
        .iter()
        .map(|y| col(&lines, "Lines", &format!("Cost {y}")))
        .collect();
    let la: Vec<usize> = years
        .iter()
        .map(|y| {
            col(
                &lines,
                "Lines",
                &format!("Local authority contribution {y}"),
            )
        })
        .collect();
    let kind: Vec<usize> = years
        .iter()
        .map(|y| col(&lines, "Lines", &format!("Local authority in kind {y}")))
        .collect();
    let optional = |name: &str| read_sheet(bytes, name).ok();
    let (providers, partners, outcomes) = (
        optional("Providers"),
        optional("Partners"),
        optional("SMART outcomes"),
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut inputs: Vec<LineInput> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (excel_row, row) in &lines.rows {
        let police = get(row, fixed[11]);
        let police_posts = yes(&police).unwrap_or_else(|| {
            errors.push(format!("Lines sheet, row {excel_row}, column “Police officer posts or MPS”: “{police}” is not Yes or No"));
            false
        });
        let input = LineInput {
            number: get(row, fixed[0]),
            title: get(row, fixed[1]),
            priority: get(row, fixed[2]),
            outcome: get(row, fixed[3]),
            themes: list(&get(row, fixed[4])),
            activity: get(row, fixed[5]),
            links: list(&get(row, fixed[6])),
            categories: list(&get(row, fixed[7])),
            years: years
                .iter()
                .enumerate()
                .map(|(i, y)| LineYearInput {
                    year: y.to_string(),
                    cost: get(row, cost[i]),
                    local_authority: get(row, la[i]),
                    local_authority_in_kind: get(row, kind[i]),
                })
                .collect(),
            contract_total: get(row, fixed[8]),
            cross_reference: get(row, fixed[9]),
            continues_from: get(row, fixed[10]),
            police_posts,
            ..LineInput::default()
        };
        index.insert(input.number.trim().to_string(), inputs.len());
        inputs.push(input);
    }
    let amount_columns = |t: &Table| -> Vec<Option<usize>> {
        years
            .iter()
            .map(|y| t.column(&format!("Amount {y}")))
            .collect()
    };
    let mut attach = |t: &Option<Table>,
                      sheet: &str,
                      errors: &mut Vec<String>,
                      f: &mut RowReader| {
        if let Some(t) = t {
            let amounts = amount_columns(t);
            for (excel_row, row) in &t.rows {
                let line = row.first().cloned().unwrap_or_default();
                match index.get(line.trim()) {
                    Some(&i) => f(&mut inputs[i], t, row, &amounts),
                    None => errors.push(format!("{sheet} sheet, row {excel_row}, column “Line”: “{line}” is not a line on the Lines sheet")),
                }
            }
        }
    };
    let amounts_of = |row: &[String], amounts: &[Option<usize>]| -> BTreeMap<String, String> {
        years
            .iter()
            .zip(amounts)
            .filter_map(|(y, c)| {
                c.map(|c| (y.to_string(), row.get(c).cloned().unwrap_or_default()))
            })
            .filter(|(_, a)| !a.is_empty())
            .collect()
    };
    let mut sheet_errors = Vec::new();
    attach(
        &providers,
        "Providers",
        &mut sheet_errors,
        &mut |line, t, row, amounts| {
            let vcs = t
                .column("Voluntary sector")
                .map(|c| get(row, c))
                .unwrap_or_default();
            line.providers.push(ContributorInput {
                name: t
                    .column("Provider")
                    .map(|c| get(row, c))
                    .unwrap_or_default(),
                voluntary_sector: yes(&vcs).unwrap_or(false),
                amounts: amounts_of(row, amounts),
                in_kind: String::new(),
            });
        },
    );
    attach(
        &partners,
        "Partners",
        &mut sheet_errors,
        &mut |line, t, row, amounts| {
            line.partners.push(ContributorInput {
                name: t.column("Partner").map(|c| get(row, c)).unwrap_or_default(),
                voluntary_sector: false,
                amounts: amounts_of(row, amounts),
                in_kind: t.column("In kind").map(|c| get(row, c)).unwrap_or_default(),
            });
        },
    );
    attach(
        &outcomes,
        "SMART outcomes",
        &mut sheet_errors,
        &mut |line, t, row, _| {
            let field = |n: &str| t.column(n).map(|c| get(row, c)).unwrap_or_default();
            line.smart_outcomes.push(SmartOutcomeInput {
                outcome: field("Outcome"),
                measure: field("Measure"),
                baseline: field("Baseline"),
                target: field("Target"),
            });
        },
    );
    errors.extend(sheet_errors);
    // Entry errors for each line, named by the Lines sheet's row and column.
    for ((excel_row, _), input) in lines.rows.iter().zip(&inputs) {
        if let Err(es) = input.parse(years) {
            for e in es.iter() {
                errors.push(format!(
                    "Lines sheet, row {excel_row}, {}: {}",
                    column_of(&e.field, years),
                    e.message
                ));
            }
        }
    }
    if lines.rows.is_empty() {
        errors
            .push("The Lines sheet has no lines: fill in one row per line under the header".into());
    }
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(errors)
    }
}

/// The spreadsheet column (or sheet) an entry field comes from.
fn column_of(field: &str, years: &[FinancialYear]) -> String {
    let year_at = |f: &str| {
        f.split(['[', ']'])
            .nth(1)
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| years.get(i))
            .map(|y| y.to_string())
            .unwrap_or_default()
    };
    let name = match field {
        "number" => "No.".to_string(),
        "title" => "Title".into(),
        "outcome" => "Outcome".into(),
        "activity" => "Activity".into(),
        "contract_total" => "Contract total".into(),
        "cross_reference" => "Cross-reference to line".into(),
        "continues_from" => "Continues a service from".into(),
        f if f.ends_with(".local_authority_in_kind") => {
            format!("Local authority in kind {}", year_at(f))
        }
        f if f.ends_with(".local_authority") => {
            format!("Local authority contribution {}", year_at(f))
        }
        f if f.ends_with(".cost") => format!("Cost {}", year_at(f)),
        f if f.starts_with("providers") => return "on the Providers sheet".into(),
        f if f.starts_with("partners") => return "on the Partners sheet".into(),
        f => f.to_string(),
    };
    format!("column “{name}”")
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
        let rows: Vec<Vec<Cell>> = o
            .rows
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
                    let own = r.by_priority.iter().find(|(n, _)| n == p).map(|(_, m)| *m);
                    money(own.or(r.total_pence.map(|_| 0)))
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

    /// Reads an uploaded workbook and says what it would become. Saves nothing.
    pub async fn preview_proposal_import(
        &self,
        actor: &Actor,
        id: i64,
        bytes: &[u8],
    ) -> AppResult<ImportPreview> {
        let mut conn = self.db().pool().acquire().await?;
        let proposal = find(&mut conn, id).await?;
        authorise(
            actor,
            Permission::DraftProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        let (_, _, rules) = rules_for(&mut conn, &proposal).await?;
        Ok(match read_workbook(bytes, &rules.years) {
            Err(errors) => ImportPreview {
                errors,
                lines: Vec::new(),
                parsed: Vec::new(),
                problems: Vec::new(),
                totals: None,
            },
            Ok(lines) => {
                let parsed: Vec<ProposalLine> = lines
                    .iter()
                    .filter_map(|l| l.parse(&rules.years).ok())
                    .collect();
                ImportPreview {
                    errors: Vec::new(),
                    problems: rules::check(&parsed, &rules),
                    totals: Some(rules::totals(&parsed, &rules)),
                    lines,
                    parsed,
                }
            }
        })
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
