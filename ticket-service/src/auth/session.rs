//! Sessions. The cookie holds 256 random bits (base64url); the database holds only their
//! SHA-256, the user (or none, for an anonymous pre-session), the CSRF token and two
//! timestamps. A session ends after `session_idle` without a request or `session_absolute`
//! after it began, whichever comes first. A login always starts a new session (the
//! pre-login one is deleted), so a session id planted before login is worthless.

use crate::config::Config;
use crate::startup::AppState;
use crate::store::{sessions, users, users::User};
use axum::http::HeaderValue;

/// The session cookie's name.
pub const COOKIE: &str = "mdg_session";

/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_EVERY_SECS: i64 = 60;

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub csrf_token: String,
    pub created_at: i64,
}

/// Creates a session (for `user_id`, or anonymous) and returns the cookie value with it.
pub async fn create(state: &AppState, user_id: Option<i64>) -> crate::Result<(String, Session)> {
    let id = super::random_token();
    let now = state.clock.now();
    let row = sessions::SessionRow {
        id_hash: super::hash_token(&id),
        user_id,
        csrf_token: super::random_token(),
        created_at: now,
        last_seen_at: now,
    };
    sessions::insert(&state.db, &row).await?;
    Ok((
        id,
        Session {
            id_hash: row.id_hash,
            user_id,
            csrf_token: row.csrf_token,
            created_at: now,
        },
    ))
}

/// Looks up the session of a cookie value. Expired sessions are deleted and yield `None`;
/// live ones are touched (at most once a minute).
pub async fn load(
    state: &AppState,
    cookie_value: &str,
) -> crate::Result<Option<(Session, Option<User>)>> {
    if !super::is_token_shaped(cookie_value) {
        return Ok(None);
    }
    let id_hash = super::hash_token(cookie_value);
    let Some(row) = sessions::get(&state.db, &id_hash).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    let idle = state.config.session_idle.as_secs() as i64;
    let absolute = state.config.session_absolute.as_secs() as i64;
    if now - row.last_seen_at >= idle || now - row.created_at >= absolute {
        sessions::delete(&state.db, &id_hash).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY_SECS {
        sessions::touch(&state.db, &id_hash, now).await?;
    }
    let user = match row.user_id {
        Some(id) => match users::by_id(&state.db, id).await? {
            Some(user) => Some(user),
            None => return Ok(None),
        },
        None => None,
    };
    let session = Session {
        id_hash,
        user_id: row.user_id,
        csrf_token: row.csrf_token,
        created_at: row.created_at,
    };
    Ok(Some((session, user)))
}

/// `Set-Cookie` for a new session: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` when
/// the service is reached over https. No `Max-Age`: the browser forgets it when closed,
/// and the server enforces both timeouts anyway.
pub fn set_cookie(config: &Config, value: &str) -> HeaderValue {
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/{secure}"
    ))
    .expect("a base64url token is a valid header value")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(config: &Config) -> HeaderValue {
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}"
    ))
    .expect("a constant header value")
}
