//! The login procedure and its rate limit.
//!
//! Failed logins are counted per account (the e-mail as typed, normalised, whether or not
//! it exists — so the limit itself does not reveal accounts) and per client address, in a
//! sliding window stored in the database (so it holds across instances). Past the limit the
//! answer is 429 with the time to wait; blocked attempts are not counted, so the window
//! always runs out and a real user is never locked out for good. A successful login clears
//! the account's counter. An unknown account and a wrong password give the same answer
//! after the same work (a dummy hash is verified).

use super::password::Verified;
use crate::domain::{Email, Password};
use crate::startup::AppState;
use crate::store::{throttle, users, users::User};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug)]
pub enum LoginError {
    /// Unknown account or wrong password: deliberately one case.
    InvalidCredentials,
    /// Too many failures; try again after this long.
    Throttled(Duration),
    Other(crate::Error),
}

impl<E: Into<crate::Error>> From<E> for LoginError {
    fn from(e: E) -> Self {
        LoginError::Other(e.into())
    }
}

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn address_key(ip: IpAddr) -> String {
    format!("address:{ip}")
}

/// The throttle keys of an attempt, each with its limit.
fn limits(state: &AppState, email: &str, client: IpAddr) -> [(String, i64); 2] {
    let config = &state.config;
    [
        (
            account_key(email),
            i64::from(config.login_max_failures_per_account),
        ),
        (
            address_key(client),
            i64::from(config.login_max_failures_per_address),
        ),
    ]
}

/// Refuses the attempt when any key is over its limit, with the time to wait.
async fn check_limits(
    state: &AppState,
    keys: &[(String, i64)],
    now: i64,
) -> Result<(), LoginError> {
    let window = state.config.login_window.as_secs() as i64;
    for (key, limit) in keys {
        let (count, oldest) = throttle::failures_since(&state.db, key, now - window).await?;
        if count >= *limit {
            let wait = oldest.map_or(window, |t| t + window - now).max(1);
            tracing::warn!(throttle_key = %key, failures = count, "login rate limit reached");
            return Err(LoginError::Throttled(Duration::from_secs(wait as u64)));
        }
    }
    Ok(())
}

async fn record_failure(
    state: &AppState,
    keys: &[(String, i64)],
    now: i64,
) -> Result<(), LoginError> {
    for (key, _) in keys {
        throttle::record_failure(&state.db, key, now).await?;
    }
    Ok(())
}

/// Checks a logged-in user's current password (to change it) under the same limits as the
/// login form, sharing its counters: a stolen session must not become a way to guess the
/// password without a limit. `Ok(false)` for a wrong password.
pub async fn verify_current(
    state: &AppState,
    user: &User,
    password: &str,
    client: IpAddr,
) -> Result<bool, LoginError> {
    let now = state.clock.now();
    let keys = limits(state, user.email.as_str(), client);
    check_limits(state, &keys, now).await?;
    let ok = password.chars().count() <= Password::MAX_CHARS
        && matches!(
            state
                .hasher
                .verify(password, Some(&user.password_hash))
                .await?,
            Verified::Valid { .. }
        );
    if !ok {
        record_failure(state, &keys, now).await?;
    }
    Ok(ok)
}

/// Checks the credentials, honouring and updating the rate limit.
pub async fn attempt(
    state: &AppState,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<User, LoginError> {
    let now = state.clock.now();
    let keys = limits(state, email, client);
    check_limits(state, &keys, now).await?;

    let user = match Email::parse(email) {
        Ok(email) => users::by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    // Over-long input never matches a stored password (none can be that long), but it
    // still costs the same work.
    let stored = user
        .as_ref()
        .filter(|_| password.chars().count() <= Password::MAX_CHARS)
        .map(|u| u.password_hash.as_str());
    let verified = state.hasher.verify(password, stored).await?;
    match (verified, user) {
        (Verified::Valid { needs_rehash }, Some(user)) => {
            throttle::clear(&state.db, &keys[0].0).await?;
            if needs_rehash {
                // The password was set under whatever rules held then; it is still the
                // user's password and deserves the stronger hash.
                if let Some(p) = Password::existing(password) {
                    let new_hash = state.hasher.hash(&p).await?;
                    users::upgrade_hash(&state.db, user.id, &user.password_hash, &new_hash).await?;
                    tracing::info!(user_id = user.id, "password hash upgraded");
                }
            }
            Ok(user)
        }
        _ => {
            record_failure(state, &keys, now).await?;
            Err(LoginError::InvalidCredentials)
        }
    }
}
