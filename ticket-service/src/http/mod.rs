//! HTTP: the router, one module per resource, and the middleware every response passes
//! through (a tracing span per request, security headers).
//!
//! Path plan: the service's own paths (`/login`, `/logout`, `/forgot`, `/reset/…`,
//! `/home`, `/settings`, `/healthz`, `/readyz`, `/static/…`, `/api/…`, `/search`,
//! `/kb/search`, `/agent/kb/search`) are routes and so win over the editions' files; the
//! public edition is the fallback for everything else (`/`, `/en/`, articles). `/kb/…` is the customer edition (login required) and
//! `/agent/kb/…` the internal edition (agents only).

//! Each resource module has its own `router()`; this module merges them and owns the
//! middleware. `error` is the one place a service error becomes a response.

pub mod agent;
pub mod api;
pub mod attachments;
pub mod auth;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod faq;
pub mod health;
pub mod home;
pub mod kb;
pub mod search;
pub mod settings;
pub mod thread;
pub mod tickets;
pub mod upload;
pub mod view;

use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler as _;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;
use axum::Router;
use tracing::Instrument;

/// The Content-Security-Policy of every response, static files included. No inline
/// scripts or styles anywhere.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Builds the whole router.
pub fn router(state: AppState) -> Router {
    let service = Router::new()
        .merge(auth::router())
        .merge(home::router())
        .merge(settings::router())
        .merge(search::router())
        .merge(tickets::router(&state))
        .merge(agent::router(&state))
        .merge(attachments::router(&state))
        .merge(faq::router(&state))
        .merge(api::router(&state))
        .merge(kb::editions_router())
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::origin_guard,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            context::middleware,
        ))
        .layer(DefaultBodyLimit::max(
            usize::try_from(state.config.server.max_form_bytes()).unwrap_or(usize::MAX),
        ));
    Router::new()
        .merge(health::router())
        .merge(kb::assets_router())
        .merge(faq::beacon_router())
        .merge(service)
        .fallback(kb::public_edition.layer(kb::compression()))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(trace_requests))
        .with_state(state)
}

async fn not_found() -> crate::error::Error {
    crate::error::Error::NotFound
}

/// Adds the security headers to every response. Pages default to `Cache-Control:
/// no-store` (they may show personal data or carry a CSRF token); handlers that serve
/// cacheable public files set their own.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// One span per request with method and path; reset tokens in paths are not logged.
async fn trace_requests(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let shown = if path.starts_with("/reset/") {
        "/reset/…"
    } else {
        path
    };
    let span = tracing::info_span!("request", method = %req.method(), path = %shown);
    let started = std::time::Instant::now();
    async move {
        let response = next.run(req).await;
        tracing::info!(
            status = response.status().as_u16(),
            millis = started.elapsed().as_millis() as u64,
            "response"
        );
        response
    }
    .instrument(span)
    .await
}

/// Percent-encodes a query-string component.
pub fn encode_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `next` if it is a same-site path (a single leading `/`, not `//` or `/\`, no control
/// characters), else `/home`. Guards the redirect after login against open redirects.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next
    } else {
        "/home"
    }
}

/// A 303 redirect with extra headers (Set-Cookie).
pub fn see_other(location: &str, headers: Vec<(HeaderName, HeaderValue)>) -> Response {
    let mut response = Redirect::to(location).into_response();
    for (name, value) in headers {
        response.headers_mut().append(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/kb/faq/12"), "/kb/faq/12");
        assert_eq!(safe_next("/settings?x=1"), "/settings?x=1");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "",
            "/\t/evil",
            "/a\\b",
        ] {
            assert_eq!(safe_next(bad), "/home", "{bad:?}");
        }
    }
}
