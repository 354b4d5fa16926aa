//! Sessions, API tokens and sign-in attempts. Only hashes of secrets are stored.

use sqlx::{AnyConnection, Row};

pub struct SessionRow {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: String,
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    now: &str,
    expires_at: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A session that has not expired.
pub async fn live_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> sqlx::Result<Option<SessionRow>> {
    let row = sqlx::query("SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(SessionRow {
            user_id: r.try_get("user_id")?,
            csrf_token: r.try_get("csrf_token")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (when disabled or their password is reset).
pub async fn delete_sessions_of(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(conn: &mut AnyConnection, now: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    label: &str,
    now: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(token_hash)
        .bind(user_id)
        .bind(label)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// The user a live (unrevoked) token belongs to; marks the token used.
pub async fn use_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> sqlx::Result<Option<i64>> {
    let user: Option<i64> = sqlx::query_scalar(
        "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    if user.is_some() {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
            .execute(conn)
            .await?;
    }
    Ok(user)
}

/// How a sign-in attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    Failed = 0,
    Succeeded = 1,
    /// Refused unchecked while sign-in was paused; not counted as a failure.
    Refused = 2,
}

pub async fn record_attempt(
    conn: &mut AnyConnection,
    email: &str,
    client: &str,
    now: &str,
    outcome: AttemptOutcome,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_attempts (email, client, at, succeeded) VALUES ($1, $2, $3, $4)",
    )
    .bind(email)
    .bind(client)
    .bind(now)
    .bind(outcome as i64)
    .execute(conn)
    .await?;
    Ok(())
}

/// The times of the most recent failed attempts for an address since `since` and after its
/// last success, newest first, at most `limit` of them.
pub async fn recent_failures_for_email(
    conn: &mut AnyConnection,
    email: &str,
    since: &str,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    let last_success: Option<String> = sqlx::query_scalar(
        "SELECT MAX(at) FROM sign_in_attempts WHERE email = $1 AND succeeded = 1",
    )
    .bind(email)
    .fetch_one(&mut *conn)
    .await?;
    let from = match last_success {
        Some(s) if s.as_str() > since => s,
        _ => since.to_string(),
    };
    sqlx::query_scalar(
        "SELECT at FROM sign_in_attempts WHERE email = $1 AND succeeded = 0 AND at >= $2 ORDER BY at DESC LIMIT $3",
    )
    .bind(email)
    .bind(&from)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The times of the most recent failed attempts from one client address since `since`,
/// whichever e-mail addresses they tried, newest first, at most `limit` of them.
pub async fn recent_failures_from_client(
    conn: &mut AnyConnection,
    client: &str,
    since: &str,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT at FROM sign_in_attempts WHERE client = $1 AND succeeded = 0 AND at >= $2 ORDER BY at DESC LIMIT $3",
    )
    .bind(client)
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// An API token as its owner and admins see it: never the secret, which is kept only hashed.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    /// The owner's sign-in e-mail.
    pub email: String,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

const TOKEN_SELECT: &str = "SELECT t.id, t.user_id, u.email, t.label, t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn map_token(r: sqlx::any::AnyRow) -> sqlx::Result<ApiToken> {
    use sqlx::Row;
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        label: r.try_get("label")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// One user's tokens, newest first, revoked ones included.
pub async fn tokens_of(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<Vec<ApiToken>> {
    sqlx::query(&format!(
        "{TOKEN_SELECT} WHERE t.user_id = $1 ORDER BY t.id DESC"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map_token)
    .collect()
}

/// Everyone's tokens that are not revoked, newest first (for admins).
pub async fn live_tokens(conn: &mut AnyConnection) -> sqlx::Result<Vec<ApiToken>> {
    sqlx::query(&format!(
        "{TOKEN_SELECT} WHERE t.revoked_at IS NULL ORDER BY t.id DESC"
    ))
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(map_token)
    .collect()
}

pub async fn token(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<ApiToken>> {
    sqlx::query(&format!("{TOKEN_SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(map_token)
        .transpose()
}

/// Revokes a token; a token already revoked keeps its first revocation time.
pub async fn revoke_token(conn: &mut AnyConnection, id: i64, now: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
