//! Payments: a schedule per grant (quarterly in arrears on an accepted claim, quarterly in
//! advance, or on milestones); what each payment is for; a payment within the year's firm
//! profile; segregation of duties (whoever submitted or accepted the claim, or raised the
//! request, cannot authorise its payment) and spend authority (a payment above a person's
//! limit needs someone whose limit covers it).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{ArithmeticError, Money, Quarter};

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
    pub const ALL: [Schedule; 3] = [
        Schedule::QuarterlyInArrears,
        Schedule::QuarterlyInAdvance,
        Schedule::Milestones,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::QuarterlyInArrears => "quarterly_in_arrears",
            Schedule::QuarterlyInAdvance => "quarterly_in_advance",
            Schedule::Milestones => "milestones",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Schedule::QuarterlyInArrears => "Quarterly in arrears, on an accepted claim",
            Schedule::QuarterlyInAdvance => "Quarterly in advance",
            Schedule::Milestones => "On milestones",
        }
    }

    /// What the schedule means for the recipient, as the agreement says it.
    pub fn hint(self) -> &'static str {
        match self {
            Schedule::QuarterlyInArrears => {
                "Each quarter's spend is paid once its claim is accepted (the default)"
            }
            Schedule::QuarterlyInAdvance => {
                "A quarter of each year's firm money is paid at the start of each quarter; claims report what was spent"
            }
            Schedule::Milestones => {
                "Agreed amounts are paid as each milestone is met; claims report what was spent"
            }
        }
    }

    pub fn parse(s: &str) -> Result<Schedule, String> {
        Schedule::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "“{s}” is not a payment schedule: choose quarterly_in_arrears, quarterly_in_advance or milestones"
                )
            })
    }

    /// Whether accepting a claim makes a payment request (in arrears only: otherwise claims
    /// report spend and the money moves in advance or on milestones).
    pub fn pays_on_claims(self) -> bool {
        self == Schedule::QuarterlyInArrears
    }
}

/// What a payment pays for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PaymentBasis {
    /// An accepted claim for a quarter (quarterly in arrears).
    Claim { claim_id: i64, quarter: Quarter },
    /// A quarter's money in advance.
    Advance { quarter: Quarter },
    /// A milestone the funder confirmed as met.
    Milestone { milestone_id: i64, title: String },
}

impl PaymentBasis {
    pub fn code(&self) -> &'static str {
        match self {
            PaymentBasis::Claim { .. } => "claim",
            PaymentBasis::Advance { .. } => "advance",
            PaymentBasis::Milestone { .. } => "milestone",
        }
    }

    /// What it pays for, in words: "The claim for Q1 2017/18", "Q2 2017/18 in advance",
    /// "Milestone: Service open in all six boroughs".
    pub fn describe(&self) -> String {
        match self {
            PaymentBasis::Claim { quarter, .. } => format!("The claim for {quarter}"),
            PaymentBasis::Advance { quarter } => format!("{quarter} in advance"),
            PaymentBasis::Milestone { title, .. } => format!("Milestone: {title}"),
        }
    }
}

/// A quarter's advance can be requested from the quarter's first day, never before: the
/// refusal says when.
pub fn advance_refusal(quarter: Quarter, today: NaiveDate) -> Option<String> {
    (today < quarter.first_day()).then(|| {
        format!(
            "{quarter} is paid in advance from {}, when the quarter starts",
            quarter.first_day().format("%-d %B %Y")
        )
    })
}

/// The next quarter to advance: the first of the grant's quarters (its years in order) not
/// yet advanced. Quarters are advanced in order, each once; none when all are.
pub fn next_advance(years: &[crate::FinancialYear], advanced: &[Quarter]) -> Option<Quarter> {
    years
        .iter()
        .flat_map(|y| (1..=4).filter_map(move |n| Quarter::new(*y, n)))
        .find(|q| !advanced.contains(q))
}

/// A quarter's advance: what is left of the year's firm money once the year's earlier
/// payments are counted, split evenly over the year's quarters from this one on (odd pence
/// first). On an unchanged profile the four advances are exactly [`instalments`]; after a
/// variation the quarters left share the new firm money.
pub fn advance_instalment(
    firm: Money,
    committed: Money,
    quarter_number: u8,
) -> Result<Money, ArithmeticError> {
    let left = Money::from_pence((firm.pence() - committed.pence()).max(0));
    let quarters_left = usize::from(5u8.saturating_sub(quarter_number.clamp(1, 4)));
    Ok(left
        .split_evenly(quarters_left)?
        .first()
        .copied()
        .unwrap_or(Money::ZERO))
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

/// The people who handled what a payment is for: who submitted and who accepted its claim or
/// milestone report, or who requested an advance (`accepted_by`; nobody submitted it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled<'a> {
    pub submitted_by: &'a str,
    pub accepted_by: &'a str,
    pub basis: &'a PaymentBasis,
}

/// Segregation of duties and spend authority, in that order.
pub fn check_authoriser(amount: Money, who: &Authoriser, handled: &Handled) -> Result<(), String> {
    let same = |a: &str| !a.is_empty() && a.eq_ignore_ascii_case(who.email);
    let (submitted, accepted) = match handled.basis {
        PaymentBasis::Claim { .. } => ("submitted this claim", "accepted this claim"),
        PaymentBasis::Milestone { .. } => {
            ("reported this milestone met", "confirmed this milestone")
        }
        PaymentBasis::Advance { .. } => ("requested this advance", "requested this advance"),
    };
    for (person, did) in [
        (handled.submitted_by, submitted),
        (handled.accepted_by, accepted),
    ] {
        if same(person) {
            return Err(format!(
                "You {did}, so someone else must authorise its payment: segregation of duties"
            ));
        }
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
    /// Withdrawn before it was authorised, with a reason (it no longer fits the year's firm
    /// profile after a variation, or was requested by mistake): never paid.
    Cancelled,
}

impl PaymentState {
    pub const ALL: [PaymentState; 4] = [
        PaymentState::Requested,
        PaymentState::Authorised,
        PaymentState::Exported,
        PaymentState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Requested => "requested",
            PaymentState::Authorised => "authorised",
            PaymentState::Exported => "exported",
            PaymentState::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentState::Requested => "Waiting for an authoriser",
            PaymentState::Authorised => "Authorised",
            PaymentState::Exported => "Sent to finance",
            PaymentState::Cancelled => "Cancelled",
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
