//! Comparing two versions of a proposal line by line: lines are matched by their stable key
//! (by number before they have one), so a renumbered line is one changed line.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{LineKey, LineNumber, ProposalLine};
use crate::Money;

/// How one line differs between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Added,
    Removed,
    /// The named fields differ.
    Changed(Vec<String>),
    Unchanged,
}

/// One row of a line-by-line comparison: lines are matched by their key (so a renumbered
/// line is one line, changed), or by number where a line has no key yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineComparison {
    pub key: Option<LineKey>,
    /// The line's number in the later version (the earlier one's, when removed).
    pub number: LineNumber,
    /// The earlier number, when the line was renumbered.
    pub previous_number: Option<LineNumber>,
    pub title: String,
    pub before: Option<Money>,
    pub after: Option<Money>,
    pub change: LineChange,
}

/// What identifies a line across versions: its key, or its number before it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Identity {
    Key(LineKey),
    Number(LineNumber),
}

fn identity(l: &ProposalLine) -> Identity {
    l.key.map_or(Identity::Number(l.number), Identity::Key)
}

/// Compares two versions line by line, in the later version's line-number order (removed
/// lines by their old number).
pub fn compare(before: &[ProposalLine], after: &[ProposalLine]) -> Vec<LineComparison> {
    let old: HashMap<Identity, &ProposalLine> = before.iter().map(|l| (identity(l), l)).collect();
    let new: HashSet<Identity> = after.iter().map(identity).collect();
    let row = |b: Option<&ProposalLine>, a: Option<&ProposalLine>| {
        let change = match (b, a) {
            (None, _) => LineChange::Added,
            (_, None) => LineChange::Removed,
            (Some(b), Some(a)) => {
                let fields = changed_fields(b, a);
                if fields.is_empty() {
                    LineChange::Unchanged
                } else {
                    LineChange::Changed(fields)
                }
            }
        };
        let shown = a.or(b);
        LineComparison {
            key: shown.and_then(|l| l.key),
            number: shown.map_or(LineNumber::new(1, 1), |l| l.number),
            previous_number: match (b, a) {
                (Some(b), Some(a)) if b.number != a.number => Some(b.number),
                _ => None,
            },
            title: shown.map(|l| l.title.clone()).unwrap_or_default(),
            before: b.map(|l| l.cost()),
            after: a.map(|l| l.cost()),
            change,
        }
    };
    let mut rows: Vec<LineComparison> = after
        .iter()
        .map(|a| row(old.get(&identity(a)).copied(), Some(a)))
        .chain(
            before
                .iter()
                .filter(|b| !new.contains(&identity(b)))
                .map(|b| row(Some(b), None)),
        )
        .collect();
    rows.sort_by_key(|r| (r.number, r.change == LineChange::Removed));
    rows
}

fn changed_fields(b: &ProposalLine, a: &ProposalLine) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |name: &str, differs: bool| {
        if differs {
            out.push(name.to_string());
        }
    };
    diff("number", b.number != a.number);
    diff("cost", b.years != a.years);
    diff("title", b.title != a.title);
    diff("outcome", b.outcome != a.outcome);
    diff("themes", b.themes != a.themes);
    diff("activity", b.activity != a.activity);
    diff("priority", b.priority != a.priority);
    diff("links", b.links != a.links);
    diff("categories", b.categories != a.categories);
    diff("providers", b.providers != a.providers);
    diff("partners", b.partners != a.partners);
    diff("SMART outcomes", b.smart_outcomes != a.smart_outcomes);
    diff(
        "contract",
        b.contract_total != a.contract_total
            || b.cross_reference != a.cross_reference
            || b.continues_from != a.continues_from,
    );
    diff("police posts", b.police_posts != a.police_posts);
    out
}
