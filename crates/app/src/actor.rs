//! Who is doing something.

use lcpf_domain::Role;
use serde::Serialize;
use utoipa::ToSchema;

/// A signed-in user, as the rest of the application sees them.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    /// For a borough officer: the ONS code of their borough.
    pub area_code: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Actor {
    /// Nobody signed in: public pages only.
    Anonymous,
    /// The product itself (migrations, reference data, operator CLI commands).
    System,
    User(CurrentUser),
}

impl Actor {
    pub fn user(&self) -> Option<&CurrentUser> {
        match self {
            Actor::User(u) => Some(u),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.user().map(|u| u.role)
    }

    /// How the audit log names this actor.
    pub fn label(&self) -> String {
        match self {
            Actor::Anonymous => "anonymous".into(),
            Actor::System => "system".into(),
            Actor::User(u) => u.email.clone(),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user().map(|u| u.id)
    }
}

impl TryFrom<lcpf_store::queries::users::User> for CurrentUser {
    type Error = anyhow::Error;
    fn try_from(u: lcpf_store::queries::users::User) -> anyhow::Result<Self> {
        Ok(CurrentUser {
            id: u.id,
            role: Role::parse(&u.role).map_err(anyhow::Error::msg)?,
            email: u.email,
            name: u.name,
            organisation_id: u.organisation_id,
            organisation_name: u.organisation_name,
            area_code: u.area_code,
        })
    }
}
