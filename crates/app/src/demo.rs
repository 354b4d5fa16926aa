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
        role: "assessor",
        name: "Co-commissioning Assessor",
        email: "assessor@lcpf.example",
        organisation: "",
    },
    DemoLogin {
        role: "viewer",
        name: "Partnership Board Member",
        email: "board.member@lcpf.example",
        organisation: "",
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
        self.load_demo_funds().await
    }
}

/// The fund's structure and the allocations the seeds record, plus illustrative scenarios.
pub mod funds {
    use lcpf_domain::{FinancialYear, FundingPeriod, Money, Percentage};

    use crate::error::AppResult;
    use crate::funds::{DecisionInput, ScenarioIndicator, ScenarioInput};
    use crate::{Actor, App, AppError};

    pub const FUND_NAME: &str = "London Crime Prevention Fund";

    fn fy(y: i32) -> FinancialYear {
        FinancialYear::starting(y)
    }

    impl App {
        /// The LCPF rounds, periods and budgets; Bexley's and Barking and Dagenham's recorded
        /// allocations; and illustrative scenarios computed from recorded crime.
        pub async fn load_demo_funds(&self) -> AppResult<()> {
            /// The fund's eligibility rule from `data/demo/lcpf-eligibility.json`, with the
            /// organisation it refuses paying found by its name among the organisations.
            async fn lcpf_eligibility(
                app: &App,
            ) -> AppResult<Vec<lcpf_domain::proposal::EligibilityRule>> {
                #[derive(serde::Deserialize)]
                struct File {
                    rules: Vec<serde_json::Value>,
                }
                let file: File =
                    serde_json::from_str(include_str!("../../../data/demo/lcpf-eligibility.json"))
                        .map_err(|e| {
                            AppError::Internal(anyhow::anyhow!("lcpf-eligibility.json: {e}"))
                        })?;
                let organisations = app.list_organisations(&Actor::System, None).await?;
                let mut rules = Vec::new();
                for mut rule in file.rules {
                    if let Some(rs) = rule["restrictions"].as_array_mut() {
                        for r in rs.iter_mut() {
                            if let Some(name) = r["organisation"].as_str() {
                                let org = organisations.iter().find(|o| o.name == name).ok_or_else(|| {
                                    AppError::Internal(anyhow::anyhow!("lcpf-eligibility.json names {name}, which is not an organisation"))
                                })?;
                                r["organisation_id"] = serde_json::json!(org.id);
                            }
                        }
                    }
                    rules.push(serde_json::from_value(rule).map_err(|e| {
                        AppError::Internal(anyhow::anyhow!("lcpf-eligibility.json: {e}"))
                    })?);
                }
                Ok(rules)
            }

            let system = Actor::System;
            if self
                .list_funds(&system)
                .await?
                .iter()
                .any(|f| f.name == FUND_NAME)
            {
                return Ok(());
            }
            let fund = self
                .create_fund(
                    &system,
                    FUND_NAME,
                    "A single pot that MOPAC gives to local authorities to tackle the crime issues most prevalent in their area: to prevent crime, support safer communities and reduce reoffending.",
                    &lcpf_eligibility(self).await?,
                )
                .await?;
            let plan = self
                .list_plans(&system)
                .await?
                .into_iter()
                .find(|p| p.first_year == "2017/18")
                .map(|p| p.id);
            let m18 = Money::from_pounds(18_000_000);
            let none = Percentage::ZERO;
            let thirty = Percentage::whole(30);
            // 2013/14–2016/17: one four-year commitment. Only 2013/14's £18m is stated; the
            // later years assume the same (the fund was "over £70 million" over four years).
            let assumed =
                "Assumed £18m: the seeds give the four-year fund as “over £70 million”".to_string();
            let first = self
                .create_period(
                    &system,
                    fund.id,
                    "2013/14–2016/17",
                    FundingPeriod::new(fy(2013), fy(2016)).map_err(anyhow::Error::from)?,
                    None,
                    &[
                        (
                            fy(2013),
                            m18,
                            none,
                            "£18 million pot (MOPAC press release, 7 November 2013)".into(),
                        ),
                        (fy(2014), m18, none, assumed.clone()),
                        (fy(2015), m18, none, assumed.clone()),
                        (fy(2016), m18, none, assumed),
                    ],
                )
                .await?;
            // 2017/18–2020/21: two two-year periods, £72m in all, 30% co-commissioning from 2018/19.
            let note =
                "£72m over four years (MOPAC, 2018); 30% to the Co-Commissioning Fund from 2018/19"
                    .to_string();
            let second = self
                .create_period(
                    &system,
                    fund.id,
                    "2017/18–2020/21",
                    FundingPeriod::new(fy(2017), fy(2018)).map_err(anyhow::Error::from)?,
                    plan,
                    &[
                        (fy(2017), m18, none, note.clone()),
                        (fy(2018), m18, thirty, note.clone()),
                    ],
                )
                .await?;
            self.create_period(
                &system,
                fund.id,
                "2017/18–2020/21",
                FundingPeriod::new(fy(2019), fy(2020)).map_err(anyhow::Error::from)?,
                plan,
                &[
                    (fy(2019), m18, thirty, note.clone()),
                    (fy(2020), m18, thirty, note),
                ],
            )
            .await?;

            // Bexley 2013/14: the sum of its grants in the MOPAC press release (seed 000).
            self.record_allocations(
                &system,
                first.id,
                "2013/14",
                &DecisionInput {
                    reference: "MOPAC press release, 7 November 2013".into(),
                    decided_on: "2013-11-07".into(),
                    decision_maker: "Deputy Mayor for Policing and Crime".into(),
                    summary: "Bexley's 2013/14 LCPF funding: the sum of its eight grants (DIP £67,677; Freedom Programme £20,000; Howbury Friends £17,000; Mediation £5,500; Neighbourhood Watch £12,850; Serious Acquisitive Crime £36,880; Reparation and ISS £25,000; St Giles Trust £25,000). The other boroughs' 2013/14 figures are not in the sources.".into(),
                    ..Default::default()
                },
                &[("E09000004".to_string(), Money::from_pounds(209_907))],
            )
            .await?;
            // Barking and Dagenham 2017/18: £644k, a £241k uplift (seed 002).
            self.record_allocations(
                &system,
                second.id,
                "2017/18",
                &DecisionInput {
                    reference: "LCPF 2017–21 notification, November 2016".into(),
                    decided_on: "2016-11-30".into(),
                    decision_maker: "Mayor and Deputy Mayor for Policing and Crime".into(),
                    summary: "Barking and Dagenham's 2017/18 allocation of £644,000, a £241,000 uplift, as its draft proposal states. The notification's day and the other boroughs' figures are not in the sources; the 30th is assumed.".into(),
                    ..Default::default()
                },
                &[("E09000002".to_string(), Money::from_pounds(644_000))],
            )
            .await?;

            // Barking and Dagenham 2016/17 follows from the same sentence: £644k less the £241k uplift.
            self.record_allocations(
                &system,
                first.id,
                "2016/17",
                &DecisionInput {
                    reference: "Derived from the 2017/18 notification".into(),
                    decided_on: "2013-11-07".into(),
                    decision_maker: "Deputy Mayor for Policing and Crime".into(),
                    summary: "Barking and Dagenham's 2016/17 allocation, derived: its 2017/18 allocation of £644,000 was “a £241k uplift”, so £403,000. Decided as part of the four-year commitment announced in November 2013; the other boroughs' figures are not in the sources.".into(),
                    ..Default::default()
                },
                &[("E09000002".to_string(), Money::from_pounds(403_000))],
            )
            .await?;

            // 2012/13: the Home Office's DIP money that MOPAC passported (seed 001).
            let dip = self
                .create_fund(
                    &system,
                    "Drug Interventions Programme (passported)",
                    "The Home Office portion of Drug Interventions Programme funding for London that MOPAC inherited in 2012/13 and passported to existing recipients, before the London Crime Prevention Fund.",
                    &[],
                )
                .await?;
            let year_2012 = self
                .add_period(
                    &system,
                    dip.id,
                    &crate::funds::PeriodInput {
                        round_name: "2012/13".into(),
                        first_year: "2012/13".into(),
                        last_year: "2012/13".into(),
                        plan_id: None,
                    },
                )
                .await?;
            let source =
                "Views on the Drug Interventions Programme from MOPAC (Roger Hadwen, MOPAC)";
            for (name, amount, recipient) in [
                (
                    "DIP: 40% of the 32 boroughs' DIP funding",
                    "£7,800,000",
                    "The 32 boroughs' DIP teams",
                ),
                (
                    "Drug testing on arrest",
                    "£4,900,000",
                    "Metropolitan Police Service",
                ),
            ] {
                self.add_stream(
                    &system,
                    year_2012.id,
                    &crate::funds::StreamInput {
                        year: "2012/13".into(),
                        name: name.into(),
                        amount: amount.into(),
                        recipient: recipient.into(),
                        note: source.into(),
                    },
                )
                .await?;
            }

            // Illustrative scenarios from real recorded crime, labelled as such.
            let illustrative = [
                (
                    first.id,
                    "2013/14",
                    "Illustrative: by recorded crime 2012/13",
                    "2012/13",
                ),
                (
                    second.id,
                    "2018/19",
                    "Illustrative: 70/30 split by recorded crime 2017/18",
                    "2017/18",
                ),
                (
                    second.id,
                    "2018/19",
                    "Illustrative: 70/30 split by recorded crime 2016/17",
                    "2016/17",
                ),
            ];
            for (period, year, name, crime_year) in illustrative {
                let indicators = vec![ScenarioIndicator {
                    dataset: format!("Recorded crime {crime_year}"),
                    weight: "100".into(),
                }];
                let input = ScenarioInput {
                    name: name.into(),
                    year: year.into(),
                    indicators,
                    illustrative: true,
                    ..Default::default()
                };
                self.create_scenario(&system, period, &input).await?;
            }
            self.load_demo_proposal(second.id).await
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

    pub const BARKING_AND_DAGENHAM: &str =
        include_str!("../../../data/demo/barking-and-dagenham-2017-18-proposal.json");

    #[derive(Deserialize)]
    pub struct DemoProposal {
        pub themes: Vec<String>,
        pub assumptions: Vec<String>,
        pub lines: Vec<ProposalLine>,
    }

    pub fn barking_and_dagenham() -> anyhow::Result<DemoProposal> {
        Ok(serde_json::from_str(BARKING_AND_DAGENHAM)?)
    }

    impl App {
        pub(crate) async fn load_demo_proposal(&self, period_id: i64) -> AppResult<()> {
            let system = Actor::System;
            let demo = barking_and_dagenham()?;
            let mut conn = self.db().pool().acquire().await?;
            let org = lcpf_store::queries::organisations::for_area(&mut conn, "E09000002")
                .await?
                .ok_or_else(|| AppError::NotFound("Barking and Dagenham's council".into()))?;
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
