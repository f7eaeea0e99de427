//! Failed-login records for rate limiting, one row per failure, keyed by account or client
//! address. Kept in the database so the limit holds across instances; a sliding window.

use super::{col, Db};

pub async fn record_failure(db: &Db, key: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (throttle_key, failed_at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Failures of `key` after `since`: how many, and when the oldest of them happened.
pub async fn failures_since(
    db: &Db,
    key: &str,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(failed_at) AS oldest FROM login_failures WHERE throttle_key = $1 AND failed_at > $2",
    )
    .bind(key)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok((col(&row, "n")?, col(&row, "oldest")?))
}

/// Forgets the failures of `key` (a successful login clears its account's counter).
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete_older_than(db: &Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
        .bind(cutoff)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
