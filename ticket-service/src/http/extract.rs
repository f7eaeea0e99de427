//! Extractors that require a login. `CurrentUser` answers an anonymous request with
//! `Error::Unauthorized` (a redirect to the login page for browsers); `CurrentAgent` also
//! answers a customer with 404, so the agents' pages do not even admit they exist.

use super::context::Ctx;
use crate::auth::session::Session;
use crate::error::Error;
use crate::store::users::User;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// A logged-in user (customer or agent).
pub struct CurrentUser {
    pub ctx: Ctx,
    pub user: User,
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match (ctx.user.clone(), ctx.session.clone()) {
            (Some(user), Some(session)) => Ok(CurrentUser { ctx, user, session }),
            _ => Err(Error::Unauthorized),
        }
    }
}

/// A logged-in agent.
pub struct CurrentAgent(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for CurrentAgent {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if current.user.is_agent() {
            Ok(CurrentAgent(current))
        } else {
            Err(Error::NotFound)
        }
    }
}
