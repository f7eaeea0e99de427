//! The login procedure under its rate limits.
//!
//! Failed logins are limited per account (the e-mail as typed, normalised, whether or not
//! it exists — so the limit itself does not reveal accounts) and per client address, in
//! windows stored in the database (so they hold across instances). Every attempt is
//! reserved on both counters *before* the password is hashed (see [`super::limits`]): past
//! the limit the answer is 429 with the time to wait, without any hashing, even when the
//! attempts arrive all at once, and even for the right password. A successful login clears
//! its account's counter and gives its reservation on the address back. An unknown account
//! and a wrong password give the same answer after the same work (a dummy hash is
//! verified).

use super::limits::{Limit, Limiter};
use super::password::{PasswordHasher, Verified};
use crate::config::Security;
use crate::domain::{Email, Password};
use crate::error::{Error, Result};
use crate::store::{users, users::User, Db};
use std::net::IpAddr;

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn address_key(ip: IpAddr) -> String {
    format!("address:{ip}")
}

/// Checks credentials.
#[derive(Clone, Debug)]
pub struct Logins {
    db: Db,
    hasher: PasswordHasher,
    limiter: Limiter,
    per_account: u32,
    per_address: u32,
}

impl Logins {
    pub fn new(db: Db, hasher: PasswordHasher, limiter: Limiter, security: &Security) -> Logins {
        Logins {
            db,
            hasher,
            limiter,
            per_account: security.login_max_failures_per_account,
            per_address: security.login_max_failures_per_address,
        }
    }

    /// The two limits an attempt for `email` from `client` counts against.
    fn limits(&self, email: &str, client: IpAddr) -> [Limit; 2] {
        [
            Limit::new(account_key(email), self.per_account),
            Limit::new(address_key(client), self.per_address),
        ]
    }

    /// Checks the credentials under the limits. `Error::InvalidCredentials` for an unknown
    /// account or a wrong password alike; `Error::TooManyRequests` past a limit.
    pub async fn attempt(&self, email: &str, password: &str, client: IpAddr) -> Result<User> {
        let limits = self.limits(email, client);
        self.limiter.reserve_all(&limits).await?;
        let user = match Email::parse(email) {
            Ok(email) => users::by_email(&self.db, &email).await?,
            Err(_) => None,
        };
        // Over-long input never matches a stored password (none can be that long), but it
        // still costs the same work.
        let stored = user
            .as_ref()
            .filter(|_| password.chars().count() <= Password::MAX_CHARS)
            .map(|u| u.password_hash.as_str());
        let verified = match self.hasher.verify(password, stored).await {
            Ok(v) => v,
            Err(e) => {
                // Not checked (busy, or broken): this attempt must not count as a failure.
                self.limiter.release_all(&limits).await?;
                return Err(e);
            }
        };
        match (verified, user) {
            (Verified::Valid { needs_rehash }, Some(user)) => {
                self.limiter.clear(&limits[0].key).await?;
                self.limiter.release_all(&limits[1..]).await?;
                if needs_rehash {
                    self.upgrade_hash(&user, password).await;
                }
                Ok(user)
            }
            _ => Err(Error::InvalidCredentials),
        }
    }

    /// Replaces a weaker stored hash of this (correct) password by one with today's
    /// parameters. The password was set under whatever rules held then; it is still the
    /// user's password and deserves the stronger hash. A failure only delays the upgrade.
    async fn upgrade_hash(&self, user: &User, password: &str) {
        let Some(p) = Password::existing(password) else {
            return;
        };
        let result = async {
            let new_hash = self.hasher.hash(&p).await?;
            users::upgrade_hash(&self.db, user.id, &user.password_hash, &new_hash).await?;
            Ok::<_, Error>(())
        }
        .await;
        match result {
            Ok(()) => tracing::info!(user_id = user.id, "password hash upgraded"),
            Err(e) => {
                tracing::warn!(user_id = user.id, error = %e, "password hash upgrade postponed")
            }
        }
    }

    /// Checks a logged-in user's current password (to change it) under the same limits as
    /// the login form, sharing its counters: a stolen session must not become a way to
    /// guess the password without a limit. `Ok(false)` for a wrong password.
    pub async fn verify_current(
        &self,
        user: &User,
        password: &str,
        client: IpAddr,
    ) -> Result<bool> {
        let limits = self.limits(user.email.as_str(), client);
        self.limiter.reserve_all(&limits).await?;
        let verified = if password.chars().count() <= Password::MAX_CHARS {
            self.hasher
                .verify(password, Some(&user.password_hash))
                .await
        } else {
            Ok(Verified::Invalid)
        };
        match verified {
            Ok(Verified::Valid { .. }) => {
                self.limiter.release_all(&limits).await?;
                Ok(true)
            }
            Ok(Verified::Invalid) => Ok(false),
            Err(e) => {
                self.limiter.release_all(&limits).await?;
                Err(e)
            }
        }
    }
}
