//! Who is calling `/api/v1`, two ways:
//!
//! - `Authorization: Bearer <token>`, a personal API token from the settings page. A
//!   request that sends this header is judged by it alone: a bad token is 401 even when a
//!   session cookie comes along. No CSRF check: a browser never adds this header by itself.
//! - The session cookie, as the pages use it. State-changing requests must also send the
//!   session's CSRF token as `X-CSRF-Token` (else 403 `csrf`), since a browser sends the
//!   cookie with a forged cross-site request too.
//!
//! Nothing else: no credentials is 401. Either way the caller acts as the user, with the
//! same access rules as the pages.

use super::schema::AuthMethod;
use crate::error::Error;
use crate::http::context::Ctx;
use crate::state::AppState;
use crate::store::users::User;
use crate::token::constant_time_eq;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use kb_builder::theme::Strings;
use kb_builder::Language;
use std::sync::Arc;

/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller, and the language its answers' labels use: the `lang` query
/// parameter, else the user's own language.
pub struct ApiUser {
    pub user: User,
    pub via: AuthMethod,
    /// The session's CSRF token, when authenticated by session.
    pub csrf_token: Option<String>,
    pub lang: Language,
    pub strings: Arc<Strings>,
}

/// The token of an `Authorization: Bearer …` header: `Some(Err)` for a header that is not
/// a bearer token at all.
fn bearer(parts: &Parts) -> Option<Result<&str, Error>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(Error::Unauthorized);
    Some(token)
}

fn query_lang(parts: &Parts) -> Option<Language> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).unwrap_or_default();
    pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Language::parse(v))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let (user, via, csrf_token) = match bearer(parts) {
            Some(token) => {
                let user = state.api_tokens.authenticate(token?).await?;
                (user, AuthMethod::Token, None)
            }
            None => {
                let ctx = Ctx::from_request_parts(parts, state).await?;
                let (Some(user), Some(session)) = (ctx.user, ctx.session) else {
                    return Err(Error::Unauthorized);
                };
                if !is_safe(&parts.method) {
                    let sent = parts
                        .headers
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if sent.is_empty() || !constant_time_eq(sent, &session.csrf_token) {
                        return Err(Error::Csrf);
                    }
                }
                (user, AuthMethod::Session, Some(session.csrf_token))
            }
        };
        let lang = query_lang(parts).unwrap_or(user.language);
        Ok(ApiUser {
            strings: state.theme.strings(lang),
            user,
            via,
            csrf_token,
            lang,
        })
    }
}

/// An authenticated agent; anyone else gets 404, so the agents' endpoints do not even
/// admit to customers that they exist (credentials are still checked first: 401).
pub struct ApiAgent(pub ApiUser);

impl FromRequestParts<AppState> for ApiAgent {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let caller = ApiUser::from_request_parts(parts, state).await?;
        if caller.user.is_agent() {
            Ok(ApiAgent(caller))
        } else {
            Err(Error::NotFound)
        }
    }
}
