//! What a customer or agent sends, as text, and its parsing into checked values. The web
//! pages and the JSON API share these, so a rule holds the same way on both; every problem
//! found is reported at once, by field, so a form can show them all next to what was typed.

use crate::config::Tickets as Settings;
use crate::domain::{Body, FieldError, Priority, Subject, TicketNumber, TicketState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Problems by field name (`subject`, `field.end_user`, …).
pub type FieldErrors = BTreeMap<String, FieldError>;

/// A new ticket as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NewTicketInput {
    pub ticket_type: String,
    pub queue: String,
    pub subject: String,
    pub body: String,
    /// Empty means the default (3).
    pub priority: String,
    /// The configured dynamic fields, by key.
    pub fields: BTreeMap<String, String>,
    /// The number of a closed ticket this one follows up on, if any.
    pub refers_to: String,
}

/// A new ticket, checked.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub type_id: u32,
    pub queue_id: u32,
    pub subject: Subject,
    pub body: Body,
    pub priority: Priority,
    pub fields: BTreeMap<String, String>,
    pub refers_to: Option<TicketNumber>,
}

fn configured_id(
    input: &str,
    known: impl Fn(u32) -> bool,
    required: &'static str,
    invalid: &'static str,
) -> Result<u32, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(required));
    }
    s.parse::<u32>()
        .ok()
        .filter(|id| known(*id))
        .ok_or_else(|| FieldError::new(invalid))
}

impl NewTicketInput {
    /// Every field checked against the rules and the configured lists.
    pub fn parse(&self, settings: &Settings) -> Result<NewTicket, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut note = |field: &str, e: FieldError| {
            errors.insert(field.to_string(), e);
        };
        let type_id = configured_id(
            &self.ticket_type,
            |id| settings.ticket_type(id).is_some(),
            "err_type_required",
            "err_type_invalid",
        )
        .map_err(|e| note("ticket_type", e))
        .ok();
        let queue_id = configured_id(
            &self.queue,
            |id| settings.queue(id).is_some(),
            "err_queue_required",
            "err_queue_invalid",
        )
        .map_err(|e| note("queue", e))
        .ok();
        let subject = Subject::parse(&self.subject)
            .map_err(|e| note("subject", e))
            .ok();
        let body = Body::parse(&self.body).map_err(|e| note("body", e)).ok();
        let priority = if self.priority.trim().is_empty() {
            Some(Priority::default())
        } else {
            Priority::parse(&self.priority)
                .map_err(|e| note("priority", e))
                .ok()
        };
        let mut fields = BTreeMap::new();
        for f in &settings.dynamic_fields {
            let value = self.fields.get(&f.key).map(|v| v.trim()).unwrap_or("");
            let name = format!("field.{}", f.key);
            if value.is_empty() {
                if f.required {
                    note(&name, FieldError::new("err_field_required"));
                }
            } else if value.chars().count() > f.max_chars as usize {
                note(
                    &name,
                    FieldError::new("err_field_too_long").with("max", f.max_chars),
                );
            } else if value.chars().any(char::is_control) {
                note(&name, FieldError::new("err_field_control"));
            } else {
                fields.insert(f.key.clone(), value.to_string());
            }
        }
        let refers_to = if self.refers_to.trim().is_empty() {
            Some(None)
        } else {
            TicketNumber::parse(&self.refers_to)
                .map(Some)
                .map_err(|e| note("refers_to", e))
                .ok()
        };
        match (type_id, queue_id, subject, body, priority, refers_to) {
            (
                Some(type_id),
                Some(queue_id),
                Some(subject),
                Some(body),
                Some(priority),
                Some(refers_to),
            ) if errors.is_empty() => Ok(NewTicket {
                type_id,
                queue_id,
                subject,
                body,
                priority,
                fields,
                refers_to,
            }),
            _ => Err(errors),
        }
    }
}

/// A reply as typed: the text and the state it asks for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplyInput {
    pub body: String,
    /// `in_progress` or `closed` for customers; agents also `awaiting_customer` and
    /// `pending_close`. Empty means `in_progress`.
    pub next_state: String,
    /// Agents only: a new priority, or empty to keep it.
    pub priority: String,
}

/// A reply, checked.
#[derive(Debug, Clone)]
pub struct Reply {
    pub body: Body,
    pub next_state: TicketState,
    pub priority: Option<Priority>,
}

impl ReplyInput {
    /// Checks the reply; `allowed` are the states this sender may choose.
    pub fn parse(&self, allowed: &[TicketState]) -> Result<Reply, FieldErrors> {
        let mut errors = FieldErrors::new();
        let body = Body::parse(&self.body)
            .map_err(|e| errors.insert("body".into(), e))
            .ok();
        let next_state = if self.next_state.trim().is_empty() {
            Some(TicketState::InProgress)
        } else {
            TicketState::parse(&self.next_state)
                .filter(|s| allowed.contains(s))
                .or_else(|| {
                    errors.insert(
                        "next_state".into(),
                        FieldError::new("err_next_state_invalid"),
                    );
                    None
                })
        };
        let priority = if self.priority.trim().is_empty() {
            Some(None)
        } else {
            Priority::parse(&self.priority)
                .map(Some)
                .map_err(|e| errors.insert("priority".into(), e))
                .ok()
        };
        match (body, next_state, priority) {
            (Some(body), Some(next_state), Some(priority)) if errors.is_empty() => Ok(Reply {
                body,
                next_state,
                priority,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewTicketInput {
        NewTicketInput {
            ticket_type: "8".into(),
            queue: "1".into(),
            subject: "メール送信不可について".into(),
            body: "社外宛のメールが送れません。".into(),
            priority: String::new(),
            fields: BTreeMap::from([("end_user".into(), "株式会社さくら精機".into())]),
            refers_to: String::new(),
        }
    }

    #[test]
    fn a_complete_form_parses_with_defaults() {
        let t = input().parse(&Settings::default()).unwrap();
        assert_eq!((t.type_id, t.queue_id, t.priority.get()), (8, 1, 3));
        assert_eq!(t.fields["end_user"], "株式会社さくら精機");
        assert!(t.refers_to.is_none());
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = NewTicketInput {
            ticket_type: "99".into(),
            queue: String::new(),
            subject: " ".into(),
            body: String::new(),
            priority: "9".into(),
            fields: BTreeMap::new(),
            refers_to: "abc".into(),
        };
        let errors = bad.parse(&Settings::default()).unwrap_err();
        let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "body",
                "field.end_user",
                "priority",
                "queue",
                "refers_to",
                "subject",
                "ticket_type"
            ]
        );
        assert_eq!(errors["ticket_type"].key, "err_type_invalid");
        assert_eq!(errors["queue"].key, "err_queue_required");
    }

    #[test]
    fn replies_choose_only_allowed_states() {
        let r = ReplyInput {
            body: "ありがとうございます。".into(),
            next_state: "closed".into(),
            priority: String::new(),
        };
        assert_eq!(
            r.parse(&TicketState::CUSTOMER_NEXT).unwrap().next_state,
            TicketState::Closed
        );
        let sneaky = ReplyInput {
            next_state: "pending_close".into(),
            ..r
        };
        assert!(sneaky.parse(&TicketState::CUSTOMER_NEXT).is_err());
        assert!(sneaky.parse(&TicketState::AGENT_NEXT).is_ok());
    }
}
