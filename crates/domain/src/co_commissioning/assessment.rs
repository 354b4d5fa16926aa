//! Scoring bids: each assessor scores each criterion (a comment with each); pass/fail
//! criteria are gates; the weighted total is exact (basis points of the best possible); the
//! funder sees where assessors disagree, moderates with a reason, ranks the bids against the
//! call's maximum, and awards within it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::call::{Criterion, Scoring};
use crate::Money;

/// One assessor's mark on one criterion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Mark {
    Score(u32),
    Pass(bool),
}

/// An assessor's marks on a bid, by criterion key.
pub type Marks = BTreeMap<String, Mark>;

/// A weighted total in basis points of the best possible score (10,000 = every criterion at
/// its top score), rounded down; and whether the bid passed every gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Total {
    pub basis_points: u32,
    pub passes_gates: bool,
}

impl Total {
    /// The total as people read it, e.g. `72.50%`.
    pub fn percent_text(&self) -> String {
        format!(
            "{}.{:02}%",
            self.basis_points / 100,
            self.basis_points % 100
        )
    }
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The weighted total of a complete set of marks, or what is missing or wrong, per
/// criterion. Each scored criterion counts `weight / Σweights` of the total, its mark over
/// its top score; the sum is worked out as one fraction and rounded down once.
pub fn weighted_total(
    criteria: &[Criterion],
    marks: &Marks,
) -> Result<Total, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let mut passes = true;
    // Σ score_i * weight_i / max_i over Σ weight_i, as num / den with den = Π-free lcm.
    let mut lcm: u128 = 1;
    for c in criteria {
        if let Scoring::Scored { max, .. } = c.scoring {
            let m = u128::from(max.max(1));
            lcm = lcm / gcd(lcm, m) * m;
        }
    }
    let mut num: u128 = 0;
    let mut weights: u128 = 0;
    for c in criteria {
        match (c.scoring, marks.get(&c.key)) {
            (Scoring::Scored { max, weight }, Some(Mark::Score(s))) => {
                if *s > max {
                    errors.push((
                        c.key.clone(),
                        format!("“{}” is scored from 0 to {max}; {s} is more", c.name),
                    ));
                    continue;
                }
                num += u128::from(*s) * u128::from(weight) * (lcm / u128::from(max.max(1)));
                weights += u128::from(weight);
            }
            (Scoring::PassFail, Some(Mark::Pass(p))) => passes &= *p,
            (Scoring::Scored { max, .. }, _) => {
                errors.push((c.key.clone(), format!("Score “{}” from 0 to {max}", c.name)))
            }
            (Scoring::PassFail, _) => errors.push((
                c.key.clone(),
                format!("Say whether the bid passes “{}”", c.name),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let den = weights * lcm;
    let basis_points = (num * 10_000).checked_div(den).unwrap_or(0) as u32;
    Ok(Total {
        basis_points,
        passes_gates: passes,
    })
}

/// Assessors disagree when their totals are further apart than `margin_bp` (basis points).
pub fn spread_flagged(totals: &[Total], margin_bp: u32) -> bool {
    let (Some(lo), Some(hi)) = (
        totals.iter().map(|t| t.basis_points).min(),
        totals.iter().map(|t| t.basis_points).max(),
    ) else {
        return false;
    };
    hi - lo > margin_bp
}

/// The assessors' totals combined: the mean, rounded down; gates pass only if every
/// assessor passed them.
pub fn combined(totals: &[Total]) -> Option<Total> {
    if totals.is_empty() {
        return None;
    }
    let sum: u64 = totals.iter().map(|t| u64::from(t.basis_points)).sum();
    Some(Total {
        basis_points: (sum / totals.len() as u64) as u32,
        passes_gates: totals.iter().all(|t| t.passes_gates),
    })
}

/// A moderated total replaces the assessors' with a reason; without a reason it is refused.
pub fn moderate(basis_points: u32, passes_gates: bool, reason: &str) -> Result<Total, String> {
    if reason.trim().is_empty() {
        return Err(
            "Give the reason for the moderated score, for example what the panel agreed".into(),
        );
    }
    if basis_points > 10_000 {
        return Err("A moderated score is from 0% to 100%".into());
    }
    Ok(Total {
        basis_points,
        passes_gates,
    })
}

/// A bid as the ranking sees it: its stable key, what it asks and its final total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub key: i64,
    pub ask: Money,
    pub total: Option<Total>,
}

/// One row of the ranking: the bid, its place, the running total of asks down to it, and
/// whether that is still within the call's maximum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ranked {
    pub key: i64,
    pub place: usize,
    pub running_total: Money,
    pub within_maximum: bool,
    pub passes_gates: bool,
}

/// Ranks bids: those that pass every gate first, then by total (highest first), then by key
/// (the earlier bid first) so equal scores keep one order; bids not yet scored come last.
pub fn rank(candidates: &[Candidate], maximum: Money) -> Vec<Ranked> {
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    order.sort_by(|a, b| {
        let key = |c: &Candidate| {
            (
                std::cmp::Reverse(c.total.map(|t| t.passes_gates)),
                std::cmp::Reverse(c.total.map(|t| t.basis_points)),
                c.key,
            )
        };
        key(a).cmp(&key(b))
    });
    let mut running = Money::ZERO;
    order
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            running = Money::from_pence(running.pence().saturating_add(c.ask.pence()));
            Ranked {
                key: c.key,
                place: i + 1,
                running_total: running,
                within_maximum: running <= maximum,
                passes_gates: c.total.is_some_and(|t| t.passes_gates),
            }
        })
        .collect()
}

/// Refuses an award that would take the call's awards past its maximum, with the figures.
pub fn check_award(
    call: &str,
    maximum: Money,
    awarded_so_far: Money,
    this_award: Money,
) -> Result<(), String> {
    if this_award.pence() <= 0 {
        return Err("Enter the amount awarded for at least one year".into());
    }
    let after = Money::from_pence(awarded_so_far.pence().saturating_add(this_award.pence()));
    if after > maximum {
        return Err(format!(
            "Awarding {this_award} would bring {call}'s awards to {after}, over its maximum of {maximum}: {} has been awarded, so at most {} is left",
            awarded_so_far,
            Money::from_pence((maximum.pence() - awarded_so_far.pence()).max(0))
        ));
    }
    Ok(())
}
