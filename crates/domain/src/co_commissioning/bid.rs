//! A bid's content, and the rules every save runs: a message per problem, each naming its
//! field, and a bid with any problem cannot be submitted (as with proposals).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::call::{AnswerKind, Call, Lead};
use crate::{FinancialYear, Money};

/// The London boroughs the fund serves (not the City of London).
pub const LONDON_BOROUGHS: usize = 32;

/// A partner's part in a bid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerRole {
    DeliveryPartner,
    BoroughSponsor,
    Funder,
    Other,
}

impl PartnerRole {
    pub fn label(self) -> &'static str {
        match self {
            PartnerRole::DeliveryPartner => "Delivery partner",
            PartnerRole::BoroughSponsor => "Borough sponsor",
            PartnerRole::Funder => "Co-funder",
            PartnerRole::Other => "Other partner",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    /// The organisation's record.
    pub organisation_id: i64,
    pub role: PartnerRole,
}

/// Match funding for a year from one contributor: cash, and what is given in kind (valued).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchFunding {
    pub contributor: String,
    pub year: FinancialYear,
    pub cash: Money,
    pub in_kind: Money,
    /// What the in-kind contribution is, e.g. "office space".
    pub in_kind_description: String,
}

/// An outcome the bid commits to, kept structured so that it becomes an indicator later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Its stable key once saved (indicators will point at it); none for a new one.
    #[serde(default)]
    pub key: Option<i64>,
    pub outcome: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
}

/// An answer to one of the call's questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Answer {
    Text(String),
    MoneyPerYear(BTreeMap<FinancialYear, Money>),
    Number(i64),
    YesNo(bool),
    Choice(String),
    /// The stored file's key and its name.
    File {
        key: String,
        name: String,
    },
}

/// What the lead enters, as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    pub title: String,
    /// What kind of organisation leads it.
    pub lead: Option<Lead>,
    pub partners: Vec<Partner>,
    /// ONS codes of the boroughs the service covers.
    pub boroughs: BTreeSet<String>,
    /// The amount asked for each financial year.
    pub amounts: BTreeMap<FinancialYear, Money>,
    pub match_funding: Vec<MatchFunding>,
    /// Answers by question key.
    pub answers: BTreeMap<String, Answer>,
    pub outcomes: Vec<Outcome>,
}

impl Bid {
    /// The whole ask across the years.
    pub fn total(&self) -> Result<Money, crate::ArithmeticError> {
        Money::checked_sum(self.amounts.values().copied())
    }

    /// Match funding across the years, cash and in kind.
    pub fn match_total(&self) -> Result<Money, crate::ArithmeticError> {
        Money::checked_sum(self.match_funding.iter().flat_map(|m| [m.cash, m.in_kind]))
    }
}

/// One problem with a bid: the field it is about and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Every rule a bid breaks against its call. `taking_part` are the ONS codes of the
/// boroughs the fund serves. Run on every save; submission needs none.
pub fn problems(call: &Call, bid: &Bid, taking_part: &BTreeSet<String>) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut say = |field: &str, message: String| {
        out.push(Problem {
            field: field.into(),
            message,
        })
    };
    if bid.title.trim().is_empty() {
        say("title", "Enter the service's name".into());
    }
    match bid.lead {
        None => say("lead", "Say who leads the bid".into()),
        Some(lead) if !call.leads.contains(&lead) => say(
            "lead",
            format!(
                "{} cannot lead a bid to {}: it is led by {}",
                crate::words::capitalise(lead.words()),
                call.name,
                crate::words::and_list(&call.leads.iter().map(|l| l.words()).collect::<Vec<_>>())
                    .replace(" and ", " or ")
            ),
        ),
        Some(_) => {}
    }
    // Years within the call, and an ask in at least one of them.
    for year in bid.amounts.keys().filter(|y| !call.years.contains(y)) {
        say(
            "amounts",
            format!(
                "{} funds {} to {}; {year} is outside it",
                call.name,
                call.years
                    .first()
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                call.years.last().map(|y| y.to_string()).unwrap_or_default()
            ),
        );
    }
    if bid.amounts.values().any(|m| m.is_negative()) {
        say("amounts", "An amount cannot be negative".into());
    }
    match bid.total() {
        Ok(total) if total.pence() == 0 => say(
            "amounts",
            "Enter the amount the bid asks for in each year".into(),
        ),
        Ok(total) if total > call.maximum => say(
            "amounts",
            format!(
                "The bid asks for {total} in all, more than {}'s maximum of {}",
                call.name, call.maximum
            ),
        ),
        Ok(_) => {}
        Err(_) => say("amounts", "The amounts are too large to add up".into()),
    }
    // Boroughs covered: known ones, at least the call's minimum.
    for code in bid.boroughs.iter().filter(|c| !taking_part.contains(*c)) {
        say(
            "boroughs",
            format!("{code} is not one of the {LONDON_BOROUGHS} boroughs the fund serves"),
        );
    }
    let covered = bid
        .boroughs
        .iter()
        .filter(|c| taking_part.contains(*c))
        .count();
    if covered < call.minimum_boroughs {
        say(
            "boroughs",
            format!(
                "{} needs bids that cover at least {} boroughs; this one covers {covered}",
                call.name, call.minimum_boroughs
            ),
        );
    }
    // Match funding where the call requires it.
    let matched = bid.match_total().unwrap_or(Money::ZERO);
    if call.match_funding_required && matched.pence() == 0 {
        say(
            "match_funding",
            format!("{} requires match funding: enter each contributor's cash or in-kind contribution per year", call.name),
        );
    }
    for m in &bid.match_funding {
        if !call.years.contains(&m.year) {
            say(
                "match_funding",
                format!(
                    "Match funding from {} is for {}, outside the call's years",
                    m.contributor, m.year
                ),
            );
        }
        if m.contributor.trim().is_empty() {
            say("match_funding", "Name who gives each match funding".into());
        }
        if m.cash.is_negative() || m.in_kind.is_negative() {
            say("match_funding", "Match funding cannot be negative".into());
        }
    }
    // The call's questions.
    for q in call.questions_in_order() {
        let field = format!("answers.{}", q.key);
        match (bid.answers.get(&q.key), &q.kind) {
            (None, _) if q.required => say(&field, format!("Answer “{}”", q.prompt)),
            (Some(Answer::Text(t)), _) if q.required && t.trim().is_empty() => {
                say(&field, format!("Answer “{}”", q.prompt))
            }
            (
                Some(Answer::Text(t)),
                AnswerKind::ShortText { max_words } | AnswerKind::LongText { max_words },
            ) if words(t) > *max_words as usize => say(
                &field,
                format!(
                    "“{}” takes at most {max_words} words; this answer has {}",
                    q.prompt,
                    words(t)
                ),
            ),
            (Some(Answer::Choice(c)), AnswerKind::Choice { options }) if !options.contains(c) => {
                say(
                    &field,
                    format!(
                        "“{c}” is not one of the choices for “{}”: choose {}",
                        q.prompt,
                        crate::words::and_list(options).replace(" and ", " or ")
                    ),
                )
            }
            (Some(Answer::MoneyPerYear(m)), AnswerKind::MoneyPerYear)
                if m.keys().any(|y| !call.years.contains(y)) =>
            {
                say(
                    &field,
                    format!("“{}” is asked for the call's years only", q.prompt),
                )
            }
            (Some(a), kind) if !fits(a, kind) => say(
                &field,
                format!("“{}” takes a different kind of answer", q.prompt),
            ),
            _ => {}
        }
    }
    if bid.outcomes.is_empty() {
        say(
            "outcomes",
            "Enter at least one outcome the service commits to, with its measure, baseline and target".into(),
        );
    }
    for (i, o) in bid.outcomes.iter().enumerate() {
        if o.outcome.trim().is_empty() || o.measure.trim().is_empty() || o.target.trim().is_empty()
        {
            say(
                &format!("outcomes[{i}]"),
                format!(
                    "Outcome {} needs what it is, how it is measured and its target",
                    i + 1
                ),
            );
        }
    }
    out
}

fn fits(answer: &Answer, kind: &AnswerKind) -> bool {
    matches!(
        (answer, kind),
        (
            Answer::Text(_),
            AnswerKind::ShortText { .. } | AnswerKind::LongText { .. }
        ) | (Answer::MoneyPerYear(_), AnswerKind::MoneyPerYear)
            | (Answer::Number(_), AnswerKind::Number)
            | (Answer::YesNo(_), AnswerKind::YesNo)
            | (Answer::Choice(_), AnswerKind::Choice { .. })
            | (Answer::File { .. }, AnswerKind::File)
    )
}
