//! Users: customers and agents. The e-mail address is the login id, unique
//! (`users_email_key`). Changing a password here also kills the user's outstanding reset
//! tokens, in the same transaction, so no path can forget it.

use super::{col, duplicate_as, resets, Db, StoreError, StoreResult};
use crate::domain::{Email, PageSize, RefreshInterval, TimeZone, UserKind};
use kb_builder::Language;
use sqlx::any::AnyRow;

/// A stored user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub kind: UserKind,
    /// Set for customers, `None` for agents.
    pub company_id: Option<i64>,
    pub email: Email,
    pub display_name: String,
    /// PHC string (`$argon2id$v=19$m=…`).
    pub password_hash: String,
    pub language: Language,
    pub time_zone: TimeZone,
    pub refresh: RefreshInterval,
    pub page_size: PageSize,
    pub created_at: i64,
}

impl User {
    pub fn is_agent(&self) -> bool {
        self.kind == UserKind::Agent
    }
}

/// What it takes to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub kind: UserKind,
    pub company_id: Option<i64>,
    pub email: Email,
    pub display_name: String,
    pub password_hash: String,
    pub language: Language,
    pub time_zone: TimeZone,
}

/// The personal settings a user changes on `/settings`.
#[derive(Debug, Clone, Copy)]
pub struct Preferences {
    pub language: Language,
    pub time_zone: TimeZone,
    pub refresh: RefreshInterval,
    pub page_size: PageSize,
}

const COLUMNS: &str =
    "id, kind, company_id, email, display_name, password_hash, language, time_zone, \
                       refresh_minutes, page_size, created_at";

fn from_row(row: &AnyRow) -> StoreResult<User> {
    let corrupt = |column: &'static str| StoreError::Corrupt {
        table: "users",
        column,
    };
    let kind: String = col(row, "kind")?;
    let email: String = col(row, "email")?;
    let language: String = col(row, "language")?;
    let time_zone: String = col(row, "time_zone")?;
    Ok(User {
        id: col(row, "id")?,
        kind: UserKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        company_id: col(row, "company_id")?,
        email: Email::parse(&email).map_err(|_| corrupt("email"))?,
        display_name: col(row, "display_name")?,
        password_hash: col(row, "password_hash")?,
        language: Language::parse(&language).ok_or_else(|| corrupt("language"))?,
        time_zone: TimeZone::parse(&time_zone).map_err(|_| corrupt("time_zone"))?,
        refresh: RefreshInterval::from_minutes(col(row, "refresh_minutes")?).unwrap_or_default(),
        page_size: PageSize::from_count(col(row, "page_size")?).unwrap_or_default(),
        created_at: col(row, "created_at")?,
    })
}

/// Inserts a user; a taken e-mail address is [`StoreError::Duplicate`]`("email")`.
pub async fn insert(db: &Db, user: &NewUser, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO users (kind, company_id, email, display_name, password_hash, language, time_zone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(user.kind.as_str())
    .bind(user.company_id)
    .bind(user.email.as_str())
    .bind(&user.display_name)
    .bind(&user.password_hash)
    .bind(user.language.code())
    .bind(user.time_zone.name())
    .bind(now)
    .fetch_one(db.pool())
    .await
    .map_err(duplicate_as("users_email_key", "users.email", "email"))?;
    Ok(col(&row, "id")?)
}

pub async fn by_id(db: &Db, id: i64) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_email(db: &Db, email: &Email) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email.as_str())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// All users, agents first, then by e-mail.
pub async fn list(db: &Db) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY kind, email"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// The agents, by id: for the owner lists of the agents' pages, which must not read every
/// customer (thousands at a large vendor) to find them (`users_agents_idx`).
pub async fn agents(db: &Db) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE kind = 'agent' ORDER BY id"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The customers of a company (its contacts), by e-mail.
pub async fn of_company(db: &Db, company_id: i64) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 ORDER BY email"
    ))
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn update_preferences(db: &Db, id: i64, prefs: &Preferences) -> StoreResult<()> {
    sqlx::query("UPDATE users SET language = $1, time_zone = $2, refresh_minutes = $3, page_size = $4 WHERE id = $5")
        .bind(prefs.language.code())
        .bind(prefs.time_zone.name())
        .bind(i64::from(prefs.refresh.as_minutes()))
        .bind(i64::from(prefs.page_size.get()))
        .bind(id)
        .execute(db.pool())
        .await?;
    db.changed();
    Ok(())
}

/// Sets a new password hash and, in the same transaction, deletes every reset token of
/// the user: a reset link must not outlive the password it was meant to replace.
pub async fn set_password(db: &Db, id: i64, password_hash: &str) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    resets::delete_for_user(&mut tx, id).await?;
    tx.commit().await?;
    db.changed();
    Ok(())
}

/// Replaces the hash of the *same* password with a stronger one (after a login with weak
/// parameters). Not a password change: reset tokens and sessions stay.
pub async fn upgrade_hash(db: &Db, id: i64, old_hash: &str, new_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new_hash)
        .bind(id)
        .bind(old_hash)
        .execute(db.pool())
        .await?;
    db.changed();
    Ok(())
}
