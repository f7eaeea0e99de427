//! CSRF protection, in three parts:
//!
//! - Logged-in users: the synchronizer-token pattern. The session row holds a random
//!   token; every form carries it in a hidden `csrf` field.
//! - Anonymous forms (login, forgot password, reset): a signed double-submit token. The
//!   cookie `mdg_form` holds a random nonce, the form carries its HMAC under a key every
//!   instance shares (`token::FormKey`); showing a form writes nothing to the database, so
//!   a flood of page views is not a flood of writes.
//! - Defence in depth, for every state-changing request that carries our cookies:
//!   [`origin_guard`] refuses it when `Sec-Fetch-Site` says `cross-site` or `Origin` names
//!   another site, even with a valid token.
//!
//! [`CsrfForm`] refuses a form whose token is missing or wrong (403) before the handler
//! sees it, and a body over the route's limit with 413.

use super::context::Ctx;
use super::cookies;
use crate::error::Error;
use crate::state::AppState;
use crate::token::{constant_time_eq, random_token};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A url-encoded form whose `csrf` field matched.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// The token the request's forms must carry, if it can carry one: the session's, or the
/// signature of the anonymous visitor's form nonce.
fn expected(state: &AppState, ctx: &Ctx) -> Option<String> {
    match (&ctx.session, &ctx.form_nonce) {
        (Some(s), _) => Some(s.csrf_token.clone()),
        (None, Some(nonce)) => Some(state.form_key.sign(nonce)),
        (None, None) => None,
    }
}

/// The CSRF token for a form on this page, and the `Set-Cookie` of a new form nonce when
/// an anonymous visitor has none yet.
pub fn form_token(state: &AppState, ctx: &Ctx) -> (String, Option<HeaderValue>) {
    if let Some(token) = expected(state, ctx) {
        return (token, None);
    }
    let nonce = random_token();
    let cookie = cookies::set_form_nonce(&state.config.server, &nonce);
    (state.form_key.sign(&nonce), Some(cookie))
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge {
                        limit: state.config.server.max_form_bytes(),
                    }
                } else {
                    Error::validation("form", crate::domain::FieldError::new("err_form_invalid"))
                }
            })?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| Error::Csrf)?;
        let expected = expected(state, &ctx).ok_or(Error::Csrf)?;
        if field.csrf.is_empty() || !constant_time_eq(&field.csrf, &expected) {
            return Err(Error::Csrf);
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            Error::validation("form", crate::domain::FieldError::new("err_form_invalid"))
        })?;
        Ok(CsrfForm(form))
    }
}

/// Whether a request is safe by its method (reads only).
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find('/').map_or(url.len(), |j| i + 3 + j);
            &url[..end]
        }
        None => url,
    }
}

/// Refuses a state-changing request that carries our cookies when the browser says it
/// comes from another site: `Sec-Fetch-Site: cross-site`, or an `Origin` that is neither the
/// configured `base_url`'s nor the one the request was addressed to. Requests without
/// cookies (API clients with a token) are not a CSRF risk and pass.
pub async fn origin_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) || !req.headers().contains_key(header::COOKIE) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    let foreign_origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|origin| {
            let own = origin_of(&state.config.server.base_url);
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let addressed = host.map(|h| (format!("http://{h}"), format!("https://{h}")));
            let same = origin.eq_ignore_ascii_case(own)
                || addressed.as_ref().is_some_and(|(a, b)| {
                    origin.eq_ignore_ascii_case(a) || origin.eq_ignore_ascii_case(b)
                });
            !same
        });
    if cross_site || foreign_origin {
        tracing::warn!(
            path = %req.uri().path(),
            cross_site,
            foreign_origin,
            "cross-site state-changing request refused"
        );
        return Error::Csrf.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://support.example.com"),
            "https://support.example.com"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/x/y"),
            "http://127.0.0.1:8080"
        );
    }
}
