//! A bid's life as data, built like the proposal workflow: a state, the events that move
//! it, who may cause each, one table of moves ([`MOVES`]) and one [`transition`].

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidState {
    /// Being written by its lead; partners can read it.
    Draft,
    /// Sent before the call closed; frozen, and assessed.
    Submitted,
    /// Taken back by its lead before a decision.
    Withdrawn,
    /// Awarded by a funder admin: what a grant agreement will be made from.
    Awarded,
    /// Not awarded, with feedback.
    Declined,
}

impl BidState {
    pub const ALL: [BidState; 5] = [
        BidState::Draft,
        BidState::Submitted,
        BidState::Withdrawn,
        BidState::Awarded,
        BidState::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BidState::Draft => "draft",
            BidState::Submitted => "submitted",
            BidState::Withdrawn => "withdrawn",
            BidState::Awarded => "awarded",
            BidState::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BidState::Draft => "Draft",
            BidState::Submitted => "Submitted",
            BidState::Withdrawn => "Withdrawn",
            BidState::Awarded => "Awarded",
            BidState::Declined => "Not awarded",
        }
    }

    pub fn parse(s: &str) -> Result<BidState, String> {
        BidState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a bid state"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidEvent {
    /// Change the bid's content.
    Edit,
    /// Send it to the funder (before the call closes, with no problems).
    Submit,
    /// Take it back.
    Withdraw,
    /// Award it, with a decision reference and amounts per year.
    Award,
    /// Decline it, with feedback.
    Decline,
}

impl BidEvent {
    pub const ALL: [BidEvent; 5] = [
        BidEvent::Edit,
        BidEvent::Submit,
        BidEvent::Withdraw,
        BidEvent::Award,
        BidEvent::Decline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BidEvent::Edit => "edit",
            BidEvent::Submit => "submit",
            BidEvent::Withdraw => "withdraw",
            BidEvent::Award => "award",
            BidEvent::Decline => "decline",
        }
    }
}

/// Who acts on a bid. Which person is which is decided in `lcpf_app::access`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidParty {
    /// The lead organisation's users.
    Lead,
    /// The funder's admins.
    Funder,
}

impl BidParty {
    pub fn label(self) -> &'static str {
        match self {
            BidParty::Lead => "the bid's lead",
            BidParty::Funder => "a funder admin",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub from: BidState,
    pub event: BidEvent,
    pub by: BidParty,
    pub to: BidState,
}

/// Every move a bid can make. Anything else is refused.
pub const MOVES: &[Move] = &[
    Move {
        from: BidState::Draft,
        event: BidEvent::Edit,
        by: BidParty::Lead,
        to: BidState::Draft,
    },
    Move {
        from: BidState::Draft,
        event: BidEvent::Submit,
        by: BidParty::Lead,
        to: BidState::Submitted,
    },
    Move {
        from: BidState::Draft,
        event: BidEvent::Withdraw,
        by: BidParty::Lead,
        to: BidState::Withdrawn,
    },
    Move {
        from: BidState::Submitted,
        event: BidEvent::Withdraw,
        by: BidParty::Lead,
        to: BidState::Withdrawn,
    },
    Move {
        from: BidState::Submitted,
        event: BidEvent::Award,
        by: BidParty::Funder,
        to: BidState::Awarded,
    },
    Move {
        from: BidState::Submitted,
        event: BidEvent::Decline,
        by: BidParty::Funder,
        to: BidState::Declined,
    },
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// The one place a bid's state changes, or the reason it cannot.
pub fn transition(state: BidState, event: BidEvent, by: BidParty) -> Result<Move, Refusal> {
    if let Some(m) = MOVES
        .iter()
        .find(|m| m.from == state && m.event == event && m.by == by)
    {
        return Ok(*m);
    }
    let for_event: Vec<&Move> = MOVES.iter().filter(|m| m.event == event).collect();
    if !for_event.is_empty() && for_event.iter().all(|m| m.by != by) {
        return Err(Refusal(format!(
            "Only {} can {} a bid",
            for_event[0].by.label(),
            event.as_str()
        )));
    }
    Err(Refusal(match state {
        BidState::Draft => format!("This bid is a draft: it must be submitted before it can be {}", past(event)),
        BidState::Submitted => "This bid has been submitted, so it cannot be changed: withdraw it, or wait for the decision".into(),
        BidState::Withdrawn => "This bid was withdrawn: nothing more can be done to it".into(),
        BidState::Awarded | BidState::Declined => format!(
            "This bid has been decided ({}): it cannot be {}",
            state.label().to_lowercase(),
            past(event)
        ),
    }))
}

fn past(event: BidEvent) -> &'static str {
    match event {
        BidEvent::Edit => "changed",
        BidEvent::Submit => "submitted",
        BidEvent::Withdraw => "withdrawn",
        BidEvent::Award => "awarded",
        BidEvent::Decline => "declined",
    }
}

/// The moves as the table in `docs/co-commissioning.md` shows them.
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
    /// `docs/co-commissioning.md` shows the moves between `<!-- moves -->` markers; they must
    /// be the code's.
    #[test]
    fn the_docs_table_is_the_code() {
        let doc = include_str!("../../../../docs/co-commissioning.md");
        let shown = crate::workflow::documented(doc)
            .expect("docs/co-commissioning.md has the moves table between its markers");
        assert_eq!(shown, super::moves_table());
    }
}
