//! Claims: each quarter, once it has ended, the recipient's officer reports the grant's actual
//! spend per project with a narrative, a forecast for the quarters left and evidence; a
//! funder officer accepts it (which makes its payment request) or returns it with comments.
//! Every change is authorised, written and audited in one transaction.

use std::collections::BTreeMap;

use lcpf_domain::grant::claim::{self as rules, ClaimEvent, ClaimParty, ClaimState, Spend};
use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::{Money, Quarter};
use lcpf_store::queries::grants::claims::{self as q, ClaimContent, ClaimRecord, ClaimsOf};
use lcpf_store::queries::grants::payments as pq;
use lcpf_store::queries::grants::GrantRecord;
use lcpf_store::AnyConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::payments::PaymentRow;
use super::{find, AmountsInput};
use crate::access::{authorise, authorise_on, may, Permission, Subject};
use crate::audit::{self, Change};
use crate::paging::Pages;
use crate::tag::StateTag;
use crate::{Actor, App, AppError, AppResult};

/// Claims a list shows at a time.
pub const CLAIMS_PER_PAGE: i64 = 50;

mod evidence;
mod input;
mod steps;
pub(crate) use steps::request_claim_payment;

use input::{checked, content, domain_claim};

/// A claim as entered: the quarter (when starting one), each project's spend, what was done,
/// and the forecast for the period's remaining quarters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// `Q1 2017/18`; only when starting a claim.
    #[serde(default)]
    pub quarter: String,
    /// By project key: revenue and capital spent in the quarter, as typed.
    #[serde(default)]
    pub spend: BTreeMap<i64, AmountsInput>,
    #[serde(default)]
    pub narrative: String,
    /// What the recipient expects to spend in the period's remaining quarters; empty: £0.
    #[serde(default)]
    pub forecast: String,
    /// Match funding received in the quarter (cash and valued in kind); empty: £0.
    #[serde(default)]
    pub match_funding: String,
}

/// A move on a claim: `submit` (the recipient), `accept` or `return` (a funder officer, with
/// comments when returning).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct ClaimStep {
    pub event: String,
    #[serde(default)]
    pub comments: String,
}

impl From<ClaimState> for StateTag {
    fn from(s: ClaimState) -> StateTag {
        StateTag {
            code: s.as_str().into(),
            label: s.label().into(),
            colour: match s {
                ClaimState::Draft => "grey",
                ClaimState::Submitted => "blue",
                ClaimState::Returned => "orange",
                ClaimState::Accepted => "green",
            }
            .into(),
        }
    }
}

/// One project's line on a claim: its profile for the year and the spend claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimLine {
    /// The project's stable key.
    pub key: i64,
    pub name: String,
    /// The project's profile for the claim's year (firm and provisional).
    #[schema(value_type = i64)]
    pub profile_year: Money,
    #[schema(value_type = i64)]
    pub revenue: Money,
    #[schema(value_type = i64)]
    pub capital: Money,
    #[schema(value_type = i64)]
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EvidenceView {
    pub key: String,
    pub name: String,
    /// "240 KB"
    pub size: String,
    pub added_by: String,
    pub added_at: String,
}

/// A claim as the recipient and the funder read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimView {
    /// The claim's stable key.
    pub id: i64,
    pub grant_id: i64,
    pub grant_reference: String,
    pub recipient: String,
    /// `Q1 2017/18`
    pub quarter: String,
    pub state: StateTag,
    pub lines: Vec<ClaimLine>,
    #[schema(value_type = i64)]
    pub total: Money,
    pub narrative: String,
    #[schema(value_type = i64)]
    pub forecast: Money,
    /// Match funding received in the quarter.
    #[schema(value_type = i64)]
    pub match_funding: Money,
    /// The funder's comments when it returned the claim.
    pub comments: String,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub evidence: Vec<EvidenceView>,
    /// Said, not refused: spend past the year's firm profile.
    pub warnings: Vec<String>,
    /// The payment request an accepted claim made.
    pub payment: Option<PaymentRow>,
    /// When less was payable than claimed: why, with the figures.
    pub not_payable: Option<String>,
    pub may_edit: bool,
    pub may_submit: bool,
    pub may_review: bool,
    /// Whether the reader may open the payments pages (funder staff).
    pub may_see_payment: bool,
}

/// What the new-claim form offers: the quarters that can be claimed now, and the projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimForm {
    pub grant_id: i64,
    pub grant_reference: String,
    pub recipient: String,
    /// Quarters of the grant that have ended and have no claim yet.
    pub quarters: Vec<String>,
    /// Why no quarter can be claimed, when none can.
    pub closed_because: Option<String>,
    pub projects: Vec<(i64, String)>,
}

/// A claim in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimRow {
    pub id: i64,
    pub grant_id: i64,
    pub grant_reference: String,
    pub recipient: String,
    pub quarter: String,
    pub state: StateTag,
    #[schema(value_type = i64)]
    pub total: Money,
    pub submitted_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClaimsPage {
    /// The state the list shows (`submitted`: the funder's queue).
    pub state: String,
    pub rows: Vec<ClaimRow>,
    pub pages: Pages,
}

/// A claim's evidence file, for whoever may see the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub(crate) fn row(s: q::ClaimSummary) -> ClaimRow {
    ClaimRow {
        id: s.id,
        grant_id: s.grant_id,
        grant_reference: s.grant_reference,
        recipient: s.recipient_name,
        quarter: s.quarter.to_string(),
        state: s.state.into(),
        total: s.total,
        submitted_at: s.submitted_at,
    }
}

fn size_text(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        let tenths = (bytes * 10 + 1024 * 1024 - 1) / (1024 * 1024);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

async fn find_claim(conn: &mut AnyConnection, id: i64) -> AppResult<ClaimRecord> {
    q::claim(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The claim".into()))
}

/// A claim and its grant read for a change: the grant's row locked first (see
/// [`super::locked`]), then both read as they are once this write has its turn.
pub(super) async fn locked_claim(
    conn: &mut AnyConnection,
    id: i64,
) -> AppResult<(ClaimRecord, GrantRecord)> {
    let grant_id = find_claim(conn, id).await?.grant_id;
    let grant = super::locked(conn, grant_id).await?;
    Ok((find_claim(conn, id).await?, grant))
}

/// The claim and its grant, once `actor` may see them: funder staff and the recipient's own
/// officers.
async fn visible_claim(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<(ClaimRecord, GrantRecord)> {
    let claim = find_claim(conn, id).await?;
    let grant = find(conn, claim.grant_id).await?;
    authorise(
        actor,
        Permission::ViewGrant {
            organisation_id: grant.recipient_organisation_id,
        },
    )?;
    Ok((claim, grant))
}

/// Which party the actor is on this claim, and that the claim's workflow allows `event` by them.
fn next_state(
    actor: &Actor,
    grant: &GrantRecord,
    claim: &ClaimRecord,
    event: ClaimEvent,
) -> AppResult<ClaimState> {
    let by = match event {
        ClaimEvent::Edit | ClaimEvent::Submit => {
            authorise(
                actor,
                Permission::ClaimGrant {
                    organisation_id: grant.recipient_organisation_id,
                },
            )?;
            ClaimParty::Recipient
        }
        ClaimEvent::Accept | ClaimEvent::Return => {
            authorise_on(
                actor,
                Permission::ReviewClaims,
                &Subject {
                    submitted_by: claim.submitted_by.clone(),
                    ..Subject::default()
                },
            )?;
            ClaimParty::Funder
        }
    };
    rules::transition(claim.state, event, by)
        .map(|m| m.to)
        .map_err(AppError::Forbidden)
}

/// Money can move on a live grant only, never on a closed one.
fn live(grant: &GrantRecord) -> AppResult<()> {
    match grant.state {
        GrantState::Live => Ok(()),
        GrantState::Closed => Err(AppError::Forbidden(format!(
            "{} is closed with its period: no more claims can be made against it",
            grant.reference
        ))),
        _ => Err(AppError::Forbidden(format!(
            "{} is not live yet: claims are made once the grant is accepted and started",
            grant.reference
        ))),
    }
}

/// The quarters of a grant that can be claimed `today`: ended, in the grant's years, no
/// claim yet.
fn claimable(grant: &GrantRecord, claimed: &[Quarter], today: chrono::NaiveDate) -> Vec<Quarter> {
    lcpf_domain::FundingPeriod::new(grant.first_year, grant.last_year)
        .map(|p| p.years())
        .unwrap_or_default()
        .into_iter()
        .flat_map(|y| (1..=4).filter_map(move |n| Quarter::new(y, n)))
        .filter(|q| rules::open_refusal(*q, today).is_none() && !claimed.contains(q))
        .collect()
}

/// Claimed money in the claim's year from the grant's other accepted claims.
async fn claimed_before(
    conn: &mut AnyConnection,
    grant_id: i64,
    quarter: Quarter,
) -> AppResult<Money> {
    let claimed = q::claimed(conn, grant_id).await?;
    Ok(Money::from_pence(
        claimed
            .by_quarter
            .iter()
            .filter(|(q, _)| q.year() == quarter.year() && **q != quarter)
            .map(|(_, m)| m.pence())
            .sum(),
    ))
}

impl App {
    /// The new-claim form for a grant: the recipient's own officers, on a live grant.
    pub async fn claim_form(&self, actor: &Actor, grant_id: i64) -> AppResult<ClaimForm> {
        let mut tx = self.db().begin_read().await?;
        let grant = find(&mut tx, grant_id).await?;
        authorise(
            actor,
            Permission::ClaimGrant {
                organisation_id: grant.recipient_organisation_id,
            },
        )?;
        let claimed: Vec<Quarter> = q::claims_page(&mut tx, ClaimsOf::Grant(grant_id), 1000, 0)
            .await?
            .into_iter()
            .map(|c| c.quarter)
            .collect();
        tx.commit().await?;
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        let quarters = claimable(&grant, &claimed, today);
        let closed_because = match live(&grant) {
            Err(AppError::Forbidden(m)) => Some(m),
            _ if quarters.is_empty() => Some(format!(
                "No quarter of {} can be claimed today: each quarter's claim opens once the quarter has ended, and each quarter is claimed once",
                grant.reference
            )),
            _ => None,
        };
        Ok(ClaimForm {
            grant_id,
            grant_reference: grant.reference.clone(),
            recipient: grant.recipient_name.clone(),
            quarters: if closed_because.is_some() {
                Vec::new()
            } else {
                quarters.iter().map(|q| q.to_string()).collect()
            },
            closed_because,
            projects: grant
                .project_keys
                .iter()
                .zip(&grant.profile.projects)
                .map(|(k, p)| (*k, p.name.clone()))
                .collect(),
        })
    }

    /// Starts a claim for an ended quarter of a live grant (the recipient's own officers), as
    /// a draft they can change, attach evidence to and submit.
    pub async fn start_claim(
        &self,
        actor: &Actor,
        grant_id: i64,
        input: &ClaimInput,
    ) -> AppResult<i64> {
        let mut tx = self.db().begin().await?;
        let grant = super::locked(&mut tx, grant_id).await?;
        authorise(
            actor,
            Permission::ClaimGrant {
                organisation_id: grant.recipient_organisation_id,
            },
        )?;
        live(&grant)?;
        let quarter = Quarter::parse(&input.quarter).map_err(|_| {
            AppError::invalid(
                "quarter",
                "Choose the quarter the claim is for, for example Q1 2017/18",
            )
        })?;
        if quarter.year() < grant.first_year || quarter.year() > grant.last_year {
            return Err(AppError::invalid(
                "quarter",
                format!(
                    "{quarter} is outside the grant, which runs from {} to {}",
                    grant.first_year, grant.last_year
                ),
            ));
        }
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        if let Some(refusal) = rules::open_refusal(quarter, today) {
            return Err(AppError::invalid("quarter", refusal));
        }
        if q::claim_for(&mut tx, grant_id, quarter).await?.is_some() {
            return Err(AppError::invalid(
                "quarter",
                format!("{quarter} has already been claimed: change that claim instead"),
            ));
        }
        let (spend, narrative, forecast, match_funding) = content(&grant, input)?;
        let before = claimed_before(&mut tx, grant_id, quarter).await?;
        checked(
            &grant,
            quarter,
            &domain_claim(&grant, &spend, &narrative),
            before,
            false,
        )?;
        let c = ClaimContent {
            spend: &spend,
            narrative: &narrative,
            forecast,
            match_funding,
        };
        let id = q::insert_claim(
            &mut tx,
            grant_id,
            quarter,
            &c,
            &lcpf_store::now(),
            &actor.label(),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), BTreeMap<i64, Spend>> {
                action: "create",
                entity_type: "claim",
                entity_id: id.to_string(),
                summary: format!("Started the claim for {quarter} of {}", grant.reference),
                before: None,
                after: Some(&spend),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a draft or returned claim (the recipient's own officers).
    pub async fn save_claim(&self, actor: &Actor, id: i64, input: &ClaimInput) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let (claim, grant) = locked_claim(&mut tx, id).await?;
        next_state(actor, &grant, &claim, ClaimEvent::Edit)?;
        live(&grant)?;
        let (spend, narrative, forecast, match_funding) = content(&grant, input)?;
        let before = claimed_before(&mut tx, grant.id, claim.quarter).await?;
        checked(
            &grant,
            claim.quarter,
            &domain_claim(&grant, &spend, &narrative),
            before,
            false,
        )?;
        q::save_claim(
            &mut tx,
            id,
            &ClaimContent {
                spend: &spend,
                narrative: &narrative,
                forecast,
                match_funding,
            },
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "update",
                entity_type: "claim",
                entity_id: id.to_string(),
                summary: format!(
                    "Changed the claim for {} of {}",
                    claim.quarter, grant.reference
                ),
                before: Some(&claim.spend),
                after: Some(&spend),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A claim its recipient's officer may change (draft or returned, on a live grant), or why
    /// not: asked before an upload is read.
    pub async fn claim_to_change(&self, actor: &Actor, id: i64) -> AppResult<ClaimView> {
        self.may_change_claim(actor, id).await?;
        self.claim(actor, id).await
    }

    /// Whether `actor` may change the claim now (its recipient's officer; draft or returned;
    /// a live grant), or why not.
    pub(super) async fn may_change_claim(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let mut tx = self.db().begin_read().await?;
        let claim = find_claim(&mut tx, id).await?;
        let grant = find(&mut tx, claim.grant_id).await?;
        tx.commit().await?;
        next_state(actor, &grant, &claim, ClaimEvent::Edit)?;
        live(&grant)
    }

    /// A claim, for funder staff and the recipient's own officers.
    pub async fn claim(&self, actor: &Actor, id: i64) -> AppResult<ClaimView> {
        let mut tx = self.db().begin_read().await?;
        let (claim, grant) = visible_claim(&mut tx, actor, id).await?;
        let before = claimed_before(&mut tx, grant.id, claim.quarter).await?;
        let payment = pq::payment_of_claim(&mut tx, id).await?;
        let people = crate::people::people(&mut tx).await?;
        tx.commit().await?;
        let year = claim.quarter.year();
        let lines: Vec<ClaimLine> = grant
            .project_keys
            .iter()
            .zip(&grant.profile.projects)
            .map(|(k, p)| {
                let s = claim.spend.get(k).copied().unwrap_or_default();
                ClaimLine {
                    key: *k,
                    name: p.name.clone(),
                    profile_year: p
                        .years
                        .get(&year)
                        .and_then(|f| f.total().ok())
                        .unwrap_or(Money::ZERO),
                    revenue: s.revenue,
                    capital: s.capital,
                    total: Money::from_pence(s.revenue.pence() + s.capital.pence()),
                }
            })
            .collect();
        let total = Money::from_pence(lines.iter().map(|l| l.total.pence()).sum());
        let (_, warnings) = rules::problems(
            &grant.profile,
            claim.quarter,
            &domain_claim(&grant, &claim.spend, &claim.narrative),
            before,
        );
        let not_payable = match (&payment, claim.state) {
            (Some(p), _) if p.amount < total => Some(format!(
                "{total} was claimed but {} is payable: the rest would take {year}'s payments past its firm profile, which needs a variation first",
                p.amount
            )),
            (None, ClaimState::Accepted) if !grant.schedule.pays_on_claims() => Some(format!(
                "{} is paid {}: the claim reports spend, and no payment follows it",
                grant.reference,
                grant.schedule.label().to_lowercase()
            )),
            (None, ClaimState::Accepted)
                if total.pence() > 0
                    && grant.profile.firm_in(year).is_ok_and(|f| f.pence() == 0) =>
            {
                Some(format!(
                    "{total} was claimed but nothing is payable yet: {year} is provisional, and what was accepted becomes payable when the year is confirmed as firm"
                ))
            }
            (None, ClaimState::Accepted) if total.pence() > 0 => Some(format!(
                "{total} was claimed but nothing is payable: {year}'s firm profile is already paid or committed, so a variation is needed first"
            )),
            _ => None,
        };
        let can = |event| {
            next_state(actor, &grant, &claim, event).is_ok() && grant.state == GrantState::Live
        };
        Ok(ClaimView {
            id,
            grant_id: grant.id,
            grant_reference: grant.reference.clone(),
            recipient: grant.recipient_name.clone(),
            quarter: claim.quarter.to_string(),
            state: claim.state.into(),
            lines,
            total,
            narrative: claim.narrative.clone(),
            forecast: claim.forecast,
            match_funding: claim.match_funding,
            comments: claim.comments.clone(),
            created_by: people.of(&claim.created_by),
            submitted_by: claim.submitted_by.as_deref().map(|w| people.of(w)),
            submitted_at: claim.submitted_at.clone(),
            decided_by: claim.decided_by.as_deref().map(|w| people.of(w)),
            decided_at: claim.decided_at.clone(),
            evidence: claim
                .evidence
                .iter()
                .map(|e| EvidenceView {
                    key: e.key.clone(),
                    name: e.name.clone(),
                    size: size_text(e.size_bytes),
                    added_by: people.of(&e.added_by),
                    added_at: e.added_at.clone(),
                })
                .collect(),
            warnings,
            payment: payment.map(|p| super::payments::row(p, &people)),
            not_payable,
            may_edit: can(ClaimEvent::Edit),
            may_submit: can(ClaimEvent::Submit),
            may_review: can(ClaimEvent::Accept),
            may_see_payment: may(actor, Permission::ReviewClaims),
        })
    }

    /// Every grant's claims in one state, for funder staff: `submitted` is the queue to review.
    pub async fn claims_page(
        &self,
        actor: &Actor,
        state: &str,
        page: u32,
    ) -> AppResult<ClaimsPage> {
        authorise(actor, Permission::ReviewClaims)?;
        let state = match state {
            "" => ClaimState::Submitted,
            s => ClaimState::parse(s).map_err(|_| {
                AppError::invalid(
                    "state",
                    "Choose which claims to show: draft, submitted, returned or accepted",
                )
            })?,
        };
        let mut tx = self.db().begin_read().await?;
        let offset = i64::from(page.max(1) - 1) * CLAIMS_PER_PAGE;
        let rows = q::claims_page(&mut tx, ClaimsOf::State(state), CLAIMS_PER_PAGE, offset).await?;
        let total = q::count_claims(&mut tx, ClaimsOf::State(state)).await?;
        tx.commit().await?;
        Ok(ClaimsPage {
            state: state.as_str().into(),
            rows: rows.into_iter().map(row).collect(),
            pages: Pages::of(page, total, CLAIMS_PER_PAGE),
        })
    }
}

/// Whether `actor` may start claims on a grant (for the grant page's button).
pub(crate) fn may_claim(actor: &Actor, grant: &GrantRecord) -> bool {
    grant.state == GrantState::Live
        && may(
            actor,
            Permission::ClaimGrant {
                organisation_id: grant.recipient_organisation_id,
            },
        )
}
