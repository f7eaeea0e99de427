//! The ticket's value types: its number, state, priority, the sender of an article, and the
//! checked texts a customer or agent types (subject, body, a file name).

use super::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A ticket number in the OTRS "Date" scheme that customers already quote: the date in the
/// system time zone (`YYYYMMDD`), the two-digit system id, and that day's counter without
/// padding — `201806191010` is the 10th ticket of 2018-06-19 on system `10`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TicketNumber(String);

impl TicketNumber {
    /// The number of the `counter`-th ticket of `date` on `system_id`.
    pub fn new(date: NaiveDate, system_id: &SystemId, counter: u64) -> TicketNumber {
        TicketNumber(format!(
            "{}{}{counter}",
            date.format("%Y%m%d"),
            system_id.as_str()
        ))
    }

    /// A number as typed (spaces and a leading `#` allowed): digits only, a valid date in
    /// the first eight, and at least one counter digit after the system id.
    pub fn parse(input: &str) -> Result<TicketNumber, FieldError> {
        let s = input.trim().trim_start_matches('#').trim();
        let ok = s.len() >= 11
            && s.len() <= 30
            && s.bytes().all(|b| b.is_ascii_digit())
            && NaiveDate::parse_from_str(&s[..8], "%Y%m%d").is_ok();
        if ok {
            Ok(TicketNumber(s.to_string()))
        } else {
            Err(FieldError::new("err_ticket_number_invalid"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two-digit id of this installation in ticket numbers (`10` by default), so numbers
/// of two systems never collide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SystemId(String);

impl SystemId {
    pub fn parse(input: &str) -> Result<SystemId, String> {
        let s = input.trim();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(SystemId(s.to_string()))
        } else {
            Err(format!("expected two digits such as \"10\", got {input:?}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for SystemId {
    fn default() -> Self {
        SystemId("10".into())
    }
}

impl<'de> Deserialize<'de> for SystemId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Number(n) => format!("{n:02}"),
        };
        SystemId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Where a ticket stands. The names are the support manual's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// 新規: just created; an agent's reply moves it on.
    New,
    /// 対応中: support is working on it.
    InProgress,
    /// カスタマー確認中: support asked the customer for something.
    AwaitingCustomer,
    /// クローズ確認中: support answered and expects no more.
    PendingClose,
    /// 完了: final; no replies.
    Closed,
}

impl TicketState {
    pub const ALL: [TicketState; 5] = [
        TicketState::New,
        TicketState::InProgress,
        TicketState::AwaitingCustomer,
        TicketState::PendingClose,
        TicketState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::New => "new",
            TicketState::InProgress => "in_progress",
            TicketState::AwaitingCustomer => "awaiting_customer",
            TicketState::PendingClose => "pending_close",
            TicketState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<TicketState> {
        TicketState::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
    }

    /// The i18n key of its name (`state_new`, …).
    pub fn label_key(self) -> &'static str {
        match self {
            TicketState::New => "state_new",
            TicketState::InProgress => "state_in_progress",
            TicketState::AwaitingCustomer => "state_awaiting_customer",
            TicketState::PendingClose => "state_pending_close",
            TicketState::Closed => "state_closed",
        }
    }

    pub fn is_open(self) -> bool {
        self != TicketState::Closed
    }

    /// States a customer's reply may choose: go on, or close.
    pub const CUSTOMER_NEXT: [TicketState; 2] = [TicketState::InProgress, TicketState::Closed];

    /// States an agent's answer may choose.
    pub const AGENT_NEXT: [TicketState; 4] = [
        TicketState::InProgress,
        TicketState::AwaitingCustomer,
        TicketState::PendingClose,
        TicketState::Closed,
    ];
}

/// Priority 1 (very low) to 5 (very high); 3 (normal) by default, as in OTRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Priority(u8);

impl Priority {
    pub const ALL: [u8; 5] = [1, 2, 3, 4, 5];

    pub fn parse(input: &str) -> Result<Priority, FieldError> {
        input
            .trim()
            .parse::<u8>()
            .ok()
            .and_then(Priority::new)
            .ok_or_else(|| FieldError::new("err_priority_invalid"))
    }

    pub fn new(n: u8) -> Option<Priority> {
        (1..=5).contains(&n).then_some(Priority(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The i18n key of its name (`priority_1` … `priority_5`).
    pub fn label_key(self) -> &'static str {
        [
            "priority_1",
            "priority_2",
            "priority_3",
            "priority_4",
            "priority_5",
        ][usize::from(self.0 - 1)]
    }
}

impl Default for Priority {
    fn default() -> Self {
        Priority(3)
    }
}

/// Who wrote an article of a ticket's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Customer,
    Agent,
    /// The service itself (a timed state change, a link to a follow-up).
    System,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::Customer => "customer",
            Sender::Agent => "agent",
            Sender::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Sender> {
        match s {
            "customer" => Some(Sender::Customer),
            "agent" => Some(Sender::Agent),
            "system" => Some(Sender::System),
            _ => None,
        }
    }
}

/// A ticket's subject: 1 to 200 characters on one line (control characters, including CR
/// and LF, are refused, so a subject can never break a mail header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Subject, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("err_subject_required"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("err_subject_too_long").with("max", Self::MAX_CHARS));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new("err_subject_control"));
        }
        Ok(Subject(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of an article: not blank, at most 100,000 characters; line ends normalised to
/// `\n`, trailing blanks trimmed, nothing else touched (it is shown as plain text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Body(String);

impl Body {
    pub const MAX_CHARS: usize = 100_000;

    pub fn parse(input: &str) -> Result<Body, FieldError> {
        let s = input.replace("\r\n", "\n").replace('\r', "\n");
        let s = s.trim_end();
        if s.trim().is_empty() {
            return Err(FieldError::new("err_body_required"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("err_body_too_long").with("max", Self::MAX_CHARS));
        }
        Ok(Body(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An attachment's file name as the user's system gave it, kept only for display and the
/// download's `Content-Disposition`: the last path component, control characters removed,
/// at most 200 characters. Never used as a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FileName(String);

impl FileName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<FileName, FieldError> {
        let last = input.rsplit(['/', '\\']).next().unwrap_or("");
        let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
        let cleaned = cleaned.trim();
        if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
            return Err(FieldError::new("err_file_name_invalid"));
        }
        Ok(FileName(cleaned.chars().take(Self::MAX_CHARS).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_date_scheme() {
        let d = NaiveDate::from_ymd_opt(2018, 6, 19).unwrap();
        assert_eq!(
            TicketNumber::new(d, &SystemId::default(), 10).as_str(),
            "201806191010"
        );
        assert_eq!(
            TicketNumber::new(d, &SystemId::default(), 1).as_str(),
            "20180619101"
        );
        assert_eq!(
            TicketNumber::parse(" #201806191010 ").unwrap().as_str(),
            "201806191010"
        );
        for bad in ["", "2018061910", "20181319101", "2018061910x1", "../etc"] {
            assert!(TicketNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(SystemId::parse("7").is_err());
        assert_eq!(SystemId::parse("07").unwrap().as_str(), "07");
    }

    #[test]
    fn states_and_priorities_round_trip() {
        for s in TicketState::ALL {
            assert_eq!(TicketState::parse(s.as_str()), Some(s));
        }
        assert_eq!(Priority::default().get(), 3);
        assert!(Priority::parse("0").is_err() && Priority::parse("6").is_err());
        assert_eq!(Priority::parse("5").unwrap().label_key(), "priority_5");
    }

    #[test]
    fn texts_are_checked() {
        assert!(Subject::parse("  ").is_err());
        assert!(Subject::parse("a\r\nBcc: x@example.com").is_err());
        assert!(Subject::parse(&"あ".repeat(200)).is_ok());
        assert!(Subject::parse(&"あ".repeat(201)).is_err());
        assert_eq!(Body::parse("a\r\nb  \r\n\r\n").unwrap().as_str(), "a\nb");
        assert!(Body::parse("\n \n").is_err());
        assert_eq!(
            FileName::parse("C:\\Users\\a\\..\\log\u{7}.txt")
                .unwrap()
                .as_str(),
            "log.txt"
        );
        assert_eq!(
            FileName::parse("../../etc/passwd").unwrap().as_str(),
            "passwd"
        );
        assert!(FileName::parse("..").is_err());
    }
}
