//! Account operations shared by the admin commands, the demo and the web pages: creating
//! companies and users, changing passwords and preferences, and whether a customer may
//! open tickets (the maintenance contract).

use crate::auth::password::PasswordHasher;
use crate::auth::session::Sessions;
use crate::clock::Clock;
use crate::domain::{Email, FieldError, Password, TimeZone, UserKind};
use crate::error::{Error, Result};
use crate::read_cache::ReadCache;
use crate::store::companies::{self, Company};
use crate::store::users::{self, NewUser, Preferences, User};
use crate::store::Db;
use chrono::NaiveDate;
use kb_builder::Language;
use std::sync::Arc;
use std::time::Duration;

/// Companies the read cache holds at most.
const CACHED_COMPANIES: usize = 10_000;

/// Companies, users, passwords, preferences.
#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    clock: Clock,
    hasher: PasswordHasher,
    sessions: Sessions,
    system_time_zone: TimeZone,
    /// Companies by id: every customer page asks for its contract (see `read_cache`).
    companies: Arc<ReadCache<i64, Option<Company>>>,
}

impl Accounts {
    pub fn new(
        db: Db,
        clock: Clock,
        hasher: PasswordHasher,
        sessions: Sessions,
        system_time_zone: TimeZone,
        cache_for: Duration,
    ) -> Accounts {
        Accounts {
            db,
            clock,
            hasher,
            sessions,
            system_time_zone,
            companies: Arc::new(ReadCache::new(cache_for, CACHED_COMPANIES)),
        }
    }

    /// Sets the contract period of the company named `name` (a renewal or a correction).
    /// Customers see it at once through this process, and within
    /// `security.session_cache_seconds` through other instances, as with every change to
    /// companies (see `read_cache`).
    pub async fn set_contract(
        &self,
        name: &str,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Option<Company>> {
        contract_order(start, end)?;
        let Some(company) = companies::by_name(&self.db, name.trim()).await? else {
            return Ok(None);
        };
        if !companies::set_contract(&self.db, company.id, start, end).await? {
            return Ok(None);
        }
        Ok(Some(Company {
            contract_start: start,
            contract_end: end,
            ..company
        }))
    }

    /// Creates a company with its contract period (inclusive dates).
    pub async fn add_company(
        &self,
        name: &str,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Company> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::validation(
                "name",
                FieldError::new("err_company_name_required"),
            ));
        }
        contract_order(start, end)?;
        let id = companies::insert(&self.db, name, start, end, self.clock.now()).await?;
        Ok(Company {
            id,
            name: name.to_string(),
            contract_start: start,
            contract_end: end,
        })
    }

    /// Creates a user with a password that meets the rules.
    pub async fn add_user(
        &self,
        kind: UserKind,
        company_id: Option<i64>,
        email: &Email,
        display_name: &str,
        password: &Password,
        language: Language,
    ) -> Result<User> {
        let hash = self.hasher.hash(password).await?;
        let new = NewUser {
            kind,
            company_id,
            email: email.clone(),
            display_name: display_name.trim().to_string(),
            password_hash: hash,
            language,
            time_zone: TimeZone::default(),
        };
        let id = users::insert(&self.db, &new, self.clock.now()).await?;
        users::by_id(&self.db, id)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("user {id} vanished after insert")))
    }

    /// Sets a new password and ends the user's sessions except `keep_session` (the
    /// `id_hash` of the one the user is changing it from, if any). Reset tokens die with the
    /// old password.
    pub async fn set_password(
        &self,
        user_id: i64,
        password: &Password,
        keep_session: Option<&str>,
    ) -> Result<u64> {
        let hash = self.hasher.hash(password).await?;
        users::set_password(&self.db, user_id, &hash).await?;
        let ended = self.sessions.end_all(user_id, keep_session).await?;
        tracing::info!(user_id, sessions_ended = ended, "password changed");
        Ok(ended)
    }

    /// Saves a user's personal settings.
    pub async fn update_preferences(&self, user_id: i64, prefs: &Preferences) -> Result<()> {
        Ok(users::update_preferences(&self.db, user_id, prefs).await?)
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        Ok(users::by_email(&self.db, email).await?)
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        Ok(users::by_id(&self.db, id).await?)
    }

    /// All users, agents first, then by e-mail.
    pub async fn users(&self) -> Result<Vec<User>> {
        Ok(users::list(&self.db).await?)
    }

    /// The agents, by id.
    pub async fn agents(&self) -> Result<Vec<User>> {
        Ok(users::agents(&self.db).await?)
    }

    pub async fn company(&self, id: i64) -> Result<Option<Company>> {
        self.companies
            .get_or_read(&self.db, &id, || async {
                Ok(companies::by_id(&self.db, id).await?)
            })
            .await
    }

    pub async fn company_by_name(&self, name: &str) -> Result<Option<Company>> {
        Ok(companies::by_name(&self.db, name).await?)
    }

    /// All companies, by name.
    pub async fn companies(&self) -> Result<Vec<Company>> {
        Ok(companies::list(&self.db).await?)
    }

    /// The company of a customer (`None` for agents).
    pub async fn company_of(&self, user: &User) -> Result<Option<Company>> {
        match user.company_id {
            Some(id) => self.company(id).await,
            None => Ok(None),
        }
    }

    /// Today in the vendor's time zone, by the application's clock.
    pub fn today(&self) -> NaiveDate {
        self.clock.today(self.system_time_zone)
    }

    /// Whether `user` may read the customer edition today (see [`can_read_customer_kb`]).
    pub async fn customer_kb_permission(
        &self,
        user: &User,
        grace_days: u32,
    ) -> Result<std::result::Result<(), NaiveDate>> {
        let company = self.company_of(user).await?;
        Ok(can_read_customer_kb(
            user,
            company.as_ref(),
            self.today(),
            grace_days,
        ))
    }

    /// Whether `user` may open and answer tickets today (see [`can_open_tickets`]).
    pub async fn ticket_permission(
        &self,
        user: &User,
    ) -> Result<std::result::Result<(), TicketBlock>> {
        let company = self.company_of(user).await?;
        Ok(can_open_tickets(user, company.as_ref(), self.today()))
    }
}

/// A contract ends on or after the day it starts.
fn contract_order(start: NaiveDate, end: NaiveDate) -> Result<()> {
    if end < start {
        return Err(Error::validation(
            "contract_end",
            FieldError::new("err_contract_order"),
        ));
    }
    Ok(())
}

/// Whether `user` may read the customer edition (`/kb/`) on `today`: agents and customers
/// of a running (or not yet started) contract yes; a customer whose company's contract
/// ended more than `grace_days` days ago no (the end of the contract closes it on
/// end + grace + 1). `Err` holds the contract's end.
pub fn can_read_customer_kb(
    user: &User,
    company: Option<&Company>,
    today: NaiveDate,
    grace_days: u32,
) -> Result<(), NaiveDate> {
    if user.is_agent() {
        return Ok(());
    }
    match company {
        Some(c) if today > c.contract_end + chrono::Days::new(u64::from(grace_days)) => {
            Err(c.contract_end)
        }
        _ => Ok(()),
    }
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
    pub fn message(&self) -> FieldError {
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
