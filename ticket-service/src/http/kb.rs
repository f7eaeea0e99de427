//! The static editions kb-builder builds, served from the site folder:
//!
//! | path          | folder            | who                        |
//! |---------------|-------------------|----------------------------|
//! | `/…`          | `site/public/`    | everyone (the fallback)    |
//! | `/kb/…`       | `site/customer/`  | logged-in users            |
//! | `/agent/kb/…` | `site/internal/`  | agents (customers get 404) |
//!
//! and the theme's static assets at `/static/…`. File serving is our own, small and
//! strict: the path is percent-decoded once, split into segments, and any `..`, dot-file,
//! backslash or NUL segment is refused; the resolved file must lie inside the edition
//! (symlinks out are refused too). A folder serves its `index.html` (a folder URL without
//! the trailing slash is redirected to it, so relative links work); a missing file gets
//! the edition's `404.html` (or `en/404.html` under `/en/`) with status 404. Files up to
//! 256 KiB are read whole; larger ones (manuals, modules) are streamed.
//!
//! The search pages (`/search`, `/kb/search`, `/agent/kb/search`) and `/api/search` are
//! `http::search`'s; `/kb/search/` with the slash is the edition's static search page.

use super::extract::{CurrentAgent, CurrentUser};
use crate::file_cache::{self, FileCache, Tree, Validators};
use crate::state::AppState;
use crate::store::users::User;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kb_builder::editions::Edition;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;

/// The editions behind login (they need the request context: session and user).
pub fn editions_router() -> Router<AppState> {
    Router::new()
        .route("/kb", get(|| async { Redirect::permanent("/kb/") }))
        .route("/kb/", get(customer_edition))
        .route("/kb/{*path}", get(customer_edition))
        .route(
            "/agent/kb",
            get(|| async { Redirect::permanent("/agent/kb/") }),
        )
        .route("/agent/kb/", get(internal_edition))
        .route("/agent/kb/{*path}", get(internal_edition))
        .layer(compression())
}

/// gzip or br by the request's `Accept-Encoding` (with `Vary`), for the static editions
/// only (never the service's pages, which carry CSRF tokens). Small bodies, images,
/// archives, PDFs and ranges go out as they are.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotForContentType::const_new("font/"));
    CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Fastest)
        .compress_when(predicate)
}

/// The theme's assets, served without a session lookup.
pub fn assets_router() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(theme_static))
        .layer(compression())
}

/// Caching of a served tree.
#[derive(Clone, Copy)]
enum Caching {
    /// Public files: a short shared cache.
    Public,
    /// Behind login: `no-store`.
    Private,
}

/// `/…`: the public edition (the fallback of every route, so it checks the method itself:
/// only GET and HEAD read files).
pub async fn public_edition(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed();
    }
    serve(
        &state.files,
        Which::Public,
        "/",
        uri.path(),
        &headers,
        Caching::Public,
        true,
    )
    .await
}

/// `/kb/…`: the customer edition, for logged-in users.
pub async fn customer_edition(
    State(state): State<AppState>,
    CurrentUser { ctx, user, .. }: CurrentUser,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let grace = state.config.security.contract_kb_grace_days;
    match state.accounts.customer_kb_permission(&user, grace).await {
        Ok(Ok(())) => {}
        Ok(Err(end)) => return contract_ended(&state, &ctx, end),
        Err(e) => return e.into_response(),
    }
    serve(
        &state.files,
        Which::Customer,
        "/kb/",
        uri.path(),
        &headers,
        Caching::Private,
        true,
    )
    .await
}

/// The edition whose articles `user` may search and get suggested as a customer: the
/// customer edition, or the public one once their company's contract ended more than
/// `security.contract_kb_grace_days` ago (the same rule as the `/kb/` pages, so search,
/// suggestions and the related-articles APIs do not show what the pages no longer do).
pub async fn customer_edition_of(state: &AppState, user: &User) -> crate::error::Result<Edition> {
    let grace = state.config.security.contract_kb_grace_days;
    Ok(
        match state.accounts.customer_kb_permission(user, grace).await? {
            Ok(()) => Edition::Customer,
            Err(_) => Edition::Public,
        },
    )
}

/// Where the article on renewing a contract is (`tickets.renewal_article`): in the public
/// edition, because a customer past the grace period has no customer edition any more.
pub fn renewal_url(state: &AppState, lang: kb_builder::Language) -> String {
    kb_builder::urls::service_article_path(
        Edition::Public,
        lang,
        state.config.tickets.renewal_article,
    )
}

/// The page a customer of an ended contract gets instead of the customer edition: why, the
/// renewal article, and the public edition.
fn contract_ended(state: &AppState, ctx: &super::context::Ctx, end: chrono::NaiveDate) -> Response {
    let mut tc = tera::Context::new();
    let message = crate::domain::FieldError::new("kb_contract_ended_body")
        .with("date", end.format("%Y-%m-%d"))
        .with("days", state.config.security.contract_kb_grace_days)
        .translate(ctx.strings());
    tc.insert("message", &message);
    tc.insert("renewal_url", &renewal_url(state, ctx.lang));
    // The context middleware leaves the navigation's link to /kb/ in place under /kb/.
    tc.insert("customer_kb", &false);
    match ctx.render("service/kb_ended.html", "kb_contract_ended_title", tc) {
        Ok(page) => {
            let mut response = (StatusCode::FORBIDDEN, page).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    }
}

/// `/agent/kb/…`: the internal edition, for agents.
pub async fn internal_edition(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(
        &state.files,
        Which::Internal,
        "/agent/kb/",
        uri.path(),
        &headers,
        Caching::Private,
        true,
    )
    .await
}

/// `/static/…`: the theme's assets (CSS, JS, images).
pub async fn theme_static(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    serve(
        &state.files,
        Which::Theme,
        "/static/",
        uri.path(),
        &headers,
        Caching::Public,
        false,
    )
    .await
}

/// 405 for anything but GET and HEAD on the static editions.
fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
    )
        .into_response()
}

/// The clean segments of a request path below `mount`, or `None` if any is unsafe.
fn segments(mount: &str, path: &str) -> Option<Vec<String>> {
    let rel = path.strip_prefix(mount).unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(rel)
        .decode_utf8()
        .ok()?;
    let mut out = Vec::new();
    for seg in decoded.split('/') {
        if seg.is_empty() || seg == "." {
            continue;
        }
        if seg.starts_with('.') || seg.contains(['\\', '\0', ':']) {
            return None;
        }
        out.push(seg.to_string());
    }
    Some(out)
}

/// Serves `path` (below `mount`) from `tree`. Small files come from the in-memory cache
/// (`file_cache`) once resolved; ranges and large files are read from disk.
async fn serve(
    files: &Arc<FileCache>,
    tree: Which,
    mount: &'static str,
    path: &str,
    request: &HeaderMap,
    caching: Caching,
    pages: bool,
) -> Response {
    let ranged = request.contains_key(header::RANGE);
    let t = tree.of(files);
    if !ranged {
        if let Some(entry) = files.get(t, path) {
            return from_entry(&entry, StatusCode::OK, request, caching, path);
        }
    }
    let Some(segs) = segments(mount, path) else {
        return not_found(files, tree, &[], pages).await;
    };
    let root = t.root().to_path_buf();
    let owned_path = path.to_string();
    let resolve_segs = segs.clone();
    let resolved = tokio::task::spawn_blocking(move || {
        let root_id = file_cache::Identity::at(&root);
        (
            root_id,
            resolve(&root, mount, &owned_path, &resolve_segs, pages),
        )
    })
    .await;
    let (root_id, (file, meta)) = match resolved {
        Ok((root_id, Resolved::File { file, meta })) => (root_id, (file, meta)),
        Ok((_, Resolved::Redirect(location))) => {
            return Redirect::permanent(&location).into_response()
        }
        Ok((_, Resolved::Missing)) | Err(_) => return not_found(files, tree, &segs, pages).await,
    };
    if !ranged && meta.len() <= file_cache::MAX_FILE {
        if let Some(entry) = load(files, tree, root_id, path, file.clone()).await {
            return from_entry(&entry, StatusCode::OK, request, caching, path);
        }
        return not_found(files, tree, &segs, pages).await;
    }
    let validators = Validators::of(&meta);
    if validators.not_modified(request) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        validators.add_to(response.headers_mut());
        cache_control(response.headers_mut(), caching, path);
        return response;
    }
    let len = meta.len();
    let range = match requested_range(request, &validators, len) {
        Ok(range) => range,
        Err(()) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return response;
        }
    };
    let opened = match range {
        Some((start, end)) => open_range(&file, start, end).await,
        None => open(&file, len).await,
    };
    let Some(body) = opened else {
        return not_found(files, tree, &segs, pages).await;
    };
    let status = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    cache_control(headers, caching, path);
    validators.add_to(headers);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some((start, end)) = range {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            headers.insert(header::CONTENT_RANGE, v);
        }
    }
    response
}

/// Which of the cache's trees a route serves.
#[derive(Clone, Copy)]
enum Which {
    Public,
    Customer,
    Internal,
    Theme,
}

impl Which {
    fn of(self, files: &FileCache) -> &Tree {
        match self {
            Which::Public => &files.public,
            Which::Customer => &files.customer,
            Which::Internal => &files.internal,
            Which::Theme => &files.theme,
        }
    }
}

/// Where a request path leads in a tree.
enum Resolved {
    Missing,
    /// A folder asked for without its trailing slash.
    Redirect(String),
    /// A regular file inside the tree (symlinks resolved), with its metadata.
    File {
        file: PathBuf,
        meta: std::fs::Metadata,
    },
}

/// Resolves the clean segments of a request (blocking: a few `stat`s and the
/// canonicalisations of the symlink rule; only on a cache miss).
fn resolve(root: &Path, mount: &str, path: &str, segs: &[String], pages: bool) -> Resolved {
    let mut file: PathBuf = root.to_path_buf();
    file.extend(segs);
    let Ok(meta) = std::fs::metadata(&file) else {
        return Resolved::Missing;
    };
    let meta = if meta.is_dir() {
        if !pages {
            return Resolved::Missing;
        }
        if !path.ends_with('/') {
            let mut location = format!("{mount}{}", segs.join("/"));
            if !location.ends_with('/') {
                location.push('/');
            }
            let location: String = location
                .split('/')
                .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
                .collect::<Vec<_>>()
                .join("/");
            return Resolved::Redirect(location);
        }
        file.push("index.html");
        // A folder's page is another file: its own size and dates.
        match std::fs::metadata(&file) {
            Ok(meta) => meta,
            Err(_) => return Resolved::Missing,
        }
    } else {
        meta
    };
    // Only regular files (not a FIFO or device someone put in the site), and only inside.
    if !meta.is_file() || !inside(root, &file) {
        return Resolved::Missing;
    }
    Resolved::File { file, meta }
}

/// Reads a small file whole and keeps it in the cache under `key` (when `root_id`, the
/// tree root seen before resolving, is still current). `None` if it cannot be read or is
/// no longer a small regular file.
async fn load(
    files: &Arc<FileCache>,
    tree: Which,
    root_id: Option<file_cache::Identity>,
    key: &str,
    file: PathBuf,
) -> Option<Arc<file_cache::Entry>> {
    let entry = tokio::task::spawn_blocking(move || -> Option<file_cache::Entry> {
        use std::io::Read as _;
        let mut f = std::fs::File::open(&file).ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.len() > file_cache::MAX_FILE {
            return None;
        }
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        f.read_to_end(&mut data).ok()?;
        let validators = Validators::of(&meta);
        let content_type = content_type(&file);
        Some(file_cache::entry(
            file,
            &meta,
            content_type,
            data,
            validators,
        ))
    })
    .await
    .ok()??;
    let entry = Arc::new(entry);
    files.insert(tree.of(files), root_id, key, Arc::clone(&entry));
    Some(entry)
}

/// A response from a cached file: 304 when the client's validators match, else the
/// variant its `Accept-Encoding` prefers (with `Vary` when there are variants).
fn from_entry(
    entry: &file_cache::Entry,
    status: StatusCode,
    request: &HeaderMap,
    caching: Caching,
    path: &str,
) -> Response {
    let varies = entry.gzip.is_some() || entry.br.is_some();
    if status == StatusCode::OK && entry.validators.not_modified(request) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        let headers = response.headers_mut();
        entry_validators(entry, headers);
        cache_control(headers, caching, path);
        if varies {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        return response;
    }
    let accept = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let (body, coding) = entry.variant(file_cache::accepted(accept));
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(entry.content_type),
    );
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if varies {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if status == StatusCode::OK {
        entry_validators(entry, headers);
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        cache_control(headers, caching, path);
    }
    response
}

fn entry_validators(entry: &file_cache::Entry, headers: &mut HeaderMap) {
    headers.insert(header::ETAG, entry.etag.clone());
    if let Some(v) = &entry.last_modified {
        headers.insert(header::LAST_MODIFIED, v.clone());
    }
}

/// The one byte range asked for (`bytes=a-b`, `bytes=a-`, `bytes=-n`), inclusive; `None`
/// serves the whole file (no Range, several ranges, or an If-Range that no longer
/// matches); `Err` is 416.
fn requested_range(
    request: &HeaderMap,
    validators: &Validators,
    len: u64,
) -> Result<Option<(u64, u64)>, ()> {
    let Some(range) = request.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    if let Some(if_range) = request.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        let same_tag = if_range.trim() == validators.etag;
        let same_date = validators.last_modified().as_deref() == Some(if_range.trim());
        if !same_tag && !same_date {
            return Ok(None);
        }
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (start, end) = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 || len == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len - 1)
        }
        (a, "") => (a.parse().map_err(|_| ())?, len.saturating_sub(1)),
        (a, b) => {
            let a: u64 = a.parse().map_err(|_| ())?;
            let b: u64 = b.parse().map_err(|_| ())?;
            (a, b.min(len.saturating_sub(1)))
        }
    };
    if start >= len || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Bytes `start..=end` of a file, streamed.
async fn open_range(file: &Path, start: u64, end: u64) -> Option<Body> {
    use tokio::io::AsyncSeekExt as _;
    let mut f = tokio::fs::File::open(file).await.ok()?;
    f.seek(std::io::SeekFrom::Start(start)).await.ok()?;
    let left = end - start + 1;
    let chunks = futures_util::stream::unfold(Some((f, left)), |state| async move {
        let (mut f, left) = state?;
        if left == 0 {
            return None;
        }
        let want = usize::try_from(left.min(64 * 1024)).unwrap_or(64 * 1024);
        let mut buf = vec![0u8; want];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), Some((f, left - n as u64))))
            }
            Err(e) => Some((Err::<axum::body::Bytes, _>(e), None)),
        }
    });
    Some(Body::from_stream(chunks))
}

/// Public files: a short shared cache. Behind login: `no-store`, like every page of the
/// service (nothing of a per-user edition stays on a shared computer after logout); the
/// validators still answer a client that asks with `If-None-Match`. Fingerprinted assets
/// (`assets/site.3f9a1c2e.css`: the name changes whenever the content does) are cached
/// for a year and never revalidated, also behind login (a theme's CSS and JS are the same
/// for everyone and say nothing about the user).
fn cache_control(headers: &mut HeaderMap, caching: Caching, path: &str) {
    let immutable = kb_builder::theme::is_fingerprinted_path(path);
    let value = match (caching, immutable) {
        (Caching::Public, true) => "public, max-age=31536000, immutable",
        (Caching::Private, true) => "private, max-age=31536000, immutable",
        (Caching::Public, false) => "public, max-age=300",
        (Caching::Private, false) => "no-store",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
}

/// Files up to this size are read in one go; larger ones (manuals, modules) are streamed
/// so that a few concurrent downloads do not hold whole files in memory.
const STREAM_ABOVE: u64 = 256 * 1024;

/// `len` is the size the caller just read from the file's metadata.
async fn open(file: &Path, len: u64) -> Option<Body> {
    let mut f = tokio::fs::File::open(file).await.ok()?;
    if len <= STREAM_ABOVE {
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        f.read_to_end(&mut data).await.ok()?;
        return Some(Body::from(data));
    }
    let chunks = futures_util::stream::unfold(Some(f), |state| async move {
        let mut f = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), Some(f)))
            }
            // The error ends the body; the client sees a truncated download, not a hang.
            Err(e) => Some((Err::<axum::body::Bytes, _>(e), None)),
        }
    });
    Some(Body::from_stream(chunks))
}

/// Characters escaped in a path segment of a redirect.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Whether `file`, symlinks resolved, lies inside `root` (blocking).
fn inside(root: &Path, file: &Path) -> bool {
    match (std::fs::canonicalize(root), std::fs::canonicalize(file)) {
        (Ok(root), Ok(file)) => file.starts_with(root),
        _ => false,
    }
}

/// The edition's `404.html` (`en/404.html` under `/en/`) with status 404, from the cache
/// like any page; a plain 404 for the theme's assets or a site without the page.
async fn not_found(files: &Arc<FileCache>, tree: Which, segs: &[String], pages: bool) -> Response {
    if pages {
        let candidates: &[&str] = if segs.first().is_some_and(|s| s == "en") {
            &["en/404.html", "404.html"]
        } else {
            &["404.html"]
        };
        let t = tree.of(files);
        for &page in candidates {
            // Keys without a leading slash: no request path can take them.
            let entry = match files.get(t, page) {
                Some(entry) => Some(entry),
                None => load(files, tree, t.root_identity(), page, t.root().join(page)).await,
            };
            if let Some(entry) = entry {
                return from_entry(
                    &entry,
                    StatusCode::NOT_FOUND,
                    &HeaderMap::new(),
                    Caching::Private,
                    page,
                );
            }
        }
    }
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

fn content_type(file: &Path) -> &'static str {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_segments_are_refused() {
        assert_eq!(
            segments("/kb/", "/kb/a/b.html"),
            Some(vec!["a".into(), "b.html".into()])
        );
        assert_eq!(segments("/kb/", "/kb/"), Some(vec![]));
        assert_eq!(
            segments("/kb/", "/kb/%E3%82%88/x"),
            Some(vec!["よ".into(), "x".into()])
        );
        for bad in [
            "/kb/../internal/x",
            "/kb/%2e%2e/x",
            "/kb/..%2Fx",
            "/kb/a%5C..%5Cb",
            "/kb/.git/config",
            "/kb/a%00b",
            "/kb/%ff",
        ] {
            assert_eq!(segments("/kb/", bad), None, "{bad}");
        }
    }
}
