//! The period's close-out: money cannot roll over, so each grant's unspent money is returned
//! to the fund; and the forecast underspend before then.

use serde::Serialize;

use crate::Money;

/// A grant at close-out: what it was profiled, what was paid, what returns to the fund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CloseOut {
    pub profile: Money,
    pub paid: Money,
    pub returned: Money,
}

/// Closes a grant: the unspent money (profile less paid) is returned. Payments past the
/// profile would be an error upstream; they are refused here too rather than hidden.
pub fn close_out(profile: Money, paid: Money) -> Result<CloseOut, String> {
    if paid > profile {
        return Err(format!(
            "Payments of {paid} are more than the grant's profile of {profile}: put that right with a variation before closing"
        ));
    }
    Ok(CloseOut {
        profile,
        paid,
        returned: Money::from_pence(profile.pence() - paid.pence()),
    })
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
