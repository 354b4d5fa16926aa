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
        Ok(())
    }
}
