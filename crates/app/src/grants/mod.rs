//! Grants: made from an approved proposal (one per borough per period, its projects the
//! approved lines) or a co-commissioning award; offered, accepted by the recipient's officer,
//! started; varied with a reason and history; provisional years confirmed by a decision.
//! Every change is authorised, written and audited in one transaction; pages and the API get
//! typed view models.

use std::collections::BTreeMap;

use lcpf_domain::grant::payment::Schedule;
use lcpf_domain::grant::profile::Source;
use lcpf_domain::grant::workflow::{self, GrantEvent, GrantParty, GrantState};
use lcpf_domain::{FieldErrors, FinancialYear, FundingPeriod, Money};
use lcpf_store::queries::grants::{self as q, GrantRecord, GrantSource, GrantsOf};
use lcpf_store::AnyConnection;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::{authorise, may, Permission};
use crate::audit::{self, Change};
use crate::paging::Pages;
use crate::{Actor, App, AppError, AppResult};

pub mod agreement;
pub mod claims;
pub mod closeout;
mod demo;
pub mod import;
mod making;
pub mod onward;
pub mod payments;
pub mod schedule;
pub mod spend;
pub(crate) use spend::spend_view;
pub use spend::{SpendQuarter, SpendView, SpendYear};
mod variations;
mod views;

pub use views::*;

pub use variations::{variation_rows, year_amounts, VariationCell, VariationRow};

/// Grants a list shows at a time.
pub const GRANTS_PER_PAGE: i64 = 50;

/// What a grant is made from: `proposal` (the proposal's id) or `award` (the award's id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct MakeGrant {
    pub source: String,
    pub id: i64,
    /// Conditions of the agreement; the fund's standard ones when empty.
    #[serde(default)]
    pub conditions: String,
}

/// A variation as entered: the reason, its date, and each project's new money per year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct VariationInput {
    pub reason: String,
    /// YYYY-MM-DD
    pub varied_on: String,
    /// By project key, then by year (`2017/18`): revenue and capital as typed.
    pub projects: BTreeMap<i64, BTreeMap<String, AmountsInput>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct AmountsInput {
    #[serde(default)]
    pub revenue: String,
    #[serde(default)]
    pub capital: String,
}

/// A provisional year confirmed by a recorded decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct ConfirmInput {
    pub year: String,
    pub decision_reference: String,
    /// YYYY-MM-DD
    pub decided_on: String,
}

pub const STANDARD_CONDITIONS: &str = "The grant is paid as this agreement's payment schedule says, never past the firm profile for the year. Money is spent within the financial year it is profiled for and cannot be carried into the next period. The recipient reports actual spend and performance each quarter, keeps evidence for six years, and tells MOPAC at once of any change to the projects.";

/// Which grants a list shows the actor: every grant for funder staff, a recipient's own for
/// its officers, none for anyone else.
pub(crate) fn grants_of(actor: &Actor) -> Option<GrantsOf> {
    match actor.user() {
        Some(u) if u.role.is_funder() => Some(GrantsOf::All),
        Some(u) => u
            .organisation_id
            .filter(|o| {
                may(
                    actor,
                    Permission::ViewGrant {
                        organisation_id: *o,
                    },
                )
            })
            .map(GrantsOf::Recipient),
        None => Some(GrantsOf::All),
    }
}

fn years_text(first: &str, last: &str) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first} to {last}")
    }
}

/// The room in a borough's allocation for a period, in each year whose allocation is decided
/// (a year not yet decided has no allocation to keep within). None for a recipient that is
/// not a borough.
pub(crate) async fn allocation_room(
    conn: &mut AnyConnection,
    period: &lcpf_store::queries::funds::FundingPeriod,
    recipient: i64,
    area_code: Option<&str>,
    except: Option<i64>,
) -> AppResult<Option<lcpf_domain::grant::profile::AllocationRoom>> {
    let Some(area) = area_code else {
        return Ok(None);
    };
    let overflow = |_| AppError::invalid("file", "The amounts are too large to add up");
    let mut years: BTreeMap<FinancialYear, (Money, Money)> = BTreeMap::new();
    for a in lcpf_store::queries::funds::allocations_for_period(conn, period.id).await? {
        if a.area_code != area {
            continue;
        }
        let Ok(year) = FinancialYear::parse(&a.year) else {
            continue;
        };
        let e = years.entry(year).or_insert((Money::ZERO, Money::ZERO));
        e.0 =
            e.0.checked_add(Money::from_pence(a.amount_pence))
                .map_err(overflow)?;
    }
    for (year, m) in q::recipient_money_in_period(conn, period.id, recipient, except).await? {
        if let Some(e) = years.get_mut(&year) {
            e.1 = e.1.checked_add(m).map_err(overflow)?;
        }
    }
    Ok(Some(lcpf_domain::grant::profile::AllocationRoom { years }))
}

fn source_words(source: &Source, lines: &BTreeMap<i64, String>) -> String {
    match source {
        Source::ProposalLine(k) => match lines.get(k) {
            Some(n) => format!("Line {n} of the approved proposal"),
            None => "A line of the approved proposal".into(),
        },
        Source::Award(_) => "The co-commissioning award".into(),
        Source::Imported => "Imported from before LCPF".into(),
    }
}

pub(crate) async fn find(conn: &mut AnyConnection, id: i64) -> AppResult<GrantRecord> {
    q::grant(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The grant".into()))
}

/// A grant read for a change: its row locked first, so that every write on one grant —
/// variations, claims, payments, milestones, close-out — takes its turn, and what it checks
/// (the state, the profile, what is paid) is what is there once it has its turn.
pub(crate) async fn locked(conn: &mut AnyConnection, id: i64) -> AppResult<GrantRecord> {
    q::lock(conn, id).await?;
    find(conn, id).await
}

/// A grant's profile as shown: each project's cells, each year's firm and provisional money,
/// the years that can be confirmed, and the total.
struct ProfileParts {
    projects: Vec<ProjectView>,
    year_totals: Vec<YearView>,
    confirmable: Vec<String>,
    total: Money,
}

fn profile_view(g: &GrantRecord, lines: &BTreeMap<i64, String>) -> AppResult<ProfileParts> {
    let internal = |e: lcpf_domain::ArithmeticError| AppError::Internal(anyhow::anyhow!("{e}"));
    let years: Vec<FinancialYear> = FundingPeriod::new(g.first_year, g.last_year)
        .map(|p| p.years())
        .unwrap_or_default();
    let projects = g
        .profile
        .projects
        .iter()
        .zip(&g.project_keys)
        .map(|(p, key)| {
            Ok(ProjectView {
                key: *key,
                name: p.name.clone(),
                source: source_words(&p.source, lines),
                cells: years
                    .iter()
                    .map(|y| {
                        let f = p.years.get(y);
                        Ok(ProfileCell {
                            year: y.to_string(),
                            revenue: f.map(|f| f.revenue).unwrap_or(Money::ZERO),
                            capital: f.map(|f| f.capital).unwrap_or(Money::ZERO),
                            total: f
                                .map(|f| f.total())
                                .transpose()
                                .map_err(internal)?
                                .unwrap_or(Money::ZERO),
                            certainty: f
                                .map(|f| f.certainty.label().to_lowercase())
                                .unwrap_or_default(),
                        })
                    })
                    .collect::<AppResult<_>>()?,
                total: p.total().map_err(internal)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let by_year = g.profile.by_year().map_err(internal)?;
    let totals = years
        .iter()
        .map(|y| {
            let t = by_year.get(y).copied().unwrap_or_default();
            YearView {
                year: y.to_string(),
                firm: t.firm,
                provisional: t.provisional,
            }
        })
        .collect();
    let confirmable = by_year
        .iter()
        .filter(|(_, t)| t.provisional.pence() > 0)
        .map(|(y, _)| y.to_string())
        .collect();
    Ok(ProfileParts {
        projects,
        year_totals: totals,
        confirmable,
        total: g.profile.total().map_err(internal)?,
    })
}

/// Which party the actor is for this grant, asked of `access`.
fn party(actor: &Actor, g: &GrantRecord, event: GrantEvent) -> AppResult<GrantParty> {
    if matches!(actor, Actor::System) {
        return Ok(workflow::MOVES
            .iter()
            .find(|m| m.event == event)
            .map_or(GrantParty::Funder, |m| m.by));
    }
    let recipient = Permission::AcceptGrant {
        organisation_id: g.recipient_organisation_id,
    };
    if may(actor, recipient) {
        return Ok(GrantParty::Recipient);
    }
    if may(actor, Permission::ManageGrants) {
        return Ok(GrantParty::Funder);
    }
    authorise(actor, recipient).map(|_| GrantParty::Recipient)
}

fn moved(actor: &Actor, g: &GrantRecord, event: GrantEvent) -> AppResult<GrantState> {
    let by = party(actor, g, event)?;
    workflow::transition(g.state, event, by)
        .map(|m| m.to)
        .map_err(|r| AppError::Forbidden(r.0))
}

fn date(field: &str, text: &str, what: &str) -> Result<String, FieldErrors> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| {
            FieldErrors::single(
                field,
                format!("Enter the date {what} as YYYY-MM-DD, for example 2015-06-01"),
            )
        })
}

impl App {
    /// A page of grants: funder staff see every grant, a recipient's officers their own.
    pub async fn grants_page(&self, actor: &Actor, page: u32) -> AppResult<GrantsPage> {
        authorise(actor, Permission::ViewReferenceData)?;
        let of = grants_of(actor);
        let mut tx = self.db().begin_read().await?;
        let (rows, total) = match of {
            Some(of) => {
                let offset = i64::from(page.max(1) - 1) * GRANTS_PER_PAGE;
                (
                    q::grants_page(&mut tx, of, GRANTS_PER_PAGE, offset).await?,
                    q::count_grants(&mut tx, of).await?,
                )
            }
            None => (Vec::new(), 0),
        };
        let may_make = may(actor, Permission::ManageGrants);
        let mut sources = Vec::new();
        if may_make {
            for p in q::approved_without_grant(&mut tx).await? {
                let label = match lcpf_store::queries::funds::period(&mut tx, p.period_id).await? {
                    Some(period) => format!(
                        "{}: approved proposal for {}",
                        p.organisation_name,
                        years_text(&period.first_year, &period.last_year)
                    ),
                    None => format!("{}: approved proposal", p.organisation_name),
                };
                sources.push(SourceChoice {
                    source: "proposal".into(),
                    id: p.proposal_id,
                    label,
                });
            }
            for a in q::awards_without_grant(&mut tx).await? {
                sources.push(SourceChoice {
                    source: "award".into(),
                    id: a.award_id,
                    label: format!("{}: {} ({})", a.call_name, a.bid_title, a.lead_name),
                });
            }
        }
        tx.commit().await?;
        Ok(GrantsPage {
            rows: rows
                .into_iter()
                .map(|r| GrantRow {
                    id: r.id,
                    reference: r.reference,
                    recipient: r.recipient_name,
                    state: r.state.into(),
                    years: years_text(&r.first_year, &r.last_year),
                    total: r.total,
                })
                .collect(),
            pages: Pages::of(page, total, GRANTS_PER_PAGE),
            sources,
            may_make,
            may_import: may(actor, Permission::ImportGrants),
        })
    }

    /// A grant, for funder staff and the recipient's own officers.
    pub async fn grant(&self, actor: &Actor, id: i64) -> AppResult<GrantView> {
        let mut tx = self.db().begin_read().await?;
        let g = find(&mut tx, id).await?;
        authorise(
            actor,
            Permission::ViewGrant {
                organisation_id: g.recipient_organisation_id,
            },
        )?;
        let variations = q::variations(&mut tx, id).await?;
        let confirmations = q::confirmations(&mut tx, id).await?;
        let claimed = q::claims::claimed(&mut tx, id).await?;
        let paid = q::payments::paid(&mut tx, id).await?;
        let claim_rows =
            q::claims::claims_page(&mut tx, q::claims::ClaimsOf::Grant(id), 1000, 0).await?;
        let payment_rows =
            q::payments::payments_page(&mut tx, q::payments::PaymentsOf::Grant(id), 1000, 0)
                .await?;
        let people = crate::people::people(&mut tx).await?;
        let closed_out = closeout::of_grant(&mut tx, id).await?;
        let onward_rows = q::onward::onward_funding(&mut tx, id).await?;
        let partners = onward::partners_of(&mut tx, &g.source).await?;
        let payment_plan = schedule::plan(&mut tx, actor, &g, &people).await?;
        let mut promised = Money::ZERO;
        let (lines, source, source_href) = match g.source {
            GrantSource::Proposal { version_id, .. } => {
                let approved = lcpf_store::queries::proposals::lines(&mut tx, version_id).await?;
                promised = Money::from_pence(
                    approved
                        .iter()
                        .map(|(_, l)| l.match_funding().pence())
                        .sum(),
                );
                let lines: BTreeMap<i64, String> = approved
                    .into_iter()
                    .map(|(row, l)| (l.key.map(|k| k.0).unwrap_or(row), l.number.to_string()))
                    .collect();
                let proposal = q::proposal_of_version(&mut tx, version_id).await?;
                (
                    lines,
                    "The borough's approved proposal".to_string(),
                    proposal.map(|p| format!("/proposals/{p}")),
                )
            }
            GrantSource::Award { award_id } => {
                let bid = q::bid_of_award(&mut tx, award_id).await?;
                if let Some(b) = bid {
                    if let Some(record) =
                        lcpf_store::queries::co_commissioning::bid(&mut tx, b).await?
                    {
                        promised = Money::from_pence(
                            record
                                .bid
                                .match_funding
                                .iter()
                                .map(|m| m.cash.pence() + m.in_kind.pence())
                                .sum(),
                        );
                    }
                }
                (
                    BTreeMap::new(),
                    "A co-commissioning award".to_string(),
                    bid.map(|b| format!("/bids/{b}")),
                )
            }
            GrantSource::Imported => (
                BTreeMap::new(),
                "Imported from before LCPF".to_string(),
                None,
            ),
        };
        tx.commit().await?;
        let ProfileParts {
            projects,
            year_totals,
            confirmable,
            total,
        } = profile_view(&g, &lines)?;
        let can = |event| {
            party(actor, &g, event)
                .ok()
                .and_then(|by| workflow::transition(g.state, event, by).ok())
                .is_some_and(|m| match m.by {
                    GrantParty::Funder => may(actor, Permission::ManageGrants),
                    GrantParty::Recipient => may(
                        actor,
                        Permission::AcceptGrant {
                            organisation_id: g.recipient_organisation_id,
                        },
                    ),
                })
        };
        let changes_allowed = may(actor, Permission::ApproveGrantChanges);
        Ok(GrantView {
            id: g.id,
            reference: g.reference.clone(),
            recipient_organisation_id: g.recipient_organisation_id,
            recipient: g.recipient_name.clone(),
            state: g.state.into(),
            source,
            source_href,
            years: year_totals.iter().map(|y| y.year.clone()).collect(),
            starts_on: g.starts_on.clone(),
            ends_on: g.ends_on.clone(),
            conditions: g.conditions.clone(),
            schedule: g.schedule.label().into(),
            ceiling: g.ceiling,
            ceiling_words: g.ceiling_words.clone(),
            total,
            projects,
            year_totals,
            variations: variations
                .iter()
                .map(|v| VariationView {
                    number: v.number,
                    reason: v.reason.clone(),
                    varied_on: v.varied_on.clone(),
                    approved_by: people.of(&v.approved_by),
                    changes: variations::changes(&v.before, &v.after),
                })
                .collect(),
            confirmations: confirmations
                .into_iter()
                .map(|c| ConfirmationView {
                    year: c.year,
                    decision_reference: c.decision_reference,
                    decided_on: c.decided_on,
                })
                .collect(),
            accepted_by: g.accepted_by.as_deref().map(|w| people.of(w)),
            accepted_at: g.accepted_at.clone(),
            offered_at: g.offered_at.clone(),
            may_offer: can(GrantEvent::Offer),
            may_withdraw: can(GrantEvent::Withdraw),
            may_accept: can(GrantEvent::Accept),
            may_start: can(GrantEvent::Start),
            may_vary: changes_allowed && can(GrantEvent::Vary),
            confirmable: if changes_allowed && g.state != GrantState::Closed {
                confirmable
            } else {
                Vec::new()
            },
            cost_centre: g.cost_centre.clone(),
            may_set_cost_centre: may(actor, Permission::ManageGrants)
                && g.state != GrantState::Closed,
            spend: spend_view(&g, &claimed, &paid)?,
            claims: claim_rows.into_iter().map(claims::row).collect(),
            payments: payment_rows
                .into_iter()
                .map(|p| payments::row(p, &people))
                .collect(),
            may_claim: claims::may_claim(actor, &g),
            closeout: closed_out,
            match_funding: match_funding_view(promised, claimed.match_funding),
            onward: onward_rows.into_iter().map(Into::into).collect(),
            may_record_onward: !partners.is_empty()
                && g.state != GrantState::Closed
                && onward::may_record(actor, g.recipient_organisation_id),
            partners,
            payment_plan,
        })
    }

    /// A grant to vary, for a funder admin (the variation form).
    pub async fn grant_to_vary(&self, actor: &Actor, id: i64) -> AppResult<GrantView> {
        authorise(actor, Permission::ApproveGrantChanges)?;
        self.grant(actor, id).await
    }

    /// Offers, withdraws, accepts or starts a grant: the move is the workflow's. Accepting is
    /// the recipient officer's signature (who and when are kept).
    pub async fn grant_step(
        &self,
        actor: &Actor,
        id: i64,
        event: GrantEvent,
    ) -> AppResult<GrantState> {
        if !matches!(
            event,
            GrantEvent::Offer | GrantEvent::Withdraw | GrantEvent::Accept | GrantEvent::Start
        ) {
            return Err(AppError::invalid(
                "event",
                "A grant is varied with a reason and closed with its period, not as a step",
            ));
        }
        let mut tx = self.db().begin().await?;
        let g = locked(&mut tx, id).await?;
        authorise(
            actor,
            Permission::ViewGrant {
                organisation_id: g.recipient_organisation_id,
            },
        )?;
        let to = moved(actor, &g, event)?;
        if event == GrantEvent::Offer
            && g.schedule == Schedule::Milestones
            && q::milestones::milestones(&mut tx, id).await?.is_empty()
        {
            return Err(AppError::invalid(
                "milestones",
                format!(
                    "{} is paid on milestones: agree its milestones before offering it",
                    g.reference
                ),
            ));
        }
        q::set_state(&mut tx, id, to, &lcpf_store::now(), &actor.label()).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<&str, &str> {
                action: event.as_str(),
                entity_type: "grant",
                entity_id: id.to_string(),
                summary: format!("{} the grant {}", past(event), g.reference),
                before: Some(&g.state.as_str()),
                after: Some(&to.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Sets where finance books a grant's payments (funder staff): letters, digits, spaces
    /// and `-`, `_`, `/`, at most 40 characters. A closed grant keeps its cost centre.
    pub async fn set_cost_centre(
        &self,
        actor: &Actor,
        id: i64,
        cost_centre: &str,
    ) -> AppResult<()> {
        authorise(actor, Permission::ManageGrants)?;
        let text = cost_centre.trim();
        if text.is_empty()
            || text.chars().count() > 40
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '/'))
        {
            return Err(AppError::invalid(
                "cost_centre",
                "Enter the cost centre: up to 40 letters, digits, spaces, hyphens, underscores or slashes, for example MOPAC-LCPF-01",
            ));
        }
        let mut tx = self.db().begin().await?;
        let g = locked(&mut tx, id).await?;
        if g.state == GrantState::Closed {
            return Err(AppError::Forbidden(
                "This grant is closed with its period: nothing more can change".into(),
            ));
        }
        q::set_cost_centre(&mut tx, id, text).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "grant",
                entity_id: id.to_string(),
                summary: format!(
                    "Set {}'s cost centre to {text} (was {})",
                    g.reference, g.cost_centre
                ),
                before: Some(&g.cost_centre),
                after: Some(&text),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn past(event: GrantEvent) -> &'static str {
    match event {
        GrantEvent::Offer => "Offered",
        GrantEvent::Withdraw => "Withdrew the offer of",
        GrantEvent::Accept => "Accepted",
        GrantEvent::Start => "Started",
        GrantEvent::Edit => "Changed",
        GrantEvent::Vary => "Varied",
        GrantEvent::Close => "Closed",
    }
}
