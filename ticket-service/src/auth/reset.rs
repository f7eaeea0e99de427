//! Password reset by e-mail. The link `{base_url}/reset/{token}` carries 256 random bits;
//! the database keeps their SHA-256, the expiry (`reset_token_minutes`, 30 by default) and
//! whether it was used. A token dies when used, when it expires, and when the password
//! changes in any way (`store::users::set_password` deletes the user's tokens).
//!
//! Requests are limited per client address and mails per account (silently: the page
//! always answers the same), reserved before the token is made, so parallel requests
//! cannot slip past the caps. The mail goes through the outbox in the same transaction as
//! the token.

use super::limits::{Limit, Limiter};
use super::password::PasswordHasher;
use super::session::Sessions;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{Email, Password};
use crate::error::{Error, Result};
use crate::mail::{Letter, Mail};
use crate::store::{resets, users, users::User, Db};
use std::net::IpAddr;
use std::time::Duration;

/// Reset mails to one account per window (`login_window_minutes`).
pub const RESETS_PER_ACCOUNT: u32 = 3;
/// Reset requests from one client address per window.
pub const RESETS_PER_ADDRESS: u32 = 10;

/// Password resets.
#[derive(Clone, Debug)]
pub struct Resets {
    db: Db,
    clock: Clock,
    hasher: PasswordHasher,
    sessions: Sessions,
    limiter: Limiter,
    mail: Mail,
    lifetime: Duration,
    base_url: String,
}

impl Resets {
    pub fn new(
        db: Db,
        clock: Clock,
        hasher: PasswordHasher,
        sessions: Sessions,
        limiter: Limiter,
        mail: Mail,
        config: &Config,
    ) -> Resets {
        Resets {
            db,
            clock,
            hasher,
            sessions,
            limiter,
            mail,
            lifetime: config.security.reset_token_lifetime(),
            base_url: config.server.base_url.clone(),
        }
    }

    /// Handles a "forgot password" request: if the address belongs to a user, stores a
    /// token and enqueues the link in the user's language. Says nothing about whether it
    /// did, so the caller can answer the same page either way.
    pub async fn request(&self, email: &str, client: IpAddr) -> Result<()> {
        // Limits keep the form from being used to flood someone's mailbox. Going over them
        // changes nothing the requester can see; the mail is simply not sent.
        let by_address = [Limit::new(
            format!("reset-address:{client}"),
            RESETS_PER_ADDRESS,
        )];
        match self.limiter.reserve_all(&by_address).await {
            Err(Error::TooManyRequests { .. }) => {
                tracing::warn!(%client, "password reset requests from this address are over the limit");
                return Ok(());
            }
            other => other?,
        }
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let Some(user) = users::by_email(&self.db, &email).await? else {
            tracing::info!("password reset requested for an unknown address");
            return Ok(());
        };
        let by_account = [Limit::new(
            format!("reset-account:{}", user.id),
            RESETS_PER_ACCOUNT,
        )];
        match self.limiter.reserve_all(&by_account).await {
            Err(Error::TooManyRequests { .. }) => {
                tracing::warn!(
                    user_id = user.id,
                    "password reset mails for this account are over the limit"
                );
                return Ok(());
            }
            other => other?,
        }
        let token = crate::token::random_token();
        let now = self.clock.now();
        let lifetime = self.lifetime.as_secs() as i64;
        let mut values = tera::Context::new();
        values.insert("link", &format!("{}/reset/{token}", self.base_url));
        values.insert("minutes", &(lifetime / 60).to_string());
        let mut tx = self.db.begin().await?;
        resets::insert(
            &mut tx,
            &crate::token::hash_token(&token),
            user.id,
            now,
            now + lifetime,
        )
        .await?;
        self.mail
            .enqueue(
                &mut tx,
                Letter {
                    to: user.email.clone(),
                    to_name: user.display_name.clone(),
                    language: user.language,
                    subject: crate::domain::FieldError::new("mail_reset_subject"),
                    template: "password_reset",
                    values,
                    thread: None,
                },
            )
            .await?;
        tx.commit().await?;
        self.mail.wake();
        tracing::info!(user_id = user.id, "password reset mail enqueued");
        Ok(())
    }

    /// The user a token belongs to, if the token is still good (does not use it).
    pub async fn check(&self, token: &str) -> Result<Option<User>> {
        if !crate::token::is_token_shaped(token) {
            return Ok(None);
        }
        let now = self.clock.now();
        match resets::find_valid(&self.db, &crate::token::hash_token(token), now).await? {
            Some(user_id) => Ok(users::by_id(&self.db, user_id).await?),
            None => Ok(None),
        }
    }

    /// Uses the token to set `password`: atomically marks the token used, stores the new
    /// hash (which kills the user's other reset tokens), ends all the user's sessions and
    /// revokes their API tokens (a reset means the old password may be known to someone,
    /// who may have made a token with it). `None` when the token is no longer good.
    pub async fn complete(&self, token: &str, password: &Password) -> Result<Option<User>> {
        if !crate::token::is_token_shaped(token) {
            return Ok(None);
        }
        // Hash first: the token is used only once the new password is ready to store.
        let hash = self.hasher.hash(password).await?;
        let now = self.clock.now();
        let Some(user_id) =
            resets::consume(&self.db, &crate::token::hash_token(token), now).await?
        else {
            return Ok(None);
        };
        users::set_password(&self.db, user_id, &hash).await?;
        let ended = self.sessions.end_all(user_id, None).await?;
        let revoked = crate::store::api_tokens::delete_for_user(&self.db, user_id).await?;
        tracing::info!(
            user_id,
            sessions_ended = ended,
            api_tokens_revoked = revoked,
            "password reset completed"
        );
        Ok(users::by_id(&self.db, user_id).await?)
    }
}
