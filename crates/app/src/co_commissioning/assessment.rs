//! Assessment: the funder assigns assessors; each declares any conflict, then scores each
//! criterion with a comment; funder staff see the scores side by side, moderate with a
//! reason and rank the bids against the call's maximum; a funder admin awards or declines.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use lcpf_domain::co_commissioning::assessment::{self as rules, Candidate, Mark, Marks, Total};
use lcpf_domain::co_commissioning::call::Scoring;
use lcpf_domain::co_commissioning::workflow::{BidEvent, BidState};
use lcpf_domain::{FieldErrors, FinancialYear, Money};
use lcpf_store::queries::co_commissioning::{self as q, Conflict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bids::{next_state, AwardView};
use super::calls::{summary, CallSummary, CriterionView};
use super::{find_bid, find_call, subject_with, StateTag, YearAmount};
use crate::access::{authorise, authorise_on, may, Permission};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

/// An assessor's marks as entered: by criterion key, a score (`0`–`max`) or `pass`/`fail`,
/// and a comment on each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct ScoresInput {
    #[serde(default)]
    pub marks: BTreeMap<String, String>,
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct ConflictInput {
    /// Whether the assessor has a conflict of interest with the bid.
    pub conflicted: bool,
    /// What the conflict is (needed when there is one).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct ModerationInput {
    /// The moderated total, a percentage (`72.5`).
    pub score: String,
    /// Whether the bid passes every pass/fail gate.
    pub passes_gates: bool,
    pub reason: String,
}

/// An award as entered: the decision, its conditions, and the amount per year (which may
/// differ from the ask).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct AwardInput {
    /// e.g. PCD 306
    pub decision_reference: String,
    /// YYYY-MM-DD
    pub decided_on: String,
    #[serde(default)]
    pub conditions: String,
    /// By year (`2018/19` → `£998,980`).
    pub amounts: BTreeMap<String, String>,
    /// What the record assumes that its source does not say.
    #[serde(default)]
    pub assumptions: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct DeclineInput {
    /// Feedback for the bid's lead.
    pub feedback: String,
}

/// An assessor's mark on one criterion, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MarkView {
    pub criterion_key: String,
    /// "4", "Pass", "Fail", or empty when not yet marked.
    pub mark: String,
    pub comment: String,
}

/// One assessor of a bid: their declaration, marks and total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AssessorView {
    pub user_id: i64,
    pub name: String,
    /// undeclared, none or conflicted
    pub conflict: String,
    pub conflict_note: String,
    pub marks: Vec<MarkView>,
    /// The weighted total, when every criterion is marked, e.g. "72.50%".
    pub total: Option<String>,
    pub total_basis_points: Option<u32>,
    pub passes_gates: Option<bool>,
}

/// Everyone's scores on a bid side by side, and its moderation (funder staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScoresView {
    pub bid_id: i64,
    pub title: String,
    pub lead_name: String,
    pub state: StateTag,
    pub call: CallSummary,
    pub criteria: Vec<CriterionView>,
    pub assessors: Vec<AssessorView>,
    /// The assessors' combined total (their mean), once any has finished.
    pub combined: Option<String>,
    /// Whether assessors' totals are further apart than the call's margin.
    pub spread_flagged: bool,
    pub moderated: Option<ModerationView>,
    /// Users who may be assigned (assessors and funder officers not yet assigned).
    pub assignable: Vec<Assignable>,
    pub may_moderate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ModerationView {
    pub score: String,
    pub basis_points: u32,
    pub passes_gates: bool,
    pub reason: String,
    pub moderated_at: String,
    pub moderated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Assignable {
    pub user_id: i64,
    pub name: String,
}

/// One bid in an assessor's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueueRow {
    pub bid_id: i64,
    pub title: String,
    pub lead_name: String,
    pub call_name: String,
    /// undeclared, none or conflicted
    pub conflict: String,
    /// "Declare any conflict", "Score it", "Scored", "Conflict declared"
    pub status: String,
}

/// An assessor's form for one bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AssessmentView {
    pub bid_id: i64,
    pub title: String,
    pub lead_name: String,
    pub call_name: String,
    pub conflict: String,
    pub conflict_note: String,
    pub criteria: Vec<CriterionView>,
    /// What this assessor has entered, by criterion.
    pub marks: Vec<MarkView>,
    pub total: Option<String>,
    /// May score now (declared no conflict, not their own organisation's bid).
    pub may_score: bool,
}

/// A row of the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RankRow {
    pub place: usize,
    pub bid_id: i64,
    pub title: String,
    pub lead_name: String,
    pub state: StateTag,
    #[schema(value_type = i64)]
    pub ask: Money,
    /// The total it is ranked by (moderated if moderated), e.g. "72.50%".
    pub score: Option<String>,
    pub moderated: bool,
    pub spread_flagged: bool,
    pub passes_gates: bool,
    #[schema(value_type = i64)]
    pub running_total: Money,
    pub within_maximum: bool,
    #[schema(value_type = i64)]
    pub awarded: Option<Money>,
}

/// A call's submitted bids ranked against its maximum (funder staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RankingView {
    pub call: CallSummary,
    pub rows: Vec<RankRow>,
    #[schema(value_type = i64)]
    pub awarded: Money,
    #[schema(value_type = i64)]
    pub left: Money,
    pub may_award: bool,
}

fn conflict_code(c: Conflict) -> String {
    match c {
        Conflict::Undeclared => "undeclared",
        Conflict::None => "none",
        Conflict::Conflicted => "conflicted",
    }
    .into()
}

fn mark_text(m: &Mark) -> String {
    match m {
        Mark::Score(s) => s.to_string(),
        Mark::Pass(true) => "Pass".into(),
        Mark::Pass(false) => "Fail".into(),
    }
}

/// Each assessor's total on a bid, when complete.
fn totals_of(
    criteria: &[lcpf_domain::co_commissioning::call::Criterion],
    scores: &[q::Score],
    bid_id: i64,
    assessors: &[i64],
) -> Vec<(i64, Option<Total>)> {
    assessors
        .iter()
        .map(|u| {
            let marks: Marks = scores
                .iter()
                .filter(|s| s.bid_id == bid_id && s.user_id == *u)
                .map(|s| (s.criterion_key.clone(), s.mark.clone()))
                .collect();
            (
                *u,
                if marks.is_empty() {
                    None
                } else {
                    rules::weighted_total(criteria, &marks).ok()
                },
            )
        })
        .collect()
}

impl App {
    /// Assigns an assessor to a submitted bid (funder staff). The assessor must be an
    /// assessor or a funder officer.
    pub async fn assign_assessor(&self, actor: &Actor, bid_id: i64, user_id: i64) -> AppResult<()> {
        authorise(actor, Permission::ModerateBids)?;
        let mut tx = self.db().begin().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        if bid.state != BidState::Submitted {
            return Err(AppError::Forbidden(format!(
                "Only a submitted bid is assessed; this one is {}",
                bid.state.label().to_lowercase()
            )));
        }
        let user = lcpf_store::queries::users::get(&mut tx, user_id)
            .await?
            .filter(|u| matches!(u.role.as_str(), "assessor" | "funder_officer") && !u.disabled)
            .ok_or_else(|| {
                AppError::invalid(
                    "user_id",
                    "Choose an assessor or a funder officer to assess the bid",
                )
            })?;
        if !q::assign(&mut tx, bid_id, user_id, &lcpf_store::now(), &actor.label()).await? {
            return Err(AppError::invalid(
                "user_id",
                format!("{} is already assessing this bid", user.name),
            ));
        }
        audit::record(
            &mut tx,
            actor,
            Change::<(), serde_json::Value> {
                action: "assign",
                entity_type: "bid",
                entity_id: bid_id.to_string(),
                summary: format!("Assigned {} to assess {}", user.name, bid.bid.title),
                before: None,
                after: Some(&serde_json::json!({"assessor": user.email})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The bids assigned to the person, with what they still have to do.
    pub async fn assessment_queue(&self, actor: &Actor) -> AppResult<Vec<QueueRow>> {
        authorise(actor, Permission::ViewReferenceData)?;
        let Some(user) = actor.user() else {
            return Ok(Vec::new());
        };
        let mut tx = self.db().begin_read().await?;
        let bids = q::bid_summaries(&mut tx, q::BidsOf::Assessor(user.id)).await?;
        let ids: Vec<i64> = bids.iter().map(|b| b.id).collect();
        let assignments = q::assignments(&mut tx, &ids).await?;
        let scores = q::scores(&mut tx, &ids).await?;
        let calls = q::calls(&mut tx).await?;
        tx.commit().await?;
        Ok(bids
            .iter()
            .map(|b| {
                let a = assignments
                    .iter()
                    .find(|a| a.bid_id == b.id && a.user_id == user.id);
                let conflict = a.map(|a| a.conflict).unwrap_or(Conflict::Undeclared);
                let call = calls.iter().find(|c| c.id == b.call_id);
                let criteria = call.map(|c| c.call.criteria.len()).unwrap_or(0);
                let marked = scores
                    .iter()
                    .filter(|s| s.bid_id == b.id && s.user_id == user.id)
                    .count();
                QueueRow {
                    bid_id: b.id,
                    title: b.title.clone(),
                    lead_name: b.lead_name.clone(),
                    call_name: call.map(|c| c.call.name.clone()).unwrap_or_default(),
                    conflict: conflict_code(conflict),
                    status: match conflict {
                        Conflict::Undeclared => "Declare any conflict of interest",
                        Conflict::Conflicted => "Conflict declared: not scoring",
                        Conflict::None if marked >= criteria && criteria > 0 => "Scored",
                        Conflict::None => "Score it",
                    }
                    .into(),
                }
            })
            .collect())
    }

    /// An assessor's form for a bid assigned to them.
    pub async fn assessment(&self, actor: &Actor, bid_id: i64) -> AppResult<AssessmentView> {
        let mut tx = self.db().begin_read().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        let assignments = q::assignments(&mut tx, &[bid_id]).await?;
        let subject = subject_with(&bid, &assignments);
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        let Some(mine) = assignments.iter().find(|a| a.user_id == user.id) else {
            return Err(AppError::Forbidden(
                "This bid is not assigned to you: an assessor sees only the bids assigned to them"
                    .into(),
            ));
        };
        authorise_on(actor, Permission::ViewBid, &subject)?;
        let call = find_call(&mut tx, bid.call_id).await?;
        let scores = q::scores(&mut tx, &[bid_id]).await?;
        tx.commit().await?;
        let marks: Vec<&q::Score> = scores.iter().filter(|s| s.user_id == user.id).collect();
        let total = totals_of(&call.call.criteria, &scores, bid_id, &[user.id])
            .into_iter()
            .find_map(|(_, t)| t);
        Ok(AssessmentView {
            bid_id,
            title: bid.bid.title.clone(),
            lead_name: bid.lead_name.clone(),
            call_name: call.call.name.clone(),
            conflict: conflict_code(mine.conflict),
            conflict_note: mine.conflict_note.clone(),
            criteria: call.call.criteria.iter().map(CriterionView::from).collect(),
            marks: call
                .call
                .criteria
                .iter()
                .map(|c| {
                    let s = marks.iter().find(|s| s.criterion_key == c.key);
                    MarkView {
                        criterion_key: c.key.clone(),
                        mark: s.map(|s| mark_text(&s.mark)).unwrap_or_default(),
                        comment: s.map(|s| s.comment.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
            total: total.map(|t| t.percent_text()),
            may_score: mine.conflict == Conflict::None
                && authorise_on(actor, Permission::AssessBid, &subject).is_ok(),
        })
    }

    /// An assessor declares whether they have a conflict of interest with a bid assigned to
    /// them; a conflicted assessor cannot score it.
    pub async fn declare_conflict(
        &self,
        actor: &Actor,
        bid_id: i64,
        input: &ConflictInput,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        let assignments = q::assignments(&mut tx, &[bid_id]).await?;
        let subject = subject_with(&bid, &assignments);
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        if !subject.assessors.contains(&user.id) {
            return Err(AppError::Forbidden(
                "This bid is not assigned to you: an assessor sees only the bids assigned to them"
                    .into(),
            ));
        }
        // Assigned, and not of the bid's own organisations; a conflict is what is declared.
        authorise_on(
            actor,
            Permission::AssessBid,
            &crate::access::Subject {
                conflicted: Vec::new(),
                ..subject.clone()
            },
        )?;
        if assignments
            .iter()
            .any(|a| a.user_id == user.id && a.conflict != Conflict::Undeclared)
        {
            return Err(AppError::Forbidden(
                "You have already declared whether you have a conflict of interest with this bid: ask a funder officer if it has changed".into(),
            ));
        }
        let note = if input.conflicted {
            lcpf_domain::field::required_text(&input.note, "what the conflict of interest is", 1000)
                .map_err(|m| AppError::invalid("note", m))?
        } else {
            lcpf_domain::field::check_text(input.note.trim(), 1000)
                .map_err(|m| AppError::invalid("note", format!("The note {m}")))?;
            input.note.trim().to_string()
        };
        q::declare(
            &mut tx,
            bid_id,
            user.id,
            input.conflicted,
            &note,
            &lcpf_store::now(),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), serde_json::Value> {
                action: "declare",
                entity_type: "bid",
                entity_id: bid_id.to_string(),
                summary: format!(
                    "{} declared {} with {}",
                    user.name,
                    if input.conflicted {
                        "a conflict of interest"
                    } else {
                        "no conflict of interest"
                    },
                    bid.bid.title
                ),
                before: None,
                after: Some(&serde_json::json!({"conflicted": input.conflicted, "note": note})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An assessor scores a bid assigned to them: every criterion, each with a comment. The
    /// weighted total is the domain's. Returns it.
    pub async fn score_bid(
        &self,
        actor: &Actor,
        bid_id: i64,
        input: &ScoresInput,
    ) -> AppResult<String> {
        let mut tx = self.db().begin().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        let assignments = q::assignments(&mut tx, &[bid_id]).await?;
        let subject = subject_with(&bid, &assignments);
        authorise_on(actor, Permission::AssessBid, &subject)?;
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        if assignments
            .iter()
            .any(|a| a.user_id == user.id && a.conflict == Conflict::Undeclared)
        {
            return Err(AppError::Forbidden(
                "Declare whether you have a conflict of interest with this bid before you score it"
                    .into(),
            ));
        }
        if bid.state != BidState::Submitted {
            return Err(AppError::Forbidden(format!(
                "This bid is {}: only a submitted bid is scored",
                bid.state.label().to_lowercase()
            )));
        }
        let call = find_call(&mut tx, bid.call_id).await?;
        let mut e = FieldErrors::new();
        let mut marks = Marks::new();
        let mut rows = Vec::new();
        for c in &call.call.criteria {
            let field = format!("mark-{}", c.key);
            let typed = input.marks.get(&c.key).map(|t| t.trim()).unwrap_or("");
            let comment = input.comments.get(&c.key).map(|t| t.trim()).unwrap_or("");
            if let Err(m) = lcpf_domain::field::check_text(comment, 2000) {
                e.add(&format!("comment-{}", c.key), format!("The comment {m}"));
            }
            let mark = match c.scoring {
                Scoring::Scored { max, .. } => match typed.parse::<u32>() {
                    Ok(s) if s <= max => Some(Mark::Score(s)),
                    _ => {
                        e.add(
                            &field,
                            format!("Score “{}” with a whole number from 0 to {max}", c.name),
                        );
                        None
                    }
                },
                Scoring::PassFail => match typed {
                    "pass" => Some(Mark::Pass(true)),
                    "fail" => Some(Mark::Pass(false)),
                    _ => {
                        e.add(
                            &field,
                            format!("Say whether the bid passes “{}”: pass or fail", c.name),
                        );
                        None
                    }
                },
            };
            if let Some(mark) = mark {
                if comment.is_empty() {
                    e.add(
                        &format!("comment-{}", c.key),
                        format!("Give a comment with your mark for “{}”", c.name),
                    );
                }
                marks.insert(c.key.clone(), mark.clone());
                rows.push((c.key.clone(), mark, comment.to_string()));
            }
        }
        e.into_result()?;
        let total = rules::weighted_total(&call.call.criteria, &marks)
            .map_err(|p| p.into_iter().collect::<lcpf_domain::FieldErrors>())?;
        q::set_scores(&mut tx, bid_id, user.id, &rows, &lcpf_store::now()).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), serde_json::Value> {
                action: "score",
                entity_type: "bid",
                entity_id: bid_id.to_string(),
                summary: format!("{} scored {}: {}", user.name, bid.bid.title, total.percent_text()),
                before: None,
                after: Some(&serde_json::json!({"marks": marks, "total_basis_points": total.basis_points, "passes_gates": total.passes_gates})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(total.percent_text())
    }

    /// Every assessor's scores on a bid side by side, with the spread and any moderation
    /// (funder staff).
    pub async fn bid_scores(&self, actor: &Actor, bid_id: i64) -> AppResult<ScoresView> {
        authorise(actor, Permission::ModerateBids)?;
        let mut tx = self.db().begin_read().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        let call = find_call(&mut tx, bid.call_id).await?;
        let assignments = q::assignments(&mut tx, &[bid_id]).await?;
        let scores = q::scores(&mut tx, &[bid_id]).await?;
        let moderation = q::moderations(&mut tx, &[bid_id]).await?.into_iter().next();
        let users = lcpf_store::queries::users::list(&mut tx, None).await?;
        tx.commit().await?;
        let ids: Vec<i64> = assignments.iter().map(|a| a.user_id).collect();
        let totals = totals_of(&call.call.criteria, &scores, bid_id, &ids);
        let complete: Vec<Total> = totals.iter().filter_map(|(_, t)| *t).collect();
        Ok(ScoresView {
            bid_id,
            title: bid.bid.title.clone(),
            lead_name: bid.lead_name.clone(),
            state: bid.state.into(),
            call: summary(&call, Utc::now()),
            criteria: call.call.criteria.iter().map(CriterionView::from).collect(),
            assessors: assignments
                .iter()
                .map(|a| {
                    let t = totals
                        .iter()
                        .find(|(u, _)| *u == a.user_id)
                        .and_then(|(_, t)| *t);
                    AssessorView {
                        user_id: a.user_id,
                        name: a.user_name.clone(),
                        conflict: conflict_code(a.conflict),
                        conflict_note: a.conflict_note.clone(),
                        marks: call
                            .call
                            .criteria
                            .iter()
                            .map(|c| {
                                let s = scores
                                    .iter()
                                    .find(|s| s.user_id == a.user_id && s.criterion_key == c.key);
                                MarkView {
                                    criterion_key: c.key.clone(),
                                    mark: s.map(|s| mark_text(&s.mark)).unwrap_or_default(),
                                    comment: s.map(|s| s.comment.clone()).unwrap_or_default(),
                                }
                            })
                            .collect(),
                        total: t.map(|t| t.percent_text()),
                        total_basis_points: t.map(|t| t.basis_points),
                        passes_gates: t.map(|t| t.passes_gates),
                    }
                })
                .collect(),
            combined: rules::combined(&complete).map(|t| t.percent_text()),
            spread_flagged: rules::spread_flagged(&complete, call.call.spread_margin_bp),
            moderated: moderation.map(|m| ModerationView {
                score: m.total.percent_text(),
                basis_points: m.total.basis_points,
                passes_gates: m.total.passes_gates,
                reason: m.reason,
                moderated_at: m.moderated_at,
                moderated_by: m.moderated_by,
            }),
            assignable: users
                .iter()
                .filter(|u| {
                    matches!(u.role.as_str(), "assessor" | "funder_officer")
                        && !u.disabled
                        && !ids.contains(&u.id)
                })
                .map(|u| Assignable {
                    user_id: u.id,
                    name: u.name.clone(),
                })
                .collect(),
            may_moderate: may(actor, Permission::ModerateBids) && bid.state == BidState::Submitted,
        })
    }

    /// Records the panel's moderated score for a bid, with the reason (funder staff).
    pub async fn moderate_bid(
        &self,
        actor: &Actor,
        bid_id: i64,
        input: &ModerationInput,
    ) -> AppResult<()> {
        authorise(actor, Permission::ModerateBids)?;
        let basis_points = parse_percent(&input.score).ok_or_else(|| {
            AppError::invalid(
                "score",
                "Enter the moderated score as a percentage from 0 to 100, for example 72.5",
            )
        })?;
        lcpf_domain::field::check_text(input.reason.trim(), 2000)
            .map_err(|m| AppError::invalid("reason", format!("The reason {m}")))?;
        let total = rules::moderate(basis_points, input.passes_gates, &input.reason)
            .map_err(|m| AppError::invalid("reason", m))?;
        let mut tx = self.db().begin().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        if bid.state != BidState::Submitted {
            return Err(AppError::Forbidden(format!(
                "This bid is {}: only a submitted bid is moderated",
                bid.state.label().to_lowercase()
            )));
        }
        let m = q::Moderation {
            bid_id,
            total,
            reason: input.reason.trim().to_string(),
            moderated_at: lcpf_store::now(),
            moderated_by: actor.label(),
        };
        q::set_moderation(&mut tx, &m).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), q::Moderation> {
                action: "moderate",
                entity_type: "bid",
                entity_id: bid_id.to_string(),
                summary: format!(
                    "Moderated {} to {}: {}",
                    bid.bid.title,
                    total.percent_text(),
                    m.reason
                ),
                before: None,
                after: Some(&m),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A call's submitted and decided bids ranked, with a running total against its maximum
    /// (funder staff). Seven queries, whatever the number of bids.
    pub async fn ranking(&self, actor: &Actor, call_id: i64) -> AppResult<RankingView> {
        authorise(actor, Permission::ModerateBids)?;
        let mut tx = self.db().begin_read().await?;
        let call = find_call(&mut tx, call_id).await?;
        let bids: Vec<q::BidSummary> = q::bid_summaries(&mut tx, q::BidsOf::Call(call_id))
            .await?
            .into_iter()
            .filter(|b| {
                matches!(
                    b.state,
                    BidState::Submitted | BidState::Awarded | BidState::Declined
                )
            })
            .collect();
        let ids: Vec<i64> = bids.iter().map(|b| b.id).collect();
        let assignments = q::assignments(&mut tx, &ids).await?;
        let scores = q::scores(&mut tx, &ids).await?;
        let moderations = q::moderations(&mut tx, &ids).await?;
        let awards = q::awards(&mut tx, q::AwardsOf::Call(call_id)).await?;
        tx.commit().await?;
        let mut finals: HashMap<i64, (Option<Total>, bool, bool)> = HashMap::new();
        for b in &bids {
            let assessors: Vec<i64> = assignments
                .iter()
                .filter(|a| a.bid_id == b.id)
                .map(|a| a.user_id)
                .collect();
            let complete: Vec<Total> = totals_of(&call.call.criteria, &scores, b.id, &assessors)
                .into_iter()
                .filter_map(|(_, t)| t)
                .collect();
            let moderated = moderations
                .iter()
                .find(|m| m.bid_id == b.id)
                .map(|m| m.total);
            finals.insert(
                b.id,
                (
                    moderated.or_else(|| rules::combined(&complete)),
                    moderated.is_some(),
                    rules::spread_flagged(&complete, call.call.spread_margin_bp),
                ),
            );
        }
        let candidates: Vec<Candidate> = bids
            .iter()
            .map(|b| Candidate {
                key: b.id,
                ask: b.ask,
                total: finals.get(&b.id).and_then(|f| f.0),
            })
            .collect();
        let awarded = Money::from_pence(awards.iter().map(|a| a.total().pence()).sum());
        let rows = rules::rank(&candidates, call.call.maximum)
            .into_iter()
            .filter_map(|r| {
                let b = bids.iter().find(|b| b.id == r.key)?;
                let (total, moderated, spread) =
                    finals.get(&b.id).copied().unwrap_or((None, false, false));
                Some(RankRow {
                    place: r.place,
                    bid_id: b.id,
                    title: b.title.clone(),
                    lead_name: b.lead_name.clone(),
                    state: b.state.into(),
                    ask: b.ask,
                    score: total.map(|t| t.percent_text()),
                    moderated,
                    spread_flagged: spread,
                    passes_gates: r.passes_gates,
                    running_total: r.running_total,
                    within_maximum: r.within_maximum,
                    awarded: awards.iter().find(|a| a.bid_id == b.id).map(|a| a.total()),
                })
            })
            .collect();
        Ok(RankingView {
            left: Money::from_pence(call.call.maximum.pence() - awarded.pence()),
            call: summary(&call, Utc::now()),
            rows,
            awarded,
            may_award: may(actor, Permission::AwardBids),
        })
    }

    /// Awards a submitted bid (funder admin): the decision, conditions and the amount per
    /// year of the call. The call's awards never pass its maximum; an over-award is refused
    /// with the figures. With an idempotency key, sending the same award again returns the
    /// first one and changes nothing.
    pub async fn award_bid(
        &self,
        actor: &Actor,
        bid_id: i64,
        input: &AwardInput,
        idempotency_key: Option<&str>,
    ) -> AppResult<AwardView> {
        authorise(actor, Permission::AwardBids)?;
        let mut tx = self.db().begin().await?;
        if let Some(key) = idempotency_key {
            if let Some(existing) = q::award_with_key(&mut tx, key).await? {
                let award = q::awards(&mut tx, q::AwardsOf::All)
                    .await?
                    .into_iter()
                    .find(|a| a.id == existing);
                if let Some(a) = award.filter(|a| a.bid_id == bid_id) {
                    return Ok(AwardView::from(&a));
                }
                return Err(AppError::invalid("Idempotency-Key", "This idempotency key was used for another award: send a new key for a new award"));
            }
        }
        let bid = find_bid(&mut tx, bid_id).await?;
        let to = next_state(actor, &bid, BidEvent::Award)?;
        let call = find_call(&mut tx, bid.call_id).await?;
        let mut e = FieldErrors::new();
        let reference = e.check(
            "decision_reference",
            lcpf_domain::field::required_text(
                &input.decision_reference,
                "the decision's reference, for example PCD 306",
                120,
            ),
        );
        let decided_on = match NaiveDate::parse_from_str(input.decided_on.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                e.add(
                    "decided_on",
                    "Enter the date of the decision as YYYY-MM-DD, for example 2018-03-05",
                );
                None
            }
        };
        let conditions = e
            .check(
                "conditions",
                lcpf_domain::field::optional_text(&input.conditions, "the conditions", 2000),
            )
            .flatten()
            .unwrap_or_default();
        let assumptions = e
            .check(
                "assumptions",
                lcpf_domain::field::optional_text(&input.assumptions, "the assumptions", 2000),
            )
            .flatten()
            .unwrap_or_default();
        let mut amounts = BTreeMap::new();
        for (y, m) in &input.amounts {
            let field = format!("award-{y}");
            let Some(year) = e.check(&field, FinancialYear::parse(y)) else {
                continue;
            };
            if !call.call.years.contains(&year) {
                e.add(
                    &field,
                    format!(
                        "{} funds {}; {year} is not one of its years",
                        call.call.name,
                        call.call
                            .years
                            .iter()
                            .map(|y| y.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            if m.trim().is_empty() {
                continue;
            }
            if let Some(money) = e.check(&field, Money::parse(m)) {
                if money.is_negative() {
                    e.add(&field, "An award cannot be negative");
                } else {
                    amounts.insert(year, money);
                }
            }
        }
        e.into_result()?;
        let this = Money::from_pence(amounts.values().map(|m| m.pence()).sum());
        let so_far = Money::from_pence(
            q::awards(&mut tx, q::AwardsOf::Call(call.id))
                .await?
                .iter()
                .map(|a| a.total().pence())
                .sum(),
        );
        rules::check_award(&call.call.name, call.call.maximum, so_far, this)
            .map_err(|m| AppError::invalid("amounts", m))?;
        let award = q::Award {
            id: 0,
            bid_id,
            call_id: call.id,
            decision_reference: reference.unwrap_or_default(),
            decided_on: decided_on
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            conditions,
            assumptions,
            amounts,
            created_at: lcpf_store::now(),
            created_by: actor.label(),
        };
        let id = q::insert_award(&mut tx, &award, idempotency_key).await?;
        let award = q::Award { id, ..award };
        q::set_bid_state(
            &mut tx,
            bid_id,
            to,
            &lcpf_store::now(),
            &actor.label(),
            None,
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), q::Award> {
                action: "award",
                entity_type: "bid",
                entity_id: bid_id.to_string(),
                summary: format!(
                    "Awarded {} to {} ({}): {}",
                    this, bid.bid.title, bid.lead_name, award.decision_reference
                ),
                before: None,
                after: Some(&award),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(AwardView::from(&award))
    }

    /// Declines a submitted bid with feedback for its lead (funder admin).
    pub async fn decline_bid(
        &self,
        actor: &Actor,
        bid_id: i64,
        input: &DeclineInput,
    ) -> AppResult<()> {
        authorise(actor, Permission::AwardBids)?;
        let feedback =
            lcpf_domain::field::required_text(&input.feedback, "feedback for the bid's lead", 5000)
                .map_err(|m| AppError::invalid("feedback", m))?;
        let mut tx = self.db().begin().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        let to = next_state(actor, &bid, BidEvent::Decline)?;
        q::set_bid_state(
            &mut tx,
            bid_id,
            to,
            &lcpf_store::now(),
            &actor.label(),
            Some(&feedback),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<&str, serde_json::Value> {
                action: "decline",
                entity_type: "bid",
                entity_id: bid_id.to_string(),
                summary: format!("Declined {} ({})", bid.bid.title, bid.lead_name),
                before: Some(&bid.state.as_str()),
                after: Some(&serde_json::json!({"state": to.as_str(), "feedback": feedback})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The form for awarding a bid: its ask per year, to start from.
    pub async fn award_form(
        &self,
        actor: &Actor,
        bid_id: i64,
    ) -> AppResult<(super::BidView, Vec<YearAmount>)> {
        authorise(actor, Permission::AwardBids)?;
        let view = self.bid(actor, bid_id).await?;
        let mut tx = self.db().begin_read().await?;
        let bid = find_bid(&mut tx, bid_id).await?;
        let call = find_call(&mut tx, bid.call_id).await?;
        tx.commit().await?;
        let asks = call
            .call
            .years
            .iter()
            .map(|y| YearAmount {
                year: y.to_string(),
                amount: bid.bid.amounts.get(y).copied().unwrap_or(Money::ZERO),
            })
            .collect();
        Ok((view, asks))
    }
}

/// `72.5`, `72.50%` → 7,250 basis points; none when not a percentage from 0 to 100 with at
/// most two decimals (read as every percentage is, by `Percentage::parse`).
fn parse_percent(text: &str) -> Option<u32> {
    lcpf_domain::Percentage::parse(text)
        .ok()
        .map(|p| p.basis_points())
        .filter(|bp| *bp <= 10_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_are_read_exactly() {
        assert_eq!(super::parse_percent("72.5"), Some(7_250));
        assert_eq!(super::parse_percent("72.50%"), Some(7_250));
        assert_eq!(super::parse_percent("100"), Some(10_000));
        assert_eq!(super::parse_percent("100.01"), None);
        assert_eq!(super::parse_percent("7.255"), None);
        assert_eq!(super::parse_percent("-1"), None);
    }
}
