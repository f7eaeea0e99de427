//! Secrets shared by every instance of one installation, created once.

use super::{col, Db, StoreResult};

/// The secret called `name`: the stored one, or `candidate`, stored now if there was none
/// (the first instance to start wins; every other one reads what it stored).
pub async fn get_or_create(db: &Db, name: &str, candidate: &str, now: i64) -> StoreResult<String> {
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(now)
    .execute(db.pool())
    .await?;
    let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await?;
    Ok(col(&row, "value")?)
}
