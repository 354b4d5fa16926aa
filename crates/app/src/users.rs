//! Named users: added, listed, disabled and given new passwords by a funder admin
//! (or by the operator's CLI, acting as the system).

use lcpf_domain::{field::required_text, EmailAddress, FieldErrors, OrganisationKind, Role};
use lcpf_store::queries::{auth, organisations, users as q};

use crate::access::{authorise, Permission};
use crate::audit::{record, Change};
use crate::auth::{hash_password, Password};
use crate::error::AppResult;
use crate::{Actor, App, AppError, User};

/// A new user as entered. `organisation` is a name, an org-id or an internal id.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub password: Option<Password>,
}

impl App {
    pub async fn list_users(&self, actor: &Actor) -> AppResult<Vec<User>> {
        authorise(actor, Permission::ManageUsers)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::list(&mut conn, None).await?)
    }

    /// The people of one organisation: funder staff, or the organisation's own users.
    pub async fn organisation_people(
        &self,
        actor: &Actor,
        organisation_id: i64,
    ) -> AppResult<Vec<User>> {
        authorise(
            actor,
            Permission::ViewOrganisationPeople { organisation_id },
        )?;
        let mut conn = self.db().pool().acquire().await?;
        organisations::get(&mut conn, organisation_id)
            .await?
            .ok_or_else(|| AppError::NotFound("The organisation".into()))?;
        Ok(q::list(&mut conn, Some(organisation_id)).await?)
    }

    pub async fn get_user(&self, actor: &Actor, id: i64) -> AppResult<User> {
        authorise(actor, Permission::ManageUsers)?;
        let mut conn = self.db().pool().acquire().await?;
        q::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The user".into()))
    }

    pub async fn add_user(&self, actor: &Actor, input: &NewUserInput) -> AppResult<User> {
        authorise(actor, Permission::ManageUsers)?;
        let mut errors = FieldErrors::new();
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let name = errors.check(
            "name",
            required_text(&input.name, "the person's full name", 200),
        );
        let role = errors.check("role", Role::parse(&input.role));
        match &input.password {
            Some(p) => {
                if let Err(e) = p.validate("password") {
                    errors.add(
                        "password",
                        e.iter()
                            .next()
                            .map(|e| e.message.clone())
                            .unwrap_or_default(),
                    );
                }
            }
            None => errors.add("password", "Enter a password"),
        }
        let mut tx = self.db().begin().await?;
        let organisation = match input.organisation.trim() {
            "" => None,
            text => {
                let found = match text.parse::<i64>() {
                    Ok(id) => organisations::get(&mut tx, id).await?,
                    Err(_) => match organisations::find_by_name(&mut tx, text).await? {
                        Some(o) => Some(o),
                        None => organisations::list(&mut tx, None)
                            .await?
                            .into_iter()
                            .find(|o| {
                                o.org_id
                                    .as_deref()
                                    .is_some_and(|id| id.eq_ignore_ascii_case(text))
                            }),
                    },
                };
                if found.is_none() {
                    errors.add("organisation", format!("There is no organisation called “{text}”: use its name, org-id or number from the organisations list"));
                }
                found
            }
        };
        if let Some(role) = role {
            match (role.required_organisation_kind(), &organisation) {
                (Some(kind), None) if errors.for_field("organisation").is_none() => errors.add(
                    "organisation",
                    format!(
                        "A {} must belong to a {} organisation: choose one",
                        role.label().to_lowercase(),
                        kind.label().to_lowercase()
                    ),
                ),
                (Some(kind), Some(org)) if org.kind != kind.code() => errors.add(
                    "organisation",
                    format!(
                        "A {} must belong to a {} organisation, and {} is a {}",
                        role.label().to_lowercase(),
                        kind.label().to_lowercase(),
                        org.name,
                        OrganisationKind::parse(&org.kind)
                            .map(|k| k.label().to_lowercase())
                            .unwrap_or_else(|_| org.kind.clone())
                    ),
                ),
                _ => {}
            }
        }
        if let Some(email) = &email {
            if q::find_by_email(&mut tx, email.as_str()).await?.is_some() {
                errors.add(
                    "email",
                    format!("A user with the email address {email} already exists"),
                );
            }
        }
        errors.into_result()?;
        let (Some(email), Some(name), Some(role), Some(password)) =
            (email, name, role, &input.password)
        else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "validated user input is incomplete"
            )));
        };
        let hash = hash_password(password)?;
        let id = q::insert(
            &mut tx,
            &q::NewUser {
                email: email.as_str(),
                name: &name,
                role: role.code(),
                organisation_id: organisation.as_ref().map(|o| o.id),
                password_hash: &hash,
            },
            &lcpf_store::now(),
        )
        .await?;
        let user = q::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user vanished")))?;
        record::<(), User>(
            &mut tx,
            actor,
            Change {
                action: "user.add",
                entity_type: "user",
                entity_id: id.to_string(),
                summary: format!("{} added as {}", user.email, role.label().to_lowercase()),
                before: None,
                after: Some(&user),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Disables or re-enables a user. Disabling ends their sessions at once.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        id: i64,
        disabled: bool,
    ) -> AppResult<User> {
        authorise(actor, Permission::ManageUsers)?;
        if disabled && actor.user_id() == Some(id) {
            return Err(AppError::Forbidden(
                "You cannot disable yourself: ask another funder admin".into(),
            ));
        }
        let mut tx = self.db().begin().await?;
        let before = q::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The user".into()))?;
        q::set_disabled(&mut tx, id, disabled, &lcpf_store::now()).await?;
        if disabled {
            auth::delete_sessions_of(&mut tx, id).await?;
        }
        let after = q::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The user".into()))?;
        record(
            &mut tx,
            actor,
            Change {
                action: if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                entity_type: "user",
                entity_id: id.to_string(),
                summary: format!(
                    "{} {}",
                    after.email,
                    if disabled { "disabled" } else { "enabled" }
                ),
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a new password and ends the user's sessions.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: i64,
        password: &Password,
    ) -> AppResult<User> {
        authorise(actor, Permission::ManageUsers)?;
        password.validate("password")?;
        let hash = hash_password(password)?;
        let mut tx = self.db().begin().await?;
        let user = q::get(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The user".into()))?;
        q::set_password_hash(&mut tx, id, &hash, &lcpf_store::now()).await?;
        auth::delete_sessions_of(&mut tx, id).await?;
        record::<(), ()>(
            &mut tx,
            actor,
            Change {
                action: "user.reset_password",
                entity_type: "user",
                entity_id: id.to_string(),
                summary: format!("password reset for {}", user.email),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Finds a user by e-mail address, for the CLI.
    pub async fn find_user(&self, actor: &Actor, email: &str) -> AppResult<User> {
        authorise(actor, Permission::ManageUsers)?;
        let email = EmailAddress::parse(email).map_err(|e| AppError::invalid("email", e))?;
        let mut conn = self.db().pool().acquire().await?;
        q::find_by_email(&mut conn, email.as_str())
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "email",
                    format!("There is no user with the email address {email}"),
                )
            })
    }
}
