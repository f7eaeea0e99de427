//! Mail delivery: sends the outbox's due messages through the transport.
//!
//! Each message is claimed with a lease (`store::outbox::claim`), so instances sharing a
//! database never send the same message at the same time. A failed attempt is retried after
//! an exponential backoff — `first_retry`, doubling, capped at `max_backoff` — and given up
//! after `max_attempts` (it stays in the outbox as `failed` for `admin outbox retry`). A
//! process that dies between sending and marking leaves the lease to run out; the message
//! is then sent again with the same Message-ID, which mail clients show once.

use super::{Job, JobFuture};
use crate::error::Result;
use crate::mail::message;
use crate::mail::transport::Transport;
use crate::store::{outbox, Db};
use lettre::message::Mailbox;
use std::sync::Arc;
use std::time::Duration;

/// How retries are spaced and when they stop.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_retry: Duration,
    pub max_backoff: Duration,
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The policy of the `[mail]` settings.
    pub fn of(mail: &crate::config::Mail) -> RetryPolicy {
        RetryPolicy {
            first_retry: Duration::from_secs(u64::from(mail.mail_retry_first_seconds)),
            max_backoff: Duration::from_secs(60 * u64::from(mail.mail_retry_max_minutes)),
            max_attempts: mail.mail_max_attempts,
        }
    }

    /// The wait after the `attempt`-th failed attempt (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
        self.first_retry
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// How long a claimed message is reserved for the worker that claimed it; sending must
/// end well before (the transport's own timeouts are shorter).
const LEASE: Duration = Duration::from_secs(300);
/// Messages claimed per pass.
const BATCH: i64 = 50;

pub struct Delivery {
    db: Db,
    transport: Arc<dyn Transport>,
    from: Mailbox,
    policy: RetryPolicy,
}

impl Delivery {
    pub fn new(
        db: Db,
        transport: Arc<dyn Transport>,
        from: Mailbox,
        policy: RetryPolicy,
    ) -> Delivery {
        Delivery {
            db,
            transport,
            from,
            policy,
        }
    }

    /// One pass: sends every message due at `now`; returns how many went out.
    pub async fn run_once(&self, now: i64) -> Result<usize> {
        let mut sent = 0;
        for id in outbox::due(&self.db, now, BATCH).await? {
            let lease_until = now + LEASE.as_secs() as i64;
            let Some(m) = outbox::claim(&self.db, id, now, lease_until).await? else {
                continue;
            };
            let outcome = match message::build(&self.from, &m) {
                Ok(built) => self.transport.send(&built).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => {
                    outbox::mark_sent(&self.db, m.id, now).await?;
                    tracing::info!(outbox_id = m.id, message_id = %m.message_id, "mail sent");
                    sent += 1;
                }
                Err(e) => {
                    let attempts = u32::try_from(m.attempts).unwrap_or(u32::MAX);
                    let retry_at = (attempts < self.policy.max_attempts)
                        .then(|| now + self.policy.backoff(attempts).as_secs() as i64);
                    let error = format!("{e:#}");
                    outbox::mark_failed(&self.db, m.id, &error, retry_at).await?;
                    tracing::warn!(outbox_id = m.id, attempts, retry_at, error, "mail not sent");
                }
            }
        }
        Ok(sent)
    }
}

impl Job for Delivery {
    fn name(&self) -> &'static str {
        "mail delivery"
    }

    fn run_once(&self, now: i64) -> JobFuture<'_> {
        Box::pin(Delivery::run_once(self, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_retry_up_to_the_cap() {
        let p = RetryPolicy {
            first_retry: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 10,
        };
        let secs: Vec<u64> = (1..=12).map(|a| p.backoff(a).as_secs()).collect();
        assert_eq!(secs[..5], [5, 10, 20, 40, 80]);
        assert_eq!(secs[10], 3600);
        assert_eq!(p.backoff(u32::MAX).as_secs(), 3600);
    }
}
