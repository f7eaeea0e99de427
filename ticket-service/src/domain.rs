//! Domain types: parse, don't validate. Each type has one way in (`parse`), so a value of the
//! type is valid wherever it travels: handlers, the store, mail. Parse errors carry a message
//! *key* of the theme's UI strings (`service.toml`) plus its arguments, so the same error
//! reads naturally in Japanese and in English.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

/// A user-facing problem with one input: an i18n key and the values for its `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(key: &'static str) -> Self {
        FieldError {
            key,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in the language of `strings`, placeholders filled in. An unknown key
    /// shows itself, which a test of the theme catches.
    pub fn translate(&self, strings: &kb_builder::theme::Strings) -> String {
        let mut text = strings
            .get(self.key)
            .cloned()
            .unwrap_or_else(|| self.key.to_string());
        for (name, value) in &self.args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key)?;
        for (name, value) in &self.args {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

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

/// An IANA time zone name known to chrono-tz (`Asia/Tokyo`, `Europe/Berlin`, `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<TimeZone, FieldError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(FieldError::new("err_time_zone_required"));
        }
        // Exact names only: a case-folded or abbreviated guess would store a zone the user
        // did not pick.
        name.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| FieldError::new("err_time_zone_unknown").with("value", name))
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every zone name, sorted, for the settings page's `<select>`.
    pub fn all_names() -> &'static [&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| {
            let mut names: Vec<&'static str> =
                chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
            names.sort_unstable();
            names
        })
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::Asia::Tokyo)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How often the ticket list reloads itself: off, or one of a few minute values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefreshInterval(u32);

impl RefreshInterval {
    /// The offered values in minutes; 0 means off.
    pub const CHOICES: [u32; 6] = [0, 2, 5, 7, 10, 15];

    pub fn parse(input: &str) -> Result<RefreshInterval, FieldError> {
        let s = input.trim();
        let minutes = if s.eq_ignore_ascii_case("off") {
            Some(0)
        } else {
            s.parse::<u32>().ok()
        };
        match minutes {
            Some(m) if Self::CHOICES.contains(&m) => Ok(RefreshInterval(m)),
            _ => Err(FieldError::new("err_refresh_invalid")),
        }
    }

    pub fn from_minutes(m: i64) -> Option<RefreshInterval> {
        u32::try_from(m)
            .ok()
            .filter(|m| Self::CHOICES.contains(m))
            .map(RefreshInterval)
    }

    /// Minutes between reloads, `None` when off.
    pub fn minutes(self) -> Option<u32> {
        (self.0 != 0).then_some(self.0)
    }

    pub fn as_minutes(self) -> u32 {
        self.0
    }
}

/// Tickets per page of the ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub const CHOICES: [u32; 5] = [15, 20, 25, 30, 50];

    pub fn parse(input: &str) -> Result<PageSize, FieldError> {
        match input.trim().parse::<u32>() {
            Ok(n) if Self::CHOICES.contains(&n) => Ok(PageSize(n)),
            _ => Err(FieldError::new("err_page_size_invalid")),
        }
    }

    pub fn from_count(n: i64) -> Option<PageSize> {
        u32::try_from(n)
            .ok()
            .filter(|n| Self::CHOICES.contains(n))
            .map(PageSize)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        PageSize(25)
    }
}

/// Customer or support agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Customer,
    Agent,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Customer => "customer",
            UserKind::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<UserKind> {
        match s {
            "customer" => Some(UserKind::Customer),
            "agent" => Some(UserKind::Agent),
            _ => None,
        }
    }
}

/// A new password that meets the rules: 10 to 1,024 characters (counted as characters, not
/// bytes, and never truncated), and not one of the 1,000 most common passwords. Debug never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// The 1,000 most common passwords; see the header of the file for where they come from.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

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

    #[test]
    fn time_zone_takes_iana_names_only() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(TimeZone::default().name(), "Asia/Tokyo");
        let err = TimeZone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(err.key, "err_time_zone_unknown");
        assert!(TimeZone::parse("JST+9").is_err());
        assert!(TimeZone::all_names().contains(&"Asia/Tokyo"));
        assert!(TimeZone::all_names().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn refresh_and_page_size_accept_only_offered_values() {
        assert_eq!(RefreshInterval::parse("off").unwrap().minutes(), None);
        assert_eq!(RefreshInterval::parse("0").unwrap().minutes(), None);
        assert_eq!(RefreshInterval::parse("7").unwrap().minutes(), Some(7));
        assert!(RefreshInterval::parse("3").is_err());
        assert!(RefreshInterval::parse("-2").is_err());
        assert_eq!(PageSize::parse("50").unwrap().get(), 50);
        assert!(PageSize::parse("40").is_err());
        assert!(PageSize::parse("lots").is_err());
        assert_eq!(PageSize::from_count(99), None);
    }

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

    #[test]
    fn field_errors_fill_placeholders() {
        let mut strings = kb_builder::theme::Strings::new();
        strings.insert("k".into(), "at least {min} characters".into());
        assert_eq!(
            FieldError::new("k").with("min", 10).translate(&strings),
            "at least 10 characters"
        );
    }
}
