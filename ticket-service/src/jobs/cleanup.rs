//! Deletes what has expired: sessions (idle or too old), reset tokens (expired or used),
//! rate-limit counters whose window ended, files held for a form nobody sent again within
//! a day, FAQ view marks older than their ten minutes, and sent mail older than a month (kept that long to answer "did the mail go
//! out?").

use super::{Job, JobFuture};
use crate::config::Security;
use crate::error::Result;
use crate::store::{attachments, faq, outbox, resets, sessions, throttle, Db};

/// Files held for a form that came back with an error are kept this long.
const KEEP_DRAFT_FILES_SECS: i64 = 24 * 3600;
/// Sent mail is kept this long.
const KEEP_SENT_MAIL_SECS: i64 = 30 * 24 * 3600;

pub struct Cleanup {
    db: Db,
    idle_secs: i64,
    absolute_secs: i64,
    window_secs: i64,
}

impl Cleanup {
    pub fn new(db: Db, security: &Security) -> Cleanup {
        Cleanup {
            db,
            idle_secs: security.session_idle().as_secs() as i64,
            absolute_secs: security.session_absolute().as_secs() as i64,
            window_secs: security.login_window().as_secs() as i64,
        }
    }

    /// One pass; returns the number of rows deleted.
    pub async fn run_once(&self, now: i64) -> Result<usize> {
        let mut deleted =
            sessions::delete_expired(&self.db, now, self.idle_secs, self.absolute_secs).await?;
        deleted += resets::delete_expired(&self.db, now).await?;
        deleted += throttle::delete_expired(&self.db, now, self.window_secs).await?;
        deleted += attachments::delete_drafts_before(&self.db, now - KEEP_DRAFT_FILES_SECS).await?;
        deleted +=
            faq::delete_view_marks_before(&self.db, now - crate::faq::VIEW_WINDOW_SECS).await?;
        deleted += outbox::delete_sent_before(&self.db, now - KEEP_SENT_MAIL_SECS).await?;
        Ok(deleted as usize)
    }
}

impl Job for Cleanup {
    fn name(&self) -> &'static str {
        "cleanup"
    }

    fn run_once(&self, now: i64) -> JobFuture<'_> {
        Box::pin(Cleanup::run_once(self, now))
    }
}
