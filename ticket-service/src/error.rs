//! The service's one error type, and the one place it becomes an HTTP response.
//!
//! Browsers get an HTML page rendered with the theme, in the request's language (the
//! request context lives in a task-local set by `http::context`, so this impl can render
//! without every handler passing the theme around); `/api/*` gets JSON. An anonymous
//! request for a page that needs a login is redirected to `/login?next=…`. Database and
//! internal errors are logged with tracing and shown only as a generic message.

use crate::domain::FieldError;
use crate::http::context::{current_page_context, PageContext};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
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
    /// A POST without a valid CSRF token.
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
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

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden | Error::Csrf => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Error::Sqlx(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code for JSON answers.
    fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::Validation { .. } => "validation",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::Csrf => "csrf",
            Error::Unavailable => "unavailable",
            Error::Sqlx(_) | Error::Internal(_) => "internal",
        }
    }

    /// The i18n keys of the page title and message.
    fn keys(&self) -> (&'static str, &'static str) {
        match self {
            Error::Unauthorized => ("err_unauthorized_title", "err_unauthorized_body"),
            Error::Forbidden => ("err_forbidden_title", "err_forbidden_body"),
            Error::NotFound => ("not_found_title", "not_found_body"),
            Error::Validation { .. } => ("err_validation_title", "err_validation_body"),
            Error::TooManyRequests { .. } => ("err_too_many_title", "err_too_many_body"),
            Error::Csrf => ("err_csrf_title", "err_csrf_body"),
            Error::Unavailable => ("err_unavailable_title", "err_unavailable_body"),
            Error::Sqlx(_) | Error::Internal(_) => ("err_internal_title", "err_internal_body"),
        }
    }

    fn retry_minutes(&self) -> Option<u64> {
        match self {
            Error::TooManyRequests { retry_after } => {
                Some(retry_after.as_secs().div_ceil(60).max(1))
            }
            _ => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Error::Sqlx(e) => tracing::error!(error = %e, "database error"),
            Error::Internal(e) => tracing::error!(error = format!("{e:#}"), "internal error"),
            _ => {}
        }
        let ctx = current_page_context();
        let mut response = match &ctx {
            Some(ctx) if !ctx.is_api => {
                if matches!(self, Error::Unauthorized) {
                    return Redirect::to(&format!(
                        "/login?next={}",
                        crate::http::encode_component(&ctx.login_next)
                    ))
                    .into_response();
                }
                self.html(ctx)
            }
            _ => self.json(ctx.as_deref()),
        };
        if let Error::TooManyRequests { retry_after } = &self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl Error {
    fn message(&self, strings: &kb_builder::theme::Strings) -> String {
        let (_, body_key) = self.keys();
        let mut e = FieldError::new(body_key);
        if let Some(m) = self.retry_minutes() {
            e = e.with("minutes", m);
        }
        e.translate(strings)
    }

    fn json(&self, ctx: Option<&PageContext>) -> Response {
        let mut body = serde_json::json!({ "error": self.code() });
        if let Some(ctx) = ctx {
            body["message"] = self.message(&ctx.strings).into();
            if let Error::Validation { errors } = self {
                let map: serde_json::Map<String, serde_json::Value> = errors
                    .iter()
                    .map(|(k, v)| (k.clone(), v.translate(&ctx.strings).into()))
                    .collect();
                body["errors"] = map.into();
            }
        }
        (self.status(), axum::Json(body)).into_response()
    }

    fn html(&self, ctx: &PageContext) -> Response {
        let (title_key, _) = self.keys();
        let mut tc = ctx.base_context(title_key);
        tc.insert("message", &self.message(&ctx.strings));
        if let Error::Validation { errors } = self {
            let list: Vec<String> = errors.values().map(|e| e.translate(&ctx.strings)).collect();
            tc.insert("details", &list);
        }
        match ctx.theme.render("service/error.html", &tc) {
            Ok(html) => (self.status(), Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (self.status(), self.code()).into_response()
            }
        }
    }
}
