//! Serving the built site like a web server: fingerprinted assets cached for a year, pages
//! revalidated; the in-memory file cache follows rebuilds and in-place edits and keeps the
//! symlink rule; compressed variants decompress to the file.

use crate::helpers::*;
use kb_builder::urls::article_path;
use std::io::Read as _;
use std::time::Duration;

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The stylesheet a page links to (`…assets/madoguchi.<hash>.css`), as written.
fn stylesheet(html: &str) -> String {
    // tera escapes `/` in attribute values.
    let html = html.replace("&#x2F;", "/");
    html.split("href=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap_or(""))
        .find(|u| u.contains("assets/madoguchi.") && u.ends_with(".css"))
        .unwrap_or_else(|| panic!("no stylesheet link in {html}"))
        .to_string()
}

async fn fingerprinted_assets_are_immutable_and_pages_are_not(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("assets@example.com", "Assets").await;
    let customer = app.logged_in("assets@example.com", PASSWORD).await;
    let anon = app.client();

    let r = app.get(&anon, "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "public, max-age=300", "a page");
    let home = r.text().await.unwrap();
    let css = stylesheet(&home);
    assert!(css.starts_with("assets/madoguchi."), "{css}");
    let name = css.rsplit('/').next().unwrap().to_string();
    assert!(kb_builder::theme::is_fingerprinted(&name), "{name}");

    // The same name from every page of every edition and both languages.
    let article = format!("/en/{}", article_path(kb::PUBLIC_EN));
    for (client, page) in [
        (&anon, "/en/"),
        (&anon, article.as_str()),
        (&customer, "/kb/"),
        (&customer, "/kb/en/"),
    ] {
        let html = app.get(client, page).await.text().await.unwrap();
        assert!(stylesheet(&html).ends_with(&name), "{page}: {html}");
    }

    let r = app.get(&anon, &format!("/assets/{name}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&r, "content-type").starts_with("text/css"));
    let theme_css =
        std::fs::read_to_string(kb_builder::theme::default_dir().join("static/madoguchi.css"))
            .unwrap();
    assert_eq!(r.text().await.unwrap(), theme_css);

    // Behind login: pages never stored, the theme's assets kept (they are no one's data).
    let r = app.get(&customer, "/kb/").await;
    assert_eq!(header(&r, "cache-control"), "no-store");
    let r = app.get(&customer, &format!("/kb/assets/{name}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "cache-control"),
        "private, max-age=31536000, immutable"
    );

    // The plain name still answers, with short caching; a made-up hash is a 404.
    let r = app.get(&anon, "/assets/madoguchi.css").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "public, max-age=300");
    let r = app.get(&anon, "/assets/madoguchi.00000000.css").await;
    assert_eq!(r.status(), 404);
}

async fn the_cache_follows_rebuilds_and_edits(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let anon = app.client();
    let page = format!("/{}", article_path(kb::PUBLIC_EN));
    for _ in 0..3 {
        let html = app.get(&anon, &page).await.text().await.unwrap();
        assert!(!html.contains("wombat"));
    }
    let old_css = stylesheet(&app.get(&anon, "/").await.text().await.unwrap());

    // A rebuild swaps the site in: the next request already sees it.
    app.rebuild_kb_with_a_wombat().await;
    let html = app.get(&anon, &page).await.text().await.unwrap();
    assert!(html.contains("wombat"), "{html}");
    // The stylesheet did not change, so neither did its name.
    assert_eq!(
        stylesheet(&app.get(&anon, "/").await.text().await.unwrap()),
        old_css
    );

    // A file changed in place below the edition's root (a hand edit, rsync): seen within
    // the revalidation interval, about a second.
    let file = app
        .site_dir
        .join("public")
        .join(article_path(kb::PUBLIC_EN));
    let edited = html.replace("wombat", "platypus");
    std::fs::write(&file, &edited).unwrap();
    let mut seen = false;
    for _ in 0..30 {
        if app
            .get(&anon, &page)
            .await
            .text()
            .await
            .unwrap()
            .contains("platypus")
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the edit was never served");

    // Removed: 404 from then on.
    std::fs::remove_file(&file).unwrap();
    let mut gone = false;
    for _ in 0..30 {
        if app.get(&anon, &page).await.status() == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "a removed page was still served");
}

async fn symlinks_out_of_an_edition_stay_refused_when_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    let anon = app.client();
    let public = app.site_dir.join("public");
    // A link that stays inside the edition is served.
    std::os::unix::fs::symlink(public.join("index.html"), public.join("home.html")).unwrap();
    let r = app.get(&anon, "/home.html").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "<h1>PUBLIC HOME</h1>");
    // One that leads out of it is not.
    std::os::unix::fs::symlink(app.site_dir.join("secret.txt"), public.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(app.site_dir.join("internal"), public.join("inner")).unwrap();
    for path in ["/leak.txt", "/inner/secret.html", "/inner/"] {
        let r = app.get(&anon, path).await;
        assert_eq!(r.status(), 404, "{path}");
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("OUTSIDE") && !text.contains("INTERNAL"),
            "{path}"
        );
    }
    // A served (so cached) file replaced by a link out of the edition: refused once the
    // entry is checked again, never served from memory for longer.
    write(&public.join("faq/page.html"), "FAQ PAGE");
    for _ in 0..3 {
        assert_eq!(app.get(&anon, "/faq/page.html").await.status(), 200);
    }
    std::fs::remove_file(public.join("faq/page.html")).unwrap();
    std::os::unix::fs::symlink(
        app.site_dir.join("secret.txt"),
        public.join("faq/page.html"),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = app.get(&anon, "/faq/page.html").await;
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("OUTSIDE"));
}

async fn compressed_variants_are_the_file(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let anon = app.client();
    let page = format!("/{}", article_path(kb::PUBLIC_JA));
    let plain = app.get(&anon, &page).await.bytes().await.unwrap();
    assert!(plain.len() > 1000);
    for accept in ["gzip", "br", "gzip, deflate, br", "br;q=0, gzip"] {
        let r = anon
            .get(app.url(&page))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "vary"), "accept-encoding", "{accept}");
        let coding = header(&r, "content-encoding").to_string();
        let body = r.bytes().await.unwrap();
        let mut out = Vec::new();
        match coding.as_str() {
            "gzip" => {
                assert!(accept.contains("gzip") && !accept.starts_with("br,"));
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            "br" => {
                assert!(accept.contains("br") && !accept.contains("br;q=0"));
                brotli::Decompressor::new(&body[..], 4096)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            other => panic!("{accept}: coding {other:?}"),
        }
        assert_eq!(out, plain, "{accept}");
        assert!(
            body.len() < plain.len() / 2,
            "{accept}: {} bytes",
            body.len()
        );
    }
    // Conditional requests work on the cached file too.
    let r = app.get(&anon, &page).await;
    let etag = header(&r, "etag").to_string();
    let r = anon
        .get(app.url(&page))
        .header("if-none-match", &etag)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag"), etag);
    assert_eq!(header(&r, "vary"), "accept-encoding");
    // HEAD: the headers of GET, no body.
    let r = anon.head(app.url(&page)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length"), plain.len().to_string());
    assert!(r.bytes().await.unwrap().is_empty());
}

crate::both_backends!(
    fingerprinted_assets_are_immutable_and_pages_are_not,
    the_cache_follows_rebuilds_and_edits,
    symlinks_out_of_an_edition_stay_refused_when_cached,
    compressed_variants_are_the_file,
);
