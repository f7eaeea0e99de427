//! Personal API tokens: a user makes a named token on the settings page, a program sends it
//! as `Authorization: Bearer <token>` to `/api/v1` and acts as that user, with exactly the
//! user's rights. The token is 256 random bits ([`random_token`]), shown once when it is
//! made; the database keeps only its SHA-256 ([`hash_token`]), so it cannot be shown again
//! and a leaked table grants nothing. A user may hold [`MAX_PER_USER`] tokens and revoke
//! any of them; the time of last use is written at most once a minute.

use crate::clock::Clock;
use crate::domain::FieldError;
use crate::error::{Error, Result};
use crate::store::api_tokens::{self, ApiToken};
use crate::store::users::{self, User};
use crate::store::{Db, StoreError};
use crate::token::{hash_token, is_token_shaped, random_token};

/// Tokens one user may hold (the migration's `slot` CHECK says the same).
pub const MAX_PER_USER: i64 = 20;
/// The last-use time is written at most this often per token.
const TOUCH_EVERY_SECS: i64 = 60;
/// How often a creation that lost its slot to a concurrent one tries the next free slot.
const SLOT_TRIES: usize = 5;

/// A token's name as the user typed it: 1 to 100 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> std::result::Result<TokenName, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("api_err_token_name_required"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("api_err_token_name_too_long").with("max", Self::MAX_CHARS));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new("api_err_token_name_control"));
        }
        Ok(TokenName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A token just made, with its secret (to be shown once, never stored).
#[derive(Debug)]
pub struct Created {
    pub token: ApiToken,
    pub secret: String,
}

/// Makes, lists, revokes and checks API tokens.
#[derive(Clone, Debug)]
pub struct ApiTokens {
    db: Db,
    clock: Clock,
}

impl ApiTokens {
    pub fn new(db: Db, clock: Clock) -> ApiTokens {
        ApiTokens { db, clock }
    }

    /// Makes a token for `user`. A user at the limit gets a validation error on `name`.
    pub async fn create(&self, user: &User, name: &TokenName) -> Result<Created> {
        for _ in 0..SLOT_TRIES {
            let used = api_tokens::used_slots(&self.db, user.id).await?;
            let Some(slot) = (1..=MAX_PER_USER).find(|s| !used.contains(s)) else {
                return Err(Error::validation(
                    "name",
                    FieldError::new("api_err_token_limit").with("max", MAX_PER_USER),
                ));
            };
            let secret = random_token();
            match api_tokens::insert(
                &self.db,
                user.id,
                slot,
                name.as_str(),
                &hash_token(&secret),
                self.clock.now(),
            )
            .await
            {
                Ok(token) => {
                    tracing::info!(user_id = user.id, token_id = token.id, "API token created");
                    return Ok(Created { token, secret });
                }
                // Another creation took the slot between our read and our insert.
                Err(StoreError::Duplicate("slot")) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(FieldError::new("api_err_token_busy")))
    }

    /// The user's tokens, oldest first.
    pub async fn list(&self, user: &User) -> Result<Vec<ApiToken>> {
        Ok(api_tokens::of_user(&self.db, user.id).await?)
    }

    /// Revokes one of the user's tokens; `NotFound` for an unknown id or another user's.
    pub async fn revoke(&self, user: &User, id: i64) -> Result<()> {
        if api_tokens::delete(&self.db, id, user.id).await? {
            tracing::info!(user_id = user.id, token_id = id, "API token revoked");
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The user a bearer token belongs to, or `Unauthorized` (malformed, unknown, revoked,
    /// or its user is gone). Records the use at most once a minute.
    pub async fn authenticate(&self, secret: &str) -> Result<User> {
        if !is_token_shaped(secret) {
            return Err(Error::Unauthorized);
        }
        let token = api_tokens::by_hash(&self.db, &hash_token(secret))
            .await?
            .ok_or(Error::Unauthorized)?;
        let user = users::by_id(&self.db, token.user_id)
            .await?
            .ok_or(Error::Unauthorized)?;
        let now = self.clock.now();
        if token
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_EVERY_SECS)
        {
            api_tokens::touch(&self.db, token.id, now, TOUCH_EVERY_SECS).await?;
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_short_line() {
        assert_eq!(TokenName::parse("  CI 連携 ").unwrap().as_str(), "CI 連携");
        assert_eq!(
            TokenName::parse(" ").unwrap_err().key,
            "api_err_token_name_required"
        );
        assert!(TokenName::parse(&"あ".repeat(100)).is_ok());
        assert_eq!(
            TokenName::parse(&"あ".repeat(101)).unwrap_err().key,
            "api_err_token_name_too_long"
        );
        assert_eq!(
            TokenName::parse("a\nb").unwrap_err().key,
            "api_err_token_name_control"
        );
    }
}
