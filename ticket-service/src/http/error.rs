//! The one place an [`Error`] becomes an HTTP response.
//!
//! Browsers get an HTML page rendered with the theme, in the request's language (the
//! request context lives in a task-local set by `http::context`, so this impl can render
//! without every handler passing the theme around); `/api/*` gets JSON. An anonymous
//! request for a page that needs a login is redirected to `/login?next=…`. Database and
//! internal errors are logged with tracing and shown only as a generic message.

use super::context::{current_page_context, PageContext};
use crate::error::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

fn status(e: &Error) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Error::Store(e) => tracing::error!(error = %e, "database error"),
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
                html(&self, ctx)
            }
            _ => json(&self, ctx.as_deref()),
        };
        if let Some(retry_after) = self.retry_after() {
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// The error's message in the page's language.
fn message(e: &Error, strings: &kb_builder::theme::Strings) -> String {
    e.message().translate(strings)
}

/// `{"error": code, "code": code, "message": …, "errors": {field: message}}`. `code` is the
/// stable name clients match on; `error` repeats it for the first API's clients.
fn json(e: &Error, ctx: Option<&PageContext>) -> Response {
    let mut body = serde_json::json!({ "error": e.code(), "code": e.code() });
    if let Some(ctx) = ctx {
        body["message"] = message(e, &ctx.strings).into();
        if let Error::Validation { errors } = e {
            let map: serde_json::Map<String, serde_json::Value> = errors
                .iter()
                .map(|(k, v)| (k.clone(), v.translate(&ctx.strings).into()))
                .collect();
            body["errors"] = map.into();
        }
    }
    (status(e), axum::Json(body)).into_response()
}

fn html(e: &Error, ctx: &PageContext) -> Response {
    let (title_key, _) = e.keys();
    let mut tc = ctx.base_context(title_key);
    tc.insert("message", &message(e, &ctx.strings));
    if let Error::Validation { errors } = e {
        let list: Vec<String> = errors.values().map(|v| v.translate(&ctx.strings)).collect();
        tc.insert("details", &list);
    }
    match ctx.theme.render("service/error.html", &tc) {
        Ok(page) => (status(e), Html(page)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "cannot render the error page");
            (status(e), e.code()).into_response()
        }
    }
}
