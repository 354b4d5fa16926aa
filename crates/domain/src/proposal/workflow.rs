//! How a proposal version moves through its life, as data: a state, the events that move
//! it, who may cause each, and one [`transition`] that every page, API call and use case
//! goes through. `docs/proposals.md` shows [`MOVES`] as a table; a test keeps them in step.
//!
//! Later workflows (bids, assessments, grants, claims, payments, returns) are built the same
//! way: an enum of states, an enum of events, the parties, one table of moves, one function.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a proposal version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// Being written by the borough; the only state in which lines change.
    Draft,
    /// Sent to the funder for review; frozen.
    Submitted,
    /// Sent back by the funder with a comment; the borough's next draft starts from it.
    Returned,
    /// Agreed by the funder: what grants and payments point at.
    Approved,
}

impl VersionState {
    pub const ALL: [VersionState; 4] = [
        VersionState::Draft,
        VersionState::Submitted,
        VersionState::Returned,
        VersionState::Approved,
    ];

    /// The word stored and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::Submitted => "submitted",
            VersionState::Returned => "returned",
            VersionState::Approved => "approved",
        }
    }

    /// The state as people read it.
    pub fn label(self) -> &'static str {
        match self {
            VersionState::Draft => "Draft",
            VersionState::Submitted => "Submitted",
            VersionState::Returned => "Returned",
            VersionState::Approved => "Approved",
        }
    }
}

impl fmt::Display for VersionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VersionState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersionState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a proposal state"))
    }
}

/// What someone does to a proposal's latest version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalEvent {
    /// Add, change, remove or import lines.
    Edit,
    /// Send the draft to the funder (only with no problems).
    Submit,
    /// Send a submitted version back with a comment.
    Return,
    /// Agree a submitted version (the rules are checked again).
    Approve,
    /// Start a variation of an approved proposal, with a reason.
    Vary,
}

impl ProposalEvent {
    pub const ALL: [ProposalEvent; 5] = [
        ProposalEvent::Edit,
        ProposalEvent::Submit,
        ProposalEvent::Return,
        ProposalEvent::Approve,
        ProposalEvent::Vary,
    ];

    /// The word in addresses (`/proposals/{id}/submit`) and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalEvent::Edit => "edit",
            ProposalEvent::Submit => "submit",
            ProposalEvent::Return => "return",
            ProposalEvent::Approve => "approve",
            ProposalEvent::Vary => "variation",
        }
    }
}

impl FromStr for ProposalEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProposalEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not something that can be done to a proposal"))
    }
}

/// Who acts on a proposal, as the workflow sees them. Which person is which party for a
/// given borough is decided by `lcpf_app::access`; the workflow says what each party may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The borough's own officers.
    Borough,
    /// The funder's staff.
    Funder,
}

impl Party {
    pub fn label(self) -> &'static str {
        match self {
            Party::Borough => "the borough",
            Party::Funder => "the funder",
        }
    }
}

/// One allowed move: from a state, an event by a party, to a state; some moves also start a
/// new draft version (copied from this one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub from: VersionState,
    pub event: ProposalEvent,
    pub by: Party,
    pub to: VersionState,
    pub starts_new_draft: bool,
}

/// Every move a proposal version can make. Anything else is refused.
pub const MOVES: &[Move] = &[
    Move {
        from: VersionState::Draft,
        event: ProposalEvent::Edit,
        by: Party::Borough,
        to: VersionState::Draft,
        starts_new_draft: false,
    },
    Move {
        from: VersionState::Draft,
        event: ProposalEvent::Submit,
        by: Party::Borough,
        to: VersionState::Submitted,
        starts_new_draft: false,
    },
    Move {
        from: VersionState::Submitted,
        event: ProposalEvent::Return,
        by: Party::Funder,
        to: VersionState::Returned,
        starts_new_draft: true,
    },
    Move {
        from: VersionState::Submitted,
        event: ProposalEvent::Approve,
        by: Party::Funder,
        to: VersionState::Approved,
        starts_new_draft: false,
    },
    Move {
        from: VersionState::Approved,
        event: ProposalEvent::Vary,
        by: Party::Borough,
        to: VersionState::Approved,
        starts_new_draft: true,
    },
];

/// Why a move is refused, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// The one place a version's state changes: `state` moves on by `event` done by `by`, or is
/// refused with the reason.
pub fn transition(state: VersionState, event: ProposalEvent, by: Party) -> Result<Move, Refusal> {
    if let Some(m) = MOVES
        .iter()
        .find(|m| m.from == state && m.event == event && m.by == by)
    {
        return Ok(*m);
    }
    // Said by what would have made it possible: the right party, or the right state.
    let for_event: Vec<&Move> = MOVES.iter().filter(|m| m.event == event).collect();
    if !for_event.is_empty() && for_event.iter().all(|m| m.by != by) {
        let party = for_event[0].by;
        return Err(Refusal(format!(
            "Only {} can {} a proposal",
            party.label(),
            verb(event)
        )));
    }
    Err(Refusal(match (event, state) {
        (ProposalEvent::Edit, VersionState::Submitted) => {
            "This version has been submitted, so it cannot be changed: wait for the funder's review".into()
        }
        (ProposalEvent::Edit, VersionState::Approved) => {
            "This proposal is approved, so it cannot be changed: start a variation to change it"
                .into()
        }
        (ProposalEvent::Vary, _) => {
            "Only an approved proposal can be varied; until then, change the draft or wait for the funder's review".into()
        }
        (ProposalEvent::Return | ProposalEvent::Approve, VersionState::Draft) => {
            "There is no submitted version waiting for review: the borough is still drafting"
                .into()
        }
        _ => format!(
            "A {} version cannot be {}",
            state.label().to_lowercase(),
            past(event)
        ),
    }))
}

fn verb(event: ProposalEvent) -> &'static str {
    match event {
        ProposalEvent::Edit => "change",
        ProposalEvent::Submit => "submit",
        ProposalEvent::Return => "return",
        ProposalEvent::Approve => "approve",
        ProposalEvent::Vary => "vary",
    }
}

fn past(event: ProposalEvent) -> &'static str {
    match event {
        ProposalEvent::Edit => "changed",
        ProposalEvent::Submit => "submitted",
        ProposalEvent::Return => "returned",
        ProposalEvent::Approve => "approved",
        ProposalEvent::Vary => "varied",
    }
}

/// The moves as the Markdown table in `docs/proposals.md`.
pub fn moves_table() -> String {
    crate::workflow::table(
        ["from", "event", "by", "to", "starts a new draft"],
        MOVES.iter().map(|m| {
            [
                m.from.as_str(),
                m.event.as_str(),
                m.by.label(),
                m.to.as_str(),
                if m.starts_new_draft { "yes" } else { "no" },
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_life_of_a_proposal() {
        use ProposalEvent::*;
        use VersionState::*;
        let m = transition(Draft, Submit, Party::Borough).unwrap();
        assert_eq!((m.to, m.starts_new_draft), (Submitted, false));
        let m = transition(Submitted, Return, Party::Funder).unwrap();
        assert_eq!((m.to, m.starts_new_draft), (Returned, true));
        assert_eq!(
            transition(Submitted, Approve, Party::Funder).unwrap().to,
            Approved
        );
        let m = transition(Approved, Vary, Party::Borough).unwrap();
        assert_eq!((m.to, m.starts_new_draft), (Approved, true));
    }

    #[test]
    fn every_other_move_is_refused_with_a_reason() {
        let mut allowed = 0;
        for state in VersionState::ALL {
            for event in ProposalEvent::ALL {
                for by in [Party::Borough, Party::Funder] {
                    match transition(state, event, by) {
                        Ok(_) => allowed += 1,
                        Err(r) => assert!(r.0.len() > 20, "{state:?} {event:?} {by:?}: {r}"),
                    }
                }
            }
        }
        assert_eq!(allowed, MOVES.len());
        assert_eq!(
            transition(
                VersionState::Submitted,
                ProposalEvent::Approve,
                Party::Borough
            )
            .unwrap_err()
            .0,
            "Only the funder can approve a proposal"
        );
        assert!(
            transition(VersionState::Approved, ProposalEvent::Edit, Party::Borough)
                .unwrap_err()
                .0
                .contains("start a variation")
        );
    }

    #[test]
    fn words_round_trip() {
        for s in VersionState::ALL {
            assert_eq!(s.as_str().parse::<VersionState>(), Ok(s));
        }
        for e in ProposalEvent::ALL {
            assert_eq!(e.as_str().parse::<ProposalEvent>(), Ok(e));
        }
    }
}

#[cfg(test)]
mod docs {
    /// `docs/proposals.md` shows the moves between `<!-- moves -->` markers; they must be the
    /// code's.
    #[test]
    fn the_docs_table_is_the_code() {
        let doc = include_str!("../../../../docs/proposals.md");
        let shown = crate::workflow::documented(doc)
            .expect("docs/proposals.md has the moves table between its markers");
        assert_eq!(shown, super::moves_table());
    }
}
