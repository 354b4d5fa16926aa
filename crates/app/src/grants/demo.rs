//! The demo's grants: one for each Tranche 1 award, offered, accepted and started through
//! the same use cases as any other.

use lcpf_domain::grant::workflow::GrantEvent;

use super::MakeGrant;
use crate::{Actor, App, AppResult};

impl App {
    /// Makes and starts a grant for each award that has none.
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
                        conditions: "Subject to grant conditions and match-funding assurances. The grant is paid quarterly in arrears on an accepted claim; money cannot be carried into the next period. Onward funding to partners is recorded against the grant.".into(),
                    },
                )
                .await?;
            for event in [GrantEvent::Offer, GrantEvent::Accept, GrantEvent::Start] {
                self.grant_step(&system, id, event).await?;
            }
        }
        Ok(())
    }
}
