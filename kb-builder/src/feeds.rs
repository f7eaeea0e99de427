//! RSS 2.0 and Atom feeds of an edition: latest created, latest updated, top 10, and the
//! latest updated per category. Written with the `rss` and `atom_syndication` crates (the
//! two that `syndication` wraps; used directly because `syndication` itself is unmaintained
//! and only re-exports them), so the XML is well-formed by construction.

use crate::content::{Article, Content};
use crate::editions::{EditionView, LATEST, TOP};
use crate::error::Result;
use crate::lang::Language;
use crate::markdown::{self, Body};
use crate::output;
use crate::theme::Strings;
use crate::urls::{
    article_href, article_path, atom_path, category_feed_stem, edition_url, feed_stem, lang_prefix,
    rss_path,
};
use chrono::{DateTime, FixedOffset};
use std::path::Path;

/// Which date an entry is listed under, and so how it is identified: an updated-article
/// feed must present each update as a new item, or readers never show it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Created,
    Updated,
    Top,
}

struct FeedSpec {
    /// Path below the language root without extension (`feeds/latest-created`).
    stem: String,
    title: String,
    kind: Kind,
    entries: Vec<usize>,
}

/// Writes every feed of `view` in `lang` below `out` (the edition folder). Returns the
/// number of files written.
pub fn write_all(
    view: &EditionView,
    bodies: &[Body],
    lang: Language,
    t: &Strings,
    out: &Path,
) -> Result<usize> {
    let content = view.content;
    let site_title = content.site.title.get(lang);
    let mut specs = vec![
        FeedSpec {
            stem: feed_stem("latest-created"),
            title: format!("{site_title} — {}", t["feed_latest_created"]),
            kind: Kind::Created,
            entries: view.latest_created(&view.articles, LATEST),
        },
        FeedSpec {
            stem: feed_stem("latest-updated"),
            title: format!("{site_title} — {}", t["feed_latest_updated"]),
            kind: Kind::Updated,
            entries: view.latest_updated(&view.articles, LATEST),
        },
    ];
    if !view.stats.is_empty() {
        specs.push(FeedSpec {
            stem: feed_stem("top10"),
            title: format!("{site_title} — {}", t["feed_top10"]),
            kind: Kind::Top,
            entries: view.top_viewed(&view.articles, TOP),
        });
    }
    for c in 1..content.categories.len() {
        if view.shows_category(c) {
            specs.push(FeedSpec {
                stem: category_feed_stem(content, c),
                title: format!(
                    "{site_title} — {} — {}",
                    content.categories[c].name.get(lang),
                    t["feed_latest_updated"]
                ),
                kind: Kind::Updated,
                entries: view.latest_updated(&view.articles_below(c), LATEST),
            });
        }
    }
    let lang_url = format!(
        "{}{}",
        edition_url(content, view.edition),
        lang_prefix(lang)
    );
    let dir = out.join(lang_prefix(lang));
    for spec in &specs {
        let entries: Vec<Entry> = spec
            .entries
            .iter()
            .map(|&i| Entry::new(view, bodies, i, lang, &lang_url, spec.kind))
            .collect();
        let rss = rss_feed(content, spec, &entries, lang, &lang_url);
        let atom = atom_feed(content, spec, &entries, lang, &lang_url);
        output::write(&dir.join(rss_path(&spec.stem)), rss)?;
        output::write(&dir.join(atom_path(&spec.stem)), atom)?;
    }
    Ok(specs.len() * 2)
}

struct Entry<'a> {
    article: &'a Article,
    url: String,
    /// The identity of this entry: the article URL, plus the update time in updated feeds.
    guid: String,
    date: DateTime<FixedOffset>,
    summary: String,
    html: String,
    category: String,
}

impl<'a> Entry<'a> {
    fn new(
        view: &'a EditionView,
        bodies: &[Body],
        i: usize,
        lang: Language,
        lang_url: &str,
        kind: Kind,
    ) -> Self {
        let content = view.content;
        let a = &content.articles[i];
        let url = format!("{lang_url}{}", article_path(a.id));
        let root = edition_url(content, view.edition);
        let html = markdown::place(&bodies[i].html, &root, |id| {
            article_href(view, id, lang, lang_url)
        });
        let (guid, date) = match kind {
            Kind::Created => (url.clone(), a.created),
            Kind::Updated | Kind::Top => (
                format!("{url}#updated-{}", a.updated.timestamp()),
                a.updated,
            ),
        };
        Entry {
            article: a,
            guid,
            date,
            summary: summary(&bodies[i].text, 200),
            html,
            category: content.categories[a.category].name.get(lang).to_string(),
            url,
        }
    }
}

/// The first `chars` characters of the text, whitespace folded, cut at a character.
pub fn summary(text: &str, chars: usize) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= chars {
        folded
    } else {
        let mut s: String = folded.chars().take(chars).collect();
        s.push('…');
        s
    }
}

fn rss_feed(
    content: &Content,
    spec: &FeedSpec,
    entries: &[Entry],
    lang: Language,
    lang_url: &str,
) -> String {
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|e| {
            rss::ItemBuilder::default()
                .title(Some(e.article.title.clone()))
                .link(Some(e.url.clone()))
                .description(Some(e.summary.clone()))
                .guid(Some(rss::Guid {
                    value: e.guid.clone(),
                    permalink: e.guid == e.url,
                }))
                .pub_date(Some(e.date.to_rfc2822()))
                .categories(vec![rss::Category {
                    name: e.category.clone(),
                    domain: None,
                }])
                .build()
        })
        .collect();
    let last = entries.iter().map(|e| e.date).max();
    let channel = rss::ChannelBuilder::default()
        .title(spec.title.clone())
        .link(lang_url.to_string())
        .description(non_empty(content.site.description.get(lang), &spec.title))
        .language(Some(lang.code().to_string()))
        .generator(Some("Madoguchi kb-builder".to_string()))
        .last_build_date(last.map(|d| d.to_rfc2822()))
        .items(items)
        .build();
    // `Channel::to_string` writes the XML declaration itself.
    format!("{channel}\n")
}

fn atom_feed(
    content: &Content,
    spec: &FeedSpec,
    entries: &[Entry],
    lang: Language,
    lang_url: &str,
) -> String {
    use atom_syndication::{
        Category, Content as AtomContent, Entry as AtomEntry, Feed, Link, Person, Text,
    };
    let self_url = format!("{lang_url}{}", atom_path(&spec.stem));
    let author = Person {
        name: non_empty(content.site.vendor.get(lang), content.site.title.get(lang)),
        email: None,
        uri: Some(content.site.base_url.clone()),
        extensions: Default::default(),
    };
    let link = |href: &str, rel: &str| Link {
        href: href.to_string(),
        rel: rel.to_string(),
        ..Default::default()
    };
    let atom_entries: Vec<AtomEntry> = entries
        .iter()
        .map(|e| AtomEntry {
            id: e.guid.clone(),
            title: Text::plain(e.article.title.clone()),
            updated: e.date,
            published: Some(e.article.created),
            links: vec![link(&e.url, "alternate")],
            summary: Some(Text::plain(e.summary.clone())),
            content: Some(AtomContent {
                value: Some(e.html.clone()),
                content_type: Some("html".to_string()),
                lang: Some(e.article.language.code().to_string()),
                ..Default::default()
            }),
            categories: vec![Category {
                term: e.category.clone(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    let updated = entries
        .iter()
        .map(|e| e.date)
        .max()
        .or_else(|| content.articles.iter().map(|a| a.updated).max())
        .unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset());
    let feed = Feed {
        id: self_url.clone(),
        title: Text::plain(spec.title.clone()),
        updated,
        authors: vec![author],
        links: vec![link(&self_url, "self"), link(lang_url, "alternate")],
        lang: Some(lang.code().to_string()),
        entries: atom_entries,
        ..Default::default()
    };
    let xml = feed.to_string();
    if xml.starts_with("<?xml") {
        xml
    } else {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}\n")
    }
}

fn non_empty(s: &str, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_fold_and_cut() {
        assert_eq!(summary("a\n\n b   c", 10), "a b c");
        assert_eq!(summary("あいうえおかきくけこ", 5), "あいうえお…");
    }
}
