//! Payments: a payment request (from an accepted claim, a quarter's advance or a confirmed
//! milestone) is authorised by funder staff who did not handle what it is for and whose
//! spend authority covers it; authorising is
//! idempotent under a key; authorised payments go to finance in a CSV, each exactly once.
//! Payments never take a year past its firm profile without a variation.

use lcpf_domain::grant::payment::{self as rules, Handled, PaymentBasis, PaymentState};
use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::{FieldErrors, Money};
use lcpf_store::queries::grants::payments::{self as q, PaymentRecord, PaymentsOf};
use lcpf_store::queries::grants::{self as gq};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::find;
use crate::access::{self, authorise, may, Permission};
use crate::audit::{self, Change};
use crate::exports::Cell;
use crate::paging::Pages;
use crate::people::People;
use crate::tag::StateTag;
use crate::{Actor, App, AppError, AppResult};

/// Payments a list shows at a time.
pub const PAYMENTS_PER_PAGE: i64 = 50;

/// Authorising a payment: the key makes a double click or a retried call pay once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct AuthoriseInput {
    /// Any text up to 100 characters, unique to this intent to pay (the form sends one).
    #[serde(default)]
    pub idempotency_key: String,
}

/// A person's spend authority as entered: pounds, or empty for none.
/// Why a payment request is cancelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct CancelInput {
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct SpendAuthorityInput {
    #[serde(default)]
    pub limit: String,
}

impl From<PaymentState> for StateTag {
    fn from(s: PaymentState) -> StateTag {
        StateTag {
            code: s.as_str().into(),
            label: s.label().into(),
            colour: match s {
                PaymentState::Requested => "yellow",
                PaymentState::Authorised => "green",
                PaymentState::Exported => "purple",
                PaymentState::Cancelled => "grey",
            }
            .into(),
        }
    }
}

/// A payment as lists, the claim page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentRow {
    /// The payment's stable key.
    pub id: i64,
    /// `LCPF-PAY-000042`, given when it is authorised.
    pub reference: Option<String>,
    pub grant_id: i64,
    pub grant_reference: String,
    pub payee: String,
    /// `claim`, `advance` or `milestone`.
    pub basis: String,
    /// What it pays for: "The claim for Q1 2017/18", "Q2 2017/18 in advance",
    /// "Milestone: Service open".
    pub for_what: String,
    /// The claim it pays, when it pays one.
    pub claim_id: Option<i64>,
    /// The milestone it pays, when it pays one.
    pub milestone_id: Option<i64>,
    /// The quarter it pays (a milestone's: the quarter it is due in), `Q1 2017/18`.
    pub quarter: String,
    #[schema(value_type = i64)]
    pub amount: Money,
    pub state: StateTag,
    pub requested_by: String,
    pub requested_at: String,
    pub authorised_by: Option<String>,
    pub authorised_at: Option<String>,
    /// The finance export it went in.
    pub export_id: Option<i64>,
    /// A cancelled request: by whom, when and why.
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
}

pub(crate) fn row(p: PaymentRecord, people: &People) -> PaymentRow {
    PaymentRow {
        id: p.id,
        reference: p.reference,
        grant_id: p.grant_id,
        grant_reference: p.grant_reference,
        payee: p.payee,
        basis: p.basis.code().into(),
        for_what: p.basis.describe(),
        claim_id: match p.basis {
            PaymentBasis::Claim { claim_id, .. } => Some(claim_id),
            _ => None,
        },
        milestone_id: match p.basis {
            PaymentBasis::Milestone { milestone_id, .. } => Some(milestone_id),
            _ => None,
        },
        quarter: p.quarter.to_string(),
        amount: p.amount,
        state: p.state.into(),
        requested_by: people.of(&p.requested_by),
        requested_at: p.requested_at,
        authorised_by: p.authorised_by.as_deref().map(|w| people.of(w)),
        authorised_at: p.authorised_at,
        export_id: p.export_id,
        cancelled_by: p.cancelled_by.as_deref().map(|w| people.of(w)),
        cancelled_at: p.cancelled_at,
        cancel_reason: p.cancel_reason,
    }
}

/// Someone who handled what a payment is for, and so may not authorise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HandledBy {
    /// "Claim submitted by", "Milestone confirmed by", "Advance requested by".
    pub what: String,
    pub who: String,
}

/// A payment with whether the actor may authorise it, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentView {
    pub payment: PaymentRow,
    /// Who handled what it is for: none of them may authorise it.
    pub handled_by: Vec<HandledBy>,
    pub may_authorise: bool,
    /// Why the actor cannot authorise it, when it is waiting and they cannot.
    pub refusal: Option<String>,
    /// Whether the actor may cancel it (funder staff, while it waits for an authoriser).
    pub may_cancel: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExportRow {
    pub id: i64,
    pub exported_at: String,
    pub exported_by: String,
    pub payments: i64,
    #[schema(value_type = i64)]
    pub total: Money,
}

/// Payments in one state, and (for `authorised`) what the next export will hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentsPage {
    pub state: String,
    pub rows: Vec<PaymentRow>,
    pub pages: Pages,
    /// How many authorised payments wait for the next export, and their total.
    pub to_export: i64,
    #[schema(value_type = i64)]
    pub to_export_total: Money,
    pub exports: Vec<ExportRow>,
    pub may_export: bool,
}

/// A finance export's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub id: i64,
    pub csv: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuthorityRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    /// None: no spend authority.
    #[schema(value_type = Option<i64>)]
    pub limit: Option<Money>,
}

/// The finance system's columns, in its order.
pub const EXPORT_COLUMNS: [&str; 7] = [
    "Payee",
    "Org-id",
    "Grant reference",
    "Cost centre",
    "Amount",
    "Date",
    "Payment reference",
];

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

fn handled(p: &PaymentRecord) -> Handled<'_> {
    Handled {
        submitted_by: &p.submitted_by,
        accepted_by: &p.accepted_by,
        basis: &p.basis,
    }
}

fn handled_by(p: &PaymentRecord, people: &People) -> Vec<HandledBy> {
    let (submitted, accepted) = match p.basis {
        PaymentBasis::Claim { .. } => ("Claim submitted by", "Claim accepted by"),
        PaymentBasis::Milestone { .. } => ("Milestone reported met by", "Milestone confirmed by"),
        PaymentBasis::Advance { .. } => ("", "Advance requested by"),
    };
    [(submitted, &p.submitted_by), (accepted, &p.accepted_by)]
        .into_iter()
        .filter(|(what, who)| !what.is_empty() && !who.is_empty())
        .map(|(what, who)| HandledBy {
            what: what.into(),
            who: people.of(who),
        })
        .collect()
}

fn key_of(input: &AuthoriseInput) -> AppResult<String> {
    let key = input.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > 100 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "idempotency_key",
            "Send an idempotency key: 1 to 100 letters, digits or punctuation, the same on a retry",
        ));
    }
    Ok(key.to_string())
}

impl App {
    /// Payments in one state for funder staff: `requested` (waiting for an authoriser, the
    /// default), `authorised` (for the next finance export) or `exported`.
    pub async fn payments_page(
        &self,
        actor: &Actor,
        state: &str,
        page: u32,
    ) -> AppResult<PaymentsPage> {
        authorise(actor, Permission::ReviewClaims)?;
        let state = match state {
            "" => PaymentState::Requested,
            s => PaymentState::parse(s).map_err(|_| {
                AppError::invalid(
                    "state",
                    "Choose which payments to show: requested, authorised or exported",
                )
            })?,
        };
        let mut tx = self.db().begin_read().await?;
        let offset = i64::from(page.max(1) - 1) * PAYMENTS_PER_PAGE;
        let rows =
            q::payments_page(&mut tx, PaymentsOf::State(state), PAYMENTS_PER_PAGE, offset).await?;
        let total = q::count_payments(&mut tx, PaymentsOf::State(state)).await?;
        let waiting = q::unexported(&mut tx).await?;
        let exports = q::exports(&mut tx, 20).await?;
        let people = crate::people::people(&mut tx).await?;
        tx.commit().await?;
        Ok(PaymentsPage {
            state: state.as_str().into(),
            rows: rows.into_iter().map(|p| row(p, &people)).collect(),
            pages: Pages::of(page, total, PAYMENTS_PER_PAGE),
            to_export: waiting.len() as i64,
            to_export_total: Money::from_pence(waiting.iter().map(|p| p.amount.pence()).sum()),
            exports: exports
                .into_iter()
                .map(|e| ExportRow {
                    id: e.id,
                    exported_at: e.exported_at,
                    exported_by: people.of(&e.exported_by),
                    payments: e.payments,
                    total: e.total,
                })
                .collect(),
            may_export: may(actor, Permission::ExportPayments),
        })
    }

    /// A grant's payments, for funder staff and the recipient's own officers.
    pub async fn grant_payments(&self, actor: &Actor, grant_id: i64) -> AppResult<Vec<PaymentRow>> {
        let mut tx = self.db().begin_read().await?;
        let grant = find(&mut tx, grant_id).await?;
        authorise(
            actor,
            Permission::ViewGrant {
                organisation_id: grant.recipient_organisation_id,
            },
        )?;
        let rows = q::payments_page(&mut tx, PaymentsOf::Grant(grant_id), 1000, 0).await?;
        let people = crate::people::people(&mut tx).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|p| row(p, &people)).collect())
    }

    /// A payment, for funder staff, with whether they may authorise it and why not.
    pub async fn payment(&self, actor: &Actor, id: i64) -> AppResult<PaymentView> {
        authorise(actor, Permission::ReviewClaims)?;
        let mut tx = self.db().begin_read().await?;
        let p = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        let limit = match actor.user_id() {
            Some(u) => q::spend_authority(&mut tx, u).await?,
            None => None,
        };
        let people = crate::people::people(&mut tx).await?;
        tx.commit().await?;
        let refusal = match p.state {
            PaymentState::Requested => {
                access::authorise_payment(actor, p.amount, limit, &handled(&p))
                    .err()
                    .map(|e| e.to_string())
            }
            _ => None,
        };
        Ok(PaymentView {
            handled_by: handled_by(&p, &people),
            may_authorise: p.state == PaymentState::Requested && refusal.is_none(),
            may_cancel: p.state == PaymentState::Requested && may(actor, Permission::ManageGrants),
            refusal,
            payment: row(p, &people),
        })
    }

    /// Authorises a payment (funder staff who neither submitted nor accepted its claim, within
    /// their spend authority), keeping the year's payments within its firm profile. The same
    /// idempotency key again returns the payment as authorised the first time, and pays once.
    pub async fn authorise_payment(
        &self,
        actor: &Actor,
        id: i64,
        input: &AuthoriseInput,
    ) -> AppResult<PaymentRow> {
        authorise(actor, Permission::AuthorisePayments)?;
        let key = key_of(input)?;
        let mut tx = self.db().begin().await?;
        let p = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        gq::lock(&mut tx, p.grant_id).await?;
        let people = crate::people::people(&mut tx).await?;
        if let Some(done) = q::payment_by_key(&mut tx, &key).await? {
            if done.id == id {
                tx.commit().await?;
                return Ok(row(done, &people));
            }
            return Err(AppError::invalid(
                "idempotency_key",
                "This idempotency key was used to authorise a different payment: send a new key for each payment",
            ));
        }
        let p = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        if p.state != PaymentState::Requested {
            return Err(AppError::Forbidden(format!(
                "This payment was already authorised by {}: it is paid once",
                p.authorised_by
                    .as_deref()
                    .map(|w| people.of(w))
                    .unwrap_or_default()
            )));
        }
        let limit = match actor.user_id() {
            Some(u) => q::spend_authority(&mut tx, u).await?,
            None => None,
        };
        access::authorise_payment(actor, p.amount, limit, &handled(&p))?;
        let grant = find(&mut tx, p.grant_id).await?;
        if grant.state != GrantState::Live {
            return Err(AppError::Forbidden(format!(
                "{} is {}: payments are made on live grants only",
                grant.reference,
                grant.state.label().to_lowercase()
            )));
        }
        let firm = grant.profile.firm_in(p.year).map_err(internal)?;
        let paid = q::paid(&mut tx, grant.id)
            .await?
            .paid
            .get(&p.year)
            .copied()
            .unwrap_or(Money::ZERO);
        rules::check_within_profile(&p.year.to_string(), firm, paid, p.amount)
            .map_err(AppError::Forbidden)?;
        let reference = rules::reference(id);
        let now = lcpf_store::now();
        if !q::authorise_payment(&mut tx, id, &key, &reference, &now, &actor.label()).await? {
            return Err(AppError::Conflict {
                message: "Someone else authorised this payment first: it is paid once".into(),
                changes: Vec::new(),
            });
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "authorise",
                entity_type: "payment",
                entity_id: id.to_string(),
                summary: format!(
                    "Authorised {reference}: {} to {} for {} of {}",
                    p.amount,
                    p.payee,
                    p.basis.describe().to_lowercase(),
                    p.grant_reference
                ),
                before: Some(&p.state.as_str()),
                after: Some(&PaymentState::Authorised.as_str()),
            },
        )
        .await?;
        let done = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        tx.commit().await?;
        Ok(row(done, &people))
    }

    /// Cancels a payment request before it is authorised (funder staff), with a reason: one
    /// that no longer fits the year's firm profile after a variation, or was made by
    /// mistake. It is never paid, holds no money back, and the period can then close.
    pub async fn cancel_payment(
        &self,
        actor: &Actor,
        id: i64,
        input: &CancelInput,
    ) -> AppResult<PaymentRow> {
        authorise(actor, Permission::ManageGrants)?;
        let reason = lcpf_domain::field::required_text(
            &input.reason,
            "the reason for cancelling the payment request",
            2000,
        )
        .map_err(|m| AppError::invalid("reason", m))?;
        let mut tx = self.db().begin().await?;
        let grant_id = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?
            .grant_id;
        gq::lock(&mut tx, grant_id).await?;
        let people = crate::people::people(&mut tx).await?;
        let p = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        if !q::cancel_payment(&mut tx, id, &lcpf_store::now(), &actor.label(), &reason).await? {
            return Err(AppError::Forbidden(format!(
                "This payment is {}: only a request waiting for an authoriser can be cancelled",
                p.state.label().to_lowercase()
            )));
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "cancel",
                entity_type: "payment",
                entity_id: id.to_string(),
                summary: format!(
                    "Cancelled the payment request of {} to {} for {} of {}: {reason}",
                    p.amount,
                    p.payee,
                    p.basis.describe().to_lowercase(),
                    p.grant_reference
                ),
                before: Some(&p.state.as_str()),
                after: Some(&PaymentState::Cancelled.as_str()),
            },
        )
        .await?;
        let done = q::payment(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The payment".into()))?;
        tx.commit().await?;
        Ok(row(done, &people))
    }

    /// Exports every authorised payment not yet exported as a CSV for the finance system, and
    /// marks each as exported, exactly once (funder staff). Refused when there is nothing new.
    pub async fn export_payments(&self, actor: &Actor) -> AppResult<ExportFile> {
        authorise(actor, Permission::ExportPayments)?;
        let mut tx = self.db().begin().await?;
        let waiting = q::unexported(&mut tx).await?;
        if waiting.is_empty() {
            return Err(AppError::invalid(
                "export",
                "There are no authorised payments waiting to be exported: each payment is exported once",
            ));
        }
        let rows: Vec<Vec<Cell>> = waiting
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.payee.clone()),
                    Cell::Text(p.payee_org_id.clone().unwrap_or_default()),
                    Cell::Text(p.grant_reference.clone()),
                    Cell::Text(p.cost_centre.clone()),
                    Cell::Money(p.amount.pence()),
                    Cell::Text(
                        p.authorised_at
                            .as_deref()
                            .map(|t| t.get(..10).unwrap_or(t).to_string())
                            .unwrap_or_default(),
                    ),
                    Cell::Text(p.reference.clone().unwrap_or_default()),
                ]
            })
            .collect();
        let bytes = crate::exports::csv(&EXPORT_COLUMNS, &rows)?;
        let csv = String::from_utf8(bytes).map_err(internal)?;
        let total = Money::from_pence(waiting.iter().map(|p| p.amount.pence()).sum());
        let ids: Vec<i64> = waiting.iter().map(|p| p.id).collect();
        let (export, marked) = q::insert_export(
            &mut tx,
            &ids,
            total,
            &csv,
            &lcpf_store::now(),
            &actor.label(),
        )
        .await?;
        if marked != ids.len() as u64 {
            return Err(AppError::Conflict {
                message: "Someone else exported some of these payments first: nothing was exported; try again".into(),
                changes: Vec::new(),
            });
        }
        audit::record(
            &mut tx,
            actor,
            Change::<(), Vec<i64>> {
                action: "export",
                entity_type: "finance_export",
                entity_id: export.to_string(),
                summary: format!(
                    "Exported {} payments totalling {total} for the finance system",
                    ids.len()
                ),
                before: None,
                after: Some(&ids),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ExportFile { id: export, csv })
    }

    /// An earlier finance export's file, exactly as first produced (funder staff).
    pub async fn finance_export(&self, actor: &Actor, id: i64) -> AppResult<ExportFile> {
        authorise(actor, Permission::ExportPayments)?;
        let mut tx = self.db().begin_read().await?;
        let csv = q::export_csv(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The finance export".into()))?;
        tx.commit().await?;
        Ok(ExportFile { id, csv })
    }

    /// Funder staff and their spend authority (funder admin).
    pub async fn spend_authorities(&self, actor: &Actor) -> AppResult<Vec<AuthorityRow>> {
        authorise(actor, Permission::SetSpendAuthority)?;
        let mut tx = self.db().begin_read().await?;
        let rows = q::authorities(&mut tx).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|a| AuthorityRow {
                user_id: a.user_id,
                name: a.name,
                email: a.email,
                role: lcpf_domain::Role::parse(&a.role)
                    .map(|r| r.label().to_string())
                    .unwrap_or(a.role),
                limit: a.limit,
            })
            .collect())
    }

    /// Sets a funder user's spend authority (funder admin): the most they may authorise in one
    /// payment, or none.
    pub async fn set_spend_authority(
        &self,
        actor: &Actor,
        user_id: i64,
        input: &SpendAuthorityInput,
    ) -> AppResult<()> {
        authorise(actor, Permission::SetSpendAuthority)?;
        // Delegated authority is set by someone else: a funder admin never raises (or
        // changes) their own limit.
        if actor.user_id() == Some(user_id) {
            return Err(AppError::Forbidden(
                "Nobody changes their own spend authority: another funder admin sets yours".into(),
            ));
        }
        let limit =
            match input.limit.trim() {
                "" => None,
                text => {
                    let mut e = FieldErrors::new();
                    let m = e.check("limit", Money::parse(text));
                    e.into_result()?;
                    match m {
                        Some(m) if m.pence() > 0 => Some(m),
                        _ => return Err(AppError::invalid(
                            "limit",
                            "Enter a spend authority of more than £0, or leave it empty for none",
                        )),
                    }
                }
            };
        let mut tx = self.db().begin().await?;
        let Some(person) = q::authorities(&mut tx)
            .await?
            .into_iter()
            .find(|a| a.user_id == user_id)
        else {
            return Err(AppError::NotFound("The funder user".into()));
        };
        q::set_spend_authority(&mut tx, user_id, limit).await?;
        let words = |m: Option<Money>| m.map_or("none".to_string(), |m| m.to_string());
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "user",
                entity_id: user_id.to_string(),
                summary: format!(
                    "Set {}'s spend authority to {} (was {})",
                    person.name,
                    words(limit),
                    words(person.limit)
                ),
                before: Some(&person.limit.map(|m| m.pence())),
                after: Some(&limit.map(|m| m.pence())),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
