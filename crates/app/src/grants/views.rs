//! What the grants pages and the API show: typed view models of a grant (the agreement, its
//! profile, history, money and payment plan), of the grants list, and of match funding.

use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::Money;
use serde::Serialize;
use utoipa::ToSchema;

use super::{claims, closeout, onward, payments, schedule, SpendView};
use crate::paging::Pages;
use crate::tag::StateTag;

impl From<GrantState> for StateTag {
    fn from(s: GrantState) -> StateTag {
        StateTag {
            code: s.as_str().into(),
            label: s.label().into(),
            colour: match s {
                GrantState::Drafted => "grey",
                GrantState::Offered => "blue",
                GrantState::Accepted => "turquoise",
                GrantState::Live => "green",
                GrantState::Closed => "purple",
            }
            .into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GrantRow {
    /// The grant's stable key.
    pub id: i64,
    pub reference: String,
    pub recipient: String,
    pub state: StateTag,
    /// "2017/18 to 2018/19"
    pub years: String,
    #[schema(value_type = i64)]
    pub total: Money,
}

/// Something a grant can be made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SourceChoice {
    /// `proposal` or `award`
    pub source: String,
    pub id: i64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GrantsPage {
    pub rows: Vec<GrantRow>,
    pub pages: Pages,
    /// What grants can be made from (funder staff).
    pub sources: Vec<SourceChoice>,
    pub may_make: bool,
    /// Whether the reader may import grants from before LCPF (funder admin).
    pub may_import: bool,
}

/// One cell of the profile: a project's money in a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProfileCell {
    pub year: String,
    #[schema(value_type = i64)]
    pub revenue: Money,
    #[schema(value_type = i64)]
    pub capital: Money,
    #[schema(value_type = i64)]
    pub total: Money,
    /// firm or provisional; empty: nothing profiled that year
    pub certainty: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProjectView {
    /// The project's stable key.
    pub key: i64,
    pub name: String,
    /// Where it comes from, in words ("Line 2.3 of the approved proposal", "The award").
    pub source: String,
    pub cells: Vec<ProfileCell>,
    #[schema(value_type = i64)]
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct YearView {
    pub year: String,
    #[schema(value_type = i64)]
    pub firm: Money,
    #[schema(value_type = i64)]
    pub provisional: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VariationView {
    pub number: i64,
    pub reason: String,
    /// YYYY-MM-DD
    pub varied_on: String,
    pub approved_by: String,
    /// Each year's money before and after, where it changed.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub year: String,
    pub decision_reference: String,
    pub decided_on: String,
}

/// A grant: the agreement as the funder and the recipient read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GrantView {
    pub id: i64,
    pub reference: String,
    pub recipient_organisation_id: i64,
    pub recipient: String,
    pub state: StateTag,
    /// What it was made from, in words, and the page to see it.
    pub source: String,
    pub source_href: Option<String>,
    pub years: Vec<String>,
    pub starts_on: String,
    pub ends_on: String,
    pub conditions: String,
    pub schedule: String,
    #[schema(value_type = i64)]
    pub ceiling: Money,
    pub ceiling_words: String,
    #[schema(value_type = i64)]
    pub total: Money,
    pub projects: Vec<ProjectView>,
    pub year_totals: Vec<YearView>,
    pub variations: Vec<VariationView>,
    pub confirmations: Vec<ConfirmationView>,
    /// Who accepted it and when (the signature).
    pub accepted_by: Option<String>,
    pub accepted_at: Option<String>,
    pub offered_at: Option<String>,
    pub may_offer: bool,
    pub may_withdraw: bool,
    pub may_accept: bool,
    pub may_start: bool,
    pub may_vary: bool,
    /// Provisional years a funder admin may confirm.
    pub confirmable: Vec<String>,
    /// Where finance books its payments.
    pub cost_centre: String,
    /// Whether the reader may change the cost centre (funder staff, until it closes).
    pub may_set_cost_centre: bool,
    /// Profile against claimed and paid, by year and quarter, and the forecast underspend.
    pub spend: SpendView,
    /// Its claims, every quarter.
    pub claims: Vec<claims::ClaimRow>,
    pub payments: Vec<payments::PaymentRow>,
    /// Whether the actor may start a claim (the recipient's officers, on a live grant).
    pub may_claim: bool,
    /// Its close-out with the period: what was paid and what returned to the fund.
    pub closeout: Option<closeout::CloseOutMoney>,
    /// Match funding promised in the proposal or bid, against what the accepted claims report.
    pub match_funding: MatchFundingView,
    /// For an award's grant: what the lead passes on to each partner each year.
    pub onward: Vec<onward::OnwardRow>,
    /// The bid's partners who may receive onward funding: (organisation id, name).
    pub partners: Vec<(i64, String)>,
    pub may_record_onward: bool,
    /// How it is paid: its schedule, milestones, and the next advance.
    pub payment_plan: schedule::PaymentPlan,
}

/// Match funding promised against reported: the difference is said, never adjusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchFundingView {
    /// The local authority's and partners' money in the approved proposal, or the bid's match
    /// funding (cash and valued in kind).
    #[schema(value_type = i64)]
    pub promised: Money,
    /// Reported on accepted claims.
    #[schema(value_type = i64)]
    pub reported: Money,
    /// Both figures and the difference, when they differ.
    pub difference: Option<String>,
}

pub(super) fn match_funding_view(promised: Money, reported: Money) -> MatchFundingView {
    let gap = promised.pence() - reported.pence();
    MatchFundingView {
        promised,
        reported,
        difference: match gap {
            0 => None,
            g if g > 0 => Some(format!(
                "{reported} reported of the {promised} promised: {} still to come",
                Money::from_pence(g)
            )),
            g => Some(format!(
                "{reported} reported, {} more than the {promised} promised",
                Money::from_pence(-g)
            )),
        },
    }
}
