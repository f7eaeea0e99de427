//! The two interface and content languages. Japanese is the default everywhere.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A language Madoguchi speaks. Parsing is the only way to get one, so a value of this type
/// is always a language the theme has strings for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Ja,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Ja, Language::En];

    /// The BCP 47 code used in `lang` attributes, URLs and configuration.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    /// Parses `ja` or `en` (case-insensitive, region subtags such as `ja-JP` accepted).
    pub fn parse(s: &str) -> Option<Language> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "ja" => Some(Language::Ja),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Picks the best language from an HTTP `Accept-Language` header, honouring q-values;
    /// falls back to Japanese.
    pub fn from_accept_language(header: &str) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Language::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_regions() {
        assert_eq!(Language::parse("ja"), Some(Language::Ja));
        assert_eq!(Language::parse("EN-us"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(Language::parse(""), None);
    }

    #[test]
    fn accept_language_honours_quality() {
        assert_eq!(
            Language::from_accept_language("en-US,en;q=0.9,ja;q=0.8"),
            Language::En
        );
        assert_eq!(
            Language::from_accept_language("fr,ja;q=0.5,en;q=0.4"),
            Language::Ja
        );
        assert_eq!(Language::from_accept_language("de"), Language::Ja);
        assert_eq!(
            Language::from_accept_language("en;q=0,ja;q=0.1"),
            Language::Ja
        );
    }
}
