//! [`Password`]: a new password that meets the rules.

use super::FieldError;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

/// A new password that meets the rules: 10 to 1,024 characters (counted as characters, not
/// bytes, and never truncated), and not one of the 1,000 most common passwords. Debug never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// The 1,000 most common passwords; see the header of the file for where they come from.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

fn common_passwords() -> &'static BTreeSet<&'static str> {
    static SET: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(input: &str) -> Result<Password, FieldError> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new("err_password_too_short").with("min", Self::MIN_CHARS));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new("err_password_too_long").with("max", Self::MAX_CHARS));
        }
        if common_passwords().contains(input.to_lowercase().as_str()) {
            return Err(FieldError::new("err_password_common"));
        }
        Ok(Password(input.to_string()))
    }

    /// A password for a person to type once and change: 20 characters of 120 random bits
    /// (base64url), made by the admin commands and the demo.
    pub fn generate() -> Password {
        use base64::Engine as _;
        use rand::RngCore as _;
        let mut bytes = [0u8; 15];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Password::parse(&text).expect("20 random characters meet the password rules")
    }

    /// Wraps a password the user already has (it verified against their hash), without
    /// today's rules for new passwords; only the length cap applies.
    pub fn existing(input: &str) -> Option<Password> {
        (input.chars().count() <= Self::MAX_CHARS).then(|| Password(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert_eq!(
            Password::parse("short").unwrap_err().key,
            "err_password_too_short"
        );
        assert_eq!(
            Password::parse("1234567890").unwrap_err().key,
            "err_password_common"
        );
        assert_eq!(
            Password::parse("Password123").unwrap_err().key,
            "err_password_common"
        );
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(1024)).is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(1025)).unwrap_err().key,
            "err_password_too_long"
        );
        // Ten characters, counted as characters: 10 kana are 30 bytes and still fine.
        assert!(Password::parse("まどぐちのパスワード").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse battery").unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn the_common_list_has_a_thousand_entries() {
        assert_eq!(common_passwords().len(), 1000);
    }
}
