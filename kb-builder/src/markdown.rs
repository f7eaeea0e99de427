//! Markdown to safe HTML. Articles are written by staff, but a knowledge base is exactly
//! where a pasted snippet of someone's HTML ends up, so the output is always sanitised:
//! raw HTML is cleaned by ammonia, link schemes are limited to http, https, mailto and
//! relative, and code is escaped.
//!
//! A body is rendered once per article, not once per edition and language: links that
//! depend on where the page sits carry placeholders that [`place`] fills in per page.

use crate::content::{markdown_options, Article, LinkTarget};
use crate::urls::attachment_path;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Stands for the relative path from a page to its edition's root (`../../`).
const ROOT: &str = "__kb_root__/";
/// Followed by an article number and `/`: a link to that article, resolved per edition.
const FAQ: &str = "__kb_faq__";

/// An article body rendered once, placed into each page with [`place`].
#[derive(Debug, Clone, Default)]
pub struct Body {
    /// Sanitised HTML with placeholders.
    pub html: String,
    /// Plain text without markup, for the search index, snippets and feed summaries.
    pub text: String,
    /// Articles this body links to.
    pub links_to: Vec<u32>,
}

/// Renders an article's body.
pub fn render(article: &Article) -> Body {
    let mut text = String::with_capacity(article.body.len());
    let mut links_to = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(HeadingLevel, Vec<Event>)> = None;
    let mut used_ids = HashSet::new();

    for event in Parser::new_ext(&article.body, markdown_options()) {
        match &event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock,
            ) => text.push('\n'),
            Event::End(TagEnd::Heading(_)) => text.push('\n'),
            _ => {}
        }
        let event = rewrite_link(event, &article.links, article.id, &mut links_to);
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, Vec::new())),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, inner)) = heading.take() {
                    let title: String = inner
                        .iter()
                        .filter_map(|e| match e {
                            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                            _ => None,
                        })
                        .collect();
                    let id = unique_id(&slug(&title), &mut used_ids);
                    let n = level as usize;
                    events.push(Event::Html(CowStr::from(format!("<h{n} id=\"{id}\">"))));
                    events.extend(inner);
                    events.push(Event::Html(CowStr::from(format!(
                        "<a class=\"anchor\" href=\"#{id}\">#</a></h{n}>\n"
                    ))));
                }
            }
            e => match heading.as_mut() {
                Some((_, inner)) => inner.push(e),
                None => events.push(e),
            },
        }
    }
    let mut raw = String::with_capacity(article.body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    links_to.sort_unstable();
    links_to.dedup();
    Body {
        html: sanitizer().clean(&raw).to_string(),
        text,
        links_to,
    }
}

fn rewrite_link<'a>(
    mut event: Event<'a>,
    links: &HashMap<String, LinkTarget>,
    own_id: u32,
    links_to: &mut Vec<u32>,
) -> Event<'a> {
    let resolve = |dest: &str, links_to: &mut Vec<u32>| -> Option<String> {
        match links.get(dest)? {
            LinkTarget::Article { id, fragment } => {
                links_to.push(*id);
                let frag = fragment
                    .as_deref()
                    .map(|f| format!("#{f}"))
                    .unwrap_or_default();
                Some(format!("{FAQ}{id}/{frag}"))
            }
            LinkTarget::Attachment(name) => {
                Some(format!("{ROOT}{}", attachment_path(own_id, name)))
            }
            LinkTarget::External => None,
        }
    };
    if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = &mut event {
        if let Some(resolved) = resolve(dest_url, links_to) {
            *dest_url = CowStr::from(resolved);
        }
    }
    event
}

/// Heading ids keep letters of every script (Japanese headings stay readable in URLs) and
/// turn everything else into single hyphens.
fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

fn unique_id(base: &str, used: &mut HashSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 1;
    while !used.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

/// Fills a body's placeholders for one page. `root` is the relative path from the page to
/// its edition's root; `article_href(id)` gives the URL of an article as this edition links
/// to it (relative when the edition holds it, else the smallest edition that does).
pub fn place(html: &str, root: &str, article_href: impl Fn(u32) -> String) -> String {
    if !html.contains("__kb_") {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(pos) = rest.find("__kb_") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix(ROOT) {
            out.push_str(root);
            rest = after;
        } else if let Some(after) = tail.strip_prefix(FAQ) {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            match (
                after[..digits].parse::<u32>(),
                after[digits..].strip_prefix('/'),
            ) {
                (Ok(id), Some(after)) => {
                    out.push_str(&article_href(id));
                    rest = after;
                }
                _ => {
                    out.push_str(FAQ);
                    rest = after;
                }
            }
        } else {
            out.push_str("__kb_");
            rest = &tail[5..];
        }
    }
    out.push_str(rest);
    out
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(["http", "https", "mailto"].into_iter().collect())
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("a", ["id", "class"])
            .add_tag_attributes("code", ["class"])
            .add_tag_attributes("div", ["id", "class"])
            .add_tag_attributes("sup", ["id", "class"])
            .add_tag_attributes("li", ["id"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("td", ["style"])
            .add_tag_attributes("ol", ["start"])
            .attribute_filter(|element, attribute, value| match (element, attribute) {
                ("th" | "td", "style") => matches!(
                    value,
                    "text-align: left" | "text-align: center" | "text-align: right"
                )
                .then_some(value.into()),
                ("input", "type") => (value == "checkbox").then_some(value.into()),
                _ => Some(value.into()),
            });
        for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
            b.add_tag_attributes(h, ["id"]);
        }
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Visibility;
    use crate::lang::Language;

    fn article(body: &str, links: &[(&str, LinkTarget)]) -> Article {
        let date = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00+09:00").unwrap();
        Article {
            id: 7,
            title: "t".into(),
            visibility: Visibility::Public,
            language: Language::Ja,
            keywords: vec![],
            created: date,
            updated: date,
            attachments: vec![],
            category: 0,
            body: body.into(),
            source: "x.md".into(),
            body_line: 1,
            links: links
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn raw_html_is_sanitised() {
        let b = render(&article(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
            &[],
        ));
        assert!(!b.html.contains("<script"), "{}", b.html);
        assert!(!b.html.contains("onerror"), "{}", b.html);
        assert!(!b.html.contains("javascript:"), "{}", b.html);
    }

    #[test]
    fn code_blocks_are_escaped() {
        let b = render(&article("```\n<b>bold</b> & co\n```\n", &[]));
        assert!(
            b.html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; co"),
            "{}",
            b.html
        );
    }

    #[test]
    fn headings_get_unique_anchors() {
        let b = render(&article("## 設定 手順\n\n## 設定 手順\n", &[]));
        assert!(
            b.html.contains(
                "<h2 id=\"設定-手順\">設定 手順<a class=\"anchor\" href=\"#設定-手順\" rel=\"noopener noreferrer\">#</a></h2>"
            ),
            "{}",
            b.html
        );
        assert!(b.html.contains("id=\"設定-手順-2\""), "{}", b.html);
    }

    #[test]
    fn tables_footnotes_and_task_lists_work() {
        let b = render(&article("| a | b |\n|:-:|--|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n\nnote[^1]\n\n[^1]: the note\n", &[]));
        assert!(b.html.contains("<table>"), "{}", b.html);
        assert!(
            b.html.contains("style=\"text-align: center\""),
            "{}",
            b.html
        );
        assert!(b.html.contains("type=\"checkbox\""), "{}", b.html);
        assert!(b.html.contains("footnote-definition"), "{}", b.html);
    }

    #[test]
    fn internal_links_are_placed_per_page() {
        let b = render(&article(
            "[a](faq:12#x) [b](manual.pdf) [c](https://example.com/)",
            &[
                (
                    "faq:12#x",
                    LinkTarget::Article {
                        id: 12,
                        fragment: Some("x".into()),
                    },
                ),
                ("manual.pdf", LinkTarget::Attachment("manual.pdf".into())),
                ("https://example.com/", LinkTarget::External),
            ],
        ));
        assert_eq!(b.links_to, vec![12]);
        let html = place(&b.html, "../../", |id| format!("../../articles/{id}.html"));
        assert!(html.contains("href=\"../../articles/12.html#x\""), "{html}");
        assert!(html.contains("href=\"../../files/7/manual.pdf\""), "{html}");
        assert!(html.contains("href=\"https://example.com/\""), "{html}");
        assert!(!html.contains("__kb_"), "{html}");
    }

    #[test]
    fn plain_text_has_no_markup() {
        let b = render(&article("## 見出し\n\n**太字**と`code`\n", &[]));
        assert_eq!(b.text.trim(), "見出し\n太字とcode");
    }
}
