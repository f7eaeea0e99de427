//! Background jobs: work that happens later, by the clock, not in a request. Each job is a
//! struct built with what it needs and a public `run_once(now)` that does one pass and
//! returns how many things it did — tests call it with a controlled clock instead of
//! waiting. The [`Runner`] runs every job in its own loop on its interval (and the mail
//! delivery also when a transaction with mail commits).
//!
//! A job may be killed at any moment and may run on several instances at once: every job
//! works from rows in the database and claims what it does with guarded updates, so a pass
//! that dies half-way leaves the rest for the next pass, and no two passes do the same
//! thing twice.
//!
//! - [`cleanup`]: deletes expired sessions, reset tokens, rate-limit counters, old mail;
//! - [`delivery`]: sends the outbox's due messages, with retries and backoff;
//! - [`lifecycle`]: moves tickets that waited too long for their customer.

pub mod cleanup;
pub mod delivery;
pub mod lifecycle;

use crate::clock::Clock;
use crate::error::Result;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<usize>> + Send + 'a>>;

/// One kind of background work.
pub trait Job: Send + Sync + 'static {
    /// For logs.
    fn name(&self) -> &'static str;
    /// One pass at time `now` (unix seconds); how many things it did.
    fn run_once(&self, now: i64) -> JobFuture<'_>;
}

struct Scheduled {
    job: Arc<dyn Job>,
    every: Duration,
    wake: Option<Arc<Notify>>,
}

/// Runs jobs until dropped or stopped.
pub struct Runner {
    clock: Clock,
    jobs: Vec<Scheduled>,
}

impl Runner {
    pub fn new(clock: Clock) -> Runner {
        Runner {
            clock,
            jobs: Vec::new(),
        }
    }

    /// Adds a job that runs every `every`, and also whenever `wake` is notified.
    pub fn add(mut self, job: impl Job, every: Duration, wake: Option<Arc<Notify>>) -> Runner {
        self.jobs.push(Scheduled {
            job: Arc::new(job),
            every,
            wake,
        });
        self
    }

    /// Starts every job's loop; they stop when the returned set is dropped.
    pub fn start(self) -> JoinSet<()> {
        let mut set = JoinSet::new();
        for scheduled in self.jobs {
            let clock = self.clock.clone();
            set.spawn(run_loop(scheduled, clock));
        }
        set
    }
}

async fn run_loop(s: Scheduled, clock: Clock) {
    let mut tick = tokio::time::interval(s.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        match &s.wake {
            Some(wake) => {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = wake.notified() => {}
                }
            }
            None => {
                tick.tick().await;
            }
        }
        match s.job.run_once(clock.now()).await {
            Ok(0) => {}
            Ok(done) => tracing::debug!(job = s.job.name(), done, "job pass"),
            Err(e) => tracing::warn!(job = s.job.name(), error = %e, "job pass failed"),
        }
    }
}
