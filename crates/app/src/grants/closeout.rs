//! Period close-out: after a funding period's last quarter a funder admin closes it. Each of
//! its grants' unpaid money (profile less paid) is recorded as returned to the fund — never
//! carried into the next period — and any money paid but not spent (advances or milestones
//! ahead of accepted spend) as to be recovered from the recipient; the grants close, and no
//! more claims are made against them.

use lcpf_domain::grant::closeout::{close_out, period_totals, CloseOut};
use lcpf_domain::grant::workflow::{self, GrantEvent, GrantParty, GrantState};
use lcpf_domain::{FinancialYear, Money};
use lcpf_store::queries::grants::closeout as q;
use lcpf_store::queries::grants::{self as gq, payments as pq};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{authorise, may, Permission};
use crate::audit::{self, Change};
use crate::{Actor, App, AppError, AppResult};

/// Money at close-out: profiled, paid, returned to the fund unpaid, spent as accepted claims
/// report it, and paid but not spent (to be recovered from the recipient).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CloseOutMoney {
    #[schema(value_type = i64)]
    pub profile: Money,
    #[schema(value_type = i64)]
    pub paid: Money,
    #[schema(value_type = i64)]
    pub returned: Money,
    #[schema(value_type = i64)]
    pub claimed: Money,
    #[schema(value_type = i64)]
    pub to_recover: Money,
}

impl From<CloseOut> for CloseOutMoney {
    fn from(c: CloseOut) -> CloseOutMoney {
        CloseOutMoney {
            profile: c.profile,
            paid: c.paid,
            returned: c.returned,
            claimed: c.claimed,
            to_recover: c.to_recover,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GrantCloseOutRow {
    pub grant_id: i64,
    pub reference: String,
    pub recipient: String,
    pub money: CloseOutMoney,
}

/// A period's close-out, done or not, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PeriodCloseOutView {
    pub period_id: i64,
    pub closed: bool,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub totals: Option<CloseOutMoney>,
    pub grants: Vec<GrantCloseOutRow>,
    /// Whether the reader may close it now.
    pub may_close: bool,
    /// Why it cannot be closed yet (for a funder admin), when it cannot.
    pub not_yet: Option<String>,
}

/// What the period's close-out audit record keeps: its totals and each grant's money.
#[derive(Debug, Serialize)]
struct PeriodClosed {
    totals: CloseOut,
    grants: Vec<ClosedGrant>,
}

#[derive(Debug, Serialize)]
struct ClosedGrant {
    grant_id: i64,
    reference: String,
    money: CloseOut,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

impl App {
    /// What a period's close-out is or would be: any signed-in user sees a closed period's
    /// money; a funder admin sees whether it can be closed now, and why not.
    pub async fn period_closeout(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<PeriodCloseOutView> {
        authorise(actor, Permission::ViewReferenceData)?;
        let mut tx = self.db().begin_read().await?;
        let period = lcpf_store::queries::funds::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let done = q::period_closeout(&mut tx, period_id).await?;
        let people = crate::people::people(&mut tx).await?;
        let not_yet = if done.is_none() && may(actor, Permission::ClosePeriods) {
            refusal(&mut tx, &period).await?
        } else {
            None
        };
        tx.commit().await?;
        Ok(match done {
            Some(c) => PeriodCloseOutView {
                period_id,
                closed: true,
                closed_by: Some(people.of(&c.closed_by)),
                closed_at: Some(c.closed_at),
                totals: Some(c.totals.into()),
                grants: c
                    .grants
                    .into_iter()
                    .map(|g| GrantCloseOutRow {
                        grant_id: g.grant_id,
                        reference: g.reference,
                        recipient: g.recipient_name,
                        money: g.totals.into(),
                    })
                    .collect(),
                may_close: false,
                not_yet: None,
            },
            None => PeriodCloseOutView {
                period_id,
                closed: false,
                closed_at: None,
                closed_by: None,
                totals: None,
                grants: Vec::new(),
                may_close: may(actor, Permission::ClosePeriods) && not_yet.is_none(),
                not_yet,
            },
        })
    }

    /// Closes a period (funder admin) once its last quarter has ended and nothing waits: each
    /// live grant's unpaid money is returned to the fund, what was paid but not spent is to be
    /// recovered, and the grant closes.
    pub async fn close_period(&self, actor: &Actor, period_id: i64) -> AppResult<CloseOutMoney> {
        authorise(actor, Permission::ClosePeriods)?;
        let mut tx = self.db().begin().await?;
        let period = lcpf_store::queries::funds::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        // One serialised step: the period's row is locked (making or importing a grant into
        // the period takes it too, so its grants cannot change now), then every grant's in id
        // order, and only then is "nothing waits" checked: a claim submitted or accepted at
        // the same moment either finishes first and is seen, or waits and finds its grant
        // closed.
        lcpf_store::queries::funds::lock_period(&mut tx, period_id).await?;
        let grants = q::grants_of_period(&mut tx, period_id).await?;
        let mut ids: Vec<i64> = grants.iter().map(|g| g.id).collect();
        ids.sort_unstable();
        for id in ids {
            gq::lock(&mut tx, id).await?;
        }
        if let Some(why) = refusal(&mut tx, &period).await? {
            return Err(AppError::Forbidden(why));
        }
        let mut closed = Vec::with_capacity(grants.len());
        let mut per_grant = Vec::with_capacity(grants.len());
        let now = lcpf_store::now();
        for g in &grants {
            let record = super::locked(&mut tx, g.id).await?;
            let c = grant_money(&mut tx, &record).await?;
            let to = workflow::transition(record.state, GrantEvent::Close, GrantParty::Funder)
                .map_err(|r| AppError::Forbidden(format!("{}: {}", g.reference, r.0)))?
                .to;
            gq::set_state(&mut tx, g.id, to, &now, &actor.label()).await?;
            q::insert_grant_closeout(&mut tx, g.id, period_id, &c).await?;
            // Each grant's own history shows its close and its money.
            audit::record(
                &mut tx,
                actor,
                Change::<(), CloseOut> {
                    action: "close",
                    entity_type: "grant",
                    entity_id: g.id.to_string(),
                    summary: format!(
                        "Closed {} with its period: {} paid of {}, {} returned to the fund, {} paid but not spent to recover",
                        g.reference, c.paid, c.profile, c.returned, c.to_recover
                    ),
                    before: None,
                    after: Some(&c),
                },
            )
            .await?;
            per_grant.push(ClosedGrant {
                grant_id: g.id,
                reference: g.reference.clone(),
                money: c,
            });
            closed.push(c);
        }
        let totals = period_totals(&closed).map_err(AppError::Forbidden)?;
        q::insert_period_closeout(&mut tx, period_id, &totals, &now, &actor.label()).await?;
        audit::record(
            &mut tx,
            actor,
            Change::<(), PeriodClosed> {
                action: "close",
                entity_type: "funding_period",
                entity_id: period_id.to_string(),
                summary: format!(
                    "Closed {} to {}: {} ({}), {} paid of {}, {} returned to the fund, {} paid but not spent to recover",
                    period.first_year,
                    period.last_year,
                    lcpf_domain::words::count(grants.len() as i64, "grant", "grants"),
                    lcpf_domain::words::and_list(
                        &per_grant
                            .iter()
                            .map(|g| format!("{}: {} returned", g.reference, g.money.returned))
                            .collect::<Vec<_>>()
                    ),
                    totals.paid,
                    totals.profile,
                    totals.returned,
                    totals.to_recover
                ),
                before: None,
                after: Some(&PeriodClosed {
                    totals,
                    grants: per_grant,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(totals.into())
    }
}

/// What closing a grant would record: its profile, what was paid, the rest returned to the
/// fund, and what was paid but not spent to recover.
async fn grant_money(
    conn: &mut lcpf_store::AnyConnection,
    grant: &lcpf_store::queries::grants::GrantRecord,
) -> AppResult<CloseOut> {
    let profile = grant.profile.total().map_err(internal)?;
    let paid = pq::paid(conn, grant.id).await?.total_paid();
    let claimed = gq::claims::claimed(conn, grant.id).await?.total();
    close_out(profile, paid, claimed)
        .map_err(|m| AppError::Forbidden(format!("{}: {m}", grant.reference)))
}

/// What closing a period would record, grant by grant, for the funder admin to check before
/// confirming: nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CloseOutPreview {
    pub period_id: i64,
    /// "2013/14 to 2016/17"
    pub years: String,
    pub grants: Vec<GrantCloseOutRow>,
    pub totals: CloseOutMoney,
    /// Grants with no payment recorded in LCPF (imported history, paid before it, or never
    /// paid): their whole profile would be recorded as returned to the fund.
    pub no_payments: Vec<String>,
    /// Why it cannot be closed now, when it cannot.
    pub not_yet: Option<String>,
}

impl App {
    /// What closing the period would record (funder admin), without closing it.
    pub async fn closeout_preview(
        &self,
        actor: &Actor,
        period_id: i64,
    ) -> AppResult<CloseOutPreview> {
        authorise(actor, Permission::ClosePeriods)?;
        let mut tx = self.db().begin_read().await?;
        let period = lcpf_store::queries::funds::period(&mut tx, period_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The funding period".into()))?;
        let not_yet = refusal(&mut tx, &period).await?;
        let mut grants = Vec::new();
        let mut money = Vec::new();
        let mut no_payments = Vec::new();
        for g in q::grants_of_period(&mut tx, period_id).await? {
            let record = super::find(&mut tx, g.id).await?;
            let c = grant_money(&mut tx, &record).await?;
            if c.paid.pence() == 0 && c.profile.pence() > 0 {
                no_payments.push(format!("{} ({} returned)", g.reference, c.returned));
            }
            money.push(c);
            grants.push(GrantCloseOutRow {
                grant_id: g.id,
                reference: g.reference,
                recipient: g.recipient_name,
                money: c.into(),
            });
        }
        tx.commit().await?;
        let totals = period_totals(&money).map_err(AppError::Forbidden)?;
        Ok(CloseOutPreview {
            period_id,
            years: super::years_text(&period.first_year, &period.last_year),
            grants,
            totals: totals.into(),
            no_payments,
            not_yet,
        })
    }
}

/// A grant's close-out, if it has closed.
pub(crate) async fn of_grant(
    conn: &mut lcpf_store::AnyConnection,
    grant_id: i64,
) -> AppResult<Option<CloseOutMoney>> {
    Ok(q::grant_closeout(conn, grant_id).await?.map(Into::into))
}

/// Why a period cannot be closed now, or none: already closed, its last quarter not ended,
/// claims or payments waiting, or grants not live.
async fn refusal(
    conn: &mut lcpf_store::AnyConnection,
    period: &lcpf_store::queries::funds::FundingPeriod,
) -> AppResult<Option<String>> {
    if q::is_closed(conn, period.id).await? {
        return Ok(Some("This period is already closed".into()));
    }
    let last = FinancialYear::parse(&period.last_year).map_err(internal)?;
    let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
    if today <= last.last_day() {
        return Ok(Some(format!(
            "The period closes after its last quarter ends on {}",
            last.last_day().format("%-d %B %Y")
        )));
    }
    let waiting = q::unsettled(conn, period.id).await?;
    if waiting.any() {
        let s = |n: i64| if n == 1 { "" } else { "s" };
        let milestones = match waiting.milestones {
            0 => String::new(),
            n => format!(", {n} milestone{} reported met to confirm or return", s(n)),
        };
        return Ok(Some(format!(
            "Settle what is waiting first: {} submitted claim{} to accept or return{milestones} and {} payment{} to authorise",
            waiting.claims,
            s(waiting.claims),
            waiting.payments,
            s(waiting.payments)
        )));
    }
    let grants = q::grants_of_period(conn, period.id).await?;
    let unsigned: Vec<String> = grants
        .iter()
        .filter(|g| g.state != GrantState::Live)
        .map(|g| format!("{} ({})", g.reference, g.state.label().to_lowercase()))
        .collect();
    if !unsigned.is_empty() {
        return Ok(Some(format!(
            "Every grant must be live to close: {}",
            lcpf_domain::words::and_list(&unsigned)
        )));
    }
    Ok(None)
}
