//! Reading an uploaded Excel workbook without trusting it.
//!
//! An `.xlsx` file is a zip of XML parts. A few kilobytes can claim a cell at `XFD1048576`
//! (a reader that builds the sheet's bounding box then allocates 17 billion cells), unpack to
//! gigabytes, or hold one tag with a million attributes. So before any part is parsed, the
//! archive is walked and every part's *actual* unpacked size is measured against
//! [`Limits`]; then each sheet is streamed cell by cell, refusing a value outside the rows
//! and columns the template can hold, and the whole read stops when its time budget is spent.
//! Nothing here allocates more than the limits allow, whatever the file says about itself.
//!
//! Parsing is CPU work: callers run [`Workbook::open`] and [`Workbook::sheet`] inside
//! `spawn_blocking` (see [`crate::App::read_upload`]), never on the async workers.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use calamine::{DataRef, Reader, Xlsx};
use lcpf_domain::Money;

/// What an uploaded workbook may hold. The defaults fit every template LCPF writes with a
/// wide margin (a proposal's Lines sheet has about 30 columns and a few dozen rows).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most parts (files) in the zip.
    pub max_parts: usize,
    /// The most bytes any one part may unpack to.
    pub max_part_bytes: u64,
    /// The most bytes all parts together may unpack to.
    pub max_total_bytes: u64,
    /// Rows and columns a sheet's values may occupy (1-based, inclusive).
    pub max_rows: u32,
    pub max_columns: u32,
    /// Time for reading the whole workbook.
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_parts: 200,
            max_part_bytes: 32 * 1024 * 1024,
            max_total_bytes: 64 * 1024 * 1024,
            max_rows: 5_000,
            max_columns: 200,
            time_budget: Duration::from_secs(20),
        }
    }
}

/// An opened workbook whose parts have been measured.
pub struct Workbook {
    book: Xlsx<Cursor<Vec<u8>>>,
    limits: Limits,
    started: Instant,
}

/// One sheet's values: non-empty cells by 1-based row, each row dense up to its last value.
pub struct Sheet {
    pub rows: BTreeMap<u32, Vec<String>>,
}

/// Excel's own limit on the characters in one cell.
pub const MAX_CELL_CHARACTERS: usize = 32_767;

const NOT_A_WORKBOOK: &str =
    "The file is not an Excel workbook (.xlsx): download the template and fill that in";

impl Workbook {
    /// Checks the archive against `limits`, then opens it.
    pub fn open(bytes: Vec<u8>, limits: Limits) -> Result<Workbook, String> {
        let started = Instant::now();
        measure_parts(&bytes, &limits)?;
        let book: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| NOT_A_WORKBOOK)?;
        Ok(Workbook {
            book,
            limits,
            started,
        })
    }

    pub fn sheet_names(&self) -> Vec<String> {
        self.book.sheet_names()
    }

    /// Streams one sheet's cells, keeping each value as text (amounts as `£1,234.56`).
    pub fn sheet(&mut self, name: &str) -> Result<Sheet, String> {
        let limits = self.limits;
        let started = self.started;
        let mut reader = self.book.worksheet_cells_reader(name).map_err(|_| {
            format!("The workbook has no “{name}” sheet: download the template and fill that in")
        })?;
        let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        let mut seen: u64 = 0;
        let mut text_bytes: u64 = 0;
        loop {
            let cell = match reader.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(_) => {
                    return Err(format!(
                    "The “{name}” sheet could not be read: save the file again from Excel as .xlsx"
                ))
                }
            };
            seen += 1;
            if seen.is_multiple_of(1024) && started.elapsed() > limits.time_budget {
                return Err(format!(
                    "The workbook took more than {} seconds to read: it is not one of ours. Download the template and fill that in",
                    limits.time_budget.as_secs()
                ));
            }
            let text = cell_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let (row, column) = cell.get_position();
            if row >= limits.max_rows || column >= limits.max_columns {
                return Err(format!(
                    "The “{name}” sheet has a value in cell {}, outside what the template holds ({} rows and {} columns): delete what is beyond them",
                    cell_name(row, column),
                    limits.max_rows,
                    limits.max_columns
                ));
            }
            // Excel's own limit on a cell; and shared strings must not be multiplied
            // into more text than the workbook itself may unpack to.
            let length = text.chars().count();
            if length > MAX_CELL_CHARACTERS {
                return Err(format!(
                    "The “{name}” sheet's cell {} holds {length} characters; a cell may hold at most {MAX_CELL_CHARACTERS}",
                    cell_name(row, column)
                ));
            }
            text_bytes += text.len() as u64;
            if text_bytes > limits.max_total_bytes {
                return Err(format!(
                    "The “{name}” sheet holds more than {} MB of text, more than a spreadsheet from the template ever needs",
                    limits.max_total_bytes / (1024 * 1024)
                ));
            }
            let cells = rows.entry(row + 1).or_default();
            let column = column as usize;
            if cells.len() <= column {
                cells.resize(column + 1, String::new());
            }
            cells[column] = text;
        }
        Ok(Sheet { rows })
    }
}

/// Walks the zip's parts, unpacking each only as far as the limits allow, so the sizes
/// compared are the real ones and not what the archive claims.
pub(crate) fn measure_parts(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| NOT_A_WORKBOOK)?;
    if archive.len() > limits.max_parts {
        return Err(format!(
            "The workbook has {} parts; a spreadsheet from the template has far fewer (at most {} are read)",
            archive.len(),
            limits.max_parts
        ));
    }
    let mut total: u64 = 0;
    let mut sink = [0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|_| NOT_A_WORKBOOK)?;
        let mut size: u64 = 0;
        loop {
            let n = part.read(&mut sink).map_err(|_| NOT_A_WORKBOOK)? as u64;
            if n == 0 {
                break;
            }
            size += n;
            total += n;
            if size > limits.max_part_bytes || total > limits.max_total_bytes {
                return Err(format!(
                    "The workbook unpacks to more than {} MB, more than a spreadsheet from the template ever needs: delete unused sheets, images and formatting, or use the template",
                    limits.max_total_bytes.min(limits.max_part_bytes) / (1024 * 1024)
                ));
            }
        }
    }
    Ok(())
}

/// A cell as the text a person typed: amounts and whole numbers are written as money
/// (`£1,234.56`) when they are whole pence, trimmed text as is.
pub fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Float(f) => {
            let pence = (f * 100.0).round();
            if (f * 100.0 - pence).abs() < 1e-6 && pence.abs() < 9.0e15 {
                Money::from_pence(pence as i64).to_string()
            } else {
                f.to_string()
            }
        }
        DataRef::Int(i) => Money::from_pounds(*i).to_string(),
        DataRef::Bool(b) => if *b { "Yes" } else { "No" }.to_string(),
        other => calamine::Data::from(other.clone()).to_string(),
    }
}

/// A cell's Excel name from 0-based row and column: (0, 0) is `A1`.
pub fn cell_name(row: u32, column: u32) -> String {
    let mut letters = Vec::new();
    let mut c = column + 1;
    while c > 0 {
        let rem = ((c - 1) % 26) as u8;
        letters.push((b'A' + rem) as char);
        c = (c - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

/// The first sheet of a workbook as CSV text, for the same reading as a CSV file: every row
/// of the sheet, as wide as its widest row (Excel leaves out a row's empty trailing cells, so
/// rows come in many widths), blank rows kept so the row numbers in errors are Excel's.
pub fn first_sheet_as_csv(file: Vec<u8>) -> Result<String, String> {
    let mut book = Workbook::open(file, Limits::default())?;
    let name = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or("The workbook has no sheets")?;
    let sheet = book.sheet(&name)?;
    sheet_as_csv(&name, &sheet)
}

/// A sheet's rows as CSV text, each padded to the widest row. A row the CSV writer refuses
/// is named; nothing is ever left out.
pub fn sheet_as_csv(name: &str, sheet: &Sheet) -> Result<String, String> {
    let width = sheet.rows.values().map(Vec::len).max().unwrap_or(0).max(1);
    let blank = vec![String::new(); width];
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let refused = |row: u32| {
        format!("Row {row} of the “{name}” sheet could not be read: save the file again from Excel as .xlsx")
    };
    let mut next = 1;
    for (row, cells) in &sheet.rows {
        while next < *row {
            w.write_record(&blank).map_err(|_| refused(next))?;
            next += 1;
        }
        let padded = cells
            .iter()
            .map(String::as_str)
            .chain(std::iter::repeat_n("", width - cells.len()));
        w.write_record(padded).map_err(|_| refused(*row))?;
        next = row + 1;
    }
    let bytes = w
        .into_inner()
        .map_err(|_| format!("The “{name}” sheet could not be read"))?;
    String::from_utf8(bytes).map_err(|_| format!("The “{name}” sheet could not be read"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_match_excel() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }

    fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, body) in parts {
            w.start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn a_part_that_unpacks_too_far_is_refused_before_parsing() {
        // 40 MB of zeros compress to about 40 KB.
        let bytes = zip_of(&[("xl/sharedStrings.xml", vec![b'0'; 40 * 1024 * 1024])]);
        assert!(bytes.len() < 200 * 1024);
        let err = Workbook::open(bytes, Limits::default()).err().unwrap();
        assert!(err.contains("unpacks to more than 32 MB"), "{err}");
    }

    #[test]
    fn too_many_parts_are_refused() {
        let parts: Vec<(String, Vec<u8>)> = (0..300)
            .map(|i| (format!("p{i}.xml"), Vec::new()))
            .collect();
        let refs: Vec<(&str, Vec<u8>)> =
            parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        let err = Workbook::open(zip_of(&refs), Limits::default())
            .err()
            .unwrap();
        assert!(err.contains("300 parts"), "{err}");
    }

    /// A sheet as a person might leave it: rows of any length (Excel writes no empty
    /// trailing cells), blank rows, empty cells anywhere. `None` is an empty cell.
    fn write_sheet(rows: &[Vec<Option<String>>]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                if let Some(text) = cell {
                    sheet.write_string(r as u32, c as u16, text).unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    /// What the CSV must hold: every row up to the last with a value, each as wide as the
    /// widest, values trimmed as a person's typing is.
    fn expected(rows: &[Vec<Option<String>>]) -> Vec<Vec<String>> {
        let text = |c: &Option<String>| c.as_deref().map(str::trim).unwrap_or("").to_string();
        let width = rows
            .iter()
            .map(|r| {
                r.iter()
                    .rposition(|c| !text(c).is_empty())
                    .map_or(0, |i| i + 1)
            })
            .max()
            .unwrap_or(0)
            .max(1);
        let last = rows
            .iter()
            .rposition(|r| r.iter().any(|c| !text(c).is_empty()))
            .map_or(0, |i| i + 1);
        rows[..last]
            .iter()
            .map(|r| {
                let mut cells: Vec<String> = r.iter().map(text).collect();
                cells.resize(width, String::new());
                cells.truncate(width);
                cells
            })
            .collect()
    }

    fn read_back(csv_text: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv_text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn rows_that_stop_early_keep_the_rows_after_them() {
        // Three grants, the first two rows leaving their last cells empty, as Excel writes them.
        let s = |t: &str| Some(t.to_string());
        let rows = vec![
            vec![
                s("Grant reference"),
                s("Recipient"),
                s("Revenue"),
                s("Note"),
            ],
            vec![s("A"), s("Bexley"), s("100")],
            vec![s("B"), s("Barnet")],
            vec![],
            vec![s("C"), s("Sutton"), s("300"), s("last")],
        ];
        let csv = first_sheet_as_csv(write_sheet(&rows)).unwrap();
        assert_eq!(read_back(&csv), expected(&rows), "{csv}");
        assert_eq!(read_back(&csv).len(), 5);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Whatever shape the rows have, the CSV holds every one of them, cell for cell.
        #[test]
        fn every_row_of_a_ragged_sheet_survives(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::option::weighted(0.6, "[A-Za-z0-9 ,\"£.\n-]{1,12}"),
                    0..9,
                ),
                1..25,
            )
        ) {
            let csv = first_sheet_as_csv(write_sheet(&rows)).unwrap();
            proptest::prop_assert_eq!(read_back(&csv), expected(&rows));
        }
    }

    #[test]
    fn not_a_zip_is_named() {
        let err = Workbook::open(b"hello".to_vec(), Limits::default())
            .err()
            .unwrap();
        assert_eq!(err, NOT_A_WORKBOOK);
    }
}
