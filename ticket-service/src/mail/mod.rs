//! Outgoing mail, with one entry point: [`Mail::enqueue`]. A service that causes a mail
//! renders it with a theme template in the recipient's language and writes it to the
//! outbox *in the same transaction as the change that causes it*; the delivery job
//! (`jobs::delivery`) sends it through the configured [`transport`] with retries. So a
//! mail server that is down delays mail and loses none, and a change that rolls back sends
//! nothing. No handler and no service sends mail itself.
//!
//! - [`message`]: an outbox row → an RFC 5322 message (headers encoded, Message-ID kept);
//! - [`transport`]: where finished messages go (a folder of `.eml` files today).

pub mod message;
pub mod transport;

use crate::clock::Clock;
use crate::domain::{Email, FieldError};
use crate::error::Result;
use crate::store::{outbox, Conn};
use anyhow::Context as _;
use kb_builder::theme::Theme;
use kb_builder::Language;
use lettre::message::Mailbox;
use std::sync::Arc;
use tokio::sync::Notify;

/// A message to send: to whom, in which language, which template with which values.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: Email,
    /// The recipient's name; empty for an address without one (a queue's agents).
    pub to_name: String,
    pub language: Language,
    /// The subject line: an i18n key and the values of its `{placeholders}` (the shape of
    /// a field's message, hence the type).
    pub subject: FieldError,
    /// `service/mail/<template>.txt` in the theme.
    pub template: &'static str,
    /// The template's values; the UI strings (`t`), `name` and `site_title` are added.
    pub values: tera::Context,
    /// The conversation this message belongs to (a ticket): its id goes into
    /// `In-Reply-To` and `References`, so mail clients thread the messages of a ticket.
    pub thread: Option<String>,
}

/// Text for a header: control characters (CR and LF above all) removed, so nothing a user
/// typed can end a header line and start another one or add a recipient.
pub fn header_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Renders letters and writes them to the outbox.
#[derive(Clone)]
pub struct Mail {
    theme: Arc<Theme>,
    from: Mailbox,
    clock: Clock,
    /// Wakes the delivery job when a transaction with mail has committed.
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail").field("from", &self.from).finish()
    }
}

impl Mail {
    /// `from` is a mailbox such as `Support <support@example.com>`.
    pub fn new(theme: Arc<Theme>, from: &str, clock: Clock) -> anyhow::Result<Mail> {
        let from = from
            .parse()
            .with_context(|| format!("invalid mail_from {from:?}"))?;
        Ok(Mail {
            theme,
            from,
            clock,
            wake: Arc::new(Notify::new()),
        })
    }

    /// The sender of every message.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// What the delivery job waits on besides its timer.
    pub fn wake_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Renders `letter` and writes it to the outbox through `conn` — the caller's
    /// transaction, so the mail exists exactly when the change that causes it does. Call
    /// [`Mail::wake`] after the commit to deliver it at once. Returns the Message-ID.
    pub async fn enqueue(&self, conn: &mut Conn, letter: Letter) -> Result<String> {
        let strings = self.theme.strings(letter.language);
        let mut tc = letter.values;
        tc.insert("t", &*strings);
        tc.insert("name", &letter.to_name);
        tc.insert(
            "site_title",
            strings
                .get("svc_site_title")
                .map(String::as_str)
                .unwrap_or("Madoguchi"),
        );
        let template = format!("service/mail/{}.txt", letter.template);
        let body = self
            .theme
            .render(&template, &tc)
            .with_context(|| format!("rendering {template}"))?;
        let subject = header_text(&letter.subject.translate(&strings));
        let message_id = message::new_message_id(&self.from);
        let row = outbox::NewMessage {
            message_id: message_id.clone(),
            recipient: letter.to.as_str().to_string(),
            recipient_name: header_text(&letter.to_name),
            subject,
            body,
            in_reply_to: letter.thread.clone(),
            references: letter.thread,
        };
        outbox::insert(conn, &row, self.clock.now()).await?;
        Ok(message_id)
    }

    /// The id of the conversation of one ticket, for `In-Reply-To`/`References`:
    /// `<ticket-NUMBER@domain-of-the-sender>`.
    pub fn thread_id(&self, ticket_number: &str) -> String {
        format!("<ticket-{ticket_number}@{}>", self.from.email.domain())
    }

    /// Tells the delivery job that committed mail is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
