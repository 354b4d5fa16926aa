//! Co-commissioning use cases: calls, bids, assessment, awards and coverage. Each change asks
//! [`crate::access`] first (with the bid as the [`Subject`]: its parties, its assessors),
//! writes in one transaction with its audit record, and returns a typed view model that the
//! pages and the API both show.

use std::collections::BTreeSet;

use lcpf_domain::co_commissioning::workflow::BidState;
use lcpf_domain::Money;
use lcpf_store::queries::co_commissioning::{self as q, BidRecord, CallRecord};
use lcpf_store::AnyConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{authorise_on, Permission, Subject};
use crate::{Actor, AppError, AppResult};

mod assessment;
mod bids;
mod calls;
mod coverage;
mod demo;

pub use assessment::*;
pub use bids::*;
pub use calls::*;
pub use coverage::*;

/// An amount for one financial year, as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct YearAmount {
    /// e.g. 2018/19
    pub year: String,
    /// In pence.
    #[schema(value_type = i64)]
    pub amount: Money,
}

pub(crate) fn year_amounts(
    amounts: &std::collections::BTreeMap<lcpf_domain::FinancialYear, Money>,
) -> Vec<YearAmount> {
    amounts
        .iter()
        .map(|(y, m)| YearAmount {
            year: y.to_string(),
            amount: *m,
        })
        .collect()
}

pub(crate) async fn find_call(conn: &mut AnyConnection, id: i64) -> AppResult<CallRecord> {
    q::call(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The call".into()))
}

pub(crate) async fn find_bid(conn: &mut AnyConnection, id: i64) -> AppResult<BidRecord> {
    q::bid(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The bid".into()))
}

/// A bid as permission sees it: the organisations party to it and its assessors.
pub(crate) async fn subject_of(conn: &mut AnyConnection, bid: &BidRecord) -> AppResult<Subject> {
    let assignments = q::assignments(conn, &[bid.id]).await?;
    Ok(subject_with(bid, &assignments))
}

pub(crate) fn subject_with(bid: &BidRecord, assignments: &[q::Assignment]) -> Subject {
    let mut parties = vec![bid.lead_organisation_id];
    parties.extend(bid.bid.partners.iter().map(|p| p.organisation_id));
    let mine = assignments.iter().filter(|a| a.bid_id == bid.id);
    Subject {
        parties,
        assessors: mine.clone().map(|a| a.user_id).collect(),
        conflicted: mine
            .filter(|a| a.conflict == q::Conflict::Conflicted)
            .map(|a| a.user_id)
            .collect(),
        submitted_by: bid.submitted_by.clone(),
        ..Default::default()
    }
}

/// The bid and its subject, if `actor` may see it; otherwise the refusal says who may.
pub(crate) async fn visible_bid(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<(BidRecord, Subject)> {
    let bid = find_bid(conn, id).await?;
    let subject = subject_of(conn, &bid).await?;
    authorise_on(actor, Permission::ViewBid, &subject)?;
    Ok((bid, subject))
}

/// What someone would do to a bid, to ask before reading a request's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidAct {
    /// Edit, submit, withdraw, attach (its lead).
    Lead,
    /// Read it.
    View,
    /// Declare a conflict, score it.
    Assess,
}

impl crate::App {
    /// Whether `actor` may do `act` to a bid: the same decision the use case makes, asked
    /// first so that a caller who may not is refused before being told what is wrong with
    /// what they sent.
    pub async fn may_act_on_bid(&self, actor: &Actor, bid_id: i64, act: BidAct) -> AppResult<()> {
        let mut conn = self.db().pool().acquire().await?;
        let bid = find_bid(&mut conn, bid_id).await?;
        let subject = subject_of(&mut conn, &bid).await?;
        match act {
            BidAct::Lead => crate::access::authorise(
                actor,
                Permission::LeadBid {
                    organisation_id: bid.lead_organisation_id,
                },
            ),
            BidAct::View => authorise_on(actor, Permission::ViewBid, &subject),
            BidAct::Assess => authorise_on(actor, Permission::AssessBid, &subject),
        }
    }
}

/// The ONS codes of the boroughs that take part in the fund.
pub(crate) async fn taking_part(conn: &mut AnyConnection) -> AppResult<BTreeSet<String>> {
    Ok(lcpf_store::queries::areas::list(conn)
        .await?
        .into_iter()
        .filter(|a| a.in_lcpf)
        .map(|a| a.ons_code)
        .collect())
}

pub use crate::tag::StateTag;

impl From<BidState> for StateTag {
    fn from(s: BidState) -> StateTag {
        StateTag {
            code: s.as_str().into(),
            label: s.label().into(),
            colour: match s {
                BidState::Draft => "grey",
                BidState::Submitted => "blue",
                BidState::Withdrawn => "orange",
                BidState::Awarded => "green",
                BidState::Declined => "red",
            }
            .into(),
        }
    }
}
