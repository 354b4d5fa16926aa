//! A funding period's **proposals window**: the London days from which boroughs may start
//! and submit proposals, to the day after which they may not. A period without an opening
//! day (a passported fund, a period the funder has not opened) takes no proposals.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::date_text;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalsWindow {
    pub opens_on: Option<NaiveDate>,
    /// The last day proposals may be submitted; none: open until the funder closes it.
    pub closes_on: Option<NaiveDate>,
}

/// Where a window stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowState {
    /// The funder has not opened the period for proposals.
    NotOpened,
    NotYetOpen {
        opens_on: NaiveDate,
    },
    Open {
        closes_on: Option<NaiveDate>,
    },
    Closed {
        closed_on: NaiveDate,
    },
}

impl ProposalsWindow {
    pub fn state(&self, today: NaiveDate) -> WindowState {
        match (self.opens_on, self.closes_on) {
            (None, _) => WindowState::NotOpened,
            (Some(opens_on), _) if today < opens_on => WindowState::NotYetOpen { opens_on },
            (_, Some(closed_on)) if today > closed_on => WindowState::Closed { closed_on },
            (_, closes_on) => WindowState::Open { closes_on },
        }
    }

    pub fn is_open(&self, today: NaiveDate) -> bool {
        matches!(self.state(today), WindowState::Open { .. })
    }

    /// The window in words, as the proposals and period pages say it.
    pub fn words(&self, today: NaiveDate) -> String {
        match self.state(today) {
            WindowState::NotOpened => "Not open for proposals".into(),
            WindowState::NotYetOpen { opens_on } => {
                format!("Opens for proposals on {}", day(opens_on))
            }
            WindowState::Open { closes_on: None } => {
                "Open for proposals until the funder closes it".into()
            }
            WindowState::Open {
                closes_on: Some(closes_on),
            } => format!("Open for proposals until {}", day(closes_on)),
            WindowState::Closed { closed_on } => {
                format!("Closed for proposals on {}", day(closed_on))
            }
        }
    }

    /// Why a proposal cannot be started or submitted today, or none when it can.
    /// `doing` is what was tried ("start a proposal", "submit it").
    pub fn refusal(&self, today: NaiveDate, doing: &str) -> Option<String> {
        match self.state(today) {
            WindowState::Open { .. } => None,
            WindowState::NotOpened => Some(format!(
                "This funding period is not open for proposals, so you cannot {doing}: the funder opens a period when boroughs are to propose"
            )),
            WindowState::NotYetOpen { opens_on } => Some(format!(
                "This funding period opens for proposals on {}: you can {doing} from then",
                day(opens_on)
            )),
            WindowState::Closed { closed_on } => Some(format!(
                "Proposals for this funding period closed on {}, so you cannot {doing}: ask the funder if it should reopen",
                day(closed_on)
            )),
        }
    }

    /// Checks a window the funder sets: it closes on or after the day it opens, and it
    /// cannot close without opening.
    pub fn check(&self) -> Result<(), String> {
        match (self.opens_on, self.closes_on) {
            (None, Some(_)) => Err("Enter the day the window opens as well as the day it closes".into()),
            (Some(o), Some(c)) if c < o => Err(format!(
                "The window closes on {} before it opens on {}: the closing day must be the opening day or later",
                day(c),
                day(o)
            )),
            _ => Ok(()),
        }
    }
}

fn day(d: NaiveDate) -> String {
    date_text(&d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn window(opens: Option<&str>, closes: Option<&str>) -> ProposalsWindow {
        ProposalsWindow {
            opens_on: opens.map(d),
            closes_on: closes.map(d),
        }
    }

    #[test]
    fn open_from_the_first_day_to_the_last_inclusive() {
        let w = window(Some("2016-12-01"), Some("2017-01-31"));
        assert!(!w.is_open(d("2016-11-30")));
        assert!(w.is_open(d("2016-12-01")));
        assert!(w.is_open(d("2017-01-31")));
        assert!(!w.is_open(d("2017-02-01")));
        assert_eq!(
            w.words(d("2017-01-01")),
            "Open for proposals until 31 January 2017"
        );
        assert_eq!(
            w.words(d("2017-02-01")),
            "Closed for proposals on 31 January 2017"
        );
    }

    #[test]
    fn a_period_never_opened_takes_no_proposals_and_says_why() {
        let w = ProposalsWindow::default();
        assert!(!w.is_open(d("2020-01-01")));
        let why = w.refusal(d("2020-01-01"), "start a proposal").unwrap();
        assert!(why.contains("not open for proposals"), "{why}");
        let later = window(Some("2019-01-07"), None);
        let why = later.refusal(d("2018-12-01"), "start a proposal").unwrap();
        assert!(why.contains("7 January 2019"), "{why}");
        assert_eq!(later.refusal(d("2030-01-01"), "submit it"), None);
    }

    #[test]
    fn a_window_must_close_after_it_opens() {
        assert!(window(Some("2017-02-01"), Some("2017-01-01"))
            .check()
            .is_err());
        assert!(window(None, Some("2017-01-01")).check().is_err());
        assert!(window(Some("2017-01-01"), Some("2017-01-01"))
            .check()
            .is_ok());
        assert!(window(None, None).check().is_ok());
    }
}
