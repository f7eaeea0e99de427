//! The timed state changes of tickets waiting for their customer: カスタマー確認中 →
//! クローズ確認中 → 完了 after the configured days without a reply. The work is the tickets
//! service's ([`Tickets::advance_waiting`]); this job runs it on the clock.

use super::{Job, JobFuture};
use crate::error::Result;
use crate::tickets::Tickets;

pub struct TimedChanges {
    tickets: Tickets,
}

impl TimedChanges {
    pub fn new(tickets: Tickets) -> TimedChanges {
        TimedChanges { tickets }
    }

    /// One sweep at `now`; returns how many tickets changed state.
    pub async fn run_once(&self, now: i64) -> Result<usize> {
        self.tickets.advance_waiting(now).await
    }
}

impl Job for TimedChanges {
    fn name(&self) -> &'static str {
        "timed ticket state changes"
    }

    fn run_once(&self, now: i64) -> JobFuture<'_> {
        Box::pin(TimedChanges::run_once(self, now))
    }
}
