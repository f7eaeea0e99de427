//! Sessions, from start to end. The cookie holds 256 random bits (base64url); the database
//! holds only their SHA-256, the user, the CSRF token and two timestamps. A session ends after `session_idle` without a request or
//! `session_absolute` after it began, whichever comes first. A login always starts a new
//! session and ends the one before ([`Sessions::rotate`]), so a session id planted before
//! login is worthless. Every path that starts or ends a session goes through here.
//!
//! Requests that only read (GET, HEAD) may take the session and its user from a
//! [`ReadCache`] ([`Sessions::load_for_read`]): the static customer edition served at a
//! fifth of the public edition's rate while every page asked the database who the visitor
//! was. A logout or password change on this instance is seen at once; one on another
//! instance within `security.session_cache_seconds`. Requests that write always ask the
//! database.

use crate::clock::Clock;
use crate::config::Security;
use crate::error::Result;
use crate::read_cache::ReadCache;
use crate::store::sessions::SessionRow;
use crate::store::{sessions, users, users::User, Db};
use std::sync::Arc;
use std::time::Duration;

/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_EVERY_SECS: i64 = 60;

/// Sessions the read cache holds at most (a few hundred bytes each).
const CACHED_SESSIONS: usize = 20_000;

/// A session row and its user, as read together.
type Loaded = (SessionRow, Option<User>);

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub csrf_token: String,
    pub created_at: i64,
}

/// A session just started, with the secret value its cookie carries (shown once).
#[derive(Debug)]
pub struct Started {
    pub cookie_value: String,
    pub session: Session,
}

/// Starts, loads and ends sessions.
#[derive(Clone, Debug)]
pub struct Sessions {
    db: Db,
    clock: Clock,
    idle: Duration,
    absolute: Duration,
    /// By the SHA-256 of the cookie; only sessions that exist and have their user.
    cache: Arc<ReadCache<String, Loaded>>,
}

impl Sessions {
    pub fn new(db: Db, clock: Clock, security: &Security) -> Sessions {
        Sessions {
            db,
            clock,
            idle: security.session_idle(),
            absolute: security.session_absolute(),
            cache: Arc::new(ReadCache::new(security.session_cache(), CACHED_SESSIONS)),
        }
    }

    /// Starts a session for `user_id`. (Anonymous visitors get no session: their forms
    /// carry signed tokens, see `http::csrf`.)
    pub async fn start(&self, user_id: i64) -> Result<Started> {
        let user_id = Some(user_id);
        let id = crate::token::random_token();
        let now = self.clock.now();
        let row = sessions::SessionRow {
            id_hash: crate::token::hash_token(&id),
            user_id,
            csrf_token: crate::token::random_token(),
            created_at: now,
            last_seen_at: now,
        };
        sessions::insert(&self.db, &row).await?;
        Ok(Started {
            cookie_value: id,
            session: Session {
                id_hash: row.id_hash,
                user_id,
                csrf_token: row.csrf_token,
                created_at: now,
            },
        })
    }

    /// Ends `old` (the pre-login session, if any) and starts a session for `user_id`.
    pub async fn rotate(&self, old: Option<&Session>, user_id: i64) -> Result<Started> {
        if let Some(old) = old {
            self.end(old).await?;
        }
        let started = self.start(user_id).await?;
        tracing::info!(user_id, "session started");
        Ok(started)
    }

    /// Looks up the session of a cookie value. Expired sessions are deleted and yield
    /// `None`; live ones are touched (at most once a minute).
    pub async fn load(&self, cookie_value: &str) -> Result<Option<(Session, Option<User>)>> {
        if !crate::token::is_token_shaped(cookie_value) {
            return Ok(None);
        }
        let id_hash = crate::token::hash_token(cookie_value);
        match self.read(&id_hash).await? {
            Some(loaded) => self.check(id_hash, loaded, false).await,
            None => Ok(None),
        }
    }

    /// [`Sessions::load`] for a request that changes nothing: the session and user may
    /// come from the read cache (see the module documentation).
    pub async fn load_for_read(
        &self,
        cookie_value: &str,
    ) -> Result<Option<(Session, Option<User>)>> {
        if !self.cache.is_on() {
            return self.load(cookie_value).await;
        }
        if !crate::token::is_token_shaped(cookie_value) {
            return Ok(None);
        }
        let id_hash = crate::token::hash_token(cookie_value);
        let loaded = match self.cache.get(&self.db, &id_hash) {
            Some(loaded) => loaded,
            None => {
                let changes = self.db.changes();
                let Some(loaded) = self.read(&id_hash).await? else {
                    return Ok(None);
                };
                self.cache.put(id_hash.clone(), loaded.clone(), changes);
                loaded
            }
        };
        self.check(id_hash, loaded, true).await
    }

    /// The session row and its user; `None` when either is gone.
    async fn read(&self, id_hash: &str) -> Result<Option<Loaded>> {
        let Some(row) = sessions::get(&self.db, id_hash).await? else {
            return Ok(None);
        };
        let user = match row.user_id {
            Some(id) => match users::by_id(&self.db, id).await? {
                Some(user) => Some(user),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some((row, user)))
    }

    /// Ends an expired session, touches a live one (keeping a cached copy in step when
    /// `cached`), and hands it out.
    async fn check(
        &self,
        id_hash: String,
        (mut row, user): Loaded,
        cached: bool,
    ) -> Result<Option<(Session, Option<User>)>> {
        let now = self.clock.now();
        if now - row.last_seen_at >= self.idle.as_secs() as i64
            || now - row.created_at >= self.absolute.as_secs() as i64
        {
            sessions::delete(&self.db, &id_hash).await?;
            return Ok(None);
        }
        if now - row.last_seen_at >= TOUCH_EVERY_SECS {
            sessions::touch(&self.db, &id_hash, now).await?;
            row.last_seen_at = now;
            if cached {
                self.cache.update(&id_hash, (row.clone(), user.clone()));
            }
        }
        let session = Session {
            id_hash,
            user_id: row.user_id,
            csrf_token: row.csrf_token,
            created_at: row.created_at,
        };
        Ok(Some((session, user)))
    }

    /// Ends one session (logout).
    pub async fn end(&self, session: &Session) -> Result<()> {
        sessions::delete(&self.db, &session.id_hash).await?;
        Ok(())
    }

    /// Ends every session of a user except `keep` (an `id_hash`), e.g. after a password
    /// change; returns how many ended.
    pub async fn end_all(&self, user_id: i64, keep: Option<&str>) -> Result<u64> {
        Ok(match keep {
            Some(keep) => sessions::delete_for_user_except(&self.db, user_id, keep).await?,
            None => sessions::delete_for_user(&self.db, user_id).await?,
        })
    }
}
