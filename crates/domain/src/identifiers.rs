//! Identifiers the fund uses, parsed once so that a value that exists is valid.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A GSS code from the Office for National Statistics, e.g. `E09000002` (Barking and Dagenham).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnsCode(String);

impl OnsCode {
    pub fn parse(text: &str) -> Result<OnsCode, String> {
        let t = text.trim().to_ascii_uppercase();
        let ok = t.len() == 9
            && t.as_bytes()[0].is_ascii_uppercase()
            && t[1..].chars().all(|c| c.is_ascii_digit());
        if ok {
            Ok(OnsCode(t))
        } else {
            Err(format!(
                "“{}” is not an ONS code: it is a letter and eight digits, for example E09000002",
                text.trim()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OnsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An org-id (org-id.guide): a register prefix and the identifier within it,
/// e.g. `GB-LAE-BDG` (a local authority), `GB-CHC-216250` (a charity), `GB-COH-01234567`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgId(String);

impl OrgId {
    pub fn parse(text: &str) -> Result<OrgId, String> {
        let t = text.trim();
        let parts: Vec<&str> = t.splitn(3, '-').collect();
        let ok = parts.len() == 3
            && parts[0].len() == 2
            && parts[0].chars().all(|c| c.is_ascii_uppercase())
            && !parts[1].is_empty()
            && parts[1].chars().all(|c| c.is_ascii_uppercase())
            && !parts[2].is_empty()
            && parts[2]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(OrgId(t.to_string()))
        } else {
            Err(format!(
                "“{t}” is not an org-id: write the country, the register and the identifier, for example GB-CHC-216250 or GB-LAE-BDG"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A work e-mail address, kept in lower case so it identifies one user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, String> {
        let t = text.trim().to_lowercase();
        let valid = match t.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !t
                        .chars()
                        .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
                    && !domain.contains('@')
                    && t.len() <= 254
            }
            None => false,
        };
        if t.is_empty() {
            Err("Enter an email address".to_string())
        } else if valid {
            Ok(EmailAddress(t))
        } else {
            Err(format!(
                "“{}” is not an email address: write it like name@example.org",
                text.trim()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an organisation is to the fund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// MOPAC, which holds and distributes the fund.
    Funder,
    /// A London borough council.
    Borough,
    /// A charity, voluntary-sector body or company delivering services.
    Provider,
    /// The Metropolitan Police Service.
    Police,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 4] = [
        OrganisationKind::Funder,
        OrganisationKind::Borough,
        OrganisationKind::Provider,
        OrganisationKind::Police,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrganisationKind::Funder => "funder",
            OrganisationKind::Borough => "borough",
            OrganisationKind::Provider => "provider",
            OrganisationKind::Police => "police",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrganisationKind::Funder => "Funder",
            OrganisationKind::Borough => "Borough",
            OrganisationKind::Provider => "Provider",
            OrganisationKind::Police => "Police",
        }
    }

    pub fn parse(text: &str) -> Result<OrganisationKind, String> {
        let t = text.trim().to_ascii_lowercase();
        OrganisationKind::ALL
            .into_iter()
            .find(|k| k.code() == t)
            .ok_or_else(|| format!("“{}” is not a kind of organisation: choose funder, borough, provider or police", text.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ons_codes() {
        assert_eq!(OnsCode::parse(" e09000002 ").unwrap().as_str(), "E09000002");
        assert!(OnsCode::parse("E0900002").is_err());
        assert!(OnsCode::parse("09000002X").is_err());
    }

    #[test]
    fn org_ids() {
        assert!(OrgId::parse("GB-LAE-BDG").is_ok());
        assert!(OrgId::parse("GB-CHC-216250").is_ok());
        assert!(OrgId::parse("GB-COH-SC-123").is_ok());
        for bad in ["GB-", "216250", "gb-chc-1", "GB-CHC-", "GBR-CHC-1"] {
            assert!(
                OrgId::parse(bad).unwrap_err().contains("GB-CHC-216250"),
                "{bad}"
            );
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            EmailAddress::parse(" Officer@LBBD.gov.uk ")
                .unwrap()
                .as_str(),
            "officer@lbbd.gov.uk"
        );
        for bad in [
            "officer",
            "a@b",
            "@x.org",
            "a b@x.org",
            "a@x.org.",
            "a@@x.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            EmailAddress::parse(""),
            Err("Enter an email address".into())
        );
    }

    #[test]
    fn organisation_kinds() {
        for k in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(k.code()), Ok(k));
        }
        assert!(OrganisationKind::parse("club").is_err());
    }
}
