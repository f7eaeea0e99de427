//! A small in-memory cache of rows that nearly every request reads and almost none writes:
//! a session with its user, a user's company. Without it a page behind login costs three
//! queries before it does any work of its own; the customer edition (`/kb/`) served at a
//! fifth of the public edition's rate because of them.
//!
//! An entry is good while two things hold:
//!
//! - it is younger than the time to live (a few seconds), which bounds how long a change
//!   made by *another* instance or the admin command (a logout, a password change) can go
//!   unseen here; and
//! - the database's change counter ([`Db::changes`]) is what it was when the entry was
//!   read. Every write of this process to sessions, users or companies moves it on, so a
//!   logout, a password change or new preferences are seen by the next request at once.
//!
//! Sessions and users come from it only for requests that change nothing
//! (`Sessions::load_for_read`): a request that writes always reads them from the database.
//! Companies come from it for every caller (`Accounts::company`): a contract changes once
//! a year or so (`admin set-contract`), and that write moves the counter like the others;
//! through another process it is seen within the time to live.
//!
//! The map is bounded: when full, expired entries go, and if none has, all of them do
//! (a cold cache costs queries, never correctness).

use crate::store::Db;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// See the module documentation.
#[derive(Debug)]
pub struct ReadCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    ttl: Duration,
    capacity: usize,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    changes: u64,
    read_at: Instant,
}

impl<K: Eq + Hash + Clone, V: Clone> ReadCache<K, V> {
    /// A cache keeping entries for `ttl` (zero turns it off), at most `capacity` of them.
    pub fn new(ttl: Duration, capacity: usize) -> ReadCache<K, V> {
        ReadCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// Whether the cache keeps anything at all.
    pub fn is_on(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The value read for `key`, if it is still good (see the module documentation).
    pub fn get(&self, db: &Db, key: &K) -> Option<V> {
        if !self.is_on() {
            return None;
        }
        let changes = db.changes();
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        if entry.changes == changes && entry.read_at.elapsed() < self.ttl {
            Some(entry.value.clone())
        } else {
            entries.remove(key);
            None
        }
    }

    /// Reads `key` with `read` unless a good entry exists, and keeps what it read. The
    /// change counter is taken *before* reading, so a write that lands while the read
    /// runs leaves an entry that is already out of date, never a stale one that looks
    /// fresh.
    pub async fn get_or_read<E, F, Fut>(&self, db: &Db, key: &K, read: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.get(db, key) {
            return Ok(value);
        }
        let changes = db.changes();
        let value = read().await?;
        self.put(key.clone(), value.clone(), changes);
        Ok(value)
    }

    /// Replaces the value of a good entry (after this process wrote the change itself,
    /// e.g. a session's `last_seen_at`), keeping its age.
    pub fn update(&self, key: &K, value: V) {
        if let Some(entry) = self.lock().get_mut(key) {
            entry.value = value;
        }
    }

    /// Keeps `value` for `key`, read when the change counter was `changes` (taken
    /// before the read; see [`ReadCache::get_or_read`]).
    pub fn put(&self, key: K, value: V, changes: u64) {
        if !self.is_on() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.read_at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                value,
                changes,
                read_at: Instant::now(),
            },
        );
    }

    /// How many entries are held (good or not yet noticed to be stale).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        // A panic while holding the lock cannot leave a half-written map (every change
        // is one insert or remove), so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database only for its change counter (the folder goes when the test ends).
    async fn db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        (Db::connect(&url, 1).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn a_write_of_this_process_makes_every_entry_stale() {
        let (db, _dir) = db().await;
        let cache = ReadCache::new(Duration::from_secs(60), 10);
        let mut reads = 0;
        let mut read = || {
            reads += 1;
            let n = reads;
            async move { Ok::<_, ()>(n) }
        };
        assert_eq!(cache.get_or_read(&db, &"k", &mut read).await, Ok(1));
        assert_eq!(cache.get_or_read(&db, &"k", &mut read).await, Ok(1));
        db.changed();
        assert_eq!(cache.get_or_read(&db, &"k", &mut read).await, Ok(2));
    }

    #[tokio::test]
    async fn entries_expire_and_zero_ttl_keeps_nothing() {
        let (db, _dir) = db().await;
        let cache = ReadCache::new(Duration::from_millis(50), 10);
        assert_eq!(
            cache
                .get_or_read(&db, &1, || async { Ok::<_, ()>("a") })
                .await,
            Ok("a")
        );
        assert_eq!(cache.get(&db, &1), Some("a"));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(cache.get(&db, &1), None);

        let off = ReadCache::new(Duration::ZERO, 10);
        let _ = off
            .get_or_read(&db, &1, || async { Ok::<_, ()>("a") })
            .await;
        assert_eq!(off.get(&db, &1), None);
        assert!(off.is_empty());
    }

    #[tokio::test]
    async fn a_full_cache_stays_within_its_capacity() {
        let (db, _dir) = db().await;
        let cache = ReadCache::new(Duration::from_secs(60), 3);
        for k in 0..10 {
            let _ = cache
                .get_or_read(&db, &k, || async { Ok::<_, ()>(k) })
                .await;
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.get(&db, &9), Some(9));
    }

    #[tokio::test]
    async fn an_error_is_not_kept() {
        let (db, _dir) = db().await;
        let cache: ReadCache<i32, i32> = ReadCache::new(Duration::from_secs(60), 3);
        assert_eq!(
            cache.get_or_read(&db, &1, || async { Err("down") }).await,
            Err("down")
        );
        assert!(cache.is_empty());
    }
}
