//! Borough proposals: a borough turns its envelope into lines of funded activity; the funder
//! reviews them.
//!
//! A proposal has numbered versions. The borough edits only a draft; submitting freezes it.
//! A funder officer returns it with a comment (a new draft starts from it) or approves it,
//! which locks the proposal; a later change is a variation — a new draft with a reason,
//! submitted and approved the same way. The funder sees submitted versions only.

mod input;
mod spreadsheet;

use lcpf_domain::proposal::{
    self as rules, LineComparison, Problem, ProposalLine, ProposalRules, Totals,
};
use lcpf_domain::{FieldErrors, FinancialYear, Money};
use lcpf_store::queries::funds::{self as fq, Fund, FundingPeriod};
use lcpf_store::queries::proposals::{self as q, state, Comment, Proposal, Version};
use lcpf_store::AnyConnection;
use serde::Serialize;
use utoipa::ToSchema;

pub use input::{ContributorInput, LineInput, LineYearInput, SmartOutcomeInput};
pub use spreadsheet::ImportPreview;

use crate::access::{authorise, may, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError};

/// A proposal as one person may see it: the version shown, its lines, totals and problems.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalView {
    pub proposal: Proposal,
    pub fund: Fund,
    pub period: FundingPeriod,
    #[schema(value_type = Vec<String>)]
    pub years: Vec<FinancialYear>,
    /// The versions this person may see, oldest first.
    pub versions: Vec<Version>,
    /// The version shown; none when a funder looks at a proposal not yet submitted.
    pub version: Option<Version>,
    /// The shown version's lines with their ids, in line-number order.
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<(i64, ProposalLine)>,
    #[schema(value_type = Object)]
    pub totals: Totals,
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<Problem>,
    pub comments: Vec<Comment>,
    /// The plan's priorities, in order.
    pub priorities: Vec<String>,
    pub categories: Vec<String>,
    /// The borough's own local themes.
    pub themes: Vec<String>,
    /// The fund's eligibility rules, in its own words.
    pub eligibility: Vec<String>,
    pub max_lines: Option<i64>,
    pub can_edit: bool,
    pub can_review: bool,
    pub can_vary: bool,
}

impl ProposalView {
    /// The proposal's status in words: the shown version's state, and whether a variation is
    /// being drafted.
    pub fn status(&self) -> String {
        status_label(&self.versions)
    }

    pub fn is_draft(&self) -> bool {
        self.version
            .as_ref()
            .is_some_and(|v| v.state == state::DRAFT)
    }
}

/// The status of a proposal from its versions, as the funder and the borough say it.
pub fn status_label(versions: &[Version]) -> String {
    let Some(latest) = versions.last() else {
        return "Not started".into();
    };
    let approved_before = versions[..versions.len() - 1]
        .iter()
        .any(|v| v.state == state::APPROVED);
    match latest.state.as_str() {
        state::DRAFT if approved_before => "Approved; variation in draft".into(),
        state::DRAFT if latest.number > 1 => "Returned; being revised".into(),
        state::DRAFT => "Draft".into(),
        state::SUBMITTED if !latest.variation_reason.is_empty() => "Variation submitted".into(),
        state::SUBMITTED => "Submitted".into(),
        state::RETURNED => "Returned".into(),
        state::APPROVED => "Approved".into(),
        other => other.to_string(),
    }
}

/// One borough's row in the funder's overview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverviewRow {
    pub area_code: String,
    pub area_name: String,
    pub proposal_id: Option<i64>,
    pub status: String,
    /// The submitted (or approved) version's total, in pence.
    pub total_pence: Option<i64>,
    pub envelope_pence: Option<i64>,
    pub headroom_pence: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overview {
    pub period: FundingPeriod,
    pub rows: Vec<OverviewRow>,
    /// Money by plan priority across every submitted proposal, in pence.
    pub by_priority: Vec<(String, i64)>,
    pub total_pence: i64,
    pub envelope_pence: i64,
}

impl App {
    /// A proposal as `actor` may see it. `version_number` picks an earlier version.
    pub async fn proposal(
        &self,
        actor: &Actor,
        id: i64,
        version_number: Option<i64>,
    ) -> AppResult<ProposalView> {
        let mut conn = self.db().pool().acquire().await?;
        let proposal = find(&mut conn, id).await?;
        authorise(
            actor,
            Permission::ViewProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        view(&mut conn, actor, proposal, version_number).await
    }

    /// The proposals a borough officer's own borough has, by period.
    pub async fn own_proposals(&self, actor: &Actor) -> AppResult<Vec<(Proposal, String)>> {
        let Some(organisation_id) = actor.user().and_then(|u| u.organisation_id) else {
            return Ok(Vec::new());
        };
        authorise(actor, Permission::ViewProposal { organisation_id })?;
        let mut conn = self.db().pool().acquire().await?;
        let mut out = Vec::new();
        for p in q::proposals_for_organisation(&mut conn, organisation_id).await? {
            let versions = q::versions(&mut conn, p.id).await?;
            out.push((p, status_label(&versions)));
        }
        Ok(out)
    }

    /// Starts the borough's proposal for a period, with an empty first draft.
    pub async fn start_proposal(
        &self,
        actor: &Actor,
        period_id: i64,
        organisation_id: i64,
    ) -> AppResult<Proposal> {
        authorise(actor, Permission::DraftProposal { organisation_id })?;
        let mut tx = self.db().begin().await?;
        fq::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let organisation = lcpf_store::queries::organisations::get(&mut tx, organisation_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The organisation".into()))?;
        let Some(area_code) = organisation.area_code.clone() else {
            return Err(AppError::invalid(
                "organisation_id",
                format!(
                    "{} is not a borough with an area, so it cannot hold a borough proposal",
                    organisation.name
                ),
            ));
        };
        let now = lcpf_store::now();
        let id = q::insert_proposal(&mut tx, period_id, organisation_id, &area_code, &now)
            .await
            .map_err(|e| {
                if lcpf_store::is_unique_violation(&e) {
                    AppError::invalid(
                        "period_id",
                        format!(
                            "{} already has a proposal for this period: open it from Proposals",
                            organisation.name
                        ),
                    )
                } else {
                    e.into()
                }
            })?;
        q::insert_version(&mut tx, id, 1, "", &now, &actor.label()).await?;
        let proposal = find(&mut tx, id).await?;
        record::<(), Proposal>(
            &mut tx,
            actor,
            Change {
                action: "proposal.start",
                entity_type: "proposal",
                entity_id: id.to_string(),
                summary: format!(
                    "Started {}'s proposal for period {period_id}",
                    organisation.name
                ),
                before: None,
                after: Some(&proposal),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(proposal)
    }

    /// Adds a line to the draft (`line_id` none) or replaces one. Entry errors change nothing;
    /// broken rules are saved and returned, to be fixed before submission.
    pub async fn save_line(
        &self,
        actor: &Actor,
        proposal_id: i64,
        line_id: Option<i64>,
        input: &LineInput,
    ) -> AppResult<(i64, Vec<Problem>)> {
        let mut tx = self.db().begin().await?;
        let (proposal, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        let period = period_of(&mut tx, &proposal).await?;
        let line = input.parse(&years_of(&period)?)?;
        let (before, position) = match line_id {
            Some(lid) => {
                let existing = q::lines(&mut tx, draft.id).await?;
                let Some((_, old)) = existing.into_iter().find(|(i, _)| *i == lid) else {
                    return Err(AppError::NotFound("The line".into()));
                };
                let (_, position) = q::line_position(&mut tx, lid)
                    .await?
                    .ok_or_else(|| AppError::NotFound("The line".into()))?;
                q::delete_line(&mut tx, lid).await?;
                (Some(old), position)
            }
            None => (None, q::next_position(&mut tx, draft.id).await?),
        };
        let new_id = q::insert_line(&mut tx, draft.id, position, &line).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: if before.is_some() {
                    "proposal.line.update"
                } else {
                    "proposal.line.add"
                },
                entity_type: "proposal",
                entity_id: proposal_id.to_string(),
                summary: format!(
                    "Line {} “{}” ({}) in version {}",
                    line.number,
                    line.title,
                    line.cost(),
                    draft.number
                ),
                before: before.as_ref(),
                after: Some(&line),
            },
        )
        .await?;
        let problems = check_version(&mut tx, &proposal, draft.id).await?;
        tx.commit().await?;
        Ok((new_id, problems))
    }

    pub async fn delete_line(
        &self,
        actor: &Actor,
        proposal_id: i64,
        line_id: i64,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let (_, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        let existing = q::lines(&mut tx, draft.id).await?;
        let Some((_, old)) = existing.into_iter().find(|(i, _)| *i == line_id) else {
            return Err(AppError::NotFound("The line".into()));
        };
        q::delete_line(&mut tx, line_id).await?;
        record::<ProposalLine, ()>(
            &mut tx,
            actor,
            Change {
                action: "proposal.line.delete",
                entity_type: "proposal",
                entity_id: proposal_id.to_string(),
                summary: format!("Removed line {} “{}”", old.number, old.title),
                before: Some(&old),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces every line of the draft at once (an import, or the API). All or nothing.
    pub async fn replace_lines(
        &self,
        actor: &Actor,
        proposal_id: i64,
        inputs: &[LineInput],
        how: &str,
    ) -> AppResult<Vec<Problem>> {
        let mut tx = self.db().begin().await?;
        let (proposal, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        let period = period_of(&mut tx, &proposal).await?;
        let years = years_of(&period)?;
        let mut errors = FieldErrors::new();
        let mut lines = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            match input.parse(&years) {
                Ok(l) => lines.push(l),
                Err(es) => {
                    for e in es.iter() {
                        errors.add(&format!("lines[{i}].{}", e.field), e.message.clone());
                    }
                }
            }
        }
        errors.into_result()?;
        let before: Vec<ProposalLine> = q::lines(&mut tx, draft.id)
            .await?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        replace_all(&mut tx, draft.id, &lines).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: "proposal.lines.replace",
                entity_type: "proposal",
                entity_id: proposal_id.to_string(),
                summary: format!(
                    "{how}: {} lines replaced {} in version {}",
                    lines.len(),
                    before.len(),
                    draft.number
                ),
                before: Some(&before),
                after: Some(&lines),
            },
        )
        .await?;
        let problems = check_version(&mut tx, &proposal, draft.id).await?;
        tx.commit().await?;
        Ok(problems)
    }

    /// Submits the draft to the funder. Refused, with every problem, while any rule is broken.
    pub async fn submit_proposal(&self, actor: &Actor, proposal_id: i64) -> AppResult<Version> {
        let mut tx = self.db().begin().await?;
        let (proposal, draft) = draft_for_change(&mut tx, actor, proposal_id).await?;
        let problems = check_version(&mut tx, &proposal, draft.id).await?;
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems_as_errors(&problems)));
        }
        move_on(
            &mut tx,
            actor,
            &proposal,
            &draft,
            state::SUBMITTED,
            "proposal.submit",
        )
        .await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// Returns a submitted version with a comment; the borough's next draft starts from it.
    pub async fn return_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        comment: &str,
    ) -> AppResult<()> {
        authorise(actor, Permission::ReviewProposals)?;
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        let submitted = submitted_version(&mut tx, &proposal).await?;
        let body = comment_text(comment)?;
        move_on(
            &mut tx,
            actor,
            &proposal,
            &submitted,
            state::RETURNED,
            "proposal.return",
        )
        .await?;
        add_comment(&mut tx, actor, &proposal, submitted.number, None, &body).await?;
        copy_version(&mut tx, actor, &submitted, &submitted.variation_reason).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approves a submitted version, which locks the proposal. The rules are checked again:
    /// the envelope may have changed since submission.
    pub async fn approve_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        comment: &str,
    ) -> AppResult<()> {
        authorise(actor, Permission::ReviewProposals)?;
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        let submitted = submitted_version(&mut tx, &proposal).await?;
        let problems = check_version(&mut tx, &proposal, submitted.id).await?;
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems_as_errors(&problems)));
        }
        move_on(
            &mut tx,
            actor,
            &proposal,
            &submitted,
            state::APPROVED,
            "proposal.approve",
        )
        .await?;
        if !comment.trim().is_empty() {
            let body = comment_text(comment)?;
            add_comment(&mut tx, actor, &proposal, submitted.number, None, &body).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a variation of an approved proposal: a new draft, with the reason for it.
    pub async fn start_variation(
        &self,
        actor: &Actor,
        proposal_id: i64,
        reason: &str,
    ) -> AppResult<Version> {
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        authorise(
            actor,
            Permission::DraftProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        let versions = q::versions(&mut tx, proposal_id).await?;
        let Some(latest) = versions.last().filter(|v| v.state == state::APPROVED) else {
            return Err(AppError::invalid(
                "reason",
                "Only an approved proposal can be varied; until then, change the draft or wait for the funder's review",
            ));
        };
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "reason",
                "Enter the reason for the variation (up to 2,000 characters), for example “Provider withdrew from line 2.3”",
            ));
        }
        let version = copy_version(&mut tx, actor, latest, reason).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Adds a comment on the proposal, or on one of its lines.
    pub async fn comment_on_proposal(
        &self,
        actor: &Actor,
        proposal_id: i64,
        line_number: &str,
        body: &str,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let proposal = find(&mut tx, proposal_id).await?;
        authorise(
            actor,
            Permission::ViewProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        let shown = view(&mut tx, actor, proposal.clone(), None).await?;
        let Some(version) = shown.version else {
            return Err(AppError::Forbidden(
                "The proposal has not been submitted yet, so there is nothing to comment on".into(),
            ));
        };
        let line = match line_number.trim() {
            "" => None,
            n => {
                if !shown.lines.iter().any(|(_, l)| l.number.to_string() == n) {
                    return Err(AppError::invalid(
                        "line_number",
                        format!(
                            "Version {} has no line {n}: choose a line of the proposal, or none",
                            version.number
                        ),
                    ));
                }
                Some(n.to_string())
            }
        };
        let body = comment_text(body)?;
        add_comment(
            &mut tx,
            actor,
            &proposal,
            version.number,
            line.as_deref(),
            &body,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Two versions compared line by line.
    pub async fn compare_versions(
        &self,
        actor: &Actor,
        proposal_id: i64,
        from: i64,
        to: i64,
    ) -> AppResult<(ProposalView, ProposalView, Vec<LineComparison>)> {
        let a = self.proposal(actor, proposal_id, Some(from)).await?;
        let b = self.proposal(actor, proposal_id, Some(to)).await?;
        let lines = |v: &ProposalView| v.lines.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>();
        let rows = rules::compare(&lines(&a), &lines(&b));
        Ok((a, b, rows))
    }

    /// Every LCPF borough's proposal for a period: status, totals, headroom and money by
    /// priority across London (submitted and approved versions only).
    pub async fn proposals_overview(&self, actor: &Actor, period_id: i64) -> AppResult<Overview> {
        authorise(actor, Permission::ReviewProposals)?;
        let mut conn = self.db().pool().acquire().await?;
        let period = fq::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let proposals = q::proposals_for_period(&mut conn, period_id).await?;
        let allocations = fq::allocations_for_period(&mut conn, period_id).await?;
        let areas = lcpf_store::queries::areas::list(&mut conn).await?;
        let mut by_priority: Vec<(String, i64)> = priorities_of(&mut conn, &period)
            .await?
            .into_iter()
            .map(|p| (p, 0))
            .collect();
        let mut rows = Vec::new();
        let (mut total, mut envelopes) = (0i64, 0i64);
        for area in areas.into_iter().filter(|a| a.in_lcpf) {
            let envelope: Option<i64> = {
                let own: Vec<i64> = allocations
                    .iter()
                    .filter(|a| a.area_code == area.ons_code)
                    .map(|a| a.amount_pence)
                    .collect();
                (!own.is_empty()).then(|| own.iter().sum())
            };
            envelopes += envelope.unwrap_or(0);
            let proposal = proposals.iter().find(|p| p.area_code == area.ons_code);
            let (status, shown) = match proposal {
                Some(p) => {
                    let versions = q::versions(&mut conn, p.id).await?;
                    let shown = versions
                        .iter()
                        .rev()
                        .find(|v| v.state != state::DRAFT)
                        .cloned();
                    (status_label(&versions), shown)
                }
                None => ("Not started".to_string(), None),
            };
            let mut line_total = None;
            if let Some(v) = shown {
                let lines = q::lines(&mut conn, v.id).await?;
                let mut sum = 0i64;
                for (_, l) in &lines {
                    let cost = l.cost().pence();
                    sum += cost;
                    match by_priority.iter_mut().find(|(n, _)| *n == l.priority) {
                        Some((_, m)) => *m += cost,
                        None => by_priority.push((l.priority.clone(), cost)),
                    }
                }
                total += sum;
                line_total = Some(sum);
            }
            rows.push(OverviewRow {
                area_code: area.ons_code.clone(),
                area_name: area.name.clone(),
                proposal_id: proposal.map(|p| p.id),
                status,
                total_pence: line_total,
                envelope_pence: envelope,
                headroom_pence: match (envelope, line_total) {
                    (Some(e), Some(t)) => Some(e - t),
                    _ => None,
                },
            });
        }
        Ok(Overview {
            period,
            rows,
            by_priority,
            total_pence: total,
            envelope_pence: envelopes,
        })
    }

    /// A borough's local themes (its own list, used to tag lines).
    pub async fn local_themes(
        &self,
        actor: &Actor,
        organisation_id: i64,
    ) -> AppResult<Vec<String>> {
        authorise(actor, Permission::ViewProposal { organisation_id })?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::local_themes(&mut conn, organisation_id).await?)
    }

    /// Replaces a borough's local themes: one per line of `text`.
    pub async fn set_local_themes(
        &self,
        actor: &Actor,
        organisation_id: i64,
        text: &str,
    ) -> AppResult<Vec<String>> {
        authorise(actor, Permission::DraftProposal { organisation_id })?;
        let mut themes: Vec<String> = Vec::new();
        for t in text.lines().map(str::trim).filter(|t| !t.is_empty()) {
            if t.chars().count() > 200 {
                return Err(AppError::invalid(
                    "themes",
                    format!("“{t}” is too long: a theme is at most 200 characters"),
                ));
            }
            if !themes.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                themes.push(t.to_string());
            }
        }
        if themes.len() > 30 {
            return Err(AppError::invalid(
                "themes",
                format!(
                    "Keep the list to 30 themes or fewer; there are {}",
                    themes.len()
                ),
            ));
        }
        let mut tx = self.db().begin().await?;
        let before = q::local_themes(&mut tx, organisation_id).await?;
        q::set_local_themes(&mut tx, organisation_id, &themes).await?;
        record(
            &mut tx,
            actor,
            Change {
                action: "organisation.themes",
                entity_type: "organisation",
                entity_id: organisation_id.to_string(),
                summary: format!("Local themes: {}", themes.join("; ")),
                before: Some(&before),
                after: Some(&themes),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(themes)
    }

    /// Sets the fund's cap on lines per borough proposal (`None`: no cap).
    pub async fn set_max_lines(&self, actor: &Actor, fund_id: i64, text: &str) -> AppResult<Fund> {
        authorise(actor, Permission::ManageReferenceData)?;
        let max = match text.trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => Some(n),
                _ => return Err(AppError::invalid("max_lines", format!("“{t}” is not a number of lines: enter a whole number from 1 to 500, or leave it empty for no cap"))),
            },
        };
        let mut tx = self.db().begin().await?;
        let before = fq::list_funds(&mut tx)
            .await?
            .into_iter()
            .find(|f| f.id == fund_id)
            .ok_or_else(|| AppError::NotFound("The fund".into()))?;
        fq::set_max_lines(&mut tx, fund_id, max).await?;
        let after = Fund {
            max_lines_per_proposal: max,
            ..before.clone()
        };
        record(
            &mut tx,
            actor,
            Change {
                action: "fund.max_lines",
                entity_type: "fund",
                entity_id: fund_id.to_string(),
                summary: format!(
                    "Cap on lines per proposal: {}",
                    max.map_or("none".into(), |m| m.to_string())
                ),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

async fn find(conn: &mut AnyConnection, id: i64) -> AppResult<Proposal> {
    q::proposal(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The proposal".into()))
}

async fn period_of(conn: &mut AnyConnection, p: &Proposal) -> AppResult<FundingPeriod> {
    fq::period(conn, p.period_id)
        .await?
        .ok_or_else(|| AppError::NotFound("The funding period".into()))
}

fn years_of(period: &FundingPeriod) -> AppResult<Vec<FinancialYear>> {
    Ok(crate::funds::span_of(period)?.years())
}

async fn priorities_of(conn: &mut AnyConnection, period: &FundingPeriod) -> AppResult<Vec<String>> {
    Ok(match period.plan_id {
        Some(plan) => lcpf_store::queries::plans::priorities(conn, plan)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect(),
        None => Vec::new(),
    })
}

/// Everything the rules need for one proposal.
async fn rules_for(
    conn: &mut AnyConnection,
    proposal: &Proposal,
) -> AppResult<(Fund, FundingPeriod, ProposalRules)> {
    let period = period_of(conn, proposal).await?;
    let fund = fq::list_funds(conn)
        .await?
        .into_iter()
        .find(|f| f.id == period.fund_id)
        .ok_or_else(|| AppError::NotFound("The fund".into()))?;
    let allocations = fq::allocations_for_period(conn, period.id).await?;
    let own: Vec<Money> = allocations
        .iter()
        .filter(|a| a.area_code == proposal.area_code)
        .map(|a| Money::from_pence(a.amount_pence))
        .collect();
    let envelope = if own.is_empty() {
        None
    } else {
        Some(Money::checked_sum(own).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?)
    };
    let rules = ProposalRules {
        priorities: priorities_of(conn, &period).await?,
        categories: lcpf_store::queries::plans::categories(conn)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect(),
        eligibility: fund.eligibility.clone(),
        max_lines: fund
            .max_lines_per_proposal
            .and_then(|m| u32::try_from(m).ok()),
        years: years_of(&period)?,
        envelope,
    };
    Ok((fund, period, rules))
}

async fn view(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal: Proposal,
    version_number: Option<i64>,
) -> AppResult<ProposalView> {
    let own = may(
        actor,
        Permission::DraftProposal {
            organisation_id: proposal.organisation_id,
        },
    );
    let all = q::versions(conn, proposal.id).await?;
    // The funder sees what was submitted; the borough sees its drafts too.
    let versions: Vec<Version> = all
        .iter()
        .filter(|v| own || v.state != state::DRAFT)
        .cloned()
        .collect();
    let version = match version_number {
        Some(n) => Some(
            versions
                .iter()
                .find(|v| v.number == n)
                .cloned()
                .ok_or_else(|| AppError::NotFound(format!("Version {n} of the proposal")))?,
        ),
        None => versions.last().cloned(),
    };
    let (fund, period, rules) = rules_for(conn, &proposal).await?;
    let mut lines = match &version {
        Some(v) => q::lines(conn, v.id).await?,
        None => Vec::new(),
    };
    lines.sort_by_key(|(_, l)| l.number);
    let plain: Vec<ProposalLine> = lines.iter().map(|(_, l)| l.clone()).collect();
    let totals = rules::totals(&plain, &rules);
    let problems = if version.is_some() {
        rules::check(&plain, &rules)
    } else {
        Vec::new()
    };
    let comments = q::comments(conn, proposal.id).await?;
    let comments = comments
        .into_iter()
        .filter(|c| versions.iter().any(|v| v.number == c.version_number))
        .collect();
    let themes = q::local_themes(conn, proposal.organisation_id).await?;
    let latest = all.last();
    let can_edit = own
        && latest.is_some_and(|l| l.state == state::DRAFT)
        && version.as_ref().map(|v| v.id) == latest.map(|l| l.id);
    let can_review = may(actor, Permission::ReviewProposals)
        && latest.is_some_and(|l| l.state == state::SUBMITTED);
    let can_vary = own && latest.is_some_and(|l| l.state == state::APPROVED);
    Ok(ProposalView {
        proposal,
        eligibility: fund.eligibility.clone(),
        max_lines: fund.max_lines_per_proposal,
        fund,
        period,
        years: rules.years.clone(),
        versions,
        version,
        lines,
        totals,
        problems,
        comments,
        priorities: rules.priorities.clone(),
        categories: rules.categories.clone(),
        themes,
        can_edit,
        can_review,
        can_vary,
    })
}

/// The draft a borough officer may change, or why not.
async fn draft_for_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal_id: i64,
) -> AppResult<(Proposal, Version)> {
    let proposal = find(conn, proposal_id).await?;
    authorise(
        actor,
        Permission::DraftProposal {
            organisation_id: proposal.organisation_id,
        },
    )?;
    let versions = q::versions(conn, proposal_id).await?;
    match versions.last() {
        Some(v) if v.state == state::DRAFT => Ok((proposal, v.clone())),
        Some(v) if v.state == state::APPROVED => Err(AppError::Forbidden(
            "The proposal is approved and locked: start a variation, with its reason, to change it"
                .into(),
        )),
        Some(v) => Err(AppError::Forbidden(format!(
            "Version {} was submitted and cannot be changed while the funder reviews it",
            v.number
        ))),
        None => Err(AppError::NotFound("The proposal's draft".into())),
    }
}

async fn submitted_version(conn: &mut AnyConnection, proposal: &Proposal) -> AppResult<Version> {
    let versions = q::versions(conn, proposal.id).await?;
    versions
        .last()
        .filter(|v| v.state == state::SUBMITTED)
        .cloned()
        .ok_or_else(|| {
            AppError::Forbidden("There is no submitted version waiting for review".into())
        })
}

async fn check_version(
    conn: &mut AnyConnection,
    proposal: &Proposal,
    version_id: i64,
) -> AppResult<Vec<Problem>> {
    let (_, _, rules) = rules_for(conn, proposal).await?;
    let lines: Vec<ProposalLine> = q::lines(conn, version_id)
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    Ok(rules::check(&lines, &rules))
}

fn problems_as_errors(problems: &[Problem]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for p in problems {
        let field = match p.line {
            Some(n) => format!("line-{n}"),
            None => p.field.clone(),
        };
        errors.add(&field, p.message.clone());
    }
    errors
}

async fn replace_all(
    conn: &mut AnyConnection,
    version_id: i64,
    lines: &[ProposalLine],
) -> AppResult<()> {
    for (id, _) in q::lines(conn, version_id).await? {
        q::delete_line(conn, id).await?;
    }
    for (i, l) in lines.iter().enumerate() {
        q::insert_line(conn, version_id, i as i64, l).await?;
    }
    Ok(())
}

/// A new draft version that starts from `from`'s lines.
async fn copy_version(
    conn: &mut AnyConnection,
    actor: &Actor,
    from: &Version,
    reason: &str,
) -> AppResult<Version> {
    let versions = q::versions(conn, from.proposal_id).await?;
    let number = versions.last().map_or(1, |v| v.number + 1);
    let now = lcpf_store::now();
    let id =
        q::insert_version(conn, from.proposal_id, number, reason, &now, &actor.label()).await?;
    let lines: Vec<ProposalLine> = q::lines(conn, from.id)
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    replace_all(conn, id, &lines).await?;
    let version = q::versions(conn, from.proposal_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("new version vanished")))?;
    record::<(), Version>(
        conn,
        actor,
        Change {
            action: if reason.is_empty() {
                "proposal.version"
            } else {
                "proposal.variation"
            },
            entity_type: "proposal",
            entity_id: from.proposal_id.to_string(),
            summary: if reason.is_empty() {
                format!("Version {number} started from version {}", from.number)
            } else {
                format!("Variation (version {number}) started: {reason}")
            },
            before: None,
            after: Some(&version),
        },
    )
    .await?;
    Ok(version)
}

async fn move_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal: &Proposal,
    version: &Version,
    new_state: &str,
    action: &str,
) -> AppResult<()> {
    q::set_state(
        conn,
        version.id,
        new_state,
        &lcpf_store::now(),
        &actor.label(),
    )
    .await?;
    let after = Version {
        state: new_state.to_string(),
        ..version.clone()
    };
    record(
        conn,
        actor,
        Change {
            action,
            entity_type: "proposal",
            entity_id: proposal.id.to_string(),
            summary: format!(
                "{}'s proposal, version {}: {} → {new_state}",
                proposal.organisation_name, version.number, version.state
            ),
            before: Some(version),
            after: Some(&after),
        },
    )
    .await
}

fn comment_text(body: &str) -> AppResult<String> {
    let t = body.trim();
    if t.is_empty() {
        return Err(AppError::invalid(
            "comment",
            "Enter a comment: say what needs to change, or why",
        ));
    }
    if t.chars().count() > 5000 {
        return Err(AppError::invalid(
            "comment",
            format!(
                "A comment must be 5,000 characters or fewer; this one is {}",
                t.chars().count()
            ),
        ));
    }
    Ok(t.to_string())
}

async fn add_comment(
    conn: &mut AnyConnection,
    actor: &Actor,
    proposal: &Proposal,
    version_number: i64,
    line_number: Option<&str>,
    body: &str,
) -> AppResult<()> {
    let author = actor.user().map_or_else(
        || actor.label(),
        |u| {
            format!(
                "{} ({})",
                u.name,
                u.organisation_name.clone().unwrap_or_default()
            )
        },
    );
    let mut comment = Comment {
        id: 0,
        version_number,
        line_number: line_number.map(str::to_string),
        author,
        body: body.to_string(),
        created_at: lcpf_store::now(),
    };
    comment.id = q::insert_comment(conn, proposal.id, &comment).await?;
    record::<(), Comment>(
        conn,
        actor,
        Change {
            action: "proposal.comment",
            entity_type: "proposal",
            entity_id: proposal.id.to_string(),
            summary: format!(
                "Comment on version {version_number}{}",
                line_number
                    .map(|n| format!(", line {n}"))
                    .unwrap_or_default()
            ),
            before: None,
            after: Some(&comment),
        },
    )
    .await
}
