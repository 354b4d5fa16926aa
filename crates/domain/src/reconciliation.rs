//! Where a source states a total, the items are added up and compared with it. When they
//! differ, both are shown — real decisions contain £1 mismatches — and nothing is adjusted.

use serde::{Deserialize, Serialize};

use crate::{ArithmeticError, Money};

/// A stated total beside the sum of its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// What the source says the total is, when it says.
    pub stated: Option<Money>,
    /// What the items add up to.
    pub sum: Money,
}

impl Reconciliation {
    /// Adds up `items` beside the `stated` total.
    pub fn of(
        stated: Option<Money>,
        items: impl IntoIterator<Item = Money>,
    ) -> Result<Reconciliation, ArithmeticError> {
        Ok(Reconciliation {
            stated,
            sum: Money::checked_sum(items)?,
        })
    }

    /// Stated minus sum, when a total was stated and the two differ.
    pub fn difference(&self) -> Option<Money> {
        let stated = self.stated?;
        let d = stated.checked_sub(self.sum).ok()?;
        (d != Money::ZERO).then_some(d)
    }

    /// Whether the stated total (if any) is the sum.
    pub fn agrees(&self) -> bool {
        self.difference().is_none()
    }

    /// The mismatch in words, naming both figures, or none when they agree: `what` states
    /// the total; `sum_is` introduces what was added up (“its rows add up to”, “the lines give”).
    pub fn mismatch(&self, what: &str, sum_is: &str) -> Option<String> {
        let d = self.difference()?;
        let stated = self.stated?;
        Some(format!(
            "{what} states a total of {stated}, but {sum_is} {}: a difference of {}. Both are kept as given; check the source",
            self.sum,
            Money::from_pence(d.pence().saturating_abs())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_pound_mismatch_is_shown_not_adjusted() {
        let items = [Money::from_pounds(403_000), Money::from_pounds(241_001)];
        let r = Reconciliation::of(Some(Money::from_pounds(644_000)), items).unwrap();
        assert_eq!(r.sum, Money::from_pounds(644_001));
        assert_eq!(r.difference(), Some(Money::from_pounds(-1)));
        let said = r.mismatch("The decision", "its rows add up to").unwrap();
        assert!(
            said.contains("£644,000")
                && said.contains("£644,001")
                && said.contains("a difference of £1"),
            "{said}"
        );
    }

    #[test]
    fn agreeing_or_unstated_totals_say_nothing() {
        let items = [Money::from_pounds(1), Money::from_pounds(2)];
        assert!(Reconciliation::of(Some(Money::from_pounds(3)), items)
            .unwrap()
            .agrees());
        assert!(Reconciliation::of(None, items)
            .unwrap()
            .mismatch("X", "its rows add up to")
            .is_none());
    }
}
