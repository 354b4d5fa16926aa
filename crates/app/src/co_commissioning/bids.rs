//! Bids: started by a lead organisation, written while a draft (partners read it), checked
//! against the call's rules on every save, submitted before the call closes, withdrawn.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use lcpf_domain::co_commissioning::bid::{
    self as rules, Answer, Bid, MatchFunding, Outcome, Partner, PartnerRole,
};
use lcpf_domain::co_commissioning::call::{AnswerKind, Call};
use lcpf_domain::co_commissioning::workflow::{self, BidEvent, BidParty, BidState};
use lcpf_domain::{FieldErrors, FinancialYear, Money};
use lcpf_store::queries::co_commissioning::{self as q, BidRecord};
use lcpf_store::queries::files::{self as stored, StoredFile};
use lcpf_store::AnyConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calls::{sections, summary, CallSummary, QuestionView};
use super::{find_call, taking_part, visible_bid, year_amounts, StateTag, YearAmount};
use crate::access::{authorise, authorise_on, may, Permission};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

/// The longest answer a text question stores, whatever its word limit.
const ANSWER_CHARACTERS: usize = 40_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartnerInput {
    pub organisation_id: i64,
    /// delivery_partner, borough_sponsor, funder or other
    pub role: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MatchInput {
    pub contributor: String,
    /// e.g. 2018/19
    pub year: String,
    /// e.g. £25,000
    #[serde(default)]
    pub cash: String,
    #[serde(default)]
    pub in_kind: String,
    #[serde(default)]
    pub in_kind_description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutcomeInput {
    /// The outcome's stable key, when it is one already saved.
    #[serde(default)]
    pub key: Option<i64>,
    pub outcome: String,
    pub measure: String,
    #[serde(default)]
    pub baseline: String,
    pub target: String,
}

/// What the lead enters. Amounts are text as typed (`£1,000,000`); answers are text by
/// question key (a money-per-year question as `key@2018/19`; yes/no as `yes` or `no`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BidInput {
    pub title: String,
    #[serde(default)]
    pub partners: Vec<PartnerInput>,
    /// ONS codes of the boroughs covered.
    #[serde(default)]
    pub boroughs: Vec<String>,
    /// The amount asked for each year, by year (`2018/19` → `£1,000,000`).
    #[serde(default)]
    pub amounts: BTreeMap<String, String>,
    #[serde(default)]
    pub match_funding: Vec<MatchInput>,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    #[serde(default)]
    pub outcomes: Vec<OutcomeInput>,
}

fn partner_role(code: &str) -> Option<PartnerRole> {
    serde_json::from_value(serde_json::Value::String(code.trim().to_string())).ok()
}

fn role_code(role: PartnerRole) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn optional_money(e: &mut FieldErrors, field: &str, text: &str) -> Money {
    if text.trim().is_empty() {
        return Money::ZERO;
    }
    e.check(field, Money::parse(text)).unwrap_or(Money::ZERO)
}

impl BidInput {
    /// Reads what was typed into the bid's content. What cannot be read at all (an amount
    /// that is not money, a year that is not one) is an error and nothing is saved; whether
    /// the bid meets the call's rules is [`rules::problems`]' business, reported on save.
    pub fn read(&self, call: &Call, existing: &Bid) -> Result<Bid, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = match lcpf_domain::field::check_text(self.title.trim(), 200) {
            Ok(()) => self.title.trim().to_string(),
            Err(m) => {
                e.add("title", format!("The service's name {m}"));
                String::new()
            }
        };
        let mut partners = Vec::new();
        for (i, p) in self.partners.iter().enumerate() {
            match partner_role(&p.role) {
                Some(role) => partners.push(Partner {
                    organisation_id: p.organisation_id,
                    role,
                }),
                None => e.add(
                    &format!("partners[{i}]"),
                    "Choose the partner's role: delivery partner, borough sponsor, co-funder or other partner",
                ),
            }
        }
        let mut amounts = BTreeMap::new();
        for (y, m) in &self.amounts {
            let field = format!("amount-{y}");
            let year = e.check(&field, FinancialYear::parse(y));
            let money = optional_money(&mut e, &field, m);
            if let Some(year) = year.filter(|_| !m.trim().is_empty()) {
                amounts.insert(year, money);
            }
        }
        let mut match_funding = Vec::new();
        for (i, m) in self.match_funding.iter().enumerate() {
            if m.contributor.trim().is_empty()
                && m.cash.trim().is_empty()
                && m.in_kind.trim().is_empty()
            {
                continue; // an empty row of the form
            }
            let field = format!("match_funding[{i}]");
            let year = e.check(&field, FinancialYear::parse(&m.year));
            let cash = optional_money(&mut e, &field, &m.cash);
            let in_kind = optional_money(&mut e, &field, &m.in_kind);
            for t in [&m.contributor, &m.in_kind_description] {
                if let Err(msg) = lcpf_domain::field::check_text(t, 200) {
                    e.add(&field, format!("Match funding {msg}"));
                }
            }
            if let Some(year) = year {
                match_funding.push(MatchFunding {
                    contributor: m.contributor.trim().to_string(),
                    year,
                    cash,
                    in_kind,
                    in_kind_description: m.in_kind_description.trim().to_string(),
                });
            }
        }
        let mut answers = BTreeMap::new();
        for qn in &call.questions {
            let field = format!("answers.{}", qn.key);
            let typed = self.answers.get(&qn.key).map(|t| t.trim()).unwrap_or("");
            let answer = match &qn.kind {
                AnswerKind::ShortText { .. } | AnswerKind::LongText { .. } => {
                    match lcpf_domain::field::check_text(typed, ANSWER_CHARACTERS) {
                        Ok(()) if typed.is_empty() => None,
                        Ok(()) => Some(Answer::Text(typed.to_string())),
                        Err(m) => {
                            e.add(&field, format!("The answer {m}"));
                            None
                        }
                    }
                }
                AnswerKind::Number if typed.is_empty() => None,
                AnswerKind::Number => match typed.replace(',', "").parse::<i64>() {
                    Ok(n) => Some(Answer::Number(n)),
                    Err(_) => {
                        e.add(
                            &field,
                            format!("“{}” takes a whole number, for example 120", qn.prompt),
                        );
                        None
                    }
                },
                AnswerKind::YesNo => match typed {
                    "" => None,
                    "yes" => Some(Answer::YesNo(true)),
                    "no" => Some(Answer::YesNo(false)),
                    _ => {
                        e.add(&field, format!("Answer “{}” yes or no", qn.prompt));
                        None
                    }
                },
                AnswerKind::Choice { .. } if typed.is_empty() => None,
                AnswerKind::Choice { .. } => Some(Answer::Choice(typed.to_string())),
                AnswerKind::MoneyPerYear => {
                    let mut per_year = BTreeMap::new();
                    for y in &call.years {
                        let text = self
                            .answers
                            .get(&format!("{}@{y}", qn.key))
                            .map(|t| t.trim())
                            .unwrap_or("");
                        if !text.is_empty() {
                            per_year.insert(*y, optional_money(&mut e, &field, text));
                        }
                    }
                    (!per_year.is_empty()).then_some(Answer::MoneyPerYear(per_year))
                }
                // A file is attached on its own (see `attach_bid_file`); saving keeps it.
                AnswerKind::File => existing.answers.get(&qn.key).cloned(),
            };
            if let Some(a) = answer {
                answers.insert(qn.key.clone(), a);
            }
        }
        let mut outcomes = Vec::new();
        for (i, o) in self.outcomes.iter().enumerate() {
            if o.key.is_none()
                && [&o.outcome, &o.measure, &o.baseline, &o.target]
                    .iter()
                    .all(|t| t.trim().is_empty())
            {
                continue; // an empty row of the form
            }
            for t in [&o.outcome, &o.measure, &o.baseline, &o.target] {
                if let Err(m) = lcpf_domain::field::check_text(t, 1000) {
                    e.add(&format!("outcomes[{i}]"), format!("Outcome {} {m}", i + 1));
                }
            }
            outcomes.push(Outcome {
                key: o.key,
                outcome: o.outcome.trim().into(),
                measure: o.measure.trim().into(),
                baseline: o.baseline.trim().into(),
                target: o.target.trim().into(),
            });
        }
        e.into_result()?;
        Ok(Bid {
            title,
            lead: existing.lead,
            partners,
            boroughs: self
                .boroughs
                .iter()
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty())
                .collect(),
            amounts,
            match_funding,
            answers,
            outcomes,
        })
    }

    /// The form's fields for a saved bid, to edit it again.
    pub fn from_bid(call: &Call, bid: &Bid) -> BidInput {
        let mut answers = BTreeMap::new();
        for (key, a) in &bid.answers {
            match a {
                Answer::Text(t) | Answer::Choice(t) => {
                    answers.insert(key.clone(), t.clone());
                }
                Answer::Number(n) => {
                    answers.insert(key.clone(), n.to_string());
                }
                Answer::YesNo(b) => {
                    answers.insert(key.clone(), if *b { "yes" } else { "no" }.into());
                }
                Answer::MoneyPerYear(m) => {
                    for (y, v) in m {
                        answers.insert(format!("{key}@{y}"), v.to_string());
                    }
                }
                Answer::File { .. } => {}
            }
        }
        BidInput {
            title: bid.title.clone(),
            partners: bid
                .partners
                .iter()
                .map(|p| PartnerInput {
                    organisation_id: p.organisation_id,
                    role: role_code(p.role),
                })
                .collect(),
            boroughs: bid.boroughs.iter().cloned().collect(),
            amounts: call
                .years
                .iter()
                .map(|y| {
                    (
                        y.to_string(),
                        bid.amounts
                            .get(y)
                            .map(|m| m.to_string())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            match_funding: bid
                .match_funding
                .iter()
                .map(|m| MatchInput {
                    contributor: m.contributor.clone(),
                    year: m.year.to_string(),
                    cash: if m.cash.pence() == 0 {
                        String::new()
                    } else {
                        m.cash.to_string()
                    },
                    in_kind: if m.in_kind.pence() == 0 {
                        String::new()
                    } else {
                        m.in_kind.to_string()
                    },
                    in_kind_description: m.in_kind_description.clone(),
                })
                .collect(),
            answers,
            outcomes: bid
                .outcomes
                .iter()
                .map(|o| OutcomeInput {
                    key: o.key,
                    outcome: o.outcome.clone(),
                    measure: o.measure.clone(),
                    baseline: o.baseline.clone(),
                    target: o.target.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartnerView {
    pub organisation_id: i64,
    pub name: String,
    pub role: String,
    pub role_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BoroughView {
    pub ons_code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchView {
    pub contributor: String,
    pub year: String,
    #[schema(value_type = i64)]
    pub cash: Money,
    #[schema(value_type = i64)]
    pub in_kind: Money,
    pub in_kind_description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OutcomeView {
    /// The outcome's stable key.
    pub key: Option<i64>,
    pub outcome: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
}

/// One question and its answer, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AnswerView {
    pub question: QuestionView,
    /// The answer in words ("Yes", "120", the text); empty when unanswered.
    pub text: String,
    /// For a money-per-year question.
    pub amounts: Vec<YearAmount>,
    /// For a file question: the file's name, when one is attached.
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AnswerSection {
    pub section: String,
    pub answers: Vec<AnswerView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemView {
    pub field: String,
    pub message: String,
}

/// What has been awarded, on a bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AwardView {
    /// The award's stable key (what a grant agreement will point at).
    pub id: i64,
    pub decision_reference: String,
    /// YYYY-MM-DD
    pub decided_on: String,
    pub conditions: String,
    pub assumptions: String,
    pub amounts: Vec<YearAmount>,
    #[schema(value_type = i64)]
    pub total: Money,
}

impl From<&q::Award> for AwardView {
    fn from(a: &q::Award) -> AwardView {
        AwardView {
            id: a.id,
            decision_reference: a.decision_reference.clone(),
            decided_on: a.decided_on.clone(),
            conditions: a.conditions.clone(),
            assumptions: a.assumptions.clone(),
            amounts: year_amounts(&a.amounts),
            total: a.total(),
        }
    }
}

/// A bid, as its lead, partners, assessors and the funder read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BidView {
    /// The bid's stable key.
    pub id: i64,
    pub call: CallSummary,
    pub title: String,
    pub lead_organisation_id: i64,
    pub lead_name: String,
    pub state: StateTag,
    pub partners: Vec<PartnerView>,
    pub boroughs: Vec<BoroughView>,
    pub amounts: Vec<YearAmount>,
    #[schema(value_type = i64)]
    pub total: Money,
    pub match_funding: Vec<MatchView>,
    #[schema(value_type = i64)]
    pub match_total: Money,
    pub answers: Vec<AnswerSection>,
    pub outcomes: Vec<OutcomeView>,
    /// What stops it being submitted, one message per problem.
    pub problems: Vec<ProblemView>,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub decided_at: Option<String>,
    /// Feedback given with a decline.
    pub feedback: String,
    pub award: Option<AwardView>,
    /// May change it and submit it (its lead, while a draft and the call is open).
    pub may_edit: bool,
    pub may_submit: bool,
    pub may_withdraw: bool,
    /// Funder staff: may see every score, assign assessors and moderate.
    pub may_moderate: bool,
    /// Funder admin: may award or decline it.
    pub may_award: bool,
    /// An assessor assigned to it.
    pub may_assess: bool,
}

pub(crate) fn answer_text(a: &Answer) -> String {
    match a {
        Answer::Text(t) | Answer::Choice(t) => t.clone(),
        Answer::Number(n) => n.to_string(),
        Answer::YesNo(true) => "Yes".into(),
        Answer::YesNo(false) => "No".into(),
        Answer::MoneyPerYear(m) => m
            .iter()
            .map(|(y, v)| format!("{y}: {v}"))
            .collect::<Vec<_>>()
            .join("; "),
        Answer::File { name, .. } => name.clone(),
    }
}

/// Builds a bid's view from what is read in one snapshot.
pub(crate) async fn bid_view(
    conn: &mut AnyConnection,
    actor: &Actor,
    bid: &BidRecord,
    subject: &crate::access::Subject,
) -> AppResult<BidView> {
    let call = find_call(conn, bid.call_id).await?;
    let areas = lcpf_store::queries::areas::list(conn).await?;
    let organisations = lcpf_store::queries::organisations::list(conn, None).await?;
    let award = q::awards(conn, q::AwardsOf::Call(bid.call_id))
        .await?
        .into_iter()
        .find(|a| a.bid_id == bid.id);
    let names: HashMap<i64, &str> = organisations
        .iter()
        .map(|o| (o.id, o.name.as_str()))
        .collect();
    let taking: BTreeSet<String> = areas
        .iter()
        .filter(|a| a.in_lcpf)
        .map(|a| a.ons_code.clone())
        .collect();
    let now = Utc::now();
    let leads = may(
        actor,
        Permission::LeadBid {
            organisation_id: bid.lead_organisation_id,
        },
    );
    let open = call.call.submission_refusal(now).is_none();
    let problems = rules::problems(&call.call, &bid.bid, &taking);
    Ok(BidView {
        id: bid.id,
        call: summary(&call, now),
        title: bid.bid.title.clone(),
        lead_organisation_id: bid.lead_organisation_id,
        lead_name: bid.lead_name.clone(),
        state: bid.state.into(),
        partners: bid
            .bid
            .partners
            .iter()
            .map(|p| PartnerView {
                organisation_id: p.organisation_id,
                name: names
                    .get(&p.organisation_id)
                    .unwrap_or(&"An organisation")
                    .to_string(),
                role: role_code(p.role),
                role_label: p.role.label().into(),
            })
            .collect(),
        boroughs: areas
            .iter()
            .filter(|a| bid.bid.boroughs.contains(&a.ons_code))
            .map(|a| BoroughView {
                ons_code: a.ons_code.clone(),
                name: a.name.clone(),
            })
            .collect(),
        amounts: year_amounts(&bid.bid.amounts),
        total: bid.bid.total().unwrap_or(Money::ZERO),
        match_funding: bid
            .bid
            .match_funding
            .iter()
            .map(|m| MatchView {
                contributor: m.contributor.clone(),
                year: m.year.to_string(),
                cash: m.cash,
                in_kind: m.in_kind,
                in_kind_description: m.in_kind_description.clone(),
            })
            .collect(),
        match_total: bid.bid.match_total().unwrap_or(Money::ZERO),
        answers: sections(&call.call)
            .into_iter()
            .map(|s| AnswerSection {
                section: s.section,
                answers: s
                    .questions
                    .into_iter()
                    .map(|question| {
                        let a = bid.bid.answers.get(&question.key);
                        AnswerView {
                            text: a.map(answer_text).unwrap_or_default(),
                            amounts: match a {
                                Some(Answer::MoneyPerYear(m)) => year_amounts(m),
                                _ => Vec::new(),
                            },
                            file_name: match a {
                                Some(Answer::File { name, .. }) => Some(name.clone()),
                                _ => None,
                            },
                            question,
                        }
                    })
                    .collect(),
            })
            .collect(),
        outcomes: bid
            .bid
            .outcomes
            .iter()
            .map(|o| OutcomeView {
                key: o.key,
                outcome: o.outcome.clone(),
                measure: o.measure.clone(),
                baseline: o.baseline.clone(),
                target: o.target.clone(),
            })
            .collect(),
        problems: problems
            .into_iter()
            .map(|p| ProblemView {
                field: p.field,
                message: p.message,
            })
            .collect(),
        created_at: bid.created_at.clone(),
        submitted_at: bid.submitted_at.clone(),
        decided_at: bid.decided_at.clone(),
        feedback: bid.feedback.clone(),
        award: award.as_ref().map(AwardView::from),
        may_edit: leads && bid.state == BidState::Draft,
        may_submit: leads && bid.state == BidState::Draft && open,
        may_withdraw: leads && matches!(bid.state, BidState::Draft | BidState::Submitted),
        may_moderate: may(actor, Permission::ModerateBids),
        may_award: may(actor, Permission::AwardBids) && bid.state == BidState::Submitted,
        may_assess: authorise_on(actor, Permission::AssessBid, subject).is_ok(),
    })
}

/// Which party of the bid workflow the actor is.
fn party(actor: &Actor, bid: &BidRecord, event: BidEvent) -> AppResult<BidParty> {
    if matches!(actor, Actor::System) {
        return Ok(workflow::MOVES
            .iter()
            .find(|m| m.event == event)
            .map_or(BidParty::Funder, |m| m.by));
    }
    let lead = Permission::LeadBid {
        organisation_id: bid.lead_organisation_id,
    };
    if may(actor, lead) {
        return Ok(BidParty::Lead);
    }
    if may(actor, Permission::AwardBids) {
        return Ok(BidParty::Funder);
    }
    authorise(actor, lead).map(|_| BidParty::Lead)
}

/// A bid's state after `event`, or the refusal; the one place a bid's state changes.
pub(crate) fn next_state(actor: &Actor, bid: &BidRecord, event: BidEvent) -> AppResult<BidState> {
    let by = party(actor, bid, event)?;
    workflow::transition(bid.state, event, by)
        .map(|m| m.to)
        .map_err(|r| AppError::Forbidden(r.0))
}

/// A file attached to a bid, to download.
pub struct BidFile {
    pub file: StoredFile,
    pub bytes: Vec<u8>,
}

impl App {
    /// Starts a bid to a call as its lead (a provider's or borough's user): open calls only.
    pub async fn start_bid(&self, actor: &Actor, call_id: i64, title: &str) -> AppResult<i64> {
        let organisation_id = match actor {
            Actor::User(u) => u.organisation_id,
            _ => None,
        }
        .ok_or_else(|| {
            AppError::Forbidden(
                "A bid is led by an organisation: your account belongs to none".into(),
            )
        })?;
        self.start_bid_for(actor, call_id, organisation_id, title, Utc::now())
            .await
    }

    pub(crate) async fn start_bid_for(
        &self,
        actor: &Actor,
        call_id: i64,
        organisation_id: i64,
        title: &str,
        now: DateTime<Utc>,
    ) -> AppResult<i64> {
        authorise(actor, Permission::LeadBid { organisation_id })?;
        let mut tx = self.db().begin().await?;
        let call = find_call(&mut tx, call_id).await?;
        // Whether the call takes bids comes before what was typed.
        if let Some(why) = call.call.submission_refusal(now) {
            return Err(AppError::Forbidden(
                why.replace("submit it from then", "start a bid from then")
                    .replace(
                        "a bid can no longer be submitted",
                        "no new bid can be started",
                    ),
            ));
        }
        let title = lcpf_domain::field::required_text(title, "the service's name", 200)
            .map_err(|m| AppError::invalid("title", m))?;
        let by = actor.label();
        let id = q::insert_bid(
            &mut tx,
            call_id,
            organisation_id,
            &title,
            &lcpf_store::now(),
            &by,
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), serde_json::Value> {
                action: "create",
                entity_type: "bid",
                entity_id: id.to_string(),
                summary: format!("Started a bid to {}: {title}", call.call.name),
                before: None,
                after: Some(&serde_json::json!({"call_id": call_id, "title": title, "lead_organisation_id": organisation_id})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A bid, for whoever may see it.
    pub async fn bid(&self, actor: &Actor, id: i64) -> AppResult<BidView> {
        let mut tx = self.db().begin_read().await?;
        let (bid, subject) = visible_bid(&mut tx, actor, id).await?;
        let view = bid_view(&mut tx, actor, &bid, &subject).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A bid's form: its call's questions and what has been entered (its lead only).
    pub async fn bid_form(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(BidView, BidInput, CallSummary, Vec<String>)> {
        let mut tx = self.db().begin_read().await?;
        let bid = editable_bid(&mut tx, actor, id).await?;
        let subject = super::subject_of(&mut tx, &bid).await?;
        let view = bid_view(&mut tx, actor, &bid, &subject).await?;
        let call = find_call(&mut tx, bid.call_id).await?;
        tx.commit().await?;
        let years = call.call.years.iter().map(|y| y.to_string()).collect();
        Ok((
            view,
            BidInput::from_bid(&call.call, &bid.bid),
            summary(&call, Utc::now()),
            years,
        ))
    }

    /// Saves a draft bid (its lead). What cannot be read is refused and nothing is saved;
    /// the call's rules run on what is saved and their problems are returned, to be put
    /// right before it can be submitted.
    pub async fn save_bid(
        &self,
        actor: &Actor,
        id: i64,
        input: &BidInput,
    ) -> AppResult<Vec<ProblemView>> {
        let mut tx = self.db().begin().await?;
        let bid = editable_bid(&mut tx, actor, id).await?;
        let call = find_call(&mut tx, bid.call_id).await?;
        let content = input.read(&call.call, &bid.bid)?;
        // Partners must be organisations that exist, other than the lead.
        let organisations = lcpf_store::queries::organisations::list(&mut tx, None).await?;
        let mut e = FieldErrors::new();
        for (i, p) in content.partners.iter().enumerate() {
            if p.organisation_id == bid.lead_organisation_id {
                e.add(
                    &format!("partners[{i}]"),
                    "The lead is not also its own partner: choose another organisation",
                );
            } else if !organisations.iter().any(|o| o.id == p.organisation_id) {
                e.add(
                    &format!("partners[{i}]"),
                    "Choose a partner from the organisations listed",
                );
            }
        }
        // Boroughs are London's areas by ONS code: an unknown code is named, never stored.
        let areas: BTreeSet<String> = lcpf_store::queries::areas::list(&mut tx)
            .await?
            .into_iter()
            .map(|a| a.ons_code)
            .collect();
        for code in content.boroughs.iter().filter(|c| !areas.contains(*c)) {
            let shown: String = code.chars().take(20).collect();
            e.add(
                "boroughs",
                format!("“{shown}” is not a London borough's ONS code: choose the boroughs from the list, for example E09000002 for Barking and Dagenham"),
            );
        }
        e.into_result()?;
        q::save_bid_content(&mut tx, id, &content, &lcpf_store::now()).await?;
        let taking = taking_part(&mut tx).await?;
        let problems = rules::problems(&call.call, &content, &taking);
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "bid",
                entity_id: id.to_string(),
                summary: format!("Saved the bid {}", content.title),
                before: Some(&bid.bid),
                after: Some(&content),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(problems
            .into_iter()
            .map(|p| ProblemView {
                field: p.field,
                message: p.message,
            })
            .collect())
    }

    /// Submits or withdraws a bid (its lead): the move is the workflow's; a submission is
    /// refused after the call closes (saying when) and while the bid has problems.
    pub async fn bid_step(&self, actor: &Actor, id: i64, event: BidEvent) -> AppResult<BidState> {
        self.bid_step_at(actor, id, event, Utc::now()).await
    }

    pub(crate) async fn bid_step_at(
        &self,
        actor: &Actor,
        id: i64,
        event: BidEvent,
        now: DateTime<Utc>,
    ) -> AppResult<BidState> {
        if !matches!(event, BidEvent::Submit | BidEvent::Withdraw) {
            return Err(AppError::invalid(
                "event",
                "A bid is submitted or withdrawn here; it is awarded or declined with its decision",
            ));
        }
        let mut tx = self.db().begin().await?;
        let bid = super::find_bid(&mut tx, id).await?;
        let to = next_state(actor, &bid, event)?;
        let call = find_call(&mut tx, bid.call_id).await?;
        if event == BidEvent::Submit {
            if let Some(why) = call.call.submission_refusal(now) {
                return Err(AppError::Forbidden(why));
            }
            let taking = taking_part(&mut tx).await?;
            let problems = rules::problems(&call.call, &bid.bid, &taking);
            if !problems.is_empty() {
                return Err(AppError::Invalid(
                    problems.into_iter().map(|p| (p.field, p.message)).collect(),
                ));
            }
        }
        let stamp = lcpf_store::db::timestamp(now);
        q::set_bid_state(&mut tx, id, to, &stamp, &actor.label(), None).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<&str, &str> {
                action: event.as_str(),
                entity_type: "bid",
                entity_id: id.to_string(),
                summary: format!(
                    "{} the bid {} to {}",
                    if event == BidEvent::Submit {
                        "Submitted"
                    } else {
                        "Withdrew"
                    },
                    bid.bid.title,
                    call.call.name
                ),
                before: Some(&bid.state.as_str()),
                after: Some(&to.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Attaches a file as the answer to one of the call's file questions (the bid's lead,
    /// while a draft). The file is checked by name and content like claim evidence, and kept
    /// in the file store before the write transaction begins (which never waits on the store).
    pub async fn attach_bid_file(
        &self,
        actor: &Actor,
        id: i64,
        question_key: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> AppResult<()> {
        let prompt = {
            let mut tx = self.db().begin_read().await?;
            let (_, prompt) = file_question(&mut tx, actor, id, question_key).await?;
            tx.commit().await?;
            prompt
        };
        let field = format!("file-{question_key}");
        if bytes.is_empty() {
            return Err(AppError::invalid(
                &field,
                format!("Choose a file for “{prompt}”"),
            ));
        }
        let upload = crate::files::Upload {
            name: name.to_string(),
            content_type: content_type.to_string(),
            bytes,
        };
        let upload = self
            .read_upload(move || crate::files::BID_FILES.check(&upload).map(|_| upload))
            .await?
            .map_err(|m| AppError::invalid(&field, m))?;
        let file = self.store_file(actor, upload).await?;
        let mut tx = self.db().begin().await?;
        let (bid, _) = file_question(&mut tx, actor, id, question_key).await?;
        crate::files::record_file(&mut tx, &file).await?;
        let (key, name) = (file.key, file.name);
        let mut content = bid.bid.clone();
        content.answers.insert(
            question_key.to_string(),
            Answer::File {
                key,
                name: name.clone(),
            },
        );
        q::save_bid_content(&mut tx, id, &content, &lcpf_store::now()).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "bid",
                entity_id: id.to_string(),
                summary: format!("Attached {name} to the bid {}", bid.bid.title),
                before: Some(&bid.bid),
                after: Some(&content),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A file attached to a bid, for whoever may see the bid.
    pub async fn bid_file(&self, actor: &Actor, id: i64, question_key: &str) -> AppResult<BidFile> {
        let mut tx = self.db().begin_read().await?;
        let (bid, _) = visible_bid(&mut tx, actor, id).await?;
        let Some(Answer::File { key, .. }) = bid.bid.answers.get(question_key) else {
            return Err(AppError::NotFound("The file".into()));
        };
        let mut file = stored::stored_file(&mut tx, key)
            .await?
            .ok_or_else(|| AppError::NotFound("The file".into()))?;
        tx.commit().await?;
        // The name is this bid's answer's, never the stored content's: another organisation
        // may have uploaded the same bytes under a name of its own.
        if let Some(Answer::File { name, .. }) = bid.bid.answers.get(question_key) {
            file.name = name.clone();
        }
        let bytes = self.file_content(key).await?;
        Ok(BidFile { file, bytes })
    }
}

/// A bid `actor` may change: the bid's lead, while the bid is a draft.
async fn editable_bid(conn: &mut AnyConnection, actor: &Actor, id: i64) -> AppResult<BidRecord> {
    let bid = super::find_bid(conn, id).await?;
    authorise(
        actor,
        Permission::LeadBid {
            organisation_id: bid.lead_organisation_id,
        },
    )?;
    next_state(actor, &bid, BidEvent::Edit)?;
    Ok(bid)
}

/// The bid and the prompt of its call's file question `question_key`, once `actor` may
/// attach a file to it (see [`editable_bid`]).
async fn file_question(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    question_key: &str,
) -> AppResult<(BidRecord, String)> {
    let bid = editable_bid(conn, actor, id).await?;
    let call = find_call(conn, bid.call_id).await?;
    let prompt = call
        .call
        .questions
        .iter()
        .find(|qn| qn.key == question_key && qn.kind == AnswerKind::File)
        .map(|qn| qn.prompt.clone())
        .ok_or_else(|| AppError::NotFound("The call's file question".into()))?;
    Ok((bid, prompt))
}
