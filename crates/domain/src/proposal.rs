//! A borough's proposal: lines of funded activity under the plan's priorities, checked
//! against the fund's rules and the borough's decided envelope.
//!
//! [`check`] is the one place the rules live. It runs on every save, on import and on
//! submission; a draft may be saved with problems (they are listed), but only a proposal
//! with none can be submitted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{FinancialYear, Money};

mod compare;
pub mod eligibility;
pub mod window;
pub mod workflow;
pub use compare::{compare, LineChange, LineComparison};
pub use eligibility::{EligibilityRule, Restriction};
pub use workflow::{ProposalEvent, VersionState};

/// The most project categories a line may name (the fund's form has three).
pub const MAX_CATEGORIES: usize = 3;

/// A line's number within its proposal: `2.3` is the third line of the second section.
/// Numbers may have gaps (the Barking and Dagenham draft has no 3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LineNumber {
    section: u16,
    item: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("“{0}” is not a line number: write the section and the line, for example 2.3")]
pub struct LineNumberError(String);

impl LineNumber {
    pub const fn new(section: u16, item: u16) -> LineNumber {
        LineNumber { section, item }
    }

    pub fn section(self) -> u16 {
        self.section
    }
}

impl FromStr for LineNumber {
    type Err = LineNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let err = || LineNumberError(t.to_string());
        let (a, b) = t.split_once('.').ok_or_else(err)?;
        let digits =
            |x: &str| !x.is_empty() && x.len() <= 3 && x.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return Err(err());
        }
        let section: u16 = a.parse().map_err(|_| err())?;
        let item: u16 = b.parse().map_err(|_| err())?;
        if section == 0 || item == 0 {
            return Err(err());
        }
        Ok(LineNumber { section, item })
    }
}

impl TryFrom<String> for LineNumber {
    type Error = LineNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<LineNumber> for String {
    fn from(n: LineNumber) -> String {
        n.to_string()
    }
}

impl fmt::Display for LineNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.section, self.item)
    }
}

/// The **envelope**: what an area may spend in a funding period — the sum of its decided
/// allocations for the period's years (the co-commissioning top-slice is already out of
/// them). None until one of its years is decided. The one place this is worked out: the
/// proposal rules, the London overview, the pages, the API and the exports all use it.
pub fn envelope(
    decided: impl IntoIterator<Item = Money>,
) -> Result<Option<Money>, crate::ArithmeticError> {
    let decided: Vec<Money> = decided.into_iter().collect();
    if decided.is_empty() {
        return Ok(None);
    }
    Money::checked_sum(decided).map(Some)
}

/// A line's identity for its whole life: across edits, new versions, returns, variations
/// and renumbering (`2.3` → `2.4` keeps the key). Grants, payments and indicators point at a
/// line by its proposal and key ("line 2.3 of the approved version" is found again after a
/// variation by the key, not the number). Given by the store when a line is first saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LineKey(pub i64);

impl fmt::Display for LineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for LineKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<i64>()
            .ok()
            .filter(|k| *k > 0)
            .map(LineKey)
            .ok_or_else(|| {
                format!(
                    "“{}” is not a line key: a line key is a whole number, as exported",
                    s.trim()
                )
            })
    }
}

/// One financial year of a line: what it asks of the fund, and the match funding the local
/// authority puts in (money, and anything given in kind, described).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineYear {
    pub year: FinancialYear,
    pub cost: Money,
    pub local_authority: Money,
    pub local_authority_in_kind: String,
}

/// Who delivers the line. A voluntary or community sector organisation's share is recorded
/// per year, as the fund's form asks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub voluntary_sector: bool,
    pub amounts: BTreeMap<FinancialYear, Money>,
}

/// A partner's match funding: money per year and anything given in kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub name: String,
    pub amounts: BTreeMap<FinancialYear, Money>,
    pub in_kind: String,
}

/// A SMART outcome the line commits to. Kept structured: each becomes a performance
/// indicator once the line is funded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmartOutcome {
    /// What will change, e.g. "Fewer first-time entrants to the youth justice system".
    pub outcome: String,
    /// How it is counted, e.g. "First-time entrants aged 10–17".
    pub measure: String,
    pub baseline: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalLine {
    /// None until the line is first saved.
    pub key: Option<LineKey>,
    pub number: LineNumber,
    pub title: String,
    pub outcome: String,
    /// The borough's own local themes this line serves.
    pub themes: Vec<String>,
    pub activity: String,
    /// The plan priority the line sits under.
    pub priority: String,
    /// Other plan priorities it also serves.
    pub links: Vec<String>,
    pub categories: Vec<String>,
    /// One entry per financial year of the period, in order.
    pub years: Vec<LineYear>,
    pub providers: Vec<Provider>,
    pub partners: Vec<Partner>,
    pub smart_outcomes: Vec<SmartOutcome>,
    /// When the line is a contribution to a larger contract: the contract's whole value.
    pub contract_total: Option<Money>,
    /// When the line costs nothing here because another line pays for it.
    pub cross_reference: Option<LineNumber>,
    /// When the line continues a service first commissioned in an earlier year.
    pub continues_from: Option<FinancialYear>,
    /// The borough declares the line pays for police officer posts or the MPS.
    pub police_posts: bool,
}

impl ProposalLine {
    /// An empty line with a zero for each year of the period.
    pub fn new(number: LineNumber, priority: &str, years: &[FinancialYear]) -> ProposalLine {
        ProposalLine {
            key: None,
            number,
            title: String::new(),
            outcome: String::new(),
            themes: Vec::new(),
            activity: String::new(),
            priority: priority.to_string(),
            links: Vec::new(),
            categories: Vec::new(),
            years: years
                .iter()
                .map(|&year| LineYear {
                    year,
                    cost: Money::ZERO,
                    local_authority: Money::ZERO,
                    local_authority_in_kind: String::new(),
                })
                .collect(),
            providers: Vec::new(),
            partners: Vec::new(),
            smart_outcomes: Vec::new(),
            contract_total: None,
            cross_reference: None,
            continues_from: None,
            police_posts: false,
        }
    }

    /// What the line asks of the fund over the period. Saturates rather than overflows: a
    /// sum past £92 quadrillion is refused by [`check`] long before it matters.
    pub fn cost(&self) -> Money {
        Money::checked_sum(self.years.iter().map(|y| y.cost)).unwrap_or(Money::from_pence(i64::MAX))
    }

    pub fn cost_in(&self, year: FinancialYear) -> Money {
        self.years
            .iter()
            .find(|y| y.year == year)
            .map(|y| y.cost)
            .unwrap_or(Money::ZERO)
    }

    /// The local authority's and partners' money over the period.
    pub fn match_funding(&self) -> Money {
        let la = self.years.iter().map(|y| y.local_authority);
        let partners = self
            .partners
            .iter()
            .flat_map(|p| p.amounts.values().copied());
        Money::checked_sum(la.chain(partners)).unwrap_or(Money::from_pence(i64::MAX))
    }
}

/// What a proposal is checked against: the fund's plan and rules, and the borough's envelope.
#[derive(Clone, Debug, Default)]
pub struct ProposalRules {
    /// The plan's priorities, in the plan's order.
    pub priorities: Vec<String>,
    pub categories: Vec<String>,
    /// The borough's own local themes; when it has listed some, lines use only those.
    pub themes: Vec<String>,
    /// The fund's eligibility rules, in its own words, with what each refuses.
    pub eligibility: Vec<EligibilityRule>,
    /// The most lines a borough may propose, when the fund sets a cap.
    pub max_lines: Option<u32>,
    pub years: Vec<FinancialYear>,
    /// The borough's decided allocation for the period, once decided.
    pub envelope: Option<Money>,
}

/// The most lines any proposal may hold, whatever its fund says: a fund's own cap may raise
/// it (its setting allows up to 500), and below it a fund's cap is a rule broken, not a
/// limit on what can be saved.
pub const DEFAULT_LINE_LIMIT: usize = 200;

impl ProposalRules {
    /// The most lines a draft may hold: the fund's cap when it is higher than
    /// [`DEFAULT_LINE_LIMIT`], otherwise that default.
    pub fn line_limit(&self) -> usize {
        self.max_lines
            .map_or(DEFAULT_LINE_LIMIT, |m| (m as usize).max(DEFAULT_LINE_LIMIT))
    }
}

/// One broken rule: the line (if any), the field, and what is wrong and allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The line's number, as people refer to it (two lines may share one by mistake).
    pub line: Option<LineNumber>,
    /// The line's stable key, which a problem belongs to (none for a line not yet saved, and
    /// for a problem of the whole proposal).
    pub key: Option<LineKey>,
    /// Which line of those checked, counted from 0: the problem's line even when numbers
    /// repeat and keys are not yet given.
    #[serde(skip)]
    pub position: Option<usize>,
    pub field: String,
    pub message: String,
}

/// Money by priority and by year, and the headroom against the envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Every plan priority in the plan's order (zero where nothing is proposed), then any
    /// priority a line names that the plan does not have.
    pub by_priority: Vec<(String, Money)>,
    pub by_year: Vec<(FinancialYear, Money)>,
    pub total: Money,
    pub match_funding: Money,
    pub envelope: Option<Money>,
    /// Envelope minus total: negative when the proposal asks for more than the allocation.
    pub headroom: Option<Money>,
}

/// Money a proposal asks for in a year the borough has no decided allocation for yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnallocatedAsk {
    pub year: FinancialYear,
    pub asked: Money,
}

/// The years a proposal asks for money that is not yet allocated to the borough: approving
/// it would commit money nobody has decided it gets.
pub fn unallocated_asks(totals: &Totals, allocated: &[FinancialYear]) -> Vec<UnallocatedAsk> {
    totals
        .by_year
        .iter()
        .filter(|(year, asked)| asked.pence() > 0 && !allocated.contains(year))
        .map(|(year, asked)| UnallocatedAsk {
            year: *year,
            asked: *asked,
        })
        .collect()
}

pub fn totals(lines: &[ProposalLine], rules: &ProposalRules) -> Totals {
    let mut by_priority: Vec<(String, Money)> = rules
        .priorities
        .iter()
        .map(|p| (p.clone(), Money::ZERO))
        .collect();
    let mut by_year: Vec<(FinancialYear, Money)> =
        rules.years.iter().map(|&y| (y, Money::ZERO)).collect();
    let add = |a: Money, b: Money| a.checked_add(b).unwrap_or(Money::from_pence(i64::MAX));
    let mut total = Money::ZERO;
    let mut match_funding = Money::ZERO;
    for line in lines {
        let cost = line.cost();
        total = add(total, cost);
        match_funding = add(match_funding, line.match_funding());
        match by_priority.iter_mut().find(|(p, _)| *p == line.priority) {
            Some((_, m)) => *m = add(*m, cost),
            None => by_priority.push((line.priority.clone(), cost)),
        }
        for y in &line.years {
            match by_year.iter_mut().find(|(yy, _)| *yy == y.year) {
                Some((_, m)) => *m = add(*m, y.cost),
                None => by_year.push((y.year, y.cost)),
            }
        }
    }
    let headroom = rules
        .envelope
        .map(|e| e.checked_sub(total).unwrap_or(Money::from_pence(i64::MIN)));
    Totals {
        by_priority,
        by_year,
        total,
        match_funding,
        envelope: rules.envelope,
        headroom,
    }
}

/// Every rule the proposal breaks, line by line, then for the proposal as a whole.
pub fn check(lines: &[ProposalLine], rules: &ProposalRules) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut numbers: HashMap<LineNumber, usize> = HashMap::new();
    let mut titles: HashMap<String, usize> = HashMap::new();
    for l in lines {
        *numbers.entry(l.number).or_default() += 1;
        *titles.entry(l.title.trim().to_lowercase()).or_default() += 1;
    }
    let by_number: HashMap<LineNumber, &ProposalLine> =
        lines.iter().map(|l| (l.number, l)).collect();
    for (position, line) in lines.iter().enumerate() {
        let mut say = |field: &str, message: String| {
            problems.push(Problem {
                line: Some(line.number),
                key: line.key,
                position: Some(position),
                field: field.to_string(),
                message: format!("Line {}: {message}", line.number),
            })
        };
        if numbers[&line.number] > 1 {
            say(
                "number",
                "another line has the same number; each line needs its own".into(),
            );
        }
        if line.title.trim().is_empty() {
            say(
                "title",
                "enter a title, for example “Youth Risk Matrix”".into(),
            );
        } else if titles[&line.title.trim().to_lowercase()] > 1 {
            say(
                "title",
                format!(
                    "another line is also called “{}”; titles must differ",
                    line.title.trim()
                ),
            );
        }
        if line.outcome.trim().is_empty() {
            say("outcome", "enter the outcome the line seeks".into());
        }
        if line.activity.trim().is_empty() {
            say("activity", "describe the activity".into());
        }
        let known = |p: &str| rules.priorities.iter().any(|k| k == p);
        if line.priority.trim().is_empty() {
            say(
                "priority",
                format!(
                    "every line must sit under a priority of the plan: choose one of {}",
                    rules.priorities.join(", ")
                ),
            );
        } else if !known(&line.priority) {
            say(
                "priority",
                format!(
                    "“{}” is not a priority of the plan: choose one of {}",
                    line.priority,
                    rules.priorities.join(", ")
                ),
            );
        }
        for link in &line.links {
            if !known(link) {
                say(
                    "links",
                    format!(
                        "“{link}” is not a priority of the plan: links must be to {}",
                        rules.priorities.join(", ")
                    ),
                );
            } else if *link == line.priority {
                say(
                    "links",
                    format!("the line already sits under {link}; links are to other priorities"),
                );
            }
        }
        if !rules.themes.is_empty() {
            for theme in line.themes.iter().filter(|t| !rules.themes.contains(t)) {
                say(
                    "themes",
                    format!(
                        "“{theme}” is not one of the borough's local themes ({}); use one of them, or add it to the list",
                        rules.themes.join(", ")
                    ),
                );
            }
        }
        if line.categories.len() > MAX_CATEGORIES {
            say(
                "categories",
                format!(
                    "name at most {MAX_CATEGORIES} project categories, not {}",
                    line.categories.len()
                ),
            );
        }
        let mut seen = HashSet::new();
        for c in &line.categories {
            if !rules.categories.iter().any(|k| k == c) {
                say(
                    "categories",
                    format!("“{c}” is not one of the fund's project categories"),
                );
            } else if !seen.insert(c) {
                say("categories", format!("“{c}” is named twice"));
            }
        }
        let years: Vec<FinancialYear> = line.years.iter().map(|y| y.year).collect();
        if years != rules.years {
            let wanted: Vec<String> = rules.years.iter().map(|y| y.to_string()).collect();
            say(
                "years",
                format!(
                    "give a cost for each year of the period: {}",
                    wanted.join(", ")
                ),
            );
        }
        for y in &line.years {
            if y.cost.is_negative() || y.local_authority.is_negative() {
                say(
                    "years",
                    format!("amounts for {} must be zero or more", y.year),
                );
            }
        }
        for (i, p) in line.providers.iter().enumerate() {
            if p.name.trim().is_empty() {
                say("providers", format!("provider {} needs a name", i + 1));
            }
            for (year, amount) in &p.amounts {
                if amount.is_negative() {
                    say(
                        "providers",
                        format!("{}'s amount for {year} must be zero or more", p.name),
                    );
                } else if *amount > line.cost_in(*year) {
                    say(
                        "providers",
                        format!(
                            "{} receives {amount} in {year}, more than the line's cost that year ({})",
                            p.name,
                            line.cost_in(*year)
                        ),
                    );
                }
            }
        }
        for (i, p) in line.partners.iter().enumerate() {
            if p.name.trim().is_empty() {
                say("partners", format!("partner {} needs a name", i + 1));
            }
            if p.amounts.values().any(|a| a.is_negative()) {
                say(
                    "partners",
                    format!("{}'s contributions must be zero or more", p.name),
                );
            }
        }
        for (i, o) in line.smart_outcomes.iter().enumerate() {
            if o.outcome.trim().is_empty()
                || o.measure.trim().is_empty()
                || o.target.trim().is_empty()
            {
                say(
                    "smart_outcomes",
                    format!(
                        "SMART outcome {} needs the outcome, how it is measured and its target",
                        i + 1
                    ),
                );
            }
        }
        if let Some(total) = line.contract_total {
            if total < line.cost() {
                say(
                    "contract_total",
                    format!(
                        "the contract's total ({total}) is less than this line's contribution to it ({})",
                        line.cost()
                    ),
                );
            }
        }
        if let Some(target) = line.cross_reference {
            if target == line.number {
                say("cross_reference", "a line cannot refer to itself".into());
            } else {
                match by_number.get(&target) {
                    None => say(
                        "cross_reference",
                        format!("it refers to line {target}, which is not in this proposal"),
                    ),
                    Some(t) if t.cross_reference.is_some() => say(
                        "cross_reference",
                        format!("it refers to line {target}, which is itself a cross-reference; refer to the line that pays"),
                    ),
                    Some(_) => {}
                }
            }
            if line.cost() != Money::ZERO {
                say(
                    "cross_reference",
                    format!(
                        "a cross-reference costs £0 (line {target} pays for it), but this line costs {}",
                        line.cost()
                    ),
                );
            }
        }
        if let Some(from) = line.continues_from {
            if rules.years.first().is_some_and(|first| from >= *first) {
                say(
                    "continues_from",
                    format!("a continuation carries on a service from before the period; {from} is not earlier than {}", rules.years[0]),
                );
            }
        }
        // The fund's own rules, each refused in its own words.
        for rule in &rules.eligibility {
            if let Some(why) = rule.breach(line) {
                say(
                    "police_posts",
                    format!(
                        "this line is not eligible: the fund's rule is “{}”, and {why}",
                        rule.words
                    ),
                );
            }
        }
    }
    let mut whole = |field: &str, message: String| {
        problems.push(Problem {
            line: None,
            key: None,
            position: None,
            field: field.to_string(),
            message,
        })
    };
    if lines.is_empty() {
        whole(
            "lines",
            "The proposal has no lines: add at least one funded activity".into(),
        );
    }
    if let Some(max) = rules.max_lines {
        if lines.len() > max as usize {
            whole(
                "lines",
                format!(
                    "The fund allows at most {max} lines per borough; this proposal has {}",
                    lines.len()
                ),
            );
        }
    }
    let t = totals(lines, rules);
    match (t.envelope, t.headroom) {
        (Some(envelope), Some(headroom)) if headroom.is_negative() => whole(
            "total",
            format!(
                "The proposal's total ({}) is more than the borough's allocation for the period ({envelope}) by {}",
                t.total,
                Money::from_pence(headroom.pence().saturating_neg())
            ),
        ),
        (None, _) => whole(
            "total",
            "The borough's allocation for this period has not been decided yet, so the proposal cannot be checked against it".into(),
        ),
        _ => {}
    }
    problems
}

#[cfg(test)]
mod tests;
