//! Storage: the only module with SQL.
//!
//! One `sqlx::AnyPool` serves both backends. Every query is one SQL text that SQLite and
//! PostgreSQL both accept: `$1` placeholders (SQLite reads `$N` as the N-th argument),
//! `RETURNING`, `ON CONFLICT`; timestamps are `i64` unix seconds, dates ISO `YYYY-MM-DD`
//! text, enums text with a CHECK — types the Any driver carries losslessly on both sides.
//! The schemas differ only where they must (identity columns), so there are two migration
//! folders, `migrations/sqlite/` and `migrations/postgres/`, picked by [`Backend`]. We
//! chose Any over an enum of two pools because every query would otherwise be written and
//! tested twice; if a later feature needs a backend-only type (say `bytea` streaming), that
//! query can match on [`Db::backend`].
//!
//! SQLite is set up per connection (WAL, `synchronous=FULL`, a busy timeout, foreign keys)
//! and the settings are read back at start-up, so a driver default that changes under us
//! stops the service instead of quietly weakening durability.
//!
//! Every function here returns [`StoreError`]: the database's own error, a row that does
//! not decode, or a [`StoreError::Duplicate`] when a unique constraint that is part of the
//! design (`users_email_key`, `companies_name_key`, …) refuses a row — the services turn
//! that into a message on the form field, never a 500.
//!
//! A function that may be one step of a larger change takes `&mut Conn` (a pooled
//! connection or an open [`Tx`]), so a service can put several steps — a ticket, its
//! history entry, the mail it causes — into one transaction. Stand-alone reads take `&Db`.

pub mod api_tokens;
pub mod articles;
pub mod attachments;
pub mod companies;
pub mod faq;
pub mod outbox;
pub mod resets;
pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod tickets;
pub mod users;

/// A database connection of either backend: a pooled one or the inside of a [`Tx`].
pub type Conn = sqlx::AnyConnection;

/// An open transaction. Dereferences to [`Conn`], so `&mut tx` goes wherever a store
/// function takes `&mut Conn`; dropped without [`Tx::commit`], it rolls back.
pub struct Tx(sqlx::Transaction<'static, sqlx::Any>);

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        self.0.commit().await.map_err(StoreError::from)
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}

/// The store's one error type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A unique constraint refused the row; names what is taken (`email`, `name`, …).
    #[error("{0} is already taken")]
    Duplicate(&'static str),
    /// A stored value that does not parse: a bug or a hand-edited row.
    #[error("a row of {table} has an invalid {column}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

use anyhow::{bail, Context as _};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long SQLite waits for a lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: i64 = 5_000;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Detects the backend from a database URL.
    pub fn from_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            bail!("unsupported database URL scheme (use sqlite:// or postgres://)")
        }
    }
}

/// The connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Moved on by every write of this process to sessions, users or companies: the
    /// rows a `ReadCache` keeps (see `read_cache`), so a cached copy knows it is stale.
    changes: Arc<AtomicU64>,
}

impl Db {
    /// Connects (creating a SQLite file and its folder if missing) and checks the SQLite
    /// settings. Does not migrate; see [`Db::migrate`].
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute(
                        format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str(),
                    )
                    .await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(&url)
            .await
            .context("cannot connect to the database")?;
        let db = Db {
            pool,
            backend,
            changes: Arc::new(AtomicU64::new(0)),
        };
        if backend == Backend::Sqlite {
            db.check_sqlite_settings().await?;
        }
        Ok(db)
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("database migration failed")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The change counter of sessions, users and companies (see the field).
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Called by the store after a write to sessions, users or companies has been done
    /// (committed, for a transaction).
    pub(crate) fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(Tx(self.pool.begin().await?))
    }

    /// A connection from the pool, for a series of steps outside a transaction.
    pub async fn conn(&self) -> StoreResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// `SELECT 1`: whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reads the per-connection SQLite settings back and refuses to run without them.
    async fn check_sqlite_settings(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        let journal: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let synchronous: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let busy: i64 = sqlx::query("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let foreign_keys: i64 = sqlx::query("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        // synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
        if !journal.eq_ignore_ascii_case("wal")
            || synchronous < 2
            || busy < SQLITE_BUSY_TIMEOUT_MS
            || foreign_keys != 1
        {
            bail!(
                "SQLite settings not in effect: journal_mode={journal} synchronous={synchronous} \
                 busy_timeout={busy} foreign_keys={foreign_keys} (need wal, 2, {SQLITE_BUSY_TIMEOUT_MS}, 1)"
            );
        }
        Ok(())
    }
}

/// Adds `mode=rwc` (create if missing) and creates the file's folder.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        bail!("an in-memory SQLite database cannot be shared by the pool; give a file path");
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
    }
    Ok(if query.contains("mode=") {
        url.to_string()
    } else if query.is_empty() {
        format!("sqlite://{path}?mode=rwc")
    } else {
        format!("sqlite://{path}?{query}&mode=rwc")
    })
}

/// Whether `err` is a unique violation of `constraint` (PostgreSQL names it) or of
/// `table.column` (SQLite names the column in its message instead).
pub(crate) fn is_unique_violation(err: &sqlx::Error, constraint: &str, table_column: &str) -> bool {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            db.constraint() == Some(constraint) || db.message().contains(table_column)
        }
        _ => false,
    }
}

/// Maps a unique violation of `constraint` / `table_column` to [`StoreError::Duplicate`]
/// naming `what`; any other error passes through.
pub(crate) fn duplicate_as(
    constraint: &'static str,
    table_column: &'static str,
    what: &'static str,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e, constraint, table_column) {
            StoreError::Duplicate(what)
        } else {
            StoreError::Sqlx(e)
        }
    }
}

/// Reads a column, turning a decoding failure into a store error that names the column.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
}
