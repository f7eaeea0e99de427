//! Domain types: parse, don't validate. Each type has one way in (`parse`), so a value of the
//! type is valid wherever it travels: handlers, services, the store, mail. Parse errors are
//! [`FieldError`]s: a message *key* of the theme's UI strings (`service.toml`) plus its
//! arguments, so the same error reads naturally in Japanese and in English.
//!
//! One file per concept; this module only re-exports them.

mod email;
mod field_error;
mod password;
mod preferences;
mod ticket;
mod time_zone;
mod user_kind;

pub use email::Email;
pub use field_error::FieldError;
pub use password::Password;
pub use preferences::{PageSize, RefreshInterval};
pub use ticket::{Body, FileName, Priority, Sender, Subject, SystemId, TicketNumber, TicketState};
pub use time_zone::TimeZone;
pub use user_kind::UserKind;
