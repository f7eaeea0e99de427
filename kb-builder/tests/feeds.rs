//! Feeds are read back by a real feed parser (feed-rs), and hold only their edition's
//! articles.

mod common;
use common::*;

fn parse(path: &std::path::Path) -> feed_rs::model::Feed {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    feed_rs::parser::parse(&bytes[..])
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

fn ids(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .filter_map(|e| e.links.first().map(|l| l.href.clone()))
        .collect()
}

#[test]
fn every_feed_parses() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let feeds: Vec<_> = files(&site)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "rss" || x == "atom"))
        .collect();
    assert!(feeds.len() >= 48, "only {} feeds", feeds.len());
    for path in feeds {
        let feed = parse(&path);
        assert!(
            feed.title.is_some_and(|t| !t.content.is_empty()),
            "{} has no title",
            path.display()
        );
    }
}

#[test]
fn latest_feeds_carry_the_edition_s_articles_newest_first() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let public = parse(&site.join("public/feeds/latest-created.rss"));
    assert_eq!(public.feed_type, feed_rs::model::FeedType::RSS2);
    assert_eq!(
        ids(&public),
        vec![
            "https://kb.example.test/articles/104.html",
            "https://kb.example.test/articles/101.html"
        ]
    );
    let customer = parse(&site.join("customer/feeds/latest-created.atom"));
    assert_eq!(customer.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(
        ids(&customer),
        vec![
            "https://service.example.test/kb/articles/104.html",
            "https://service.example.test/kb/articles/102.html",
            "https://service.example.test/kb/articles/101.html"
        ]
    );
    let entry = &customer.entries[1];
    assert_eq!(
        entry.title.as_ref().unwrap().content,
        "CANARYCUSTOMERTITLE お客様向け管理マニュアル"
    );
    assert!(entry.published.is_some() && entry.summary.is_some());
    let body = entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap_or_default();
    assert!(
        body.contains("https://service.example.test/kb/files/102/canary-customer-attachment.txt"),
        "{body}"
    );
}

#[test]
fn updated_feeds_present_each_update_as_a_new_item() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let feed = parse(&site.join("public/feeds/latest-updated.atom"));
    let first = &feed.entries[0];
    assert!(
        first
            .id
            .starts_with("https://kb.example.test/articles/104.html#updated-"),
        "{}",
        first.id
    );
    assert_eq!(
        first.updated.unwrap().to_rfc3339(),
        "2024-08-02T00:00:00+00:00"
    );
}

#[test]
fn category_feeds_cover_subcategories_and_english_feeds_speak_english() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let guide = parse(&site.join("public/en/feeds/category/guide.rss"));
    assert_eq!(guide.entries.len(), 2);
    assert!(guide.title.unwrap().content.contains("Guides"));
    assert_eq!(guide.language.as_deref(), Some("en"));
}
