//! London coverage of the awarded services: which boroughs each covers, how many services
//! and how much money reach each borough, and the exports.

use std::collections::BTreeMap;

use lcpf_domain::Money;
use lcpf_store::queries::co_commissioning as q;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{authorise, Permission};
use crate::exports::{self, Cell};
use crate::{Actor, App, AppResult};

/// An awarded service, a column of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceColumn {
    pub bid_id: i64,
    pub award_id: i64,
    pub title: String,
    pub lead_name: String,
    pub call_name: String,
    #[schema(value_type = i64)]
    pub awarded: Money,
    pub boroughs: usize,
}

/// A borough, a row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CoverageRow {
    pub ons_code: String,
    pub name: String,
    /// For each service (in the columns' order), whether it covers the borough.
    pub covered: Vec<bool>,
    pub services: usize,
    /// Each covering service's award shared evenly between the boroughs it covers, added up.
    #[schema(value_type = i64)]
    pub money: Money,
}

/// Boroughs × awarded services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Coverage {
    pub services: Vec<ServiceColumn>,
    pub rows: Vec<CoverageRow>,
    #[schema(value_type = i64)]
    pub awarded: Money,
    /// How the money per borough is worked out (an assumption: awards do not say).
    pub money_note: String,
}

/// A co-commissioned service that covers a borough, for the borough's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceHere {
    pub bid_id: i64,
    pub title: String,
    pub lead_name: String,
    pub call_name: String,
    #[schema(value_type = i64)]
    pub awarded: Money,
    pub boroughs: usize,
    /// This borough's even share of the award.
    #[schema(value_type = i64)]
    pub share_here: Money,
}

pub const MONEY_NOTE: &str = "Money per borough shares each service's award evenly between the boroughs it covers (to the penny, the odd pence to the first boroughs in ONS code order). That is an assumption: an award is for the whole service, not per borough.";

impl App {
    /// The coverage of every awarded service. Five queries.
    pub async fn coverage(&self, actor: &Actor) -> AppResult<Coverage> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut tx = self.db().begin_read().await?;
        let areas: Vec<_> = lcpf_store::queries::areas::list(&mut tx)
            .await?
            .into_iter()
            .filter(|a| a.in_lcpf)
            .collect();
        let awards = q::awards(&mut tx, q::AwardsOf::All).await?;
        let pairs = q::awarded_coverage(&mut tx).await?;
        let bids = q::bid_summaries(&mut tx, q::BidsOf::All).await?;
        let calls = q::calls(&mut tx).await?;
        tx.commit().await?;
        let mut by_bid: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (bid, code) in pairs {
            by_bid.entry(bid).or_default().push(code);
        }
        // Each award shared evenly (exactly) between its boroughs, in ONS code order.
        let mut money_at: BTreeMap<(i64, String), Money> = BTreeMap::new();
        let mut services = Vec::new();
        for a in &awards {
            let codes = by_bid.get(&a.bid_id).cloned().unwrap_or_default();
            if let Ok(parts) = a.total().split_evenly(codes.len().max(1)) {
                for (code, part) in codes.iter().zip(parts) {
                    money_at.insert((a.bid_id, code.clone()), part);
                }
            }
            let bid = bids.iter().find(|b| b.id == a.bid_id);
            services.push(ServiceColumn {
                bid_id: a.bid_id,
                award_id: a.id,
                title: bid.map(|b| b.title.clone()).unwrap_or_default(),
                lead_name: bid.map(|b| b.lead_name.clone()).unwrap_or_default(),
                call_name: calls
                    .iter()
                    .find(|c| c.id == a.call_id)
                    .map(|c| c.call.name.clone())
                    .unwrap_or_default(),
                awarded: a.total(),
                boroughs: codes.len(),
            });
        }
        let rows = areas
            .iter()
            .map(|area| {
                let covered: Vec<bool> = services
                    .iter()
                    .map(|s| {
                        by_bid
                            .get(&s.bid_id)
                            .is_some_and(|c| c.contains(&area.ons_code))
                    })
                    .collect();
                CoverageRow {
                    ons_code: area.ons_code.clone(),
                    name: area.name.clone(),
                    services: covered.iter().filter(|c| **c).count(),
                    money: Money::from_pence(
                        services
                            .iter()
                            .filter_map(|s| money_at.get(&(s.bid_id, area.ons_code.clone())))
                            .map(|m| m.pence())
                            .sum(),
                    ),
                    covered,
                }
            })
            .collect();
        Ok(Coverage {
            awarded: Money::from_pence(awards.iter().map(|a| a.total().pence()).sum()),
            services,
            rows,
            money_note: MONEY_NOTE.into(),
        })
    }

    /// The co-commissioned services that cover a borough.
    pub async fn services_covering(
        &self,
        actor: &Actor,
        ons_code: &str,
    ) -> AppResult<Vec<ServiceHere>> {
        let coverage = self.coverage(actor).await?;
        let Some(row) = coverage.rows.iter().find(|r| r.ons_code == ons_code) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (i, s) in coverage.services.iter().enumerate() {
            if !row.covered[i] {
                continue;
            }
            // The boroughs it covers, in ONS code order: the order its award is shared in.
            let mut codes: Vec<&str> = coverage
                .rows
                .iter()
                .filter(|r| r.covered[i])
                .map(|r| r.ons_code.as_str())
                .collect();
            codes.sort_unstable();
            let parts = s
                .awarded
                .split_evenly(codes.len().max(1))
                .unwrap_or_default();
            let share_here = codes
                .iter()
                .position(|c| *c == ons_code)
                .and_then(|i| parts.get(i).copied())
                .unwrap_or(Money::ZERO);
            out.push(ServiceHere {
                bid_id: s.bid_id,
                title: s.title.clone(),
                lead_name: s.lead_name.clone(),
                call_name: s.call_name.clone(),
                awarded: s.awarded,
                boroughs: s.boroughs,
                share_here,
            });
        }
        Ok(out)
    }

    /// The coverage matrix as a table: a row per borough, a column per service.
    fn coverage_table(&self, c: &Coverage) -> (Vec<String>, Vec<Vec<Cell>>) {
        let mut header = vec!["ONS code".to_string(), "Borough".to_string()];
        header.extend(
            c.services
                .iter()
                .map(|s| format!("{} ({})", s.title, s.lead_name)),
        );
        header.extend([
            "Services".to_string(),
            "Money reaching the borough (even shares)".to_string(),
        ]);
        let rows = c
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![Cell::Text(r.ons_code.clone()), Cell::Text(r.name.clone())];
                row.extend(
                    r.covered
                        .iter()
                        .map(|x| Cell::Text(if *x { "Yes" } else { "" }.into())),
                );
                row.push(Cell::Text(r.services.to_string()));
                row.push(Cell::Money(r.money.pence()));
                row
            })
            .collect();
        (header, rows)
    }

    pub async fn coverage_csv(&self, actor: &Actor) -> AppResult<Vec<u8>> {
        let c = self.coverage(actor).await?;
        let (header, rows) = self.coverage_table(&c);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        exports::csv(&header, &rows)
    }

    pub async fn coverage_xlsx(&self, actor: &Actor) -> AppResult<Vec<u8>> {
        let c = self.coverage(actor).await?;
        let (header, rows) = self.coverage_table(&c);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        exports::xlsx(
            "Coverage",
            "Co-commissioned services by borough",
            &[MONEY_NOTE],
            &header,
            &rows,
        )
    }

    /// Every bid of a call with its ask, state, assessors' totals and final score (funder
    /// staff), as a table.
    async fn bids_table(&self, actor: &Actor, call_id: i64) -> AppResult<(String, Vec<Vec<Cell>>)> {
        let ranking = self.ranking(actor, call_id).await?;
        let rows = ranking
            .rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.place.to_string()),
                    Cell::Text(r.bid_id.to_string()),
                    Cell::Text(r.title.clone()),
                    Cell::Text(r.lead_name.clone()),
                    Cell::Text(r.state.label.clone()),
                    Cell::Money(r.ask.pence()),
                    Cell::Text(r.score.clone().unwrap_or_default()),
                    Cell::Text(if r.moderated { "Yes" } else { "" }.into()),
                    Cell::Text(if r.spread_flagged { "Yes" } else { "" }.into()),
                    Cell::Text(if r.passes_gates { "Yes" } else { "No" }.into()),
                    Cell::Money(r.running_total.pence()),
                    r.awarded
                        .map(|m| Cell::Money(m.pence()))
                        .unwrap_or(Cell::Empty),
                ]
            })
            .collect();
        Ok((ranking.call.name, rows))
    }

    pub const BIDS_HEADER: [&'static str; 12] = [
        "Place",
        "Bid key",
        "Service",
        "Lead",
        "State",
        "Asked",
        "Score",
        "Moderated",
        "Assessors disagree",
        "Passes gates",
        "Running total",
        "Awarded",
    ];

    pub async fn bids_csv(&self, actor: &Actor, call_id: i64) -> AppResult<Vec<u8>> {
        let (_, rows) = self.bids_table(actor, call_id).await?;
        exports::csv(&Self::BIDS_HEADER, &rows)
    }

    pub async fn bids_xlsx(&self, actor: &Actor, call_id: i64) -> AppResult<Vec<u8>> {
        let (name, rows) = self.bids_table(actor, call_id).await?;
        exports::xlsx(
            "Bids",
            &format!("{name}: bids ranked with their scores"),
            &[],
            &Self::BIDS_HEADER,
            &rows,
        )
    }
}
