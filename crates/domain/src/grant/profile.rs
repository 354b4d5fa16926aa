//! A grant's funding profile: for each project (pointing at an approved proposal line or an
//! award by its stable key), the money for each financial year, split revenue and capital,
//! each year **firm** or **provisional** (Bexley, 2013: 2013/14 firm, 2014/15 to 2016/17
//! provisional).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ArithmeticError, FinancialYear, FundingPeriod, Money};

/// Whether a year's money is promised or only expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Agreed: it will be paid against claims.
    Firm,
    /// Expected, to be confirmed by a recorded decision before it can be paid.
    Provisional,
}

impl Certainty {
    pub fn label(self) -> &'static str {
        match self {
            Certainty::Firm => "Firm",
            Certainty::Provisional => "Provisional",
        }
    }
}

/// One year of one project's money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearFunding {
    pub revenue: Money,
    pub capital: Money,
    pub certainty: Certainty,
}

impl YearFunding {
    pub fn firm(revenue: Money) -> YearFunding {
        YearFunding {
            revenue,
            capital: Money::ZERO,
            certainty: Certainty::Firm,
        }
    }

    pub fn provisional(revenue: Money) -> YearFunding {
        YearFunding {
            certainty: Certainty::Provisional,
            ..YearFunding::firm(revenue)
        }
    }

    pub fn total(&self) -> Result<Money, ArithmeticError> {
        self.revenue.checked_add(self.capital)
    }
}

/// Where a project's money comes from: the stable key of what it was made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "key")]
pub enum Source {
    /// An approved proposal line, by its line key.
    ProposalLine(i64),
    /// A co-commissioning award, by its key.
    Award(i64),
    /// Imported history from before the product (no record to point at).
    Imported,
}

/// One project of a grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    pub source: Source,
    pub years: BTreeMap<FinancialYear, YearFunding>,
}

impl Project {
    pub fn total(&self) -> Result<Money, ArithmeticError> {
        let mut sum = Money::ZERO;
        for y in self.years.values() {
            sum = sum.checked_add(y.total()?)?;
        }
        Ok(sum)
    }
}

/// A grant's profile: its projects in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub projects: Vec<Project>,
}

/// A profile's money in one year: firm and provisional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct YearTotal {
    pub firm: Money,
    pub provisional: Money,
}

impl YearTotal {
    pub fn total(&self) -> Result<Money, ArithmeticError> {
        self.firm.checked_add(self.provisional)
    }
}

impl Profile {
    /// The whole grant.
    pub fn total(&self) -> Result<Money, ArithmeticError> {
        let mut sum = Money::ZERO;
        for p in &self.projects {
            sum = sum.checked_add(p.total()?)?;
        }
        Ok(sum)
    }

    /// Each year's money, firm and provisional, across the projects.
    /// Each year's money, firm and provisional together.
    pub fn money_by_year(&self) -> Result<BTreeMap<FinancialYear, Money>, ArithmeticError> {
        self.by_year()?
            .into_iter()
            .map(|(y, t)| Ok((y, t.total()?)))
            .collect()
    }

    pub fn by_year(&self) -> Result<BTreeMap<FinancialYear, YearTotal>, ArithmeticError> {
        let mut out: BTreeMap<FinancialYear, YearTotal> = BTreeMap::new();
        for p in &self.projects {
            for (year, f) in &p.years {
                let t = out.entry(*year).or_default();
                match f.certainty {
                    Certainty::Firm => t.firm = t.firm.checked_add(f.total()?)?,
                    Certainty::Provisional => {
                        t.provisional = t.provisional.checked_add(f.total()?)?
                    }
                }
            }
        }
        Ok(out)
    }

    /// What can be paid in a year: its firm money only.
    pub fn firm_in(&self, year: FinancialYear) -> Result<Money, ArithmeticError> {
        Ok(self
            .by_year()?
            .get(&year)
            .map(|t| t.firm)
            .unwrap_or(Money::ZERO))
    }

    /// The profile with a year's provisional money made firm (a recorded decision confirms
    /// it); refused when the year has no provisional money.
    pub fn confirm(&self, year: FinancialYear) -> Result<Profile, String> {
        let mut out = self.clone();
        let mut changed = false;
        for p in &mut out.projects {
            if let Some(f) = p.years.get_mut(&year) {
                if f.certainty == Certainty::Provisional {
                    f.certainty = Certainty::Firm;
                    changed = true;
                }
            }
        }
        if changed {
            Ok(out)
        } else {
            Err(format!("{year} has no provisional money to confirm"))
        }
    }

    /// Every rule the profile breaks: years within the grant's period, no negative amounts,
    /// a name for each project, and a total no more than the `ceiling` (the borough's
    /// envelope for the period, or the award), said with both figures.
    pub fn problems(
        &self,
        period: FundingPeriod,
        ceiling: Money,
        ceiling_words: &str,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, p) in self.projects.iter().enumerate() {
            let field = format!("projects[{i}]");
            if p.name.trim().is_empty() {
                out.push((field.clone(), format!("Project {} needs a name", i + 1)));
            }
            for (year, f) in &p.years {
                if !period.contains(*year) {
                    out.push((
                        field.clone(),
                        format!("{}: {year} is outside the grant's period, {period}", p.name),
                    ));
                }
                if f.revenue.is_negative() || f.capital.is_negative() {
                    out.push((
                        field.clone(),
                        format!("{}: the money for {year} cannot be negative", p.name),
                    ));
                }
            }
        }
        match self.total() {
            Ok(total) if total > ceiling => out.push((
                "projects".into(),
                format!(
                    "The grant comes to {total}, more than {ceiling_words} of {ceiling}: {} over",
                    Money::from_pence(total.pence() - ceiling.pence())
                ),
            )),
            Ok(_) => {}
            Err(_) => out.push((
                "projects".into(),
                "The amounts are too large to add up".into(),
            )),
        }
        out
    }
}

/// What a variation changes: the money per year before and after (across projects), and
/// whether it keeps the grant's total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub before: BTreeMap<FinancialYear, Money>,
    pub after: BTreeMap<FinancialYear, Money>,
    pub total_before: Money,
    pub total_after: Money,
}

impl Change {
    /// Money moved between projects or years, the total kept.
    pub fn is_reprofile(&self) -> bool {
        self.total_before == self.total_after
    }
}

fn totals(p: &Profile) -> Result<BTreeMap<FinancialYear, Money>, ArithmeticError> {
    p.by_year()?
        .into_iter()
        .map(|(y, t)| t.total().map(|m| (y, m)))
        .collect()
}

/// Checks a variation of a signed grant: the new profile keeps to the period and the ceiling
/// (money moved between projects or years stays inside the period), and no year's firm money falls below
/// what has been paid in it (`paid_by_year`); returns what
/// changes.
pub fn check_variation(
    before: &Profile,
    after: &Profile,
    period: FundingPeriod,
    ceiling: Money,
    ceiling_words: &str,
    paid_by_year: &BTreeMap<FinancialYear, Money>,
) -> Result<Change, Vec<(String, String)>> {
    let mut problems = after.problems(period, ceiling, ceiling_words);
    let arithmetic = |_| {
        vec![(
            "projects".to_string(),
            "The amounts are too large to add up".to_string(),
        )]
    };
    let after_years = totals(after).map_err(arithmetic)?;
    for (year, paid) in paid_by_year {
        let firm = after.firm_in(*year).map_err(arithmetic)?;
        if firm < *paid {
            problems.push((
                "projects".into(),
                format!("{paid} has been requested or paid for {year}, so its firm money cannot go below that (the variation leaves {firm})"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Change {
        before: totals(before).map_err(arithmetic)?,
        total_before: before.total().map_err(arithmetic)?,
        total_after: after.total().map_err(arithmetic)?,
        after: after_years,
    })
}

/// A borough's grants in a funding period stay within its allocation: year by year, for each
/// year whose allocation is decided (a year not yet decided has no allocation to keep within).
/// Holds, for each decided year, the allocation and what the borough's grants there already
/// come to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllocationRoom {
    pub years: BTreeMap<FinancialYear, (Money, Money)>,
}

impl AllocationRoom {
    /// Why `more` (a new grant's money by year) would take the borough's grants in a decided
    /// year past its allocation for the year, with both figures; none when every year fits.
    pub fn refusal(
        &self,
        recipient: &str,
        more: &BTreeMap<FinancialYear, Money>,
    ) -> Option<String> {
        self.years.iter().find_map(|(year, (allocation, granted))| {
            let adding = more.get(year).copied().unwrap_or(Money::ZERO);
            let total = granted.checked_add(adding).ok()?;
            (adding.pence() > 0 && total > *allocation).then(|| {
                let over = Money::from_pence(total.pence().saturating_sub(allocation.pence()));
                format!(
                    "{recipient}'s grants for {year} would come to {total}, more than its allocation of {allocation} for the year ({over} over): {granted} is granted already"
                )
            })
        })
    }

    /// Counts `more` as granted (a grant earlier in the same import).
    pub fn add(&mut self, more: &BTreeMap<FinancialYear, Money>) {
        for (year, (_, granted)) in self.years.iter_mut() {
            if let Some(m) = more.get(year) {
                *granted = granted.checked_add(*m).unwrap_or(*granted);
            }
        }
    }
}
