//! The demo's grants: one for each Tranche 1 award, offered, accepted and started through
//! the same use cases as any other — Barnardo's paid on milestones and St Giles Trust's
//! quarterly in advance (both ILLUSTRATIVE: the announcement does not say how the awards are
//! paid) — then a year of Advance Charity's claims and payments, made by the demo's people so
//! segregation of duties shows.

use std::collections::BTreeMap;

use lcpf_domain::grant::milestone::MilestoneEvent;
use lcpf_domain::grant::payment::{instalments, Schedule};
use lcpf_domain::grant::workflow::GrantEvent;
use lcpf_domain::{Money, Quarter};

use super::claims::{ClaimInput, ClaimStep};
use super::payments::{AuthoriseInput, SpendAuthorityInput};
use super::schedule::{AdvanceInput, MilestoneInput, MilestoneStepInput, ScheduleInput};
use super::{AmountsInput, MakeGrant};
use crate::{Actor, App, AppError, AppResult, CurrentUser};

/// The demo's imported Barnet agreement (seed 004).
const BARNET_HISTORY: &str = "LCPF 2013/14 to 2016/17: Barnet";

/// Each demo funder user's spend authority, in pounds.
const SPEND_AUTHORITY: &[(&str, &str)] = &[
    ("admin@mopac.example", "1000000"),
    ("grants@mopac.example", "25000"),
    ("finance@mopac.example", "500000"),
];

/// Illustrative: the seeds give no claims, so the demo's are a quarter of the year's award.
const ILLUSTRATIVE: &str =
    "Illustrative demo claim (the seeds give no claims): a quarter of the year's award.";

impl App {
    /// Makes and starts a grant for each award that has none; then the demo's claims.
    pub async fn load_demo_grants(&self) -> AppResult<()> {
        let system = Actor::System;
        let sources = self.grants_page(&system, 1).await?.sources;
        for s in sources.iter().filter(|s| s.source == "award") {
            let id = self
                .make_grant(
                    &system,
                    &MakeGrant {
                        source: s.source.clone(),
                        id: s.id,
                        conditions: "Subject to grant conditions and match-funding assurances. The grant is paid as its agreement says; money cannot be carried into the next period. Onward funding to partners is recorded against the grant.".into(),
                    },
                )
                .await?;
            let schedule = match s.label.as_str() {
                l if l.contains("Barnardo's") => Schedule::Milestones,
                l if l.contains("St Giles Trust") => Schedule::QuarterlyInAdvance,
                _ => Schedule::QuarterlyInArrears,
            };
            self.set_schedule(
                &system,
                id,
                &ScheduleInput {
                    schedule: schedule.as_str().into(),
                },
            )
            .await?;
            if schedule == Schedule::Milestones {
                self.load_demo_milestones(id).await?;
            }
            for event in [GrantEvent::Offer, GrantEvent::Accept, GrantEvent::Start] {
                self.grant_step(&system, id, event).await?;
            }
        }
        self.load_demo_history().await?;
        self.load_demo_onward_funding().await?;
        self.load_demo_spend_authority().await?;
        self.load_demo_payment_schedules().await?;
        self.load_demo_claims().await
    }

    /// Each demo funder user's spend authority.
    async fn load_demo_spend_authority(&self) -> AppResult<()> {
        let system = Actor::System;
        for (email, limit) in SPEND_AUTHORITY {
            let id = self.find_user(&system, email).await?.id;
            self.set_spend_authority(
                &system,
                id,
                &SpendAuthorityInput {
                    limit: limit.to_string(),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Barnardo's Taith milestones: ILLUSTRATIVE (the announcement gives none), two a year,
    /// each half of the year's award (the odd pence in the first).
    async fn load_demo_milestones(&self, grant_id: i64) -> AppResult<()> {
        let system = Actor::System;
        let grant = self.grant(&system, grant_id).await?;
        for year in &grant.year_totals {
            let start: i32 = year
                .year
                .get(..4)
                .and_then(|y| y.parse().ok())
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("year {}", year.year)))?;
            let halves = Money::from_pence(year.firm.pence() + year.provisional.pence())
                .split_evenly(2)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            let titles = [
                (format!("{start}-09-30"), format!("Illustrative: Taith's {} half-year report to the boroughs: referrals, sessions and outcomes", year.year)),
                (format!("{}-03-31", start + 1), format!("Illustrative: Taith's {} annual review with MOPAC and the boroughs", year.year)),
            ];
            for ((due_on, title), amount) in titles.into_iter().zip(halves) {
                self.add_milestone(
                    &system,
                    grant_id,
                    &MilestoneInput {
                        title,
                        year: year.year.clone(),
                        due_on,
                        amount: amount.to_decimal_string(),
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Barnardo's first milestone reported by its service manager, confirmed by the grants
    /// officer and paid by the finance officer; its second reported and waiting. St Giles
    /// Trust's first two quarters advanced by the grants officer: Q1 authorised by the finance
    /// officer, Q2 waiting for a second authoriser. Skipped once there.
    async fn load_demo_payment_schedules(&self) -> AppResult<()> {
        let system = Actor::System;
        let rows = self.grants_page(&system, 1).await?.rows;
        let officer = self.demo_actor("grants@mopac.example").await?;
        let finance = self.demo_actor("finance@mopac.example").await?;
        if let Some(row) = rows.iter().find(|g| g.recipient == "Barnardo's") {
            let grant = self.grant(&system, row.id).await?;
            let manager = self.demo_actor("taith@barnardos.example").await?;
            let planned: Vec<i64> = grant
                .payment_plan
                .milestones
                .iter()
                .filter(|m| m.state.code == "planned")
                .map(|m| m.id)
                .collect();
            if planned.len() == grant.payment_plan.milestones.len() {
                let report = |text: &str| MilestoneStepInput { text: text.into() };
                let reports = [
                    "Illustrative demo report: the half-year report was sent to each borough's community safety partnership, with referral and session counts (no names).",
                    "Illustrative demo report: the annual review met on 28 March with MOPAC and the boroughs; its note of outcomes and next year's plan is with the partnership boards.",
                ];
                for (n, (id, text)) in planned.iter().zip(reports).enumerate() {
                    self.milestone_step(
                        &manager,
                        grant.id,
                        *id,
                        MilestoneEvent::Report,
                        &report(text),
                    )
                    .await?;
                    if n == 0 {
                        self.milestone_step(
                            &officer,
                            grant.id,
                            *id,
                            MilestoneEvent::Confirm,
                            &report(""),
                        )
                        .await?;
                    }
                }
                let paid = self.grant(&system, grant.id).await?.payments;
                if let Some(p) = paid.first() {
                    self.authorise_payment(
                        &finance,
                        p.id,
                        &AuthoriseInput {
                            idempotency_key: format!("demo-{}", p.id),
                        },
                    )
                    .await?;
                }
            }
        }
        if let Some(row) = rows.iter().find(|g| g.recipient == "St Giles Trust") {
            let grant = self.grant(&system, row.id).await?;
            if grant.payments.is_empty() {
                for n in 0..2 {
                    let Some(next) = self
                        .grant(&officer, grant.id)
                        .await?
                        .payment_plan
                        .next_advance
                    else {
                        break;
                    };
                    let p = self
                        .request_advance(
                            &officer,
                            grant.id,
                            &AdvanceInput {
                                quarter: next.quarter,
                            },
                        )
                        .await?;
                    if n == 0 {
                        self.authorise_payment(
                            &finance,
                            p.id,
                            &AuthoriseInput {
                                idempotency_key: format!("demo-{}", p.id),
                            },
                        )
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The South London Alliance's onward funding from Lambeth (its assumed lead) to the five
    /// other boroughs: ILLUSTRATIVE, as the announcement gives no split: an even sixth of
    /// each year's award to each partner, the lead keeping the rest.
    async fn load_demo_onward_funding(&self) -> AppResult<()> {
        let system = Actor::System;
        let Some(row) = self
            .grants_page(&system, 1)
            .await?
            .rows
            .into_iter()
            .find(|g| g.recipient == "Lambeth")
        else {
            return Ok(());
        };
        let grant = self.grant(&system, row.id).await?;
        if !grant.onward.is_empty() {
            return Ok(());
        }
        for year in &grant.year_totals {
            let money = Money::from_pence(year.firm.pence() + year.provisional.pence());
            let shares = money
                .split_evenly(6)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            // The larger shares (the odd pence) stay with the lead: it is last.
            for ((partner, _), share) in grant.partners.iter().zip(shares.iter().rev()) {
                self.record_onward_funding(
                    &system,
                    grant.id,
                    &super::onward::OnwardInput {
                        organisation_id: *partner,
                        year: year.year.clone(),
                        amount: share.to_decimal_string(),
                        note: "ILLUSTRATIVE: the announcement gives no split between the boroughs; an even sixth of the year's award".into(),
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Bexley's and Barnet's 2013–17 agreements, imported from `data/demo/grants-history.csv`
    /// as history from before LCPF (Bexley exactly as seed 000; Barnet's amounts
    /// illustrative), and Barnet's June 2015 variation (seed 004; its change illustrative).
    async fn load_demo_history(&self) -> AppResult<()> {
        let system = Actor::System;
        let mut conn = self.db().pool().acquire().await?;
        let done = lcpf_store::queries::grants::grant_by_reference(&mut conn, BARNET_HISTORY)
            .await?
            .is_some();
        drop(conn);
        if done {
            return Ok(());
        }
        let csv = crate::demo::files::text("grants-history.csv")?;
        // Into the LCPF's 2013/14 to 2016/17 period, with which they close.
        let mut conn = self.db().pool().acquire().await?;
        let period = lcpf_store::queries::funds::all_periods(&mut conn)
            .await?
            .into_iter()
            .find(|p| {
                p.fund_name == crate::demo::funds::FUND_NAME && p.period.first_year == "2013/14"
            })
            .map(|p| p.period.id)
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("the demo has no LCPF 2013/14 period"))
            })?;
        drop(conn);
        let ids = self.import_grants(&system, period, csv).await?;
        let mut barnet = None;
        for id in ids {
            let g = self.grant(&system, id).await?;
            if g.reference == BARNET_HISTORY {
                barnet = Some(g);
            }
        }
        let barnet = barnet.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the demo's Barnet grant was not imported"))
        })?;
        let key = |name: &str| {
            barnet
                .projects
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.key)
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("Barnet's grant has no project {name}"))
                })
        };
        let (asb, homes) = (
            key("ASB and Neighbourhood Restorative Justice project")?,
            key("Safer Homes Scheme")?,
        );
        let amounts = |revenue: &str| AmountsInput {
            revenue: revenue.into(),
            capital: String::new(),
        };
        let years = |revenue: &str| {
            BTreeMap::from([
                ("2015/16".to_string(), amounts(revenue)),
                ("2016/17".to_string(), amounts(revenue)),
            ])
        };
        self.vary_grant(
            &system,
            barnet.id,
            &super::VariationInput {
                reason: "In June 2015 this agreement was updated (seed 004). ILLUSTRATIVE: the seed does not say what changed, so the demo moves £10,000 a year from the Safer Homes Scheme to the ASB and Neighbourhood Restorative Justice project for 2015/16 and 2016/17; the day is assumed.".into(),
                varied_on: "2015-06-01".into(),
                projects: BTreeMap::from([(asb, years("55000")), (homes, years("20000"))]),
            },
        )
        .await?;
        Ok(())
    }

    async fn demo_actor(&self, email: &str) -> AppResult<Actor> {
        let user = self.find_user(&Actor::System, email).await?;
        Ok(Actor::User(
            CurrentUser::try_from(user).map_err(AppError::Internal)?,
        ))
    }

    /// A year of Advance Charity's claims on its Tranche 1 grant: Q1 paid and exported, Q2
    /// authorised for the next export, Q3 accepted with its payment waiting for a second
    /// authoriser, Q4 returned with comments. Skipped when claims are already there.
    async fn load_demo_claims(&self) -> AppResult<()> {
        let system = Actor::System;
        let Some(row) = self
            .grants_page(&system, 1)
            .await?
            .rows
            .into_iter()
            .find(|g| g.recipient == "Advance Charity")
        else {
            return Ok(());
        };
        let grant = self.grant(&system, row.id).await?;
        if !grant.claims.is_empty() {
            return Ok(());
        }
        let (Some(project), Some(year)) = (grant.projects.first(), grant.year_totals.first())
        else {
            return Ok(());
        };
        let provider = self.demo_actor("bids@advance.example").await?;
        let officer = self.demo_actor("grants@mopac.example").await?;
        let finance = self.demo_actor("finance@mopac.example").await?;
        let quarters =
            instalments(year.firm).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let first_year = lcpf_domain::FinancialYear::parse(&year.year)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let remaining = |n: usize| {
            Money::from_pence(
                grant.total.pence() - quarters.iter().take(n).map(|m| m.pence()).sum::<i64>(),
            )
        };
        for (n, amount) in quarters.iter().enumerate() {
            let Some(quarter) = Quarter::new(first_year, n as u8 + 1) else {
                continue;
            };
            let input = ClaimInput {
                quarter: quarter.to_string(),
                spend: BTreeMap::from([(
                    project.key,
                    AmountsInput {
                        revenue: amount.to_decimal_string(),
                        capital: String::new(),
                    },
                )]),
                narrative: format!(
                    "{ILLUSTRATIVE} Keyworker support, group-work and mentoring for women referred by the courts, probation and the police, through the women centres and community advocates."
                ),
                forecast: remaining(n + 1).to_decimal_string(),
                match_funding: String::new(),
            };
            let claim = self.start_claim(&provider, grant.id, &input).await?;
            self.attach_claim_evidence(
                &provider,
                claim,
                crate::files::Upload {
                    name: format!("Advance {} spend summary.csv", quarter.to_string().replace('/', "-")),
                    content_type: "text/csv".into(),
                    bytes: format!(
                        "Illustrative demo evidence,,\nQuarter,Cost,Amount\n{quarter},Keyworkers and advocates,{}\n",
                        amount.to_decimal_string()
                    )
                    .into_bytes(),
                },
            )
            .await?;
            let step = |event: &str, comments: &str| ClaimStep {
                event: event.into(),
                comments: comments.into(),
            };
            self.claim_step(&provider, claim, &step("submit", ""))
                .await?;
            if n == 3 {
                self.claim_step(
                    &officer,
                    claim,
                    &step("return", "Please attach the payroll summary for the community advocates, and split the women centres' rent out as a separate line in the evidence."),
                )
                .await?;
                continue;
            }
            self.claim_step(&officer, claim, &step("accept", ""))
                .await?;
            if n == 2 {
                continue; // waiting for a second authoriser: the officer who accepted it may not
            }
            let payment = self.claim(&system, claim).await?.payment.ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("an accepted demo claim made no payment"))
            })?;
            self.authorise_payment(
                &finance,
                payment.id,
                &AuthoriseInput {
                    idempotency_key: format!("demo-{}", payment.id),
                },
            )
            .await?;
            if n == 0 {
                self.export_payments(&finance).await?;
            }
        }
        Ok(())
    }
}
