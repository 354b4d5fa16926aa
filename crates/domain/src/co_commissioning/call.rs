//! A call (tranche): what it funds, for how long, up to how much, who may lead, and what
//! it asks. Its questions and criteria are data, so a new call needs no code.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{FinancialYear, Money};

/// Who may lead a bid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lead {
    /// A voluntary or community sector organisation.
    VoluntarySector,
    /// A London borough.
    Borough,
}

impl Lead {
    pub fn words(self) -> &'static str {
        match self {
            Lead::VoluntarySector => "a voluntary or community sector organisation",
            Lead::Borough => "a borough",
        }
    }
}

/// How an assessment criterion is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Scoring {
    /// Scored from 0 to `max`, counting `weight` parts of the total.
    Scored { max: u32, weight: u32 },
    /// A gate: a bid that fails it cannot be awarded, whatever it scores elsewhere.
    PassFail,
}

/// One assessment criterion, with a stable key scores point at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub key: String,
    pub name: String,
    pub scoring: Scoring,
}

/// What kind of answer a question takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AnswerKind {
    ShortText {
        max_words: u32,
    },
    LongText {
        max_words: u32,
    },
    /// An amount for each financial year of the call.
    MoneyPerYear,
    Number,
    YesNo,
    Choice {
        options: Vec<String>,
    },
    /// A document, kept through the file-storage interface.
    File,
}

/// One application question, in a section, in the funder's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub key: String,
    pub section: String,
    pub order: u32,
    pub prompt: String,
    pub kind: AnswerKind,
    pub required: bool,
}

/// A call's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub name: String,
    /// The financial years it funds, in order and without gaps.
    pub years: Vec<FinancialYear>,
    pub maximum: Money,
    /// The plan priorities or themes it targets.
    pub themes: Vec<String>,
    pub leads: BTreeSet<Lead>,
    pub minimum_boroughs: usize,
    pub match_funding_required: bool,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub criteria: Vec<Criterion>,
    pub questions: Vec<Question>,
    /// Assessors disagree when their totals are further apart than this (basis points of
    /// the best possible score: 2,000 = 20 points).
    pub spread_margin_bp: u32,
}

/// Where a call stands at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    NotYetOpen,
    Open,
    Closed,
}

impl Call {
    pub fn state(&self, now: DateTime<Utc>) -> CallState {
        if now < self.opens_at {
            CallState::NotYetOpen
        } else if now < self.closes_at {
            CallState::Open
        } else {
            CallState::Closed
        }
    }

    /// Why a bid cannot be submitted at `now`, or none when it can: bids are submitted
    /// before the closing time, not at it or after.
    pub fn submission_refusal(&self, now: DateTime<Utc>) -> Option<String> {
        let when = |t: DateTime<Utc>| crate::calendar::london_date_time(t);
        match self.state(now) {
            CallState::Open => None,
            CallState::NotYetOpen => Some(format!(
                "{} opens for bids on {}: submit it from then",
                self.name,
                when(self.opens_at)
            )),
            CallState::Closed => Some(format!(
                "{} closed for bids on {}, so a bid can no longer be submitted",
                self.name,
                when(self.closes_at)
            )),
        }
    }

    /// Checks the terms a funder admin sets, naming each field that is wrong.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut say = |f: &str, m: String| out.push((f.to_string(), m));
        if self.name.trim().is_empty() {
            say(
                "name",
                "Enter the call's name, for example Tranche 1".into(),
            );
        }
        if self.years.is_empty() {
            say("years", "Choose the financial years the call funds".into());
        }
        if self.years.windows(2).any(|w| w[1] != w[0].next()) {
            say(
                "years",
                "The call's years must follow one another without a gap".into(),
            );
        }
        if self.maximum.pence() <= 0 {
            say(
                "maximum",
                "Enter the most the call can award, more than £0".into(),
            );
        }
        if self.leads.is_empty() {
            say(
                "leads",
                "Choose who may lead a bid: a voluntary or community sector organisation, a borough, or both".into(),
            );
        }
        if self.minimum_boroughs == 0 || self.minimum_boroughs > super::bid::LONDON_BOROUGHS {
            say(
                "minimum_boroughs",
                format!(
                    "A bid must cover from 1 to all {} boroughs: enter a number in that range",
                    super::bid::LONDON_BOROUGHS
                ),
            );
        }
        if self.closes_at <= self.opens_at {
            say("closes_at", "The call must close after it opens".into());
        }
        let mut keys = BTreeSet::new();
        for c in &self.criteria {
            if !keys.insert(c.key.as_str()) {
                say(
                    "criteria",
                    format!("Two criteria share the key “{}”", c.key),
                );
            }
            if let Scoring::Scored { max, weight } = c.scoring {
                if max == 0 || weight == 0 {
                    say(
                        "criteria",
                        format!("“{}” needs a top score and a weight of at least 1", c.name),
                    );
                }
            }
        }
        if !self
            .criteria
            .iter()
            .any(|c| matches!(c.scoring, Scoring::Scored { .. }))
        {
            say(
                "criteria",
                "A call needs at least one scored criterion to rank its bids".into(),
            );
        }
        let mut keys = BTreeSet::new();
        for q in &self.questions {
            if !keys.insert(q.key.as_str()) {
                say(
                    "questions",
                    format!("Two questions share the key “{}”", q.key),
                );
            }
            if let AnswerKind::Choice { options } = &q.kind {
                if options.len() < 2 {
                    say(
                        "questions",
                        format!(
                            "“{}” offers a choice, so it needs two options or more",
                            q.prompt
                        ),
                    );
                }
            }
        }
        out
    }

    /// The questions in the funder's order: by section as first met, then by `order`.
    pub fn questions_in_order(&self) -> Vec<&Question> {
        let mut sections: Vec<&str> = Vec::new();
        for q in &self.questions {
            if !sections.contains(&q.section.as_str()) {
                sections.push(&q.section);
            }
        }
        let mut out: Vec<&Question> = self.questions.iter().collect();
        out.sort_by_key(|q| {
            (
                sections
                    .iter()
                    .position(|s| *s == q.section)
                    .unwrap_or(usize::MAX),
                q.order,
            )
        });
        out
    }

    /// A new call copied from this one: its terms and questions, a new name and dates.
    pub fn copied(&self, name: &str, opens_at: DateTime<Utc>, closes_at: DateTime<Utc>) -> Call {
        Call {
            name: name.to_string(),
            opens_at,
            closes_at,
            ..self.clone()
        }
    }
}

/// The Co-Commissioning money a fund has for some years, what its calls promise, and what is
/// left; `over` names each call that does not fit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareUse {
    /// The Co-Commissioning share of the budgets of every year a call funds.
    pub share: Money,
    /// What the calls together may award.
    pub promised: Money,
    /// Share minus promised (negative: over-promised).
    pub left: Money,
}

/// What the calls (their years and maximum) take of the share of each year's budget.
/// A call's maximum is a total over its years; it is set against the share of those years.
pub fn share_use(
    share_by_year: &[(FinancialYear, Money)],
    calls: &[(&[FinancialYear], Money)],
) -> Result<ShareUse, crate::ArithmeticError> {
    let years: BTreeSet<FinancialYear> = calls
        .iter()
        .flat_map(|(ys, _)| ys.iter().copied())
        .collect();
    let share = Money::checked_sum(
        share_by_year
            .iter()
            .filter(|(y, _)| years.contains(y))
            .map(|(_, m)| *m),
    )?;
    let promised = Money::checked_sum(calls.iter().map(|(_, m)| *m))?;
    Ok(ShareUse {
        share,
        promised,
        left: share.checked_sub(promised)?,
    })
}

/// Refuses a call (new or changed) that would make the calls promise more than the share,
/// with the figures.
pub fn check_within_share(name: &str, use_after: &ShareUse) -> Result<(), String> {
    if use_after.left.is_negative() {
        return Err(format!(
            "With {name}, the calls would promise {}, more than the Co-Commissioning share of {} for their years: {} over",
            use_after.promised,
            use_after.share,
            Money::from_pence(-use_after.left.pence())
        ));
    }
    Ok(())
}
