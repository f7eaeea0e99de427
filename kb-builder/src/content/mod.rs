//! The content model: what a knowledge base is made of, as the rest of kb-builder sees it
//! after loading. [`tree::load`] walks `content/`, reads `_site.yaml`, `_category.yaml`
//! and every article's front matter ([`front_matter`]), resolves links and attachments
//! ([`links`]) and validates the whole tree. Every problem becomes a
//! [`Diagnostic`](crate::error::Diagnostic) with file and line; loading goes on after a
//! problem so that one run reports all of them.
//!
//! This module imports nothing else of the crate but [`crate::lang`]: editions, Markdown
//! rendering, pages and the index all build on it.

mod front_matter;
mod links;
pub mod synonyms;
pub mod tree;

use crate::lang::Language;
use chrono::{DateTime, FixedOffset};
use pulldown_cmark::Options;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

/// Who an article is written for, from its front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Customer,
    Internal,
}

impl Visibility {
    /// Parses the front-matter value. There is deliberately no default: a missing or
    /// misspelt visibility must fail the build rather than publish an article.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "customer" => Some(Visibility::Customer),
            "internal" => Some(Visibility::Internal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Customer => "customer",
            Visibility::Internal => "internal",
        }
    }
}

/// The Markdown extensions articles may use: links are found with them at load time and
/// bodies are rendered with them, so both see the same document.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
}

/// A text in both languages. English falls back to Japanese when an author left it out.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Localized {
    pub ja: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En if !self.en.is_empty() => &self.en,
            _ => &self.ja,
        }
    }
}

/// `_site.yaml`: what the whole knowledge base is called and where it lives.
#[derive(Debug, Clone, Default)]
pub struct SiteConfig {
    pub title: Localized,
    pub description: Localized,
    /// Where the public edition is published, ending in `/`; feeds and the sitemap need
    /// absolute URLs.
    pub base_url: String,
    /// The ticket service, ending in `/`: it serves the customer and internal editions and
    /// answers searches. `base_url` when `_site.yaml` names none.
    pub service_url: String,
    /// Whether `_site.yaml` names the ticket service (`service_url`). Only then do the
    /// public edition's article pages count their views with the service's beacon.
    pub service_given: bool,
    pub vendor: Localized,
    pub support_hours: Localized,
}

/// A category folder. Index 0 of [`Content::categories`] is the root (the content folder).
#[derive(Debug, Clone)]
pub struct Category {
    /// Slash-separated folder path below `content/` (`support-service/cloud`); empty for
    /// the root.
    pub path: String,
    pub name: Localized,
    pub comment: Localized,
    pub order: i64,
    pub parent: Option<usize>,
    /// Sub-categories, sorted by `order`, then folder name.
    pub children: Vec<usize>,
    /// Articles directly in this category, sorted by id.
    pub articles: Vec<usize>,
    pub source: PathBuf,
}

/// A file offered for download with an article.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
}

/// Where a link in an article's Markdown points, resolved at load time so that rendering
/// never meets a broken one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Another article, by FAQ number (`faq:123` or a relative path to its `.md`), with an
    /// optional `#fragment`.
    Article { id: u32, fragment: Option<String> },
    /// One of this article's attachments.
    Attachment(String),
    /// `http`, `https` or `mailto`, or a `#fragment` on the same page: used as written.
    External,
}

#[derive(Debug, Clone)]
pub struct Article {
    pub id: u32,
    pub title: String,
    pub visibility: Visibility,
    pub language: Language,
    pub keywords: Vec<String>,
    pub created: DateTime<FixedOffset>,
    pub updated: DateTime<FixedOffset>,
    pub attachments: Vec<Attachment>,
    /// Index into [`Content::categories`].
    pub category: usize,
    /// The Markdown body, without front matter.
    pub body: String,
    /// The file the article came from (`…/slug.md` or `…/slug/index.md`).
    pub source: PathBuf,
    /// The file line where the body starts, for pointing at problems in it.
    pub body_line: usize,
    /// Every link destination in the body, resolved.
    pub links: HashMap<String, LinkTarget>,
}

/// The whole validated content tree.
#[derive(Debug, Clone)]
pub struct Content {
    pub root: PathBuf,
    pub site: SiteConfig,
    pub categories: Vec<Category>,
    /// Sorted by id.
    pub articles: Vec<Article>,
    /// The vendor's synonym groups from `_synonyms.yaml` (folded), for search.
    pub synonyms: Vec<Vec<String>>,
}

impl Content {
    /// The article with FAQ number `id`.
    pub fn article(&self, id: u32) -> Option<&Article> {
        self.articles
            .binary_search_by_key(&id, |a| a.id)
            .ok()
            .map(|i| &self.articles[i])
    }

    /// The chain of categories from the root's first child down to `category`.
    pub fn category_trail(&self, category: usize) -> Vec<usize> {
        let mut trail = Vec::new();
        let mut at = Some(category);
        while let Some(c) = at {
            if c != 0 {
                trail.push(c);
            }
            at = self.categories[c].parent;
        }
        trail.reverse();
        trail
    }

    /// `category` and every category below it.
    pub fn descendants(&self, category: usize) -> Vec<usize> {
        let mut out = vec![category];
        let mut i = 0;
        while i < out.len() {
            out.extend(self.categories[out[i]].children.iter().copied());
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_falls_back_to_japanese() {
        let l = Localized {
            ja: "日本語".into(),
            en: String::new(),
        };
        assert_eq!(l.get(Language::En), "日本語");
    }

    #[test]
    fn visibility_has_no_default() {
        assert_eq!(Visibility::parse("Public"), None);
        assert_eq!(Visibility::parse(""), None);
        assert_eq!(Visibility::parse("customer"), Some(Visibility::Customer));
    }
}
