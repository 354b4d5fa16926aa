//! A quarter's advance on a grant paid quarterly in advance: requested by funder staff from
//! the quarter's first day, quarters in order, each once; the amount is the domain's
//! `advance_instalment` of what is left of the year's firm money.

use lcpf_domain::grant::payment::{self, PaymentBasis, Schedule};
use lcpf_domain::Quarter;
use lcpf_store::queries::grants as q;
use lcpf_store::queries::grants::payments::{self as pq, NewPayment};

use super::{advance_amount, live, next_quarter, AdvanceInput};
use crate::access::{authorise, Permission};
use crate::audit::{self, Change};
use crate::grants::find;
use crate::grants::payments::{row, PaymentRow};
use crate::{Actor, App, AppError, AppResult};

impl App {
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
        let quarter = Quarter::parse(input.quarter.trim()).map_err(|_| {
            AppError::invalid(
                "quarter",
                "Enter the quarter to advance as Q1 to Q4 and its year, for example Q2 2017/18",
            )
        })?;
        let mut tx = self.db().begin().await?;
        q::lock(&mut tx, grant_id).await?;
        let grant = find(&mut tx, grant_id).await?;
        let people = crate::people::people(&mut tx).await?;
        if let Some(done) = pq::advance_of(&mut tx, grant_id, quarter).await? {
            tx.commit().await?;
            return Ok(row(done, &people));
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
        Ok(row(done, &people))
    }
}
