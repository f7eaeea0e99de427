//! Knowledge-base search: the three editions' indexes that kb-builder writes to
//! `site/search/<edition>/`, opened once at start-up and shared by the search pages, the
//! search API and the related-article suggestions.
//!
//! kb-builder rebuilds a site by renaming a fresh tree over the old one, so an open index
//! would keep serving the old files forever. Each use therefore looks at the index's
//! `meta.json` (one `stat`) and reopens the index when the file is not the one it opened
//! (another inode, size or modification time). A site that is not built yet simply has no
//! index; the search pages then answer "search is unavailable" until it appears.
//!
//! Searching is CPU work, so [`SearchIndexes::search`] and [`SearchIndexes::related`] run
//! on tokio's blocking pool.

use crate::error::{Error, Result};
use kb_builder::editions::Edition;
use kb_builder::search::{Filters, Hit, Results, SearchIndex};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// What identifies one version of an index on disk: its `meta.json`'s identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(meta_json: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(meta_json).ok()?;
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt as _;
            (m.dev(), m.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Some(Stamp {
            dev,
            ino,
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// One edition's index as last seen.
#[derive(Default)]
struct Slot {
    index: Option<Arc<SearchIndex>>,
    /// The `meta.json` the open attempt saw (also after a failed attempt, so a broken
    /// index is not reopened on every request, only when it changes again).
    stamp: Option<Stamp>,
}

/// The search indexes of the public, customer and internal editions.
pub struct SearchIndexes {
    site_dir: PathBuf,
    slots: [RwLock<Slot>; 3],
    /// Searches running at once. Searching is CPU work on the blocking pool; the public
    /// API needs no login, so a flood must queue briefly and then be refused (503) rather
    /// than grow the pool without bound.
    running: tokio::sync::Semaphore,
}

/// How long a search waits for a turn before the service answers 503.
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn slot_of(edition: Edition) -> usize {
    match edition {
        Edition::Public => 0,
        Edition::Customer => 1,
        Edition::Internal => 2,
    }
}

impl SearchIndexes {
    /// Opens whatever indexes `site_dir` holds now. Missing ones are not an error.
    pub fn open(site_dir: &Path) -> SearchIndexes {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let indexes = SearchIndexes {
            site_dir: site_dir.to_path_buf(),
            slots: Default::default(),
            running: tokio::sync::Semaphore::new(cores * 2),
        };
        for edition in Edition::ALL {
            if indexes.index(edition).is_none() {
                tracing::warn!(
                    edition = edition.as_str(),
                    site = %site_dir.display(),
                    "no search index yet; search of this edition is unavailable until kb-builder builds the site"
                );
            }
        }
        indexes
    }

    fn meta_json(&self, edition: Edition) -> PathBuf {
        self.site_dir
            .join("search")
            .join(edition.as_str())
            .join("meta.json")
    }

    /// The current index of `edition`, reopened first if the site was rebuilt. Blocking
    /// (a `stat`, and an open after a rebuild): call it from a blocking thread.
    pub fn index(&self, edition: Edition) -> Option<Arc<SearchIndex>> {
        let lock = &self.slots[slot_of(edition)];
        let stamp = Stamp::of(&self.meta_json(edition));
        {
            let slot = lock.read().unwrap_or_else(|e| e.into_inner());
            // No meta.json (not built, or removed): keep serving what is open, if anything.
            if stamp.is_none() || slot.stamp == stamp {
                return slot.index.clone();
            }
        }
        let mut slot = lock.write().unwrap_or_else(|e| e.into_inner());
        if slot.stamp == stamp {
            return slot.index.clone();
        }
        let dir = self.site_dir.join("search").join(edition.as_str());
        match SearchIndex::open(&dir) {
            Ok(index) => {
                tracing::info!(
                    edition = edition.as_str(),
                    articles = index.len(),
                    "search index opened"
                );
                slot.index = Some(Arc::new(index));
            }
            Err(e) => {
                tracing::warn!(edition = edition.as_str(), error = %e, "cannot open the search index");
            }
        }
        slot.stamp = stamp;
        slot.index.clone()
    }

    /// Waits for a free slot to search in, at most [`QUEUE_WAIT`].
    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        match tokio::time::timeout(QUEUE_WAIT, self.running.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                tracing::warn!("search refused: too many searches waiting");
                Err(Error::Unavailable)
            }
        }
    }

    /// Searches one edition. `Error::Unavailable` when it has no index.
    pub async fn search(
        self: &Arc<Self>,
        edition: Edition,
        query: String,
        filters: Filters,
        limit: usize,
        offset: usize,
    ) -> Result<Results> {
        let _turn = self.turn().await?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let index = this.index(edition).ok_or(Error::Unavailable)?;
            index
                .search(&query, &filters, limit, offset)
                .map_err(|e| Error::Internal(anyhow::Error::new(e).context("search")))
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("search task failed: {e}")))?
    }

    /// Articles of `edition` related to a ticket's subject and body.
    pub async fn related(
        self: &Arc<Self>,
        edition: Edition,
        subject: String,
        body: String,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let _turn = self.turn().await?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let index = this.index(edition).ok_or(Error::Unavailable)?;
            index
                .related(&subject, &body, limit)
                .map_err(|e| Error::Internal(anyhow::Error::new(e).context("related articles")))
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("search task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flood_of_searches_is_refused_after_a_short_wait() {
        let dir = tempfile::tempdir().unwrap();
        let indexes = Arc::new(SearchIndexes::open(dir.path()));
        let search = || indexes.search(Edition::Public, "x".into(), Filters::default(), 10, 0);
        // A free slot: the answer (no index here) comes at once.
        let started = std::time::Instant::now();
        assert!(matches!(search().await, Err(Error::Unavailable)));
        assert!(started.elapsed() < QUEUE_WAIT / 2);
        // Every slot taken: the search waits its turn, then gives up.
        let all = indexes.running.available_permits() as u32;
        let _held = indexes.running.acquire_many(all).await.unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(search().await, Err(Error::Unavailable)));
        assert!(started.elapsed() >= QUEUE_WAIT);
    }

    #[test]
    fn a_site_without_indexes_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let indexes = SearchIndexes::open(dir.path());
        for edition in Edition::ALL {
            assert!(indexes.index(edition).is_none());
        }
    }
}
