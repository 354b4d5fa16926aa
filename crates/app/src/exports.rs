//! Tables written for Excel, CSV or XLSX, the same way everywhere.
//!
//! CSV is UTF-8 with a byte-order mark (so Excel reads £ and accents right), and text that a
//! spreadsheet would run as a formula is neutralised. XLSX keeps money as numbers in pounds
//! with a £ format, so sums and sorting work; pence become pounds only here, at the edge.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::audit::spreadsheet_safe;
use crate::error::AppResult;
use crate::AppError;

/// One cell of an exported table.
pub enum Cell {
    Text(String),
    /// Money in pence.
    Money(i64),
    /// A percentage held in millionths of one (e.g. a formula share).
    Share(i64),
    Empty,
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(t) => spreadsheet_safe(t),
            Cell::Money(p) => lcpf_domain::Money::from_pence(*p).to_decimal_string(),
            Cell::Share(m) => format!("{}.{:04}", m / 10_000, m % 10_000),
            Cell::Empty => String::new(),
        }
    }
}

pub fn csv(header: &[&str], rows: &[Vec<Cell>]) -> AppResult<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header).map_err(anyhow::Error::from)?;
        for row in rows {
            w.write_record(row.iter().map(Cell::csv))
                .map_err(anyhow::Error::from)?;
        }
        w.flush().map_err(anyhow::Error::from)?;
    }
    Ok(out)
}

/// One sheet of a workbook: a bold title, notes, then the table under its header.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub notes: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet<'_> {
    /// The zero-based row of the header: row 4 in Excel's numbering unless there are more
    /// notes than fit above it.
    pub fn header_row(&self) -> u32 {
        (1 + self.notes.len() as u32).max(3)
    }
}

/// A one-sheet workbook: a bold title, optional notes, then the table from row 4.
pub fn xlsx(
    sheet_name: &str,
    title: &str,
    notes: &[&str],
    header: &[&str],
    rows: &[Vec<Cell>],
) -> AppResult<Vec<u8>> {
    workbook(vec![Sheet {
        name: sheet_name,
        title,
        notes: notes.iter().map(|n| n.to_string()).collect(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(Cell::copy).collect())
            .collect(),
    }])
}

impl Cell {
    fn copy(&self) -> Cell {
        match self {
            Cell::Text(t) => Cell::Text(t.clone()),
            Cell::Money(p) => Cell::Money(*p),
            Cell::Share(m) => Cell::Share(*m),
            Cell::Empty => Cell::Empty,
        }
    }
}

/// A workbook of several sheets, each laid out as [`Sheet`] says.
pub fn workbook(sheets: Vec<Sheet<'_>>) -> AppResult<Vec<u8>> {
    let e = |e: XlsxError| AppError::Internal(anyhow::anyhow!("cannot write the workbook: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let pounds = Format::new().set_num_format("£#,##0.00");
    let share = Format::new().set_num_format("0.0000");
    for s in &sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(s.name).map_err(e)?;
        sheet.write_with_format(0, 0, s.title, &bold).map_err(e)?;
        for (i, note) in s.notes.iter().enumerate() {
            sheet.write(1 + i as u32, 0, note.as_str()).map_err(e)?;
        }
        let header_row = s.header_row();
        for (c, h) in s.header.iter().enumerate() {
            sheet
                .write_with_format(header_row, c as u16, h.as_str(), &bold)
                .map_err(e)?;
            sheet
                .set_column_width(c as u16, if c == 1 { 26 } else { 16 })
                .map_err(e)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = header_row + 1 + r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => sheet.write(r, c, t.as_str()).map(|_| ()),
                    Cell::Money(p) => sheet
                        .write_with_format(r, c, *p as f64 / 100.0, &pounds)
                        .map(|_| ()),
                    Cell::Share(m) => sheet
                        .write_with_format(r, c, *m as f64 / 10_000.0, &share)
                        .map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(e)?;
            }
        }
        sheet.set_freeze_panes(header_row + 1, 0).map_err(e)?;
    }
    workbook.save_to_buffer().map_err(e)
}
