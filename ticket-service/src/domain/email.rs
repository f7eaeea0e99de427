//! [`Email`]: the login id.

use super::FieldError;
use std::fmt;

/// An e-mail address used as the login id: trimmed, lowercased, one `@`, a dotted domain,
/// and acceptable to the mail builder. Lowercasing the local part is not RFC-exact, but
/// every mail system our customers use treats it case-insensitively, and it makes the
/// login id unique the way people expect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Email, FieldError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(FieldError::new("err_email_required"));
        }
        let invalid = || FieldError::new("err_email_invalid");
        if s.len() > Self::MAX_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        if s.parse::<lettre::Address>().is_err() {
            return Err(invalid());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Yamada@Example.CO.JP ").unwrap().as_str(),
            "yamada@example.co.jp"
        );
        for bad in [
            "",
            "yamada",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Email::parse("").unwrap_err().key, "err_email_required");
    }
}
