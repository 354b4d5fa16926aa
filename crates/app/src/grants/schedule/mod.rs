//! How a grant is paid: its schedule (quarterly in arrears on an accepted claim, quarterly in
//! advance, or on milestones), chosen while it is drafted; a quarter's advance, requested by
//! funder staff from the quarter's first day ([`advances`]); and a milestone grant's
//! milestones, agreed while drafted, reported met by the recipient and confirmed (a payment
//! request follows) or returned by the funder ([`milestones`]). Every change is authorised,
//! written and audited in one transaction. This file holds the inputs, the view models and
//! what the grant's page shows.

use lcpf_domain::grant::milestone::{self as rules, Milestone, MilestoneState};
use lcpf_domain::grant::payment::{self, Schedule};
use lcpf_domain::grant::workflow::{self, GrantEvent, GrantParty};
use lcpf_domain::{FinancialYear, FundingPeriod, Money, Quarter};
use lcpf_store::queries::grants::milestones as mq;
use lcpf_store::queries::grants::payments as pq;
use lcpf_store::queries::grants::{self as q, GrantRecord};
use lcpf_store::AnyConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::find;
use crate::access::{authorise, may, Permission};
use crate::audit::{self, Change};
use crate::people::People;
use crate::tag::StateTag;
use crate::{Actor, App, AppError, AppResult};

mod advances;
mod milestones;

/// The schedule chosen: `quarterly_in_arrears`, `quarterly_in_advance` or `milestones`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct ScheduleInput {
    #[serde(default)]
    pub schedule: String,
}

/// A milestone as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct MilestoneInput {
    #[serde(default)]
    pub title: String,
    /// `2017/18`
    #[serde(default)]
    pub year: String,
    /// YYYY-MM-DD, within the year.
    #[serde(default)]
    pub due_on: String,
    /// What is paid when it is met, in pounds.
    #[serde(default)]
    pub amount: String,
}

/// What the recipient says shows a milestone is met, or the funder's comments returning it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct MilestoneStepInput {
    #[serde(default)]
    pub text: String,
}

/// Requesting a quarter's advance (`Q2 2017/18`). The same quarter again returns the advance
/// already requested: it is requested once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct AdvanceInput {
    #[serde(default)]
    pub quarter: String,
}

/// One schedule a funder may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScheduleChoice {
    pub code: String,
    pub label: String,
    pub hint: String,
}

impl From<MilestoneState> for StateTag {
    fn from(s: MilestoneState) -> StateTag {
        StateTag {
            code: s.as_str().into(),
            label: s.label().into(),
            colour: match s {
                MilestoneState::Planned => "grey",
                MilestoneState::Reported => "blue",
                MilestoneState::Met => "green",
            }
            .into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MilestoneView {
    /// The milestone's stable key.
    pub id: i64,
    pub title: String,
    pub year: String,
    /// `30 September 2017`
    pub due_on: String,
    #[schema(value_type = i64)]
    pub amount: Money,
    pub state: StateTag,
    /// What the recipient said shows it is met.
    pub report: String,
    /// The funder's comments when it returned the report.
    pub comments: String,
    pub reported_by: Option<String>,
    pub reported_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub may_report: bool,
    pub may_decide: bool,
    pub may_remove: bool,
}

/// A year's milestones against its profile; `gap` says both figures when they differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MilestoneYear {
    pub year: String,
    #[schema(value_type = i64)]
    pub milestones: Money,
    #[schema(value_type = i64)]
    pub profile: Money,
    pub gap: Option<String>,
}

/// The next quarter a funder officer may request in advance, and what it would be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NextAdvance {
    /// `Q2 2017/18`
    pub quarter: String,
    #[schema(value_type = i64)]
    pub amount: Money,
    /// Why it cannot be requested yet (the quarter has not started, nothing is left), if so.
    pub refusal: Option<String>,
}

/// How a grant is paid, as its page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentPlan {
    /// `quarterly_in_arrears`, `quarterly_in_advance` or `milestones`.
    pub schedule: String,
    pub label: String,
    pub hint: String,
    /// Whether the reader may change it (funder staff, while the grant is drafted).
    pub may_set: bool,
    pub choices: Vec<ScheduleChoice>,
    pub milestones: Vec<MilestoneView>,
    pub milestone_years: Vec<MilestoneYear>,
    /// Whether the reader may add milestones (funder staff, a drafted milestone grant).
    pub may_plan_milestones: bool,
    /// For a grant paid in advance, the next quarter to request (funder staff, live grant).
    pub next_advance: Option<NextAdvance>,
}

pub(super) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

pub(super) fn years_of(grant: &GrantRecord) -> Vec<FinancialYear> {
    FundingPeriod::new(grant.first_year, grant.last_year)
        .map(|p| p.years())
        .unwrap_or_default()
}

/// A drafted grant's terms change only while the workflow allows an edit by the funder.
pub(super) fn drafted(grant: &GrantRecord) -> AppResult<()> {
    workflow::transition(grant.state, GrantEvent::Edit, GrantParty::Funder)
        .map(|_| ())
        .map_err(|r| {
            AppError::Forbidden(format!(
                "{} How it is paid is part of the agreement: it is set while the grant is drafted",
                r.0
            ))
        })
}

pub(super) fn live(grant: &GrantRecord) -> AppResult<()> {
    if grant.state.money_moves() {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "{} is {}: money moves on live grants only",
        grant.reference,
        grant.state.label().to_lowercase()
    )))
}

/// The next quarter of a grant to advance (the domain's rule over the grant's years).
pub(super) fn next_quarter(grant: &GrantRecord, advanced: &[Quarter]) -> Option<Quarter> {
    payment::next_advance(&years_of(grant), advanced)
}

/// What the quarter's advance would be: its year's firm money less what is already
/// committed in the year, shared over the year's quarters left.
pub(super) async fn advance_amount(
    conn: &mut AnyConnection,
    grant: &GrantRecord,
    quarter: Quarter,
) -> AppResult<Money> {
    let year = quarter.year();
    let firm = grant.profile.firm_in(year).map_err(internal)?;
    let committed = pq::paid(conn, grant.id)
        .await?
        .committed
        .get(&year)
        .copied()
        .unwrap_or(Money::ZERO);
    payment::advance_instalment(firm, committed, quarter.number()).map_err(internal)
}

/// How a grant is paid, for its page: read in a fixed number of queries.
pub(crate) async fn plan(
    conn: &mut AnyConnection,
    actor: &Actor,
    grant: &GrantRecord,
    people: &People,
) -> AppResult<PaymentPlan> {
    let records = mq::milestones(conn, grant.id).await?;
    let years = years_of(grant);
    let staff = may(actor, Permission::ManageGrants);
    let reviewer = may(actor, Permission::ReviewClaims);
    let recipient = may(
        actor,
        Permission::ClaimGrant {
            organisation_id: grant.recipient_organisation_id,
        },
    );
    let is_drafted = drafted(grant).is_ok();
    let next_advance = match grant.schedule {
        Schedule::QuarterlyInAdvance if reviewer && grant.state.money_moves() => {
            let advanced = pq::advanced_quarters(conn, grant.id).await?;
            match next_quarter(grant, &advanced) {
                Some(quarter) => {
                    let amount = advance_amount(conn, grant, quarter).await?;
                    let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
                    let refusal = payment::advance_refusal(quarter, today).or_else(|| {
                        (amount.pence() == 0).then(|| {
                            format!(
                                "Nothing is left of {}'s firm money to advance",
                                quarter.year()
                            )
                        })
                    });
                    Some(NextAdvance {
                        quarter: quarter.to_string(),
                        amount,
                        refusal,
                    })
                }
                None => None,
            }
        }
        _ => None,
    };
    let agreed: Vec<Milestone> = records.iter().map(|r| r.milestone.clone()).collect();
    Ok(PaymentPlan {
        schedule: grant.schedule.as_str().into(),
        label: grant.schedule.label().into(),
        hint: grant.schedule.hint().into(),
        may_set: staff && is_drafted,
        choices: Schedule::ALL
            .into_iter()
            .map(|s| ScheduleChoice {
                code: s.as_str().into(),
                label: s.label().into(),
                hint: s.hint().into(),
            })
            .collect(),
        milestone_years: if grant.schedule == Schedule::Milestones {
            rules::coverage(&grant.profile, &years, &agreed)
                .into_iter()
                .map(|c| MilestoneYear {
                    year: c.year.to_string(),
                    milestones: c.milestones,
                    profile: c.profile,
                    gap: match c.unassigned().pence() {
                        0 => None,
                        gap if gap > 0 => Some(format!(
                            "{}'s milestones come to {}, its profile to {}: {} is not yet tied to a milestone",
                            c.year,
                            c.milestones,
                            c.profile,
                            c.unassigned()
                        )),
                        _ => Some(format!(
                            "{}'s milestones come to {}, more than its profile of {} since a variation: payments stop at the profile",
                            c.year, c.milestones, c.profile
                        )),
                    },
                })
                .collect()
        } else {
            Vec::new()
        },
        may_plan_milestones: staff && is_drafted && grant.schedule == Schedule::Milestones,
        milestones: records
            .into_iter()
            .map(|r| MilestoneView {
                id: r.id,
                title: r.milestone.title,
                year: r.milestone.year.to_string(),
                due_on: r.milestone.due_on.format("%-d %B %Y").to_string(),
                amount: r.milestone.amount,
                state: r.state.into(),
                report: r.report,
                comments: r.comments,
                reported_by: r.reported_by.as_deref().map(|w| people.of(w)),
                reported_at: r.reported_at,
                decided_by: r.decided_by.as_deref().map(|w| people.of(w)),
                decided_at: r.decided_at,
                may_report: recipient
                    && grant.state.money_moves()
                    && r.state == MilestoneState::Planned,
                may_decide: reviewer
                    && grant.state.money_moves()
                    && r.state == MilestoneState::Reported,
                may_remove: staff && is_drafted && r.state == MilestoneState::Planned,
            })
            .collect(),
        next_advance,
    })
}

impl App {
    /// Sets how a drafted grant is paid (funder staff). A grant keeps its milestones only on
    /// milestones: remove them before choosing another schedule.
    pub async fn set_schedule(
        &self,
        actor: &Actor,
        grant_id: i64,
        input: &ScheduleInput,
    ) -> AppResult<()> {
        authorise(actor, Permission::ManageGrants)?;
        let schedule = Schedule::parse(input.schedule.trim()).map_err(|_| {
            AppError::invalid(
                "schedule",
                "Choose how the grant is paid: quarterly in arrears, quarterly in advance or on milestones",
            )
        })?;
        let mut tx = self.db().begin().await?;
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
        drafted(&grant)?;
        if grant.schedule == schedule {
            tx.commit().await?;
            return Ok(());
        }
        let milestones = mq::milestones(&mut tx, grant_id).await?;
        if !milestones.is_empty() {
            return Err(AppError::invalid(
                "schedule",
                format!(
                    "{} has {} milestones: remove them before it is paid another way",
                    grant.reference,
                    milestones.len()
                ),
            ));
        }
        q::set_schedule(&mut tx, grant_id, schedule).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "grant",
                entity_id: grant_id.to_string(),
                summary: format!(
                    "{} is now paid {} (was {})",
                    grant.reference,
                    schedule.label().to_lowercase(),
                    grant.schedule.label().to_lowercase()
                ),
                before: Some(&grant.schedule.as_str()),
                after: Some(&schedule.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
