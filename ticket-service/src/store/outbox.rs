//! The mail outbox: messages waiting to be delivered, delivered, or given up on. Rows are
//! written inside the caller's transaction ([`insert`] takes `&mut Conn`) and claimed by
//! the delivery job with a lease, so several instances can run the job at once and each
//! message is sent by one of them; a lease that runs out (the process died mid-send) makes
//! the message due again, with its Message-ID unchanged.

use super::{col, Conn, Db, StoreError, StoreResult};
use sqlx::any::AnyRow;

/// A message to write to the outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub message_id: String,
    pub recipient: String,
    pub recipient_name: String,
    pub subject: String,
    pub body: String,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sent,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        match s {
            "pending" => Some(Status::Pending),
            "sent" => Some(Status::Sent),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: i64,
    pub message_id: String,
    pub recipient: String,
    pub recipient_name: String,
    pub subject: String,
    pub body: String,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    pub created_at: i64,
    pub status: Status,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, message_id, recipient, recipient_name, subject, body, in_reply_to, \
                       refs, created_at, status, attempts, next_attempt_at, last_error, sent_at";

fn from_row(row: &AnyRow) -> StoreResult<Message> {
    let status: String = col(row, "status")?;
    Ok(Message {
        id: col(row, "id")?,
        message_id: col(row, "message_id")?,
        recipient: col(row, "recipient")?,
        recipient_name: col(row, "recipient_name")?,
        subject: col(row, "subject")?,
        body: col(row, "body")?,
        in_reply_to: col(row, "in_reply_to")?,
        references: col(row, "refs")?,
        created_at: col(row, "created_at")?,
        status: Status::parse(&status).ok_or(StoreError::Corrupt {
            table: "outbox",
            column: "status",
        })?,
        attempts: col(row, "attempts")?,
        next_attempt_at: col(row, "next_attempt_at")?,
        last_error: col(row, "last_error")?,
        sent_at: col(row, "sent_at")?,
    })
}

/// Writes a message, due at once, in the caller's transaction.
pub async fn insert(conn: &mut Conn, m: &NewMessage, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO outbox (message_id, recipient, recipient_name, subject, body, in_reply_to, \
         refs, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&m.message_id)
    .bind(&m.recipient)
    .bind(&m.recipient_name)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.in_reply_to)
    .bind(&m.references)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(col(&row, "id")?)
}

/// Ids of pending messages that are due and not leased, oldest first.
pub async fn due(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
         AND locked_until <= $1 ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(col(r, "id")?)).collect()
}

/// Leases one due message until `lease_until` and counts the attempt; `None` when another
/// worker got it first (one guarded statement, so only one claim succeeds).
pub async fn claim(db: &Db, id: i64, now: i64, lease_until: i64) -> StoreResult<Option<Message>> {
    let row = sqlx::query(&format!(
        "UPDATE outbox SET locked_until = $3, attempts = attempts + 1 \
         WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $2 AND locked_until <= $2 \
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(now)
    .bind(lease_until)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn mark_sent(db: &Db, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = 0, last_error = NULL \
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at`, or given up (`failed`) when `None`.
pub async fn mark_failed(db: &Db, id: i64, error: &str, retry_at: Option<i64>) -> StoreResult<()> {
    let (status, next) = match retry_at {
        Some(t) => (Status::Pending, t),
        None => (Status::Failed, 0),
    };
    sqlx::query(
        "UPDATE outbox SET status = $2, next_attempt_at = $3, locked_until = 0, last_error = $4 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(next)
    .bind(error)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Messages that are not sent yet (pending or failed), oldest first.
pub async fn unsent(db: &Db, limit: i64) -> StoreResult<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE status <> 'sent' ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every message, newest first (admin and tests).
pub async fn recent(db: &Db, limit: i64) -> StoreResult<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Makes failed (or waiting) messages due now again, with a fresh count of attempts;
/// `id` `None` means all of them. Returns how many.
pub async fn retry(db: &Db, id: Option<i64>, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, locked_until = 0 \
         WHERE status <> 'sent' AND ($2 IS NULL OR id = $2)",
    )
    .bind(now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Deletes sent messages older than `before`.
pub async fn delete_sent_before(db: &Db, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
