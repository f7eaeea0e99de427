//! [`TimeZone`]: an IANA zone name, in which a user sees every time.

use super::FieldError;
use std::fmt;
use std::sync::OnceLock;

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

impl serde::Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        TimeZone::parse(&name).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected an IANA time zone name such as Asia/Tokyo, got {name:?}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
