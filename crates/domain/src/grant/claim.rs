//! Claims: each quarter, once it has ended, the recipient reports actual spend per project
//! (revenue and capital) with a narrative and evidence; the funder accepts it or returns it
//! with comments. An accepted claim becomes a payment request.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::profile::Profile;
use crate::{ArithmeticError, Money, Quarter};

/// A quarter's claim opens the day after the quarter ends (as in the GLA's system), never
/// before: the refusal says when.
pub fn opens_on(quarter: Quarter) -> NaiveDate {
    quarter.last_day().succ_opt().unwrap_or(NaiveDate::MAX)
}

pub fn open_refusal(quarter: Quarter, today: NaiveDate) -> Option<String> {
    let opens = opens_on(quarter);
    (today < opens).then(|| {
        format!(
            "A claim for {quarter} opens on {}, once the quarter has ended",
            opens.format("%-d %B %Y")
        )
    })
}

/// One project's actual spend in the quarter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    pub revenue: Money,
    pub capital: Money,
}

impl Spend {
    pub fn total(&self) -> Result<Money, ArithmeticError> {
        self.revenue.checked_add(self.capital)
    }
}

/// What a claim reports: spend by project (index in the profile), and what happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub spend: BTreeMap<usize, Spend>,
    pub narrative: String,
}

impl Claim {
    pub fn total(&self) -> Result<Money, ArithmeticError> {
        let mut sum = Money::ZERO;
        for s in self.spend.values() {
            sum = sum.checked_add(s.total()?)?;
        }
        Ok(sum)
    }
}

/// Every problem with a claim against its grant's profile: projects that are the grant's, no
/// negative spend, a narrative. Spend over the profile is allowed to be reported (it is what
/// happened), but is said, since payment never passes the profile.
pub fn problems(
    profile: &Profile,
    quarter: Quarter,
    claim: &Claim,
    claimed_before_in_year: Money,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (i, s) in &claim.spend {
        let field = format!("spend[{i}]");
        match profile.projects.get(*i) {
            None => errors.push((
                field,
                format!("Project {} is not one of the grant's projects", i + 1),
            )),
            Some(p) if s.revenue.is_negative() || s.capital.is_negative() => errors.push((
                field,
                format!(
                    "{}: spend cannot be negative; report a refund as a note",
                    p.name
                ),
            )),
            Some(_) => {}
        }
    }
    if claim.narrative.trim().is_empty() {
        errors.push((
            "narrative".into(),
            "Say what was done with the money this quarter".into(),
        ));
    }
    if let (Ok(total), Ok(firm)) = (claim.total(), profile.firm_in(quarter.year())) {
        let to_date =
            Money::from_pence(claimed_before_in_year.pence().saturating_add(total.pence()));
        if to_date > firm {
            warnings.push(format!(
                "Claims for {} come to {to_date}, more than its firm profile of {firm}: payments stop at the profile unless the grant is varied",
                quarter.year()
            ));
        }
    }
    (errors, warnings)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Draft,
    Submitted,
    /// Sent back with comments; the recipient changes it and submits again.
    Returned,
    /// Accepted: a payment request follows.
    Accepted,
}

impl ClaimState {
    pub const ALL: [ClaimState; 4] = [
        ClaimState::Draft,
        ClaimState::Submitted,
        ClaimState::Returned,
        ClaimState::Accepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Draft => "draft",
            ClaimState::Submitted => "submitted",
            ClaimState::Returned => "returned",
            ClaimState::Accepted => "accepted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimState::Draft => "Draft",
            ClaimState::Submitted => "Submitted",
            ClaimState::Returned => "Returned",
            ClaimState::Accepted => "Accepted",
        }
    }

    pub fn parse(s: &str) -> Result<ClaimState, String> {
        ClaimState::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a claim state"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimEvent {
    Edit,
    Submit,
    Return,
    Accept,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimParty {
    Recipient,
    Funder,
}

impl ClaimEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimEvent::Edit => "edit",
            ClaimEvent::Submit => "submit",
            ClaimEvent::Return => "return",
            ClaimEvent::Accept => "accept",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimEvent::Edit => "Change the claim",
            ClaimEvent::Submit => "Submit the claim",
            ClaimEvent::Return => "Return it with comments",
            ClaimEvent::Accept => "Accept the claim",
        }
    }
}

impl ClaimParty {
    pub fn label(self) -> &'static str {
        match self {
            ClaimParty::Recipient => "The recipient's officer",
            ClaimParty::Funder => "A funder officer",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimMove {
    pub from: ClaimState,
    pub event: ClaimEvent,
    pub by: ClaimParty,
    pub to: ClaimState,
}

const fn mv(from: ClaimState, event: ClaimEvent, by: ClaimParty, to: ClaimState) -> ClaimMove {
    ClaimMove {
        from,
        event,
        by,
        to,
    }
}

pub const MOVES: &[ClaimMove] = &[
    mv(
        ClaimState::Draft,
        ClaimEvent::Edit,
        ClaimParty::Recipient,
        ClaimState::Draft,
    ),
    mv(
        ClaimState::Draft,
        ClaimEvent::Submit,
        ClaimParty::Recipient,
        ClaimState::Submitted,
    ),
    mv(
        ClaimState::Returned,
        ClaimEvent::Edit,
        ClaimParty::Recipient,
        ClaimState::Returned,
    ),
    mv(
        ClaimState::Returned,
        ClaimEvent::Submit,
        ClaimParty::Recipient,
        ClaimState::Submitted,
    ),
    mv(
        ClaimState::Submitted,
        ClaimEvent::Return,
        ClaimParty::Funder,
        ClaimState::Returned,
    ),
    mv(
        ClaimState::Submitted,
        ClaimEvent::Accept,
        ClaimParty::Funder,
        ClaimState::Accepted,
    ),
];

/// The one place a claim's state changes, or why it cannot.
pub fn transition(
    state: ClaimState,
    event: ClaimEvent,
    by: ClaimParty,
) -> Result<ClaimMove, String> {
    MOVES
        .iter()
        .find(|m| m.from == state && m.event == event && m.by == by)
        .copied()
        .ok_or_else(|| match (state, by) {
            (ClaimState::Accepted, _) => {
                "This claim has been accepted: it cannot change".to_string()
            }
            (ClaimState::Submitted, ClaimParty::Recipient) => {
                "This claim is with the funder: wait for it to be accepted or returned".to_string()
            }
            (_, ClaimParty::Funder) => "Only a submitted claim is accepted or returned".to_string(),
            _ => "Only the funder accepts or returns a claim".to_string(),
        })
}

/// The moves as the table in `docs/claims-and-payments.md` shows them.
pub fn moves_table() -> String {
    crate::workflow::table(
        ["from", "event", "by", "to"],
        MOVES.iter().map(|m| {
            [
                m.from.as_str(),
                m.event.as_str(),
                m.by.label(),
                m.to.as_str(),
            ]
        }),
    )
}

#[cfg(test)]
mod docs {
    /// `docs/claims-and-payments.md` shows the moves between `<!-- moves -->` markers; they
    /// must be the code's.
    #[test]
    fn the_docs_table_is_the_code() {
        let doc = include_str!("../../../../docs/claims-and-payments.md");
        let shown = crate::workflow::documented(doc)
            .expect("docs/claims-and-payments.md has the moves table between its markers");
        assert_eq!(shown, super::moves_table());
    }
}
