//! Rate limits that protect accounts: failed logins (per account and per client address)
//! and password-reset mails (per account and per address). An attempt is *reserved* before
//! the expensive work it guards — a password hash, a mail — with one atomic statement
//! (`store::throttle::reserve`), so N+1 attempts sent at once still get at most N
//! through, on either backend and across instances. Past the limit the caller gets
//! [`Error::TooManyRequests`] with the time until the window ends.

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store::throttle::{self, Reservation};
use crate::store::Db;
use std::time::Duration;

/// One limited key and its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub max: i64,
}

impl Limit {
    pub fn new(key: String, max: u32) -> Limit {
        Limit {
            key,
            max: i64::from(max),
        }
    }
}

/// Reserves attempts against the throttle table, in one window length.
#[derive(Clone, Debug)]
pub struct Limiter {
    db: Db,
    clock: Clock,
    window: Duration,
}

impl Limiter {
    pub fn new(db: Db, clock: Clock, window: Duration) -> Limiter {
        Limiter { db, clock, window }
    }

    fn window_secs(&self) -> i64 {
        self.window.as_secs() as i64
    }

    /// Reserves one attempt on every limit, or none: if one refuses, the ones already
    /// reserved are given back and the answer says how long to wait.
    pub async fn reserve_all(&self, limits: &[Limit]) -> Result<()> {
        let now = self.clock.now();
        for (i, limit) in limits.iter().enumerate() {
            let answer =
                throttle::reserve(&self.db, &limit.key, limit.max, now, self.window_secs()).await?;
            if let Reservation::Refused { window_ends } = answer {
                for granted in &limits[..i] {
                    throttle::release(&self.db, &granted.key).await?;
                }
                tracing::warn!(throttle_key = %limit.key, "rate limit reached");
                return Err(Error::TooManyRequests {
                    retry_after: Duration::from_secs((window_ends - now).max(1) as u64),
                });
            }
        }
        Ok(())
    }

    /// Gives one reserved attempt back on each limit (the work was not done, or it
    /// succeeded and must not count).
    pub async fn release_all(&self, limits: &[Limit]) -> Result<()> {
        for limit in limits {
            throttle::release(&self.db, &limit.key).await?;
        }
        Ok(())
    }

    /// Forgets every attempt of `key` (a successful login clears its account).
    pub async fn clear(&self, key: &str) -> Result<()> {
        Ok(throttle::clear(&self.db, key).await?)
    }

    /// Attempts counted for `key` in its current window.
    pub async fn count(&self, key: &str) -> Result<i64> {
        Ok(throttle::count(&self.db, key, self.clock.now(), self.window_secs()).await?)
    }
}
