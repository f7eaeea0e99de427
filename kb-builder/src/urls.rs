//! The URL plan: where every page, feed, attachment and search of an edition lives, for
//! each interface language, and where the ticket service serves an edition. Pages, feeds,
//! the sitemap, the index and the ticket service all ask here, so a path is spelt once.
//!
//! Inside an edition, paths are relative to a language root: Japanese at the edition's
//! root, English under `en/`.

use crate::content::Content;
use crate::editions::{Edition, EditionView};
use crate::lang::Language;

/// Where the ticket service serves an edition, relative to its base URL.
pub fn mount_path(edition: Edition) -> &'static str {
    match edition {
        Edition::Public => "",
        Edition::Customer => "kb/",
        Edition::Internal => "agent/kb/",
    }
}

/// The absolute URL where an edition is published, ending in `/`.
pub fn edition_url(content: &Content, edition: Edition) -> String {
    match edition {
        Edition::Public => content.site.base_url.clone(),
        _ => format!("{}{}", content.site.service_url, mount_path(edition)),
    }
}

/// Path of a language's tree inside an edition: Japanese at the root, English under `en/`.
pub fn lang_prefix(lang: Language) -> &'static str {
    match lang {
        Language::Ja => "",
        Language::En => "en/",
    }
}

/// `articles/<id>.html`, relative to a language root. A file rather than a folder with an
/// `index.html`: an edition has one page per article and language, and creating a folder
/// for each doubled the file-system work that dominates a large build.
pub fn article_path(id: u32) -> String {
    format!("{ARTICLES_DIR}/{id}.html")
}

/// The folder of the article pages, relative to a language root.
pub const ARTICLES_DIR: &str = "articles";

/// `category/<folders>/`, relative to a language root; empty for the root category.
pub fn category_path(content: &Content, c: usize) -> String {
    if c == 0 {
        String::new()
    } else {
        format!("category/{}/", content.categories[c].path)
    }
}

/// The search page, relative to a language root.
pub const SEARCH_PAGE: &str = "search/";

/// Where an attachment lives inside an edition (not per language): `files/<id>/<name>`,
/// percent-encoded.
pub fn attachment_path(id: u32, name: &str) -> String {
    format!("files/{id}/{}", encode_segment(name))
}

/// A feed's stem, the path below the language root without extension.
pub fn feed_stem(name: &str) -> String {
    format!("feeds/{name}")
}

/// The stem of a category's feed (`feeds/category/<folders>`).
pub fn category_feed_stem(content: &Content, c: usize) -> String {
    feed_stem(&format!("category/{}", content.categories[c].path))
}

/// The RSS file of a feed stem.
pub fn rss_path(stem: &str) -> String {
    format!("{stem}.rss")
}

/// The Atom file of a feed stem.
pub fn atom_path(stem: &str) -> String {
    format!("{stem}.atom")
}

/// The ticket service's search page for an edition, as an absolute URL.
pub fn service_search_url(content: &Content, edition: Edition) -> String {
    format!(
        "{}{}",
        content.site.service_url,
        service_search_path(edition).trim_start_matches('/')
    )
}

/// The ticket service's search API, as an absolute URL.
pub fn service_search_api_url(content: &Content) -> String {
    format!("{}api/search", content.site.service_url)
}

/// The path of an edition's search page as the service serves it: `/search`,
/// `/kb/search`, `/agent/kb/search`.
pub fn service_search_path(edition: Edition) -> String {
    format!("/{}search", mount_path(edition))
}

/// The path of an article in an edition as the service serves it, for an interface
/// language: `/articles/12.html`, `/en/articles/12.html`, `/kb/articles/12.html`,
/// `/agent/kb/en/…`.
pub fn service_article_path(edition: Edition, lang: Language, id: u32) -> String {
    format!(
        "/{}{}{}",
        mount_path(edition),
        lang_prefix(lang),
        article_path(id)
    )
}

/// The ticket service's view beacon on article `id`'s page, counting a view when the page
/// is shown. The service serves the customer and internal editions itself, so their pages
/// ask it by path; the public edition, published elsewhere, only when `_site.yaml` names
/// the service.
pub fn faq_view_beacon(content: &Content, edition: Edition, id: u32) -> Option<String> {
    match edition {
        Edition::Public if !content.site.service_given => None,
        Edition::Public => Some(format!("{}faq/{id}/view.gif", content.site.service_url)),
        Edition::Customer | Edition::Internal => Some(format!("/faq/{id}/view.gif")),
    }
}

/// The service's vote page for article `id`, which the customer edition's article pages
/// open with the chosen stars (`?stars=N`); customers alone vote.
pub fn faq_vote_action(edition: Edition, id: u32) -> Option<String> {
    (edition == Edition::Customer).then(|| format!("/faq/{id}/vote"))
}

/// Where `view`'s pages link to article `id`: below `lang_base` (a relative path or the
/// edition's absolute URL with its language prefix) when the edition holds the article,
/// else in the smallest edition that does, which asks for a login and shows nothing of it
/// here.
pub fn article_href(view: &EditionView, id: u32, lang: Language, lang_base: &str) -> String {
    let content = view.content;
    match content.articles.binary_search_by_key(&id, |a| a.id) {
        Ok(i) if view.holds(i) => format!("{lang_base}{}", article_path(id)),
        _ => {
            let edition = view.home_edition_of(id).unwrap_or(Edition::Internal);
            format!(
                "{}{}{}",
                edition_url(content, edition),
                lang_prefix(lang),
                article_path(id)
            )
        }
    }
}

/// Percent-encodes one URL path segment (keeps unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_urls_follow_the_edition_and_language() {
        let path = article_path(12);
        assert_eq!(
            service_article_path(Edition::Public, Language::Ja, 12),
            format!("/{path}")
        );
        assert_eq!(
            service_article_path(Edition::Public, Language::En, 12),
            format!("/en/{path}")
        );
        assert_eq!(
            service_article_path(Edition::Customer, Language::Ja, 12),
            format!("/kb/{path}")
        );
        assert_eq!(
            service_article_path(Edition::Internal, Language::En, 12),
            format!("/agent/kb/en/{path}")
        );
    }

    #[test]
    fn search_paths() {
        assert_eq!(service_search_path(Edition::Public), "/search");
        assert_eq!(service_search_path(Edition::Internal), "/agent/kb/search");
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("a b/手.pdf"), "a%20b%2F%E6%89%8B.pdf");
    }
}
