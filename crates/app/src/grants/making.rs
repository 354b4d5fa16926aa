//! Making a grant: from a borough's approved proposal (one per borough per period; its
//! projects the approved lines by key, each year firm where the allocation is decided, the
//! envelope its ceiling) or from a co-commissioning award (its lead the recipient, the award
//! its ceiling).

use lcpf_domain::grant::payment::Schedule;
use lcpf_domain::grant::profile::{Certainty, Profile, Project, Source, YearFunding};
use lcpf_domain::{FinancialYear, FundingPeriod, Money};
use lcpf_store::queries::grants::{self as q, GrantSource, NewGrant};
use lcpf_store::AnyConnection;

use super::{find, years_text, MakeGrant, STANDARD_CONDITIONS};
use crate::access::{authorise, Permission};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

impl App {
    /// Makes a grant (funder staff) from a borough's approved proposal (one per borough per
    /// period; its projects are the approved lines, each year firm where the borough's
    /// allocation is decided) or from a co-commissioning award (its lead is the recipient).
    /// The grant never comes to more than the envelope or the award.
    pub async fn make_grant(&self, actor: &Actor, input: &MakeGrant) -> AppResult<i64> {
        authorise(actor, Permission::ManageGrants)?;
        let conditions = match input.conditions.trim() {
            "" => STANDARD_CONDITIONS.to_string(),
            c => lcpf_domain::field::required_text(c, "the conditions", 5000)
                .map_err(|m| AppError::invalid("conditions", m))?,
        };
        let mut tx = self.db().begin().await?;
        let made = match input.source.as_str() {
            "proposal" => from_proposal(&mut tx, input.id).await?,
            "award" => from_award(&mut tx, input.id).await?,
            _ => return Err(AppError::invalid("source", "Choose what the grant is made from: an approved proposal or a co-commissioning award")),
        };
        if let Some(existing) = q::grant_made_from(&mut tx, &made.source, made.recipient).await? {
            return Err(AppError::invalid(
                "source",
                format!(
                    "A grant has already been made from this ({}): vary that grant instead",
                    existing_reference(&mut tx, existing).await?
                ),
            ));
        }
        // The period's lock, as close-out takes it: a grant is never added to a period
        // being closed.
        lcpf_store::queries::funds::lock_period(&mut tx, made.period.id).await?;
        if q::closeout::is_closed(&mut tx, made.period.id).await? {
            return Err(AppError::invalid(
                "source",
                "Its funding period is closed: no new grants are made against it",
            ));
        }
        // A borough's grants in a period (an imported one beside this) stay within its
        // allocation; an award's grant is paid from the Co-Commissioning share instead.
        if let GrantSource::Proposal { .. } = made.source {
            let more = made
                .profile
                .money_by_year()
                .map_err(|e| AppError::invalid("source", e.to_string()))?;
            let room = super::allocation_room(
                &mut tx,
                &made.period,
                made.recipient,
                made.area_code.as_deref(),
                None,
            )
            .await?;
            if let Some(why) = room.and_then(|r| r.refusal(&made.recipient_name, &more)) {
                return Err(AppError::invalid("source", why));
            }
        }
        let period = FundingPeriod::new(made.first, made.last)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let problems = made
            .profile
            .problems(period, made.ceiling, &made.ceiling_words);
        if !problems.is_empty() {
            return Err(AppError::Invalid(
                problems.into_iter().collect::<lcpf_domain::FieldErrors>(),
            ));
        }
        let new = NewGrant {
            reference: &made.reference,
            period_id: made.period.id,
            recipient_organisation_id: made.recipient,
            source: made.source,
            first_year: made.first,
            last_year: made.last,
            starts_on: &made.first.first_day().format("%Y-%m-%d").to_string(),
            ends_on: &made.last.last_day().format("%Y-%m-%d").to_string(),
            conditions: &conditions,
            schedule: Schedule::QuarterlyInArrears,
            ceiling: made.ceiling,
            ceiling_words: &made.ceiling_words,
            profile: &made.profile,
        };
        let id = q::insert_grant(&mut tx, &new, &lcpf_store::now(), &actor.label()).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), Profile> {
                action: "create",
                entity_type: "grant",
                entity_id: id.to_string(),
                summary: format!(
                    "Made the grant {} for {}",
                    made.reference, made.recipient_name
                ),
                before: None,
                after: Some(&made.profile),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

async fn existing_reference(conn: &mut AnyConnection, id: i64) -> AppResult<String> {
    Ok(find(conn, id).await?.reference)
}

/// What a new grant is made of.
struct Made {
    reference: String,
    /// The funding period the grant belongs to and closes with.
    period: lcpf_store::queries::funds::FundingPeriod,
    /// The recipient's area, when it is a borough.
    area_code: Option<String>,
    recipient: i64,
    recipient_name: String,
    source: GrantSource,
    first: FinancialYear,
    last: FinancialYear,
    ceiling: Money,
    ceiling_words: String,
    profile: Profile,
}

async fn from_proposal(conn: &mut AnyConnection, proposal_id: i64) -> AppResult<Made> {
    let proposal = lcpf_store::queries::proposals::proposal(conn, proposal_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The proposal".into()))?;
    let version = lcpf_store::queries::proposals::versions(conn, proposal_id)
        .await?
        .into_iter()
        .rev()
        .find(|v| v.state == lcpf_domain::proposal::VersionState::Approved)
        .ok_or_else(|| AppError::invalid("source", format!("{}'s proposal has no approved version: a grant is made from an approved proposal", proposal.organisation_name)))?;
    let period = lcpf_store::queries::funds::period(conn, proposal.period_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
    let first = FinancialYear::parse(&period.first_year)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let last = FinancialYear::parse(&period.last_year)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let allocations: Vec<_> = lcpf_store::queries::funds::allocations_for_period(conn, period.id)
        .await?
        .into_iter()
        .filter(|a| a.area_code == proposal.area_code)
        .collect();
    if allocations.is_empty() {
        return Err(AppError::invalid(
            "source",
            format!(
                "No allocation to {} is decided for {}, so there is no envelope for its grant yet",
                proposal.organisation_name,
                years_text(&period.first_year, &period.last_year)
            ),
        ));
    }
    let decided: Vec<String> = allocations.iter().map(|a| a.year.clone()).collect();
    let ceiling = Money::from_pence(allocations.iter().map(|a| a.amount_pence).sum());
    let lines = lcpf_store::queries::proposals::lines(conn, version.id).await?;
    let projects = lines
        .into_iter()
        .map(|(row, l)| Project {
            name: format!("{} {}", l.number, l.title),
            source: Source::ProposalLine(l.key.map(|k| k.0).unwrap_or(row)),
            years: l
                .years
                .iter()
                .filter(|y| y.cost.pence() > 0)
                .map(|y| {
                    let certainty = if decided.contains(&y.year.to_string()) {
                        Certainty::Firm
                    } else {
                        Certainty::Provisional
                    };
                    (
                        y.year,
                        YearFunding {
                            revenue: y.cost,
                            capital: Money::ZERO,
                            certainty,
                        },
                    )
                })
                .collect(),
        })
        .collect();
    let span = years_text(&period.first_year, &period.last_year);
    Ok(Made {
        reference: format!("LCPF {span}: {}", proposal.organisation_name),
        area_code: Some(proposal.area_code.clone()),
        recipient: proposal.organisation_id,
        recipient_name: proposal.organisation_name.clone(),
        source: GrantSource::Proposal {
            period_id: period.id,
            version_id: version.id,
        },
        period,
        first,
        last,
        ceiling,
        ceiling_words: format!("{}'s envelope for {span}", proposal.organisation_name),
        profile: Profile { projects },
    })
}

async fn from_award(conn: &mut AnyConnection, award_id: i64) -> AppResult<Made> {
    use lcpf_store::queries::co_commissioning as cq;
    let award = cq::awards(conn, cq::AwardsOf::All)
        .await?
        .into_iter()
        .find(|a| a.id == award_id)
        .ok_or_else(|| AppError::NotFound("The award".into()))?;
    let bid = cq::bid(conn, award.bid_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The bid".into()))?;
    let call = cq::call(conn, award.call_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The call".into()))?;
    let (Some(first), Some(last)) = (
        award.amounts.keys().next().copied(),
        award.amounts.keys().last().copied(),
    ) else {
        return Err(AppError::invalid("source", "The award has no amounts"));
    };
    let total = award.total();
    // A call may run across periods: its grant belongs to, and closes with, the period of
    // the call's fund that holds the call's last year.
    let Some(call_last) = call.call.years.last() else {
        return Err(AppError::invalid("source", "The call has no years"));
    };
    let period = lcpf_store::queries::funds::period_holding(conn, call.fund_id, *call_last)
        .await?
        .ok_or_else(|| {
        AppError::invalid(
            "source",
            format!(
                "No funding period of {} holds the call's last year, {call_last}: add the period first",
                call.fund_name
            ),
        )
    })?;
    Ok(Made {
        reference: format!("{}: {}", call.call.name, bid.bid.title),
        period,
        area_code: None,
        recipient: bid.lead_organisation_id,
        recipient_name: bid.lead_name.clone(),
        source: GrantSource::Award { award_id },
        first,
        last,
        ceiling: total,
        ceiling_words: format!("the award of {total} ({})", award.decision_reference),
        profile: Profile {
            projects: vec![Project {
                name: bid.bid.title.clone(),
                source: Source::Award(award_id),
                years: award
                    .amounts
                    .iter()
                    .map(|(y, m)| (*y, YearFunding::firm(*m)))
                    .collect(),
            }],
        },
    })
}
