//! People by name. Records keep who acted as their e-mail address (exact, and what the audit
//! filter takes); pages say who by name, with their organisation, the GOV.UK way.

use std::collections::HashMap;

use lcpf_store::AnyConnection;
use serde::Serialize;

use crate::error::AppResult;

/// Everyone who can have acted, by e-mail address: one read per page, whatever it shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct People {
    by_email: HashMap<String, Person>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub name: String,
    pub organisation: Option<String>,
}

impl People {
    /// `Jo Bloggs (Barking and Dagenham)` for a known address; the product itself as
    /// "LCPF (system)"; anything else as it was recorded.
    pub fn of(&self, who: &str) -> String {
        match (who, self.by_email.get(&who.to_lowercase())) {
            (_, Some(p)) => match &p.organisation {
                Some(org) => format!("{} ({org})", p.name),
                None => p.name.clone(),
            },
            ("system", None) => "LCPF (system)".into(),
            (other, None) => other.to_string(),
        }
    }

    /// Just the name, or the address when the person is not known.
    pub fn name(&self, who: &str) -> String {
        self.by_email
            .get(&who.to_lowercase())
            .map(|p| p.name.clone())
            .unwrap_or_else(|| who.to_string())
    }

    pub fn from_users(users: impl IntoIterator<Item = lcpf_store::queries::users::User>) -> Self {
        People {
            by_email: users
                .into_iter()
                .map(|u| {
                    (
                        u.email.to_lowercase(),
                        Person {
                            name: u.name,
                            organisation: u.organisation_name,
                        },
                    )
                })
                .collect(),
        }
    }
}

impl crate::App {
    /// Who acted, by name, for pages that show records of who did what. Anyone who may
    /// read the fund's records may see the names of the officers behind them.
    pub async fn people(&self, actor: &crate::Actor) -> AppResult<People> {
        crate::access::authorise(actor, crate::access::Permission::ViewReferenceData)?;
        let mut conn = self.db().pool().acquire().await?;
        people(&mut conn).await
    }
}

/// Reads everyone once (users are tens or hundreds, not thousands).
pub(crate) async fn people(conn: &mut AnyConnection) -> AppResult<People> {
    Ok(People::from_users(
        lcpf_store::queries::users::list(conn, None).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str, name: &str, org: Option<&str>) -> lcpf_store::queries::users::User {
        lcpf_store::queries::users::User {
            id: 1,
            email: email.into(),
            name: name.into(),
            role: "borough_officer".into(),
            organisation_id: None,
            organisation_name: org.map(Into::into),
            organisation_kind: None,
            area_code: None,
            disabled: false,
            created_at: String::new(),
        }
    }

    #[test]
    fn people_are_named_with_their_organisation() {
        let people = People::from_users([
            user(
                "officer@lbbd.example",
                "Sam Patel",
                Some("Barking and Dagenham"),
            ),
            user("admin@mopac.example", "Alex Grant", None),
        ]);
        assert_eq!(
            people.of("Officer@LBBD.example"),
            "Sam Patel (Barking and Dagenham)"
        );
        assert_eq!(people.of("admin@mopac.example"), "Alex Grant");
        assert_eq!(people.of("system"), "LCPF (system)");
        assert_eq!(people.of("left@example.org"), "left@example.org");
        assert_eq!(people.name("officer@lbbd.example"), "Sam Patel");
    }
}
