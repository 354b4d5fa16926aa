//! Each person's home page: their work at a glance, with the numbers linked to the rows
//! behind them. What is shown follows from what the person may do (the permissions in
//! `access`), so the page and the menu never disagree with what the app allows.

use lcpf_domain::proposal::window::ProposalsWindow;
use lcpf_domain::proposal::VersionState;
use lcpf_domain::words::{capitalise, count};
use lcpf_domain::{Money, Role};
use lcpf_store::queries::funds::{self as fq, FundingPeriod};
use lcpf_store::queries::proposals as pq;
use serde::Serialize;

use crate::access::{authorise, may, Permission};
use crate::error::AppResult;
use crate::{Actor, App, AppError};

/// One person's home page.
#[derive(Debug, Clone, Serialize)]
pub struct Home {
    /// Their role and organisation, above the heading.
    pub caption: String,
    pub heading: String,
    /// Their borough's allocation, proposal and next step (borough officers).
    pub borough: Option<BoroughAtAGlance>,
    /// Proposals waiting for review (funder staff).
    pub waiting: Option<Vec<Waiting>>,
    /// Budgeted years not yet decided (funder staff).
    pub undecided: Option<Vec<UndecidedYear>>,
    /// Users and the latest changes (funder admins).
    pub admin: Option<AdminAtAGlance>,
    /// The linked borough's decided allocations and approved proposals (board members).
    pub board: Option<BoardAtAGlance>,
    /// What this person's work will be once its stage is built, said plainly.
    pub coming: Vec<String>,
    /// Places to go, each with what it is for.
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub href: String,
    pub title: String,
    pub hint: String,
}

/// A borough officer's borough in the current period.
#[derive(Debug, Clone, Serialize)]
pub struct BoroughAtAGlance {
    pub area_code: String,
    /// The period proposals are being made for (or the latest decided), in words.
    pub period: Option<PeriodAtAGlance>,
    /// What to do next, as a link.
    pub next: Task,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodAtAGlance {
    pub id: i64,
    pub label: String,
    /// The proposals window in words.
    pub window: String,
    /// The borough's decided allocation for the period (none: nothing decided yet).
    pub allocation: Option<Money>,
    /// By decided year.
    pub by_year: Vec<YearAmount>,
    pub proposal_id: Option<i64>,
    pub status: String,
    /// Allocation minus what the proposal asks (negative: over).
    pub headroom: Option<Money>,
    /// Rule problems to put right before submitting.
    pub problems: usize,
    /// Where the latest version stands (none: not started).
    #[serde(skip)]
    pub latest: Option<VersionState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearAmount {
    pub year: String,
    pub amount: Money,
    pub illustrative: bool,
}

/// A proposal waiting for the funder's review.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub proposal_id: i64,
    pub borough: String,
    pub period_id: i64,
    pub period: String,
    pub submitted_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UndecidedYear {
    pub period_id: i64,
    pub period: String,
    pub year: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdminAtAGlance {
    pub active_users: usize,
    pub disabled_users: usize,
    pub recent: Vec<RecentChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentChange {
    pub at: String,
    /// Who, by name.
    pub who: String,
    pub summary: String,
}

/// What a partnership board member linked to a borough can read.
#[derive(Debug, Clone, Serialize)]
pub struct BoardAtAGlance {
    pub borough: String,
    pub area_code: Option<String>,
    pub allocations: Vec<YearAmount>,
    pub approved: Vec<ApprovedProposal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovedProposal {
    pub proposal_id: i64,
    pub period: String,
}

fn task(href: impl Into<String>, title: &str, hint: &str) -> Task {
    Task {
        href: href.into(),
        title: title.into(),
        hint: hint.into(),
    }
}

/// Recent changes shown to an admin.
const RECENT_CHANGES: usize = 5;

impl App {
    /// The signed-in person's home page.
    pub async fn home(&self, actor: &Actor) -> AppResult<Home> {
        authorise(actor, Permission::ViewReferenceData)?;
        let Some(user) = actor.user().cloned() else {
            return Err(AppError::Unauthenticated);
        };
        let today = lcpf_domain::calendar::london_today(chrono::Utc::now());
        let mut conn = self.db().begin_read().await?;
        // Every period, with its fund's name: a handful, read once.
        let mut periods: Vec<(String, FundingPeriod)> = Vec::new();
        for fund in fq::list_funds(&mut conn).await? {
            for p in fq::periods(&mut conn, fund.id).await? {
                periods.push((fund.name.clone(), p));
            }
        }
        let label =
            |fund: &str, p: &FundingPeriod| format!("{fund}: {} to {}", p.first_year, p.last_year);
        let organisation = user.organisation_id;
        let drafts = organisation
            .is_some_and(|o| may(actor, Permission::DraftProposal { organisation_id: o }));
        let reviews = may(actor, Permission::ReviewProposals);
        let models = may(actor, Permission::ModelAllocations);
        let admin = may(actor, Permission::ManageUsers);

        let mut tasks = Vec::new();
        let borough = match (drafts, user.area_code.clone()) {
            (true, Some(area_code)) => {
                let org = organisation.unwrap_or_default();
                // The period open for proposals; failing that, the latest one decided for it.
                let mut current = periods
                    .iter()
                    .find(|(_, p)| p.proposals_window().is_open(today))
                    .cloned();
                let own = pq::proposals_for_organisation(&mut conn, org).await?;
                if current.is_none() {
                    for (fund, p) in periods.iter().rev() {
                        let decided = fq::allocations_for_period(&mut conn, p.id).await?;
                        if decided.iter().any(|a| a.area_code == area_code) {
                            current = Some((fund.clone(), p.clone()));
                            break;
                        }
                    }
                }
                drop(conn);
                let period = match current {
                    None => None,
                    Some((fund, p)) => Some(
                        self.borough_period(actor, &fund, &p, &area_code, &own, today)
                            .await?,
                    ),
                };
                conn = self.db().begin_read().await?;
                let next = next_step(period.as_ref());
                tasks.push(task(
                    "/proposals",
                    "Your proposals",
                    "Turn your allocation into funded activities under the plan's priorities, and submit them to MOPAC.",
                ));
                tasks.push(task(
                    format!("/areas/{area_code}"),
                    "Your allocations",
                    "Your borough's LCPF allocations year by year, and its boundary.",
                ));
                tasks.push(task(
                    format!("/organisations/{org}/people"),
                    "Your team",
                    "Who in your borough can sign in.",
                ));
                Some(BoroughAtAGlance {
                    area_code,
                    period,
                    next,
                })
            }
            _ => None,
        };

        let waiting = if reviews {
            drop(conn);
            let mut out = Vec::new();
            for (fund, p) in &periods {
                let overview = self.proposals_overview(actor, p.id).await?;
                out.extend(
                    overview
                        .rows
                        .into_iter()
                        .filter(|r| r.awaiting_review)
                        .filter_map(|r| {
                            Some(Waiting {
                                proposal_id: r.proposal_id?,
                                borough: r.area_name,
                                period_id: p.id,
                                period: label(fund, p),
                                submitted_at: r.submitted_at,
                            })
                        }),
                );
            }
            conn = self.db().begin_read().await?;
            tasks.push(task(
                "/proposals",
                "Borough proposals",
                "Each borough's proposal against its allocation: review, return with comments, approve.",
            ));
            Some(out)
        } else {
            None
        };

        let undecided = if models {
            let mut out = Vec::new();
            for (fund, p) in &periods {
                let decided: Vec<String> = fq::decisions(&mut conn, p.id)
                    .await?
                    .into_iter()
                    .map(|d| d.year)
                    .collect();
                for b in fq::budgets(&mut conn, p.id).await? {
                    if !decided.contains(&b.year) {
                        out.push(UndecidedYear {
                            period_id: p.id,
                            period: label(fund, p),
                            year: b.year,
                        });
                    }
                }
            }
            tasks.push(task(
                "/funds",
                "Funds and allocations",
                "Funding periods and budgets, allocation scenarios and decisions.",
            ));
            Some(out)
        } else {
            None
        };

        let admin_glance = if admin {
            drop(conn);
            let users = self.list_users(actor).await?;
            let log = self.audit_log(actor, &Default::default(), None).await?;
            conn = self.db().begin_read().await?;
            tasks.push(task(
                "/users",
                "Manage users",
                "Add people, give them roles, disable accounts and reset passwords.",
            ));
            tasks.push(task(
                "/audit",
                "Audit log",
                "Every change: who, when, what, before and after.",
            ));
            Some(AdminAtAGlance {
                active_users: users.iter().filter(|u| !u.disabled).count(),
                disabled_users: users.iter().filter(|u| u.disabled).count(),
                recent: log
                    .records
                    .iter()
                    .take(RECENT_CHANGES)
                    .map(|r| RecentChange {
                        at: r.at.clone(),
                        who: log.people.of(&r.actor),
                        summary: r.summary.clone(),
                    })
                    .collect(),
            })
        } else {
            None
        };

        // A board member linked to a borough reads its decided allocations and approved
        // proposals.
        let board = match organisation {
            Some(org)
                if !drafts
                    && !reviews
                    && may(
                        actor,
                        Permission::ReadApprovedProposal {
                            organisation_id: org,
                        },
                    ) =>
            {
                let mut approved = Vec::new();
                for p in pq::proposals_for_organisation(&mut conn, org).await? {
                    let versions = pq::versions(&mut conn, p.id).await?;
                    if versions.iter().any(|v| v.state == VersionState::Approved) {
                        let period = periods
                            .iter()
                            .find(|(_, x)| x.id == p.period_id)
                            .map(|(f, x)| label(f, x))
                            .unwrap_or_default();
                        approved.push(ApprovedProposal {
                            proposal_id: p.id,
                            period,
                        });
                    }
                }
                let allocations = match &user.area_code {
                    Some(code) => fq::allocations_for_area(&mut conn, code)
                        .await?
                        .into_iter()
                        .map(|a| YearAmount {
                            year: a.year,
                            amount: Money::from_pence(a.amount_pence),
                            illustrative: a.illustrative,
                        })
                        .collect(),
                    None => Vec::new(),
                };
                Some(BoardAtAGlance {
                    borough: user.organisation_name.clone().unwrap_or_default(),
                    area_code: user.area_code.clone(),
                    allocations,
                    approved,
                })
            }
            _ => None,
        };

        // Co-commissioning: open calls, the organisation's bids, an assessor's queue.
        let open_calls = lcpf_store::queries::co_commissioning::calls(&mut conn)
            .await?
            .iter()
            .filter(|c| {
                c.call.state(chrono::Utc::now())
                    == lcpf_domain::co_commissioning::call::CallState::Open
            })
            .count();
        let own_bids = match (user.role, organisation) {
            (Role::Provider | Role::BoroughOfficer, Some(org)) => {
                lcpf_store::queries::co_commissioning::bid_counts(
                    &mut conn,
                    lcpf_store::queries::co_commissioning::BidsOf::Organisation(org),
                )
                .await?
                .iter()
                .map(|(_, n)| n)
                .sum::<i64>()
            }
            _ => 0,
        };
        if matches!(user.role, Role::Provider | Role::BoroughOfficer) || user.role.is_funder() {
            tasks.push(task(
                "/calls",
                "Co-commissioning",
                &format!(
                    "{} open for bids{}.",
                    match open_calls {
                        0 => "No call is".to_string(),
                        1 => "One call is".to_string(),
                        n => format!("{n} calls are"),
                    },
                    match (user.role.is_funder(), own_bids) {
                        (true, _) => ": bids, assessment, ranking and awards".to_string(),
                        (false, 0) => "; your organisation has no bids yet".to_string(),
                        (false, 1) => "; your organisation leads or partners one bid".to_string(),
                        (false, n) => format!("; your organisation leads or partners {n} bids"),
                    }
                ),
            ));
        }
        // Grants and money: what waits for the funder, or on the organisation's own grants.
        if let Some(of) = crate::grants::grants_of(actor) {
            let w = lcpf_store::queries::grants::claims::work_waiting(&mut conn, of).await?;
            if user.role.is_funder() {
                tasks.insert(
                    0,
                    task(
                        "/claims",
                        "Claims and payments",
                        &capitalise(&format!(
                            "{} to accept or return, {} reported met to confirm, and {} waiting for an authoriser.",
                            count(w.claims_submitted, "claim", "claims"),
                            count(w.milestones_reported, "milestone", "milestones"),
                            count(w.payments_requested, "payment", "payments"),
                        )),
                    ),
                );
            } else if matches!(user.role, Role::Provider | Role::BoroughOfficer) {
                tasks.push(task(
                    "/grants",
                    "Your grants",
                    &capitalise(&format!(
                        "{} live; {} offered to accept; {} returned to put right.",
                        count(w.grants_live, "grant", "grants"),
                        count(w.grants_offered, "grant", "grants"),
                        count(w.claims_returned, "claim", "claims"),
                    )),
                ));
            }
        }
        let mut coming = Vec::new();
        match user.role {
            Role::Provider => {
                coming.push("Quarterly performance returns and reports are later stages: your grants, claims and milestones are here now.".into());
                if let Some(org) = organisation {
                    tasks.push(task(
                        format!("/organisations/{org}"),
                        "Your organisation",
                        "Your details as MOPAC holds them.",
                    ));
                    if may(
                        actor,
                        Permission::EditOrganisationContact {
                            organisation_id: org,
                        },
                    ) {
                        tasks.push(task(
                            format!("/organisations/{org}/contact"),
                            "Update your contact details",
                            "Where MOPAC writes to about your grants.",
                        ));
                    }
                }
            }
            Role::Assessor => {
                let assigned = lcpf_store::queries::co_commissioning::bid_counts(
                    &mut conn,
                    lcpf_store::queries::co_commissioning::BidsOf::Assessor(user.id),
                )
                .await?
                .iter()
                .map(|(_, n)| n)
                .sum::<i64>();
                tasks.insert(
                    0,
                    task(
                        "/assessments",
                        "Bids to assess",
                        &match assigned {
                            0 => "No bids are assigned to you yet.".to_string(),
                            1 => "One bid is assigned to you: declare any conflict of interest, then score it.".to_string(),
                            n => format!("{n} bids are assigned to you: declare any conflict of interest, then score each."),
                        },
                    ),
                );
                coming.push("Performance returns and reports are later stages: there is nothing else for you to do here yet.".into());
            }
            Role::Viewer if board.is_none() => {
                coming.push("You are not linked to a borough yet. A funder admin links a partnership board member to their borough, so that you can read its approved proposals here.".into());
            }
            _ => {}
        }
        tasks.push(task(
            "/plans",
            "Police and Crime Plan priorities",
            "The priority areas every project links to, and their objectives.",
        ));
        tasks.push(task(
            "/areas",
            "London's boroughs",
            "The 32 LCPF boroughs and the City of London, with their allocations.",
        ));
        drop(conn);
        let place = user
            .organisation_name
            .clone()
            .unwrap_or_else(|| "your organisation".into());
        let heading = match user.role {
            Role::FunderAdmin => "Fund administration".to_string(),
            Role::FunderOfficer => "Grants and performance".to_string(),
            Role::BoroughOfficer => format!("{place} community safety"),
            Role::Provider => place.clone(),
            Role::Assessor => "Assessing bids".to_string(),
            Role::Viewer if board.is_some() => format!("{place} partnership board"),
            Role::Viewer => "Reports".to_string(),
        };
        Ok(Home {
            caption: match &user.organisation_name {
                Some(org) => format!("{}, {org}", user.role.label()),
                None => user.role.label().to_string(),
            },
            heading,
            borough,
            waiting,
            undecided,
            admin: admin_glance,
            board,
            coming,
            tasks,
        })
    }

    /// A borough's allocation, proposal and headroom in one period.
    async fn borough_period(
        &self,
        actor: &Actor,
        fund: &str,
        p: &FundingPeriod,
        area_code: &str,
        own: &[pq::Proposal],
        today: chrono::NaiveDate,
    ) -> AppResult<PeriodAtAGlance> {
        let mut conn = self.db().begin_read().await?;
        let by_year: Vec<YearAmount> = fq::allocations_for_period(&mut conn, p.id)
            .await?
            .into_iter()
            .filter(|a| a.area_code == area_code)
            .map(|a| YearAmount {
                year: a.year,
                amount: Money::from_pence(a.amount_pence),
                illustrative: a.illustrative,
            })
            .collect();
        drop(conn);
        let allocation = (!by_year.is_empty())
            .then(|| Money::checked_sum(by_year.iter().map(|y| y.amount)))
            .transpose()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let window: ProposalsWindow = p.proposals_window();
        let proposal = own.iter().find(|x| x.period_id == p.id);
        let (status, headroom, problems, latest) = match proposal {
            Some(x) => {
                let view = self.proposal(actor, x.id, None).await?;
                (
                    view.status.clone(),
                    view.totals.headroom,
                    view.problems.len(),
                    view.versions.last().map(|v| v.state),
                )
            }
            None => ("Not started".to_string(), None, 0, None),
        };
        Ok(PeriodAtAGlance {
            id: p.id,
            label: format!("{fund}: {} to {}", p.first_year, p.last_year),
            window: window.words(today),
            allocation,
            by_year,
            proposal_id: proposal.map(|x| x.id),
            status,
            headroom,
            problems,
            latest,
        })
    }
}

/// What a borough officer should do next, from where their proposal stands.
fn next_step(period: Option<&PeriodAtAGlance>) -> Task {
    let Some(p) = period else {
        return task(
            "/proposals",
            "Nothing to do yet",
            "No funding period is open for proposals. MOPAC opens one when boroughs are to propose.",
        );
    };
    let Some(id) = p.proposal_id else {
        return task(
            "/proposals",
            "Start your proposal",
            &format!("{} is open for proposals.", p.label),
        );
    };
    let page = format!("/proposals/{id}");
    match p.latest {
        Some(VersionState::Submitted) => task(
            page,
            "Wait for MOPAC's review",
            "Your proposal is with MOPAC; you will see its comments here.",
        ),
        Some(VersionState::Approved) => task(
            page,
            "Your proposal is approved",
            "If your plans change, start a variation from the proposal.",
        ),
        _ if p.problems > 0 => task(
            format!("{page}#problems"),
            &format!(
                "Put right {} {} in your draft",
                p.problems,
                if p.problems == 1 {
                    "problem"
                } else {
                    "problems"
                }
            ),
            "Then submit it to MOPAC.",
        ),
        _ => task(
            page,
            "Submit your proposal",
            "Your draft meets the fund's rules: submit it to MOPAC for review.",
        ),
    }
}
