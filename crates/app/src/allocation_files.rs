//! Allocation from files, for analysts: the engine behind `lcpf allocate`.
//!
//! Each input is a CSV with the header `area,value`; `area` is an ONS code or a London area's
//! name (`Barking and Dagenham`, `Barking & Dagenham` and `E09000002` are the same area).
//! Indicator values are counts or rates; previous allocations are money in pounds, pence
//! allowed. Every problem names its file, row and column, and nothing is calculated until
//! every file reads cleanly.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use lcpf_domain::allocation::{
    allocate, allocation_input, AllocationOutcome, AllocationRules, FloorMode, Indicator,
    IndicatorValue,
};
use lcpf_domain::{Money, Percentage};
use serde::Serialize;

use crate::reference::shipped_areas;

/// One `--indicator NAME=FILE[:WEIGHT]`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSource {
    pub name: String,
    pub file: PathBuf,
    pub weight: Option<Percentage>,
}

impl IndicatorSource {
    pub fn parse(text: &str) -> Result<IndicatorSource, String> {
        let (name, rest) = text
            .split_once('=')
            .ok_or_else(|| format!("“{text}” is not an indicator: write NAME=FILE or NAME=FILE:WEIGHT, for example crime=crime.csv:70"))?;
        if name.trim().is_empty() {
            return Err(format!("“{text}” has no indicator name before the ="));
        }
        let (file, weight) = match rest.rsplit_once(':') {
            Some((file, w)) if !file.is_empty() && Percentage::parse(w).is_ok() => {
                (file, Some(Percentage::parse(w)?))
            }
            _ => (rest, None),
        };
        Ok(IndicatorSource {
            name: name.trim().to_string(),
            file: PathBuf::from(file),
            weight,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

impl OutputFormat {
    pub fn parse(text: &str) -> Result<OutputFormat, String> {
        match text {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            t => Err(format!(
                "“{t}” is not an output format: choose table, csv or json"
            )),
        }
    }
}

pub struct AllocateRequest {
    pub pot: Money,
    pub previous: Option<PathBuf>,
    pub indicators: Vec<IndicatorSource>,
    pub floor: Option<Percentage>,
    pub floor_mode: FloorMode,
    pub ceiling: Option<Percentage>,
    pub top_slice: Option<Percentage>,
    pub uplift_phase: Option<Percentage>,
}

/// Names and codes of the London areas, for reading files and labelling results.
/// London's areas by code and name, for reading files people wrote.
pub struct AreaNames {
    by_key: HashMap<String, String>,
    names: HashMap<String, String>,
}

fn normalise(name: &str) -> String {
    name.to_lowercase()
        .replace('&', " and ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl AreaNames {
    /// London's areas as shipped, found by ONS code or name (`Barking & Dagenham` too).
    pub fn load() -> anyhow::Result<AreaNames> {
        let mut by_key = HashMap::new();
        let mut names = HashMap::new();
        for a in shipped_areas()? {
            by_key.insert(a.ons_code.to_lowercase(), a.ons_code.clone());
            by_key.insert(normalise(&a.name), a.ons_code.clone());
            names.insert(a.ons_code, a.name);
        }
        Ok(AreaNames { by_key, names })
    }

    pub fn code(&self, text: &str) -> Option<&String> {
        self.by_key
            .get(&text.trim().to_lowercase())
            .or_else(|| self.by_key.get(&normalise(text)))
    }

    /// A message with each area code in it followed by the area's name, so a refusal says
    /// "E09000003 (Barnet)".
    pub fn described(&self, message: &str) -> String {
        let mut out = message.to_string();
        for (code, name) in &self.names {
            if out.contains(code.as_str()) {
                out = out.replace(code.as_str(), &format!("{code} ({name})"));
            }
        }
        out
    }

    fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.names.get(code).map(String::as_str).unwrap_or(code)
    }
}

/// A problem with one cell of an `area,value` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The spreadsheet row (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    pub column: &'static str,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(
                f,
                "row {}, column {}: {}",
                self.row, self.column, self.message
            )
        }
    }
}

/// Reads `area,value` text into ONS code → value, finding every problem rather than the first.
pub fn parse_area_values<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<BTreeMap<String, T>, Vec<RowError>> {
    parse_area_table(text, "value", &|_| None, parse)
}

/// Reads `area,<column>` text (`area,amount` for a decision's table) into ONS code → value,
/// finding every problem rather than the first. Blank rows are passed over. `refuse` says why
/// an area (by ONS code) may not be in this table, if it may not.
pub fn parse_area_table<T>(
    text: &str,
    column: &'static str,
    refuse: &dyn Fn(&str) -> Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<BTreeMap<String, T>, Vec<RowError>> {
    let areas = AreaNames::load().map_err(|e| {
        vec![RowError {
            row: 0,
            column: "",
            message: e.to_string(),
        }]
    })?;
    let whole = |message: String| {
        vec![RowError {
            row: 0,
            column: "",
            message,
        }]
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| whole(e.to_string()))?.clone();
    let header: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if header.len() < 2 || header[0] != "area" || header[1] != column {
        return Err(whole(format!(
            "the first row must be the header area,{column} (found {})",
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    }
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    column: "area",
                    message: e.to_string(),
                });
                continue;
            }
        };
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        if record.len() > 2 && record.iter().skip(2).any(|c| !c.is_empty()) {
            errors.push(RowError { row, column, message: format!("has {} columns, but the file has two (area,{column}): put amounts with commas in quotes, for example \"£597,000\"", record.len()) });
            continue;
        }
        let area_text = record.get(0).unwrap_or("");
        let code = match areas.code(area_text) {
            Some(c) => c.clone(),
            None => {
                errors.push(RowError { row, column: "area", message: format!("“{area_text}” is not a London area: use an ONS code such as E09000002 or a borough's name") });
                continue;
            }
        };
        if let Some(message) = refuse(&code) {
            errors.push(RowError {
                row,
                column: "area",
                message,
            });
            continue;
        }
        match parse(record.get(1).unwrap_or("")) {
            Ok(v) => {
                if values.insert(code.clone(), v).is_some() {
                    errors.push(RowError {
                        row,
                        column: "area",
                        message: format!("{} appears more than once", areas.name(&code)),
                    });
                }
            }
            Err(message) => errors.push(RowError {
                row,
                column,
                message,
            }),
        }
    }
    if values.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 0,
            column: "",
            message: "there are no rows after the header".into(),
        });
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// Reads an `area,value` file; the error names the file and its first bad row.
fn read_values<T>(
    path: &Path,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<BTreeMap<String, T>, String> {
    let file = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{file}: cannot read it: {e}"))?;
    let text = crate::text::spreadsheet_text(&bytes);
    parse_area_values(&text, parse).map_err(|errors| format!("{file} {}", errors[0]))
}

/// Spreads 100% over indicators that gave no weight: all or none must give one.
fn weights(sources: &[IndicatorSource]) -> Result<Vec<Percentage>, String> {
    let given = sources.iter().filter(|s| s.weight.is_some()).count();
    if given == sources.len() {
        return Ok(sources.iter().filter_map(|s| s.weight).collect());
    }
    if given > 0 {
        return Err(
            "give a weight to every indicator (NAME=FILE:WEIGHT) or to none (equal weights)".into(),
        );
    }
    let n = sources.len() as u32;
    Ok((0..n)
        .map(|i| Percentage::from_basis_points(10_000 / n + u32::from(i < 10_000 % n)))
        .collect())
}

/// A finished allocation with each area's name, ready to print.
#[derive(Serialize)]
pub struct NamedOutcome {
    #[serde(flatten)]
    pub outcome: AllocationOutcome,
    pub names: BTreeMap<String, String>,
}

pub fn run(request: &AllocateRequest) -> Result<NamedOutcome, String> {
    if request.indicators.is_empty() {
        return Err("give at least one --indicator NAME=FILE[:WEIGHT]".into());
    }
    let areas = AreaNames::load().map_err(|e| e.to_string())?;
    let weights = weights(&request.indicators)?;
    let mut columns: Vec<BTreeMap<String, IndicatorValue>> = Vec::new();
    for source in &request.indicators {
        columns.push(read_values(&source.file, IndicatorValue::parse)?);
    }
    // The areas are those of the first indicator file; every other file must match it.
    let codes: Vec<String> = columns[0].keys().cloned().collect();
    for (source, column) in request.indicators.iter().zip(&columns).skip(1) {
        if let Some(missing) = codes.iter().find(|c| !column.contains_key(*c)) {
            return Err(format!(
                "{} has no row for {} ({missing}), which {} has",
                source.file.display(),
                areas.name(missing),
                request.indicators[0].file.display()
            ));
        }
        if let Some(extra) = column.keys().find(|c| !columns[0].contains_key(*c)) {
            return Err(format!(
                "{} has a row for {} ({extra}), which {} does not",
                source.file.display(),
                areas.name(extra),
                request.indicators[0].file.display()
            ));
        }
    }
    let previous = match &request.previous {
        Some(path) => Some(read_values(path, |t| {
            Money::parse(t).map_err(|e| e.to_string())
        })?),
        None => None,
    };
    if let (Some(prev), Some(path)) = (&previous, &request.previous) {
        if let Some(missing) = codes.iter().find(|c| !prev.contains_key(*c)) {
            return Err(format!(
                "{} has no previous allocation for {} ({missing})",
                path.display(),
                areas.name(missing)
            ));
        }
    }
    let rules = AllocationRules {
        indicators: request
            .indicators
            .iter()
            .zip(weights)
            .map(|(s, weight)| Indicator {
                name: s.name.clone(),
                weight,
            })
            .collect(),
        top_slice: request.top_slice,
        uplift_phase: request.uplift_phase,
        floor: request.floor,
        floor_mode: request.floor_mode,
        ceiling: request.ceiling,
    };
    let columns: Vec<&BTreeMap<String, IndicatorValue>> = columns.iter().collect();
    let input = allocation_input(request.pot, &codes, &columns, previous.as_ref(), rules)
        .map_err(|e| e.to_string())?;
    let outcome = allocate(&input).map_err(|e| e.to_string())?;
    let names = codes
        .iter()
        .map(|c| (c.clone(), areas.name(c).to_string()))
        .collect();
    Ok(NamedOutcome { outcome, names })
}

fn share(millionths: u64) -> String {
    format!("{}.{:04}", millionths / 10_000, millionths % 10_000)
}

fn change_pct(bp: Option<i64>) -> String {
    bp.map(|b| {
        format!(
            "{}{}.{:02}",
            if b < 0 { "-" } else { "" },
            b.abs() / 100,
            b.abs() % 100
        )
    })
    .unwrap_or_default()
}

impl NamedOutcome {
    /// A message with each area code in it followed by the area's name, so a refusal says
    /// "E09000003 (Barnet)".
    pub fn described(&self, message: &str) -> String {
        let mut out = message.to_string();
        for (code, name) in &self.names {
            if out.contains(code.as_str()) {
                out = out.replace(code.as_str(), &format!("{code} ({name})"));
            }
        }
        out
    }

    fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.names.get(code).map(String::as_str).unwrap_or(code)
    }

    fn previous_total(&self) -> Option<Money> {
        self.outcome
            .areas
            .iter()
            .map(|a| a.previous)
            .collect::<Option<Vec<_>>>()
            .and_then(|v| Money::checked_sum(v).ok())
    }

    /// One row per area (`area` is the ONS code) and a final `total` row; money in pounds
    /// and pence without symbols, so spreadsheets read numbers.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "area",
            "name",
            "formula_share_pct",
            "formula_amount",
            "amount",
            "previous",
            "change",
            "change_pct",
            "bound_by",
        ]);
        for a in &self.outcome.areas {
            let _ = w.write_record([
                a.code.as_str(),
                self.name(&a.code),
                &share(a.formula_share_millionths),
                &a.formula_amount.to_decimal_string(),
                &a.amount.to_decimal_string(),
                &a.previous.map(Money::to_decimal_string).unwrap_or_default(),
                &a.change.map(Money::to_decimal_string).unwrap_or_default(),
                &change_pct(a.change_basis_points),
                a.bound_by.label(),
            ]);
        }
        let prev = self.previous_total();
        let change = prev.and_then(|p| self.outcome.total.checked_sub(p).ok());
        let _ = w.write_record([
            "total",
            "",
            "100.0000",
            &self.outcome.shared.to_decimal_string(),
            &self.outcome.total.to_decimal_string(),
            &prev.map(Money::to_decimal_string).unwrap_or_default(),
            &change.map(Money::to_decimal_string).unwrap_or_default(),
            "",
            "",
        ]);
        if self.outcome.extra_cost > Money::ZERO {
            // A funded floor's cost is on top of the pot: said here as in the table and JSON.
            let _ = w.write_record([
                "funded_floor_extra_cost",
                "The funded floor's cost on top of the pot",
                "",
                "",
                &self.outcome.extra_cost.to_decimal_string(),
                "",
                "",
                "",
                "",
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    pub fn to_table(&self) -> String {
        let o = &self.outcome;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Pot {}; top-slice {}; shared between areas {}",
            o.pot, o.top_slice, o.shared
        );
        let _ = writeln!(
            out,
            "{:<10} {:<24} {:>9} {:>14} {:>14} {:>13} {:>8}  Bound by",
            "Area", "Name", "Share %", "Amount", "Previous", "Change", "Change %"
        );
        for a in &o.areas {
            let _ = writeln!(
                out,
                "{:<10} {:<24} {:>9} {:>14} {:>14} {:>13} {:>8}  {}",
                a.code,
                self.name(&a.code),
                share(a.formula_share_millionths),
                a.amount.to_string(),
                a.previous.map(|p| p.to_string()).unwrap_or_default(),
                a.change.map(|c| c.to_string()).unwrap_or_default(),
                change_pct(a.change_basis_points),
                a.bound_by.label()
            );
        }
        let _ = writeln!(
            out,
            "{:<10} {:<24} {:>9} {:>14} {:>14}",
            "total",
            "",
            "100.0000",
            o.total.to_string(),
            self.previous_total()
                .map(|p| p.to_string())
                .unwrap_or_default()
        );
        if o.extra_cost > Money::ZERO {
            let _ = writeln!(
                out,
                "The funded floor costs {} on top of the pot.",
                o.extra_cost
            );
        }
        out
    }

    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Table => self.to_table(),
            OutputFormat::Csv => self.to_csv(),
            OutputFormat::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_sources_parse() {
        let s = IndicatorSource::parse("crime=data/crime.csv:70").unwrap();
        assert_eq!(
            (s.name.as_str(), s.file.to_str().unwrap(), s.weight),
            ("crime", "data/crime.csv", Some(Percentage::whole(70)))
        );
        let s = IndicatorSource::parse("population=pop.csv").unwrap();
        assert_eq!(s.weight, None);
        assert!(IndicatorSource::parse("crime.csv")
            .unwrap_err()
            .contains("NAME=FILE"));
    }

    #[test]
    fn equal_weights_sum_to_100() {
        let src = |n: &str| IndicatorSource {
            name: n.into(),
            file: "x".into(),
            weight: None,
        };
        let w = weights(&[src("a"), src("b"), src("c")]).unwrap();
        assert_eq!(w.iter().map(|p| p.basis_points()).sum::<u32>(), 10_000);
        let mut mixed = vec![src("a"), src("b")];
        mixed[0].weight = Some(Percentage::whole(50));
        assert!(weights(&mixed).is_err());
    }

    #[test]
    fn area_names_are_forgiving() {
        let a = AreaNames::load().unwrap();
        assert_eq!(a.code("Barking & Dagenham").unwrap(), "E09000002");
        assert_eq!(a.code("  barking and dagenham ").unwrap(), "E09000002");
        assert_eq!(a.code("e09000003").unwrap(), "E09000003");
        assert!(a.code("Gotham").is_none());
    }
}
