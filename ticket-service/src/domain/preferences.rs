//! The ticket-list preferences a user picks from fixed choices: [`RefreshInterval`] and
//! [`PageSize`].

use super::FieldError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
