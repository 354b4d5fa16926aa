//! Demo data for `lcpf demo`: one user per role, and the providers named in the seeds.
//!
//! Everything is created through the same use cases a funder admin uses, so it is validated
//! and audited like any other change. The providers are the lead organisations of the four
//! Tranche 1 Co-Commissioning Fund awards and the charities in Barking and Dagenham's and
//! Bexley's documents; their charity numbers are not in the seeds, so none are invented.

use crate::auth::Password;
use crate::error::AppResult;
use crate::organisations::OrganisationInput;
use crate::users::NewUserInput;
use crate::{Actor, App};

/// The password every demo user has. Printed by `lcpf demo`; never use it for real data.
pub const DEMO_PASSWORD: &str = "lcpf-demo-password";

pub struct DemoLogin {
    pub role: &'static str,
    /// An illustrative job title, not a real person.
    pub name: &'static str,
    pub email: &'static str,
    pub organisation: &'static str,
}

pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "funder_admin",
        name: "MOPAC Fund Administrator",
        email: "admin@mopac.example",
        organisation: crate::reference::FUNDER_NAME,
    },
    DemoLogin {
        role: "funder_officer",
        name: "MOPAC Grants Officer",
        email: "grants@mopac.example",
        organisation: crate::reference::FUNDER_NAME,
    },
    DemoLogin {
        role: "funder_officer",
        name: "MOPAC Finance Officer",
        email: "finance@mopac.example",
        organisation: crate::reference::FUNDER_NAME,
    },
    DemoLogin {
        role: "borough_officer",
        name: "Barking and Dagenham Community Safety Officer",
        email: "community.safety@barking-dagenham.example",
        organisation: "Barking and Dagenham",
    },
    DemoLogin {
        role: "borough_officer",
        name: "Barnet Community Safety Manager",
        email: "community.safety@barnet.example",
        organisation: "Barnet",
    },
    DemoLogin {
        role: "provider",
        name: "Advance Bids Manager",
        email: "bids@advance.example",
        organisation: "Advance Charity",
    },
    DemoLogin {
        role: "provider",
        name: "Barnardo's Taith Service Manager",
        email: "taith@barnardos.example",
        organisation: "Barnardo's",
    },
    DemoLogin {
        role: "assessor",
        name: "Co-commissioning Assessor",
        email: "assessor@lcpf.example",
        organisation: "",
    },
    DemoLogin {
        role: "viewer",
        name: "Partnership Board Member",
        email: "board.member@lcpf.example",
        // A member of Barking and Dagenham's community safety partnership board.
        organisation: "Barking and Dagenham",
    },
];

const DEMO_PROVIDERS: &[&str] = &[
    "Advance Charity",
    "Barnardo's",
    "St Giles Trust",
    "Victim Support",
    "Ashiana Network",
    "Stop Hate UK",
];

impl App {
    /// Adds the demo providers and users unless they are already there.
    pub async fn load_demo_data(&self) -> AppResult<()> {
        let system = Actor::System;
        let existing: Vec<String> = self
            .list_organisations(&system, None)
            .await?
            .into_iter()
            .map(|o| o.name)
            .collect();
        for name in DEMO_PROVIDERS
            .iter()
            .filter(|n| !existing.iter().any(|e| e == *n))
        {
            self.create_organisation(
                &system,
                &OrganisationInput {
                    name: name.to_string(),
                    kind: "provider".into(),
                    ..Default::default()
                },
            )
            .await?;
        }
        let users = self.list_users(&system).await?;
        for login in DEMO_LOGINS
            .iter()
            .filter(|l| !users.iter().any(|u| u.email == l.email))
        {
            self.add_user(
                &system,
                &NewUserInput {
                    email: login.email.into(),
                    name: login.name.into(),
                    role: login.role.into(),
                    organisation: login.organisation.into(),
                    password: Some(Password::new(DEMO_PASSWORD)),
                },
            )
            .await?;
        }
        self.load_demo_funds().await?;
        self.load_demo_co_commissioning().await?;
        self.load_demo_grants().await
    }
}

/// The demo's data files in `data/demo/`, embedded in the binary: the one loader every
/// stage's demo data goes through (co-commissioning and grants add their files here).
pub mod files {
    use serde::de::DeserializeOwned;

    use crate::error::AppResult;
    use crate::AppError;

    const FILES: &[(&str, &str)] = &[
        ("funds.json", include_str!("../../../data/demo/funds.json")),
        (
            "lcpf-eligibility.json",
            include_str!("../../../data/demo/lcpf-eligibility.json"),
        ),
        (
            "co-commissioning.json",
            include_str!("../../../data/demo/co-commissioning.json"),
        ),
        (
            "barking-and-dagenham-2017-18-proposal.json",
            include_str!("../../../data/demo/barking-and-dagenham-2017-18-proposal.json"),
        ),
    ];

    /// A demo data file as text (a CSV, read by the use case that imports it).
    pub fn text(name: &str) -> AppResult<&'static str> {
        match name {
            "grants-history.csv" => Ok(include_str!("../../../data/demo/grants-history.csv")),
            _ => Err(AppError::Internal(anyhow::anyhow!(
                "no demo data file {name}"
            ))),
        }
    }

    /// A demo data file, read as `T`; the error names the file.
    pub fn read<T: DeserializeOwned>(name: &str) -> AppResult<T> {
        let text = FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no demo data file {name}")))?;
        serde_json::from_str(text)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("data/demo/{name}: {e}")))
    }
}

/// The funds, periods, budgets, decisions, other streams and illustrative scenarios of
/// `data/demo/funds.json`, each with its source, created through the funder's use cases.
pub mod funds {
    use lcpf_domain::proposal::EligibilityRule;
    use lcpf_domain::{FinancialYear, FundingPeriod, Money, Percentage};
    use serde::Deserialize;

    use crate::error::AppResult;
    use crate::funds::{DecisionInput, ScenarioIndicator, ScenarioInput, StreamInput};
    use crate::{Actor, App, AppError};

    pub const FUND_NAME: &str = "London Crime Prevention Fund";

    #[derive(Deserialize)]
    struct FundsFile {
        funds: Vec<DemoFund>,
    }

    #[derive(Deserialize)]
    struct DemoFund {
        name: String,
        description: String,
        #[serde(default)]
        eligibility_file: Option<String>,
        periods: Vec<DemoPeriod>,
    }

    #[derive(Deserialize)]
    struct DemoPeriod {
        round: String,
        first_year: String,
        last_year: String,
        plan_first_year: Option<String>,
        #[serde(default)]
        budgets: Vec<DemoBudget>,
        #[serde(default)]
        decisions: Vec<DemoDecision>,
        #[serde(default)]
        streams: Vec<StreamInput>,
        #[serde(default)]
        scenarios: Vec<DemoScenario>,
        #[serde(default)]
        proposals: Option<String>,
        /// The proposals window, if the period takes proposals.
        #[serde(default)]
        proposals_window: Option<crate::proposals::WindowInput>,
    }

    #[derive(Deserialize)]
    struct DemoBudget {
        year: String,
        pot: String,
        co_commissioning: String,
        note: String,
    }

    #[derive(Deserialize)]
    struct DemoDecision {
        year: String,
        #[serde(flatten)]
        decision: DecisionInput,
        allocations: Vec<DemoAllocation>,
    }

    #[derive(Deserialize)]
    struct DemoAllocation {
        area: String,
        amount: String,
    }

    #[derive(Deserialize)]
    struct DemoScenario {
        year: String,
        name: String,
        dataset: String,
    }

    fn bad(what: impl std::fmt::Display) -> AppError {
        AppError::Internal(anyhow::anyhow!("data/demo/funds.json: {what}"))
    }

    fn year(text: &str) -> AppResult<FinancialYear> {
        FinancialYear::parse(text).map_err(bad)
    }

    fn money(text: &str) -> AppResult<Money> {
        Money::parse(text).map_err(bad)
    }

    #[derive(Deserialize)]
    struct EligibilityFile {
        rules: Vec<serde_json::Value>,
    }

    /// A fund's eligibility rules from their file, each organisation it refuses paying
    /// found by its name among the organisations.
    async fn eligibility(app: &App, file: &str) -> AppResult<Vec<EligibilityRule>> {
        let file: EligibilityFile = super::files::read(file)?;
        let organisations = app.list_organisations(&Actor::System, None).await?;
        let mut rules = Vec::new();
        for mut rule in file.rules {
            if let Some(restrictions) = rule["restrictions"].as_array_mut() {
                for r in restrictions.iter_mut() {
                    if let Some(name) = r["organisation"].as_str() {
                        let org = organisations
                            .iter()
                            .find(|o| o.name == name)
                            .ok_or_else(|| bad(format!("{name} is not an organisation")))?;
                        r["organisation_id"] = serde_json::json!(org.id);
                    }
                }
            }
            rules.push(serde_json::from_value(rule).map_err(bad)?);
        }
        Ok(rules)
    }

    impl App {
        /// The demo's funds from `data/demo/funds.json`: every fund with its periods and
        /// budgets first, then the illustrative scenarios (modelled before the year was
        /// decided, as a scenario cannot be after), the recorded decisions, the other streams
        /// and the proposals, in that order.
        pub async fn load_demo_funds(&self) -> AppResult<()> {
            let system = Actor::System;
            if self
                .list_funds(&system)
                .await?
                .iter()
                .any(|f| f.name == FUND_NAME)
            {
                return Ok(());
            }
            let file: FundsFile = super::files::read("funds.json")?;
            let plans = self.list_plans(&system).await?;
            let mut created = Vec::new();
            for demo in &file.funds {
                let rules = match &demo.eligibility_file {
                    Some(f) => eligibility(self, f).await?,
                    None => Vec::new(),
                };
                let fund = self
                    .create_fund(&system, &demo.name, &demo.description, &rules)
                    .await?;
                for p in &demo.periods {
                    let plan = match &p.plan_first_year {
                        Some(y) => Some(
                            plans
                                .iter()
                                .find(|plan| &plan.first_year == y)
                                .ok_or_else(|| bad(format!("no plan from {y}")))?
                                .id,
                        ),
                        None => None,
                    };
                    let mut budgets = Vec::new();
                    for b in &p.budgets {
                        let share = Percentage::parse(&b.co_commissioning).map_err(bad)?;
                        budgets.push((year(&b.year)?, money(&b.pot)?, share, b.note.clone()));
                    }
                    let span = FundingPeriod::new(year(&p.first_year)?, year(&p.last_year)?)
                        .map_err(bad)?;
                    let period = self
                        .create_period(&system, fund.id, &p.round, span, plan, &budgets)
                        .await?;
                    if let Some(window) = &p.proposals_window {
                        self.set_proposals_window(&system, period.id, window)
                            .await?;
                    }
                    created.push((period.id, p));
                }
            }
            for (period, p) in &created {
                for sc in &p.scenarios {
                    let input = ScenarioInput {
                        name: sc.name.clone(),
                        year: sc.year.clone(),
                        indicators: vec![ScenarioIndicator {
                            dataset: sc.dataset.clone(),
                            weight: "100".into(),
                        }],
                        illustrative: true,
                        ..Default::default()
                    };
                    self.create_scenario(&system, *period, &input).await?;
                }
            }
            for (period, p) in &created {
                for d in &p.decisions {
                    let mut amounts = Vec::new();
                    for a in &d.allocations {
                        amounts.push((a.area.clone(), money(&a.amount)?));
                    }
                    self.record_allocations(&system, *period, &d.year, &d.decision, &amounts)
                        .await?;
                }
            }
            for (period, p) in &created {
                for stream in &p.streams {
                    self.add_stream(&system, *period, stream).await?;
                }
            }
            for (period, p) in &created {
                if let Some(file) = &p.proposals {
                    self.load_demo_proposal(*period, file).await?;
                }
            }
            Ok(())
        }
    }
}

/// Barking and Dagenham's 2017/18 draft proposal, line for line as in seed 002, with the
/// assumptions the data file states.
pub mod proposals {
    use lcpf_domain::proposal::ProposalLine;
    use serde::Deserialize;

    use crate::error::AppResult;
    use crate::proposals::LineInput;
    use crate::{Actor, App, AppError};

    #[derive(Deserialize)]
    pub struct DemoProposal {
        /// The borough whose proposal it is, by its council's name.
        pub borough: String,
        pub themes: Vec<String>,
        pub assumptions: Vec<String>,
        pub lines: Vec<ProposalLine>,
    }

    pub fn barking_and_dagenham() -> AppResult<DemoProposal> {
        super::files::read("barking-and-dagenham-2017-18-proposal.json")
    }

    impl App {
        pub(crate) async fn load_demo_proposal(&self, period_id: i64, file: &str) -> AppResult<()> {
            let system = Actor::System;
            let demo: DemoProposal = super::files::read(file)?;
            let mut conn = self.db().pool().acquire().await?;
            let org = lcpf_store::queries::organisations::find_by_name(&mut conn, &demo.borough)
                .await?
                .filter(|o| o.area_code.is_some())
                .ok_or_else(|| AppError::NotFound(format!("{}'s council", demo.borough)))?;
            drop(conn);
            self.set_local_themes(&system, org.id, &demo.themes.join("\n"))
                .await?;
            let proposal = self
                .start_proposal(&system, Some(period_id), org.id)
                .await?;
            let inputs: Vec<LineInput> = demo.lines.iter().map(LineInput::from_line).collect();
            self.replace_lines(
                &system,
                proposal.id,
                &inputs,
                &format!("Demo data. {}", demo.assumptions.join(" ")),
                None,
            )
            .await?;
            // The assumptions, where the borough and the funder will read them.
            self.comment_on_proposal(
                &system,
                proposal.id,
                "",
                &format!(
                    "About this demo data: it is Barking and Dagenham's draft exactly as in the source document, with these assumptions. {}",
                    demo.assumptions.join(" ")
                ),
            )
            .await?;
            self.comment_on_proposal(
                &system,
                proposal.id,
                "2.1",
                "The cost of this line is not legible in the source document; £40,000 follows from the Children and Young People section total of £268,000.",
            )
            .await?;
            Ok(())
        }
    }
}
