//! A grant's life as data, built like the proposal and bid workflows: drafted by the funder,
//! offered, accepted by the recipient's officer (who and when, as the signature), live, and
//! closed at the period's close-out. Money moves only on a live grant.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    Drafted,
    /// The agreement is with the recipient to read and accept.
    Offered,
    /// Signed by the recipient's officer.
    Accepted,
    /// Claims and payments can be made.
    Live,
    /// The period is closed: unspent money returned, no more claims.
    Closed,
}

impl GrantState {
    pub const ALL: [GrantState; 5] = [
        GrantState::Drafted,
        GrantState::Offered,
        GrantState::Accepted,
        GrantState::Live,
        GrantState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Drafted => "drafted",
            GrantState::Offered => "offered",
            GrantState::Accepted => "accepted",
            GrantState::Live => "live",
            GrantState::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GrantState::Drafted => "Drafted",
            GrantState::Offered => "Offered",
            GrantState::Accepted => "Accepted",
            GrantState::Live => "Live",
            GrantState::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Result<GrantState, String> {
        GrantState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a grant state"))
    }

    /// Whether claims can be made and payments authorised.
    pub fn money_moves(self) -> bool {
        self == GrantState::Live
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantEvent {
    /// Change a drafted grant's terms or profile.
    Edit,
    /// Send the agreement to the recipient.
    Offer,
    /// Take an offer back to change it.
    Withdraw,
    /// The recipient's officer signs it.
    Accept,
    /// Start it: claims and payments can follow.
    Start,
    /// Change a signed grant with a reason (a variation).
    Vary,
    /// Close it at the period's close-out.
    Close,
}

impl GrantEvent {
    pub const ALL: [GrantEvent; 7] = [
        GrantEvent::Edit,
        GrantEvent::Offer,
        GrantEvent::Withdraw,
        GrantEvent::Accept,
        GrantEvent::Start,
        GrantEvent::Vary,
        GrantEvent::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantEvent::Edit => "edit",
            GrantEvent::Offer => "offer",
            GrantEvent::Withdraw => "withdraw",
            GrantEvent::Accept => "accept",
            GrantEvent::Start => "start",
            GrantEvent::Vary => "vary",
            GrantEvent::Close => "close",
        }
    }

    fn past(self) -> &'static str {
        match self {
            GrantEvent::Edit => "changed",
            GrantEvent::Offer => "offered",
            GrantEvent::Withdraw => "withdrawn",
            GrantEvent::Accept => "accepted",
            GrantEvent::Start => "started",
            GrantEvent::Vary => "varied",
            GrantEvent::Close => "closed",
        }
    }
}

/// Who acts on a grant; which person is which is decided in `lcpf_app::access`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantParty {
    Funder,
    Recipient,
}

impl GrantParty {
    pub fn label(self) -> &'static str {
        match self {
            GrantParty::Funder => "the funder",
            GrantParty::Recipient => "the recipient",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub from: GrantState,
    pub event: GrantEvent,
    pub by: GrantParty,
    pub to: GrantState,
}

const fn mv(from: GrantState, event: GrantEvent, by: GrantParty, to: GrantState) -> Move {
    Move {
        from,
        event,
        by,
        to,
    }
}

/// Every move a grant can make. Anything else is refused.
pub const MOVES: &[Move] = &[
    mv(
        GrantState::Drafted,
        GrantEvent::Edit,
        GrantParty::Funder,
        GrantState::Drafted,
    ),
    mv(
        GrantState::Drafted,
        GrantEvent::Offer,
        GrantParty::Funder,
        GrantState::Offered,
    ),
    mv(
        GrantState::Offered,
        GrantEvent::Withdraw,
        GrantParty::Funder,
        GrantState::Drafted,
    ),
    mv(
        GrantState::Offered,
        GrantEvent::Accept,
        GrantParty::Recipient,
        GrantState::Accepted,
    ),
    mv(
        GrantState::Accepted,
        GrantEvent::Start,
        GrantParty::Funder,
        GrantState::Live,
    ),
    mv(
        GrantState::Accepted,
        GrantEvent::Vary,
        GrantParty::Funder,
        GrantState::Accepted,
    ),
    mv(
        GrantState::Live,
        GrantEvent::Vary,
        GrantParty::Funder,
        GrantState::Live,
    ),
    mv(
        GrantState::Live,
        GrantEvent::Close,
        GrantParty::Funder,
        GrantState::Closed,
    ),
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// The one place a grant's state changes, or the reason it cannot.
pub fn transition(state: GrantState, event: GrantEvent, by: GrantParty) -> Result<Move, Refusal> {
    if let Some(m) = MOVES
        .iter()
        .find(|m| m.from == state && m.event == event && m.by == by)
    {
        return Ok(*m);
    }
    let for_event: Vec<&Move> = MOVES.iter().filter(|m| m.event == event).collect();
    if !for_event.is_empty() && for_event.iter().all(|m| m.by != by) {
        return Err(Refusal(format!(
            "Only {} can {} a grant",
            for_event[0].by.label(),
            event.as_str()
        )));
    }
    Err(Refusal(match state {
        GrantState::Drafted => format!(
            "This grant is still a draft: it must be offered and accepted before it can be {}",
            event.past()
        ),
        GrantState::Offered => format!(
            "This grant is offered and waiting for the recipient to accept it: it cannot be {} now",
            event.past()
        ),
        GrantState::Accepted => format!(
            "This grant is accepted but not started: it cannot be {} yet",
            event.past()
        ),
        GrantState::Live => format!(
            "This grant is live: it cannot be {}; change it with a variation",
            event.past()
        ),
        GrantState::Closed => {
            "This grant is closed with its period: nothing more can change".into()
        }
    }))
}

/// The moves as the table in `docs/grants.md` shows them.
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
    /// `docs/grants.md` shows the moves between `<!-- moves -->` markers; they must be the
    /// code's.
    #[test]
    fn the_docs_table_is_the_code() {
        let doc = include_str!("../../../../docs/grants.md");
        let shown = crate::workflow::documented(doc)
            .expect("docs/grants.md has the moves table between its markers");
        assert_eq!(shown, super::moves_table());
    }
}
