//! Loading the tree: the walk over `content/` that finds categories and articles,
//! `_site.yaml`, each `_category.yaml`, and every article's front matter read field by
//! field. Problems are collected, not returned at the first one.

use super::front_matter::{key_line, load_yaml_mapping, parse_mapping, split_front_matter, Fields};
use super::{
    links, synonyms, Article, Attachment, Category, Content, Localized, SiteConfig, Visibility,
};
use crate::error::{Diagnostic, Error, Result};
use crate::lang::Language;
use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use serde_yaml::Value;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

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
    let synonyms = load_synonyms(root, &mut diags);

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
    diags.extend(links::resolve_all(&mut articles));

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
        synonyms,
    })
}

/// `_synonyms.yaml`, the vendor's own synonym groups; optional.
fn load_synonyms(root: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Vec<String>> {
    let path = root.join(synonyms::FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            diags.push(Diagnostic::new(&path, None, format!("cannot read: {e}")));
            return Vec::new();
        }
    };
    match synonyms::parse(&text, &path) {
        Ok(groups) => groups,
        Err(Error::Content(found)) => {
            diags.extend(found);
            Vec::new()
        }
        Err(e) => {
            diags.push(Diagnostic::new(&path, None, e.to_string()));
            Vec::new()
        }
    }
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
        } else if !(name == "_category.yaml"
            || (index == 0 && (name == "_site.yaml" || name == synonyms::FILE)))
        {
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
        .map(|u| check_url(&mut f, "service_url", u));
    let service_given = service_url.is_some();
    let service_url = service_url.unwrap_or_else(|| base_url.clone());
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
        service_given,
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

/// Reads, parses and validates one article file. `folder` is true for `slug/index.md`,
/// whose folder may hold attachments.
fn parse_article(
    path: &Path,
    category: usize,
    folder: bool,
) -> std::result::Result<Article, Vec<Diagnostic>> {
    let one = |line: Option<usize>, msg: String| vec![Diagnostic::new(path, line, msg)];
    let text = read_utf8(path)?;
    let (fm, fm_line, body, body_line) =
        split_front_matter(&text).map_err(|(line, msg)| one(Some(line), msg))?;
    let map = parse_mapping(fm, fm_line).map_err(|(line, msg)| one(line, msg))?;
    let mut f = Fields::new(path, fm, fm_line, map);

    let id = read_id(&mut f);
    let title = f.string("title", true);
    let visibility = read_visibility(&mut f);
    let language = read_language(&mut f);
    let keywords = read_keywords(&mut f);
    let (created, updated) = read_dates(&mut f);
    let attachments = read_attachments(&mut f, path, folder);
    let mut diags = f.finish(ARTICLE_FIELDS);
    if folder {
        links::check_unlisted_files(path, &attachments, &mut diags);
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

/// The file as text; invalid UTF-8 is reported at the line where it starts.
fn read_utf8(path: &Path) -> std::result::Result<String, Vec<Diagnostic>> {
    let bytes = fs::read(path)
        .map_err(|e| vec![Diagnostic::new(path, None, format!("cannot read: {e}"))])?;
    String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        vec![Diagnostic::new(path, Some(line), "not valid UTF-8")]
    })
}

fn read_id(f: &mut Fields) -> Option<u32> {
    let v = f.take("id", true)?;
    match v.as_u64() {
        Some(n) if n > 0 && n <= u32::MAX as u64 => Some(n as u32),
        _ => {
            f.error(
                "id",
                "`id` must be a positive whole number (the FAQ number)",
            );
            None
        }
    }
}

fn read_visibility(f: &mut Fields) -> Option<Visibility> {
    match f.take("visibility", true)? {
        Value::String(s) => {
            let v = Visibility::parse(s.trim());
            if v.is_none() {
                f.error(
                    "visibility",
                    format!("unknown visibility `{s}` (expected public, customer or internal)"),
                );
            }
            v
        }
        _ => {
            f.error(
                "visibility",
                "`visibility` must be public, customer or internal",
            );
            None
        }
    }
}

fn read_language(f: &mut Fields) -> Option<Language> {
    let s = f.string("language", true)?;
    match s.as_str() {
        "ja" => Some(Language::Ja),
        "en" => Some(Language::En),
        _ => {
            f.error(
                "language",
                format!("unknown language `{s}` (expected ja or en)"),
            );
            None
        }
    }
}

/// A YAML list, or one text separated by `,` or `、`.
fn read_keywords(f: &mut Fields) -> Option<Vec<String>> {
    match f.take("keywords", true)? {
        Value::Sequence(seq) => {
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
        Value::String(s) => Some(
            s.split([',', '、'])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
        ),
        _ => {
            f.error("keywords", "`keywords` must be a list, e.g. [mail, SMTP]");
            None
        }
    }
}

type Date = DateTime<FixedOffset>;

/// `created` and `updated`; an update before the creation is an error at `updated`.
fn read_dates(f: &mut Fields) -> (Option<Date>, Option<Date>) {
    let created = read_date(f, "created");
    let updated = read_date(f, "updated");
    if let (Some(c), Some(u)) = (created, updated) {
        if u < c {
            f.error("updated", "`updated` is earlier than `created`");
        }
    }
    (created, updated)
}

fn read_date(f: &mut Fields, key: &str) -> Option<Date> {
    let s = f.string(key, true)?;
    match DateTime::parse_from_rfc3339(&s) {
        Ok(d) => Some(d),
        Err(e) => {
            f.error(key, format!("bad date `{s}` in `{key}`: {e} (expected RFC 3339 with offset, e.g. 2024-04-01T10:00:00+09:00)"));
            None
        }
    }
}

fn read_attachments(f: &mut Fields, path: &Path, folder: bool) -> Vec<Attachment> {
    let seq = match f.take("attachments", false) {
        None => return Vec::new(),
        Some(Value::Sequence(seq)) => seq,
        Some(_) => {
            f.error("attachments", "`attachments` must be a list of file names");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for v in seq {
        match v.as_str() {
            Some(name) => match links::attachment(path, folder, name) {
                Ok(a) => out.push(a),
                Err(msg) => f.error("attachments", msg),
            },
            None => f.error("attachments", "every attachment must be a file name"),
        }
    }
    out
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
