//! Milestones: for a grant paid on milestones, the agreed points (what, which year, when, how
//! much) at which money is paid. The recipient reports a milestone met; the funder confirms it
//! (a payment request follows) or returns it with comments. A year's milestones never come to
//! more than its profile, and where they come to less both figures are shown.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::profile::Profile;
use crate::{FinancialYear, Money};

/// The longest a milestone's title may be.
pub const TITLE_LIMIT: usize = 200;

/// A milestone as agreed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub title: String,
    pub year: FinancialYear,
    pub due_on: NaiveDate,
    pub amount: Money,
}

/// Every problem with a new milestone, by field, against the grant's years, its profile and
/// the milestones it already has.
pub fn problems(
    profile: &Profile,
    years: &[FinancialYear],
    existing: &[Milestone],
    new: &Milestone,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let title = new.title.trim();
    if title.is_empty() {
        errors.push((
            "title".into(),
            "Say what the milestone is: what will have been done".into(),
        ));
    } else if title.chars().count() > TITLE_LIMIT {
        errors.push((
            "title".into(),
            format!("A milestone's title is at most {TITLE_LIMIT} characters"),
        ));
    }
    if !years.contains(&new.year) {
        let shown: Vec<String> = years.iter().map(ToString::to_string).collect();
        errors.push((
            "year".into(),
            format!(
                "{} is not one of the grant's years: choose {}",
                new.year,
                shown.join(", ")
            ),
        ));
    } else if new.due_on < new.year.first_day() || new.due_on > new.year.last_day() {
        errors.push((
            "due_on".into(),
            format!(
                "A milestone for {} is due between {} and {}",
                new.year,
                new.year.first_day().format("%-d %B %Y"),
                new.year.last_day().format("%-d %B %Y")
            ),
        ));
    }
    if new.amount.pence() <= 0 {
        errors.push((
            "amount".into(),
            "Enter what is paid when the milestone is met: more than £0".into(),
        ));
    } else if years.contains(&new.year) {
        let profiled = year_profile(profile, new.year);
        let before = Money::from_pence(
            existing
                .iter()
                .filter(|m| m.year == new.year)
                .map(|m| m.amount.pence())
                .sum(),
        );
        let after = Money::from_pence(before.pence().saturating_add(new.amount.pence()));
        if after > profiled {
            errors.push((
                "amount".into(),
                format!(
                    "{}'s milestones would come to {after}, more than its profile of {profiled}: {before} is already agreed, so at most {} can be added",
                    new.year,
                    Money::from_pence((profiled.pence() - before.pence()).max(0))
                ),
            ));
        }
    }
    errors
}

fn year_profile(profile: &Profile, year: FinancialYear) -> Money {
    Money::from_pence(
        profile
            .projects
            .iter()
            .filter_map(|p| p.years.get(&year))
            .filter_map(|f| f.total().ok())
            .map(|m| m.pence())
            .sum(),
    )
}

/// A year's milestones set beside its profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct YearCoverage {
    pub year: FinancialYear,
    pub milestones: Money,
    pub profile: Money,
}

impl YearCoverage {
    /// The profile not yet tied to a milestone (it cannot be paid until one is agreed).
    pub fn unassigned(&self) -> Money {
        Money::from_pence(self.profile.pence() - self.milestones.pence())
    }
}

/// Each of the grant's years: what its milestones come to against its profile. Nothing is
/// adjusted: a gap is shown with both figures.
pub fn coverage(
    profile: &Profile,
    years: &[FinancialYear],
    milestones: &[Milestone],
) -> Vec<YearCoverage> {
    let mut by_year: BTreeMap<FinancialYear, i64> = BTreeMap::new();
    for m in milestones {
        *by_year.entry(m.year).or_default() += m.amount.pence();
    }
    years
        .iter()
        .map(|y| YearCoverage {
            year: *y,
            milestones: Money::from_pence(by_year.get(y).copied().unwrap_or(0)),
            profile: year_profile(profile, *y),
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneState {
    /// Agreed, not yet reported met.
    Planned,
    /// The recipient says it is met; the funder checks.
    Reported,
    /// Confirmed by the funder: its payment request follows.
    Met,
}

impl MilestoneState {
    pub const ALL: [MilestoneState; 3] = [
        MilestoneState::Planned,
        MilestoneState::Reported,
        MilestoneState::Met,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneState::Planned => "planned",
            MilestoneState::Reported => "reported",
            MilestoneState::Met => "met",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MilestoneState::Planned => "Planned",
            MilestoneState::Reported => "Reported met",
            MilestoneState::Met => "Met",
        }
    }

    pub fn parse(s: &str) -> Result<MilestoneState, String> {
        MilestoneState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a milestone state"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneEvent {
    /// The recipient says it is met, with what shows it.
    Report,
    /// The funder sends it back with comments.
    Return,
    /// The funder confirms it: a payment request follows.
    Confirm,
}

impl MilestoneEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneEvent::Report => "report",
            MilestoneEvent::Return => "return",
            MilestoneEvent::Confirm => "confirm",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneParty {
    Recipient,
    Funder,
}

impl MilestoneParty {
    pub fn label(self) -> &'static str {
        match self {
            MilestoneParty::Recipient => "The recipient's officer",
            MilestoneParty::Funder => "A funder officer",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MilestoneMove {
    pub from: MilestoneState,
    pub event: MilestoneEvent,
    pub by: MilestoneParty,
    pub to: MilestoneState,
}

pub const MOVES: &[MilestoneMove] = &[
    MilestoneMove {
        from: MilestoneState::Planned,
        event: MilestoneEvent::Report,
        by: MilestoneParty::Recipient,
        to: MilestoneState::Reported,
    },
    MilestoneMove {
        from: MilestoneState::Reported,
        event: MilestoneEvent::Return,
        by: MilestoneParty::Funder,
        to: MilestoneState::Planned,
    },
    MilestoneMove {
        from: MilestoneState::Reported,
        event: MilestoneEvent::Confirm,
        by: MilestoneParty::Funder,
        to: MilestoneState::Met,
    },
];

/// The one place a milestone's state changes, or why it cannot.
pub fn transition(
    state: MilestoneState,
    event: MilestoneEvent,
    by: MilestoneParty,
) -> Result<MilestoneMove, String> {
    MOVES
        .iter()
        .find(|m| m.from == state && m.event == event && m.by == by)
        .copied()
        .ok_or_else(|| match (state, by, event) {
            (MilestoneState::Met, _, _) => {
                "This milestone is met and its payment requested: it cannot change".to_string()
            }
            (_, MilestoneParty::Recipient, MilestoneEvent::Report) => {
                "This milestone is already reported met: wait for the funder to confirm or return it"
                    .to_string()
            }
            (_, MilestoneParty::Recipient, _) => {
                "Only the funder confirms or returns a milestone".to_string()
            }
            (_, MilestoneParty::Funder, MilestoneEvent::Report) => {
                "Only the recipient's officer reports a milestone met".to_string()
            }
            (_, MilestoneParty::Funder, _) => {
                "Only a milestone reported met is confirmed or returned".to_string()
            }
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
mod tests {
    use super::*;
    use crate::grant::profile::{Project, Source, YearFunding};

    fn y(start: i32) -> FinancialYear {
        FinancialYear::starting(start)
    }

    fn profile() -> Profile {
        Profile {
            projects: vec![Project {
                name: "Advance Minerva service".into(),
                source: Source::Imported,
                years: BTreeMap::from([
                    (y(2017), YearFunding::firm(Money::from_pounds(300_000))),
                    (y(2018), YearFunding::firm(Money::from_pounds(300_000))),
                ]),
            }],
        }
    }

    fn milestone(title: &str, year: i32, amount: i64) -> Milestone {
        Milestone {
            title: title.into(),
            year: y(year),
            due_on: NaiveDate::from_ymd_opt(year, 9, 30).unwrap(),
            amount: Money::from_pounds(amount),
        }
    }

    #[test]
    fn a_years_milestones_keep_within_its_profile_and_say_the_gap() {
        let years = [y(2017), y(2018)];
        let agreed = vec![milestone("Service open", 2017, 200_000)];
        assert!(problems(
            &profile(),
            &years,
            &agreed,
            &milestone("Half way", 2017, 100_000)
        )
        .is_empty());
        let over = problems(
            &profile(),
            &years,
            &agreed,
            &milestone("Half way", 2017, 100_001),
        );
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].0, "amount");
        assert!(
            over[0]
                .1
                .contains("come to £300,001, more than its profile of £300,000")
                && over[0].1.contains("at most £100,000 can be added"),
            "{}",
            over[0].1
        );
        let cover = coverage(&profile(), &years, &agreed);
        assert_eq!(cover[0].milestones, Money::from_pounds(200_000));
        assert_eq!(cover[0].unassigned(), Money::from_pounds(100_000));
        assert_eq!(cover[1].milestones, Money::ZERO);
    }

    #[test]
    fn every_field_is_named_at_once() {
        let mut m = milestone("", 2019, 0);
        m.due_on = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let fields: Vec<String> = problems(&profile(), &[y(2017), y(2018)], &[], &m)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["title", "year", "amount"]);
        let mut late = milestone("Open", 2017, 1);
        late.due_on = NaiveDate::from_ymd_opt(2018, 4, 1).unwrap();
        let p = problems(&profile(), &[y(2017)], &[], &late);
        assert_eq!(p[0].0, "due_on");
        assert!(
            p[0].1.contains("between 1 April 2017 and 31 March 2018"),
            "{}",
            p[0].1
        );
    }

    #[test]
    fn reported_then_confirmed_or_returned() {
        use MilestoneEvent::*;
        use MilestoneParty::*;
        use MilestoneState::*;
        assert_eq!(transition(Planned, Report, Recipient).unwrap().to, Reported);
        assert_eq!(transition(Reported, Return, Funder).unwrap().to, Planned);
        assert_eq!(transition(Reported, Confirm, Funder).unwrap().to, Met);
        assert!(transition(Planned, Confirm, Funder)
            .unwrap_err()
            .contains("Only a milestone reported met"));
        assert!(transition(Reported, Confirm, Recipient)
            .unwrap_err()
            .contains("Only the funder"));
        assert!(transition(Met, Report, Recipient)
            .unwrap_err()
            .contains("cannot change"));
    }

    /// `docs/claims-and-payments.md` shows the milestone moves between the second pair of
    /// markers; they must be the code's.
    #[test]
    fn the_docs_table_is_the_code() {
        let doc = include_str!("../../../../docs/claims-and-payments.md");
        let (_, after_claims) = doc
            .split_once("<!-- /moves -->")
            .expect("the claims table comes first");
        let shown = crate::workflow::documented(after_claims)
            .expect("docs/claims-and-payments.md has the milestone moves between markers");
        assert_eq!(shown, moves_table());
    }
}
