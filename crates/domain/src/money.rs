//! `Money`: an exact amount in integer pence.
//!
//! Every amount the fund handles — allocations, line costs, grants, payments — is a `Money`.
//! There is no floating point anywhere on the path from what a person types to what is stored:
//! parsing reads digits, arithmetic is checked, and splitting a sum into shares uses the
//! largest-remainder method so the parts always add up to the whole, to the penny.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An amount of money in pence. May be negative (a reduction, a clawback).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a piece of text is not an amount of money. Each message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("enter an amount, for example £1,082,015 or 640000.50")]
    Empty,
    #[error("“{0}” is not an amount of money: use digits, an optional £ sign, commas between thousands and at most two decimal places, for example £1,082,015 or 100467.44")]
    Invalid(String),
    #[error("“{0}” has more than two decimal places: amounts are in pounds and pence")]
    TooManyDecimals(String),
    #[error(
        "“{0}” has commas in the wrong places: commas separate thousands, for example 1,082,015"
    )]
    MisplacedComma(String),
    #[error("“{0}” is too large: amounts must be under £90 trillion")]
    TooLarge(String),
}

/// An arithmetic result that does not fit, or a split that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArithmeticError {
    #[error("the amount is too large to calculate with")]
    Overflow,
    #[error("cannot split an amount by weights that are all zero or negative")]
    NoWeights,
}

/// Whether the commas in the whole-number part of a figure separate thousands (`1,234,567`),
/// as British spreadsheets write them. `12,34` is not a thousands separator but a decimal
/// comma, or a slip: refused rather than read as 1234. No comma at all is fine.
pub fn commas_group_thousands(whole: &str) -> bool {
    if !whole.contains(',') {
        return true;
    }
    let mut groups = whole.split(',');
    let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
    first_ok && groups.all(|g| g.len() == 3)
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_pence(pence: i64) -> Money {
        Money(pence)
    }

    /// Whole pounds. Panics on overflow only for constants written in code; use
    /// [`Money::checked_from_pounds`] for anything a person typed.
    pub const fn from_pounds(pounds: i64) -> Money {
        Money(pounds * 100)
    }

    pub fn checked_from_pounds(pounds: i64) -> Option<Money> {
        pounds.checked_mul(100).map(Money)
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, ArithmeticError> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .ok_or(ArithmeticError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, ArithmeticError> {
        self.0
            .checked_sub(other.0)
            .map(Money)
            .ok_or(ArithmeticError::Overflow)
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, ArithmeticError> {
        self.0
            .checked_mul(factor)
            .map(Money)
            .ok_or(ArithmeticError::Overflow)
    }

    /// Adds up amounts, refusing overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, ArithmeticError> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// Splits `self` into parts proportional to `weights`, exactly.
    ///
    /// Largest-remainder method: each part first gets the floor of its exact share; the pence
    /// left over go one each to the parts with the largest remainders, ties broken by position
    /// (earlier first). The parts always sum to `self`, and the result depends only on the
    /// weights and their order. Works in 128-bit integers, so no precision is lost.
    /// Negative amounts are split as the negation of splitting the positive amount.
    pub fn split_by_weights(self, weights: &[u64]) -> Result<Vec<Money>, ArithmeticError> {
        let total_weight: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        if total_weight == 0 {
            return Err(ArithmeticError::NoWeights);
        }
        let negative = self.0 < 0;
        let amount = u128::from(self.0.unsigned_abs());
        let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
        let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
        for (i, w) in weights.iter().enumerate() {
            let exact = amount * u128::from(*w);
            parts.push(exact / total_weight);
            remainders.push((exact % total_weight, i));
        }
        let allocated: u128 = parts.iter().sum();
        let mut left = amount - allocated;
        // Largest remainder first; equal remainders keep their original order.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i) in remainders {
            if left == 0 {
                break;
            }
            parts[i] += 1;
            left -= 1;
        }
        parts
            .into_iter()
            .map(|p| {
                let p = i64::try_from(p).map_err(|_| ArithmeticError::Overflow)?;
                Ok(Money(if negative { -p } else { p }))
            })
            .collect()
    }

    /// Splits into `n` equal parts (the first parts get the odd pence).
    pub fn split_evenly(self, n: usize) -> Result<Vec<Money>, ArithmeticError> {
        self.split_by_weights(&vec![1; n])
    }

    /// Parses what people write: `£1,082,015`, `1082015`, `£100,467.44`, `-£4,000`, `(4,000)` is
    /// not accepted. Refuses anything ambiguous rather than guessing.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let original = text.trim();
        if original.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::Invalid(original.to_string());
        let mut s = original;
        let mut negative = false;
        if let Some(rest) = s.strip_prefix('-') {
            negative = true;
            s = rest.trim_start();
        }
        if let Some(rest) = s.strip_prefix('£') {
            s = rest.trim_start();
        }
        if !negative {
            if let Some(rest) = s.strip_prefix('-') {
                negative = true;
                s = rest.trim_start();
            }
        }
        let (whole, fraction) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit() || c == ',') {
            return Err(invalid());
        }
        if !commas_group_thousands(whole) {
            return Err(MoneyError::MisplacedComma(original.to_string()));
        }
        let digits: String = whole.chars().filter(|c| *c != ',').collect();
        let pounds: i64 = digits
            .parse()
            .map_err(|_| MoneyError::TooLarge(original.to_string()))?;
        let pence_part: i64 = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) => {
                return Err(invalid())
            }
            Some(f) if f.len() > 2 => {
                return Err(MoneyError::TooManyDecimals(original.to_string()))
            }
            Some(f) if f.len() == 1 => f.parse::<i64>().map_err(|_| invalid())? * 10,
            Some(f) => f.parse::<i64>().map_err(|_| invalid())?,
        };
        let pence = pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(pence_part))
            .filter(|p| *p < 9_000_000_000_000_000)
            .ok_or_else(|| MoneyError::TooLarge(original.to_string()))?;
        Ok(Money(if negative { -pence } else { pence }))
    }

    /// Plain pounds and pence with no symbol or separators (`-4000.00`): for CSV and
    /// spreadsheets, where a number must stay a number.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The British way: `£1,082,015` for whole pounds, `£100,467.44` otherwise, `-£4,000`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let pounds = abs / 100;
        let pence = abs % 100;
        let digits = pounds.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        if pence == 0 {
            write!(f, "{sign}£{grouped}")
        } else {
            write!(f, "{sign}£{grouped}.{pence:02}")
        }
    }
}

impl Money {
    /// Always with pence: `£345,461.00`.
    pub fn with_pence(self) -> String {
        if self.0 % 100 == 0 {
            format!("{self}.00")
        } else {
            self.to_string()
        }
    }
}

/// How a column of amounts is written so that they line up: all in whole pounds when none
/// has pence, otherwise every one with pence (`£345,461.00` beside `£347,473.72`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoneyColumn {
    pence: bool,
}

impl MoneyColumn {
    pub fn of(amounts: impl IntoIterator<Item = Money>) -> MoneyColumn {
        MoneyColumn {
            pence: amounts.into_iter().any(|m| m.0 % 100 != 0),
        }
    }

    pub fn show(self, m: Money) -> String {
        if self.pence {
            m.with_pence()
        } else {
            m.to_string()
        }
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_write() {
        assert_eq!(
            Money::parse("£1,082,015"),
            Ok(Money::from_pounds(1_082_015))
        );
        assert_eq!(Money::parse("1082015"), Ok(Money::from_pounds(1_082_015)));
        assert_eq!(
            Money::parse("£100,467.44"),
            Ok(Money::from_pence(10_046_744))
        );
        assert_eq!(Money::parse("-£4,000"), Ok(Money::from_pounds(-4000)));
        assert_eq!(Money::parse("£-4,000"), Ok(Money::from_pounds(-4000)));
        assert_eq!(
            Money::parse(" 644000.5 "),
            Ok(Money::from_pence(64_400_050))
        );
        assert_eq!(Money::parse("0"), Ok(Money::ZERO));
    }

    #[test]
    fn refuses_what_is_ambiguous() {
        assert!(matches!(
            Money::parse("£1.2.3"),
            Err(MoneyError::Invalid(_))
        ));
        assert!(matches!(
            Money::parse("12,34"),
            Err(MoneyError::MisplacedComma(_))
        ));
        assert!(matches!(
            Money::parse("1,0000"),
            Err(MoneyError::MisplacedComma(_))
        ));
        assert!(matches!(
            Money::parse("10.005"),
            Err(MoneyError::TooManyDecimals(_))
        ));
        assert!(matches!(Money::parse("1e6"), Err(MoneyError::Invalid(_))));
        assert!(matches!(Money::parse("£"), Err(MoneyError::Invalid(_))));
        assert!(matches!(Money::parse("12."), Err(MoneyError::Invalid(_))));
        assert!(matches!(Money::parse("--5"), Err(MoneyError::Invalid(_))));
        assert_eq!(Money::parse("   "), Err(MoneyError::Empty));
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn error_messages_say_what_is_allowed() {
        let e = Money::parse("10.005").unwrap_err().to_string();
        assert!(e.contains("two decimal places"), "{e}");
        let e = Money::parse("12,34").unwrap_err().to_string();
        assert!(e.contains("thousands"), "{e}");
    }

    #[test]
    fn formats_the_british_way() {
        assert_eq!(Money::from_pounds(1_082_015).to_string(), "£1,082,015");
        assert_eq!(Money::from_pence(10_046_744).to_string(), "£100,467.44");
        assert_eq!(Money::from_pounds(-4000).to_string(), "-£4,000");
        assert_eq!(Money::from_pence(5).to_string(), "£0.05");
        assert_eq!(Money::from_pounds(640).to_string(), "£640");
        assert_eq!(Money::from_pence(-5).to_decimal_string(), "-0.05");
        assert_eq!(Money::from_pounds(644_000).to_decimal_string(), "644000.00");
    }

    #[test]
    fn checked_arithmetic_refuses_overflow() {
        assert_eq!(
            Money::from_pence(i64::MAX).checked_add(Money::from_pence(1)),
            Err(ArithmeticError::Overflow)
        );
        assert_eq!(
            Money::from_pounds(644_000).checked_sub(Money::from_pounds(640_000)),
            Ok(Money::from_pounds(4000))
        );
    }

    #[test]
    fn split_worked_example() {
        // £100 three ways: 33.34, 33.33, 33.33.
        let parts = Money::from_pounds(100).split_evenly(3).unwrap();
        assert_eq!(
            parts,
            vec![
                Money::from_pence(3334),
                Money::from_pence(3333),
                Money::from_pence(3333)
            ]
        );
        // A 70/30 split of B&D's £644,000.
        let parts = Money::from_pounds(644_000)
            .split_by_weights(&[70, 30])
            .unwrap();
        assert_eq!(
            parts,
            vec![Money::from_pounds(450_800), Money::from_pounds(193_200)]
        );
        assert_eq!(
            Money::from_pounds(1).split_by_weights(&[0, 0]),
            Err(ArithmeticError::NoWeights)
        );
    }

    proptest! {
        #[test]
        fn split_sums_exactly(pence in -1_000_000_000_000i64..1_000_000_000_000, weights in prop::collection::vec(0u64..1_000_000, 1..40)) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = Money::from_pence(pence).split_by_weights(&weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(Money::checked_sum(parts.iter().copied()).unwrap(), Money::from_pence(pence));
            // Zero weight gets nothing; each part is within a penny of its exact share.
            let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
            for (p, w) in parts.iter().zip(&weights) {
                let exact = u128::from(pence.unsigned_abs()) * u128::from(*w);
                let floor = (exact / total) as i64;
                let got = p.pence().abs();
                prop_assert!(got == floor || got == floor + 1);
                if *w == 0 { prop_assert_eq!(got, 0); }
            }
        }

        #[test]
        fn format_then_parse_round_trips(pence in -9_000_000_000_000_000i64..9_000_000_000_000_000) {
            let m = Money::from_pence(pence);
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
            prop_assert_eq!(Money::parse(&m.to_decimal_string()), Ok(m));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = Money::parse(&s);
        }
    }

    #[test]
    fn a_column_of_amounts_lines_up() {
        let whole = [Money::from_pence(34_546_100), Money::from_pence(100)];
        assert_eq!(MoneyColumn::of(whole).show(whole[0]), "£345,461");
        let mixed = [Money::from_pence(34_546_100), Money::from_pence(34_747_372)];
        let column = MoneyColumn::of(mixed);
        assert_eq!(column.show(mixed[0]), "£345,461.00");
        assert_eq!(column.show(mixed[1]), "£347,473.72");
        assert_eq!(column.show(Money::from_pence(-5)), "-£0.05");
        assert_eq!(Money::from_pence(-500).with_pence(), "-£5.00");
    }
}
