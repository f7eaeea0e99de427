//! The articles of a ticket's thread. `internal` marks an agents' note; the queries that
//! serve customers leave those out in SQL, so no code path above can forget to filter.

use super::{col, Conn, Db, StoreError, StoreResult};
use crate::domain::Sender;
use sqlx::any::AnyRow;

/// A stored article with its author's name.
#[derive(Debug, Clone)]
pub struct Article {
    pub id: i64,
    pub ticket_id: i64,
    pub sender: Sender,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub internal: bool,
    pub body: String,
    pub created_at: i64,
}

/// Whether a query may return internal notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notes {
    Include,
    Exclude,
}

fn from_row(row: &AnyRow) -> StoreResult<Article> {
    let sender: String = col(row, "sender")?;
    let internal: i64 = col(row, "internal")?;
    Ok(Article {
        id: col(row, "id")?,
        ticket_id: col(row, "ticket_id")?,
        sender: Sender::parse(&sender).ok_or(StoreError::Corrupt {
            table: "ticket_articles",
            column: "sender",
        })?,
        author_id: col(row, "author_id")?,
        author_name: col(row, "author_name")?,
        internal: internal != 0,
        body: col(row, "body")?,
        created_at: col(row, "created_at")?,
    })
}

/// What it takes to store an article.
#[derive(Debug, Clone)]
pub struct NewArticle<'a> {
    pub ticket_id: i64,
    pub sender: Sender,
    pub author_id: Option<i64>,
    pub internal: bool,
    pub body: &'a str,
}

/// Adds an article in the caller's transaction; returns its id.
pub async fn insert(conn: &mut Conn, a: &NewArticle<'_>, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO ticket_articles (ticket_id, sender, author_id, internal, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.ticket_id)
    .bind(a.sender.as_str())
    .bind(a.author_id)
    .bind(i64::from(a.internal))
    .bind(a.body)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(col(&row, "id")?)
}

/// A ticket's thread, oldest first.
pub async fn of_ticket(db: &Db, ticket_id: i64, notes: Notes) -> StoreResult<Vec<Article>> {
    let filter = match notes {
        Notes::Include => "",
        Notes::Exclude => " AND a.internal = 0",
    };
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.ticket_id, a.sender, a.author_id, u.display_name AS author_name, \
         a.internal, a.body, a.created_at FROM ticket_articles a \
         LEFT JOIN users u ON u.id = a.author_id \
         WHERE a.ticket_id = $1{filter} ORDER BY a.id"
    ))
    .bind(ticket_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The first article of a ticket that the customer can see (the question), if any.
pub async fn first_public(db: &Db, ticket_id: i64) -> StoreResult<Option<Article>> {
    let row = sqlx::query(
        "SELECT a.id, a.ticket_id, a.sender, a.author_id, u.display_name AS author_name, \
         a.internal, a.body, a.created_at FROM ticket_articles a \
         LEFT JOIN users u ON u.id = a.author_id \
         WHERE a.ticket_id = $1 AND a.internal = 0 ORDER BY a.id LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// When the customer last wrote to a ticket (for the timed state changes), if ever.
pub async fn last_customer_article_at(db: &Db, ticket_id: i64) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT MAX(created_at) AS at FROM ticket_articles WHERE ticket_id = $1 AND sender = 'customer'",
    )
    .bind(ticket_id)
    .fetch_one(db.pool())
    .await?;
    Ok(col(&row, "at")?)
}
