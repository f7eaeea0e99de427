//! The shapes `/api/v1` answers with, and how the service's values become them. Each type
//! derives `ToSchema`, so the OpenAPI document describes exactly what the handlers
//! serialise. Labels (state, priority, type, queue, dynamic fields) come in the language the
//! request asked for; times are RFC 3339 in the user's time zone.

use crate::config::Tickets as Settings;
use crate::domain::{TicketState, TimeZone};
use crate::http::view;
use crate::store::attachments::Meta;
use crate::store::tickets::{Change, Ticket as Row};
use crate::tickets::{Page, Thread, ThreadArticle};
use kb_builder::theme::Strings;
use kb_builder::Language;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a ticket stands (the support manual's states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 新規: just created.
    New,
    /// 対応中: support is working on it.
    InProgress,
    /// カスタマー確認中: support asked the customer for something.
    AwaitingCustomer,
    /// クローズ確認中: support answered and expects no more.
    PendingClose,
    /// 完了: final; takes no replies.
    Closed,
}

impl From<TicketState> for State {
    fn from(s: TicketState) -> State {
        match s {
            TicketState::New => State::New,
            TicketState::InProgress => State::InProgress,
            TicketState::AwaitingCustomer => State::AwaitingCustomer,
            TicketState::PendingClose => State::PendingClose,
            TicketState::Closed => State::Closed,
        }
    }
}

/// A configured choice (type or queue) by id, with its label.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Labelled {
    pub id: u32,
    pub label: String,
}

/// A person or company by id, with its name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A dynamic field's value with its label.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldValue {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// A ticket without its thread (as lists show it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    /// The ticket number customers quote (`YYYYMMDD` + system id + counter).
    #[schema(example = "201806191010")]
    pub number: String,
    pub subject: String,
    pub state: State,
    pub state_label: String,
    /// 1 (very low) to 5 (very high).
    #[schema(minimum = 1, maximum = 5)]
    pub priority: u8,
    pub priority_label: String,
    pub ticket_type: Labelled,
    pub queue: Labelled,
    pub company: Named,
    /// The customer who opened it.
    pub customer: Named,
    /// The agent who took it, if any.
    pub owner: Option<Named>,
    pub fields: Vec<FieldValue>,
    /// RFC 3339, in the user's time zone.
    #[schema(example = "2025-06-19T10:00:00+09:00")]
    pub created_at: String,
    /// Last change (a new article, a state or field change).
    pub changed_at: String,
    /// This ticket in the API.
    pub url: String,
}

/// A file of an article. Files of internal notes are never listed for customers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub article_id: i64,
    pub file_name: String,
    /// The type a download is served as (from an allow-list by extension).
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: String,
    /// Where to download it (`GET`, same credentials).
    pub url: String,
}

/// Who wrote an article.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Customer,
    Agent,
    System,
}

/// One message of a ticket's thread.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Article {
    pub id: i64,
    pub sender: Sender,
    /// The author's name (none for the system).
    pub author: Option<String>,
    /// An agents' note (only agents ever receive these).
    pub internal: bool,
    /// Plain text as written.
    pub body: String,
    pub created_at: String,
    pub attachments: Vec<Attachment>,
}

/// One entry of a ticket's history (agents only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub actor: Option<String>,
    /// `state`, `priority`, `queue`, `type`, `owner`, `created`, `follow_up`.
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: String,
}

/// A ticket with its thread.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: Ticket,
    /// Oldest first; internal notes only for agents.
    pub articles: Vec<Article>,
    /// The ticket this one follows up on, if the user may see it.
    pub refers_to: Option<String>,
    /// Tickets that follow up on this one.
    pub follow_ups: Vec<String>,
    /// Who changed what (empty for customers).
    pub history: Vec<HistoryEntry>,
}

/// One page of a ticket list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketList {
    pub tickets: Vec<Ticket>,
    /// Tickets in the whole list.
    pub total: i64,
    /// 1-based.
    pub page: u32,
    pub pages: u32,
    pub per_page: u32,
}

/// The files of a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<Attachment>,
}

/// A knowledge-base article that may answer a ticket being written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelatedArticle {
    /// The FAQ number.
    pub id: u32,
    pub title: String,
    pub category: String,
    /// HTML: escaped text with `<mark>` around the matches.
    pub snippet: String,
    pub score: f32,
    /// The article in the customer edition.
    pub url: String,
}

/// Articles of the customer edition related to a subject and body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelatedList {
    pub total: usize,
    pub hits: Vec<RelatedArticle>,
}

/// How the request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// The session cookie (state-changing requests need `X-CSRF-Token`).
    Session,
    /// `Authorization: Bearer` with a personal API token.
    Token,
}

/// Customer or agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Customer,
    Agent,
}

/// The user the credentials belong to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub kind: UserKind,
    /// Customers only.
    pub company_id: Option<i64>,
    /// `ja` or `en`.
    pub language: String,
    pub time_zone: String,
    /// The default `per_page` of lists.
    pub page_size: u32,
    pub auth: AuthMethod,
    /// With a session: the value state-changing requests send as `X-CSRF-Token`.
    pub csrf_token: Option<String>,
}

/// Every error: a stable `code` to match on and a `message` in the user's language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// `unauthorized`, `csrf`, `forbidden`, `not_allowed`, `not_found`, `conflict`,
    /// `validation`, `payload_too_large`, `busy`, `unavailable`, `internal`, …
    #[schema(example = "validation")]
    pub code: String,
    /// The same as `code` (kept for the first API's clients).
    pub error: String,
    pub message: String,
    /// With `validation`: the problem of each field (`subject`, `field.end_user`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<std::collections::BTreeMap<String, String>>,
}

// ---------------------------------------------------------------------------------------
// From the service's values

/// What turning values into API shapes needs: labels, language, the reader's time zone.
pub struct Shaper<'a> {
    pub settings: &'a Settings,
    pub strings: &'a Strings,
    pub lang: Language,
    pub tz: TimeZone,
}

/// RFC 3339 in `tz` (`2025-06-19T10:00:00+09:00`).
pub fn rfc3339(unix: i64, tz: TimeZone) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| {
            d.with_timezone(&tz.tz())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_default()
}

/// The API path of a ticket.
pub fn ticket_url(number: &str) -> String {
    format!("/api/v1/tickets/{number}")
}

impl Shaper<'_> {
    fn time(&self, unix: i64) -> String {
        rfc3339(unix, self.tz)
    }

    pub fn ticket(&self, t: &Row) -> Ticket {
        Ticket {
            number: t.number.to_string(),
            subject: t.subject.clone(),
            state: t.state.into(),
            state_label: view::state_label(self.strings, t.state),
            priority: t.priority.get(),
            priority_label: view::priority_label(self.strings, t.priority),
            ticket_type: Labelled {
                id: t.type_id,
                label: view::type_label(self.settings, t.type_id, self.lang),
            },
            queue: Labelled {
                id: t.queue_id,
                label: view::queue_label(self.settings, t.queue_id, self.lang),
            },
            company: Named {
                id: t.company_id,
                name: t.company_name.clone(),
            },
            customer: Named {
                id: t.customer_id,
                name: t.customer_name.clone(),
            },
            owner: t.owner_id.map(|id| Named {
                id,
                name: t.owner_name.clone().unwrap_or_default(),
            }),
            fields: t
                .dynamic_fields
                .iter()
                .map(|(key, value)| FieldValue {
                    key: key.clone(),
                    label: view::field_label(self.settings, key, self.lang),
                    value: value.clone(),
                })
                .collect(),
            created_at: self.time(t.created_at),
            changed_at: self.time(t.changed_at),
            url: ticket_url(t.number.as_str()),
        }
    }

    pub fn attachment(&self, m: &Meta) -> Attachment {
        Attachment {
            id: m.id,
            article_id: m.article_id.unwrap_or_default(),
            file_name: m.file_name.clone(),
            content_type: crate::tickets::files::content_type(&m.file_name).to_string(),
            size: m.size,
            sha256: m.sha256.clone(),
            created_at: self.time(m.created_at),
            url: format!("/api/v1/attachments/{}", m.id),
        }
    }

    fn article(&self, a: &ThreadArticle) -> Article {
        Article {
            id: a.article.id,
            sender: match a.article.sender {
                crate::domain::Sender::Customer => Sender::Customer,
                crate::domain::Sender::Agent => Sender::Agent,
                crate::domain::Sender::System => Sender::System,
            },
            author: a.article.author_name.clone(),
            internal: a.article.internal,
            body: a.article.body.clone(),
            created_at: self.time(a.article.created_at),
            attachments: a.files.iter().map(|f| self.attachment(f)).collect(),
        }
    }

    fn change(&self, c: &Change) -> HistoryEntry {
        HistoryEntry {
            actor: c.actor_name.clone(),
            field: c.field.clone(),
            from: c.old_value.clone(),
            to: c.new_value.clone(),
            at: self.time(c.at),
        }
    }

    pub fn detail(&self, thread: &Thread) -> TicketDetail {
        TicketDetail {
            ticket: self.ticket(&thread.ticket),
            articles: thread.articles.iter().map(|a| self.article(a)).collect(),
            refers_to: thread.refers_to.as_ref().map(ToString::to_string),
            follow_ups: thread.follow_ups.iter().map(ToString::to_string).collect(),
            history: thread.history.iter().map(|c| self.change(c)).collect(),
        }
    }

    pub fn list(&self, page: &Page, per_page: u32) -> TicketList {
        TicketList {
            tickets: page.tickets.iter().map(|t| self.ticket(t)).collect(),
            total: page.total,
            page: page.page,
            pages: page.pages,
            per_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_carry_the_readers_offset() {
        let t = 1_750_294_800; // 2025-06-19 01:00 UTC
        assert_eq!(
            rfc3339(t, TimeZone::parse("Asia/Tokyo").unwrap()),
            "2025-06-19T10:00:00+09:00"
        );
        assert_eq!(
            rfc3339(t, TimeZone::parse("UTC").unwrap()),
            "2025-06-19T01:00:00+00:00"
        );
    }

    #[test]
    fn states_are_named_as_the_service_names_them() {
        for s in TicketState::ALL {
            assert_eq!(
                serde_json::to_value(State::from(s)).unwrap(),
                serde_json::Value::from(s.as_str())
            );
        }
    }
}
