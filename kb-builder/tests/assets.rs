//! The theme's assets under fingerprinted names, and the opt-in precompressed copies.

mod common;
use common::*;
use kb_builder::site::{build, BuildOptions};
use std::fs;
use std::io::Read as _;
use std::path::Path;

/// Every `assets/…` link of every page of the site, resolved against the page.
fn asset_links(site: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut links = Vec::new();
    for page in files(site) {
        if page.extension().is_none_or(|x| x != "html") {
            continue;
        }
        // tera escapes `/` in attribute values.
        let html = read(&page).replace("&#x2F;", "/");
        for attr in ["href=\"", "src=\""] {
            for part in html.split(attr).skip(1) {
                let url = part.split('"').next().unwrap_or("");
                if url.contains("assets/") {
                    links.push((page.clone(), url.to_string()));
                }
            }
        }
    }
    links
}

#[test]
fn every_page_links_fingerprinted_assets_that_exist() {
    let (_dir, site, _) = build_site(&fixture("editions"), None);
    let links = asset_links(&site);
    assert!(links.len() > 50, "{} links", links.len());
    let theme_css = fs::read(theme().join("static/madoguchi.css")).unwrap();
    let mut seen_css = std::collections::BTreeSet::new();
    for (page, url) in &links {
        let name = url.rsplit('/').next().unwrap();
        assert!(
            kb_builder::theme::is_fingerprinted(name),
            "{}: {url}",
            page.display()
        );
        // 404 pages link absolutely (they are served at any depth).
        let file = if url.starts_with("https://") {
            let edition = page
                .strip_prefix(&site)
                .unwrap()
                .components()
                .next()
                .unwrap();
            site.join(edition).join("assets").join(name)
        } else {
            page.parent().unwrap().join(url)
        };
        assert!(file.is_file(), "{}: {url} is missing", page.display());
        if name.starts_with("madoguchi.") && name.ends_with(".css") {
            assert_eq!(
                fs::read(&file).unwrap(),
                theme_css,
                "the stylesheet's bytes"
            );
            seen_css.insert(name.to_string());
        }
    }
    assert_eq!(seen_css.len(), 1, "one name in all editions and languages");
    for edition in ["public", "customer", "internal"] {
        for lang in ["", "en/"] {
            let home = read(&site.join(edition).join(lang).join("index.html"));
            let css = seen_css.iter().next().unwrap();
            assert!(home.contains(css), "{edition} {lang}: {css}");
        }
    }
    let manifest = read(&site.join("public/assets/manifest.json"));
    assert!(
        manifest.contains(seen_css.iter().next().unwrap()),
        "{manifest}"
    );
}

#[test]
fn precompressed_copies_are_opt_in_and_decompress_to_the_original() {
    let (_dir, plain, report) = build_site(&fixture("editions"), None);
    assert!(
        !files(&plain)
            .iter()
            .any(|f| f.extension().is_some_and(|x| x == "gz" || x == "br")),
        "none without the flag"
    );
    assert!(report.editions.iter().all(|e| e.precompressed == 0));

    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let report = build(&BuildOptions {
        content: fixture("editions"),
        out: site.clone(),
        theme: theme(),
        stats: None,
        progress: false,
        base_url: None,
        precompress: true,
    })
    .unwrap();
    let mut checked = 0;
    for file in files(&site.join("public")) {
        let ext = file.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !["html", "css", "js", "xml", "rss", "atom"].contains(&ext) {
            continue;
        }
        let original = fs::read(&file).unwrap();
        if original.len() < 256 {
            continue;
        }
        let gz = fs::read(format!("{}.gz", file.display())).unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, original, "{}.gz", file.display());
        let br = fs::read(format!("{}.br", file.display())).unwrap();
        let mut unbrotli = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut unbrotli)
            .unwrap();
        assert_eq!(unbrotli, original, "{}.br", file.display());
        assert!(gz.len() < original.len() && br.len() < original.len());
        checked += 1;
    }
    assert!(checked > 10, "{checked} files checked");
    let written: usize = report.editions.iter().map(|e| e.precompressed).sum();
    assert!(written >= checked * 2, "{written} copies reported");
    // Attachments and the search indexes are left alone.
    assert!(!files(&site.join("search"))
        .iter()
        .any(|f| f.extension().is_some_and(|x| x == "gz")));
}
