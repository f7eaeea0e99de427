//! The cookies the service sets and reads: the session cookie and the anonymous visitor's
//! language choice.

use crate::config::Server;
use crate::token::is_token_shaped;
use axum::http::{header, HeaderMap, HeaderValue};

/// The session cookie's name.
pub const SESSION: &str = "mdg_session";

/// Remembers an anonymous visitor's language choice.
pub const LANG: &str = "lang";

/// The nonce an anonymous visitor's forms are signed for (see `http::csrf`).
pub const FORM: &str = "mdg_form";

/// The value of one cookie of the request.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// The form nonce of an anonymous visitor's cookie, if it is well-formed.
pub fn form_nonce(headers: &HeaderMap) -> Option<String> {
    get(headers, FORM).filter(|n| is_token_shaped(n))
}

fn secure(server: &Server) -> &'static str {
    if server.secure_cookies() {
        "; Secure"
    } else {
        ""
    }
}

/// `Set-Cookie` for a new session: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` when
/// the service is reached over https. No `Max-Age`: the browser forgets it when closed,
/// and the server enforces both timeouts anyway.
pub fn set_session(server: &Server, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION}={value}; HttpOnly; SameSite=Lax; Path=/{}",
        secure(server)
    ))
    .expect("a base64url token is a valid header value")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session(server: &Server) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{}",
        secure(server)
    ))
    .expect("a constant header value")
}

/// `Set-Cookie` of an anonymous visitor's form nonce: `HttpOnly`, `SameSite=Strict` (no
/// other site ever needs to send it), for the browser session.
pub fn set_form_nonce(server: &Server, nonce: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{FORM}={nonce}; HttpOnly; SameSite=Strict; Path=/{}",
        secure(server)
    ))
    .expect("a base64url token is a valid header value")
}
