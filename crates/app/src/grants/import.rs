//! Importing grants that predate the product (the seeds' 2013–17 agreements) from a
//! spreadsheet: one row per project per year. Every cell is checked and each mistake named by
//! row and column; nothing is saved until the funder admin confirms, and then every grant is
//! made in one transaction, or none is. Where a grant's rows state a total, the sum is compared
//! with it and both figures are shown when they differ; nothing is adjusted.

use std::collections::BTreeMap;

use lcpf_domain::grant::payment::Schedule;
use lcpf_domain::grant::profile::{Certainty, Profile, Project, Source, YearFunding};
use lcpf_domain::grant::workflow::{self, GrantEvent, GrantParty, GrantState};
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod, Money};
use lcpf_store::queries::grants::{self as q, GrantSource, NewGrant};
use lcpf_store::AnyConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{authorise, Permission};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

/// The columns, in the template's order; `Capital`, `Certainty`, `Stated total` and `Note`
/// may be left empty.
pub const COLUMNS: [&str; 11] = [
    "Grant reference",
    "Recipient",
    "First year",
    "Last year",
    "Project",
    "Year",
    "Revenue",
    "Capital",
    "Certainty",
    "Stated total",
    "Note",
];

/// The most rows one import reads.
pub const MAX_ROWS: usize = 5000;

/// One grant as a preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportedGrant {
    pub reference: String,
    pub recipient: String,
    /// "2013/14 to 2016/17"
    pub years: String,
    pub projects: Vec<String>,
    #[schema(value_type = i64)]
    pub total: Money,
    #[schema(value_type = i64)]
    pub firm: Money,
    #[schema(value_type = i64)]
    pub provisional: Money,
    /// Where the rows state a total that differs from their sum: both figures.
    pub mismatch: Option<String>,
    pub notes: Vec<String>,
}

/// What a spreadsheet would become. No errors: it can be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GrantsImportPreview {
    /// The funding period the grants are imported into (they close with it).
    pub period_id: i64,
    /// "LCPF 2013/14 to 2016/17"
    pub period: String,
    /// Every mistake at once, each naming its row and column.
    pub errors: Vec<String>,
    pub grants: Vec<ImportedGrant>,
    /// The spreadsheet as CSV text: what the confirming form sends back.
    pub csv: String,
}

/// A grant read from rows, before the database is asked about it.
struct Reading {
    reference: String,
    recipient: String,
    first: FinancialYear,
    last: FinancialYear,
    /// Project name → year → money.
    projects: Vec<(String, BTreeMap<FinancialYear, YearFunding>)>,
    stated: Option<Money>,
    notes: Vec<String>,
    /// The first row of the grant, for errors about the grant as a whole.
    row: usize,
}

fn years_text(first: FinancialYear, last: FinancialYear) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first} to {last}")
    }
}

/// Reads the rows; every mistake is named by its row (the spreadsheet's own numbering,
/// header = 1) and column.
fn read(csv_text: &str) -> (Vec<Reading>, Vec<String>) {
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|c| c.trim().to_string()).collect(),
        _ => {
            return (
                Vec::new(),
                vec!["The file is empty: use the template's header row".into()],
            )
        }
    };
    let at = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let required = &COLUMNS[..7];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| at(c).is_none())
        .collect();
    if !missing.is_empty() {
        return (
            Vec::new(),
            vec![format!(
                "Row 1: the header has no {} column: keep the template's header ({})",
                lcpf_domain::words::and_list(&missing),
                COLUMNS.join(", ")
            )],
        );
    }
    let mut grants: Vec<Reading> = Vec::new();
    for (i, record) in records.enumerate() {
        let row = i + 2;
        if row > MAX_ROWS + 1 {
            errors.push(format!(
                "The file has more than {MAX_ROWS} rows: import it in parts"
            ));
            break;
        }
        let Ok(record) = record else {
            errors.push(format!("Row {row}: the row cannot be read as CSV"));
            continue;
        };
        let cell = |name: &str| -> String {
            at(name)
                .and_then(|c| record.get(c))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut bad = |column: &str, message: String| {
            errors.push(format!("Row {row}, column “{column}”: {message}"));
        };
        let text =
            |column: &str, max: usize, bad: &mut dyn FnMut(&str, String)| -> Option<String> {
                match lcpf_domain::field::required_text(
                    &cell(column),
                    &format!("the {}", column.to_lowercase()),
                    max,
                ) {
                    Ok(t) => Some(t),
                    Err(m) => {
                        bad(column, m);
                        None
                    }
                }
            };
        let reference = text("Grant reference", 200, &mut bad);
        let recipient = text("Recipient", 200, &mut bad);
        let project = text("Project", 300, &mut bad);
        let mut year_of = |column: &str| match FinancialYear::parse(&cell(column)) {
            Ok(y) => Some(y),
            Err(_) => {
                bad(
                    column,
                    format!(
                        "“{}” is not a financial year: write it as 2013/14",
                        cell(column)
                    ),
                );
                None
            }
        };
        let first = year_of("First year");
        let last = year_of("Last year");
        let year = year_of("Year");
        let mut money = |column: &str| -> Option<Money> {
            let t = cell(column);
            if t.is_empty() {
                return Some(Money::ZERO);
            }
            match Money::parse(&t) {
                Ok(m) if m.is_negative() => {
                    bad(column, "cannot be negative: enter £0 or more".into());
                    None
                }
                Ok(m) => Some(m),
                Err(e) => {
                    bad(column, e.to_string());
                    None
                }
            }
        };
        let revenue = money("Revenue");
        let capital = money("Capital");
        let stated = match cell("Stated total").as_str() {
            "" => None,
            t => match Money::parse(t) {
                Ok(m) => Some(m),
                Err(e) => {
                    bad("Stated total", e.to_string());
                    None
                }
            },
        };
        let certainty = match cell("Certainty").to_lowercase().as_str() {
            "" | "firm" => Some(Certainty::Firm),
            "provisional" => Some(Certainty::Provisional),
            other => {
                bad(
                    "Certainty",
                    format!("“{other}” is not a certainty: write firm or provisional"),
                );
                None
            }
        };
        let (
            Some(reference),
            Some(recipient),
            Some(project),
            Some(first),
            Some(last),
            Some(year),
            Some(revenue),
            Some(capital),
            Some(certainty),
        ) = (
            reference, recipient, project, first, last, year, revenue, capital, certainty,
        )
        else {
            continue;
        };
        if first > last {
            bad(
                "Last year",
                format!("{last} is before the first year, {first}"),
            );
            continue;
        }
        if year < first || year > last {
            bad(
                "Year",
                format!(
                    "{year} is outside the grant's years, {}",
                    years_text(first, last)
                ),
            );
            continue;
        }
        if revenue.pence() == 0 && capital.pence() == 0 {
            bad("Revenue", "a year with no money: leave the row out".into());
            continue;
        }
        let index = match grants
            .iter()
            .position(|g| g.reference.eq_ignore_ascii_case(&reference))
        {
            Some(i) => {
                let g = &grants[i];
                if !g.recipient.eq_ignore_ascii_case(&recipient)
                    || g.first != first
                    || g.last != last
                {
                    bad(
                        "Grant reference",
                        format!("“{reference}” is given a different recipient or years from row {}: each grant's rows must agree", g.row),
                    );
                    continue;
                }
                i
            }
            None => {
                grants.push(Reading {
                    reference: reference.clone(),
                    recipient,
                    first,
                    last,
                    projects: Vec::new(),
                    stated: None,
                    notes: Vec::new(),
                    row,
                });
                grants.len() - 1
            }
        };
        let grant = &mut grants[index];
        if let Some(s) = stated {
            match grant.stated {
                Some(earlier) if earlier != s => bad(
                    "Stated total",
                    format!(
                        "{s} differs from the {earlier} stated on an earlier row of “{reference}”"
                    ),
                ),
                _ => grant.stated = Some(s),
            }
        }
        let note = cell("Note");
        if !note.is_empty() && !grant.notes.contains(&note) {
            grant.notes.push(note);
        }
        let funding = YearFunding {
            revenue,
            capital,
            certainty,
        };
        match grant
            .projects
            .iter_mut()
            .find(|(name, _)| name.eq_ignore_ascii_case(&project))
        {
            Some((_, years)) if years.contains_key(&year) => bad(
                "Year",
                format!("“{project}” already has {year} on another row of “{reference}”"),
            ),
            Some((_, years)) => {
                years.insert(year, funding);
            }
            None => grant
                .projects
                .push((project, BTreeMap::from([(year, funding)]))),
        }
    }
    if grants.is_empty() && errors.is_empty() {
        errors.push("The file has no rows below its header".into());
    }
    (grants, errors)
}

/// A grant ready to save: its recipient found, its ceiling worked out.
struct Ready {
    reading: Reading,
    recipient_id: i64,
    recipient_name: String,
    profile: Profile,
    ceiling: Money,
    ceiling_words: String,
}

/// A period as the import names it: "London Crime Prevention Fund 2013/14 to 2016/17".
fn period_name(p: &lcpf_store::queries::funds::PeriodOfFund) -> String {
    format!(
        "{} {}",
        p.fund_name,
        super::years_text(&p.period.first_year, &p.period.last_year)
    )
}

/// The period grants are imported into: one that exists and is not closed.
async fn import_period(
    conn: &mut AnyConnection,
    period_id: i64,
) -> AppResult<(lcpf_store::queries::funds::FundingPeriod, String)> {
    let found = lcpf_store::queries::funds::all_periods(conn)
        .await?
        .into_iter()
        .find(|p| p.period.id == period_id)
        .ok_or_else(|| {
            AppError::invalid(
                "period",
                "Choose the funding period the grants belong to (they close with it)",
            )
        })?;
    let name = period_name(&found);
    if found.closed {
        return Err(AppError::invalid(
            "period",
            format!("{name} is closed: nothing more is made, imported or paid in it"),
        ));
    }
    Ok((found.period, name))
}

/// Checks the readings against the database: recipients that exist, references not used,
/// years within the period, (where the recipient's allocation is decided for every year) the
/// envelope, and a borough's grants in the period within its allocation.
async fn check(
    conn: &mut AnyConnection,
    period: &lcpf_store::queries::funds::FundingPeriod,
    period_name: &str,
    readings: Vec<Reading>,
    errors: &mut Vec<String>,
) -> AppResult<Vec<Ready>> {
    let mut ready = Vec::new();
    let allocations = lcpf_store::queries::funds::allocations_for_period(conn, period.id).await?;
    // What earlier rows of this file give each recipient, for its allocation.
    let mut in_file: BTreeMap<i64, Vec<BTreeMap<FinancialYear, Money>>> = BTreeMap::new();
    for r in readings {
        let Some(org) =
            lcpf_store::queries::organisations::find_by_name(conn, &r.recipient).await?
        else {
            errors.push(format!(
                "Row {}, column “Recipient”: “{}” is not an organisation in LCPF: add it first, or use its name as LCPF has it",
                r.row, r.recipient
            ));
            continue;
        };
        if q::grant_by_reference(conn, &r.reference).await?.is_some() {
            errors.push(format!(
                "Row {}, column “Grant reference”: a grant called “{}” is already in LCPF: each reference is used once",
                r.row, r.reference
            ));
            continue;
        }
        // A grant belongs to, and closes with, the period that holds its last year.
        if r.last.to_string() < period.first_year || r.last.to_string() > period.last_year {
            errors.push(format!(
                "Row {}, column “Last year”: the grant ends in {}, outside {period_name}: import it into the period of its last year",
                r.row, r.last
            ));
            continue;
        }
        let profile = Profile {
            projects: r
                .projects
                .iter()
                .map(|(name, years)| Project {
                    name: name.clone(),
                    source: Source::Imported,
                    years: years.clone(),
                })
                .collect(),
        };
        let Ok(total) = profile.total() else {
            errors.push(format!(
                "Row {}: the amounts of “{}” are too large to add up: check its rows",
                r.row, r.reference
            ));
            continue;
        };
        let years: Vec<FinancialYear> = FundingPeriod::new(r.first, r.last)
            .map(|p| p.years())
            .unwrap_or_default();
        let decided: Vec<_> = match &org.area_code {
            Some(area) => allocations
                .iter()
                .filter(|a| &a.area_code == area && years.iter().any(|y| y.to_string() == a.year))
                .collect(),
            None => Vec::new(),
        };
        let all_decided = !years.is_empty()
            && years
                .iter()
                .all(|y| decided.iter().any(|a| a.year == y.to_string()));
        let (ceiling, ceiling_words) = if all_decided {
            let Ok(sum) =
                Money::checked_sum(decided.iter().map(|a| Money::from_pence(a.amount_pence)))
            else {
                errors.push(format!(
                    "Row {}: the allocations are too large to add up",
                    r.row
                ));
                continue;
            };
            (
                sum,
                format!(
                    "{}'s allocations for {}",
                    org.name,
                    years_text(r.first, r.last)
                ),
            )
        } else {
            (
                total,
                "the imported agreement's total (the period's allocations are not all recorded)"
                    .to_string(),
            )
        };
        if let Ok(years) = FundingPeriod::new(r.first, r.last) {
            for (_, m) in profile.problems(years, ceiling, &ceiling_words) {
                errors.push(format!("Row {}: {m}", r.row));
            }
        }
        let room =
            super::allocation_room(conn, period, org.id, org.area_code.as_deref(), None).await?;
        let more = profile.money_by_year().unwrap_or_default();
        if let Some(mut room) = room {
            for earlier in in_file.get(&org.id).into_iter().flatten() {
                room.add(earlier);
            }
            if let Some(why) = room.refusal(&org.name, &more) {
                errors.push(format!("Row {}: {why}", r.row));
            }
        }
        in_file.entry(org.id).or_default().push(more);
        ready.push(Ready {
            recipient_id: org.id,
            recipient_name: org.name,
            profile,
            ceiling,
            ceiling_words,
            reading: r,
        });
    }
    Ok(ready)
}

fn shown(r: &Ready) -> AppResult<ImportedGrant> {
    let by_year = r
        .profile
        .by_year()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let total = r
        .profile
        .total()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(ImportedGrant {
        reference: r.reading.reference.clone(),
        recipient: r.recipient_name.clone(),
        years: years_text(r.reading.first, r.reading.last),
        projects: r.profile.projects.iter().map(|p| p.name.clone()).collect(),
        total,
        firm: Money::checked_sum(by_year.values().map(|t| t.firm))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?,
        provisional: Money::checked_sum(by_year.values().map(|t| t.provisional))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?,
        mismatch: r.reading.stated.filter(|s| *s != total).map(|s| {
            format!(
                "“{}” states a total of {s}, but its rows add up to {total} (a difference of {}): the rows are what is imported",
                r.reading.reference,
                Money::from_pence((s.pence() - total.pence()).abs())
            )
        }),
        notes: r.reading.notes.clone(),
    })
}

/// The spreadsheet as CSV text: an XLSX workbook's first sheet, or the CSV as sent.
fn as_csv(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(b"PK") {
        return crate::workbook::first_sheet_as_csv(bytes);
    }
    String::from_utf8(bytes).map_err(|_| {
        "The file is neither an Excel workbook (.xlsx) nor CSV text in UTF-8".to_string()
    })
}

impl App {
    /// Reads a spreadsheet of grants and says what it would become (funder admin). Saves
    /// nothing.
    pub async fn preview_grants_import(
        &self,
        actor: &Actor,
        period_id: i64,
        bytes: Vec<u8>,
    ) -> AppResult<GrantsImportPreview> {
        authorise(actor, Permission::ImportGrants)?;
        let (period, period_name) = {
            let mut tx = self.db().begin_read().await?;
            let found = import_period(&mut tx, period_id).await?;
            tx.commit().await?;
            found
        };
        let csv = match self.read_upload(move || as_csv(bytes)).await? {
            Ok(csv) => csv,
            Err(e) => {
                return Ok(GrantsImportPreview {
                    period_id,
                    period: period_name,
                    errors: vec![e],
                    grants: Vec::new(),
                    csv: String::new(),
                })
            }
        };
        let (readings, mut errors) = read(&csv);
        let mut tx = self.db().begin_read().await?;
        let ready = check(&mut tx, &period, &period_name, readings, &mut errors).await?;
        tx.commit().await?;
        Ok(GrantsImportPreview {
            period_id,
            period: period_name,
            grants: ready.iter().map(shown).collect::<AppResult<_>>()?,
            errors,
            csv,
        })
    }

    /// The funding periods grants can be imported into: each with its fund, newest first,
    /// closed ones left out.
    pub async fn import_periods(&self, actor: &Actor) -> AppResult<Vec<(i64, String)>> {
        authorise(actor, Permission::ImportGrants)?;
        let mut tx = self.db().begin_read().await?;
        let periods = lcpf_store::queries::funds::all_periods(&mut tx).await?;
        tx.commit().await?;
        Ok(periods
            .iter()
            .filter(|p| !p.closed)
            .map(|p| (p.period.id, period_name(p)))
            .collect())
    }

    /// Imports every grant in the CSV text (funder admin), all in one transaction, or none
    /// when anything is wrong (every problem is said). Each is live from the start: it was
    /// signed outside LCPF, before it.
    pub async fn import_grants(
        &self,
        actor: &Actor,
        period_id: i64,
        csv: &str,
    ) -> AppResult<Vec<i64>> {
        authorise(actor, Permission::ImportGrants)?;
        let (readings, mut errors) = read(csv);
        let mut tx = self.db().begin().await?;
        // The period's lock, as close-out takes it: nothing is imported into a period being
        // closed.
        lcpf_store::queries::funds::lock_period(&mut tx, period_id).await?;
        let (period, period_name) = import_period(&mut tx, period_id).await?;
        let ready = check(&mut tx, &period, &period_name, readings, &mut errors).await?;
        if !errors.is_empty() {
            let mut e = FieldErrors::new();
            for m in errors {
                e.add("file", m);
            }
            return Err(AppError::Invalid(e));
        }
        let now = lcpf_store::now();
        let by = format!("{} (imported: signed before LCPF)", actor.label());
        let mut ids = Vec::new();
        for r in &ready {
            let new = NewGrant {
                reference: &r.reading.reference,
                period_id: period.id,
                recipient_organisation_id: r.recipient_id,
                source: GrantSource::Imported,
                first_year: r.reading.first,
                last_year: r.reading.last,
                starts_on: &r.reading.first.first_day().format("%Y-%m-%d").to_string(),
                ends_on: &r.reading.last.last_day().format("%Y-%m-%d").to_string(),
                conditions: &match r.reading.notes.as_slice() {
                    [] => {
                        "Imported from before LCPF: the agreement's conditions are as signed then."
                            .to_string()
                    }
                    notes => format!("Imported from before LCPF. {}", notes.join(" ")),
                },
                schedule: Schedule::QuarterlyInArrears,
                ceiling: r.ceiling,
                ceiling_words: &r.ceiling_words,
                profile: &r.profile,
            };
            let id = q::insert_grant(&mut tx, &new, &now, &actor.label()).await?;
            // Offered, signed and started outside LCPF: the same moves, recorded as imported.
            let mut state = GrantState::Drafted;
            for (event, party) in [
                (GrantEvent::Offer, GrantParty::Funder),
                (GrantEvent::Accept, GrantParty::Recipient),
                (GrantEvent::Start, GrantParty::Funder),
            ] {
                state = workflow::transition(state, event, party)
                    .map_err(|r| AppError::Internal(anyhow::anyhow!("{}", r.0)))?
                    .to;
                q::set_state(&mut tx, id, state, &now, &by).await?;
            }
            let shown = shown(r)?;
            audit::record(
                &mut tx,
                actor,
                Change::<(), Profile> {
                    action: "import",
                    entity_type: "grant",
                    entity_id: id.to_string(),
                    summary: match &shown.mismatch {
                        Some(m) => format!(
                            "Imported the grant {} for {}: {}",
                            r.reading.reference, r.recipient_name, m
                        ),
                        None => format!(
                            "Imported the grant {} for {} ({})",
                            r.reading.reference, r.recipient_name, shown.total
                        ),
                    },
                    before: None,
                    after: Some(&r.profile),
                },
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Grant reference,Recipient,First year,Last year,Project,Year,Revenue,Capital,Certainty,Stated total,Note\n";

    #[test]
    fn rows_become_grants_with_their_years_and_certainty() {
        let csv = format!(
            "{HEADER}LCPF 2013-17: Bexley,Bexley,2013/14,2016/17,Freedom Programme,2013/14,\"£20,000\",,firm,,\n\
             LCPF 2013-17: Bexley,Bexley,2013/14,2016/17,Freedom Programme,2014/15,20000,,provisional,,\n"
        );
        let (grants, errors) = read(&csv);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(grants.len(), 1);
        let years = &grants[0].projects[0].1;
        assert_eq!(years.len(), 2);
        assert_eq!(
            years[&FinancialYear::starting(2014)].certainty,
            Certainty::Provisional
        );
    }

    #[test]
    fn every_mistake_is_named_by_row_and_column_at_once() {
        let csv = format!(
            "{HEADER}A,Bexley,2013/14,2016/17,P,2020/21,100,,firm,,\n\
             A,Bexley,2013/14,2016/17,Q,2013/14,lots,,maybe,,\n\
             ,Bexley,2013/14,2016/17,R,2013/14,5,,,,\n"
        );
        let (_, errors) = read(&csv);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("Row 2, column “Year”: 2020/21 is outside")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("Row 3, column “Revenue”")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("Row 3, column “Certainty”")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("Row 4, column “Grant reference”")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_header_without_the_template_columns_is_refused() {
        let (_, errors) = read("Reference,Amount\nA,1\n");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("no Grant reference, Recipient, First year, Last year, Project, Year and Revenue column"), "{errors:?}");
    }
}
