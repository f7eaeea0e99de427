//! Rate-limit counters, shared by every instance through the database: one row per key (an
//! account, a client address, a reset target) holding the start of its window and the
//! attempts counted in it. The window starts at the first counted attempt and ends
//! `window` seconds later; an attempt refused at the limit is not counted, so a window
//! always runs out.
//!
//! [`reserve`] counts an attempt *before* the expensive work it guards (a password hash, a
//! mail) and refuses it at the limit, in one statement: PostgreSQL locks the conflicting row
//! and re-checks the `WHERE` against the committed version, and SQLite takes its write lock
//! before the statement reads. So the (N+1)-th of N+1 concurrent attempts is refused even
//! when they all arrive at once, on either backend and across instances.

use super::{col, Db, StoreResult};

/// The answer to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted; the attempt may go ahead.
    Granted,
    /// The key is at its limit until `window_ends` (unix seconds); nothing was counted.
    Refused { window_ends: i64 },
}

/// Counts one attempt of `key` if its current window holds fewer than `limit`.
pub async fn reserve(
    db: &Db,
    key: &str,
    limit: i64,
    now: i64,
    window: i64,
) -> StoreResult<Reservation> {
    let row = sqlx::query(
        "INSERT INTO throttle (throttle_key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (throttle_key) DO UPDATE SET \
           hits = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.hits + 1 END, \
           window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END \
         WHERE throttle.window_start <= $3 OR throttle.hits < $4 \
         RETURNING hits",
    )
    .bind(key)
    .bind(now)
    .bind(now - window)
    .bind(limit)
    .fetch_optional(db.pool())
    .await?;
    if row.is_some() {
        return Ok(Reservation::Granted);
    }
    let start: Option<i64> =
        sqlx::query("SELECT window_start FROM throttle WHERE throttle_key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?
            .map(|r| col(&r, "window_start"))
            .transpose()?;
    Ok(Reservation::Refused {
        window_ends: start.unwrap_or(now) + window,
    })
}

/// Gives one reserved attempt back (a login that succeeded does not count against its
/// client address).
pub async fn release(db: &Db, key: &str) -> StoreResult<()> {
    sqlx::query("UPDATE throttle SET hits = hits - 1 WHERE throttle_key = $1 AND hits > 0")
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Forgets `key` (a successful login clears its account's counter).
pub async fn clear(db: &Db, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM throttle WHERE throttle_key = $1")
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Attempts counted for `key` in its current window (admin tools and tests).
pub async fn count(db: &Db, key: &str, now: i64, window: i64) -> StoreResult<i64> {
    let row =
        sqlx::query("SELECT hits FROM throttle WHERE throttle_key = $1 AND window_start > $2")
            .bind(key)
            .bind(now - window)
            .fetch_optional(db.pool())
            .await?;
    Ok(match row {
        Some(r) => col(&r, "hits")?,
        None => 0,
    })
}

/// How many counters are stored, current or not (admin tools and tests).
pub async fn count_all(db: &Db) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM throttle")
        .fetch_one(db.pool())
        .await?;
    Ok(col(&row, "n")?)
}

/// Deletes the counters whose window ended before `now`.
pub async fn delete_expired(db: &Db, now: i64, window: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM throttle WHERE window_start <= $1")
        .bind(now - window)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
