//! Decisions: a funder admin decides a scenario (or records allocations decided outside
//! LCPF), which locks the year; the decided allocations are each borough's envelope.

use chrono::NaiveDate;
use lcpf_domain::field::required_text;
use lcpf_domain::{FieldErrors, Money};
use lcpf_store::queries::funds::{self as q, Allocation, Decision, FundingPeriod};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use lcpf_domain::reconciliation::Reconciliation;
use lcpf_store::queries::funds::Amendment;

use crate::access::{authorise, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError};

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct DecisionInput {
    /// The decision's reference, e.g. PCD 79.
    pub reference: String,
    /// The date it was decided, YYYY-MM-DD.
    pub decided_on: String,
    /// Who decided, e.g. Deputy Mayor for Policing and Crime.
    pub decision_maker: String,
    pub summary: String,
    /// The total the published table states, if it states one (e.g. £72,000,000): kept and
    /// compared with the sum of its rows, never adjusted.
    pub stated_total: String,
    /// Areas whose figures are illustrative, not from the decision's source (the demo's data
    /// where the sources are silent): kept apart and labelled wherever shown.
    #[serde(default)]
    pub illustrative_areas: Vec<String>,
}

/// One borough's row of a decision's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DecidedRow {
    /// ONS code.
    pub area_code: String,
    pub area_name: String,
    /// In pence.
    #[schema(value_type = i64)]
    pub amount: Money,
}

/// A decision's table as read, before it is recorded: its rows, what they add up to beside
/// the stated total, and every problem (by row and column).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionPreview {
    pub year: String,
    pub rows: Vec<DecidedRow>,
    #[schema(value_type = Object)]
    pub reconciliation: Reconciliation,
    /// The stated total and the sum, in words, when they differ.
    pub mismatch: Option<String>,
    /// LCPF boroughs the table leaves out (an amendment can add them later).
    pub missing: Vec<String>,
    pub errors: Vec<String>,
    /// The table as CSV (`area,amount`), for the confirming form.
    pub table: String,
}

/// A correction or an addition to one borough's allocation in a decided year.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct AmendmentInput {
    pub year: String,
    /// ONS code or borough name.
    pub area: String,
    /// The allocation it should be, e.g. £412,000.
    pub amount: String,
    /// Why, e.g. "Correction notified by MOPAC on 3 March 2017".
    pub reason: String,
}

impl App {
    /// Decides a scenario: records the decision and locks its allocations as the envelopes.
    pub async fn decide_scenario(
        &self,
        actor: &Actor,
        scenario_id: i64,
        input: &DecisionInput,
    ) -> AppResult<Decision> {
        authorise(actor, Permission::DecideAllocations)?;
        let mut tx = self.db().begin().await?;
        let scenario = q::scenario(&mut tx, scenario_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The scenario".into()))?;
        super::period_to_change(&mut tx, scenario.period_id).await?;
        let rows = q::scenario_allocations(&mut tx, scenario_id).await?;
        let amounts: Vec<(String, Money)> = rows
            .iter()
            .map(|r| (r.area_code.clone(), Money::from_pence(r.amount_pence)))
            .collect();
        let decision = insert_decision(
            &mut tx,
            actor,
            scenario.period_id,
            &scenario.year,
            Some(scenario_id),
            input,
            &amounts,
        )
        .await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// Records allocations decided outside LCPF (a published notification), with its reference.
    pub async fn record_allocations(
        &self,
        actor: &Actor,
        period_id: i64,
        year: &str,
        input: &DecisionInput,
        amounts: &[(String, Money)],
    ) -> AppResult<Decision> {
        authorise(actor, Permission::DecideAllocations)?;
        let mut tx = self.db().begin().await?;
        let period = super::period_to_change(&mut tx, period_id).await?;
        let year = year_of(&period, year)?;
        let taking_part = super::taking_part(&mut tx).await?;
        let mut errors = FieldErrors::new();
        let mut seen = std::collections::HashSet::new();
        for (i, (code, _)) in amounts.iter().enumerate() {
            if !taking_part.iter().any(|a| &a.ons_code == code) {
                errors.add(&format!("allocations[{i}].area"), format!("{code} is not one of the areas that take part in the fund (the 32 London boroughs)"));
            } else if !seen.insert(code) {
                errors.add(
                    &format!("allocations[{i}].area"),
                    format!("{code} appears more than once"),
                );
            }
        }
        errors.into_result()?;
        let decision =
            insert_decision(&mut tx, actor, period_id, &year, None, input, amounts).await?;
        tx.commit().await?;
        Ok(decision)
    }

    /// Reads a published decision's table (`area,amount`, CSV or the first sheet of a
    /// workbook) for a year of the period: every problem by row and column, what the rows add
    /// up to beside the stated total, and the boroughs left out. Saves nothing.
    pub async fn preview_decision_table(
        &self,
        actor: &Actor,
        period_id: i64,
        year: &str,
        stated_total: &str,
        file: Vec<u8>,
    ) -> AppResult<DecisionPreview> {
        authorise(actor, Permission::DecideAllocations)?;
        let text = if file.starts_with(b"PK") {
            self.read_upload(move || crate::workbook::first_sheet_as_csv(file))
                .await?
        } else {
            Ok(crate::text::spreadsheet_text(&file))
        };
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let mut errors = Vec::new();
        let year = match year_of(&period, year) {
            Ok(y) => y,
            Err(AppError::Invalid(e)) => {
                errors.extend(e.iter().map(|e| e.message.clone()));
                year.trim().to_string()
            }
            Err(other) => return Err(other),
        };
        let stated = stated_amount(stated_total).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        if let Some(d) = q::decision_for(&mut conn, period_id, &year).await? {
            errors.push(format!("The allocations for {year} were decided on {} ({}): correct one borough with an amendment instead", d.decided_on, d.reference));
        }
        let taking_part = super::taking_part(&mut conn).await?;
        let refuse = |code: &str| {
            (!taking_part.iter().any(|a| a.ons_code == code)).then(|| {
                format!("{code} does not take part in the fund: only the 32 London boroughs do")
            })
        };
        let mut rows = Vec::new();
        match text.map(|text| {
            crate::allocation_files::parse_area_table(&text, "amount", &refuse, allocation_amount)
        }) {
            Err(e) => errors.push(e),
            Ok(Err(row_errors)) => errors.extend(row_errors.iter().map(|e| e.to_string())),
            // Every code read is one of `taking_part` (`refuse` saw to it).
            Ok(Ok(values)) => rows.extend(values.into_iter().filter_map(|(code, amount)| {
                let a = taking_part.iter().find(|a| a.ons_code == code)?;
                Some(DecidedRow {
                    area_code: code,
                    area_name: a.name.clone(),
                    amount,
                })
            })),
        }
        rows.sort_by(|a, b| a.area_name.cmp(&b.area_name));
        let reconciliation = Reconciliation::of(stated, rows.iter().map(|r| r.amount))
            .map_err(|e| AppError::Internal(e.into()))?;
        let missing = taking_part
            .iter()
            .filter(|a| !rows.iter().any(|r| r.area_code == a.ons_code))
            .map(|a| a.name.clone())
            .collect();
        let mut table = String::from("area,amount\n");
        for r in &rows {
            table.push_str(&format!(
                "{},{}\n",
                r.area_code,
                r.amount.to_decimal_string()
            ));
        }
        Ok(DecisionPreview {
            mismatch: reconciliation.mismatch("The decision", "its rows add up to"),
            year,
            rows,
            reconciliation,
            missing,
            errors,
            table,
        })
    }

    /// Records a previewed table: read again, and refused with every problem if any.
    pub async fn record_decision_table(
        &self,
        actor: &Actor,
        period_id: i64,
        year: &str,
        input: &DecisionInput,
        table: &str,
    ) -> AppResult<Decision> {
        let preview = self
            .preview_decision_table(
                actor,
                period_id,
                year,
                &input.stated_total,
                table.as_bytes().to_vec(),
            )
            .await?;
        if !preview.errors.is_empty() {
            let mut errors = FieldErrors::new();
            for e in &preview.errors {
                errors.add("table", e.clone());
            }
            return Err(AppError::Invalid(errors));
        }
        let amounts: Vec<(String, Money)> = preview
            .rows
            .iter()
            .map(|r| (r.area_code.clone(), r.amount))
            .collect();
        self.record_allocations(actor, period_id, &preview.year, input, &amounts)
            .await
    }

    /// Adds or corrects one borough's allocation in a year already decided, with the reason;
    /// the amendment (before, after, why, who) is kept and shown with the decision.
    pub async fn amend_allocation(
        &self,
        actor: &Actor,
        period_id: i64,
        input: &AmendmentInput,
    ) -> AppResult<Amendment> {
        authorise(actor, Permission::DecideAllocations)?;
        let mut tx = self.db().begin().await?;
        let period = super::period_to_change(&mut tx, period_id).await?;
        let mut errors = FieldErrors::new();
        let year = errors.check(
            "year",
            year_of(&period, &input.year).map_err(|e| e.to_string()),
        );
        let areas = crate::allocation_files::AreaNames::load()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let taking_part = super::taking_part(&mut tx).await?;
        let area = match areas.code(&input.area) {
            Some(code) if taking_part.iter().any(|a| &a.ons_code == code) => Some(code.clone()),
            _ => {
                errors.add("area", format!("“{}” is not a borough that takes part in the fund: choose one of the 32 London boroughs", input.area.trim()));
                None
            }
        };
        let amount = match Money::parse(&input.amount) {
            Ok(m) if !m.is_negative() => Some(m),
            Ok(_) => {
                errors.add("amount", "The allocation must be £0 or more");
                None
            }
            Err(e) => {
                errors.add("amount", e.to_string());
                None
            }
        };
        let reason = errors.check(
            "reason",
            required_text(
                &input.reason,
                "the reason for the amendment, for example the notice that corrected it",
                2000,
            ),
        );
        errors.into_result()?;
        let (Some(year), Some(area_code), Some(amount), Some(reason)) =
            (year, area, amount, reason)
        else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated amendment is incomplete"
            )));
        };
        let Some(decision) = q::decision_for(&mut tx, period_id, &year).await? else {
            return Err(AppError::invalid(
                "year",
                format!("{year} has not been decided yet: decide a scenario or record the decision's table first"),
            ));
        };
        let before = q::allocations_for_period(&mut tx, period_id)
            .await?
            .into_iter()
            .find(|a| a.year == year && a.area_code == area_code)
            .map(|a| a.amount_pence);
        if before == Some(amount.pence()) {
            return Err(AppError::invalid(
                "amount",
                format!("The allocation is already {amount}: nothing to amend"),
            ));
        }
        let mut amendment = Amendment {
            id: 0,
            period_id,
            year: year.clone(),
            area_name: taking_part
                .iter()
                .find(|a| a.ons_code == area_code)
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            area_code,
            decision_id: decision.id,
            before_pence: before,
            after_pence: amount.pence(),
            reason,
            recorded_by: actor.label(),
            recorded_at: lcpf_store::now(),
        };
        q::set_allocation(
            &mut tx,
            period_id,
            &year,
            &amendment.area_code,
            amount.pence(),
            decision.id,
        )
        .await?;
        amendment.id = q::insert_amendment(&mut tx, &amendment).await?;
        record::<(), Amendment>(
            &mut tx,
            actor,
            Change {
                action: "allocation.amend",
                entity_type: "decision",
                entity_id: decision.id.to_string(),
                summary: format!(
                    "{} {year}: {} → {amount} ({})",
                    amendment.area_name,
                    before.map_or("none".to_string(), |b| Money::from_pence(b).to_string()),
                    amendment.reason
                ),
                before: None,
                after: Some(&amendment),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(amendment)
    }

    /// Whether the actor may record decisions and amendments (asked before an upload is read).
    pub fn may_record_decisions(&self, actor: &Actor) -> AppResult<()> {
        authorise(actor, Permission::DecideAllocations)
    }

    /// The areas that take part in the fund ([`super::taking_part`]), for choosing one.
    pub async fn areas_taking_part(
        &self,
        actor: &Actor,
    ) -> AppResult<Vec<lcpf_store::queries::areas::Area>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        super::taking_part(&mut conn).await
    }

    /// The years of a period that have no decision yet.
    pub async fn undecided_years(&self, actor: &Actor, period_id: i64) -> AppResult<Vec<String>> {
        authorise(actor, Permission::DecideAllocations)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let decided: Vec<String> = q::decisions(&mut conn, period_id)
            .await?
            .into_iter()
            .map(|d| d.year)
            .collect();
        Ok(super::span_of(&period)?
            .years()
            .into_iter()
            .map(|y| y.to_string())
            .filter(|y| !decided.contains(y))
            .collect())
    }

    /// A period's amendments, oldest first.
    pub async fn amendments(&self, actor: &Actor, period_id: i64) -> AppResult<Vec<Amendment>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::amendments(&mut conn, period_id).await?)
    }

    /// An area's decided allocations over time.
    pub async fn area_allocations(
        &self,
        actor: &Actor,
        ons_code: &str,
    ) -> AppResult<Vec<Allocation>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::allocations_for_area(&mut conn, ons_code).await?)
    }
}

/// A year of the period, as written (`2017/18`), or why it is not one.
fn year_of(period: &FundingPeriod, year: &str) -> AppResult<String> {
    let span = super::span_of(period)?;
    let y = lcpf_domain::FinancialYear::parse(year)
        .map_err(|e| AppError::invalid("year", e.to_string()))?;
    if !span.contains(y) {
        return Err(AppError::invalid(
            "year",
            format!(
                "{y} is not a year of this funding period ({}–{})",
                period.first_year, period.last_year
            ),
        ));
    }
    Ok(y.to_string())
}

/// An allocation as a decision's table writes it: money, £0 or more.
fn allocation_amount(text: &str) -> Result<Money, String> {
    let m = Money::parse(text).map_err(|e| e.to_string())?;
    if m.is_negative() {
        return Err(format!(
            "“{}” is negative: an allocation is £0 or more",
            text.trim()
        ));
    }
    Ok(m)
}

/// An optional stated total.
fn stated_amount(text: &str) -> Result<Option<Money>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Money::parse(text)
        .map(Some)
        .map_err(|e| format!("The stated total: {e}"))
}

async fn insert_decision(
    tx: &mut lcpf_store::AnyConnection,
    actor: &Actor,
    period_id: i64,
    year: &str,
    scenario_id: Option<i64>,
    input: &DecisionInput,
    amounts: &[(String, Money)],
) -> AppResult<Decision> {
    let mut errors = FieldErrors::new();
    let reference = errors.check(
        "reference",
        required_text(
            &input.reference,
            "the decision's reference, for example PCD 79",
            50,
        ),
    );
    let decided_on = match NaiveDate::parse_from_str(input.decided_on.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                "decided_on",
                format!(
                    "“{}” is not a date: write it as year-month-day, for example 2017-03-31",
                    input.decided_on.trim()
                ),
            );
            None
        }
    };
    let maker = errors.check(
        "decision_maker",
        required_text(&input.decision_maker, "who made the decision", 200),
    );
    let summary = errors.check(
        "summary",
        required_text(&input.summary, "a summary of the decision", 2000),
    );
    if let Err(e) = stated_amount(&input.stated_total) {
        errors.add("stated_total", e);
    }
    errors.into_result()?;
    if let Some(existing) = q::decision_for(&mut *tx, period_id, year).await? {
        return Err(AppError::Forbidden(format!(
            "The allocations for {year} were decided on {} ({}) and are locked",
            existing.decided_on, existing.reference
        )));
    }
    let (Some(reference), Some(decided_on), Some(decision_maker), Some(summary)) =
        (reference, decided_on, maker, summary)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "validated decision input is incomplete"
        )));
    };
    let stated_total = match stated_amount(&input.stated_total) {
        Ok(s) => s,
        Err(e) => return Err(AppError::invalid("stated_total", e)),
    };
    let mut decision = Decision {
        stated_total_pence: stated_total.map(Money::pence),
        id: 0,
        period_id,
        year: year.to_string(),
        scenario_id,
        reference,
        decided_on: decided_on.to_string(),
        decision_maker,
        summary,
        recorded_by: actor.label(),
        recorded_at: lcpf_store::now(),
    };
    decision.id = q::insert_decision(&mut *tx, &decision).await?;
    for (code, amount) in amounts {
        let illustrative = input.illustrative_areas.contains(code);
        q::insert_allocation(
            &mut *tx,
            period_id,
            year,
            code,
            amount.pence(),
            decision.id,
            illustrative,
        )
        .await?;
    }
    let total = Money::checked_sum(amounts.iter().map(|a| a.1)).map_err(anyhow::Error::from)?;
    record::<(), Decision>(
        &mut *tx,
        actor,
        Change {
            action: "allocation.decide",
            entity_type: "decision",
            entity_id: decision.id.to_string(),
            summary: format!(
                "{}: {total} allocated to {} boroughs for {year}",
                decision.reference,
                amounts.len()
            ),
            before: None,
            after: Some(&decision),
        },
    )
    .await?;
    Ok(decision)
}
