//! Secret tokens: 256 random bits from the OS for session ids, CSRF tokens, reset tokens
//! and Message-IDs; their SHA-256 for storage; a comparison that does not leak through its
//! timing. A leaf: it knows nothing of the rest of the crate.

use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits from the OS, base64url without padding (43 characters): session ids,
/// CSRF tokens, reset tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `s` looks like a token from [`random_token`] (cheap check before a lookup).
pub fn is_token_shaped(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Hex SHA-256 of a token: what the database stores instead of the token. Tokens carry 256
/// random bits, so a fast hash is enough (nothing to brute-force).
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Signs the nonces of anonymous forms (login, forgot, reset): the form's CSRF token is the
/// HMAC-SHA256 of a random nonce kept in a cookie, under a key every instance shares. A
/// request is genuine when its form token is the signature of its cookie's nonce; forging
/// one needs the key. No row is written when such a form is shown.
#[derive(Clone)]
pub struct FormKey(std::sync::Arc<Vec<u8>>);

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(<redacted>)")
    }
}

impl FormKey {
    /// A key from the installation's stored secret (base64url text).
    pub fn from_secret(secret: &str) -> FormKey {
        FormKey(std::sync::Arc::new(secret.as_bytes().to_vec()))
    }

    /// The form token that belongs to `nonce`.
    pub fn sign(&self, nonce: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"madoguchi-form-csrf:");
        mac.update(nonce.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is the signature of `nonce` (compared in constant time).
    pub fn verify(&self, nonce: &str, token: &str) -> bool {
        is_token_shaped(nonce) && constant_time_eq(&self.sign(nonce), token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_are_signatures_of_their_nonce() {
        let key = FormKey::from_secret("k1");
        let nonce = random_token();
        let token = key.sign(&nonce);
        assert!(key.verify(&nonce, &token));
        assert!(!key.verify(&random_token(), &token), "another nonce");
        assert!(
            !FormKey::from_secret("k2").verify(&nonce, &token),
            "another key"
        );
        assert!(
            !key.verify("short", &key.sign("short")),
            "nonces are random tokens"
        );
    }

    #[test]
    fn tokens_are_random_and_shaped() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert!(is_token_shaped(&a), "{a}");
        assert!(!is_token_shaped("../../etc/passwd"));
        assert_eq!(hash_token(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }
}
