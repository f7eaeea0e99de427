//! Mail about tickets, written to the outbox in the transaction of the change that causes
//! it (see `mail`). Who hears of what:
//!
//! - the customer who opened the ticket — and, with `[mail] notify_company_contacts`, the
//!   company's other contacts — when an agent answers or the state changes (by an agent or
//!   by the clock): the answer, the ticket's number, state, priority and queue, what the
//!   state means and when it will move on by itself, the original question quoted with
//!   `>`, the link to reply on the web, the signature and support hours;
//! - the queue's agent address (`[tickets.queues] agent_address`) when a customer opens or
//!   answers a ticket.
//!
//! Internal notes never cause mail and never appear in one: the quoted question is the
//! first article a customer can see, and only answers (never notes) are sent.
//! Every message of a ticket carries the same thread id in `In-Reply-To`/`References`.

use super::lifecycle;
use crate::config::{Mail as MailSettings, Tickets as Settings};
use crate::domain::{Email, FieldError, Priority, TicketState};
use crate::error::Result;
use crate::mail::{Letter, Mail};
use crate::store::tickets::Ticket;
use crate::store::users::{self, User};
use crate::store::{articles, Conn, Db};
use kb_builder::theme::Theme;
use kb_builder::Language;
use std::sync::Arc;

/// What changed for the customer.
#[derive(Debug, Clone)]
pub enum CustomerUpdate<'a> {
    /// An agent answered with this text.
    Answer { text: &'a str },
    /// The state changed without an answer: by an agent, or (`timed`) by the clock.
    StateChanged { timed: bool },
}

/// What happened that the agents should hear of.
#[derive(Debug, Clone, Copy)]
pub enum AgentEvent<'a> {
    NewTicket { text: &'a str },
    CustomerReply { text: &'a str },
}

/// Composes ticket mail and enqueues it.
#[derive(Clone, Debug)]
pub struct Notifier {
    db: Db,
    theme: Arc<Theme>,
    mail: Mail,
    base_url: String,
    settings: Arc<Settings>,
    mail_settings: Arc<MailSettings>,
}

fn pick(lang: Language, ja: &str, en: &str) -> String {
    match lang {
        Language::Ja => ja.to_string(),
        Language::En => en.to_string(),
    }
}

/// A text quoted for a reply: every line prefixed with `> `.
pub fn quote(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Notifier {
    pub fn new(
        db: Db,
        theme: Arc<Theme>,
        mail: Mail,
        base_url: String,
        settings: Arc<Settings>,
        mail_settings: MailSettings,
    ) -> Notifier {
        Notifier {
            db,
            theme,
            mail,
            base_url,
            settings,
            mail_settings: Arc::new(mail_settings),
        }
    }

    /// Delivers committed mail at once (call after the transaction commits).
    pub fn wake(&self) {
        self.mail.wake();
    }

    /// "7日後" / "1週間後" / "in 7 days": a period the way the support manual says it.
    fn period(days: u32) -> FieldError {
        if days % 7 == 0 {
            FieldError::new("mail_period_weeks").with("weeks", days / 7)
        } else {
            FieldError::new("mail_period_days").with("days", days)
        }
    }

    /// The values every ticket mail shows.
    fn ticket_values(
        &self,
        ticket: &Ticket,
        state: TicketState,
        priority: Priority,
        lang: Language,
        strings: &kb_builder::theme::Strings,
    ) -> tera::Context {
        let mut v = tera::Context::new();
        v.insert("number", ticket.number.as_str());
        v.insert("subject", &crate::mail::header_text(&ticket.subject));
        v.insert(
            "state",
            &FieldError::new(state.label_key()).translate(strings),
        );
        v.insert(
            "priority",
            &FieldError::new(priority.label_key()).translate(strings),
        );
        v.insert(
            "queue",
            &self
                .settings
                .queue(ticket.queue_id)
                .map(|q| pick(lang, &q.ja, &q.en))
                .unwrap_or_else(|| format!("#{}", ticket.queue_id)),
        );
        v.insert(
            "ticket_type",
            &self
                .settings
                .ticket_type(ticket.type_id)
                .map(|t| format!("{}: {}", t.id, pick(lang, &t.ja, &t.en)))
                .unwrap_or_else(|| format!("#{}", ticket.type_id)),
        );
        v.insert(
            "signature",
            &pick(
                lang,
                &self.mail_settings.mail_signature_ja,
                &self.mail_settings.mail_signature_en,
            ),
        );
        v.insert(
            "support_hours",
            &pick(
                lang,
                &self.mail_settings.support_hours_ja,
                &self.mail_settings.support_hours_en,
            ),
        );
        v
    }

    /// Who hears of a change to `ticket` on the customer's side.
    async fn customer_recipients(&self, ticket: &Ticket) -> Result<Vec<User>> {
        let mut people = if self.mail_settings.notify_company_contacts {
            users::of_company(&self.db, ticket.company_id).await?
        } else {
            users::by_id(&self.db, ticket.customer_id)
                .await?
                .into_iter()
                .collect()
        };
        people.retain(|u| !u.is_agent());
        Ok(people)
    }

    /// Mail to the customer side about `ticket`, which is now in `state` with `priority`
    /// (the ticket as read before the change, plus what the change set).
    pub async fn to_customers(
        &self,
        conn: &mut Conn,
        ticket: &Ticket,
        state: TicketState,
        priority: Priority,
        update: CustomerUpdate<'_>,
    ) -> Result<usize> {
        let question = articles::first_public(&self.db, ticket.id).await?;
        let recipients = self.customer_recipients(ticket).await?;
        for person in &recipients {
            let lang = person.language;
            let strings = self.theme.strings(lang);
            let mut v = self.ticket_values(ticket, state, priority, lang, &strings);
            match &update {
                CustomerUpdate::Answer { text } => {
                    v.insert("answer", text);
                }
                CustomerUpdate::StateChanged { timed: true } => {
                    let (key, days) = match state {
                        TicketState::PendingClose => (
                            "mail_timed_reason_pending_close",
                            self.settings.awaiting_customer_days,
                        ),
                        _ => ("mail_timed_reason_closed", self.settings.pending_close_days),
                    };
                    let period = Self::period(days).translate(&strings);
                    v.insert(
                        "reason",
                        &FieldError::new(key)
                            .with("period", period)
                            .translate(&strings),
                    );
                }
                CustomerUpdate::StateChanged { timed: false } => {
                    let label = FieldError::new(state.label_key()).translate(&strings);
                    v.insert(
                        "reason",
                        &FieldError::new("mail_state_changed")
                            .with("state", label)
                            .translate(&strings),
                    );
                }
            }
            v.insert("state_note", &self.state_note(state, &strings));
            v.insert(
                "url",
                &format!("{}/tickets/{}", self.base_url, ticket.number),
            );
            v.insert(
                "question_quoted",
                &question
                    .as_ref()
                    .map(|a| quote(&a.body))
                    .unwrap_or_default(),
            );
            self.mail
                .enqueue(
                    conn,
                    Letter {
                        to: person.email.clone(),
                        to_name: person.display_name.clone(),
                        language: lang,
                        subject: FieldError::new("mail_ticket_subject_customer")
                            .with("number", &ticket.number)
                            .with("subject", crate::mail::header_text(&ticket.subject)),
                        template: "ticket_update",
                        values: v,
                        thread: Some(self.mail.thread_id(ticket.number.as_str())),
                    },
                )
                .await?;
        }
        Ok(recipients.len())
    }

    /// What a state means for the customer, and when it moves on by itself.
    fn state_note(&self, state: TicketState, strings: &kb_builder::theme::Strings) -> String {
        let days = match state {
            TicketState::AwaitingCustomer => Some(self.settings.awaiting_customer_days),
            TicketState::PendingClose => Some(self.settings.pending_close_days),
            _ => None,
        };
        let key = format!("mail_state_note_{}", state.as_str());
        let text = strings.get(&key).cloned().unwrap_or(key);
        match days {
            Some(d) => text.replace("{period}", &Self::period(d).translate(strings)),
            None => text,
        }
    }

    /// Mail to the queue's agent address, if it has one.
    pub async fn to_agents(
        &self,
        conn: &mut Conn,
        ticket: &Ticket,
        event: AgentEvent<'_>,
    ) -> Result<usize> {
        let Some(address) = self
            .settings
            .queue(ticket.queue_id)
            .and_then(|q| q.agent_address.as_deref())
            .and_then(|a| Email::parse(a).ok())
        else {
            return Ok(0);
        };
        let lang = self.mail_settings.agent_mail_language;
        let strings = self.theme.strings(lang);
        let mut v = self.ticket_values(ticket, ticket.state, ticket.priority, lang, &strings);
        let (headline, subject_key, text) = match event {
            AgentEvent::NewTicket { text } => (
                "mail_agent_new_ticket",
                "mail_ticket_subject_agent_new",
                text,
            ),
            AgentEvent::CustomerReply { text } => (
                "mail_agent_customer_reply",
                "mail_ticket_subject_agent_reply",
                text,
            ),
        };
        v.insert("headline", &FieldError::new(headline).translate(&strings));
        v.insert("company", &crate::mail::header_text(&ticket.company_name));
        v.insert("customer", &crate::mail::header_text(&ticket.customer_name));
        v.insert("text", text);
        let fields: Vec<(String, String)> = ticket
            .dynamic_fields
            .iter()
            .map(|(k, value)| {
                let label = self
                    .settings
                    .dynamic_fields
                    .iter()
                    .find(|f| &f.key == k)
                    .map(|f| pick(lang, &f.ja, &f.en))
                    .unwrap_or_else(|| k.clone());
                (label, crate::mail::header_text(value))
            })
            .collect();
        v.insert("fields", &fields);
        v.insert(
            "url",
            &format!("{}/agent/tickets/{}", self.base_url, ticket.number),
        );
        self.mail
            .enqueue(
                conn,
                Letter {
                    to: address,
                    to_name: String::new(),
                    language: lang,
                    subject: FieldError::new(subject_key)
                        .with("number", &ticket.number)
                        .with("subject", crate::mail::header_text(&ticket.subject)),
                    template: "ticket_agent",
                    values: v,
                    thread: Some(self.mail.thread_id(ticket.number.as_str())),
                },
            )
            .await?;
        Ok(1)
    }

    /// The text of the system article that a timed change writes into the thread, in
    /// `lang`.
    pub fn timed_note(&self, to: TicketState, lang: Language) -> String {
        let strings = self.theme.strings(lang);
        let (key, days) = match to {
            TicketState::PendingClose => (
                "mail_timed_reason_pending_close",
                self.settings.awaiting_customer_days,
            ),
            _ => ("mail_timed_reason_closed", self.settings.pending_close_days),
        };
        let period = Self::period(days).translate(&strings);
        FieldError::new(key)
            .with("period", period)
            .translate(&strings)
    }

    /// When a ticket in a waiting state will move on by itself, and to what.
    pub fn timed_change(&self, ticket: &Ticket) -> Option<(TicketState, i64)> {
        lifecycle::timed_change(ticket.state, ticket.state_changed_at, &self.settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_line() {
        assert_eq!(quote("a\n\nb"), "> a\n>\n> b");
    }
}
