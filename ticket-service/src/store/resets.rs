//! Password-reset tokens: stored as SHA-256 hashes, valid until `expires_at`, used once.

use super::{col, Db};
use sqlx::{Any, Transaction};

pub async fn insert(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The user of a token that is unused and not expired, without using it.
pub async fn find_valid(db: &Db, token_hash: &str, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(|r| col(r, "user_id")).transpose()
}

/// Marks a valid token used and returns its user; one statement, so two concurrent
/// requests cannot both use it.
pub async fn consume(db: &Db, token_hash: &str, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE password_resets SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(|r| col(r, "user_id")).transpose()
}

/// Deletes every token of a user, inside the caller's transaction (password changes).
pub(crate) async fn delete_for_user(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL")
            .bind(now)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected())
}
