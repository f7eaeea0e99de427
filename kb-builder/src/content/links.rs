//! Where an article's links and attachments point. Attachments are checked while its front
//! matter is read; links can only be resolved once every article's id is known, so
//! [`resolve_all`] runs after the whole tree is loaded. A link that points nowhere is a
//! content error with its line, so rendering never meets a broken one.

use super::{markdown_options, Article, Attachment, LinkTarget};
use crate::error::Diagnostic;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Resolves the links of every article (sorted by id), returning the problems.
pub fn resolve_all(articles: &mut [Article]) -> Vec<Diagnostic> {
    let by_path: HashMap<PathBuf, u32> = articles
        .iter()
        .map(|a| (normalize(&a.source), a.id))
        .collect();
    let ids: HashSet<u32> = articles.iter().map(|a| a.id).collect();
    articles
        .par_iter_mut()
        .map(|a| resolve_links(a, &by_path, &ids))
        .flatten()
        .collect()
}

/// The attachment `name` listed by the article at `article` (its `index.md` when `folder`).
pub fn attachment(
    article: &Path,
    folder: bool,
    name: &str,
) -> std::result::Result<Attachment, String> {
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
pub fn check_unlisted_files(index: &Path, attachments: &[Attachment], diags: &mut Vec<Diagnostic>) {
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
    ids: &HashSet<u32>,
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
    for (event, range) in Parser::new_ext(&article.body, markdown_options()).into_offset_iter() {
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
    ids: &HashSet<u32>,
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
            Ok(id) if ids.contains(&id) => Ok(LinkTarget::Article { id, fragment }),
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
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b.pdf"), "a b.pdf");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%E6%89%8B.md"), "手.md");
    }
}
