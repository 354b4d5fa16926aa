//! Reading a borough's workbook back: every cell is checked and each mistake named by
//! sheet, row and column; nothing is saved until the officer confirms, and then the draft's
//! lines are replaced all at once (see `lines`).

use std::collections::BTreeMap;

use lcpf_domain::proposal::{self as rules, Problem, ProposalLine, Totals};
use lcpf_domain::{FinancialYear, Money};
use serde::Serialize;

use super::export::{LEADING_COLUMNS, LINE_KEY_COLUMN, TRAILING_COLUMNS};
use super::lines::draft_for_change;
use super::{rules_for, ContributorInput, LineInput, LineYearInput, SmartOutcomeInput};
use crate::error::AppResult;
use crate::workbook::{Limits, Workbook};
use crate::{Actor, App};

/// What an uploaded workbook would become, before anything is saved.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    /// Problems reading the workbook, each naming sheet, row and column. None: it can be saved.
    pub errors: Vec<String>,
    pub lines: Vec<LineInput>,
    pub parsed: Vec<ProposalLine>,
    /// The fund's rules the imported lines would break (they may still be saved as a draft).
    /// Worked out for the lines that could be read even when others have errors, so every
    /// problem in the workbook is reported at once.
    pub problems: Vec<Problem>,
    /// The same problems, each placed on the Lines sheet by its Excel row.
    pub problems_located: Vec<String>,
    pub totals: Option<Totals>,
    /// Where the workbook's Totals sheet states a figure the lines do not add up to: both
    /// figures, in words. The lines are what is imported; nothing is adjusted.
    pub totals_mismatches: Vec<String>,
}

/// A figure the Totals sheet states: its Excel row, its label and its amount as written.
type StatedTotal = (usize, String, String);

/// A workbook read back: its lines with their Excel rows, the totals it states, and every
/// mistake in its cells (none: it can be imported).
struct Reading {
    inputs: Vec<LineInput>,
    rows: Vec<usize>,
    stated: Vec<StatedTotal>,
    errors: Vec<String>,
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

/// Reads a sheet, finding its header as the first row whose first cell is `No.` or `Line`.
fn read_sheet(book: &mut Workbook, name: &str) -> Result<Table, String> {
    let sheet = book.sheet(name)?;
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (excel_row, cells) in sheet.rows {
        match &header {
            None => {
                if cells.first().is_some_and(|c| c == "No." || c == "Line") {
                    header = Some(cells);
                }
            }
            Some(_) if cells.iter().all(|c| c.is_empty()) => {}
            Some(_) => rows.push((excel_row as usize, cells)),
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

/// The Totals sheet's rows under its `Priority` header, if the workbook has the sheet.
fn read_stated_totals(book: &mut Workbook) -> Vec<StatedTotal> {
    if !book.sheet_names().iter().any(|n| n == "Totals") {
        return Vec::new();
    }
    let Ok(sheet) = book.sheet("Totals") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut under_header = false;
    for (row, cells) in sheet.rows {
        let label = cells.first().cloned().unwrap_or_default();
        if !under_header {
            under_header = label == "Priority";
            continue;
        }
        if let Some(amount) = cells.get(1).filter(|a| !a.trim().is_empty()) {
            out.push((row as usize, label, amount.clone()));
        }
    }
    out
}

/// Reads every sheet into line inputs. Errors name the sheet, row and column. Only a file
/// that is not a workbook, or a Lines sheet without the template's columns, stops the reading;
/// every other mistake is collected so that all are reported at once.
fn read_workbook(bytes: Vec<u8>, years: &[FinancialYear]) -> Result<Reading, Vec<String>> {
    let mut book = Workbook::open(bytes, Limits::default()).map_err(|e| vec![e])?;
    let stated = read_stated_totals(&mut book);
    let lines = read_sheet(&mut book, "Lines").map_err(|e| vec![e])?;
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
    let fixed: Vec<usize> = LEADING_COLUMNS
        .iter()
        .chain(TRAILING_COLUMNS.iter())
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
    // The other sheets may be left out; one that is there but unreadable is an error.
    let names = book.sheet_names();
    let mut sheet_errors = Vec::new();
    let mut optional = |name: &str| -> Option<Table> {
        if !names.iter().any(|n| n == name) {
            return None;
        }
        read_sheet(&mut book, name)
            .map_err(|e| sheet_errors.push(e))
            .ok()
    };
    let (providers, partners, outcomes) = (
        optional("Providers"),
        optional("Partners"),
        optional("SMART outcomes"),
    );
    if !errors.is_empty() {
        errors.extend(sheet_errors);
        return Err(errors);
    }
    // Exported workbooks carry each line's key, so a line renumbered in Excel stays the same
    // line; templates from before keys, or a new row, leave it empty.
    let key_column = lines.column(LINE_KEY_COLUMN);
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
            key: key_column.map(|c| get(row, c)).unwrap_or_default(),
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
    Ok(Reading {
        rows: lines.rows.iter().map(|(r, _)| *r).collect(),
        inputs,
        stated,
        errors,
    })
}

/// Compares what the Totals sheet states with what the lines add up to: by priority, the
/// total, and the allocation for the period.
fn totals_mismatches(stated: &[StatedTotal], totals: &Totals) -> Vec<String> {
    let mut out = Vec::new();
    for (row, label, text) in stated {
        let computed = match label.as_str() {
            "TOTAL" => Some(totals.total),
            "Allocation for the period" => totals.envelope,
            "Headroom" => totals.headroom,
            priority => totals
                .by_priority
                .iter()
                .find(|(p, _)| p == priority)
                .map(|(_, m)| *m),
        };
        let Some(computed) = computed else {
            continue;
        };
        let Ok(figure) = Money::parse(text) else {
            out.push(format!("Totals sheet, row {row}: “{text}” is not an amount; the lines add up to {computed} for “{label}”"));
            continue;
        };
        let r = lcpf_domain::reconciliation::Reconciliation {
            stated: Some(figure),
            sum: computed,
        };
        if let Some(m) = r.mismatch(
            &format!("Totals sheet, row {row} (“{label}”)"),
            "the lines give",
        ) {
            out.push(m);
        }
    }
    out
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
    /// Reads an uploaded workbook and says what it would become. Saves nothing.
    pub async fn preview_proposal_import(
        &self,
        actor: &Actor,
        id: i64,
        bytes: Vec<u8>,
    ) -> AppResult<ImportPreview> {
        let mut conn = self.db().pool().acquire().await?;
        // Only the borough's own officers, and only into a draft.
        let (proposal, _) = draft_for_change(&mut conn, actor, id).await?;
        let (_, _, rules, _) = rules_for(&mut conn, &proposal).await?;
        drop(conn);
        let years = rules.years.clone();
        let read = self
            .read_upload(move || read_workbook(bytes, &years))
            .await?;
        let reading = match read {
            Err(errors) => {
                return Ok(ImportPreview {
                    errors,
                    lines: Vec::new(),
                    parsed: Vec::new(),
                    problems: Vec::new(),
                    problems_located: Vec::new(),
                    totals: None,
                    totals_mismatches: Vec::new(),
                })
            }
            Ok(reading) => reading,
        };
        // The fund's rules are run on the lines that could be read, so a workbook with a bad
        // cell still hears about every rule its other lines break.
        let (parsed, rows): (Vec<ProposalLine>, Vec<usize>) = reading
            .inputs
            .iter()
            .zip(&reading.rows)
            .filter_map(|(l, row)| l.parse(&rules.years).ok().map(|p| (p, *row)))
            .unzip();
        let problems = rules::check(&parsed, &rules);
        let problems_located = problems
            .iter()
            .map(|p| match p.position.and_then(|i| rows.get(i)) {
                Some(row) => format!("Lines sheet, row {row}: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        let totals = rules::totals(&parsed, &rules);
        let clean = reading.errors.is_empty();
        Ok(ImportPreview {
            totals_mismatches: if clean {
                totals_mismatches(&reading.stated, &totals)
            } else {
                Vec::new()
            },
            totals: clean.then_some(totals),
            errors: reading.errors,
            problems,
            problems_located,
            lines: reading.inputs,
            parsed,
        })
    }
}
