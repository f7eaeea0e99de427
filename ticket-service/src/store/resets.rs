//! Password-reset tokens: stored as SHA-256 hashes, valid until `expires_at`, used once.

use super::Conn;
use super::{col, Db, StoreResult};

/// Stores a token, in the caller's transaction (with the mail that carries it).
pub async fn insert(
    conn: &mut Conn,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The user of a token that is unused and not expired, without using it.
pub async fn find_valid(db: &Db, token_hash: &str, now: i64) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(|r| col(r, "user_id")).transpose()?)
}

/// Marks a valid token used and returns its user; one statement, so two concurrent
/// requests cannot both use it.
pub async fn consume(db: &Db, token_hash: &str, now: i64) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "UPDATE password_resets SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(|r| col(r, "user_id")).transpose()?)
}

/// Deletes every token of a user, inside the caller's transaction (password changes).
pub(crate) async fn delete_for_user(conn: &mut Conn, user_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many reset tokens are stored, used or not (admin tools and tests).
pub async fn count_all(db: &Db) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM password_resets")
        .fetch_one(db.pool())
        .await?;
    Ok(col(&row, "n")?)
}

pub async fn delete_expired(db: &Db, now: i64) -> StoreResult<u64> {
    let done =
        sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL")
            .bind(now)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected())
}
