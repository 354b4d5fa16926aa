//! Decisions: a funder admin decides a scenario (or records allocations decided outside
//! LCPF), which locks the year; the decided allocations are each borough's envelope.

use chrono::NaiveDate;
use lcpf_domain::field::required_text;
use lcpf_domain::{FieldErrors, Money};
use lcpf_store::queries::funds::{self as q, Allocation, Decision, FundingPeriod};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{authorise, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::exports::{self, Cell};
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
        q::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let decision =
            insert_decision(&mut tx, actor, period_id, year, None, input, amounts).await?;
        tx.commit().await?;
        Ok(decision)
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
    let mut decision = Decision {
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
        q::insert_allocation(&mut *tx, period_id, year, code, amount.pence(), decision.id).await?;
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

impl App {
    /// A period's decided allocations (each borough's envelope per year) with each year's total.
    async fn period_table(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<(FundingPeriod, Vec<Vec<Cell>>)> {
        let view = self.period(actor, period_id).await?;
        let mut table = Vec::new();
        for d in &view.decisions {
            let mut total = 0;
            for a in view.allocations.iter().filter(|a| a.year == d.year) {
                total += a.amount_pence;
                table.push(vec![
                    Cell::Text(a.year.clone()),
                    Cell::Text(a.area_code.clone()),
                    Cell::Text(a.area_name.clone()),
                    Cell::Money(a.amount_pence),
                    Cell::Text(d.reference.clone()),
                ]);
            }
            table.push(vec![
                Cell::Text(d.year.clone()),
                Cell::Text("total".into()),
                Cell::Empty,
                Cell::Money(total),
                Cell::Text(d.reference.clone()),
            ]);
        }
        Ok((view.period, table))
    }

    pub async fn period_allocations_csv(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<u8>> {
        let (_, table) = self.period_table(actor, period_id).await?;
        exports::csv(&PERIOD_HEADER, &table)
    }

    pub async fn period_allocations_xlsx(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<u8>> {
        let (p, table) = self.period_table(actor, period_id).await?;
        exports::xlsx(
            "Allocations",
            &format!(
                "Decided allocations, funding period {}–{}",
                p.first_year, p.last_year
            ),
            &[],
            &["Year", "ONS code", "Borough", "Allocation", "Decision"],
            &table,
        )
    }
}

const PERIOD_HEADER: [&str; 5] = ["year", "area", "name", "amount", "decision"];
