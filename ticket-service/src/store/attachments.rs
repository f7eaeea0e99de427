//! Attachment files, stored in the database so every instance serves them. Listings select
//! the metadata only; the bytes are read one file at a time, for a download.
//!
//! A file uploaded with a form that came back with an error is held as a *draft*
//! (`draft_token` = the form's token, `user_id` its owner) so the user does not have to pick
//! it again; [`attach_drafts`] moves the drafts into the article when the form goes
//! through, in the same transaction.

use super::{col, Conn, Db, StoreResult};
use sqlx::any::AnyRow;

/// An attachment without its bytes.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub article_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

const META: &str = "id, ticket_id, article_id, file_name, content_type, size, sha256, created_at";

fn meta(row: &AnyRow) -> StoreResult<Meta> {
    Ok(Meta {
        id: col(row, "id")?,
        ticket_id: col(row, "ticket_id")?,
        article_id: col(row, "article_id")?,
        file_name: col(row, "file_name")?,
        content_type: col(row, "content_type")?,
        size: col(row, "size")?,
        sha256: col(row, "sha256")?,
        created_at: col(row, "created_at")?,
    })
}

/// A file to store.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    pub user_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub data: &'a [u8],
}

/// Where a new file goes: into an article, or held under a form's token.
#[derive(Debug, Clone, Copy)]
pub enum Home<'a> {
    Article { ticket_id: i64, article_id: i64 },
    Draft { token: &'a str },
}

pub async fn insert(
    conn: &mut Conn,
    f: &NewFile<'_>,
    home: Home<'_>,
    now: i64,
) -> StoreResult<i64> {
    let (ticket_id, article_id, draft) = match home {
        Home::Article {
            ticket_id,
            article_id,
        } => (Some(ticket_id), Some(article_id), None),
        Home::Draft { token } => (None, None, Some(token)),
    };
    let row = sqlx::query(
        "INSERT INTO attachments (ticket_id, article_id, draft_token, user_id, file_name, \
         content_type, size, sha256, created_at, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(ticket_id)
    .bind(article_id)
    .bind(draft)
    .bind(f.user_id)
    .bind(f.file_name)
    .bind(f.content_type)
    .bind(f.data.len() as i64)
    .bind(f.sha256)
    .bind(now)
    .bind(f.data)
    .fetch_one(&mut *conn)
    .await?;
    Ok(col(&row, "id")?)
}

/// The files held under a form's token for its user.
pub async fn drafts(db: &Db, token: &str, user_id: i64) -> StoreResult<Vec<Meta>> {
    let rows = sqlx::query(&format!(
        "SELECT {META} FROM attachments WHERE draft_token = $1 AND user_id = $2 ORDER BY id"
    ))
    .bind(token)
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(meta).collect()
}

/// Removes one held file of a user's form; whether there was one.
pub async fn delete_draft(db: &Db, id: i64, token: &str, user_id: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("DELETE FROM attachments WHERE id = $1 AND draft_token = $2 AND user_id = $3")
            .bind(id)
            .bind(token)
            .bind(user_id)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a form's held files into an article, in the caller's transaction.
pub async fn attach_drafts(
    conn: &mut Conn,
    token: &str,
    user_id: i64,
    ticket_id: i64,
    article_id: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE attachments SET ticket_id = $3, article_id = $4, draft_token = NULL \
         WHERE draft_token = $1 AND user_id = $2",
    )
    .bind(token)
    .bind(user_id)
    .bind(ticket_id)
    .bind(article_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// The sizes held under a form's token (to enforce the per-request limit across tries).
pub async fn draft_bytes(db: &Db, token: &str, user_id: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS n FROM attachments \
         WHERE draft_token = $1 AND user_id = $2",
    )
    .bind(token)
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    Ok(col(&row, "n")?)
}

/// The files of a ticket's articles (metadata), for the thread.
pub async fn of_ticket(db: &Db, ticket_id: i64) -> StoreResult<Vec<Meta>> {
    let rows = sqlx::query(&format!(
        "SELECT {META} FROM attachments WHERE ticket_id = $1 AND article_id IS NOT NULL ORDER BY id"
    ))
    .bind(ticket_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(meta).collect()
}

/// A file with what its access check needs: the ticket's company and whether its article
/// is an internal note. Only files that belong to an article.
#[derive(Debug)]
pub struct Download {
    pub meta: Meta,
    pub company_id: i64,
    pub internal: bool,
    pub data: Vec<u8>,
}

pub async fn download(db: &Db, id: i64) -> StoreResult<Option<Download>> {
    let row = sqlx::query(
        "SELECT f.id, f.ticket_id, f.article_id, f.file_name, f.content_type, f.size, f.sha256, \
         f.created_at, t.company_id, a.internal, f.data FROM attachments f \
         JOIN ticket_articles a ON a.id = f.article_id JOIN tickets t ON t.id = f.ticket_id \
         WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let internal: i64 = col(&row, "internal")?;
    Ok(Some(Download {
        meta: meta(&row)?,
        company_id: col(&row, "company_id")?,
        internal: internal != 0,
        data: col(&row, "data")?,
    }))
}

/// Deletes drafts held longer than until `before`.
pub async fn delete_drafts_before(db: &Db, before: i64) -> StoreResult<u64> {
    let done =
        sqlx::query("DELETE FROM attachments WHERE draft_token IS NOT NULL AND created_at < $1")
            .bind(before)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected())
}
