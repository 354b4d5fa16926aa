//! The demo's co-commissioning (`data/demo/co-commissioning.json`): Tranche 1 with seed 003's
//! four awards, made through the same use cases as any other (the bids are submitted at a
//! moment inside the call's window), and Tranche 2 open for bids.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use lcpf_domain::co_commissioning::workflow::BidEvent;
use lcpf_domain::{FinancialYear, Money};
use serde::Deserialize;

use super::{AwardInput, BidInput, CallInput, OutcomeInput, PartnerInput};
use crate::demo::files;
use crate::{Actor, App, AppError, AppResult};

#[derive(Deserialize)]
struct Demo {
    calls: Vec<DemoCall>,
    decision: DemoDecision,
    awards: Vec<DemoAward>,
    tranche_2_bids: Vec<DemoBid>,
}

#[derive(Deserialize)]
struct DemoCall {
    name: String,
    first_year: String,
    last_year: String,
    maximum: String,
    themes: Vec<String>,
    minimum_boroughs: String,
    #[serde(default)]
    opens: Option<(String, String)>,
    #[serde(default)]
    closes: Option<(String, String)>,
    #[serde(default)]
    opens_days_ago: Option<i64>,
    #[serde(default)]
    closes_in_days: Option<i64>,
}

#[derive(Deserialize)]
struct DemoDecision {
    reference: String,
    decided_on: String,
    conditions: String,
    assumption: String,
}

#[derive(Deserialize)]
struct DemoAward {
    title: String,
    lead: String,
    #[serde(default)]
    lead_assumption: String,
    #[serde(default)]
    partners: Vec<String>,
    total: String,
    theme: String,
    boroughs: Vec<String>,
    need: String,
    delivery: String,
    outcome: [String; 4],
}

#[derive(Deserialize)]
struct DemoBid {
    title: String,
    lead: String,
    amounts: Vec<String>,
    theme: String,
    boroughs: Vec<String>,
    submit: bool,
}

fn bad(what: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("co-commissioning.json: {what}"))
}

/// A borough as the seed writes it ("Barking & Dagenham") as its ONS code.
fn codes(areas: &[lcpf_store::queries::areas::Area], names: &[String]) -> AppResult<Vec<String>> {
    if names.len() == 1 && names[0] == "all" {
        return Ok(areas
            .iter()
            .filter(|a| a.in_lcpf)
            .map(|a| a.ons_code.clone())
            .collect());
    }
    names
        .iter()
        .map(|n| {
            let n = n.replace(" & ", " and ");
            areas
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(&n))
                .map(|a| a.ons_code.clone())
                .ok_or_else(|| bad(format!("{n} is not a borough")))
        })
        .collect()
}

impl App {
    /// Loads the demo's calls, bids and awards unless there are calls already.
    pub async fn load_demo_co_commissioning(&self) -> AppResult<()> {
        let system = Actor::System;
        if !self.call_choices(&system).await?.is_empty() {
            return Ok(());
        }
        let demo: Demo = files::read("co-commissioning.json")?;
        let funds = self.list_funds(&system).await?;
        let fund = funds
            .iter()
            .find(|f| f.name == "London Crime Prevention Fund")
            .ok_or_else(|| bad("no London Crime Prevention Fund"))?;
        let areas = self.list_areas(&system).await?;
        let organisations = self.list_organisations(&system, None).await?;
        let org = |name: &str| {
            organisations
                .iter()
                .find(|o| o.name == name)
                .map(|o| o.id)
                .ok_or_else(|| bad(format!("{name} is not an organisation")))
        };
        let now = Utc::now();
        let mut call_ids = Vec::new();
        let mut first_call: Option<i64> = None;
        for c in &demo.calls {
            let (opens, closes) = match (&c.opens, &c.closes, c.opens_days_ago, c.closes_in_days) {
                (Some(o), Some(cl), _, _) => (o.clone(), cl.clone()),
                (_, _, Some(ago), Some(ahead)) => {
                    let day = |d: chrono::DateTime<Utc>| {
                        lcpf_domain::calendar::london_today(d)
                            .format("%Y-%m-%d")
                            .to_string()
                    };
                    (
                        (day(now - Duration::days(ago)), "09:00".into()),
                        (day(now + Duration::days(ahead)), "12:00".into()),
                    )
                }
                _ => return Err(bad(format!("{} has no dates", c.name))),
            };
            let call = self
                .open_call(
                    &system,
                    &CallInput {
                        fund_id: fund.id,
                        name: c.name.clone(),
                        first_year: c.first_year.clone(),
                        last_year: c.last_year.clone(),
                        maximum: c.maximum.clone(),
                        themes: c.themes.clone(),
                        leads: vec!["voluntary_sector".into(), "borough".into()],
                        minimum_boroughs: c.minimum_boroughs.clone(),
                        match_funding_required: false,
                        opens_on: opens.0,
                        opens_time: opens.1,
                        closes_on: closes.0,
                        closes_time: closes.1,
                        spread_margin: "20".into(),
                        copy_questions_from: first_call,
                        criteria: None,
                        questions: None,
                    },
                )
                .await?;
            first_call.get_or_insert(call.id);
            call_ids.push(call);
        }
        let tranche_1 = call_ids.first().ok_or_else(|| bad("no calls"))?;
        let record = self.call_record(&system, tranche_1.id).await?;
        // A moment inside Tranche 1's window, when the bids were made and submitted.
        let during = record.call.opens_at + Duration::days(30);
        let years: Vec<FinancialYear> = record.call.years.clone();
        for a in &demo.awards {
            let lead = org(&a.lead)?;
            let total = Money::parse(&a.total).map_err(bad)?;
            let split = total.split_evenly(years.len()).map_err(bad)?;
            let amounts: BTreeMap<String, String> = years
                .iter()
                .zip(&split)
                .map(|(y, m)| (y.to_string(), m.to_string()))
                .collect();
            let id = self
                .start_bid_for(&system, tranche_1.id, lead, &a.title, during)
                .await?;
            let mut answers = BTreeMap::new();
            answers.insert("need".to_string(), a.need.clone());
            answers.insert("theme".to_string(), a.theme.clone());
            answers.insert(
                "partnership".to_string(),
                format!("Boroughs worked together with the voluntary and community sector to design the service and submitted a joint bid. {}", a.lead_assumption).trim().to_string(),
            );
            answers.insert("delivery".to_string(), a.delivery.clone());
            answers.insert("people".to_string(), "0".into());
            answers.insert("safeguarding".to_string(), "yes".into());
            answers.insert("value".to_string(), "A service across boroughs avoids each borough commissioning its own, and builds on proven practice.".into());
            let input = BidInput {
                title: a.title.clone(),
                partners: a
                    .partners
                    .iter()
                    .map(|p| {
                        Ok(PartnerInput {
                            organisation_id: org(p)?,
                            role: "borough_sponsor".into(),
                        })
                    })
                    .collect::<AppResult<_>>()?,
                boroughs: codes(&areas, &a.boroughs)?,
                amounts,
                match_funding: Vec::new(),
                answers,
                outcomes: vec![OutcomeInput {
                    key: None,
                    outcome: a.outcome[0].clone(),
                    measure: a.outcome[1].clone(),
                    baseline: a.outcome[2].clone(),
                    target: a.outcome[3].clone(),
                }],
            };
            let problems = self.save_bid(&system, id, &input).await?;
            if !problems.is_empty() {
                return Err(bad(format!("{}: {:?}", a.title, problems)));
            }
            self.bid_step_at(&system, id, BidEvent::Submit, during)
                .await?;
            self.award_bid(
                &system,
                id,
                &AwardInput {
                    decision_reference: demo.decision.reference.clone(),
                    decided_on: demo.decision.decided_on.clone(),
                    conditions: demo.decision.conditions.clone(),
                    amounts: years
                        .iter()
                        .zip(&split)
                        .map(|(y, m)| (y.to_string(), m.to_string()))
                        .collect(),
                    assumptions: format!("{} {}", demo.decision.assumption, a.lead_assumption)
                        .trim()
                        .to_string(),
                },
                None,
            )
            .await?;
        }
        let tranche_2 = call_ids.get(1).ok_or_else(|| bad("no Tranche 2"))?;
        let t2_years = self.call_record(&system, tranche_2.id).await?.call.years;
        let assessor = self
            .list_users(&system)
            .await?
            .into_iter()
            .find(|u| u.email == "assessor@lcpf.example")
            .map(|u| u.id);
        for b in &demo.tranche_2_bids {
            let lead = org(&b.lead)?;
            let id = self
                .start_bid_for(&system, tranche_2.id, lead, &b.title, now)
                .await?;
            let mut answers = BTreeMap::new();
            answers.insert(
                "need".to_string(),
                format!(
                    "{}: the need in the boroughs it covers (illustrative).",
                    b.title
                ),
            );
            answers.insert("theme".to_string(), b.theme.clone());
            answers.insert(
                "partnership".to_string(),
                "Designed with the boroughs it covers (illustrative).".into(),
            );
            answers.insert(
                "delivery".to_string(),
                "Delivered by the lead with local partners (illustrative).".into(),
            );
            answers.insert("people".to_string(), "120".into());
            answers.insert("safeguarding".to_string(), "yes".into());
            answers.insert(
                "value".to_string(),
                "One service for several boroughs (illustrative).".into(),
            );
            let input = BidInput {
                title: b.title.clone(),
                partners: Vec::new(),
                boroughs: codes(&areas, &b.boroughs)?,
                amounts: t2_years
                    .iter()
                    .zip(&b.amounts)
                    .map(|(y, m)| (y.to_string(), m.clone()))
                    .collect(),
                match_funding: Vec::new(),
                answers,
                outcomes: vec![OutcomeInput {
                    key: None,
                    outcome: "Fewer young people drawn into offending".into(),
                    measure: "Young people supported".into(),
                    baseline: "None yet".into(),
                    target: "120 a year".into(),
                }],
            };
            self.save_bid(&system, id, &input).await?;
            if b.submit {
                self.bid_step_at(&system, id, BidEvent::Submit, now).await?;
                if let Some(user) = assessor {
                    self.assign_assessor(&system, id, user).await?;
                }
            }
        }
        Ok(())
    }
}
