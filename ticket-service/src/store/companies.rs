//! Companies: the customers' organisations and their maintenance-contract period
//! (inclusive dates). Names are unique (`companies_name_key`).

use super::{col, is_unique_violation, Db};
use crate::domain::FieldError;
use crate::error::Error;
use chrono::NaiveDate;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub contract_start: NaiveDate,
    pub contract_end: NaiveDate,
}

fn from_row(row: &AnyRow) -> Result<Company, Error> {
    let date = |name: &str| -> Result<NaiveDate, Error> {
        let text: String = col(row, name)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| Error::Internal(anyhow::anyhow!("companies row has an invalid {name}")))
    };
    Ok(Company {
        id: col(row, "id")?,
        name: col(row, "name")?,
        contract_start: date("contract_start")?,
        contract_end: date("contract_end")?,
    })
}

/// Inserts a company; a taken name is a validation error on `name`.
pub async fn insert(
    db: &Db,
    name: &str,
    start: NaiveDate,
    end: NaiveDate,
    now: i64,
) -> Result<i64, Error> {
    let row = sqlx::query(
        "INSERT INTO companies (name, contract_start, contract_end, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(start.format("%Y-%m-%d").to_string())
    .bind(end.format("%Y-%m-%d").to_string())
    .bind(now)
    .fetch_one(db.pool())
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "companies_name_key", "companies.name") {
            Error::validation("name", FieldError::new("err_company_taken"))
        } else {
            Error::Sqlx(e)
        }
    })?;
    Ok(col(&row, "id")?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Company>, Error> {
    let row =
        sqlx::query("SELECT id, name, contract_start, contract_end FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_name(db: &Db, name: &str) -> Result<Option<Company>, Error> {
    let row =
        sqlx::query("SELECT id, name, contract_start, contract_end FROM companies WHERE name = $1")
            .bind(name)
            .fetch_optional(db.pool())
            .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<Company>, Error> {
    let rows =
        sqlx::query("SELECT id, name, contract_start, contract_end FROM companies ORDER BY name")
            .fetch_all(db.pool())
            .await?;
    rows.iter().map(from_row).collect()
}
