//! The content model: walks `content/`, parses `_site.yaml`, `_category.yaml` and every
//! article's front matter, and validates the whole tree. Every problem becomes a
//! [`Diagnostic`] with file and line; loading goes on after a problem so that one run
//! reports all of them.

use crate::editions::Visibility;
use crate::error::{Diagnostic, Error, Result};
use crate::lang::Language;
use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use serde::Serialize;
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};

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
    /// answers searches.
    pub service_url: String,
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

/// Loads and validates `root`. On any problem returns [`Error::Content`] with all of them.
pub fn load(root: &Path) -> Result<Content> {
    if !root.is_dir() {
        return Err(Error::Content(vec![Diagnostic::new(
            root,
            None,
            "content folder not found",
        )]));
    }
    let mut diags = Vec::new();
    let site = load_site(root, &mut diags);

    let mut categories = vec![Category {
        path: String::new(),
        name: site.title.clone(),
        comment: site.description.clone(),
        order: 0,
        parent: None,
        children: Vec::new(),
        articles: Vec::new(),
        source: root.join("_site.yaml"),
    }];
    let mut files = Vec::new();
    walk_category(root, root, 0, &mut categories, &mut files, &mut diags);

    let parsed: Vec<std::result::Result<Article, Vec<Diagnostic>>> = files
        .par_iter()
        .map(|f| parse_article(&f.path, f.category, f.folder))
        .collect();
    let mut articles = Vec::with_capacity(parsed.len());
    for p in parsed {
        match p {
            Ok(a) => articles.push(a),
            Err(d) => diags.extend(d),
        }
    }
    articles.sort_by_key(|a| a.id);
    check_duplicate_ids(&articles, &mut diags);

    // Links can only be resolved once every article's id is known.
    let by_path: HashMap<PathBuf, u32> = articles
        .iter()
        .map(|a| (normalize(&a.source), a.id))
        .collect();
    let ids: HashMap<u32, ()> = articles.iter().map(|a| (a.id, ())).collect();
    let link_diags: Vec<Vec<Diagnostic>> = articles
        .par_iter_mut()
        .map(|a| resolve_links(a, &by_path, &ids))
        .collect();
    diags.extend(link_diags.into_iter().flatten());

    if !diags.is_empty() {
        diags.sort();
        diags.dedup();
        return Err(Error::Content(diags));
    }
    for (i, a) in articles.iter().enumerate() {
        categories[a.category].articles.push(i);
    }
    Ok(Content {
        root: root.to_path_buf(),
        site,
        categories,
        articles,
    })
}

struct ArticleFile {
    path: PathBuf,
    category: usize,
    /// `slug/index.md`: the folder may hold attachments.
    folder: bool,
}

fn walk_category(
    root: &Path,
    dir: &Path,
    index: usize,
    categories: &mut Vec<Category>,
    files: &mut Vec<ArticleFile>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut entries = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect::<Vec<_>>(),
        Err(e) => {
            diags.push(Diagnostic::new(
                dir,
                None,
                format!("cannot read folder: {e}"),
            ));
            return;
        }
    };
    entries.sort();
    let mut children = Vec::new();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if path.join("index.md").is_file() {
                files.push(ArticleFile {
                    path: path.join("index.md"),
                    category: index,
                    folder: true,
                });
            } else if path.join("_category.yaml").is_file() {
                if !is_slug(&name) {
                    diags.push(Diagnostic::new(&path, None, "category folder names must be lowercase ASCII letters, digits and hyphens (they become URLs)"));
                    continue;
                }
                let rel = path.strip_prefix(root).expect("walk stays below root");
                let cat_path = rel.to_string_lossy().replace('\\', "/");
                let child = load_category(&path.join("_category.yaml"), cat_path, index, diags);
                categories.push(child);
                let child_index = categories.len() - 1;
                children.push(child_index);
                walk_category(root, &path, child_index, categories, files, diags);
            } else {
                diags.push(Diagnostic::new(
                    &path,
                    None,
                    "folder is neither a category (no _category.yaml) nor an article (no index.md)",
                ));
            }
        } else if name.ends_with(".md") {
            files.push(ArticleFile {
                path,
                category: index,
                folder: false,
            });
        } else if !(name == "_category.yaml" || (index == 0 && name == "_site.yaml")) {
            diags.push(Diagnostic::new(&path, None, "file belongs to no article (attachments go in an article folder next to its index.md)"));
        }
    }
    children.sort_by(|a, b| {
        let (ca, cb) = (&categories[*a], &categories[*b]);
        ca.order.cmp(&cb.order).then_with(|| ca.path.cmp(&cb.path))
    });
    categories[index].children = children;
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Parses a whole YAML file (`_site.yaml`, `_category.yaml`) into a mapping.
fn load_yaml_mapping(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<(String, Mapping)> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::new(path, None, format!("cannot read: {e}")));
            return None;
        }
    };
    match parse_mapping(&text, 1) {
        Ok(map) => Some((text, map)),
        Err((line, msg)) => {
            diags.push(Diagnostic::new(path, line, msg));
            None
        }
    }
}

/// Parses YAML text that must be a mapping; `first_line` is the file line of its first line.
/// serde_yaml refuses alias bombs ("repetition limit exceeded"), so a hostile file fails
/// quickly instead of exhausting memory.
fn parse_mapping(
    text: &str,
    first_line: usize,
) -> std::result::Result<Mapping, (Option<usize>, String)> {
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Mapping(m)) => Ok(m),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err((
            Some(first_line),
            "expected a mapping of `key: value` lines".into(),
        )),
        Err(e) => {
            // The parser notices an unclosed bracket at the end of the text; point at the
            // last line of the text rather than past it.
            let last_line = first_line + text.lines().count().max(1) - 1;
            let line = e
                .location()
                .map(|l| (l.line() + first_line - 1).min(last_line));
            Err((
                line.or(Some(first_line)),
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            ))
        }
    }
}

/// serde_yaml appends " at line X column Y"; we print our own file-relative line instead.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The line of a top-level `key:` in YAML text, for pointing at a bad value.
fn key_line(text: &str, key: &str, first_line: usize) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + first_line)
        .unwrap_or(first_line)
}

/// Reads fields out of a YAML mapping, reporting each problem at its key's line.
struct Fields<'a> {
    path: &'a Path,
    text: &'a str,
    first_line: usize,
    map: Mapping,
    diags: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    fn new(path: &'a Path, text: &'a str, first_line: usize, map: Mapping) -> Self {
        Fields {
            path,
            text,
            first_line,
            map,
            diags: Vec::new(),
        }
    }

    fn line(&self, key: &str) -> usize {
        key_line(self.text, key, self.first_line)
    }

    fn error(&mut self, key: &str, msg: impl Into<String>) {
        let line = self.line(key);
        self.diags.push(Diagnostic::new(self.path, Some(line), msg));
    }

    fn take(&mut self, key: &str, required: bool) -> Option<Value> {
        match self.map.remove(key) {
            Some(Value::Null) | None if required => {
                let line = if self.map.contains_key(key) || self.text.contains(&format!("{key}:")) {
                    self.line(key)
                } else {
                    self.first_line
                };
                self.diags.push(Diagnostic::new(
                    self.path,
                    Some(line),
                    format!("missing field `{key}`"),
                ));
                None
            }
            Some(Value::Null) | None => None,
            v => v,
        }
    }

    fn string(&mut self, key: &str, required: bool) -> Option<String> {
        let v = self.take(key, required)?;
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::String(_) if required => {
                self.error(key, format!("`{key}` must not be empty"));
                None
            }
            Value::String(_) => None,
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.error(key, format!("`{key}` must be a text"));
                None
            }
        }
    }

    fn localized(&mut self, key: &str, required: bool) -> Localized {
        let Some(v) = self.take(key, required) else {
            return Localized::default();
        };
        match v {
            Value::String(s) => Localized {
                ja: s.clone(),
                en: String::new(),
            },
            Value::Mapping(m) => {
                let mut out = Localized::default();
                for (k, v) in m {
                    match (k.as_str(), v) {
                        (Some("ja"), Value::String(s)) => out.ja = s,
                        (Some("en"), Value::String(s)) => out.en = s,
                        (Some(lang), _) if lang == "ja" || lang == "en" => {
                            self.error(key, format!("`{key}.{lang}` must be a text"))
                        }
                        (other, _) => self.error(
                            key,
                            format!(
                                "`{key}` has unknown language {:?} (expected ja, en)",
                                other.unwrap_or("?")
                            ),
                        ),
                    }
                }
                if out.ja.trim().is_empty() && required {
                    self.error(
                        key,
                        format!("`{key}.ja` is missing (Japanese is the default language)"),
                    );
                }
                out
            }
            _ => {
                self.error(
                    key,
                    format!("`{key}` must be a text or a mapping with `ja` and `en`"),
                );
                Localized::default()
            }
        }
    }

    /// Every key not taken yet is unknown: most likely a typo of a real one.
    fn finish(mut self, known: &[&str]) -> Vec<Diagnostic> {
        let rest: Vec<String> = self
            .map
            .keys()
            .map(|k| {
                k.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{k:?}"))
            })
            .collect();
        for key in rest {
            self.error(
                &key,
                format!(
                    "unknown field `{key}` (expected one of: {})",
                    known.join(", ")
                ),
            );
        }
        self.diags
    }
}

fn load_site(root: &Path, diags: &mut Vec<Diagnostic>) -> SiteConfig {
    let path = root.join("_site.yaml");
    if !path.is_file() {
        diags.push(Diagnostic::new(
            &path,
            None,
            "missing: the content folder needs a _site.yaml (title, base_url)",
        ));
        return SiteConfig::default();
    }
    let Some((text, map)) = load_yaml_mapping(&path, diags) else {
        return SiteConfig::default();
    };
    let mut f = Fields::new(&path, &text, 1, map);
    let title = f.localized("title", true);
    let description = f.localized("description", false);
    let base_url = f
        .string("base_url", true)
        .map(|u| check_url(&mut f, "base_url", u))
        .unwrap_or_default();
    let service_url = f
        .string("service_url", false)
        .map(|u| check_url(&mut f, "service_url", u))
        .unwrap_or_else(|| base_url.clone());
    let vendor = f.localized("vendor", false);
    let support_hours = f.localized("support_hours", false);
    diags.extend(f.finish(&[
        "title",
        "description",
        "base_url",
        "service_url",
        "vendor",
        "support_hours",
    ]));
    SiteConfig {
        title,
        description,
        base_url,
        service_url,
        vendor,
        support_hours,
    }
}

fn check_url(f: &mut Fields, key: &str, mut url: String) -> String {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        f.error(key, format!("`{key}` must be an absolute http(s) URL"));
    }
    if !url.ends_with('/') {
        url.push('/');
    }
    url
}

fn load_category(
    path: &Path,
    cat_path: String,
    parent: usize,
    diags: &mut Vec<Diagnostic>,
) -> Category {
    let mut category = Category {
        name: Localized {
            ja: cat_path.clone(),
            en: cat_path.clone(),
        },
        path: cat_path,
        comment: Localized::default(),
        order: 0,
        parent: Some(parent),
        children: Vec::new(),
        articles: Vec::new(),
        source: path.to_path_buf(),
    };
    let Some((text, map)) = load_yaml_mapping(path, diags) else {
        return category;
    };
    let mut f = Fields::new(path, &text, 1, map);
    let name = f.localized("name", true);
    if !name.ja.is_empty() {
        category.name = name;
    }
    category.comment = f.localized("comment", false);
    if let Some(v) = f.take("order", false) {
        match v.as_i64() {
            Some(n) => category.order = n,
            None => f.error("order", "`order` must be a whole number"),
        }
    }
    diags.extend(f.finish(&["name", "comment", "order"]));
    category
}

const ARTICLE_FIELDS: &[&str] = &[
    "id",
    "title",
    "visibility",
    "language",
    "keywords",
    "created",
    "updated",
    "attachments",
];

/// Splits `---` front matter from the body. Returns (front matter, its first line, body,
/// the body's first line).
fn split_front_matter(
    text: &str,
) -> std::result::Result<(&str, usize, &str, usize), (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err((
            1,
            "an article must start with `---` and YAML front matter".into(),
        ));
    }
    let fm_start = first.len();
    let mut offset = fm_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let fm = &text[fm_start..offset];
            let body_start = offset + line.len();
            return Ok((fm, 2, &text[body_start..], line_no + 1));
        }
        offset += line.len();
    }
    Err((
        1,
        "front matter is not closed: add a `---` line after it".into(),
    ))
}

fn parse_article(
    path: &Path,
    category: usize,
    folder: bool,
) -> std::result::Result<Article, Vec<Diagnostic>> {
    let bytes = fs::read(path)
        .map_err(|e| vec![Diagnostic::new(path, None, format!("cannot read: {e}"))])?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        vec![Diagnostic::new(path, Some(line), "not valid UTF-8")]
    })?;
    let (fm, fm_line, body, body_line) = split_front_matter(&text)
        .map_err(|(line, msg)| vec![Diagnostic::new(path, Some(line), msg)])?;
    let map =
        parse_mapping(fm, fm_line).map_err(|(line, msg)| vec![Diagnostic::new(path, line, msg)])?;
    let mut f = Fields::new(path, fm, fm_line, map);

    let id = match f.take("id", true) {
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 && n <= u32::MAX as u64 => Some(n as u32),
            _ => {
                f.error(
                    "id",
                    "`id` must be a positive whole number (the FAQ number)",
                );
                None
            }
        },
        None => None,
    };
    let title = f.string("title", true);
    let visibility = match f.take("visibility", true) {
        Some(Value::String(s)) => match Visibility::parse(s.trim()) {
            Some(v) => Some(v),
            None => {
                f.error(
                    "visibility",
                    format!("unknown visibility `{s}` (expected public, customer or internal)"),
                );
                None
            }
        },
        Some(_) => {
            f.error(
                "visibility",
                "`visibility` must be public, customer or internal",
            );
            None
        }
        None => None,
    };
    let language = match f.string("language", true) {
        Some(s) => match s.as_str() {
            "ja" => Some(Language::Ja),
            "en" => Some(Language::En),
            _ => {
                f.error(
                    "language",
                    format!("unknown language `{s}` (expected ja or en)"),
                );
                None
            }
        },
        None => None,
    };
    let keywords = match f.take("keywords", true) {
        Some(Value::Sequence(seq)) => {
            let mut out = Vec::new();
            for v in seq {
                match v {
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                    Value::Number(n) => out.push(n.to_string()),
                    _ => f.error("keywords", "every keyword must be a non-empty text"),
                }
            }
            Some(out)
        }
        Some(Value::String(s)) => Some(
            s.split([',', '、'])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
        ),
        Some(_) => {
            f.error("keywords", "`keywords` must be a list, e.g. [mail, SMTP]");
            None
        }
        None => None,
    };
    let mut date = |key: &str| -> Option<DateTime<FixedOffset>> {
        let s = f.string(key, true)?;
        match DateTime::parse_from_rfc3339(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                f.error(key, format!("bad date `{s}` in `{key}`: {e} (expected RFC 3339 with offset, e.g. 2024-04-01T10:00:00+09:00)"));
                None
            }
        }
    };
    let created = date("created");
    let updated = date("updated");
    if let (Some(c), Some(u)) = (created, updated) {
        if u < c {
            f.error("updated", "`updated` is earlier than `created`");
        }
    }
    let attachments = match f.take("attachments", false) {
        None => Vec::new(),
        Some(Value::Sequence(seq)) => {
            let names: Vec<Option<String>> = seq
                .into_iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect();
            let mut out = Vec::new();
            for name in names {
                match name {
                    Some(n) => match attachment(path, folder, &n) {
                        Ok(a) => out.push(a),
                        Err(msg) => f.error("attachments", msg),
                    },
                    None => f.error("attachments", "every attachment must be a file name"),
                }
            }
            out
        }
        Some(_) => {
            f.error("attachments", "`attachments` must be a list of file names");
            Vec::new()
        }
    };
    let mut diags = f.finish(ARTICLE_FIELDS);
    if folder {
        check_unlisted_files(path, &attachments, &mut diags);
    }
    match (id, title, visibility, language, keywords, created, updated) {
        (
            Some(id),
            Some(title),
            Some(visibility),
            Some(language),
            Some(keywords),
            Some(created),
            Some(updated),
        ) if diags.is_empty() => Ok(Article {
            id,
            title,
            visibility,
            language,
            keywords,
            created,
            updated,
            attachments,
            category,
            body: body.to_string(),
            source: path.to_path_buf(),
            body_line,
            links: HashMap::new(),
        }),
        _ => Err(diags),
    }
}

fn attachment(article: &Path, folder: bool, name: &str) -> std::result::Result<Attachment, String> {
    if !folder {
        return Err(format!("attachment `{name}`: an article with attachments must be a folder (slug/index.md) that holds them"));
    }
    let plain = Path::new(name).components().count() == 1
        && matches!(
            Path::new(name).components().next(),
            Some(Component::Normal(_))
        )
        && !name.starts_with('.')
        && name != "index.md";
    if !plain {
        return Err(format!(
            "attachment `{name}` must be a plain file name in the article's folder"
        ));
    }
    let path = article.parent().expect("index.md has a folder").join(name);
    match fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Attachment {
            name: name.to_string(),
            path,
            size: m.len(),
        }),
        _ => Err(format!("attachment not found: {name}")),
    }
}

/// A file in an article folder that the front matter does not list would silently not be
/// published; say so instead.
fn check_unlisted_files(index: &Path, attachments: &[Attachment], diags: &mut Vec<Diagnostic>) {
    let dir = index.parent().expect("index.md has a folder");
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        if name == "index.md" || name.starts_with('.') || attachments.iter().any(|a| a.name == name)
        {
            continue;
        }
        diags.push(Diagnostic::new(
            &dir.join(&name),
            None,
            "file is not listed in the article's `attachments`",
        ));
    }
}

fn check_duplicate_ids(articles: &[Article], diags: &mut Vec<Diagnostic>) {
    let mut first: BTreeMap<u32, &Path> = BTreeMap::new();
    for a in articles {
        if let Some(prev) = first.get(&a.id) {
            let line = fs::read_to_string(&a.source)
                .map(|t| key_line(&t, "id", 1))
                .unwrap_or(1);
            diags.push(Diagnostic::new(
                &a.source,
                Some(line),
                format!("duplicate id {}: also used by {}", a.id, prev.display()),
            ));
        } else {
            first.insert(a.id, &a.source);
        }
    }
}

/// Lexically normalises a path (no file-system access), so `a/b/../c.md` and `a/c.md` match.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Finds every link and image in the body and decides where it points; a link that points
/// nowhere is a content error with its line.
fn resolve_links(
    article: &mut Article,
    by_path: &HashMap<PathBuf, u32>,
    ids: &HashMap<u32, ()>,
) -> Vec<Diagnostic> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut diags = Vec::new();
    let body_line = article.body_line;
    let dir = article
        .source
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let mut links = HashMap::new();
    for (event, range) in
        Parser::new_ext(&article.body, crate::markdown::options()).into_offset_iter()
    {
        let dest = match &event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => dest_url.to_string(),
            _ => continue,
        };
        if links.contains_key(&dest) {
            continue;
        }
        let line = body_line + article.body[..range.start].matches('\n').count();
        match resolve_link(&dest, article, &dir, by_path, ids) {
            Ok(target) => {
                links.insert(dest, target);
            }
            Err(msg) => diags.push(Diagnostic::new(&article.source, Some(line), msg)),
        }
    }
    article.links = links;
    diags
}

fn resolve_link(
    dest: &str,
    article: &Article,
    dir: &Path,
    by_path: &HashMap<PathBuf, u32>,
    ids: &HashMap<u32, ()>,
) -> std::result::Result<LinkTarget, String> {
    if dest.is_empty() || dest.starts_with('#') {
        return Ok(LinkTarget::External);
    }
    let (without_fragment, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (dest, None),
    };
    if let Some(num) = without_fragment.strip_prefix("faq:") {
        return match num.trim().parse::<u32>() {
            Ok(id) if ids.contains_key(&id) => Ok(LinkTarget::Article { id, fragment }),
            Ok(id) => Err(format!("broken link `{dest}`: no article has id {id}")),
            Err(_) => Err(format!(
                "broken link `{dest}`: `faq:` needs an article number"
            )),
        };
    }
    if let Some((scheme, _)) = dest.split_once(':') {
        if scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            let scheme = scheme.to_ascii_lowercase();
            return if ["http", "https", "mailto"].contains(&scheme.as_str()) {
                Ok(LinkTarget::External)
            } else {
                Err(format!("link `{dest}`: scheme `{scheme}` is not allowed (use http, https, mailto, faq: or a relative path)"))
            };
        }
    }
    if dest.starts_with('/') || dest.starts_with('\\') {
        return Err(format!("link `{dest}`: site-absolute paths break when an edition is served under /kb/; use faq:ID or a relative path"));
    }
    let decoded = percent_decode(without_fragment);
    if decoded.ends_with(".md") {
        let target = normalize(&dir.join(&decoded));
        return match by_path.get(&target) {
            Some(id) => Ok(LinkTarget::Article { id: *id, fragment }),
            None => Err(format!(
                "broken link `{dest}`: no article at {}",
                target.display()
            )),
        };
    }
    if let Some(a) = article.attachments.iter().find(|a| a.name == decoded) {
        return Ok(LinkTarget::Attachment(a.name.clone()));
    }
    let target = normalize(&dir.join(&decoded));
    if target.is_dir() {
        if let Some(id) = by_path.get(&target.join("index.md")) {
            return Ok(LinkTarget::Article { id: *id, fragment });
        }
    }
    Err(format!("broken link `{dest}`: not an article (faq:ID or a path to its .md) nor one of this article's attachments"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_split_reports_lines() {
        let (fm, fm_line, body, body_line) =
            split_front_matter("---\nid: 1\n---\nhello\n").unwrap();
        assert_eq!((fm, fm_line, body, body_line), ("id: 1\n", 2, "hello\n", 4));
        assert_eq!(split_front_matter("id: 1\n").unwrap_err().0, 1);
        assert!(split_front_matter("---\nid: 1\n")
            .unwrap_err()
            .1
            .contains("not closed"));
    }

    #[test]
    fn key_line_finds_top_level_keys() {
        let text = "id: 1\ntitle: x\nvisibility: secret\n";
        assert_eq!(key_line(text, "visibility", 2), 4);
        assert_eq!(key_line(text, "missing", 2), 2);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b.pdf"), "a b.pdf");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%E6%89%8B.md"), "手.md");
    }

    #[test]
    fn localized_falls_back_to_japanese() {
        let l = Localized {
            ja: "日本語".into(),
            en: String::new(),
        };
        assert_eq!(l.get(Language::En), "日本語");
    }
}
