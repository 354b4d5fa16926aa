//! Borough proposals: a borough turns its envelope into lines of funded activity; the funder
//! reviews them.
//!
//! A proposal has numbered versions. The borough edits only a draft; submitting freezes it.
//! A funder officer returns it with a comment (a new draft starts from it) or approves it,
//! which locks the proposal; a later change is a variation — a new draft with a reason,
//! submitted and approved the same way. The funder sees submitted versions only.

mod export;
mod import;
mod input;
mod lines;
mod revision;
mod settings;
mod workflow;

use lcpf_domain::proposal::{
    self as rules, LineComparison, Problem, ProposalLine, ProposalRules, Totals, UnallocatedAsk,
};
use lcpf_domain::proposal::{ProposalEvent, VersionState};
use lcpf_domain::{FieldErrors, FinancialYear, Money};
use lcpf_store::queries::funds::{self as fq, Fund, FundingPeriod};
use lcpf_store::queries::proposals::{self as q, Comment, Proposal, Version};
use lcpf_store::AnyConnection;
use serde::Serialize;
use utoipa::ToSchema;

pub use import::ImportPreview;

/// The proposals page for one person.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalsList {
    /// The borough's own proposals.
    pub own: Vec<OwnProposal>,
    /// The borough whose proposals the person drafts, if they do.
    pub organisation_id: Option<i64>,
    /// Periods open for proposals that the borough has none for yet.
    pub can_start: Vec<PeriodChoice>,
    /// The other periods it has none for, each saying why it cannot be started.
    pub cannot_start: Vec<PeriodChoice>,
    /// Funder staff: every period, to open its overview.
    pub periods: Vec<PeriodChoice>,
}

/// One of the borough's proposals as the list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnProposal {
    pub proposal: Proposal,
    pub status: String,
    /// Its fund and period in words.
    pub period: String,
}

/// A funding period as a choice: its name, and its proposals window in words.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodChoice {
    pub id: i64,
    pub label: String,
    pub window: String,
    pub open: bool,
}

/// A funding period's proposals window as typed: days as YYYY-MM-DD, empty for none.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
#[serde(default)]
pub struct WindowInput {
    pub opens_on: String,
    pub closes_on: String,
}
pub use input::{ContributorInput, LineInput, LineYearInput, SmartOutcomeInput};
pub use workflow::StepInput;

use crate::access::{authorise, may, Permission};
use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError};

/// A proposal as one person may see it: the version shown, its lines, totals and problems.
/// What someone asks of a proposal, for [`App::authorise_proposal_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalRequest {
    /// Change, submit or vary it: the borough's own officers.
    Draft,
    /// Return or approve it: funder staff.
    Review,
    /// Comment on it: whoever may see it.
    Comment,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub proposal: Proposal,
    pub fund: Fund,
    pub period: FundingPeriod,
    pub years: Vec<FinancialYear>,
    /// The versions this person may see, oldest first.
    pub versions: Vec<Version>,
    /// The version shown; none when a funder looks at a proposal not yet submitted.
    pub version: Option<Version>,
    /// The shown version's lines, in line-number order.
    pub lines: Vec<ShownLine>,
    pub totals: Totals,
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
    /// Who drafted, submitted, decided and commented, by name.
    pub people: crate::people::People,
    /// Money asked in years with no decided allocation for the borough yet.
    pub unallocated: Vec<UnallocatedAsk>,
    /// The proposal's status in words (see `status_label`).
    pub status: String,
    /// Which change this view shows (the API's ETag; forms send it back): a change made
    /// from an older revision is refused with what changed since.
    pub revision: i64,
}

/// A line of the version shown: its row id (this version's) and the line itself, which
/// carries its stable key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownLine {
    pub id: i64,
    pub line: ProposalLine,
}

impl ProposalView {
    /// The proposal's status in words, said the same way on every page and in the
    /// overview: from all its versions, so the funder sees "Draft" for a draft it may not
    /// yet read, never "Not started".
    pub fn status(&self) -> String {
        self.status.clone()
    }

    pub fn is_draft(&self) -> bool {
        self.version
            .as_ref()
            .is_some_and(|v| v.state == VersionState::Draft)
    }
}

/// The status of a proposal from its versions, as the funder and the borough say it.
pub fn status_label(versions: &[Version]) -> String {
    let Some(latest) = versions.last() else {
        return "Not started".into();
    };
    let approved_before = versions[..versions.len() - 1]
        .iter()
        .any(|v| v.state == VersionState::Approved);
    match latest.state {
        VersionState::Draft if approved_before => "Approved; variation in draft".into(),
        VersionState::Draft if latest.number > 1 => "Returned; being revised".into(),
        VersionState::Submitted if !latest.variation_reason.is_empty() => {
            "Variation submitted".into()
        }
        other => other.label().into(),
    }
}

/// One borough's row in the funder's overview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverviewRow {
    pub area_code: String,
    pub area_name: String,
    pub proposal_id: Option<i64>,
    pub status: String,
    /// Submitted and waiting for the funder's review (the latest version is submitted).
    pub awaiting_review: bool,
    /// When the version waiting for review was submitted (RFC 3339).
    pub submitted_at: Option<String>,
    /// The submitted (or approved) version's total, in pence.
    pub total_pence: Option<i64>,
    pub envelope_pence: Option<i64>,
    pub headroom_pence: Option<i64>,
    /// The shown version's money by priority, in pence.
    pub by_priority: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Serialize)]
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
        // One snapshot: a save in between cannot mix a version's before and after.
        let mut conn = self.db().begin_read().await?;
        let proposal = find(&mut conn, id).await?;
        // Funder staff and the borough's officers see it; a linked board member only what
        // was approved (see `view`).
        authorise(
            actor,
            Permission::ReadApprovedProposal {
                organisation_id: proposal.organisation_id,
            },
        )?;
        view(&mut conn, actor, proposal, version_number).await
    }

    /// Whether `actor` may make a request of this kind about a proposal, asked before the
    /// request's body is read, so that someone who may not is refused rather than told what is
    /// wrong with what they sent. The use case asks again, with the same permission, as it
    /// runs; this only decides which answer comes first.
    pub async fn authorise_proposal_request(
        &self,
        actor: &Actor,
        proposal_id: i64,
        request: ProposalRequest,
    ) -> AppResult<()> {
        let mut conn = self.db().pool().acquire().await?;
        let organisation_id = find(&mut conn, proposal_id).await?.organisation_id;
        authorise(
            actor,
            match request {
                ProposalRequest::Draft => Permission::DraftProposal { organisation_id },
                ProposalRequest::Review => Permission::ReviewProposals,
                ProposalRequest::Comment => Permission::ViewProposal { organisation_id },
            },
        )
    }

    /// The draft as its borough's officer changes it (the line form, import). Refused, with
    /// the reason, for anyone else or once the draft is submitted or approved.
    pub async fn proposal_to_edit(&self, actor: &Actor, id: i64) -> AppResult<ProposalView> {
        // One snapshot: a save in between cannot mix a version's before and after.
        let mut conn = self.db().begin_read().await?;
        let (proposal, _) = lines::draft_for_change(&mut conn, actor, id).await?;
        view(&mut conn, actor, proposal, None).await
    }

    /// The proposals a borough officer's own borough has, by period.
    pub async fn own_proposals(&self, actor: &Actor) -> AppResult<Vec<(Proposal, String)>> {
        let Some(organisation_id) = actor.user().and_then(|u| u.organisation_id) else {
            return Ok(Vec::new());
        };
        // Only a borough's own officers have proposals of their own (funder staff belong to
        // MOPAC, which has none; providers see grants, not proposals).
        if actor.role() != Some(lcpf_domain::Role::BoroughOfficer) {
            authorise(actor, Permission::ViewReferenceData)?;
            return Ok(Vec::new());
        }
        authorise(actor, Permission::ViewProposal { organisation_id })?;
        // One snapshot: a save in between cannot mix a version's before and after.
        let mut conn = self.db().begin_read().await?;
        let mut out = Vec::new();
        for p in q::proposals_for_organisation(&mut conn, organisation_id).await? {
            let versions = q::versions(&mut conn, p.id).await?;
            out.push((p, status_label(&versions)));
        }
        Ok(out)
    }

    /// What the proposals page shows this person: their borough's proposals, the periods
    /// open for proposals they can start one for (and the others, with why not), and for
    /// funder staff every period's overview.
    pub async fn proposals_list(&self, actor: &Actor) -> AppResult<ProposalsList> {
        authorise(actor, Permission::ViewReferenceData)?;
        let own = self.own_proposals(actor).await?;
        let organisation_id = actor.user().and_then(|u| u.organisation_id).filter(|o| {
            may(
                actor,
                Permission::DraftProposal {
                    organisation_id: *o,
                },
            )
        });
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        let mut periods: Vec<PeriodChoice> = Vec::new();
        {
            let mut conn = self.db().pool().acquire().await?;
            for fund in fq::list_funds(&mut conn).await? {
                for p in fq::periods(&mut conn, fund.id).await? {
                    let window = p.proposals_window();
                    periods.push(PeriodChoice {
                        id: p.id,
                        label: format!("{}: {} to {}", fund.name, p.first_year, p.last_year),
                        window: window.words(today),
                        open: window.is_open(today),
                    });
                }
            }
        }
        let label_of = |id: i64| {
            periods
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.label.clone())
                .unwrap_or_default()
        };
        let own: Vec<OwnProposal> = own
            .into_iter()
            .map(|(proposal, status)| OwnProposal {
                period: label_of(proposal.period_id),
                proposal,
                status,
            })
            .collect();
        let (open, closed): (Vec<PeriodChoice>, Vec<PeriodChoice>) = if organisation_id.is_some() {
            periods
                .iter()
                .filter(|p| !own.iter().any(|o| o.proposal.period_id == p.id))
                .cloned()
                .partition(|p| p.open)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(ProposalsList {
            own,
            organisation_id,
            can_start: open,
            cannot_start: closed,
            periods: if may(actor, Permission::ReviewProposals) {
                periods
            } else {
                Vec::new()
            },
        })
    }

    /// Sets a funding period's proposals window (funder admins): the first and last days
    /// boroughs may start and submit proposals, YYYY-MM-DD; both empty closes it.
    pub async fn set_proposals_window(
        &self,
        actor: &Actor,
        period_id: i64,
        input: &WindowInput,
    ) -> AppResult<FundingPeriod> {
        authorise(actor, Permission::ManageReferenceData)?;
        let mut errors = FieldErrors::new();
        let mut day = |field: &str, text: &str| -> Option<chrono::NaiveDate> {
            let t = text.trim();
            if t.is_empty() {
                return None;
            }
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| {
                    errors.add(
                        field,
                        format!("“{t}” is not a date: write it as year-month-day, for example 2016-12-01"),
                    )
                })
                .ok()
        };
        let window = lcpf_domain::proposal::window::ProposalsWindow {
            opens_on: day("opens_on", &input.opens_on),
            closes_on: day("closes_on", &input.closes_on),
        };
        errors.into_result()?;
        if let Err(e) = window.check() {
            return Err(AppError::invalid("closes_on", e));
        }
        let mut tx = self.db().begin().await?;
        let before = fq::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let text = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
        let (opens, closes) = (text(window.opens_on), text(window.closes_on));
        fq::set_proposals_window(&mut tx, period_id, opens.as_deref(), closes.as_deref()).await?;
        let after = fq::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        record(
            &mut tx,
            actor,
            Change {
                action: "period.proposals_window",
                entity_type: "funding_period",
                entity_id: period_id.to_string(),
                summary: format!(
                    "Proposals window for {} to {}: {}",
                    after.first_year,
                    after.last_year,
                    window.words(today)
                ),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Starts the borough's proposal for a period, with an empty first draft.
    pub async fn start_proposal(
        &self,
        actor: &Actor,
        period_id: Option<i64>,
        organisation_id: i64,
    ) -> AppResult<Proposal> {
        authorise(actor, Permission::DraftProposal { organisation_id })?;
        let period_id = period_id.ok_or_else(|| {
            AppError::invalid("period_id", "Choose the funding period the proposal is for")
        })?;
        let mut tx = self.db().begin().await?;
        let period = fq::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        if let Some(why) = period
            .proposals_window()
            .refusal(today, "start a proposal for it")
        {
            return Err(AppError::invalid("period_id", why));
        }
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

    /// Two versions compared line by line. Left out, `to` is the latest version the actor
    /// may see and `from` the one before it. `None` when the actor may see no version yet.
    pub async fn compare_versions(
        &self,
        actor: &Actor,
        proposal_id: i64,
        from: Option<i64>,
        to: Option<i64>,
    ) -> AppResult<Option<(ProposalView, ProposalView, Vec<LineComparison>)>> {
        let latest = self.proposal(actor, proposal_id, None).await?;
        let numbers: Vec<i64> = latest.versions.iter().map(|v| v.number).collect();
        let Some(&last) = numbers.last() else {
            return Ok(None);
        };
        let to = to.unwrap_or(last);
        let from = from.unwrap_or_else(|| numbers.iter().rev().nth(1).copied().unwrap_or(last));
        let a = self.proposal(actor, proposal_id, Some(from)).await?;
        let b = self.proposal(actor, proposal_id, Some(to)).await?;
        let lines = |v: &ProposalView| v.lines.iter().map(|s| s.line.clone()).collect::<Vec<_>>();
        let rows = rules::compare(&lines(&a), &lines(&b));
        Ok(Some((a, b, rows)))
    }

    /// Every LCPF borough's proposal for a period: status, totals, headroom and money by
    /// priority across London (submitted and approved versions only).
    pub async fn proposals_overview(&self, actor: &Actor, period_id: i64) -> AppResult<Overview> {
        authorise(actor, Permission::ReviewProposals)?;
        // One snapshot: a save in between cannot mix a version's before and after.
        let mut conn = self.db().begin_read().await?;
        let period = fq::period(&mut conn, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let proposals = q::proposals_for_period(&mut conn, period_id).await?;
        // Every borough's versions and shown lines in a fixed number of queries.
        let mut versions_of = q::versions_for_period(&mut conn, period_id).await?;
        let shown_ids: Vec<i64> = versions_of
            .values()
            .filter_map(|vs| vs.iter().rev().find(|v| v.state != VersionState::Draft))
            .map(|v| v.id)
            .collect();
        let mut lines_of = q::lines_of_versions(&mut conn, &shown_ids).await?;
        let allocations = fq::allocations_for_period(&mut conn, period_id).await?;
        let areas = crate::funds::taking_part(&mut conn).await?;
        // The money is summed by the domain's own totals, per borough and across London.
        let rules = ProposalRules {
            priorities: priorities_of(&mut conn, &period).await?,
            years: years_of(&period)?,
            ..ProposalRules::default()
        };
        let pence = |m: Money| m.pence();
        let mut rows = Vec::new();
        let mut london: Vec<ProposalLine> = Vec::new();
        let mut envelopes = 0i64;
        for area in areas {
            let envelope = rules::envelope(
                allocations
                    .iter()
                    .filter(|a| a.area_code == area.ons_code)
                    .map(|a| Money::from_pence(a.amount_pence)),
            )
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
            .map(Money::pence);
            envelopes += envelope.unwrap_or(0);
            let proposal = proposals.iter().find(|p| p.area_code == area.ons_code);
            let versions = proposal
                .and_then(|p| versions_of.remove(&p.id))
                .unwrap_or_default();
            // Funder staff see the latest submitted or approved version, never a draft.
            let shown = versions
                .iter()
                .rev()
                .find(|v| v.state != VersionState::Draft);
            let totals = match shown {
                Some(v) => {
                    let lines: Vec<ProposalLine> = lines_of
                        .remove(&v.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(_, l)| l)
                        .collect();
                    let own_rules = ProposalRules {
                        envelope: envelope.map(Money::from_pence),
                        ..rules.clone()
                    };
                    let t = rules::totals(&lines, &own_rules);
                    london.extend(lines);
                    Some(t)
                }
                None => None,
            };
            rows.push(OverviewRow {
                area_code: area.ons_code.clone(),
                area_name: area.name.clone(),
                proposal_id: proposal.map(|p| p.id),
                status: status_label(&versions),
                awaiting_review: versions
                    .last()
                    .is_some_and(|v| v.state == VersionState::Submitted),
                submitted_at: versions
                    .last()
                    .filter(|v| v.state == VersionState::Submitted)
                    .and_then(|v| v.submitted_at.clone()),
                total_pence: totals.as_ref().map(|t| t.total.pence()),
                envelope_pence: envelope,
                headroom_pence: totals.as_ref().and_then(|t| t.headroom).map(pence),
                by_priority: totals
                    .map(|t| {
                        t.by_priority
                            .into_iter()
                            .map(|(p, m)| (p, m.pence()))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        let across = rules::totals(&london, &rules);
        Ok(Overview {
            period,
            rows,
            by_priority: across
                .by_priority
                .into_iter()
                .map(|(p, m)| (p, m.pence()))
                .collect(),
            total_pence: across.total.pence(),
            envelope_pence: envelopes,
        })
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
/// The fund, the period and the rules a proposal is checked against, and the years of the
/// period whose allocation to the borough is decided.
async fn rules_for(
    conn: &mut AnyConnection,
    proposal: &Proposal,
) -> AppResult<(Fund, FundingPeriod, ProposalRules, Vec<FinancialYear>)> {
    let period = period_of(conn, proposal).await?;
    let fund = fq::list_funds(conn)
        .await?
        .into_iter()
        .find(|f| f.id == period.fund_id)
        .ok_or_else(|| AppError::NotFound("The fund".into()))?;
    let allocations = fq::allocations_for_period(conn, period.id).await?;
    let envelope = rules::envelope(
        allocations
            .iter()
            .filter(|a| a.area_code == proposal.area_code)
            .map(|a| Money::from_pence(a.amount_pence)),
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let allocated: Vec<FinancialYear> = allocations
        .iter()
        .filter(|a| a.area_code == proposal.area_code)
        .filter_map(|a| FinancialYear::parse(&a.year).ok())
        .collect();
    let rules = ProposalRules {
        priorities: priorities_of(conn, &period).await?,
        categories: lcpf_store::queries::plans::categories(conn)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect(),
        themes: q::local_themes(conn, proposal.organisation_id).await?,
        eligibility: fund.eligibility_rules.clone(),
        max_lines: fund
            .max_lines_per_proposal
            .and_then(|m| u32::try_from(m).ok()),
        years: years_of(&period)?,
        envelope,
    };
    Ok((fund, period, rules, allocated))
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
    let sees_submitted = may(
        actor,
        Permission::ViewProposal {
            organisation_id: proposal.organisation_id,
        },
    );
    let all = q::versions(conn, proposal.id).await?;
    // The funder sees what was submitted; the borough sees its drafts too; a board member
    // only what was approved.
    let versions: Vec<Version> = all
        .iter()
        .filter(|v| {
            own || (sees_submitted && v.state != VersionState::Draft)
                || v.state == VersionState::Approved
        })
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
    let (fund, period, rules, allocated) = rules_for(conn, &proposal).await?;
    let people = crate::people::people(conn).await?;
    let mut lines: Vec<ShownLine> = match &version {
        Some(v) => q::lines(conn, v.id).await?,
        None => Vec::new(),
    }
    .into_iter()
    .map(|(id, line)| ShownLine { id, line })
    .collect();
    lines.sort_by_key(|s| s.line.number);
    let plain: Vec<ProposalLine> = lines.iter().map(|s| s.line.clone()).collect();
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
    let latest = all.last();
    // Actions are offered on the latest version only, never on an earlier one being read.
    let shown_is_latest = version.as_ref().map(|v| v.id) == latest.map(|l| l.id);
    // What is offered is what the workflow would allow this person from the latest version.
    let allowed = |event: ProposalEvent| {
        shown_is_latest
            && latest.is_some_and(|l| {
                workflow::party(actor, &proposal, event)
                    .is_ok_and(|by| rules::workflow::transition(l.state, event, by).is_ok())
            })
    };
    let can_edit = own && allowed(ProposalEvent::Edit);
    let can_review = allowed(ProposalEvent::Approve);
    let can_vary = own && allowed(ProposalEvent::Vary);
    let revision = revision::revision(conn, proposal.id).await?;
    Ok(ProposalView {
        revision,
        status: status_label(&all),
        unallocated: rules::unallocated_asks(&totals, &allocated),
        people,
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
        themes: rules.themes.clone(),
        can_edit,
        can_review,
        can_vary,
    })
}
