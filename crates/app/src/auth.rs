//! Signing in and out, sessions and API tokens.
//!
//! Passwords are hashed with argon2id. Session and API tokens are 256-bit random values;
//! only their SHA-256 hashes are stored, so a copy of the database does not let anyone in.
//! After [`MAX_FAILURES`] failed attempts for one address within [`FAILURE_WINDOW_MINUTES`],
//! or [`MAX_CLIENT_FAILURES`] from one client address across any e-mail addresses, sign-in is
//! paused until the oldest of those failures leaves the window, and each failure is answered
//! a little more slowly than the last.

use std::fmt;
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use lcpf_domain::{EmailAddress, FieldErrors};
use lcpf_store::queries::{auth as q, users};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::audit::{record, Change};
use crate::error::AppResult;
use crate::{Actor, App, AppError, CurrentUser};

pub const MAX_FAILURES: i64 = 5;
/// Failed attempts one client address may make in the window, across every e-mail address.
pub const MAX_CLIENT_FAILURES: i64 = 30;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 8;
pub const MIN_PASSWORD_LENGTH: usize = 10;

/// A password as typed. Its `Debug` output hides it, so it cannot reach a log by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(s: impl Into<String>) -> Password {
        Password(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks the length rule; the error names the field.
    pub fn validate(&self, field: &str) -> Result<(), FieldErrors> {
        let n = self.0.chars().count();
        if n < MIN_PASSWORD_LENGTH {
            Err(FieldErrors::single(
                field,
                format!("Password must be at least {MIN_PASSWORD_LENGTH} characters long"),
            ))
        } else if n > 200 {
            Err(FieldErrors::single(
                field,
                "Password must be 200 characters or fewer",
            ))
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

pub fn hash_password(password: &Password) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot hash password: {e}")))
}

fn verify_password(password: &Password, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// 256 bits from the operating system's random source (through rand's thread RNG, a CSPRNG).
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// A new random secret, URL-safe.
pub fn new_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes())
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// When sign-in may be tried again, if `failures` (newest first) has reached `limit`: the
/// moment the `limit`-th most recent failure leaves the window.
fn paused_until(failures: &[String], limit: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    let nth = failures.get(usize::try_from(limit).ok()?.checked_sub(1)?)?;
    let at = chrono::DateTime::parse_from_rfc3339(nth).ok()?;
    Some(at.with_timezone(&chrono::Utc) + chrono::Duration::minutes(FAILURE_WINDOW_MINUTES))
}

fn minutes_from_now(minutes: i64) -> String {
    lcpf_store::db::timestamp(chrono::Utc::now() + chrono::Duration::minutes(minutes))
}

/// Turns taken by key (an address, a client): holders of the same key go one at a time.
/// In-process, like the one server that answers sign-ins; entries go when nobody waits.
#[derive(Debug, Default)]
pub struct Turns {
    keys:
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds a turn until dropped.
pub struct Turn {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Turns {
    pub async fn turn(&self, key: &str) -> Turn {
        let lock = {
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            // Forget keys nobody holds or waits for, so the map stays small.
            keys.retain(|_, l| std::sync::Arc::strong_count(l) > 1);
            keys.entry(key.to_string()).or_default().clone()
        };
        Turn {
            _guard: lock.lock_owned().await,
        }
    }
}

/// A session just begun: the cookie value and the token forms must carry.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

/// A live session.
pub struct Session {
    pub user: CurrentUser,
    pub csrf_token: String,
}

impl App {
    /// Signs in with an e-mail address and password. A wrong address and a wrong password get
    /// the same answer, so the form does not tell anyone which addresses exist.
    ///
    /// Attempts for one address, and from one client address (`client`, the caller's network
    /// address), take turns: each counts the failures before it, then checks its password and
    /// records the outcome. Of any number of parallel guesses at most [`MAX_FAILURES`] are
    /// checked per address and [`MAX_CLIENT_FAILURES`] per client, so neither guessing in
    /// parallel nor spraying one password across many addresses gets past the pause, while
    /// right passwords signed in at once all succeed.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &Password,
        client: &str,
    ) -> AppResult<(CurrentUser, NewSession)> {
        let mut errors = FieldErrors::new();
        if email.trim().is_empty() {
            errors.add("email", "Enter your email address");
        } else if let Err(e) = lcpf_domain::field::check_text(email, 320) {
            errors.add("email", format!("Email address {e}"));
        }
        if password.expose().is_empty() {
            errors.add("password", "Enter your password");
        } else if password.expose().chars().count() > 200 || password.expose().contains('\0') {
            // Longer than any password we accept: refused without the cost of hashing it.
            errors.add("email", "Enter a correct email address and password");
        }
        errors.into_result()?;
        let email = email.trim().to_lowercase();
        // Attempts for one address, and attempts from one client, are checked one at a time:
        // each sees every earlier attempt's outcome before its own password is checked, so
        // parallel guesses cannot slip past the count.
        let _client_turn = self.sign_in_turns.turn(&format!("client:{client}")).await;
        let _email_turn = self.sign_in_turns.turn(&format!("email:{email}")).await;
        let since = minutes_from_now(-FAILURE_WINDOW_MINUTES);
        let (by_email, by_client) = {
            let mut conn = self.db().pool().acquire().await?;
            (
                q::recent_failures_for_email(&mut conn, &email, &since, MAX_FAILURES).await?,
                q::recent_failures_from_client(&mut conn, client, &since, MAX_CLIENT_FAILURES)
                    .await?,
            )
        };
        let paused_until = [
            paused_until(&by_email, MAX_FAILURES),
            paused_until(&by_client, MAX_CLIENT_FAILURES),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(until) = paused_until {
            self.record_attempt(&email, client, q::AttemptOutcome::Refused)
                .await?;
            let retry_after_secs = (until - chrono::Utc::now()).num_seconds().max(1) as u64;
            return Err(AppError::TooManyAttempts {
                retry_after_secs,
                until: until.to_rfc3339(),
            });
        }
        // The password is checked off the async workers and outside any transaction:
        // argon2 takes tens of milliseconds of CPU on purpose.
        let found = {
            let mut conn = self.db().pool().acquire().await?;
            users::credentials(&mut conn, &email).await?
        };
        let password = password.clone();
        let user = tokio::task::spawn_blocking(move || match found {
            Some((user, hash)) if !user.disabled && verify_password(&password, &hash) => Some(user),
            Some(_) => None,
            None => {
                // Spend the same effort as a real check, so timing does not reveal the address.
                let _ = hash_password(&password);
                None
            }
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password check failed: {e}")))?;
        let Some(user) = user else {
            self.record_attempt(&email, client, q::AttemptOutcome::Failed)
                .await?;
            // Each failure in the window is answered more slowly: 200 ms, 400 ms, … up to 1 s.
            let delay = 200 * (by_email.len() as u64 + 1).min(5);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            return Err(AppError::Invalid({
                let mut e = FieldErrors::new();
                e.add("email", "Enter a correct email address and password");
                e
            }));
        };
        let now = lcpf_store::now();
        let mut tx = self.db().begin().await?;
        q::record_attempt(&mut tx, &email, client, &now, q::AttemptOutcome::Succeeded).await?;
        q::delete_expired_sessions(&mut tx, &now).await?;
        let session = NewSession {
            token: new_secret(),
            csrf_token: new_secret(),
        };
        q::insert_session(
            &mut tx,
            &hash_token(&session.token),
            user.id,
            &session.csrf_token,
            &now,
            &minutes_from_now(SESSION_HOURS * 60),
        )
        .await?;
        let current = CurrentUser::try_from(user)?;
        record::<(), ()>(
            &mut tx,
            &Actor::User(current.clone()),
            Change {
                action: "session.sign_in",
                entity_type: "user",
                entity_id: current.id.to_string(),
                summary: format!("{} signed in", current.email),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok((current, session))
    }

    /// Records an attempt that opened no session (a session's own attempt is recorded in
    /// its transaction).
    async fn record_attempt(
        &self,
        email: &str,
        client: &str,
        outcome: q::AttemptOutcome,
    ) -> AppResult<()> {
        let mut conn = self.db().pool().acquire().await?;
        q::record_attempt(&mut conn, email, client, &lcpf_store::now(), outcome).await?;
        Ok(())
    }

    /// The user behind a session cookie, if the session is live and the user not disabled.
    pub async fn session(&self, token: &str) -> AppResult<Option<Session>> {
        let mut conn = self.db().pool().acquire().await?;
        let Some(row) = q::live_session(&mut conn, &hash_token(token), &lcpf_store::now()).await?
        else {
            return Ok(None);
        };
        let Some(user) = users::get(&mut conn, row.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Session {
            user: user.try_into()?,
            csrf_token: row.csrf_token,
        }))
    }

    pub async fn sign_out(&self, actor: &Actor, token: &str) -> AppResult<()> {
        let mut tx = self.db().begin().await?;
        q::delete_session(&mut tx, &hash_token(token)).await?;
        if let Some(user) = actor.user() {
            record::<(), ()>(
                &mut tx,
                actor,
                Change {
                    action: "session.sign_out",
                    entity_type: "user",
                    entity_id: user.id.to_string(),
                    summary: format!("{} signed out", user.email),
                    before: None,
                    after: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The user behind an API bearer token.
    pub async fn token_user(&self, token: &str) -> AppResult<Option<CurrentUser>> {
        let mut conn = self.db().pool().acquire().await?;
        let Some(user_id) = q::use_token(&mut conn, &hash_token(token), &lcpf_store::now()).await?
        else {
            return Ok(None);
        };
        match users::get(&mut conn, user_id).await? {
            Some(u) if !u.disabled => Ok(Some(u.try_into()?)),
            _ => Ok(None),
        }
    }

    /// The signed-in person's own API tokens, newest first (revoked ones too, marked).
    pub async fn own_tokens(&self, actor: &Actor) -> AppResult<Vec<q::ApiToken>> {
        let Some(user_id) = actor.user_id() else {
            return Err(AppError::Unauthenticated);
        };
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::tokens_of(&mut conn, user_id).await?)
    }

    /// Everyone's live API tokens, newest first (funder admins).
    pub async fn live_tokens(&self, actor: &Actor) -> AppResult<Vec<q::ApiToken>> {
        crate::access::authorise(actor, crate::access::Permission::ManageUsers)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(q::live_tokens(&mut conn).await?)
    }

    /// Creates an API token for the signed-in person, named by what it is for. Returns the
    /// token, shown this once and never again.
    pub async fn create_own_token(&self, actor: &Actor, label: &str) -> AppResult<String> {
        let Some(user) = actor.user() else {
            return Err(AppError::Unauthenticated);
        };
        let label = lcpf_domain::field::required_text(label, "what the token is for", 100)
            .map_err(|e| AppError::invalid("label", e))?;
        let email = user.email.to_string();
        self.create_token(actor, &email, &label).await
    }

    /// Revokes an API token: its owner, or a funder admin (and the operator's CLI). A revoked
    /// token stops working at once; revoking it again changes nothing.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> AppResult<q::ApiToken> {
        let mut tx = self.db().begin().await?;
        let token = q::token(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The API token".into()))?;
        if actor.user_id() != Some(token.user_id) {
            // Someone else's token: only an admin may, and others are not told it exists.
            if !crate::access::may(actor, crate::access::Permission::ManageUsers) {
                return Err(AppError::NotFound("The API token".into()));
            }
        }
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        q::revoke_token(&mut tx, id, &lcpf_store::now()).await?;
        let after = q::token(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("The API token".into()))?;
        record(
            &mut tx,
            actor,
            Change {
                action: "api_token.revoke",
                entity_type: "api_token",
                entity_id: id.to_string(),
                summary: format!("API token “{}” of {} revoked", token.label, token.email),
                before: Some(&token),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Creates an API token for a user and returns it: the only time it is ever shown.
    /// A funder admin (or the operator's CLI) may create one for anyone; users for themselves.
    pub async fn create_token(&self, actor: &Actor, email: &str, label: &str) -> AppResult<String> {
        let email = EmailAddress::parse(email).map_err(|e| AppError::invalid("email", e))?;
        let mut tx = self.db().begin().await?;
        let user = users::find_by_email(&mut tx, email.as_str())
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "email",
                    format!("There is no user with the email address {email}"),
                )
            })?;
        if actor.user_id() != Some(user.id) {
            crate::access::authorise(actor, crate::access::Permission::ManageUsers)?;
        }
        if user.disabled {
            return Err(AppError::invalid(
                "email",
                format!("{email} is disabled: enable the user first"),
            ));
        }
        let token = format!("lcpf_{}", new_secret());
        let label = if label.trim().is_empty() {
            "API token"
        } else {
            label.trim()
        };
        let id = q::insert_token(
            &mut tx,
            &hash_token(&token),
            user.id,
            label,
            &lcpf_store::now(),
        )
        .await?;
        record::<(), serde_json::Value>(
            &mut tx,
            actor,
            Change {
                action: "api_token.create",
                entity_type: "api_token",
                entity_id: id.to_string(),
                summary: format!("API token “{label}” created for {email}"),
                before: None,
                after: Some(&serde_json::json!({ "user_id": user.id, "label": label })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let p = Password::new("correct horse battery");
        let h = hash_password(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&p, &h));
        assert!(!verify_password(&Password::new("wrong password!"), &h));
        assert!(!verify_password(&p, "not a hash"));
    }

    #[test]
    fn password_debug_hides_it() {
        assert_eq!(
            format!("{:?}", Password::new("secret-secret")),
            "Password(***)"
        );
        assert!(Password::new("short").validate("password").is_err());
        assert!(Password::new("long enough password")
            .validate("password")
            .is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
