//! Password reset by e-mail. The link `{base_url}/reset/{token}` carries 256 random bits;
//! the database keeps their SHA-256, the expiry (`reset_token_lifetime`, 30 minutes by
//! default) and whether it was used. A token dies when used, when it expires, and when the
//! password changes in any way (`store::users::set_password` deletes the user's tokens).

use crate::domain::{Email, Password};
use crate::mail::OutgoingMail;
use crate::startup::AppState;
use crate::store::{resets, sessions, throttle, users, users::User};
use anyhow::Context as _;
use std::net::IpAddr;

/// Reset mails to one account per window (`login_window`).
const RESETS_PER_ACCOUNT: i64 = 3;
/// Reset requests from one client address per window.
const RESETS_PER_ADDRESS: i64 = 10;

/// Handles a "forgot password" request: if the address belongs to a user, stores a token
/// and mails the link in the user's language. Says nothing about whether it did, so the
/// caller can answer the same page either way.
pub async fn request(state: &AppState, email: &str, client: IpAddr) -> crate::Result<()> {
    let now = state.clock.now();
    let since = now - state.config.login_window.as_secs() as i64;
    // Limits keep the form from being used to flood someone's mailbox. Going over them
    // changes nothing the requester can see (the page always answers the same); the mail
    // is simply not sent. They share the login window and its cleanup.
    let address_key = format!("reset-address:{client}");
    if throttle::failures_since(&state.db, &address_key, since)
        .await?
        .0
        >= RESETS_PER_ADDRESS
    {
        tracing::warn!(%client, "password reset requests from this address are over the limit");
        return Ok(());
    }
    throttle::record_failure(&state.db, &address_key, now).await?;
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let Some(user) = users::by_email(&state.db, &email).await? else {
        tracing::info!("password reset requested for an unknown address");
        return Ok(());
    };
    let account_key = format!("reset-account:{}", user.id);
    if throttle::failures_since(&state.db, &account_key, since)
        .await?
        .0
        >= RESETS_PER_ACCOUNT
    {
        tracing::warn!(
            user_id = user.id,
            "password reset mails for this account are over the limit"
        );
        return Ok(());
    }
    throttle::record_failure(&state.db, &account_key, now).await?;
    let token = super::random_token();
    let lifetime = state.config.reset_token_lifetime.as_secs() as i64;
    resets::insert(
        &state.db,
        &super::hash_token(&token),
        user.id,
        now,
        now + lifetime,
    )
    .await?;
    let link = format!("{}/reset/{token}", state.config.base_url);
    let strings = state.theme.strings(user.language);
    let mut tc = tera::Context::new();
    tc.insert("t", &*strings);
    tc.insert("name", &user.display_name);
    tc.insert("link", &link);
    tc.insert("minutes", &(lifetime / 60).to_string());
    tc.insert(
        "site_title",
        strings
            .get("svc_site_title")
            .map(String::as_str)
            .unwrap_or("Madoguchi"),
    );
    let body = state
        .theme
        .render("service/mail/password_reset.txt", &tc)
        .context("rendering the reset mail")?;
    let subject = strings
        .get("mail_reset_subject")
        .cloned()
        .unwrap_or_else(|| "Password reset".into());
    state
        .mailer
        .send(OutgoingMail {
            to: user.email.clone(),
            to_name: user.display_name.clone(),
            subject,
            body,
        })
        .await?;
    tracing::info!(user_id = user.id, "password reset mail sent");
    Ok(())
}

/// The user a token belongs to, if the token is still good (does not use it).
pub async fn check(state: &AppState, token: &str) -> crate::Result<Option<User>> {
    if !super::is_token_shaped(token) {
        return Ok(None);
    }
    let now = state.clock.now();
    match resets::find_valid(&state.db, &super::hash_token(token), now).await? {
        Some(user_id) => users::by_id(&state.db, user_id).await,
        None => Ok(None),
    }
}

/// Uses the token to set `password`: atomically marks the token used, stores the new hash
/// (which kills the user's other tokens) and ends all the user's sessions. `None` when the
/// token is no longer good.
pub async fn complete(
    state: &AppState,
    token: &str,
    password: &Password,
) -> crate::Result<Option<User>> {
    if !super::is_token_shaped(token) {
        return Ok(None);
    }
    let now = state.clock.now();
    let Some(user_id) = resets::consume(&state.db, &super::hash_token(token), now).await? else {
        return Ok(None);
    };
    let hash = state.hasher.hash(password).await?;
    users::set_password(&state.db, user_id, &hash).await?;
    let ended = sessions::delete_for_user(&state.db, user_id).await?;
    tracing::info!(user_id, sessions_ended = ended, "password reset completed");
    users::by_id(&state.db, user_id).await
}
