//! Percentages as whole basis points (1% = 100 bp), so rules like "30% top-slice" or
//! "no area below 95% of its previous allocation" are exact.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Money;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Percentage(u32);

impl Percentage {
    pub const ZERO: Percentage = Percentage(0);
    pub const HUNDRED: Percentage = Percentage(10_000);

    pub const fn from_basis_points(bp: u32) -> Percentage {
        Percentage(bp)
    }

    pub const fn whole(pct: u32) -> Percentage {
        Percentage(pct * 100)
    }

    pub const fn basis_points(self) -> u32 {
        self.0
    }

    /// `30`, `30%`, `12.5`, `0.25%`: at most two decimal places, not negative, at most 1000%.
    pub fn parse(text: &str) -> Result<Percentage, String> {
        let t = text.trim();
        let bad = || {
            format!("“{t}” is not a percentage: write a number such as 30 or 12.5 (at most two decimal places)")
        };
        let n = t.strip_suffix('%').unwrap_or(t).trim();
        let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
        if whole.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || (n.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        if whole > 1000 {
            return Err(format!(
                "“{t}” is too large: a percentage here is at most 1000"
            ));
        }
        Ok(Percentage(whole * 100 + frac))
    }

    /// This percentage of an amount, rounded down to the penny.
    pub fn of_floor(self, amount: Money) -> Money {
        let v = i128::from(amount.pence()) * i128::from(self.0);
        Money::from_pence(v.div_euclid(10_000) as i64)
    }

    /// This percentage of an amount, rounded up to the penny (for floors: never a penny short).
    pub fn of_ceil(self, amount: Money) -> Money {
        let v = i128::from(amount.pence()) * i128::from(self.0);
        Money::from_pence((-((-v).div_euclid(10_000))) as i64)
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(100) {
            write!(f, "{}%", self.0 / 100)
        } else {
            write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Percentage::parse("30"), Ok(Percentage::whole(30)));
        assert_eq!(
            Percentage::parse("12.5%"),
            Ok(Percentage::from_basis_points(1250))
        );
        assert_eq!(Percentage::parse("0.25").unwrap().to_string(), "0.25%");
        for bad in ["-5", "1.234", "abc", "", "5.", "2000"] {
            assert!(Percentage::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rounds_in_the_stated_direction() {
        let m = Money::from_pence(333);
        assert_eq!(Percentage::whole(50).of_floor(m), Money::from_pence(166));
        assert_eq!(Percentage::whole(50).of_ceil(m), Money::from_pence(167));
        assert_eq!(
            Percentage::whole(30).of_floor(Money::from_pounds(644_000)),
            Money::from_pounds(193_200)
        );
    }
}
