//! The application's notion of "now". Production reads the system clock; tests move it
//! forward to expire sessions, tokens, rate-limit windows and pending tickets without
//! sleeping. Every service that asks for the time gets a clone of the one clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Unix seconds, with an offset that tests can move.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in unix seconds.
    pub fn now(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        system + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.as_secs() as i64, Ordering::Relaxed);
    }

    /// Sets this clock (and every clone) `secs` away from the system clock; negative is
    /// the past. The demo uses it to write a history that happened over weeks.
    pub fn set_offset(&self, secs: i64) {
        self.offset_secs.store(secs, Ordering::Relaxed);
    }

    /// Today in `tz`, by this clock.
    pub fn today(&self, tz: crate::domain::TimeZone) -> chrono::NaiveDate {
        chrono::DateTime::from_timestamp(self.now(), 0)
            .unwrap_or_default()
            .with_timezone(&tz.tz())
            .date_naive()
    }
}
