//! Payments: a schedule per grant; a payment within the year's firm profile; segregation of
//! duties (whoever submitted or accepted the claim cannot authorise its payment) and spend
//! authority (a payment above a person's limit needs someone whose limit covers it).

use serde::{Deserialize, Serialize};

use crate::{ArithmeticError, Money};

/// When a grant is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Each quarter, after its claim is accepted (the default).
    QuarterlyInArrears,
    /// A quarter of each year's firm money at the start of each quarter.
    QuarterlyInAdvance,
    /// On agreed milestones.
    Milestones,
}

impl Schedule {
    pub fn label(self) -> &'static str {
        match self {
            Schedule::QuarterlyInArrears => "Quarterly in arrears, on an accepted claim",
            Schedule::QuarterlyInAdvance => "Quarterly in advance",
            Schedule::Milestones => "On milestones",
        }
    }
}

/// A year's firm money in four instalments that add up to it exactly (the odd pence in the
/// first quarters).
pub fn instalments(year_firm: Money) -> Result<Vec<Money>, ArithmeticError> {
    year_firm.split_evenly(4)
}

/// Refuses a payment that would take the year's payments past its firm profile, with the
/// figures: a variation is needed first.
pub fn check_within_profile(
    year: &str,
    firm: Money,
    paid_so_far: Money,
    this: Money,
) -> Result<(), String> {
    if this.pence() <= 0 {
        return Err("A payment must be more than £0".into());
    }
    let after = Money::from_pence(paid_so_far.pence().saturating_add(this.pence()));
    if after > firm {
        return Err(format!(
            "Paying {this} would bring {year}'s payments to {after}, more than its firm profile of {firm}: {paid_so_far} is paid, so at most {} can be paid without a variation",
            Money::from_pence((firm.pence() - paid_so_far.pence()).max(0))
        ));
    }
    Ok(())
}

/// Who is asking to authorise, and their spend authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authoriser<'a> {
    pub email: &'a str,
    /// The most they may authorise in one payment; none: no authority.
    pub limit: Option<Money>,
}

/// The people who handled the claim behind a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled<'a> {
    pub submitted_by: &'a str,
    pub accepted_by: &'a str,
}

/// Segregation of duties and spend authority, in that order.
pub fn check_authoriser(amount: Money, who: &Authoriser, claim: &Handled) -> Result<(), String> {
    let same = |a: &str| a.eq_ignore_ascii_case(who.email);
    if same(claim.submitted_by) {
        return Err("You submitted this claim, so someone else must authorise its payment: segregation of duties".into());
    }
    if same(claim.accepted_by) {
        return Err("You accepted this claim, so someone else must authorise its payment: segregation of duties".into());
    }
    match who.limit {
        None => Err("You have no spend authority: a funder admin sets each person's limit".into()),
        Some(limit) if amount > limit => Err(format!(
            "This payment of {amount} is above your spend authority of {limit}: someone whose limit covers it must authorise it"
        )),
        Some(_) => Ok(()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Made from an accepted claim, waiting for an authoriser.
    Requested,
    /// Authorised: goes in the next finance export.
    Authorised,
    /// In a finance export (exactly once).
    Exported,
}

impl PaymentState {
    pub const ALL: [PaymentState; 3] = [
        PaymentState::Requested,
        PaymentState::Authorised,
        PaymentState::Exported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Requested => "requested",
            PaymentState::Authorised => "authorised",
            PaymentState::Exported => "exported",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentState::Requested => "Waiting for an authoriser",
            PaymentState::Authorised => "Authorised",
            PaymentState::Exported => "Sent to finance",
        }
    }

    pub fn parse(s: &str) -> Result<PaymentState, String> {
        PaymentState::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a payment state"))
    }
}

/// What an accepted claim asks to be paid: what it claims, but never past what is left of the
/// year's firm profile once other payments are counted. The rest needs a variation first.
pub fn payable(claimed: Money, firm: Money, committed: Money) -> Money {
    let left = (firm.pence() - committed.pence()).max(0);
    Money::from_pence(claimed.pence().clamp(0, left))
}

/// A payment's reference for the finance system: `LCPF-PAY-000042`.
pub fn reference(id: i64) -> String {
    format!("LCPF-PAY-{id:06}")
}
