//! A claim's moves: the recipient submits it; a funder officer who did not submit it returns
//! it with comments or accepts it, which (on a grant paid in arrears) makes its payment
//! request, never past the year's firm profile.

use lcpf_domain::grant::claim::{ClaimEvent, ClaimState};
use lcpf_domain::grant::payment;
use lcpf_domain::Money;
use lcpf_store::queries::grants::claims::{self as q};
use lcpf_store::queries::grants::payments as pq;

use super::{checked, claimed_before, domain_claim, live, locked_claim, next_state, ClaimStep};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

impl App {
    /// Moves a claim: the recipient submits it (a narrative is needed); a funder officer who
    /// did not submit it accepts it — making its payment request, never past the year's firm
    /// profile — or returns it with comments.
    pub async fn claim_step(
        &self,
        actor: &Actor,
        id: i64,
        step: &ClaimStep,
    ) -> AppResult<ClaimState> {
        let event = match step.event.as_str() {
            "submit" => ClaimEvent::Submit,
            "accept" => ClaimEvent::Accept,
            "return" => ClaimEvent::Return,
            _ => {
                return Err(AppError::invalid(
                    "event",
                    "Choose what to do with the claim: submit, accept or return",
                ))
            }
        };
        let mut tx = self.db().begin().await?;
        let (claim, grant) = locked_claim(&mut tx, id).await?;
        let to = next_state(actor, &grant, &claim, event)?;
        live(&grant)?;
        let comments = match event {
            ClaimEvent::Return => Some(
                lcpf_domain::field::required_text(
                    &step.comments,
                    "comments saying what to put right",
                    5000,
                )
                .map_err(|m| AppError::invalid("comments", m))?,
            ),
            _ => None,
        };
        if event == ClaimEvent::Submit {
            let before = claimed_before(&mut tx, grant.id, claim.quarter).await?;
            checked(
                &grant,
                claim.quarter,
                &domain_claim(&grant, &claim.spend, &claim.narrative),
                before,
                true,
            )?;
            if claim.spend.is_empty() {
                return Err(AppError::invalid(
                    "spend",
                    "Enter the spend on at least one project before submitting: a claim for nothing is not made",
                ));
            }
        }
        let now = lcpf_store::now();
        if !q::set_claim_state(
            &mut tx,
            id,
            claim.state,
            to,
            comments.as_deref(),
            &now,
            &actor.label(),
        )
        .await?
        {
            return Err(AppError::Conflict {
                message: "Someone else moved this claim first: nothing was changed".into(),
                changes: Vec::new(),
            });
        }
        let mut summary = match event {
            ClaimEvent::Submit => format!(
                "Submitted the claim for {} of {}",
                claim.quarter, grant.reference
            ),
            ClaimEvent::Return => format!(
                "Returned the claim for {} of {}",
                claim.quarter, grant.reference
            ),
            _ => format!(
                "Accepted the claim for {} of {}",
                claim.quarter, grant.reference
            ),
        };
        if event == ClaimEvent::Accept && !grant.schedule.pays_on_claims() {
            summary.push_str(&format!(
                ": {} is paid {}, so no payment follows the claim",
                grant.reference,
                grant.schedule.label().to_lowercase()
            ));
        } else if event == ClaimEvent::Accept {
            let total =
                Money::checked_sum(claim.spend.values().flat_map(|s| [s.revenue, s.capital]))
                    .map_err(|e| AppError::invalid("spend", e.to_string()))?;
            match request_claim_payment(&mut tx, &grant, id, claim.quarter, total, &now, actor)
                .await?
            {
                Some((payment, amount)) => summary.push_str(&format!(
                    ": payment request {} for {amount}",
                    payment::reference(payment)
                )),
                None => summary.push_str(": nothing is payable within the year's firm profile"),
            }
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                action: event.as_str(),
                entity_type: "claim",
                entity_id: id.to_string(),
                summary,
                before: Some(&claim.state.as_str()),
                after: Some(&to.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }
}

/// Requests the payment an accepted claim is due: what it claims, within what is left of its
/// year's firm profile. None when nothing is payable (the year provisional, or its firm money
/// already paid or committed). Called when a claim is accepted, and again for claims accepted
/// with nothing payable once their year is confirmed as firm.
pub(crate) async fn request_claim_payment(
    conn: &mut lcpf_store::AnyConnection,
    grant: &lcpf_store::queries::grants::GrantRecord,
    claim_id: i64,
    quarter: lcpf_domain::Quarter,
    claimed: Money,
    now: &str,
    actor: &Actor,
) -> AppResult<Option<(i64, Money)>> {
    let year = quarter.year();
    let firm = grant
        .profile
        .firm_in(year)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let committed = pq::paid(conn, grant.id)
        .await?
        .committed
        .get(&year)
        .copied()
        .unwrap_or(Money::ZERO);
    let amount = payment::payable(claimed, firm, committed);
    if amount.pence() <= 0 {
        return Ok(None);
    }
    let basis = payment::PaymentBasis::Claim { claim_id, quarter };
    let payment = pq::insert_payment(
        conn,
        &pq::NewPayment {
            grant_id: grant.id,
            basis: &basis,
            quarter,
            year,
            amount,
        },
        now,
        &actor.label(),
    )
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the claim already has a payment")))?;
    Ok(Some((payment, amount)))
}
