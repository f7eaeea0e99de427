//! A ticket's thread as the pages show it (customers' and agents'): articles oldest first,
//! each with who wrote it, when (in the reader's time zone), the body as safe HTML
//! ([`view::body_html`]) and its files with sizes and download links. Internal notes are
//! marked; only agents ever get them from the service (`tickets::Tickets::thread`).
//!
//! Templates include `service/partials/thread.html` with `articles` set to
//! [`ThreadView::articles`].

use super::view;
use crate::domain::{Sender, TimeZone};
use crate::store::attachments::Meta;
use crate::tickets::{Thread, ThreadArticle};
use kb_builder::theme::Strings;
use serde::Serialize;

/// A file of an article, as a link.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub id: i64,
    pub name: String,
    /// `12.5 KB`.
    pub size: String,
    /// `/attachments/{id}`.
    pub url: String,
}

impl FileView {
    pub fn of(meta: &Meta) -> FileView {
        FileView {
            id: meta.id,
            name: meta.file_name.clone(),
            size: view::size(meta.size),
            url: attachment_url(meta.id),
        }
    }
}

/// The download path of a file (checked against the reader in `http::attachments`).
pub fn attachment_url(id: i64) -> String {
    format!("/attachments/{id}")
}

/// One article as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    pub id: i64,
    /// `customer`, `agent` or `system` (a CSS class).
    pub sender: &'static str,
    /// "お客様" / "サポート" / "システム".
    pub role: String,
    /// The author's name (none for the system's articles).
    pub author: Option<String>,
    /// `2025-06-19 10:00` in the reader's zone.
    pub time: String,
    /// The same instant for `<time datetime>`.
    pub time_iso: String,
    /// Already-escaped HTML (see `view::body_html`).
    pub body_html: String,
    pub internal: bool,
    pub files: Vec<FileView>,
}

/// The thread part of a ticket page.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadView {
    pub articles: Vec<ArticleView>,
    /// The ticket this one follows up on (if the reader may see it).
    pub refers_to: Option<String>,
    /// Tickets that follow up on this one.
    pub follow_ups: Vec<String>,
}

/// An instant as a valid HTML `datetime` value (UTC).
pub fn iso(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn role(strings: &Strings, sender: Sender) -> String {
    let key = match sender {
        Sender::Customer => "thread_sender_customer",
        Sender::Agent => "thread_sender_agent",
        Sender::System => "thread_sender_system",
    };
    view::text(strings, key)
}

/// One article for a reader in `tz`.
pub fn article(a: &ThreadArticle, strings: &Strings, tz: TimeZone) -> ArticleView {
    ArticleView {
        id: a.article.id,
        sender: a.article.sender.as_str(),
        role: role(strings, a.article.sender),
        author: a.article.author_name.clone(),
        time: view::datetime(a.article.created_at, tz),
        time_iso: iso(a.article.created_at),
        body_html: view::body_html(&a.article.body),
        internal: a.article.internal,
        files: a.files.iter().map(FileView::of).collect(),
    }
}

impl ThreadView {
    /// The thread for a reader in `tz`, with labels from `strings`.
    pub fn of(thread: &Thread, strings: &Strings, tz: TimeZone) -> ThreadView {
        ThreadView {
            articles: thread
                .articles
                .iter()
                .map(|a| article(a, strings, tz))
                .collect(),
            refers_to: thread.refers_to.as_ref().map(ToString::to_string),
            follow_ups: thread.follow_ups.iter().map(ToString::to_string).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_are_valid_html_datetimes() {
        assert_eq!(iso(1_750_294_800), "2025-06-19T01:00:00Z");
    }
}
