//! Funds, funding periods, their budgets and other streams; allocation scenarios
//! (`scenarios`) and decisions (`decisions`).
//!
//! A scenario is a set of inputs (the year's pot, the co-commissioning top-slice, indicator
//! datasets with weights, the previous year's decided allocations, floor, ceiling, phasing)
//! run through the allocation engine and stored with its results. Funder staff build and
//! compare scenarios; a funder admin decides one, which records the decision's reference,
//! date, maker and summary and locks the allocations: they become each borough's envelope
//! for that year. A year, once decided, cannot be decided again.

mod decisions;
mod exports;
mod scenarios;

pub use decisions::{AmendmentInput, DecidedRow, DecisionInput, DecisionPreview};
pub use scenarios::{Comparison, ComparisonRow, ScenarioIndicator, ScenarioInput, ScenarioYear};

use lcpf_domain::field::required_text;
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod as Period, Money, Percentage};
use lcpf_store::queries::funds::{
    self as q, Allocation, Decision, Fund, FundingPeriod, PeriodBudget, Scenario,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{authorise, may, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError};

/// Everything on a funding period's page.
pub struct PeriodView {
    pub fund: Fund,
    pub period: FundingPeriod,
    pub budgets: Vec<PeriodBudget>,
    /// Only for those who may model allocations.
    pub scenarios: Vec<Scenario>,
    pub decisions: Vec<Decision>,
    pub allocations: Vec<Allocation>,
    /// The fund's decided allocations for the year before the period's first year, so the
    /// first year's change can be shown too (none when that year was not decided).
    pub before_first_year: Vec<Allocation>,
    /// The scenario each decided year was decided from (years recorded from a published
    /// decision have none).
    pub decided_from: Vec<DecidedFrom>,
}

/// London's decided allocations for one year, for the map of London.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LondonAllocations {
    /// Every year with decided allocations, oldest first.
    pub years: Vec<String>,
    /// The year shown: the one asked for, or the latest decided.
    pub year: Option<String>,
    pub allocations: Vec<Allocation>,
}

/// The scenario a year's allocations were decided from, as the period page names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecidedFrom {
    pub year: String,
    pub scenario_id: i64,
    pub scenario_name: String,
}

/// An indicator dataset held: its name and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDatasetSummary {
    pub dataset: String,
    pub source: String,
}

/// A period read for a change to its money (budgets, streams, scenarios, decisions,
/// amendments): its row locked, as close-out locks it, and refused once it is closed.
pub(crate) async fn period_to_change(
    conn: &mut lcpf_store::AnyConnection,
    id: i64,
) -> AppResult<FundingPeriod> {
    q::lock_period(conn, id).await?;
    let period = q::period(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
    if lcpf_store::queries::grants::closeout::is_closed(conn, id).await? {
        return Err(AppError::Forbidden(format!(
            "The period {} to {} is closed: its budgets, scenarios, decisions and allocations no longer change",
            period.first_year, period.last_year
        )));
    }
    Ok(period)
}

impl App {
    pub async fn list_funds(&self, actor: &Actor) -> AppResult<Vec<Fund>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::list_funds(&mut conn).await?)
    }

    /// A fund and its funding periods, each with its budgets.
    pub async fn fund(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(Fund, Vec<(FundingPeriod, Vec<PeriodBudget>)>)> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let fund = q::list_funds(&mut conn)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| AppError::NotFound("The fund".into()))?;
        let mut periods = Vec::new();
        for p in q::periods(&mut conn, id).await? {
            let budgets = q::budgets(&mut conn, p.id).await?;
            periods.push((p, budgets));
        }
        Ok((fund, periods))
    }

    pub async fn period(&self, actor: &Actor, id: i64) -> AppResult<PeriodView> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let fund = q::list_funds(&mut conn)
            .await?
            .into_iter()
            .find(|f| f.id == period.fund_id)
            .ok_or_else(|| AppError::NotFound("The fund".into()))?;
        let all_scenarios = q::scenarios(&mut conn, id).await?;
        let decisions = q::decisions(&mut conn, id).await?;
        // Which scenario was decided is public once decided; the others only for modellers.
        let decided_from = decisions
            .iter()
            .filter_map(|d| {
                let s = all_scenarios.iter().find(|s| Some(s.id) == d.scenario_id)?;
                Some(DecidedFrom {
                    year: d.year.clone(),
                    scenario_id: s.id,
                    scenario_name: s.name.clone(),
                })
            })
            .collect();
        let scenarios = if may(actor, Permission::ModelAllocations) {
            all_scenarios
        } else {
            Vec::new()
        };
        let year_before = FinancialYear::parse(&period.first_year)
            .map(|y| FinancialYear::starting(y.start_year() - 1).to_string())
            .unwrap_or_default();
        Ok(PeriodView {
            before_first_year: q::allocations_in_fund_year(&mut conn, fund.id, &year_before)
                .await?,
            decided_from,
            budgets: q::budgets(&mut conn, id).await?,
            decisions,
            allocations: q::allocations_for_period(&mut conn, id).await?,
            scenarios,
            fund,
            period,
        })
    }

    /// London's decided allocations for `year` (the latest decided year when none is asked
    /// for); a year without decided allocations is not found.
    pub async fn london_allocations(
        &self,
        actor: &Actor,
        year: Option<&str>,
    ) -> AppResult<LondonAllocations> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let years = q::decided_years(&mut conn).await?;
        let year = match year.map(str::trim).filter(|y| !y.is_empty()) {
            Some(y) if years.iter().any(|d| d == y) => Some(y.to_string()),
            Some(y) => return Err(AppError::NotFound(format!("Decided allocations for {y}"))),
            None => years.last().cloned(),
        };
        let allocations = match &year {
            Some(y) => q::allocations_in_year(&mut conn, y).await?,
            None => Vec::new(),
        };
        Ok(LondonAllocations {
            years,
            year,
            allocations,
        })
    }

    /// Indicator datasets held (name, source), for choosing a scenario's inputs.
    pub async fn indicator_datasets(
        &self,
        actor: &Actor,
    ) -> AppResult<Vec<IndicatorDatasetSummary>> {
        authorise(actor, Permission::ModelAllocations)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::datasets(&mut conn)
            .await?
            .into_iter()
            .map(|(dataset, source)| IndicatorDatasetSummary { dataset, source })
            .collect())
    }
}

/// One year of a period's budget as pages and exports show it: the pot split by the
/// co-commissioning top-slice (`top_slice_split`), and whether the year is decided. A year
/// with no budget set has no figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetYear {
    /// e.g. 2018/19
    pub year: String,
    /// The year it starts (2018 for 2018/19), for addresses.
    pub start_year: i32,
    pub pot: Option<Money>,
    pub co_commissioning_share: Option<Percentage>,
    pub co_commissioning: Option<Money>,
    /// What the boroughs share directly.
    pub shared: Option<Money>,
    pub note: String,
    pub decided: bool,
}

/// Every year of `period`, budgeted or not, with its split.
pub fn budget_years(
    period: &FundingPeriod,
    budgets: &[PeriodBudget],
    decided_years: &[String],
) -> AppResult<Vec<BudgetYear>> {
    span_of(period)?
        .years()
        .into_iter()
        .map(|y| {
            let year = y.to_string();
            let b = budgets.iter().find(|b| b.year == year);
            let split = b
                .map(|b| {
                    let share = Percentage::from_basis_points(b.co_commissioning_bp as u32);
                    lcpf_domain::allocation::top_slice_split(Money::from_pence(b.pot_pence), share)
                        .map(|s| (share, s))
                        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
                })
                .transpose()?;
            Ok(BudgetYear {
                decided: decided_years.contains(&year),
                start_year: y.start_year(),
                pot: split.map(|(_, s)| s.pot),
                co_commissioning_share: split.map(|(share, _)| share),
                co_commissioning: split.map(|(_, s)| s.top_slice),
                shared: split.map(|(_, s)| s.shared),
                note: b.map(|b| b.note.clone()).unwrap_or_default(),
                year,
            })
        })
        .collect()
}

/// Which areas take part in the fund: the London Crime Prevention Fund is for the 32 London
/// boroughs, not the City of London (each area's `in_lcpf`, kept under *Areas*). Used by
/// scenarios, recorded decisions, amendments, the proposals overview and their exports.
pub(crate) async fn taking_part(
    conn: &mut lcpf_store::AnyConnection,
) -> AppResult<Vec<lcpf_store::queries::areas::Area>> {
    Ok(lcpf_store::queries::areas::list(conn)
        .await?
        .into_iter()
        .filter(|a| a.in_lcpf)
        .collect())
}

pub(crate) fn span_of(period: &FundingPeriod) -> AppResult<Period> {
    let year = |t: &str| FinancialYear::parse(t).map_err(anyhow::Error::from);
    Ok(
        Period::new(year(&period.first_year)?, year(&period.last_year)?)
            .map_err(anyhow::Error::from)?,
    )
}

/// A financial year typed into `field` that must fall within `span`; problems go to `errors`.
pub(crate) fn year_in_period(
    errors: &mut FieldErrors,
    field: &str,
    text: &str,
    span: Period,
) -> Option<FinancialYear> {
    match FinancialYear::parse(text) {
        Ok(y) if span.contains(y) => Some(y),
        Ok(y) => {
            errors.add(
                field,
                format!("{y} is outside this funding period ({span})"),
            );
            None
        }
        Err(e) => {
            errors.add(field, e.to_string());
            None
        }
    }
}

/// Funds, periods and budgets are set up by a funder admin (the demo does it through these).
impl App {
    pub async fn create_fund(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        eligibility: &[lcpf_domain::proposal::EligibilityRule],
    ) -> AppResult<Fund> {
        authorise(actor, Permission::ManageReferenceData)?;
        let name = required_text(name, "the fund's name", 200)
            .map_err(|e| AppError::invalid("name", e))?;
        let mut tx = self.db().begin().await?;
        let id = q::insert_fund(
            &mut tx,
            &name,
            description.trim(),
            eligibility,
            &lcpf_store::now(),
        )
        .await
        .map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid("name", format!("A fund called “{name}” already exists"))
            } else {
                e.into()
            }
        })?;
        let fund = Fund {
            id,
            name,
            description: description.trim().to_string(),
            eligibility: eligibility.iter().map(|r| r.words.clone()).collect(),
            eligibility_rules: eligibility.to_vec(),
            max_lines_per_proposal: None,
        };
        record::<(), Fund>(
            &mut tx,
            actor,
            Change {
                action: "fund.create",
                entity_type: "fund",
                entity_id: id.to_string(),
                summary: format!("fund {} created", fund.name),
                before: None,
                after: Some(&fund),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(fund)
    }

    /// Adds a funding period with a budget per year: (year, pot, co-commissioning share, note).
    pub async fn create_period(
        &self,
        actor: &Actor,
        fund_id: i64,
        round_name: &str,
        period: Period,
        plan_id: Option<i64>,
        budgets: &[(FinancialYear, Money, Percentage, String)],
    ) -> AppResult<FundingPeriod> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut tx = self.db().begin().await?;
        let id = q::insert_period(
            &mut tx,
            fund_id,
            round_name,
            &period.first().to_string(),
            &period.last().to_string(),
            plan_id,
        )
        .await
        .map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid(
                    "first_year",
                    format!("The fund already has a period starting {}", period.first()),
                )
            } else {
                e.into()
            }
        })?;
        for (year, pot, share, note) in budgets {
            if !period.contains(*year) {
                return Err(AppError::invalid(
                    "year",
                    format!("{year} is outside the period {period}"),
                ));
            }
            q::upsert_budget(
                &mut tx,
                &PeriodBudget {
                    period_id: id,
                    year: year.to_string(),
                    pot_pence: pot.pence(),
                    co_commissioning_bp: i64::from(share.basis_points()),
                    note: note.clone(),
                },
            )
            .await?;
        }
        let created = q::period(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("period vanished")))?;
        record::<(), FundingPeriod>(
            &mut tx,
            actor,
            Change {
                action: "funding_period.create",
                entity_type: "funding_period",
                entity_id: id.to_string(),
                summary: format!("funding period {period} ({round_name}) created"),
                before: None,
                after: Some(&created),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }
}

/// A new funding period as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct PeriodInput {
    /// The round it belongs to, e.g. 2017/18–2020/21.
    pub round_name: String,
    pub first_year: String,
    pub last_year: String,
    /// The Police and Crime Plan its projects link to (optional).
    #[serde(default)]
    pub plan_id: Option<i64>,
}

/// A year's budget as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct BudgetInput {
    /// The year's whole pot, e.g. £18,000,000.
    pub pot: String,
    /// The Co-Commissioning Fund's top-slice, %, e.g. 30. Left out: unchanged (none for a
    /// new budget); empty: none.
    #[serde(default)]
    pub co_commissioning: Option<String>,
    #[serde(default)]
    pub note: String,
}

impl App {
    /// Adds a funding period from entered text; each year starts with no budget.
    pub async fn add_period(
        &self,
        actor: &Actor,
        fund_id: i64,
        input: &PeriodInput,
    ) -> AppResult<FundingPeriod> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut errors = FieldErrors::new();
        let round = errors.check(
            "round_name",
            required_text(
                &input.round_name,
                "the round, for example 2017/18–2020/21",
                50,
            ),
        );
        let first = errors.check("first_year", FinancialYear::parse(&input.first_year));
        let last = errors.check("last_year", FinancialYear::parse(&input.last_year));
        let span = match (first, last) {
            (Some(f), Some(l)) => errors.check("last_year", Period::new(f, l)),
            _ => None,
        };
        errors.into_result()?;
        let (Some(round), Some(span)) = (round, span) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated period input is incomplete"
            )));
        };
        let mut conn = self.db().pool().acquire().await?;
        let others = q::periods(&mut conn, fund_id).await?;
        drop(conn);
        for p in &others {
            if span_of(p)?.overlaps(span) {
                return Err(AppError::invalid(
                    "first_year",
                    format!(
                        "Funding periods cannot overlap: {}–{} is already a period of this fund",
                        p.first_year, p.last_year
                    ),
                ));
            }
        }
        self.create_period(actor, fund_id, &round, span, input.plan_id, &[])
            .await
    }

    /// Sets (or changes) one year's pot and co-commissioning share. Refused once the year's
    /// allocations are decided, because they were decided against this budget.
    pub async fn set_budget(
        &self,
        actor: &Actor,
        period_id: i64,
        year: &str,
        input: &BudgetInput,
    ) -> AppResult<PeriodBudget> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut errors = FieldErrors::new();
        let pot = errors.check("pot", Money::parse(&input.pot));
        if pot.is_some_and(Money::is_negative) {
            errors.add("pot", "The pot cannot be negative");
        }
        // None: keep the year's share as it is.
        let share = match input.co_commissioning.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(Percentage::ZERO),
            // A mistake is recorded in `errors`, which refuses the whole input below.
            Some(t) => errors.check("co_commissioning", Percentage::parse(t)),
        };
        if share.is_some_and(|s| s > Percentage::HUNDRED) {
            errors.add(
                "co_commissioning",
                "The co-commissioning share is at most 100%",
            );
        }
        errors.into_result()?;
        let Some(pot) = pot else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated budget input is incomplete"
            )));
        };
        let mut tx = self.db().begin().await?;
        let period = period_to_change(&mut tx, period_id).await?;
        let year = FinancialYear::parse(year)
            .map_err(|_| AppError::NotFound(format!("The year {year}")))?;
        let span = span_of(&period)?;
        if !span.contains(year) {
            return Err(AppError::NotFound(format!(
                "The year {year} in this funding period"
            )));
        }
        if let Some(d) = q::decision_for(&mut tx, period_id, &year.to_string()).await? {
            return Err(AppError::Forbidden(format!(
                "{year} was decided on {} ({}): its budget is locked",
                d.decided_on, d.reference
            )));
        }
        let before = q::budgets(&mut tx, period_id)
            .await?
            .into_iter()
            .find(|b| b.year == year.to_string());
        let share = share.unwrap_or_else(|| {
            before.as_ref().map_or(Percentage::ZERO, |b| {
                Percentage::from_basis_points(b.co_commissioning_bp as u32)
            })
        });
        let after = PeriodBudget {
            period_id,
            year: year.to_string(),
            pot_pence: pot.pence(),
            co_commissioning_bp: i64::from(share.basis_points()),
            note: input.note.trim().to_string(),
        };
        q::upsert_budget(&mut tx, &after).await?;
        // Never below what the fund's calls already promise: the share they spend must still
        // hold them (a raise is always allowed, even where they were over before).
        let lowered = before.as_ref().is_some_and(|b| {
            crate::co_commissioning::share_of(b) > crate::co_commissioning::share_of(&after)
        });
        if lowered {
            if let Some(used) =
                crate::co_commissioning::calls_share(&mut tx, period.fund_id).await?
            {
                if used.left.is_negative() {
                    return Err(AppError::invalid(
                        "pot",
                        format!(
                            "The fund's calls promise {} over {}, and this budget would leave a Co-Commissioning share of {} for those years: {} short. Keep the share at least what the calls promise",
                            used.promised,
                            lcpf_domain::words::and_list(&used.years),
                            used.share,
                            Money::from_pence(-used.left.pence())
                        ),
                    ));
                }
            }
        }
        record(
            &mut tx,
            actor,
            Change {
                action: "budget.set",
                entity_type: "funding_period",
                entity_id: period_id.to_string(),
                summary: format!("{year} budget set to {pot} with {share} to co-commissioning"),
                before: before.as_ref(),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

impl App {
    /// The period and a year's current budget, for its edit form: the same checks as
    /// [`App::set_budget`] (funder admin, a year of the period).
    pub async fn budget_to_edit(
        &self,
        actor: &Actor,
        period_id: i64,
        year: FinancialYear,
    ) -> AppResult<(FundingPeriod, Option<PeriodBudget>)> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = q::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let span = span_of(&period)?;
        if !span.contains(year) {
            return Err(AppError::NotFound(format!(
                "The year {year} in this funding period"
            )));
        }
        let budget = q::budgets(&mut conn, period_id)
            .await?
            .into_iter()
            .find(|b| b.year == year.to_string());
        Ok((period, budget))
    }
}

/// Another named stream of money, as entered.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct StreamInput {
    /// Financial year, e.g. 2012/13.
    pub year: String,
    /// e.g. Drug testing on arrest.
    pub name: String,
    pub amount: String,
    /// e.g. Metropolitan Police Service.
    pub recipient: String,
    #[serde(default)]
    pub note: String,
}

impl App {
    /// Records another named stream of a period's money (funder admin).
    pub async fn add_stream(
        &self,
        actor: &Actor,
        period_id: i64,
        input: &StreamInput,
    ) -> AppResult<lcpf_store::queries::funds::Stream> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut tx = self.db().begin().await?;
        let period = period_to_change(&mut tx, period_id).await?;
        let span = span_of(&period)?;
        let mut errors = FieldErrors::new();
        let year = year_in_period(&mut errors, "year", &input.year, span);
        let name = errors.check(
            "name",
            required_text(
                &input.name,
                "the stream's name, for example Drug testing on arrest",
                100,
            ),
        );
        let amount = errors.check("amount", Money::parse(&input.amount));
        if amount.is_some_and(Money::is_negative) {
            errors.add("amount", "The amount cannot be negative");
        }
        let recipient = errors.check(
            "recipient",
            required_text(
                &input.recipient,
                "who receives it, for example Metropolitan Police Service",
                200,
            ),
        );
        errors.into_result()?;
        let (Some(year), Some(name), Some(amount), Some(recipient)) =
            (year, name, amount, recipient)
        else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated stream input is incomplete"
            )));
        };
        let mut stream = lcpf_store::queries::funds::Stream {
            id: 0,
            period_id,
            year: year.to_string(),
            name,
            amount_pence: amount.pence(),
            recipient,
            note: input.note.trim().to_string(),
        };
        stream.id = q::insert_stream(&mut tx, &stream).await.map_err(|e| {
            if lcpf_store::is_unique_violation(&e) {
                AppError::invalid(
                    "name",
                    format!("{year} already has a stream called “{}”", stream.name),
                )
            } else {
                e.into()
            }
        })?;
        record::<(), lcpf_store::queries::funds::Stream>(
            &mut tx,
            actor,
            Change {
                action: "stream.add",
                entity_type: "funding_period",
                entity_id: period_id.to_string(),
                summary: format!(
                    "{year} stream “{}”: {amount} to {}",
                    stream.name, stream.recipient
                ),
                before: None,
                after: Some(&stream),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(stream)
    }

    pub async fn streams(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<Vec<lcpf_store::queries::funds::Stream>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::streams(&mut conn, period_id).await?)
    }
}
