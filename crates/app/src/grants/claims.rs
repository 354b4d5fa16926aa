//! Claims: each quarter, once it has ended, the recipient's officer reports the grant's actual
//! spend per project with a narrative, a forecast for the quarters left and evidence; a
//! funder officer accepts it (which makes its payment request) or returns it with comments.
//! Every change is authorised, written and audited in one transaction.

use std::collections::BTreeMap;

use lcpf_domain::grant::claim::{self as rules, ClaimEvent, ClaimParty, ClaimState, Spend};
use lcpf_domain::grant::payment;
use lcpf_domain::grant::workflow::GrantState;
use lcpf_domain::{FieldErrors, Money, Quarter};
use lcpf_store::queries::grants::claims::{self as q, ClaimContent, ClaimRecord, ClaimsOf};
use lcpf_store::queries::grants::payments as pq;
use lcpf_store::queries::grants::{self as gq, GrantRecord};
use lcpf_store::AnyConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::payments::PaymentRow;
use super::{find, AmountsInput};
use crate::access::{authorise, authorise_on, may, Permission, Subject};
use crate::audit::{self, Change};
use crate::files::{Upload, EVIDENCE};
use crate::paging::Pages;
use crate::tag::StateTag;
use crate::{Actor, App, AppError, AppResult};

/// Claims a list shows at a time.
pub const CLAIMS_PER_PAGE: i64 = 50;

/// A claim as entered: the quarter (when starting one), each project's spend, what was done,
/// and the forecast for the period's remaining quarters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
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

/// Parses a claim's spend and forecast against the grant's projects, with every problem at once.
fn content(
    grant: &GrantRecord,
    input: &ClaimInput,
) -> Result<(BTreeMap<i64, Spend>, String, Money, Money), FieldErrors> {
    let mut e = FieldErrors::new();
    let mut spend = BTreeMap::new();
    for (key, amounts) in &input.spend {
        let field = format!("spend-{key}");
        if !grant.project_keys.contains(key) {
            e.add(
                "spend",
                format!("Project {key} is not one of this grant's projects"),
            );
            continue;
        }
        let mut money = |text: &str, what: &str| -> Money {
            if text.trim().is_empty() {
                return Money::ZERO;
            }
            match Money::parse(text) {
                Ok(m) => m,
                Err(err) => {
                    e.add(&format!("{field}-{what}"), err.to_string());
                    Money::ZERO
                }
            }
        };
        let s = Spend {
            revenue: money(&amounts.revenue, "revenue"),
            capital: money(&amounts.capital, "capital"),
        };
        if s.revenue.pence() != 0 || s.capital.pence() != 0 {
            spend.insert(*key, s);
        }
    }
    let narrative = match lcpf_domain::field::optional_text(
        &input.narrative,
        "what was done this quarter",
        10_000,
    ) {
        Ok(t) => t.unwrap_or_default(),
        Err(m) => {
            e.add("narrative", m);
            String::new()
        }
    };
    let forecast = amount_or_nothing(&mut e, "forecast", &input.forecast, "The forecast");
    let match_funding = amount_or_nothing(
        &mut e,
        "match_funding",
        &input.match_funding,
        "Match funding",
    );
    e.into_result()?;
    Ok((spend, narrative, forecast, match_funding))
}

/// An amount of £0 or more as typed; empty is £0. A mistake is added to `e`.
fn amount_or_nothing(e: &mut FieldErrors, field: &str, text: &str, what: &str) -> Money {
    if text.trim().is_empty() {
        return Money::ZERO;
    }
    match e.check(field, Money::parse(text)) {
        Some(m) if m.is_negative() => {
            e.add(
                field,
                format!("{what} cannot be negative: enter £0 or more"),
            );
            Money::ZERO
        }
        Some(m) => m,
        None => Money::ZERO,
    }
}

/// The claim in the domain's terms (spend by the profile's project index).
fn domain_claim(
    grant: &GrantRecord,
    spend: &BTreeMap<i64, Spend>,
    narrative: &str,
) -> rules::Claim {
    rules::Claim {
        spend: spend
            .iter()
            .filter_map(|(k, s)| {
                grant
                    .project_keys
                    .iter()
                    .position(|p| p == k)
                    .map(|i| (i, *s))
            })
            .collect(),
        narrative: narrative.to_string(),
    }
}

/// The domain's errors for a claim, by field, and its warnings.
fn checked(
    grant: &GrantRecord,
    quarter: Quarter,
    claim: &rules::Claim,
    claimed_before: Money,
    submitting: bool,
) -> AppResult<Vec<String>> {
    let (errors, warnings) = rules::problems(&grant.profile, quarter, claim, claimed_before);
    let errors: Vec<(String, String)> = errors
        .into_iter()
        .filter(|(field, _)| submitting || field != "narrative")
        .map(|(field, m)| {
            let field = field
                .strip_prefix("spend[")
                .and_then(|i| i.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| grant.project_keys.get(i))
                .map_or(field.clone(), |k| format!("spend-{k}"));
            (field, m)
        })
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Invalid(
            errors.into_iter().collect::<lcpf_domain::FieldErrors>(),
        ));
    }
    Ok(warnings)
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
        let grant = find(&mut tx, grant_id).await?;
        authorise(
            actor,
            Permission::ClaimGrant {
                organisation_id: grant.recipient_organisation_id,
            },
        )?;
        live(&grant)?;
        gq::lock(&mut tx, grant_id).await?;
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
        let claim = find_claim(&mut tx, id).await?;
        let grant = find(&mut tx, claim.grant_id).await?;
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
        {
            let mut tx = self.db().begin_read().await?;
            let claim = find_claim(&mut tx, id).await?;
            let grant = find(&mut tx, claim.grant_id).await?;
            tx.commit().await?;
            next_state(actor, &grant, &claim, ClaimEvent::Edit)?;
            live(&grant)?;
        }
        self.claim(actor, id).await
    }

    /// Attaches evidence to a draft or returned claim (the recipient's own officers): PDF,
    /// Word, Excel, CSV or a photograph, up to 10 MB, checked by name and content.
    pub async fn attach_claim_evidence(
        &self,
        actor: &Actor,
        id: i64,
        upload: Upload,
    ) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        let claim = find_claim(&mut tx, id).await?;
        let grant = find(&mut tx, claim.grant_id).await?;
        next_state(actor, &grant, &claim, ClaimEvent::Edit)?;
        live(&grant)?;
        EVIDENCE
            .check(&upload)
            .map_err(|m| AppError::invalid("evidence", m))?;
        let file = self.keep_file(&mut tx, actor, upload).await?;
        q::add_evidence(
            &mut tx,
            id,
            &file.key,
            &file.name,
            &lcpf_store::now(),
            &actor.label(),
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), String> {
                action: "update",
                entity_type: "claim",
                entity_id: id.to_string(),
                summary: format!(
                    "Attached {} to the claim for {} of {}",
                    file.name, claim.quarter, grant.reference
                ),
                before: None,
                after: Some(&file.key),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A claim's evidence file, for whoever may see the claim.
    pub async fn claim_evidence(
        &self,
        actor: &Actor,
        id: i64,
        key: &str,
    ) -> AppResult<EvidenceFile> {
        let mut tx = self.db().begin_read().await?;
        let (claim, _) = visible_claim(&mut tx, actor, id).await?;
        if !claim.evidence.iter().any(|e| e.key == key) {
            return Err(AppError::NotFound("The evidence".into()));
        }
        let file = lcpf_store::queries::files::stored_file(&mut tx, key)
            .await?
            .ok_or_else(|| AppError::NotFound("The evidence".into()))?;
        tx.commit().await?;
        let bytes = self.file_content(key).await?;
        Ok(EvidenceFile {
            name: file.name,
            content_type: file.content_type,
            bytes,
        })
    }

    /// Moves a claim: the recipient submits it (a narrative is needed); a funder officer who
    /// did not submit it accepts it — making its payment request, never past the year's firm
    /// profile — or returns it with comments.
    pub async fn claim_step(
        &self,
        actor: &Actor,
        id: i64,
        step: &ClaimStep,
    ) -> AppResult<ClaimState> {
        let event = match step.event.as_str() {
            "submit" => ClaimEvent::Submit,
            "accept" => ClaimEvent::Accept,
            "return" => ClaimEvent::Return,
            _ => {
                return Err(AppError::invalid(
                    "event",
                    "Choose what to do with the claim: submit, accept or return",
                ))
            }
        };
        let mut tx = self.db().begin().await?;
        let claim = find_claim(&mut tx, id).await?;
        let grant = find(&mut tx, claim.grant_id).await?;
        let to = next_state(actor, &grant, &claim, event)?;
        live(&grant)?;
        gq::lock(&mut tx, grant.id).await?;
        let comments = match event {
            ClaimEvent::Return => Some(
                lcpf_domain::field::required_text(
                    &step.comments,
                    "comments saying what to put right",
                    5000,
                )
                .map_err(|m| AppError::invalid("comments", m))?,
            ),
            _ => None,
        };
        if event == ClaimEvent::Submit {
            let before = claimed_before(&mut tx, grant.id, claim.quarter).await?;
            checked(
                &grant,
                claim.quarter,
                &domain_claim(&grant, &claim.spend, &claim.narrative),
                before,
                true,
            )?;
            if claim.spend.is_empty() {
                return Err(AppError::invalid(
                    "spend",
                    "Enter the spend on at least one project before submitting: a claim for nothing is not made",
                ));
            }
        }
        let now = lcpf_store::now();
        if !q::set_claim_state(
            &mut tx,
            id,
            claim.state,
            to,
            comments.as_deref(),
            &now,
            &actor.label(),
        )
        .await?
        {
            return Err(AppError::Conflict {
                message: "Someone else moved this claim first: nothing was changed".into(),
                changes: Vec::new(),
            });
        }
        let mut summary = match event {
            ClaimEvent::Submit => format!(
                "Submitted the claim for {} of {}",
                claim.quarter, grant.reference
            ),
            ClaimEvent::Return => format!(
                "Returned the claim for {} of {}",
                claim.quarter, grant.reference
            ),
            _ => format!(
                "Accepted the claim for {} of {}",
                claim.quarter, grant.reference
            ),
        };
        if event == ClaimEvent::Accept && !grant.schedule.pays_on_claims() {
            summary.push_str(&format!(
                ": {} is paid {}, so no payment follows the claim",
                grant.reference,
                grant.schedule.label().to_lowercase()
            ));
        } else if event == ClaimEvent::Accept {
            let total = Money::from_pence(
                claim
                    .spend
                    .values()
                    .map(|s| s.revenue.pence() + s.capital.pence())
                    .sum(),
            );
            let year = claim.quarter.year();
            let firm = grant
                .profile
                .firm_in(year)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            let committed = pq::paid(&mut tx, grant.id)
                .await?
                .committed
                .get(&year)
                .copied()
                .unwrap_or(Money::ZERO);
            let amount = payment::payable(total, firm, committed);
            if amount.pence() > 0 {
                let basis = payment::PaymentBasis::Claim {
                    claim_id: id,
                    quarter: claim.quarter,
                };
                let payment = pq::insert_payment(
                    &mut tx,
                    &pq::NewPayment {
                        grant_id: grant.id,
                        basis: &basis,
                        quarter: claim.quarter,
                        year,
                        amount,
                    },
                    &now,
                    &actor.label(),
                )
                .await?
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("the claim already has a payment"))
                })?;
                summary.push_str(&format!(
                    ": payment request {} for {amount}",
                    payment::reference(payment)
                ));
            } else {
                summary.push_str(": nothing is payable within the year's firm profile");
            }
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                action: event.as_str(),
                entity_type: "claim",
                entity_id: id.to_string(),
                summary,
                before: Some(&claim.state.as_str()),
                after: Some(&to.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(to)
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
