//! HTML pages of one edition in one interface language, rendered with the theme's tera
//! templates (`kb/*.html`). Links between pages are relative, so an edition works from any
//! folder: a CDN's root, or the ticket service's `/kb/` and `/agent/kb/`.

use crate::content::{Article, Content};
use crate::editions::{EditionView, TOP};
use crate::error::Result;
use crate::lang::Language;
use crate::markdown::{self, Body};
use crate::output;
use crate::theme::Theme;
use crate::urls::{
    self, article_href, article_path, atom_path, category_feed_stem, category_path, edition_url,
    feed_stem, lang_prefix, rss_path,
};
use serde_json::{json, Value};
use std::path::Path;

/// `1.2 MB`: sizes as people read them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Renders and writes the pages of one edition in one language.
pub struct Renderer<'a> {
    theme: &'a Theme,
    view: &'a EditionView<'a>,
    bodies: &'a [Body],
    lang: Language,
    /// The edition's output folder.
    out: &'a Path,
    base: tera::Context,
}

impl<'a> Renderer<'a> {
    /// Prepares rendering into `out` (the edition folder) and creates its page folders.
    pub fn new(
        theme: &'a Theme,
        view: &'a EditionView<'a>,
        bodies: &'a [Body],
        lang: Language,
        out: &'a Path,
    ) -> Self {
        let content = view.content;
        let site = &content.site;
        let mut base = tera::Context::new();
        base.insert("lang", &lang.code());
        base.insert("t", &*theme.strings(lang));
        base.insert("site_title", site.title.get(lang));
        base.insert("site_description", site.description.get(lang));
        base.insert("vendor", site.vendor.get(lang));
        base.insert("support_hours", site.support_hours.get(lang));
        base.insert("edition", view.edition.as_str());
        base.insert(
            "search_action",
            &urls::service_search_url(content, view.edition),
        );
        base.insert("search_api", &urls::service_search_api_url(content));
        base.insert("show_top", &!view.stats.is_empty());
        base.insert("asset", theme.asset_names(true));
        Renderer {
            theme,
            view,
            bodies,
            lang,
            out,
            base,
        }
    }

    fn content(&self) -> &Content {
        self.view.content
    }

    /// A context for the page at `path` (relative to the language root).
    fn context(&self, path: &str, title: &str) -> tera::Context {
        let depth = path.matches('/').count();
        let lang_root = "../".repeat(depth);
        let root = match self.lang {
            Language::Ja => lang_root.clone(),
            Language::En => format!("{lang_root}../"),
        };
        let switch = match self.lang {
            Language::Ja => format!("{lang_root}en/{path}"),
            Language::En => format!("{root}{path}"),
        };
        let mut ctx = self.base.clone();
        ctx.insert("title", title);
        ctx.insert("root", &root);
        ctx.insert("lang_root", &lang_root);
        ctx.insert("assets", &format!("{root}assets/"));
        ctx.insert(
            "home_url",
            &if lang_root.is_empty() {
                "./".to_string()
            } else {
                lang_root.clone()
            },
        );
        ctx.insert(
            "lang_switch",
            &if switch.is_empty() {
                "./".to_string()
            } else {
                switch
            },
        );
        ctx.insert("page_path", path);
        ctx
    }

    fn write(&self, path: &str, html: &str) -> Result<()> {
        let file = self.out.join(lang_prefix(self.lang)).join(path);
        let file = if path.is_empty() || path.ends_with('/') {
            file.join("index.html")
        } else {
            file
        };
        output::write(&file, html)
    }

    fn item(&self, i: usize, date: DateKind) -> Value {
        let a = &self.content().articles[i];
        let when = match date {
            DateKind::Created => a.created,
            DateKind::Updated => a.updated,
        };
        let mut v = json!({
            "id": a.id,
            "title": a.title,
            "path": article_path(a.id),
            "date": when.format("%Y-%m-%d").to_string(),
            "datetime": when.to_rfc3339(),
            "category": self.content().categories[a.category].name.get(self.lang),
            "category_path": category_path(self.content(), a.category),
            "visibility": a.visibility,
        });
        if let Some(s) = self.view.stats.get(&a.id) {
            v["views"] = json!(s.views);
        }
        v
    }

    /// The three lists (latest created, latest updated, top 10) over `pool`.
    fn lists(&self, pool: &[usize], ctx: &mut tera::Context) {
        let created: Vec<Value> = self
            .view
            .latest_created(pool, 10)
            .into_iter()
            .map(|i| self.item(i, DateKind::Created))
            .collect();
        let updated: Vec<Value> = self
            .view
            .latest_updated(pool, 10)
            .into_iter()
            .map(|i| self.item(i, DateKind::Updated))
            .collect();
        let top: Vec<Value> = self
            .view
            .top_viewed(pool, TOP)
            .into_iter()
            .map(|i| self.item(i, DateKind::Updated))
            .collect();
        ctx.insert("latest_created", &created);
        ctx.insert("latest_updated", &updated);
        ctx.insert("top", &top);
    }

    fn category_row(&self, c: usize) -> Value {
        let cat = &self.content().categories[c];
        json!({
            "name": cat.name.get(self.lang),
            "comment": cat.comment.get(self.lang),
            "path": category_path(self.content(), c),
            "subcategories": self.view.subcategories(c).len(),
            "articles": self.view.subtree_count[c],
        })
    }

    fn breadcrumb(&self, c: usize) -> Vec<Value> {
        self.content()
            .category_trail(c)
            .into_iter()
            .map(|c| json!({"name": self.content().categories[c].name.get(self.lang), "path": category_path(self.content(), c)}))
            .collect()
    }

    /// A feed link for a page's `<head>` and footer.
    fn feeds(&self, stem: &str, label: &str) -> Value {
        json!({"label": label, "rss": rss_path(stem), "atom": atom_path(stem)})
    }

    pub fn home(&self) -> Result<()> {
        let t = self.theme.strings(self.lang);
        let mut ctx = self.context("", self.content().site.title.get(self.lang));
        let rows: Vec<Value> = self
            .view
            .subcategories(0)
            .into_iter()
            .map(|c| self.category_row(c))
            .collect();
        ctx.insert("categories", &rows);
        self.lists(&self.view.articles, &mut ctx);
        let mut feeds = vec![
            self.feeds(&feed_stem("latest-created"), &t["feed_latest_created"]),
            self.feeds(&feed_stem("latest-updated"), &t["feed_latest_updated"]),
        ];
        if !self.view.stats.is_empty() {
            feeds.push(self.feeds(&feed_stem("top10"), &t["feed_top10"]));
        }
        ctx.insert("feeds", &feeds);
        self.write("", &self.theme.render("kb/home.html", &ctx)?)
    }

    pub fn category(&self, c: usize) -> Result<()> {
        let t = self.theme.strings(self.lang);
        let cat = &self.content().categories[c];
        let path = category_path(self.content(), c);
        let mut ctx = self.context(&path, cat.name.get(self.lang));
        ctx.insert("category", &self.category_row(c));
        ctx.insert("breadcrumb", &self.breadcrumb(c));
        let subs: Vec<Value> = self
            .view
            .subcategories(c)
            .into_iter()
            .map(|c| self.category_row(c))
            .collect();
        ctx.insert("subcategories", &subs);
        let articles: Vec<Value> = self
            .view
            .articles_in(c)
            .into_iter()
            .map(|i| self.item(i, DateKind::Updated))
            .collect();
        ctx.insert("articles", &articles);
        self.lists(&self.view.articles_below(c), &mut ctx);
        let stem = category_feed_stem(self.content(), c);
        ctx.insert("feeds", &vec![self.feeds(&stem, &t["feed_latest_updated"])]);
        self.write(&path, &self.theme.render("kb/category.html", &ctx)?)
    }

    pub fn article(&self, i: usize) -> Result<()> {
        let a: &Article = &self.content().articles[i];
        let path = article_path(a.id);
        let mut ctx = self.context(&path, &a.title);
        let root = ctx
            .get("root")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let lang_root = ctx
            .get("lang_root")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let body = markdown::place(&self.bodies[i].html, &root, |id| {
            article_href(self.view, id, self.lang, &lang_root)
        });
        let attachments: Vec<Value> = a
            .attachments
            .iter()
            .map(|f| json!({"name": f.name, "path": urls::attachment_path(a.id, &f.name), "size": human_size(f.size)}))
            .collect();
        let stats = self.view.stats.get(&a.id);
        ctx.insert(
            "article",
            &json!({
                "id": a.id,
                "title": a.title,
                "visibility": a.visibility,
                "language": a.language.code(),
                "keywords": a.keywords,
                "created": a.created.format("%Y-%m-%d %H:%M").to_string(),
                "created_iso": a.created.to_rfc3339(),
                "updated": a.updated.format("%Y-%m-%d %H:%M").to_string(),
                "updated_iso": a.updated.to_rfc3339(),
                "category": self.content().categories[a.category].name.get(self.lang),
                "category_path": category_path(self.content(), a.category),
                "attachments": attachments,
                "views": stats.map(|s| s.views),
                "votes": stats.map(|s| s.votes).unwrap_or(0),
                "rating": stats.filter(|s| s.votes > 0).map(|s| format!("{:.1}", s.rating)),
            }),
        );
        ctx.insert("body", &body);
        let edition = self.view.edition;
        ctx.insert(
            "beacon",
            &urls::faq_view_beacon(self.content(), edition, a.id),
        );
        ctx.insert("vote_action", &urls::faq_vote_action(edition, a.id));
        ctx.insert("breadcrumb", &self.breadcrumb(a.category));
        self.write(&path, &self.theme.render("kb/article.html", &ctx)?)
    }

    pub fn search_page(&self) -> Result<()> {
        let t = self.theme.strings(self.lang);
        let ctx = self.context(urls::SEARCH_PAGE, &t["search"]);
        self.write(
            urls::SEARCH_PAGE,
            &self.theme.render("kb/search.html", &ctx)?,
        )
    }

    /// `404.html` is served for any missing path, at any depth, so its links are absolute.
    pub fn not_found(&self) -> Result<()> {
        let t = self.theme.strings(self.lang);
        let mut ctx = self.context("", &t["not_found_title"]);
        let abs = format!(
            "{}{}",
            edition_url(self.content(), self.view.edition),
            lang_prefix(self.lang)
        );
        let root = edition_url(self.content(), self.view.edition);
        ctx.insert("root", &root);
        ctx.insert("lang_root", &abs);
        ctx.insert("assets", &format!("{root}assets/"));
        ctx.insert("home_url", &abs);
        ctx.insert(
            "lang_switch",
            &format!("{root}{}", lang_prefix(other(self.lang))),
        );
        self.write("404.html", &self.theme.render("kb/404.html", &ctx)?)
    }
}

fn other(lang: Language) -> Language {
    match lang {
        Language::Ja => Language::En,
        Language::En => Language::Ja,
    }
}

#[derive(Clone, Copy)]
enum DateKind {
    Created,
    Updated,
}

/// `sitemap.xml` of an edition: every page in both languages, absolute URLs.
pub fn sitemap(view: &EditionView) -> String {
    let content = view.content;
    let base = edition_url(content, view.edition);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut add = |path: &str, lastmod: Option<String>| {
        for lang in Language::ALL {
            xml.push_str("  <url><loc>");
            xml.push_str(&escape_xml(&format!("{base}{}{path}", lang_prefix(lang))));
            xml.push_str("</loc>");
            if let Some(m) = &lastmod {
                xml.push_str("<lastmod>");
                xml.push_str(m);
                xml.push_str("</lastmod>");
            }
            xml.push_str("</url>\n");
        }
    };
    add("", None);
    for c in 1..content.categories.len() {
        if view.shows_category(c) {
            add(&category_path(content, c), None);
        }
    }
    for &i in &view.articles {
        let a = &content.articles[i];
        add(&article_path(a.id), Some(a.updated.to_rfc3339()));
    }
    xml.push_str("</urlset>\n");
    xml
}

/// Escapes text for XML and HTML element content and attribute values.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(250 * 1024), "250 KB");
        assert_eq!(human_size(3 * 1024 * 1024 + 300 * 1024), "3.3 MB");
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(escape_xml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
