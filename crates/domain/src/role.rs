//! The roles a named user can hold, and what each role is tied to.
//!
//! The rules about *what* each role may do live in the application layer's `access` module;
//! this type only knows the roles and which of them belong to one organisation.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sets up funds and reference data, manages users, reads the audit log.
    FunderAdmin,
    /// Reviews proposals and bids, awards grants, pays.
    FunderOfficer,
    /// A community-safety officer of one borough: sees and changes only that borough's data.
    BoroughOfficer,
    /// A charity or company delivering services: its own grants only.
    Provider,
    /// Scores the bids assigned to them.
    Assessor,
    /// Reads reports and dashboards.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::FunderAdmin,
        Role::FunderOfficer,
        Role::BoroughOfficer,
        Role::Provider,
        Role::Assessor,
        Role::Viewer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::FunderAdmin => "funder_admin",
            Role::FunderOfficer => "funder_officer",
            Role::BoroughOfficer => "borough_officer",
            Role::Provider => "provider",
            Role::Assessor => "assessor",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::FunderAdmin => "Funder admin",
            Role::FunderOfficer => "Funder officer",
            Role::BoroughOfficer => "Borough officer",
            Role::Provider => "Provider",
            Role::Assessor => "Assessor",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        let t = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Role::ALL
            .into_iter()
            .find(|r| r.code() == t)
            .ok_or_else(|| {
                format!(
                    "“{}” is not a role: choose one of {}",
                    text.trim(),
                    Role::ALL.map(|r| r.code()).join(", ")
                )
            })
    }

    /// Funder staff work across all boroughs.
    pub fn is_funder(self) -> bool {
        matches!(self, Role::FunderAdmin | Role::FunderOfficer)
    }

    /// The kind of organisation a user with this role must belong to, if any.
    pub fn required_organisation_kind(self) -> Option<crate::OrganisationKind> {
        match self {
            Role::FunderAdmin | Role::FunderOfficer => Some(crate::OrganisationKind::Funder),
            Role::BoroughOfficer => Some(crate::OrganisationKind::Borough),
            Role::Provider => Some(crate::OrganisationKind::Provider),
            Role::Assessor | Role::Viewer => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_codes_and_labels() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Ok(r));
            assert_eq!(Role::parse(r.label()), Ok(r));
        }
        let e = Role::parse("superuser").unwrap_err();
        assert!(e.contains("borough_officer"), "{e}");
    }

    #[test]
    fn organisation_ties() {
        assert_eq!(
            Role::BoroughOfficer.required_organisation_kind(),
            Some(crate::OrganisationKind::Borough)
        );
        assert_eq!(Role::Viewer.required_organisation_kind(), None);
        assert!(Role::FunderOfficer.is_funder() && !Role::BoroughOfficer.is_funder());
    }
}
