//! What can go wrong in a use case, in terms a handler can turn into the right response.

use lcpf_domain::FieldErrors;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    /// Nobody is signed in, and the operation needs someone to be.
    #[error("sign in to continue")]
    Unauthenticated,
    /// Signed in, but this user may not do this. The message says why.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (or this user may not know that it does).
    #[error("{0} was not found")]
    NotFound(String),
    /// What was entered is wrong; each error names its field and what is allowed.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Too many failed sign-in attempts; try again after this many seconds (at `until`, an
    /// RFC 3339 time).
    #[error("too many failed attempts to sign in: wait {retry_after_secs} seconds and try again")]
    TooManyAttempts {
        retry_after_secs: u64,
        until: String,
    },
    /// Someone else changed the record after it was read; nothing was saved. `changes` says
    /// what changed since, oldest first.
    #[error("{message}")]
    Conflict {
        message: String,
        changes: Vec<String>,
    },
    /// Something the service depends on (the file store) does not answer now; nothing was
    /// changed and the same request may be sent again later.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected: logged with its cause, shown as a plain error.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(FieldErrors::single(field, message))
    }
}

pub type AppResult<T> = Result<T, AppError>;
