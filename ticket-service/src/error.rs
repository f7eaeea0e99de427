//! The service's one error type. Services return it; `http::error` is the one place it
//! becomes a response (an HTML page or JSON), so nothing here knows about HTTP beyond the
//! status code each case stands for.

use crate::domain::FieldError;
use crate::store::StoreError;
use std::collections::BTreeMap;
use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not logged in.
    #[error("authentication required")]
    Unauthorized,
    /// Logged in, but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// Logged in, but not allowed to do this now, for a reason the user is told (a
    /// maintenance contract that has ended).
    #[error("not allowed: {0}")]
    NotAllowed(FieldError),
    /// The request contradicts the current state (a reply to a closed ticket, a change
    /// that someone else made first); the message says what happened.
    #[error("conflict: {0}")]
    Conflict(FieldError),
    /// The request body is larger than this route accepts.
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: u64 },
    #[error("not found")]
    NotFound,
    /// Input that breaks a rule; field name → problem.
    #[error("invalid input: {}", fields(.errors))]
    Validation {
        errors: BTreeMap<String, FieldError>,
    },
    /// Rate limited; the client may retry after the given time.
    #[error("too many requests; retry after {retry_after:?}")]
    TooManyRequests { retry_after: Duration },
    /// A service the request needs is not there (the knowledge base is not built yet).
    #[error("service unavailable")]
    Unavailable,
    /// Too much expensive work (password hashing) is running and waiting already; the
    /// client may retry after the given time.
    #[error("busy; retry after {retry_after:?}")]
    Busy { retry_after: Duration },
    /// A POST without a valid CSRF token.
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// Unknown account or wrong password: deliberately one case, so the answer does not
    /// tell which.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("{0}")]
    Store(StoreError),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

fn fields(errors: &BTreeMap<String, FieldError>) -> String {
    errors
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    /// A validation error on one field.
    pub fn validation(field: &str, error: FieldError) -> Error {
        Error::Validation {
            errors: BTreeMap::from([(field.to_string(), error)]),
        }
    }

    /// The HTTP status this case stands for.
    pub fn status(&self) -> u16 {
        match self {
            Error::Unauthorized => 401,
            Error::Forbidden | Error::Csrf | Error::NotAllowed(_) => 403,
            Error::Conflict(_) => 409,
            Error::PayloadTooLarge { .. } => 413,
            Error::NotFound => 404,
            Error::Validation { .. } => 422,
            Error::TooManyRequests { .. } => 429,
            Error::Unavailable | Error::Busy { .. } => 503,
            Error::InvalidCredentials => 401,
            Error::Store(_) | Error::Internal(_) => 500,
        }
    }

    /// Stable machine-readable code for JSON answers.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::NotAllowed(_) => "not_allowed",
            Error::Conflict(_) => "conflict",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::NotFound => "not_found",
            Error::Validation { .. } => "validation",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::Csrf => "csrf",
            Error::Unavailable => "unavailable",
            Error::Busy { .. } => "busy",
            Error::InvalidCredentials => "invalid_credentials",
            Error::Store(_) | Error::Internal(_) => "internal",
        }
    }

    /// The i18n keys of the page title and message.
    pub fn keys(&self) -> (&'static str, &'static str) {
        match self {
            Error::Unauthorized => ("err_unauthorized_title", "err_unauthorized_body"),
            Error::Forbidden | Error::NotAllowed(_) => {
                ("err_forbidden_title", "err_forbidden_body")
            }
            Error::Conflict(_) => ("err_conflict_title", "err_conflict_body"),
            Error::PayloadTooLarge { .. } => ("err_too_large_title", "err_too_large_body"),
            Error::NotFound => ("not_found_title", "not_found_body"),
            Error::Validation { .. } => ("err_validation_title", "err_validation_body"),
            Error::TooManyRequests { .. } => ("err_too_many_title", "err_too_many_body"),
            Error::Csrf => ("err_csrf_title", "err_csrf_body"),
            Error::Unavailable => ("err_unavailable_title", "err_unavailable_body"),
            Error::Busy { .. } => ("err_unavailable_title", "err_busy_body"),
            Error::InvalidCredentials => ("svc_login_title", "svc_login_failed"),
            Error::Store(_) | Error::Internal(_) => ("err_internal_title", "err_internal_body"),
        }
    }

    /// The message for the user: the case's own text with its values filled in.
    pub fn message(&self) -> FieldError {
        match self {
            Error::NotAllowed(m) | Error::Conflict(m) => m.clone(),
            Error::PayloadTooLarge { limit } => {
                FieldError::new("err_too_large_body").with("mib", limit.div_ceil(1024 * 1024))
            }
            _ => {
                let mut m = FieldError::new(self.keys().1);
                if let Some(minutes) = self.retry_minutes() {
                    m = m.with("minutes", minutes);
                }
                m
            }
        }
    }

    /// How long the client should wait before trying again, if this error says so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::TooManyRequests { retry_after } | Error::Busy { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    pub fn retry_minutes(&self) -> Option<u64> {
        match self {
            Error::TooManyRequests { retry_after } => {
                Some(retry_after.as_secs().div_ceil(60).max(1))
            }
            _ => None,
        }
    }
}

/// A store error is an internal error, except a duplicate, which names the form field it
/// belongs to (`email`, `name`) so the page can say "already taken" next to it.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate("email") => {
                Error::validation("email", FieldError::new("err_email_taken"))
            }
            StoreError::Duplicate("name") => {
                Error::validation("name", FieldError::new("err_company_taken"))
            }
            other => Error::Store(other),
        }
    }
}
