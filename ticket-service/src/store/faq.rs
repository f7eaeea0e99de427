//! FAQ usage: views, votes, saved searches.

use super::{col, duplicate_as, Db, StoreResult};

/// Counts a view of `article_id` unless the same `mark` (visitor and article) was counted
/// after `since`; returns whether it counted. The mark and the count change in one
/// transaction, and the mark's upsert is one guarded statement, so the same view sent many
/// times at once counts once.
pub async fn record_view(
    db: &Db,
    article_id: u32,
    mark: &str,
    now: i64,
    since: i64,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO faq_view_marks (mark, at) VALUES ($1, $2) \
         ON CONFLICT (mark) DO UPDATE SET at = $2 WHERE faq_view_marks.at <= $3 RETURNING at",
    )
    .bind(mark)
    .bind(now)
    .bind(since)
    .fetch_optional(&mut *tx)
    .await?
    .is_some();
    if fresh {
        sqlx::query(
            "INSERT INTO faq_views (article_id, views) VALUES ($1, 1) \
             ON CONFLICT (article_id) DO UPDATE SET views = faq_views.views + 1",
        )
        .bind(i64::from(article_id))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(fresh)
}

/// Forgets view marks older than `before`.
pub async fn delete_view_marks_before(db: &Db, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM faq_view_marks WHERE at <= $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Records (or changes) `user_id`'s vote on `article_id`.
pub async fn vote(db: &Db, article_id: u32, user_id: i64, stars: u8, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO faq_votes (article_id, user_id, stars, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (article_id, user_id) DO UPDATE SET stars = $3, at = $4",
    )
    .bind(i64::from(article_id))
    .bind(user_id)
    .bind(i64::from(stars))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The user's vote on an article, if any.
pub async fn vote_of(db: &Db, article_id: u32, user_id: i64) -> StoreResult<Option<u8>> {
    let row = sqlx::query("SELECT stars FROM faq_votes WHERE article_id = $1 AND user_id = $2")
        .bind(i64::from(article_id))
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|r| col::<i64>(&r, "stars"))
        .transpose()?
        .map(|n| n.clamp(1, 5) as u8))
}

/// Usage of one article.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub views: u64,
    pub votes: u64,
    /// Sum of the stars; the rating is `stars / votes`.
    pub stars: u64,
}

/// Usage of every article that has any, by article id.
pub async fn usage(db: &Db) -> StoreResult<std::collections::BTreeMap<u32, Usage>> {
    let mut out = std::collections::BTreeMap::<u32, Usage>::new();
    for row in sqlx::query("SELECT article_id, views FROM faq_views")
        .fetch_all(db.pool())
        .await?
    {
        let id: i64 = col(&row, "article_id")?;
        let views: i64 = col(&row, "views")?;
        out.entry(id as u32).or_default().views = views.max(0) as u64;
    }
    for row in sqlx::query(
        "SELECT article_id, COUNT(*) AS votes, CAST(SUM(stars) AS BIGINT) AS stars FROM faq_votes \
         GROUP BY article_id",
    )
    .fetch_all(db.pool())
    .await?
    {
        let id: i64 = col(&row, "article_id")?;
        let votes: i64 = col(&row, "votes")?;
        let stars: i64 = col(&row, "stars")?;
        let u = out.entry(id as u32).or_default();
        u.votes = votes.max(0) as u64;
        u.stars = stars.max(0) as u64;
    }
    Ok(out)
}

/// A saved search.
#[derive(Debug, Clone)]
pub struct SavedSearch {
    pub id: i64,
    pub edition: String,
    pub name: String,
    pub query: String,
    pub category: String,
    pub language: String,
}

/// Saves a search; a name the user already used for this edition is
/// `StoreError::Duplicate("saved_search")`.
pub async fn save_search(db: &Db, user_id: i64, s: &SavedSearch, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO saved_searches (user_id, edition, name, query, category, language, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user_id)
    .bind(&s.edition)
    .bind(&s.name)
    .bind(&s.query)
    .bind(&s.category)
    .bind(&s.language)
    .bind(now)
    .fetch_one(db.pool())
    .await
    .map_err(duplicate_as(
        "saved_searches_name_key",
        "saved_searches.user_id",
        "saved_search",
    ))?;
    Ok(col(&row, "id")?)
}

/// A user's saved searches of one edition, by name.
pub async fn saved_searches(db: &Db, user_id: i64, edition: &str) -> StoreResult<Vec<SavedSearch>> {
    let rows = sqlx::query(
        "SELECT id, edition, name, query, category, language FROM saved_searches \
         WHERE user_id = $1 AND edition = $2 ORDER BY name",
    )
    .bind(user_id)
    .bind(edition)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SavedSearch {
                id: col(r, "id")?,
                edition: col(r, "edition")?,
                name: col(r, "name")?,
                query: col(r, "query")?,
                category: col(r, "category")?,
                language: col(r, "language")?,
            })
        })
        .collect()
}

/// How many searches a user saved (all editions).
pub async fn count_saved(db: &Db, user_id: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM saved_searches WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await?;
    Ok(col(&row, "n")?)
}

/// Deletes one of a user's saved searches; whether there was one.
pub async fn delete_saved(db: &Db, user_id: i64, id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM saved_searches WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
