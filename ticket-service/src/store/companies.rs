//! Companies: the customers' organisations and their maintenance-contract period
//! (inclusive dates). Names are unique (`companies_name_key`). A function that changes or
//! deletes a row calls `Db::changed` afterwards, as the sessions' and users' writes do,
//! because services keep companies in a read cache.

use super::{col, duplicate_as, Db, StoreError, StoreResult};
use chrono::NaiveDate;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub contract_start: NaiveDate,
    pub contract_end: NaiveDate,
}

fn from_row(row: &AnyRow) -> StoreResult<Company> {
    let date = |name: &'static str| -> StoreResult<NaiveDate> {
        let text: String = col(row, name)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| StoreError::Corrupt {
            table: "companies",
            column: name,
        })
    };
    Ok(Company {
        id: col(row, "id")?,
        name: col(row, "name")?,
        contract_start: date("contract_start")?,
        contract_end: date("contract_end")?,
    })
}

/// Inserts a company; a taken name is [`StoreError::Duplicate`]`("name")`.
pub async fn insert(
    db: &Db,
    name: &str,
    start: NaiveDate,
    end: NaiveDate,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO companies (name, contract_start, contract_end, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(start.format("%Y-%m-%d").to_string())
    .bind(end.format("%Y-%m-%d").to_string())
    .bind(now)
    .fetch_one(db.pool())
    .await
    .map_err(duplicate_as("companies_name_key", "companies.name", "name"))?;
    Ok(col(&row, "id")?)
}

/// Sets a company's contract period (a renewal); false when there is no such company.
pub async fn set_contract(db: &Db, id: i64, start: NaiveDate, end: NaiveDate) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE companies SET contract_start = $1, contract_end = $2 WHERE id = $3")
            .bind(start.format("%Y-%m-%d").to_string())
            .bind(end.format("%Y-%m-%d").to_string())
            .bind(id)
            .execute(db.pool())
            .await?;
    db.changed();
    Ok(done.rows_affected() > 0)
}

pub async fn by_id(db: &Db, id: i64) -> StoreResult<Option<Company>> {
    let row =
        sqlx::query("SELECT id, name, contract_start, contract_end FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_name(db: &Db, name: &str) -> StoreResult<Option<Company>> {
    let row =
        sqlx::query("SELECT id, name, contract_start, contract_end FROM companies WHERE name = $1")
            .bind(name)
            .fetch_optional(db.pool())
            .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> StoreResult<Vec<Company>> {
    let rows =
        sqlx::query("SELECT id, name, contract_start, contract_end FROM companies ORDER BY name")
            .fetch_all(db.pool())
            .await?;
    rows.iter().map(from_row).collect()
}
