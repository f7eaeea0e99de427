//! The in-memory cache of small static files, so that serving a page of an edition (or a
//! theme asset) costs what a web server's open-file cache costs: no path resolution, no
//! `open`, no read and no compression per request.
//!
//! One [`Tree`] per served folder (the three editions and the theme's `static/`). An entry
//! is keyed by the request path exactly as it came (`/`, `/en/articles/1504.html`) and
//! holds the bytes, their gzip and br variants (compressed once, when the entry is made),
//! the validators as ready header values and the content type. Entries are only made after
//! the full resolution in `http::kb` (segment rules, folder → `index.html`, symlinks must
//! stay inside the tree), so a hit is a file that was allowed a moment ago.
//!
//! Staying current, cheaply:
//! - kb-builder rebuilds a site by swapping a fresh tree in (`renameat2` exchange), so the
//!   folder at `site/<edition>` is another inode afterwards. Each request does one `stat`
//!   of the tree's root (a few hundred nanoseconds, cheaper than a hop to the blocking
//!   pool) and drops all entries when its identity (device, inode, modification time)
//!   changed; adding or removing a file directly in the root changes its time too.
//! - Files changed in place below the root (a hand edit, an `rsync` deploy) do not touch
//!   the root: an entry older than [`REVALIDATE`] is checked with one `stat` of its file
//!   (following symlinks, as the open did) and dropped when that is no longer the same
//!   file (device, inode, size, modification time). So an edit shows within a second, as
//!   with nginx's `open_file_cache_valid`.
//!
//! Bounded: files above [`MAX_FILE`] are never cached (they are streamed, with ranges), and
//! the entries of all trees together hold at most [`MAX_BYTES`] (counting the compressed
//! variants), give or take one entry per tree: beyond that, arbitrary entries of the tree
//! being filled are dropped to make room. Missing files are not cached, so a file written
//! later is found at once.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// Files up to this size are cached (and were read whole before this cache existed).
pub const MAX_FILE: u64 = 256 * 1024;

/// All cached bytes of all trees together: the demo site's three editions are about
/// 3 MB, a 10,000-article site about 600 MB, so a big site keeps its most requested pages
/// only as far as this allows.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// How old an entry may get before its file is checked again.
pub const REVALIDATE: Duration = Duration::from_secs(1);

/// What identifies one version of a file or folder on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl Identity {
    pub fn of(meta: &std::fs::Metadata) -> Identity {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Identity {
            dev,
            ino,
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    /// The identity of what is at `path` now (symlinks followed), if anything.
    pub fn at(path: &Path) -> Option<Identity> {
        std::fs::metadata(path).ok().map(|m| Identity::of(&m))
    }
}

/// One cached file: everything a response needs, prepared once.
pub struct Entry {
    /// The file, for revalidation.
    pub file: PathBuf,
    pub identity: Identity,
    pub content_type: &'static str,
    pub body: Bytes,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
    /// What conditional requests are compared with.
    pub validators: Validators,
    pub etag: HeaderValue,
    pub last_modified: Option<HeaderValue>,
    /// When the file was last seen unchanged, in milliseconds since the cache started.
    checked: AtomicU64,
}

impl Entry {
    /// Bytes this entry holds (what counts against [`MAX_BYTES`]).
    fn weight(&self) -> usize {
        self.body.len()
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.br.as_ref().map_or(0, Bytes::len)
            + self.file.as_os_str().len()
            + 256
    }
}

/// The cached files of one served folder.
pub struct Tree {
    root: PathBuf,
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The root as the entries knew it.
    root: Option<Identity>,
    entries: HashMap<Box<str>, Arc<Entry>>,
}

/// The trees of the editions and the theme, with their shared byte budget.
pub struct FileCache {
    pub public: Tree,
    pub customer: Tree,
    pub internal: Tree,
    pub theme: Tree,
    bytes: AtomicUsize,
    started: Instant,
}

impl FileCache {
    /// Empty trees for `site_dir`'s editions and the theme's static folder.
    pub fn new(site_dir: &Path, theme_static: &Path) -> FileCache {
        FileCache {
            public: Tree::new(site_dir.join("public")),
            customer: Tree::new(site_dir.join("customer")),
            internal: Tree::new(site_dir.join("internal")),
            theme: Tree::new(theme_static.to_path_buf()),
            bytes: AtomicUsize::new(0),
            started: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The entry for `key` in `tree`, if it is cached and still current.
    pub fn get(&self, tree: &Tree, key: &str) -> Option<Arc<Entry>> {
        let root = Identity::at(&tree.root);
        let entry = {
            let inner = tree.inner.read().unwrap_or_else(|e| e.into_inner());
            if inner.root == root {
                inner.entries.get(key).cloned()
            } else {
                None
            }
        };
        let Some(entry) = entry else {
            self.forget_if_moved(tree, root);
            return None;
        };
        let now = self.now_ms();
        let checked = entry.checked.load(Ordering::Relaxed);
        if now.saturating_sub(checked) >= REVALIDATE.as_millis() as u64 {
            if Identity::at(&entry.file) != Some(entry.identity) {
                self.remove(tree, key);
                return None;
            }
            entry.checked.store(now, Ordering::Relaxed);
        }
        Some(entry)
    }

    /// Drops every entry of `tree` when its root is no longer the one they came from.
    fn forget_if_moved(&self, tree: &Tree, root: Option<Identity>) {
        {
            let inner = tree.inner.read().unwrap_or_else(|e| e.into_inner());
            if inner.root == root {
                return;
            }
        }
        let mut inner = tree.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.root != root {
            let freed: usize = inner.entries.values().map(|e| e.weight()).sum();
            inner.entries.clear();
            inner.root = root;
            self.bytes.fetch_sub(
                freed.min(self.bytes.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
    }

    fn remove(&self, tree: &Tree, key: &str) {
        let mut inner = tree.inner.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = inner.entries.remove(key) {
            self.bytes.fetch_sub(
                old.weight().min(self.bytes.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
    }

    /// Keeps `entry` under `key`, if the budget allows (dropping other entries of the tree
    /// to make room) and the tree's root is still the one `root` (read before the file was
    /// resolved, so an entry of a tree swapped out meanwhile is not kept).
    pub fn insert(&self, tree: &Tree, root: Option<Identity>, key: &str, entry: Arc<Entry>) {
        let weight = entry.weight();
        // The root must still be the one the file was resolved under (else a request that
        // resolved in the old tree would turn the tree's idea of its root back).
        if weight > MAX_BYTES / 4 || root.is_none() || Identity::at(&tree.root) != root {
            return;
        }
        self.forget_if_moved(tree, root);
        let mut inner = tree.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.root != root {
            return;
        }
        entry.checked.store(self.now_ms(), Ordering::Relaxed);
        if let Some(old) = inner.entries.insert(key.into(), entry) {
            self.bytes.fetch_sub(
                old.weight().min(self.bytes.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
        let mut total = self.bytes.fetch_add(weight, Ordering::Relaxed) + weight;
        // Over budget: drop other entries of this tree (arbitrary ones) until it fits.
        while total > MAX_BYTES {
            let Some(victim) = inner.entries.keys().find(|k| &***k != key).cloned() else {
                break;
            };
            if let Some(old) = inner.entries.remove(&victim) {
                let w = old.weight().min(self.bytes.load(Ordering::Relaxed));
                total = self.bytes.fetch_sub(w, Ordering::Relaxed) - w;
            }
        }
    }

    /// Bytes held now (for tests and logs).
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Tree {
    fn new(root: PathBuf) -> Tree {
        Tree {
            root,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// The folder this tree serves.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root's identity now (read before resolving a file to cache).
    pub fn root_identity(&self) -> Option<Identity> {
        Identity::at(&self.root)
    }
}

/// Whether responses of this content type are worth compressing.
fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/xml")
        || content_type.starts_with("application/rss+xml")
        || content_type.starts_with("application/atom+xml")
        || content_type.starts_with("image/svg+xml")
}

/// Below this, compression does not pay for its header (tower-http's default, too).
const MIN_COMPRESS: usize = 32;

/// Builds the entry of a file already opened and read: `meta` is the open file's own
/// metadata (so validators and bytes belong together). Compresses with gzip and br
/// (better settings than per-request compression can afford, since it happens once);
/// a variant that does not save at least a tenth is not kept.
pub fn entry(
    file: PathBuf,
    meta: &std::fs::Metadata,
    content_type: &'static str,
    body: Vec<u8>,
    validators: Validators,
) -> Entry {
    let (gzip, br) = if compressible(content_type) && body.len() >= MIN_COMPRESS {
        let worth = |c: Vec<u8>| (c.len() * 10 < body.len() * 9).then(|| Bytes::from(c));
        (
            gzip(&body).and_then(worth),
            brotli_of(&body).and_then(worth),
        )
    } else {
        (None, None)
    };
    let etag = HeaderValue::from_str(&validators.etag)
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
    Entry {
        file,
        identity: Identity::of(meta),
        content_type,
        body: Bytes::from(body),
        gzip,
        br,
        etag,
        last_modified: validators
            .last_modified()
            .and_then(|v| HeaderValue::from_str(&v).ok()),
        validators,
        checked: AtomicU64::new(0),
    }
}

/// The same settings as kb-builder's `--precompress` copies.
fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    kb_builder::precompress::gzip(data).ok()
}

fn brotli_of(data: &[u8]) -> Option<Vec<u8>> {
    kb_builder::precompress::brotli(data).ok()
}

/// The codings of ours an `Accept-Encoding` header accepts. A coding with `q=0` is
/// refused; `*` stands for both.
pub fn accepted(accept: Option<&str>) -> Accepted {
    let mut out = Accepted::default();
    let Some(accept) = accept else {
        return out;
    };
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let ok = !parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if name.eq_ignore_ascii_case("br") {
            out.br = ok;
        } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            out.gzip = ok;
        } else if name == "*" {
            out.br |= ok;
            out.gzip |= ok;
        }
    }
    out
}

/// What [`accepted`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accepted {
    pub br: bool,
    pub gzip: bool,
}

impl Entry {
    /// The variant to send to a client that accepts `accepted` (br before gzip, the
    /// smaller), with its `Content-Encoding`, or the plain bytes with `None`.
    pub fn variant(&self, accepted: Accepted) -> (Bytes, Option<&'static str>) {
        match (&self.br, &self.gzip) {
            (Some(br), _) if accepted.br => (br.clone(), Some("br")),
            (_, Some(gz)) if accepted.gzip => (gz.clone(), Some("gzip")),
            _ => (self.body.clone(), None),
        }
    }
}

/// What a conditional request compares: a weak ETag from size and modification time, and
/// the modification time in whole seconds.
pub struct Validators {
    pub etag: String,
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

impl Validators {
    pub fn of(meta: &std::fs::Metadata) -> Validators {
        let modified = meta
            .modified()
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from);
        let nanos = modified
            .and_then(|m| m.timestamp_nanos_opt())
            .unwrap_or_default();
        Validators {
            etag: format!("W/\"{:x}-{:x}\"", meta.len(), nanos),
            modified,
        }
    }

    pub fn last_modified(&self) -> Option<String> {
        self.modified
            .map(|m| m.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    }

    /// If-None-Match (weak comparison) decides when present; else If-Modified-Since.
    pub fn not_modified(&self, request: &HeaderMap) -> bool {
        if let Some(inm) = request.get(header::IF_NONE_MATCH) {
            let Ok(inm) = inm.to_str() else {
                return false;
            };
            let ours = self.etag.trim_start_matches("W/");
            return inm
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
        }
        let since = request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
        match (since, self.modified) {
            (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
            _ => false,
        }
    }

    pub fn add_to(&self, headers: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, v);
        }
        if let Some(v) = self
            .last_modified()
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::LAST_MODIFIED, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read() {
        let a = |br, gzip| Accepted { br, gzip };
        assert_eq!(accepted(None), a(false, false));
        assert_eq!(accepted(Some("gzip, deflate, br")), a(true, true));
        assert_eq!(accepted(Some("gzip")), a(false, true));
        assert_eq!(accepted(Some("br;q=0, gzip;q=0.5")), a(false, true));
        assert_eq!(accepted(Some("identity")), a(false, false));
        assert_eq!(accepted(Some("*")), a(true, true));
        assert_eq!(accepted(Some("GZIP;q=0")), a(false, false));
    }

    fn cached(dir: &Path, name: &str, text: &str) -> Arc<Entry> {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let validators = Validators::of(&meta);
        Arc::new(entry(
            file,
            &meta,
            "text/html; charset=utf-8",
            text.as_bytes().to_vec(),
            validators,
        ))
    }

    #[test]
    fn entries_follow_their_files_and_the_root() {
        let site = tempfile::tempdir().unwrap();
        let public = site.path().join("public");
        std::fs::create_dir_all(public.join("sub")).unwrap();
        let cache = FileCache::new(site.path(), site.path());
        let tree = &cache.public;
        let root = tree.root_identity();
        let page = "<p>窓口</p>\n".repeat(100);
        let e = cached(&public.join("sub"), "a.html", &page);
        assert!(
            e.gzip.is_some() && e.br.is_some(),
            "a repetitive page compresses"
        );
        // A client that takes only gzip never gets br, and the reverse.
        let only_gzip = Accepted {
            br: false,
            gzip: true,
        };
        assert_eq!(e.variant(only_gzip).1, Some("gzip"));
        assert_eq!(
            e.variant(Accepted {
                br: true,
                gzip: false
            })
            .1,
            Some("br")
        );
        assert_eq!(e.variant(Accepted::default()).0.len(), page.len());
        cache.insert(tree, root, "/sub/a.html", e);
        assert!(cache.get(tree, "/sub/a.html").is_some());
        assert!(cache.bytes() > page.len());

        // Changed in place below the root: noticed once the entry is older than REVALIDATE.
        std::fs::write(
            public.join("sub/a.html"),
            "other, longer text than before........",
        )
        .unwrap();
        std::thread::sleep(REVALIDATE + Duration::from_millis(50));
        assert!(cache.get(tree, "/sub/a.html").is_none());
        assert_eq!(cache.bytes(), 0);

        // A new root (what kb-builder's swap does) drops everything at once.
        let e = cached(&public.join("sub"), "a.html", &page);
        cache.insert(tree, tree.root_identity(), "/sub/a.html", e);
        assert!(cache.get(tree, "/sub/a.html").is_some());
        std::fs::rename(&public, site.path().join("old")).unwrap();
        std::fs::create_dir_all(public.join("sub")).unwrap();
        assert!(cache.get(tree, "/sub/a.html").is_none());
        assert_eq!(cache.bytes(), 0);

        // An entry resolved under a root that has since moved is not kept.
        let stale_root = root;
        let e = cached(&public.join("sub"), "a.html", &page);
        cache.insert(tree, stale_root, "/sub/a.html", e);
        assert!(cache.get(tree, "/sub/a.html").is_none());
    }
}
