//! The grant agreement as a Word document the recipient (or the funder) downloads and keeps:
//! the same parties, terms, payment plan, funding profile, signature and history as the
//! grant's page, from the same view model. docx-rs writes the file.

use docx_rs::{AlignmentType, Docx, Paragraph, Run, Table, TableCell, TableRow, WidthType};

use super::GrantView;
use crate::{Actor, App, AppError, AppResult};

/// A downloaded agreement: its file name and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn text(t: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(t))
}

fn heading(t: &str, half_points: usize) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(t).bold().size(half_points))
}

fn term(label: &str, value: &str) -> Paragraph {
    Paragraph::new()
        .add_run(Run::new().add_text(format!("{label}: ")).bold())
        .add_run(Run::new().add_text(value))
}

fn cell(t: &str, right: bool, bold: bool) -> TableCell {
    let run = Run::new().add_text(t);
    let run = if bold { run.bold() } else { run };
    let p = Paragraph::new().add_run(run);
    TableCell::new().add_paragraph(if right {
        p.align(AlignmentType::Right)
    } else {
        p
    })
}

/// Conditions and reports keep their line breaks as paragraphs.
fn paragraphs(doc: Docx, t: &str) -> Docx {
    t.lines()
        .filter(|l| !l.trim().is_empty())
        .fold(doc, |doc, l| doc.add_paragraph(text(l)))
}

fn profile_table(g: &GrantView) -> Table {
    let mut header = vec![cell("Project", false, true)];
    header.extend(g.years.iter().map(|y| cell(y, true, true)));
    header.push(cell("Total", true, true));
    let mut rows = vec![TableRow::new(header)];
    for p in &g.projects {
        let mut row = vec![cell(&p.name, false, false)];
        row.extend(p.cells.iter().map(|c| {
            let shown = match c.certainty.as_str() {
                "" => String::new(),
                "provisional" => format!("{} (provisional)", c.total),
                _ => c.total.to_string(),
            };
            cell(&shown, true, false)
        }));
        row.push(cell(&p.total.to_string(), true, false));
        rows.push(TableRow::new(row));
    }
    for (label, firm) in [("Firm", true), ("Provisional", false)] {
        let mut row = vec![cell(label, false, true)];
        row.extend(g.year_totals.iter().map(|y| {
            cell(
                &if firm { y.firm } else { y.provisional }.to_string(),
                true,
                true,
            )
        }));
        row.push(cell("", true, false));
        rows.push(TableRow::new(row));
    }
    Table::new(rows).width(5000, WidthType::Pct)
}

/// The agreement as a .docx file.
pub fn agreement_docx(g: &GrantView) -> AppResult<Vec<u8>> {
    let signature = match (&g.accepted_by, &g.accepted_at) {
        (Some(by), Some(at)) => format!(
            "Accepted by {by} on {}",
            lcpf_domain::calendar::london_date_time_text(at)
        ),
        _ => "Not yet accepted by the recipient".to_string(),
    };
    let mut doc = Docx::new()
        .add_paragraph(text("Grant agreement"))
        .add_paragraph(heading(&g.reference, 40))
        .add_paragraph(term(
            "Between",
            &format!(
                "The Mayor's Office for Policing and Crime and {}",
                g.recipient
            ),
        ))
        .add_paragraph(term("Status", &g.state.label))
        .add_paragraph(term("Made from", &g.source))
        .add_paragraph(term(
            "Runs",
            &format!(
                "{} to {}",
                lcpf_domain::calendar::date_text(&g.starts_on),
                lcpf_domain::calendar::date_text(&g.ends_on)
            ),
        ))
        .add_paragraph(term(
            "Payment",
            &format!("{}. {}", g.payment_plan.label, g.payment_plan.hint),
        ))
        .add_paragraph(term("Cost centre", &g.cost_centre))
        .add_paragraph(term(
            "Total",
            &format!("{}, within {} of {}", g.total, g.ceiling_words, g.ceiling),
        ))
        .add_paragraph(heading("Conditions", 28));
    doc = paragraphs(doc, &g.conditions);
    doc = doc
        .add_paragraph(heading("Funding profile", 28))
        .add_table(profile_table(g));
    if !g.payment_plan.milestones.is_empty() {
        doc = doc.add_paragraph(heading("Milestones", 28));
        let mut rows = vec![TableRow::new(vec![
            cell("Milestone", false, true),
            cell("Due", false, true),
            cell("Amount", true, true),
            cell("Status", false, true),
        ])];
        for m in &g.payment_plan.milestones {
            rows.push(TableRow::new(vec![
                cell(&m.title, false, false),
                cell(&format!("{} ({})", m.due_on, m.year), false, false),
                cell(&m.amount.to_string(), true, false),
                cell(&m.state.label, false, false),
            ]));
        }
        doc = doc.add_table(Table::new(rows).width(5000, WidthType::Pct));
    }
    doc = doc
        .add_paragraph(heading("Signature", 28))
        .add_paragraph(text(&signature));
    if !g.confirmations.is_empty() || !g.variations.is_empty() {
        doc = doc.add_paragraph(heading("History", 28));
        for c in &g.confirmations {
            doc = doc.add_paragraph(text(&format!(
                "{} confirmed as firm by {} on {}",
                c.year,
                c.decision_reference,
                lcpf_domain::calendar::date_text(&c.decided_on)
            )));
        }
        for v in &g.variations {
            doc = doc.add_paragraph(text(&format!(
                "Variation {}, {}, approved by {}: {}",
                v.number,
                lcpf_domain::calendar::date_text(&v.varied_on),
                v.approved_by,
                v.reason
            )));
            for change in &v.changes {
                doc = doc.add_paragraph(text(change));
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the agreement: {e}")))?;
    Ok(out.into_inner())
}

/// A file name of safe characters: `Grant agreement LCPF-2017-18-BD.docx`.
fn file_name(reference: &str) -> String {
    let safe: String = reference
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("Grant agreement {}.docx", safe.trim_matches('-'))
}

impl App {
    /// A grant's agreement as a Word document, for funder staff and the recipient's own
    /// officers (whoever may read its page).
    pub async fn grant_agreement(&self, actor: &Actor, id: i64) -> AppResult<AgreementFile> {
        let g = self.grant(actor, id).await?;
        Ok(AgreementFile {
            name: file_name(&g.reference),
            bytes: agreement_docx(&g)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reference_becomes_a_safe_file_name() {
        assert_eq!(
            super::file_name("LCPF 2013/14 to 2016/17: Barnet"),
            "Grant agreement LCPF-2013-14-to-2016-17--Barnet.docx"
        );
    }
}
