//! A milestone grant's milestones: agreed while it is drafted (within each year's profile),
//! removed while planned, reported met by the recipient's officers, returned with comments
//! or confirmed by funder staff, when its payment request follows within the firm profile.

use chrono::NaiveDate;
use lcpf_domain::grant::milestone::{
    self as rules, Milestone, MilestoneEvent, MilestoneParty, MilestoneState,
};
use lcpf_domain::grant::payment::{self, PaymentBasis, Schedule};
use lcpf_domain::{FieldErrors, FinancialYear, Money, Quarter};
use lcpf_store::queries::grants as q;
use lcpf_store::queries::grants::milestones::{self as mq, MilestoneRecord, MilestoneWrite};
use lcpf_store::queries::grants::payments::{self as pq, NewPayment};

use super::{drafted, internal, live, years_of, MilestoneInput, MilestoneStepInput};
use crate::access::{authorise, Permission};
use crate::audit::{self, Change};
use crate::grants::find;
use crate::{Actor, App, AppError, AppResult};

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

impl App {
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
        let recipient = find(&mut tx, grant_id).await?.recipient_organisation_id;
        let by = match event {
            MilestoneEvent::Report => {
                authorise(
                    actor,
                    Permission::ClaimGrant {
                        organisation_id: recipient,
                    },
                )?;
                MilestoneParty::Recipient
            }
            MilestoneEvent::Return | MilestoneEvent::Confirm => {
                authorise(actor, Permission::ReviewClaims)?;
                MilestoneParty::Funder
            }
        };
        // Allowed: now hold the grant while its money is checked and moved.
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
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
