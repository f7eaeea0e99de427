//! Account operations shared by the admin commands, the demo and the web pages: creating
//! companies and users, changing passwords, and whether a customer may open tickets.

use crate::domain::{Email, Password, TimeZone, UserKind};
use crate::startup::AppState;
use crate::store::companies::{self, Company};
use crate::store::sessions;
use crate::store::users::{self, NewUser, User};
use chrono::NaiveDate;
use kb_builder::Language;

/// Creates a company with its contract period (inclusive dates).
pub async fn add_company(
    state: &AppState,
    name: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> crate::Result<Company> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::Error::validation(
            "name",
            crate::domain::FieldError::new("err_company_name_required"),
        ));
    }
    if end < start {
        return Err(crate::Error::validation(
            "contract_end",
            crate::domain::FieldError::new("err_contract_order"),
        ));
    }
    let id = companies::insert(&state.db, name, start, end, state.clock.now()).await?;
    Ok(Company {
        id,
        name: name.to_string(),
        contract_start: start,
        contract_end: end,
    })
}

/// Creates a user with a password that meets the rules.
pub async fn add_user(
    state: &AppState,
    kind: UserKind,
    company_id: Option<i64>,
    email: &Email,
    display_name: &str,
    password: &Password,
    language: Language,
) -> crate::Result<User> {
    let hash = state.hasher.hash(password).await?;
    let new = NewUser {
        kind,
        company_id,
        email: email.clone(),
        display_name: display_name.trim().to_string(),
        password_hash: hash,
        language,
        time_zone: TimeZone::default(),
    };
    let id = users::insert(&state.db, &new, state.clock.now()).await?;
    users::by_id(&state.db, id)
        .await?
        .ok_or_else(|| crate::Error::Internal(anyhow::anyhow!("user {id} vanished after insert")))
}

/// Sets a new password and ends the user's sessions except `keep_session` (the one the
/// user is changing it from, if any). Reset tokens die with the old password.
pub async fn set_password(
    state: &AppState,
    user_id: i64,
    password: &Password,
    keep_session: Option<&str>,
) -> crate::Result<u64> {
    let hash = state.hasher.hash(password).await?;
    users::set_password(&state.db, user_id, &hash).await?;
    let ended = match keep_session {
        Some(keep) => sessions::delete_for_user_except(&state.db, user_id, keep).await?,
        None => sessions::delete_for_user(&state.db, user_id).await?,
    };
    tracing::info!(user_id, sessions_ended = ended, "password changed");
    Ok(ended)
}

/// Why a user may not open or answer tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketBlock {
    ContractNotStarted { start: NaiveDate },
    ContractEnded { end: NaiveDate },
    NoCompany,
}

impl TicketBlock {
    /// The notice shown to the user, as an i18n key with arguments.
    pub fn message(&self) -> crate::domain::FieldError {
        use crate::domain::FieldError;
        match self {
            TicketBlock::ContractNotStarted { start } => {
                FieldError::new("notice_contract_not_started")
                    .with("date", start.format("%Y-%m-%d"))
            }
            TicketBlock::ContractEnded { end } => {
                FieldError::new("notice_contract_ended").with("date", end.format("%Y-%m-%d"))
            }
            TicketBlock::NoCompany => FieldError::new("notice_no_company"),
        }
    }
}

/// Whether `user` may open (and answer) tickets on `today` (a date in the vendor's time
/// zone): agents always, customers while their company's contract runs (both ends
/// inclusive). Users who may not can still log in and read.
pub fn can_open_tickets(
    user: &User,
    company: Option<&Company>,
    today: NaiveDate,
) -> Result<(), TicketBlock> {
    if user.is_agent() {
        return Ok(());
    }
    let company = company.ok_or(TicketBlock::NoCompany)?;
    if today < company.contract_start {
        Err(TicketBlock::ContractNotStarted {
            start: company.contract_start,
        })
    } else if today > company.contract_end {
        Err(TicketBlock::ContractEnded {
            end: company.contract_end,
        })
    } else {
        Ok(())
    }
}

/// Today in the vendor's time zone, by the application's clock.
pub fn today(state: &AppState) -> NaiveDate {
    let tz = state.config.system_time_zone.tz();
    chrono::DateTime::from_timestamp(state.clock.now(), 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PageSize, RefreshInterval};

    fn customer() -> User {
        User {
            id: 1,
            kind: UserKind::Customer,
            company_id: Some(1),
            email: Email::parse("a@example.com").unwrap(),
            display_name: "A".into(),
            password_hash: String::new(),
            language: Language::Ja,
            time_zone: TimeZone::default(),
            refresh: RefreshInterval::default(),
            page_size: PageSize::default(),
            created_at: 0,
        }
    }

    #[test]
    fn contract_period_is_inclusive() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let company = Company {
            id: 1,
            name: "X".into(),
            contract_start: d("2025-04-01"),
            contract_end: d("2026-03-31"),
        };
        let user = customer();
        assert_eq!(
            can_open_tickets(&user, Some(&company), d("2025-04-01")),
            Ok(())
        );
        assert_eq!(
            can_open_tickets(&user, Some(&company), d("2026-03-31")),
            Ok(())
        );
        assert_eq!(
            can_open_tickets(&user, Some(&company), d("2026-04-01")),
            Err(TicketBlock::ContractEnded {
                end: d("2026-03-31")
            })
        );
        assert_eq!(
            can_open_tickets(&user, Some(&company), d("2025-03-31")),
            Err(TicketBlock::ContractNotStarted {
                start: d("2025-04-01")
            })
        );
        let agent = User {
            kind: UserKind::Agent,
            company_id: None,
            ..customer()
        };
        assert_eq!(can_open_tickets(&agent, None, d("2030-01-01")), Ok(()));
    }
}
