//! Personal API tokens: the rows behind `Authorization: Bearer …` on `/api/v1`. Only the
//! SHA-256 of a token is stored (`token_hash`, unique), so a leaked table hands out no
//! access. Each of a user's tokens takes one of a fixed number of slots, and the unique
//! `(user_id, slot)` pair (`api_tokens_slot_key`) is what keeps a user under the limit
//! even when many creations race.

use super::{col, duplicate_as, Db, StoreResult};
use sqlx::any::AnyRow;

/// A stored token, without its secret.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, name, created_at, last_used_at";

fn from_row(row: &AnyRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
        last_used_at: col(row, "last_used_at")?,
    })
}

/// The slots a user's tokens hold now.
pub async fn used_slots(db: &Db, user_id: i64) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query("SELECT slot FROM api_tokens WHERE user_id = $1 ORDER BY slot")
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| col(r, "slot").map_err(Into::into))
        .collect()
}

/// Stores a token in `slot`. [`super::StoreError::Duplicate`]`("slot")` when another
/// creation took that slot first.
pub async fn insert(
    db: &Db,
    user_id: i64,
    slot: i64,
    name: &str,
    token_hash: &str,
    now: i64,
) -> StoreResult<ApiToken> {
    let row = sqlx::query(&format!(
        "INSERT INTO api_tokens (user_id, slot, name, token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(user_id)
    .bind(slot)
    .bind(name)
    .bind(token_hash)
    .bind(now)
    .fetch_one(db.pool())
    .await
    .map_err(duplicate_as(
        "api_tokens_slot_key",
        "api_tokens.slot",
        "slot",
    ))?;
    from_row(&row)
}

/// The token with this hash, if any.
pub async fn by_hash(db: &Db, token_hash: &str) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A user's tokens, oldest first.
pub async fn of_user(db: &Db, user_id: i64) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Deletes one of a user's tokens; whether there was one (another user's id is `false`).
pub async fn delete(db: &Db, id: i64, user_id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes every token of a user (a password reset: whoever knew the old password may
/// have made one); how many there were.
pub async fn delete_for_user(db: &Db, user_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Records a use at `now`, unless one was recorded within the last `every_secs` (so a
/// busy client costs one write a minute, not one per request).
pub async fn touch(db: &Db, id: i64, now: i64, every_secs: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 \
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - every_secs)
    .execute(db.pool())
    .await?;
    Ok(())
}
