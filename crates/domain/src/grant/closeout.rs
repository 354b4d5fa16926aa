//! The period's close-out: money cannot roll over, so each grant's unspent money is returned
//! to the fund; and the forecast underspend before then.

use serde::Serialize;

use crate::Money;

/// A grant at close-out: what it was profiled, what was paid, what returns to the fund
/// unpaid, and what was paid but not spent (advances or milestones ahead of accepted spend),
/// to be recovered from the recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CloseOut {
    pub profile: Money,
    pub paid: Money,
    pub returned: Money,
    /// What accepted claims report as spent.
    pub claimed: Money,
    /// Paid but not spent: recovered from the recipient (never more than was paid).
    pub to_recover: Money,
}

/// Closes a grant: the money not paid (profile less paid) is returned to the fund, and any
/// money paid beyond the accepted spend is to be recovered. Payments past the profile would
/// be an error upstream; they are refused here too rather than hidden.
pub fn close_out(profile: Money, paid: Money, claimed: Money) -> Result<CloseOut, String> {
    if paid > profile {
        return Err(format!(
            "Payments of {paid} are more than the grant's profile of {profile}: put that right with a variation before closing"
        ));
    }
    Ok(CloseOut {
        profile,
        paid,
        returned: Money::from_pence(profile.pence() - paid.pence()),
        claimed,
        to_recover: Money::from_pence((paid.pence() - claimed.pence()).max(0)),
    })
}

/// A period's close-out: its grants' figures added up.
pub fn period_totals(grants: &[CloseOut]) -> Result<CloseOut, String> {
    let sum =
        |f: fn(&CloseOut) -> Money| Money::from_pence(grants.iter().map(|g| f(g).pence()).sum());
    let paid = sum(|g| g.paid);
    let profile = sum(|g| g.profile);
    let mut totals = close_out(profile, paid, sum(|g| g.claimed))?;
    // Recovery is each grant's own: one grant's overspend never offsets another's advance.
    totals.to_recover = sum(|g| g.to_recover);
    Ok(totals)
}

/// The forecast underspend: the profile, less what has been claimed and the recipient's
/// forecast for the quarters left (negative: a forecast overspend).
pub fn forecast_underspend(
    profile: Money,
    claimed_to_date: Money,
    forecast_remaining: Money,
) -> Money {
    Money::from_pence(
        profile
            .pence()
            .saturating_sub(claimed_to_date.pence())
            .saturating_sub(forecast_remaining.pence()),
    )
}
