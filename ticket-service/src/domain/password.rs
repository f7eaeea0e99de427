//! [`Password`]: a new password that meets the rules.

use super::FieldError;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

/// A new password that meets the rules: 10 to 1,024 characters (counted as characters, not
/// bytes, and never truncated), not one of the 1,000 most common passwords, and hard enough
/// to guess by zxcvbn's estimate (`security.min_password_score`). Debug never shows it.
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

    /// zxcvbn's scores go from 0 (guessed within 10³ tries) to 4 (more than 10¹⁰).
    pub const MAX_SCORE: u8 = 4;
    /// The default of `security.min_password_score`: more than 10⁸ guesses.
    pub const DEFAULT_MIN_SCORE: u8 = 3;
    /// zxcvbn's matching grows faster than linearly with the length; it sees this many
    /// characters, which is plenty to tell a guessable password from a good one.
    const ESTIMATED_CHARS: usize = 100;

    /// Checks a new password; `min_score` is `security.min_password_score` and
    /// `user_inputs` are words of the account (its address, its name) that make a password
    /// weak when it contains them.
    pub fn parse(input: &str, min_score: u8, user_inputs: &[&str]) -> Result<Password, FieldError> {
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
        if min_score > 0 {
            let estimated: String = input.chars().take(Self::ESTIMATED_CHARS).collect();
            // The account's words whole and in parts ("tanaka.ichiro@example.com" gives
            // "tanaka" and "ichiro" too), as zxcvbn only matches whole entries.
            let words: Vec<String> = user_inputs
                .iter()
                .flat_map(|input| {
                    std::iter::once(input.to_lowercase()).chain(
                        input
                            .split(|c: char| !c.is_alphanumeric())
                            .filter(|w| w.chars().count() >= 3)
                            .map(str::to_lowercase),
                    )
                })
                .collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let entropy = zxcvbn::zxcvbn(&estimated, &words);
            if u8::from(entropy.score()) < min_score {
                let warning = entropy.feedback().and_then(|f| f.warning());
                return Err(FieldError::new(weakness_key(warning)));
            }
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
        Password(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
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

/// Our own message for zxcvbn's reason (its English text is not shown): the i18n key.
fn weakness_key(warning: Option<zxcvbn::feedback::Warning>) -> &'static str {
    use zxcvbn::feedback::Warning as W;
    match warning {
        Some(W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess) => {
            "err_password_weak_keyboard"
        }
        Some(
            W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => "err_password_weak_repeat",
        Some(
            W::ThisIsATop10Password
            | W::ThisIsATop100Password
            | W::ThisIsACommonPassword
            | W::ThisIsSimilarToACommonlyUsedPassword,
        ) => "err_password_weak_common",
        Some(W::SequencesLikeAbcAreEasyToGuess) => "err_password_weak_sequence",
        Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => {
            "err_password_weak_date"
        }
        Some(
            W::AWordByItselfIsEasyToGuess
            | W::NamesAndSurnamesByThemselvesAreEasyToGuess
            | W::CommonNamesAndSurnamesAreEasyToGuess,
        ) => "err_password_weak_word",
        None => "err_password_weak",
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

    fn parse(input: &str) -> Result<Password, FieldError> {
        Password::parse(input, Password::DEFAULT_MIN_SCORE, &[])
    }

    #[test]
    fn password_rules() {
        assert_eq!(parse("short").unwrap_err().key, "err_password_too_short");
        assert_eq!(parse("1234567890").unwrap_err().key, "err_password_common");
        assert_eq!(parse("Password123").unwrap_err().key, "err_password_common");
        let long = |n: usize| "Tq8!vWz3#pLk".chars().cycle().take(n).collect::<String>();
        assert!(parse(&long(128)).is_ok());
        assert!(parse(&long(1024)).is_ok());
        assert_eq!(parse(&long(1025)).unwrap_err().key, "err_password_too_long");
        // Ten characters, counted as characters: 10 kana are 30 bytes and still fine.
        assert!(parse("まどぐちのパスワード").is_ok());
        assert_eq!(
            format!("{:?}", parse("correct horse battery").unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        for (weak, key) in [
            ("aaaaaaaaaa", "err_password_weak_repeat"),
            ("0000000000", "err_password_weak_repeat"),
            ("x".repeat(128).as_str(), "err_password_weak_repeat"),
            ("abcdefghijklm", "err_password_weak_sequence"),
        ] {
            assert_eq!(parse(weak).unwrap_err().key, key, "{weak}");
        }
        // The account's own words count as guessable.
        assert!(parse("zqxwvkjplm-hq").is_ok());
        assert!(Password::parse("zqxwvkjplm-hq", 3, &["zqxwvkjplm@example.com"]).is_err());
        // Score 0 turns the estimate off; the length and list rules stay.
        assert!(Password::parse("aaaaaaaaaa", 0, &[]).is_ok());
        assert!(Password::parse("1234567890", 0, &[]).is_err());
        for strong in [
            "correct horse battery staple",
            "kaigi-shitsu-2024",
            "窓口の猫は午後三時に眠る",
        ] {
            assert!(parse(strong).is_ok(), "{strong}");
        }
        for generated in 0..20 {
            assert!(parse(Password::generate().expose()).is_ok(), "{generated}");
        }
    }

    #[test]
    fn the_common_list_has_a_thousand_entries() {
        assert_eq!(common_passwords().len(), 1000);
    }
}
