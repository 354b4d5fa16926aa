//! How a grant is paid: its schedule (quarterly in arrears on an accepted claim, quarterly in
//! advance, or on milestones), chosen while it is drafted; a quarter's advance, requested by
//! funder staff from the quarter's first day; and a milestone grant's milestones, agreed while
//! drafted, reported met by the recipient and confirmed (a payment request follows) or
//! returned by the funder. Every change is authorised, written and audited in one transaction.

use chrono::NaiveDate;
use lcpf_domain::grant::milestone::{
    self as rules, Milestone, MilestoneEvent, MilestoneParty, MilestoneState,
};
use lcpf_domain::grant::payment::{self, PaymentBasis, Schedule};
use lcpf_domain::grant::workflow::{self, GrantEvent, GrantParty};
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod, Money, Quarter};
use lcpf_store::queries::grants::milestones::{self as mq, MilestoneRecord, MilestoneWrite};
use lcpf_store::queries::grants::payments::{self as pq, NewPayment};
use lcpf_store::queries::grants::{self as q, GrantRecord};
use lcpf_store::AnyConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::find;
use super::payments::PaymentRow;
use crate::access::{authorise, may, Permission};
use crate::audit::{self, Change};
use crate::people::People;
use crate::tag::StateTag;
use crate::{Actor, App, AppError, AppResult};

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

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

fn years_of(grant: &GrantRecord) -> Vec<FinancialYear> {
    FundingPeriod::new(grant.first_year, grant.last_year)
        .map(|p| p.years())
        .unwrap_or_default()
}

/// A drafted grant's terms change only while the workflow allows an edit by the funder.
fn drafted(grant: &GrantRecord) -> AppResult<()> {
    workflow::transition(grant.state, GrantEvent::Edit, GrantParty::Funder)
        .map(|_| ())
        .map_err(|r| {
            AppError::Forbidden(format!(
                "{} How it is paid is part of the agreement: it is set while the grant is drafted",
                r.0
            ))
        })
}

fn live(grant: &GrantRecord) -> AppResult<()> {
    if grant.state.money_moves() {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "{} is {}: money moves on live grants only",
        grant.reference,
        grant.state.label().to_lowercase()
    )))
}

fn milestone_of(record: Option<MilestoneRecord>, grant_id: i64) -> AppResult<MilestoneRecord> {
    record
        .filter(|m| m.grant_id == grant_id)
        .ok_or_else(|| AppError::NotFound("The milestone".into()))
}

fn parse_milestone(input: &MilestoneInput) -> Result<Milestone, FieldErrors> {
    let mut e = FieldErrors::new();
    let title = e.check(
        "title",
        lcpf_domain::field::required_text(
            &input.title,
            "what the milestone is",
            rules::TITLE_LIMIT,
        ),
    );
    let year = e.check("year", FinancialYear::parse(input.year.trim()));
    let due_on = match NaiveDate::parse_from_str(input.due_on.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(
                "due_on",
                "Enter when the milestone is due as YYYY-MM-DD, for example 2017-09-30",
            );
            None
        }
    };
    let amount = e.check("amount", Money::parse(&input.amount));
    e.into_result()?;
    match (title, year, due_on, amount) {
        (Some(title), Some(year), Some(due_on), Some(amount)) => Ok(Milestone {
            title,
            year,
            due_on,
            amount,
        }),
        _ => Err(FieldErrors::single("milestone", "Enter the milestone")),
    }
}

/// The next quarter of a grant to advance: the first of its quarters not yet advanced.
fn next_quarter(grant: &GrantRecord, advanced: &[Quarter]) -> Option<Quarter> {
    years_of(grant)
        .into_iter()
        .flat_map(|y| (1..=4).filter_map(move |n| Quarter::new(y, n)))
        .find(|q| !advanced.contains(q))
}

/// What the quarter's advance would be: its year's firm money less what is already
/// committed in the year, shared over the year's quarters left.
async fn advance_amount(
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

    /// Adds a milestone to a drafted grant paid on milestones (funder staff): within one of
    /// its years, due in that year, the year's milestones within its profile. Returns its
    /// stable key.
    pub async fn add_milestone(
        &self,
        actor: &Actor,
        grant_id: i64,
        input: &MilestoneInput,
    ) -> AppResult<i64> {
        authorise(actor, Permission::ManageGrants)?;
        let mut tx = self.db().begin().await?;
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
        drafted(&grant)?;
        if grant.schedule != Schedule::Milestones {
            return Err(AppError::invalid(
                "schedule",
                format!(
                    "{} is paid {}: choose payment on milestones before adding them",
                    grant.reference,
                    grant.schedule.label().to_lowercase()
                ),
            ));
        }
        let milestone = parse_milestone(input)?;
        let existing: Vec<Milestone> = mq::milestones(&mut tx, grant_id)
            .await?
            .into_iter()
            .map(|r| r.milestone)
            .collect();
        let problems = rules::problems(&grant.profile, &years_of(&grant), &existing, &milestone);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems.into_iter().collect()));
        }
        let now = lcpf_store::now();
        let id = mq::insert_milestone(&mut tx, grant_id, &milestone, &now, &actor.label()).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), Milestone> {
                action: "create",
                entity_type: "milestone",
                entity_id: id.to_string(),
                summary: format!(
                    "Added the milestone “{}” to {}: {} for {}, due {}",
                    milestone.title,
                    grant.reference,
                    milestone.amount,
                    milestone.year,
                    milestone.due_on.format("%-d %B %Y")
                ),
                before: None,
                after: Some(&milestone),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a planned milestone from a drafted grant (funder staff).
    pub async fn remove_milestone(
        &self,
        actor: &Actor,
        grant_id: i64,
        milestone_id: i64,
    ) -> AppResult<()> {
        authorise(actor, Permission::ManageGrants)?;
        let mut tx = self.db().begin().await?;
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
        let record = milestone_of(mq::milestone(&mut tx, milestone_id).await?, grant_id)?;
        drafted(&grant)?;
        if !mq::delete_milestone(&mut tx, milestone_id).await? {
            return Err(AppError::Forbidden(
                "Only a planned milestone is removed".into(),
            ));
        }
        audit::record(
            &mut tx,
            actor,
            Change::<Milestone, ()> {
                action: "delete",
                entity_type: "milestone",
                entity_id: milestone_id.to_string(),
                summary: format!(
                    "Removed the milestone “{}” from {}",
                    record.milestone.title, grant.reference
                ),
                before: Some(&record.milestone),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reports a milestone met (the recipient's officers, saying what shows it), or returns
    /// it with comments or confirms it (funder staff). Confirming makes its payment request:
    /// its amount, but never past what is left of the year's firm profile.
    pub async fn milestone_step(
        &self,
        actor: &Actor,
        grant_id: i64,
        milestone_id: i64,
        event: MilestoneEvent,
        input: &MilestoneStepInput,
    ) -> AppResult<MilestoneState> {
        let mut tx = self.db().begin().await?;
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
        let by = match event {
            MilestoneEvent::Report => {
                authorise(
                    actor,
                    Permission::ClaimGrant {
                        organisation_id: grant.recipient_organisation_id,
                    },
                )?;
                MilestoneParty::Recipient
            }
            MilestoneEvent::Return | MilestoneEvent::Confirm => {
                authorise(actor, Permission::ReviewClaims)?;
                MilestoneParty::Funder
            }
        };
        let record = milestone_of(mq::milestone(&mut tx, milestone_id).await?, grant_id)?;
        live(&grant)?;
        let to = rules::transition(record.state, event, by)
            .map_err(AppError::Forbidden)?
            .to;
        let text = input.text.trim();
        let write = match event {
            MilestoneEvent::Report => MilestoneWrite::Report(text),
            MilestoneEvent::Return => MilestoneWrite::Return(text),
            MilestoneEvent::Confirm => MilestoneWrite::Confirm,
        };
        match write {
            MilestoneWrite::Report(t) | MilestoneWrite::Return(t) => {
                let field = if event == MilestoneEvent::Report {
                    "report"
                } else {
                    "comments"
                };
                if t.is_empty() {
                    return Err(AppError::invalid(
                        field,
                        if event == MilestoneEvent::Report {
                            "Say what shows the milestone is met (no names or details of victims or offenders)"
                        } else {
                            "Say what must be put right before the milestone can be confirmed"
                        },
                    ));
                }
                lcpf_domain::field::check_text(t, 10_000)
                    .map_err(|m| AppError::invalid(field, m))?;
            }
            MilestoneWrite::Confirm => {}
        }
        let now = lcpf_store::now();
        if !mq::move_milestone(
            &mut tx,
            milestone_id,
            record.state,
            to,
            write,
            &now,
            &actor.label(),
        )
        .await?
        {
            return Err(AppError::Conflict {
                message: "Someone else moved this milestone first: nothing was changed".into(),
                changes: Vec::new(),
            });
        }
        let m = &record.milestone;
        let mut summary = match event {
            MilestoneEvent::Report => format!(
                "Reported the milestone “{}” of {} met",
                m.title, grant.reference
            ),
            MilestoneEvent::Return => format!(
                "Returned the milestone “{}” of {} with comments",
                m.title, grant.reference
            ),
            MilestoneEvent::Confirm => format!(
                "Confirmed the milestone “{}” of {} met",
                m.title, grant.reference
            ),
        };
        if event == MilestoneEvent::Confirm {
            let firm = grant.profile.firm_in(m.year).map_err(internal)?;
            let committed = pq::paid(&mut tx, grant.id)
                .await?
                .committed
                .get(&m.year)
                .copied()
                .unwrap_or(Money::ZERO);
            let amount = payment::payable(m.amount, firm, committed);
            if amount.pence() > 0 {
                let basis = PaymentBasis::Milestone {
                    milestone_id,
                    title: m.title.clone(),
                };
                let id = pq::insert_payment(
                    &mut tx,
                    &NewPayment {
                        grant_id,
                        basis: &basis,
                        quarter: Quarter::containing(m.due_on),
                        year: m.year,
                        amount,
                    },
                    &now,
                    &actor.label(),
                )
                .await?
                .ok_or_else(|| internal("the milestone already has a payment"))?;
                summary.push_str(&format!(
                    ": payment request {} for {amount}",
                    payment::reference(id)
                ));
                if amount < m.amount {
                    summary.push_str(&format!(
                        " of the {} agreed; the rest would take {}'s payments past its firm profile",
                        m.amount, m.year
                    ));
                }
            } else {
                summary.push_str(&format!(
                    ": nothing is payable within {}'s firm profile, so a variation or confirmation is needed first",
                    m.year
                ));
            }
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                action: event.as_str(),
                entity_type: "milestone",
                entity_id: milestone_id.to_string(),
                summary,
                before: Some(&record.state.as_str()),
                after: Some(&to.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Requests a quarter's advance on a live grant paid in advance (funder staff), from the
    /// quarter's first day, quarters in order. The amount is the domain's
    /// [`payment::advance_instalment`]. The same quarter again returns the advance already
    /// requested, so a double click or a retried call requests it once.
    pub async fn request_advance(
        &self,
        actor: &Actor,
        grant_id: i64,
        input: &AdvanceInput,
    ) -> AppResult<PaymentRow> {
        authorise(actor, Permission::ReviewClaims)?;
        let mut tx = self.db().begin().await?;
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
        let quarter = Quarter::parse(input.quarter.trim()).map_err(|_| {
            AppError::invalid(
                "quarter",
                "Enter the quarter to advance as Q1 to Q4 and its year, for example Q2 2017/18",
            )
        })?;
        let people = crate::people::people(&mut tx).await?;
        let existing = pq::payments_page(&mut tx, pq::PaymentsOf::Grant(grant_id), 1000, 0)
            .await?
            .into_iter()
            .find(|p| p.basis == PaymentBasis::Advance { quarter });
        if let Some(done) = existing {
            tx.commit().await?;
            return Ok(super::payments::row(done, &people));
        }
        if grant.schedule != Schedule::QuarterlyInAdvance {
            return Err(AppError::Forbidden(format!(
                "{} is paid {}, not in advance",
                grant.reference,
                grant.schedule.label().to_lowercase()
            )));
        }
        live(&grant)?;
        let advanced = pq::advanced_quarters(&mut tx, grant_id).await?;
        match next_quarter(&grant, &advanced) {
            Some(next) if next == quarter => {}
            Some(next) => {
                return Err(AppError::invalid(
                    "quarter",
                    format!(
                        "Quarters are advanced in order: the next for {} is {next}",
                        grant.reference
                    ),
                ))
            }
            None => {
                return Err(AppError::invalid(
                    "quarter",
                    format!("Every quarter of {} is already advanced", grant.reference),
                ))
            }
        }
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        if let Some(refusal) = payment::advance_refusal(quarter, today) {
            return Err(AppError::invalid("quarter", refusal));
        }
        let amount = advance_amount(&mut tx, &grant, quarter).await?;
        if amount.pence() == 0 {
            return Err(AppError::invalid(
                "quarter",
                format!(
                    "Nothing is left of {}'s firm money to advance: a variation or confirmation is needed first",
                    quarter.year()
                ),
            ));
        }
        let now = lcpf_store::now();
        let basis = PaymentBasis::Advance { quarter };
        let Some(id) = pq::insert_payment(
            &mut tx,
            &NewPayment {
                grant_id,
                basis: &basis,
                quarter,
                year: quarter.year(),
                amount,
            },
            &now,
            &actor.label(),
        )
        .await?
        else {
            return Err(AppError::Conflict {
                message: format!(
                    "Someone else requested {quarter}'s advance first: it is requested once"
                ),
                changes: Vec::new(),
            });
        };
        audit::record(
            &mut tx,
            actor,
            Change::<(), i64> {
                action: "create",
                entity_type: "payment",
                entity_id: id.to_string(),
                summary: format!(
                    "Requested {quarter}'s advance on {}: {amount} to {}",
                    grant.reference, grant.recipient_name
                ),
                before: None,
                after: Some(&amount.pence()),
            },
        )
        .await?;
        let done = pq::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        tx.commit().await?;
        Ok(super::payments::row(done, &people))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_milestone_is_read_with_every_problem_at_once() {
        let e = parse_milestone(&MilestoneInput {
            title: String::new(),
            year: "2017".into(),
            due_on: "30/09/2017".into(),
            amount: "lots".into(),
        })
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["title", "year", "due_on", "amount"]);
        let m = parse_milestone(&MilestoneInput {
            title: " Service open in all six boroughs ".into(),
            year: "2017/18".into(),
            due_on: "2017-09-30".into(),
            amount: "£150,000".into(),
        })
        .unwrap();
        assert_eq!(m.title, "Service open in all six boroughs");
        assert_eq!(m.amount, Money::from_pounds(150_000));
    }
}
