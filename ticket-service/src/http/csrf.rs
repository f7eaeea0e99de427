//! CSRF protection: the synchronizer-token pattern. Every session row — including the
//! anonymous pre-session that the login, forgot-password and reset forms create — holds a
//! random token; every form carries it in a hidden `csrf` field; [`CsrfForm`] refuses a
//! POST whose field is missing or differs (403) before the handler sees the form. We chose
//! an anonymous session row over a signed double-submit cookie because it needs no shared
//! secret between instances and reuses the session machinery (expiry, cleanup); the cost is
//! one small row per visitor who opens a form, deleted when it idles out.

use super::context::Ctx;
use crate::error::Error;
use crate::token::constant_time_eq;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A url-encoded form whose `csrf` field matched the session's token.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| {
                Error::validation("form", crate::domain::FieldError::new("err_form_invalid"))
            })?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| Error::Csrf)?;
        let expected = ctx
            .session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .ok_or(Error::Csrf)?;
        if field.csrf.is_empty() || !constant_time_eq(&field.csrf, expected) {
            return Err(Error::Csrf);
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            Error::validation("form", crate::domain::FieldError::new("err_form_invalid"))
        })?;
        Ok(CsrfForm(form))
    }
}
