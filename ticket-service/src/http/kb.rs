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
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

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
}

/// The theme's assets, served without a session lookup.
pub fn assets_router() -> Router<AppState> {
    Router::new().route("/static/{*path}", get(theme_static))
}

/// Caching of a served tree.
#[derive(Clone, Copy)]
enum Caching {
    /// Public files: a short shared cache.
    Public,
    /// Behind login: whatever the security middleware sets (`no-store`).
    Private,
}

/// `/…`: the public edition (the fallback of every route, so it checks the method itself:
/// only GET and HEAD read files).
pub async fn public_edition(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed();
    }
    serve(
        &state.config.server.site_dir.join("public"),
        "/",
        uri.path(),
        Caching::Public,
        true,
    )
    .await
}

/// `/kb/…`: the customer edition, for logged-in users.
pub async fn customer_edition(
    State(state): State<AppState>,
    _user: CurrentUser,
    uri: Uri,
) -> Response {
    serve(
        &state.config.server.site_dir.join("customer"),
        "/kb/",
        uri.path(),
        Caching::Private,
        true,
    )
    .await
}

/// `/agent/kb/…`: the internal edition, for agents.
pub async fn internal_edition(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    uri: Uri,
) -> Response {
    serve(
        &state.config.server.site_dir.join("internal"),
        "/agent/kb/",
        uri.path(),
        Caching::Private,
        true,
    )
    .await
}

/// `/static/…`: the theme's assets (CSS, JS, images).
pub async fn theme_static(State(state): State<AppState>, uri: Uri) -> Response {
    serve(
        &state.theme.static_dir(),
        "/static/",
        uri.path(),
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

async fn serve(root: &Path, mount: &str, path: &str, caching: Caching, pages: bool) -> Response {
    let Some(segs) = segments(mount, path) else {
        return not_found(root, &[], pages).await;
    };
    let mut file: PathBuf = root.to_path_buf();
    file.extend(&segs);
    let Ok(meta) = tokio::fs::metadata(&file).await else {
        return not_found(root, &segs, pages).await;
    };
    if meta.is_dir() {
        if !pages {
            return not_found(root, &segs, pages).await;
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
            return Redirect::permanent(&location).into_response();
        }
        file.push("index.html");
    }
    if !inside(root, &file).await {
        return not_found(root, &segs, pages).await;
    }
    match open(&file).await {
        Some(body) => file_response(StatusCode::OK, &file, body, caching),
        None => not_found(root, &segs, pages).await,
    }
}

/// Files up to this size are read in one go; larger ones (manuals, modules) are streamed
/// so that a few concurrent downloads do not hold whole files in memory.
const STREAM_ABOVE: u64 = 256 * 1024;

async fn open(file: &Path) -> Option<Body> {
    let f = tokio::fs::File::open(file).await.ok()?;
    let len = f.metadata().await.ok()?.len();
    if len <= STREAM_ABOVE {
        return tokio::fs::read(file).await.ok().map(Body::from);
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

/// Whether `file`, symlinks resolved, lies inside `root`.
async fn inside(root: &Path, file: &Path) -> bool {
    match (
        tokio::fs::canonicalize(root).await,
        tokio::fs::canonicalize(file).await,
    ) {
        (Ok(root), Ok(file)) => file.starts_with(root),
        _ => false,
    }
}

async fn not_found(root: &Path, segs: &[String], pages: bool) -> Response {
    if pages {
        let candidates = if segs.first().is_some_and(|s| s == "en") {
            vec![root.join("en/404.html"), root.join("404.html")]
        } else {
            vec![root.join("404.html")]
        };
        for page in candidates {
            if let Ok(bytes) = tokio::fs::read(&page).await {
                return file_response(
                    StatusCode::NOT_FOUND,
                    &page,
                    Body::from(bytes),
                    Caching::Private,
                );
            }
        }
    }
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

fn file_response(status: StatusCode, file: &Path, body: Body, caching: Caching) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(file)),
    );
    if let (Caching::Public, StatusCode::OK) = (caching, status) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    }
    response
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
