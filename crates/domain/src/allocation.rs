//! The allocation engine: how one pot becomes each area's envelope, exactly and explainably.
//!
//! The rules, in the order they apply:
//! 1. **Top-slice** — a percentage of the pot is taken off first (the Co-Commissioning Fund:
//!    30% from 2018/19). It is rounded down, so the odd penny stays with the areas.
//! 2. **Formula share** — each indicator (crime volumes, demand, population …) gets its weight
//!    of what is left; each indicator's money is shared between areas in proportion to their
//!    values. An area's formula amount is the sum over indicators.
//! 3. **Uplift phasing** (optional) — instead of the full formula amount, each area moves
//!    only part of the way from its previous allocation towards it (100% = all the way).
//! 4. **Floor** — no area below a percentage of its previous allocation, in one of two modes:
//!    *budget-neutral* (paid for by scaling back the areas above their floor) or *funded*
//!    (every reduction is removed and the total grows by what that costs: "all increases
//!    accepted, all reductions removed"; the extra cost is reported).
//! 5. **Ceiling / damping** — no area's change against its previous allocation beyond ±Y%.
//!
//! Budget-neutral bounds are met by iterative proportional scaling: areas that would break a
//! bound are fixed at it and the rest of the pot is shared again among the others, until no
//! bound is broken. Every split is done in whole pence by the largest-remainder method with
//! ties broken by area code, so amounts sum exactly to the pot (plus any stated extra), a
//! floor is never missed by a penny, and the result does not depend on the order areas are
//! given in.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Money, Percentage};

/// A non-negative indicator value with up to six decimal places, held exactly (millionths).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct IndicatorValue(u64);

impl IndicatorValue {
    pub const fn from_millionths(m: u64) -> IndicatorValue {
        IndicatorValue(m)
    }

    pub const fn whole(n: u64) -> IndicatorValue {
        IndicatorValue(n * 1_000_000)
    }

    pub const fn millionths(self) -> u64 {
        self.0
    }

    /// `1234`, `1,234`, `0.375`: not negative, at most six decimal places.
    pub fn parse(text: &str) -> Result<IndicatorValue, String> {
        let t = text.trim();
        if t.starts_with('-') {
            return Err(format!(
                "“{t}” is negative: indicator values are counts or rates, zero or more"
            ));
        }
        let bad = || format!("“{t}” is not a number: write digits, for example 1234 or 0.375");
        let whole_part = t.split_once('.').map_or(t, |(w, _)| w);
        if !crate::money::commas_group_thousands(whole_part) {
            return Err(format!(
                "“{t}” has a comma that does not separate thousands: write 1234, 1,234 or 12.34"
            ));
        }
        let n: String = t.chars().filter(|c| *c != ',').collect();
        let (whole, frac) = n.split_once('.').unwrap_or((&n, ""));
        if whole.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || (n.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        if frac.len() > 6 {
            return Err(format!("“{t}” has more than six decimal places"));
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        let frac: u64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
        whole
            .checked_mul(1_000_000)
            .and_then(|w| w.checked_add(frac))
            .map(IndicatorValue)
            .ok_or_else(|| format!("“{t}” is too large"))
    }
}

impl fmt::Display for IndicatorValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = self.0 % 1_000_000;
        if frac == 0 {
            write!(f, "{}", self.0 / 1_000_000)
        } else {
            let s = format!("{frac:06}");
            write!(f, "{}.{}", self.0 / 1_000_000, s.trim_end_matches('0'))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub name: String,
    pub weight: Percentage,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FloorMode {
    #[default]
    BudgetNeutral,
    Funded,
}

impl FloorMode {
    pub fn parse(text: &str) -> Result<FloorMode, String> {
        match text.trim() {
            "budget-neutral" => Ok(FloorMode::BudgetNeutral),
            "funded" => Ok(FloorMode::Funded),
            t => Err(format!(
                "“{t}” is not a floor mode: choose budget-neutral or funded"
            )),
        }
    }
}

/// The rules chosen for one allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationRules {
    pub indicators: Vec<Indicator>,
    pub top_slice: Option<Percentage>,
    pub uplift_phase: Option<Percentage>,
    pub floor: Option<Percentage>,
    pub floor_mode: FloorMode,
    pub ceiling: Option<Percentage>,
}

/// One area's inputs: its code (the ONS code for boroughs), its previous allocation, and its
/// value for each indicator in the order of [`AllocationRules::indicators`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationArea {
    pub code: String,
    pub previous: Option<Money>,
    pub indicators: Vec<IndicatorValue>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationInput {
    pub pot: Money,
    pub areas: Vec<AllocationArea>,
    pub rules: AllocationRules,
}

/// Which rule decided an area's amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundBy {
    Formula,
    Floor,
    Ceiling,
    FundedFloor,
}

impl BoundBy {
    pub fn label(self) -> &'static str {
        match self {
            BoundBy::Formula => "formula",
            BoundBy::Floor => "floor",
            BoundBy::Ceiling => "ceiling",
            BoundBy::FundedFloor => "funded floor",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaAllocation {
    pub code: String,
    pub amount: Money,
    /// What the formula alone would give.
    pub formula_amount: Money,
    /// The formula amount as a share of the money shared between areas, in millionths.
    pub formula_share_millionths: u64,
    pub previous: Option<Money>,
    pub change: Option<Money>,
    /// Change against the previous allocation in basis points (rounded toward zero).
    pub change_basis_points: Option<i64>,
    pub bound_by: BoundBy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationOutcome {
    pub pot: Money,
    /// Taken off first (co-commissioning).
    pub top_slice: Money,
    /// Pot less top-slice: what the areas share before any funded floor.
    pub shared: Money,
    /// What a funded floor adds on top of the pot.
    pub extra_cost: Money,
    /// Sum of the areas' amounts: `shared + extra_cost`.
    pub total: Money,
    /// In the order the areas were given.
    pub areas: Vec<AreaAllocation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllocationError {
    #[error("there are no areas to allocate to")]
    NoAreas,
    #[error("the pot must not be negative (it is {0})")]
    NegativePot(Money),
    #[error("area {0} is listed more than once")]
    DuplicateArea(String),
    #[error("there are no indicators: give at least one, for example crime volumes")]
    NoIndicators,
    #[error("indicator weights must add up to 100%, but they add up to {0}")]
    WeightsNot100(Percentage),
    #[error("area {area} has no value for the indicator {indicator}")]
    MissingIndicator { area: String, indicator: String },
    #[error("every area has zero for the indicator {0}, so it cannot share anything out")]
    IndicatorAllZero(String),
    #[error("area {area} has no previous allocation, which the {rule} needs")]
    MissingPrevious { area: String, rule: &'static str },
    #[error("the floors need {needed} but only {available} is there to share: lower the floor or raise the pot")]
    FloorsExceedPot { needed: Money, available: Money },
    #[error("the ceilings allow only {allowed} of the {available} to share: raise the ceiling or lower the pot")]
    CeilingsBelowPot { allowed: Money, available: Money },
    #[error("the top-slice must be at most 100% of the pot (it is {0}): it is a share of the pot taken off first")]
    TopSliceOver100(Percentage),
    #[error("uplift phasing must be at most 100% (it is {0}): it is how far each area moves from its previous allocation towards the formula")]
    UpliftPhaseOver100(Percentage),
    #[error("area {area}'s previous allocation is negative ({amount}): a previous allocation is £0 or more")]
    NegativePrevious { area: String, amount: Money },
    #[error("the amounts are too large to calculate with")]
    Overflow,
}

impl From<crate::ArithmeticError> for AllocationError {
    fn from(_: crate::ArithmeticError) -> Self {
        AllocationError::Overflow
    }
}

/// Lower and upper bounds on an area's amount, and which rule sets the lower one.
#[derive(Clone, Copy)]
struct Bounds {
    lower: Money,
    lower_by: BoundBy,
    upper: Option<Money>,
}

/// Builds the engine's input from tables of values by area code — the one way the CLI and
/// the pages do it, so both refuse the same things: an area with no value for an indicator,
/// and (when a floor, ceiling or phasing needs it) an area with no previous allocation, each
/// named. A missing previous allocation is never taken as £0. `columns` are in the order of
/// `rules.indicators`.
pub fn allocation_input(
    pot: Money,
    areas: &[String],
    columns: &[&BTreeMap<String, IndicatorValue>],
    previous: Option<&BTreeMap<String, Money>>,
    rules: AllocationRules,
) -> Result<AllocationInput, AllocationError> {
    let mut out = Vec::with_capacity(areas.len());
    for code in areas {
        let mut values = Vec::with_capacity(columns.len());
        for (k, column) in columns.iter().enumerate() {
            let value = column
                .get(code)
                .ok_or_else(|| AllocationError::MissingIndicator {
                    area: code.clone(),
                    indicator: rules
                        .indicators
                        .get(k)
                        .map_or_else(|| format!("number {}", k + 1), |i| i.name.clone()),
                })?;
            values.push(*value);
        }
        out.push(AllocationArea {
            code: code.clone(),
            previous: previous.and_then(|p| p.get(code).copied()),
            indicators: values,
        });
    }
    let input = AllocationInput {
        pot,
        areas: out,
        rules,
    };
    validate(&input)?;
    Ok(input)
}

/// A year's pot split by the top-slice (LCPF's Co-Commissioning Fund: 30% from 2018/19):
/// what is taken off first, and what the boroughs share. The top-slice is rounded down to the
/// penny, so the two always add up to the pot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopSliceSplit {
    pub pot: Money,
    pub top_slice: Money,
    pub shared: Money,
}

/// The one place a pot is split into its top-slice and the boroughs' share: the engine, the
/// funds and period pages, the exports and the co-commissioning calls all use it.
pub fn top_slice_split(pot: Money, share: Percentage) -> Result<TopSliceSplit, AllocationError> {
    if share > Percentage::HUNDRED {
        return Err(AllocationError::TopSliceOver100(share));
    }
    let top_slice = share.of_floor(pot);
    Ok(TopSliceSplit {
        pot,
        top_slice,
        shared: pot.checked_sub(top_slice)?,
    })
}

pub fn allocate(input: &AllocationInput) -> Result<AllocationOutcome, AllocationError> {
    let rules = &input.rules;
    validate(input)?;
    // Work in area-code order so ties in rounding never depend on the order given.
    let mut order: Vec<usize> = (0..input.areas.len()).collect();
    order.sort_by(|a, b| input.areas[*a].code.cmp(&input.areas[*b].code));
    let areas: Vec<&AllocationArea> = order.iter().map(|i| &input.areas[*i]).collect();

    let TopSliceSplit {
        top_slice, shared, ..
    } = top_slice_split(input.pot, rules.top_slice.unwrap_or_default())?;

    let formula = formula_amounts(shared, &rules.indicators, &areas)?;
    let shares = formula_shares(&rules.indicators, &areas);
    let targets: Vec<u64> = match rules.uplift_phase {
        Some(phase) => phased_targets(&formula, &areas, phase),
        None => formula.iter().map(|m| m.pence().max(0) as u64).collect(),
    };

    let budget_neutral_floor = rules
        .floor
        .filter(|_| rules.floor_mode == FloorMode::BudgetNeutral);
    let bounds: Vec<Bounds> = areas
        .iter()
        .map(|a| {
            bounds_for(
                a.previous.unwrap_or(Money::ZERO),
                budget_neutral_floor,
                rules.ceiling,
            )
        })
        .collect();
    let (mut amounts, mut bound_by) = share_within_bounds(shared, &targets, &bounds)?;

    let mut extra_cost = Money::ZERO;
    if let (Some(floor), FloorMode::Funded) = (rules.floor, rules.floor_mode) {
        for (i, a) in areas.iter().enumerate() {
            let minimum = floor.of_ceil(a.previous.unwrap_or(Money::ZERO));
            if amounts[i] < minimum {
                extra_cost = extra_cost.checked_add(minimum.checked_sub(amounts[i])?)?;
                amounts[i] = minimum;
                bound_by[i] = BoundBy::FundedFloor;
            }
        }
    }
    let total = Money::checked_sum(amounts.iter().copied())?;

    let mut results: Vec<Option<AreaAllocation>> = vec![None; input.areas.len()];
    for (k, original) in order.iter().enumerate() {
        let a = areas[k];
        let change = a.previous.map(|p| amounts[k].checked_sub(p)).transpose()?;
        let change_basis_points = match (change, a.previous) {
            (Some(c), Some(p)) if p.pence() > 0 => {
                Some((i128::from(c.pence()) * 10_000 / i128::from(p.pence())) as i64)
            }
            _ => None,
        };
        let formula_share_millionths = shares[k];
        results[*original] = Some(AreaAllocation {
            code: a.code.clone(),
            amount: amounts[k],
            formula_amount: formula[k],
            formula_share_millionths,
            previous: a.previous,
            change,
            change_basis_points,
            bound_by: bound_by[k],
        });
    }
    Ok(AllocationOutcome {
        pot: input.pot,
        top_slice,
        shared,
        extra_cost,
        total,
        areas: results.into_iter().flatten().collect(),
    })
}

fn validate(input: &AllocationInput) -> Result<(), AllocationError> {
    let rules = &input.rules;
    if input.areas.is_empty() {
        return Err(AllocationError::NoAreas);
    }
    if input.pot.is_negative() {
        return Err(AllocationError::NegativePot(input.pot));
    }
    if let Some(t) = rules.top_slice.filter(|t| *t > Percentage::HUNDRED) {
        return Err(AllocationError::TopSliceOver100(t));
    }
    if let Some(u) = rules.uplift_phase.filter(|u| *u > Percentage::HUNDRED) {
        return Err(AllocationError::UpliftPhaseOver100(u));
    }
    let mut seen = HashSet::new();
    for a in &input.areas {
        if !seen.insert(a.code.as_str()) {
            return Err(AllocationError::DuplicateArea(a.code.clone()));
        }
        if let Some(amount) = a.previous.filter(|p| p.is_negative()) {
            return Err(AllocationError::NegativePrevious {
                area: a.code.clone(),
                amount,
            });
        }
    }
    if rules.indicators.is_empty() {
        return Err(AllocationError::NoIndicators);
    }
    let weights: u32 = rules
        .indicators
        .iter()
        .map(|i| i.weight.basis_points())
        .sum();
    if weights != 10_000 {
        return Err(AllocationError::WeightsNot100(
            Percentage::from_basis_points(weights),
        ));
    }
    for (k, indicator) in rules.indicators.iter().enumerate() {
        let mut total: u128 = 0;
        for a in &input.areas {
            let v = a
                .indicators
                .get(k)
                .ok_or_else(|| AllocationError::MissingIndicator {
                    area: a.code.clone(),
                    indicator: indicator.name.clone(),
                })?;
            total += u128::from(v.millionths());
        }
        if total == 0 && indicator.weight.basis_points() > 0 {
            return Err(AllocationError::IndicatorAllZero(indicator.name.clone()));
        }
    }
    let needs_previous = [
        (rules.floor.is_some(), "floor"),
        (rules.ceiling.is_some(), "ceiling"),
        (rules.uplift_phase.is_some(), "uplift phasing"),
    ];
    for (needed, rule) in needs_previous {
        if needed {
            if let Some(a) = input.areas.iter().find(|a| a.previous.is_none()) {
                return Err(AllocationError::MissingPrevious {
                    area: a.code.clone(),
                    rule,
                });
            }
        }
    }
    Ok(())
}

/// Each indicator's weight of the money, shared by the areas' values; summed per area.
fn formula_amounts(
    shared: Money,
    indicators: &[Indicator],
    areas: &[&AllocationArea],
) -> Result<Vec<Money>, AllocationError> {
    let weights: Vec<u64> = indicators
        .iter()
        .map(|i| u64::from(i.weight.basis_points()))
        .collect();
    let per_indicator = shared.split_by_weights(&weights)?;
    let mut amounts = vec![Money::ZERO; areas.len()];
    for (k, pot_k) in per_indicator.into_iter().enumerate() {
        if pot_k == Money::ZERO {
            continue;
        }
        let values: Vec<u64> = areas.iter().map(|a| a.indicators[k].millionths()).collect();
        for (i, part) in pot_k.split_by_weights(&values)?.into_iter().enumerate() {
            amounts[i] = amounts[i].checked_add(part)?;
        }
    }
    Ok(amounts)
}

/// Each area's share of the formula, in millionths: the weighted sum of its share of each
/// indicator. It is the indicators' own share, so it does not move with the pot or with the
/// rounding of the amounts (rounded down to the millionth).
fn formula_shares(indicators: &[Indicator], areas: &[&AllocationArea]) -> Vec<u64> {
    let mut shares = vec![0u128; areas.len()];
    for (k, indicator) in indicators.iter().enumerate() {
        let total: u128 = areas
            .iter()
            .map(|a| u128::from(a.indicators[k].millionths()))
            .sum();
        if total == 0 {
            continue;
        }
        let weight = u128::from(indicator.weight.basis_points());
        for (i, a) in areas.iter().enumerate() {
            // share × 10⁶ × weight/10⁴, kept as a numerator over `total` until the end.
            shares[i] +=
                u128::from(a.indicators[k].millionths()) * weight * 100 * 1_000_000 / total;
        }
    }
    shares.into_iter().map(|s| (s / 1_000_000) as u64).collect()
}

/// previous + phase × (formula − previous), in hundredths of a penny (exact).
fn phased_targets(formula: &[Money], areas: &[&AllocationArea], phase: Percentage) -> Vec<u64> {
    formula
        .iter()
        .zip(areas)
        .map(|(f, a)| {
            let p = i128::from(a.previous.unwrap_or(Money::ZERO).pence());
            let f = i128::from(f.pence());
            let t = p * 10_000 + i128::from(phase.basis_points()) * (f - p);
            t.clamp(0, i128::from(u64::MAX)) as u64
        })
        .collect()
}

fn bounds_for(previous: Money, floor: Option<Percentage>, ceiling: Option<Percentage>) -> Bounds {
    let mut lower = Money::ZERO;
    let mut lower_by = BoundBy::Formula;
    if let Some(f) = floor {
        lower = f.of_ceil(previous);
        lower_by = BoundBy::Floor;
    }
    let mut upper = None;
    if let Some(c) = ceiling {
        let down = Percentage::from_basis_points(10_000u32.saturating_sub(c.basis_points()))
            .of_ceil(previous);
        if down > lower {
            lower = down;
            lower_by = BoundBy::Ceiling;
        }
        upper = Some(Percentage::from_basis_points(10_000 + c.basis_points()).of_floor(previous));
    }
    Bounds {
        lower,
        lower_by,
        upper,
    }
}

/// Shares `pot` in proportion to `weights`, keeping each area within its bounds, to the penny.
fn share_within_bounds(
    pot: Money,
    weights: &[u64],
    bounds: &[Bounds],
) -> Result<(Vec<Money>, Vec<BoundBy>), AllocationError> {
    let needed = Money::checked_sum(bounds.iter().map(|b| b.lower))?;
    if needed > pot {
        return Err(AllocationError::FloorsExceedPot {
            needed,
            available: pot,
        });
    }
    if bounds.iter().all(|b| b.upper.is_some()) {
        let allowed = Money::checked_sum(bounds.iter().filter_map(|b| b.upper))?;
        if allowed < pot {
            return Err(AllocationError::CeilingsBelowPot {
                allowed,
                available: pot,
            });
        }
    }
    let n = weights.len();
    let unconstrained = if weights.iter().any(|w| *w > 0) {
        pot.split_by_weights(weights)?
    } else {
        pot.split_evenly(n)?
    };
    let mut fixed: BTreeMap<usize, (Money, BoundBy)> = BTreeMap::new();
    loop {
        let free: Vec<usize> = (0..n).filter(|i| !fixed.contains_key(i)).collect();
        let remaining = pot.checked_sub(Money::checked_sum(fixed.values().map(|v| v.0))?)?;
        if free.is_empty() {
            // Every area is at a bound. The feasibility checks make a remainder impossible;
            // refuse rather than lose money if one ever appears.
            if remaining != Money::ZERO {
                return Err(AllocationError::Overflow);
            }
            let amounts = fixed.values().map(|v| v.0).collect();
            let by = fixed.values().map(|v| v.1).collect();
            return Ok((amounts, by));
        }
        let mut w: Vec<u64> = free.iter().map(|i| weights[*i]).collect();
        if w.iter().all(|x| *x == 0) {
            // Nothing to go on: share what is left equally among the areas still free.
            w = vec![1; free.len()];
        }
        let parts = remaining.split_by_weights(&w)?;
        let mut low: Vec<(usize, Money)> = Vec::new();
        let mut high: Vec<(usize, Money)> = Vec::new();
        let (mut low_total, mut high_total) = (0i128, 0i128);
        for (k, i) in free.iter().enumerate() {
            let b = bounds[*i];
            if parts[k] < b.lower {
                low_total += i128::from(b.lower.pence() - parts[k].pence());
                low.push((*i, b.lower));
            } else if let Some(u) = b.upper.filter(|u| parts[k] > *u) {
                high_total += i128::from(parts[k].pence() - u.pence());
                high.push((*i, u));
            }
        }
        if low.is_empty() && high.is_empty() {
            let mut amounts = vec![Money::ZERO; n];
            let mut by = vec![BoundBy::Formula; n];
            for (k, i) in free.iter().enumerate() {
                amounts[*i] = parts[k];
                // An area resting exactly on a bound that its unconstrained share would have
                // crossed is explained by that bound.
                let b = bounds[*i];
                if Some(parts[k]) == b.upper && unconstrained[*i] > parts[k] {
                    by[*i] = BoundBy::Ceiling;
                } else if parts[k] == b.lower && unconstrained[*i] < parts[k] {
                    by[*i] = b.lower_by;
                }
            }
            for (i, (m, b)) in &fixed {
                amounts[*i] = *m;
                by[*i] = *b;
            }
            return Ok((amounts, by));
        }
        // Fix the side that is further out; the other side may resolve itself next round.
        if low_total >= high_total {
            for (i, m) in low {
                fixed.insert(i, (m, bounds[i].lower_by));
            }
        } else {
            for (i, m) in high {
                fixed.insert(i, (m, BoundBy::Ceiling));
            }
        }
    }
}

/// A cut on the previous year larger than this, in basis points (10%), is called out before a
/// scenario is decided: a borough losing a tenth of its money will ask why.
pub const LARGE_CUT_BASIS_POINTS: i64 = 1_000;

/// How one area's allocation moves from one year to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearOnYear {
    pub previous: Money,
    pub now: Money,
}

impl YearOnYear {
    /// The change in money (negative: a cut).
    pub fn change(&self) -> Money {
        Money::from_pence(self.now.pence().saturating_sub(self.previous.pence()))
    }

    /// The change as a share of the previous year, in basis points rounded toward zero; none
    /// when the previous year was nothing.
    pub fn basis_points(&self) -> Option<i64> {
        let previous = i128::from(self.previous.pence());
        (previous > 0).then(|| {
            (i128::from(self.change().pence()) * 10_000 / previous)
                .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
        })
    }

    /// The change as a percentage with two decimals and its sign, e.g. `-55.00%`.
    pub fn percent_text(&self) -> String {
        match self.basis_points() {
            None => "new".into(),
            Some(b) => format!(
                "{}{}.{:02}%",
                if b < 0 {
                    "-"
                } else if b > 0 {
                    "+"
                } else {
                    ""
                },
                b.unsigned_abs() / 100,
                b.unsigned_abs() % 100
            ),
        }
    }

    /// A cut larger than [`LARGE_CUT_BASIS_POINTS`].
    /// Worked out exactly, not from the rounded percentage.
    pub fn is_large_cut(&self) -> bool {
        let previous = i128::from(self.previous.pence());
        previous > 0
            && i128::from(self.change().pence()) * 10_000
                < -i128::from(LARGE_CUT_BASIS_POINTS) * previous
    }
}

#[cfg(test)]
mod year_on_year_tests {
    use super::*;

    fn yoy(previous: i64, now: i64) -> YearOnYear {
        YearOnYear {
            previous: Money::from_pence(previous),
            now: Money::from_pence(now),
        }
    }

    #[test]
    fn a_cut_of_more_than_a_tenth_is_large_and_a_tenth_is_not() {
        assert!(yoy(100_000, 45_000).is_large_cut());
        assert_eq!(yoy(100_000, 45_000).percent_text(), "-55.00%");
        assert!(!yoy(100_000, 90_000).is_large_cut());
        assert!(yoy(100_000, 89_999).is_large_cut());
        assert!(!yoy(100_000, 150_000).is_large_cut());
    }

    #[test]
    fn the_change_reads_with_its_sign() {
        assert_eq!(yoy(40_300_000, 64_400_000).percent_text(), "+59.80%");
        assert_eq!(
            yoy(40_300_000, 64_400_000).change(),
            Money::from_pence(24_100_000)
        );
        assert_eq!(yoy(100, 100).percent_text(), "0.00%");
        assert_eq!(yoy(0, 100).percent_text(), "new");
        assert_eq!(yoy(0, 100).basis_points(), None);
    }
}

#[cfg(test)]
mod tests;
