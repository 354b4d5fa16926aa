//! Spend across grants: for each grant the reader may see, its envelope (or award), profile,
//! claimed, paid and forecast underspend, with the totals for London (funder staff) or for the
//! reader's own organisation, and that money by year and quarter (five queries for any page);
//! and one grant's spend against its profile by year and quarter, for its page.

use std::collections::BTreeMap;

use lcpf_domain::grant::closeout::forecast_underspend;
use lcpf_domain::{FinancialYear, FundingPeriod, Money};
use lcpf_store::queries::grants::spend::{self as q, GrantSpend, SpendTotals};
use lcpf_store::queries::grants::GrantRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::grants_of;
use crate::access::{authorise, Permission};
use crate::paging::Pages;
use crate::tag::StateTag;
use crate::{Actor, App, AppError, AppResult};

/// Grants the spend report shows at a time.
pub const SPEND_PER_PAGE: i64 = 50;

/// One grant's money, or the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendRow {
    /// The grant's stable key (none on the totals row).
    pub grant_id: Option<i64>,
    pub reference: String,
    pub recipient: String,
    pub state: Option<StateTag>,
    pub years: String,
    /// The envelope or award the grant sits within.
    #[schema(value_type = i64)]
    pub ceiling: Money,
    #[schema(value_type = i64)]
    pub profile: Money,
    #[schema(value_type = i64)]
    pub claimed: Money,
    #[schema(value_type = i64)]
    pub paid: Money,
    /// The recipients' latest forecasts for the quarters left.
    #[schema(value_type = i64)]
    pub forecast: Money,
    /// Profile less claimed and forecast; negative: a forecast overspend.
    #[schema(value_type = i64)]
    pub forecast_underspend: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendReport {
    /// "London" for funder staff; the organisation's name for its officers.
    pub scope: String,
    pub rows: Vec<SpendRow>,
    /// Over every grant the report covers, not just this page.
    pub totals: SpendRow,
    /// Every grant the report covers, by year (profile, claimed, paid) and quarter.
    pub by_year: Vec<SpendYear>,
    pub pages: Pages,
}

fn row(g: GrantSpend) -> SpendRow {
    SpendRow {
        grant_id: Some(g.id),
        years: if g.first_year == g.last_year {
            g.first_year.clone()
        } else {
            format!("{} to {}", g.first_year, g.last_year)
        },
        reference: g.reference,
        recipient: g.recipient_name,
        state: Some(g.state.into()),
        ceiling: g.ceiling,
        profile: g.profile,
        claimed: g.claimed,
        paid: g.paid,
        forecast: g.forecast,
        forecast_underspend: forecast_underspend(g.profile, g.claimed, g.forecast),
    }
}

fn totals(scope: &str, t: SpendTotals) -> SpendRow {
    SpendRow {
        grant_id: None,
        reference: format!("{} grants", t.grants),
        recipient: scope.to_string(),
        state: None,
        years: String::new(),
        ceiling: t.ceiling,
        profile: t.profile,
        claimed: t.claimed,
        paid: t.paid,
        forecast: t.forecast,
        forecast_underspend: forecast_underspend(t.profile, t.claimed, t.forecast),
    }
}

impl App {
    /// The spend report: every grant for funder staff, with London's totals; a recipient's
    /// own grants for its officers.
    pub async fn spend_report(&self, actor: &Actor, page: u32) -> AppResult<SpendReport> {
        authorise(actor, Permission::ViewReferenceData)?;
        let scope = match actor.user() {
            Some(u) if !u.role.is_funder() => u.organisation_name.clone().unwrap_or_default(),
            _ => "London".to_string(),
        };
        let Some(of) = grants_of(actor) else {
            return Ok(SpendReport {
                totals: totals(&scope, SpendTotals::default()),
                scope,
                rows: Vec::new(),
                by_year: Vec::new(),
                pages: Pages::of(page, 0, SPEND_PER_PAGE),
            });
        };
        let mut tx = self.db().begin_read().await?;
        let offset = i64::from(page.max(1) - 1) * SPEND_PER_PAGE;
        let rows = q::spend_page(&mut tx, of, SPEND_PER_PAGE, offset).await?;
        let sums = q::spend_totals(&mut tx, of).await?;
        let money = q::spend_by_quarter(&mut tx, of).await?;
        tx.commit().await?;
        Ok(SpendReport {
            by_year: spend_years(
                match (sums.first_year, sums.last_year) {
                    (Some(first), Some(last)) => lcpf_domain::FundingPeriod::new(first, last)
                        .map(|p| p.years())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                },
                &money.profile,
                &money.claimed,
                &money.paid,
            ),
            rows: rows.into_iter().map(row).collect(),
            pages: Pages::of(page, sums.grants, SPEND_PER_PAGE),
            totals: totals(&scope, sums),
            scope,
        })
    }
}

/// One quarter's claimed and paid money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendQuarter {
    /// `Q1 2017/18`
    pub quarter: String,
    #[schema(value_type = i64)]
    pub claimed: Money,
    #[schema(value_type = i64)]
    pub paid: Money,
}

/// One year's profile against what was claimed and paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendYear {
    pub year: String,
    /// Firm and provisional.
    #[schema(value_type = i64)]
    pub profile: Money,
    #[schema(value_type = i64)]
    pub firm: Money,
    #[schema(value_type = i64)]
    pub claimed: Money,
    #[schema(value_type = i64)]
    pub paid: Money,
    pub quarters: Vec<SpendQuarter>,
}

/// A grant's spend against its profile: accepted claims are "claimed", authorised and
/// exported payments "paid"; the forecast underspend is the profile less what is claimed and
/// the recipient's latest forecast for the quarters left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SpendView {
    pub years: Vec<SpendYear>,
    #[schema(value_type = i64)]
    pub profile: Money,
    #[schema(value_type = i64)]
    pub claimed: Money,
    #[schema(value_type = i64)]
    pub paid: Money,
    /// The recipient's forecast for the remaining quarters, from its latest accepted claim.
    #[schema(value_type = i64)]
    pub forecast: Money,
    /// Negative: a forecast overspend.
    #[schema(value_type = i64)]
    pub forecast_underspend: Money,
}

/// Each year's profile against what was claimed and paid, by quarter: the grant page's and
/// the spend report's rows alike. `profile` gives each year's (firm and provisional, firm).
pub(crate) fn spend_years(
    years: impl IntoIterator<Item = FinancialYear>,
    profile: &BTreeMap<FinancialYear, (Money, Money)>,
    claimed: &BTreeMap<lcpf_domain::Quarter, Money>,
    paid: &BTreeMap<lcpf_domain::Quarter, Money>,
) -> Vec<SpendYear> {
    let at =
        |m: &BTreeMap<lcpf_domain::Quarter, Money>, q| m.get(&q).copied().unwrap_or(Money::ZERO);
    years
        .into_iter()
        .map(|y| {
            let quarters: Vec<SpendQuarter> = (1..=4)
                .filter_map(|n| lcpf_domain::Quarter::new(y, n))
                .map(|q| SpendQuarter {
                    quarter: q.to_string(),
                    claimed: at(claimed, q),
                    paid: at(paid, q),
                })
                .collect();
            let (total, firm) = profile
                .get(&y)
                .copied()
                .unwrap_or((Money::ZERO, Money::ZERO));
            let sum = |f: fn(&SpendQuarter) -> Money| {
                Money::from_pence(quarters.iter().map(|q| f(q).pence()).sum())
            };
            SpendYear {
                year: y.to_string(),
                profile: total,
                firm,
                claimed: sum(|q| q.claimed),
                paid: sum(|q| q.paid),
                quarters,
            }
        })
        .collect()
}

/// The spend view from a grant's profile, accepted claims and payments.
pub(crate) fn spend_view(
    g: &GrantRecord,
    claimed: &lcpf_store::queries::grants::claims::Claimed,
    paid: &lcpf_store::queries::grants::payments::Paid,
) -> AppResult<SpendView> {
    let internal = |e: lcpf_domain::ArithmeticError| AppError::Internal(anyhow::anyhow!("{e}"));
    let profile_by_year: BTreeMap<FinancialYear, (Money, Money)> = g
        .profile
        .by_year()
        .map_err(internal)?
        .into_iter()
        .map(|(y, t)| {
            (
                y,
                (
                    Money::from_pence(t.firm.pence() + t.provisional.pence()),
                    t.firm,
                ),
            )
        })
        .collect();
    let years = spend_years(
        FundingPeriod::new(g.first_year, g.last_year)
            .map(|p| p.years())
            .unwrap_or_default(),
        &profile_by_year,
        &claimed.by_quarter,
        &paid.paid_by_quarter,
    );
    let profile = g.profile.total().map_err(internal)?;
    Ok(SpendView {
        years,
        profile,
        claimed: claimed.total(),
        paid: paid.total_paid(),
        forecast: claimed.forecast,
        forecast_underspend: lcpf_domain::grant::closeout::forecast_underspend(
            profile,
            claimed.total(),
            claimed.forecast,
        ),
    })
}
