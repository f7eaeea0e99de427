//! Sessions, shared by every instance through the database. Only the SHA-256 of the
//! session id is stored, so a leaked table does not hand out logins. A row without a user
//! is an anonymous pre-session carrying the CSRF token of the login, forgot and reset forms.

use super::{col, Db, StoreResult};
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

fn from_row(row: &AnyRow) -> StoreResult<SessionRow> {
    Ok(SessionRow {
        id_hash: col(row, "id_hash")?,
        user_id: col(row, "user_id")?,
        csrf_token: col(row, "csrf_token")?,
        created_at: col(row, "created_at")?,
        last_seen_at: col(row, "last_seen_at")?,
    })
}

pub async fn insert(db: &Db, s: &SessionRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.id_hash)
    .bind(s.user_id)
    .bind(&s.csrf_token)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id_hash: &str) -> StoreResult<Option<SessionRow>> {
    let row = sqlx::query("SELECT id_hash, user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn touch(db: &Db, id_hash: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at < $1")
        .bind(now)
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    db.changed();
    Ok(())
}

/// Ends every session of a user (after a password reset).
pub async fn delete_for_user(db: &Db, user_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    db.changed();
    Ok(done.rows_affected())
}

/// Ends every session of a user but one (after a password change on `/settings`).
pub async fn delete_for_user_except(db: &Db, user_id: i64, keep_id_hash: &str) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep_id_hash)
        .execute(db.pool())
        .await?;
    db.changed();
    Ok(done.rows_affected())
}

/// How many live-or-not session rows a user has (for tests and admin tools).
pub async fn count_for_user(db: &Db, user_id: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await?;
    Ok(col(&row, "n")?)
}

/// How many session rows exist, logged in or anonymous (admin tools and tests).
pub async fn count_all(db: &Db) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM sessions")
        .fetch_one(db.pool())
        .await?;
    Ok(col(&row, "n")?)
}

pub async fn delete_expired(
    db: &Db,
    now: i64,
    idle_secs: i64,
    absolute_secs: i64,
) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(now - idle_secs)
        .bind(now - absolute_secs)
        .execute(db.pool())
        .await?;
    if done.rows_affected() > 0 {
        db.changed();
    }
    Ok(done.rows_affected())
}
