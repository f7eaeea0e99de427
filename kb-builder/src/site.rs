//! A whole build: load and validate the content, render every edition into a temporary
//! folder next to the output, then swap it in. A failed build leaves the previous site
//! exactly as it was.

use crate::content::{tree, Content};
use crate::editions::{Edition, EditionView};
use crate::error::{Error, Result};
use crate::feeds;
use crate::lang::Language;
use crate::markdown::{self, Body};
use crate::output::{self, Staging};
use crate::render::{self, Renderer};
use crate::search;
use crate::stats::{self, Stats};
use crate::theme::Theme;
use crate::urls;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to build from where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub content: PathBuf,
    pub out: PathBuf,
    pub theme: PathBuf,
    pub stats: Option<PathBuf>,
    /// Draw a progress bar on stderr (it stays hidden when stderr is not a terminal).
    pub progress: bool,
    /// Publish at this URL instead of `_site.yaml`'s `base_url` and `service_url` (both):
    /// for a local preview or the demo, where the ticket service serves every edition.
    pub base_url: Option<String>,
    /// Also write `.gz` and `.br` copies of the text files (`precompress`), for web servers
    /// that serve them.
    pub precompress: bool,
}

/// What one edition holds after a build.
#[derive(Debug, Clone)]
pub struct EditionReport {
    pub edition: Edition,
    pub articles: usize,
    pub pages: usize,
    pub feeds: usize,
    pub attachments: usize,
    /// Compressed copies written (`--precompress`), 0 without.
    pub precompressed: usize,
}

#[derive(Debug, Clone)]
pub struct BuildReport {
    pub articles: usize,
    pub editions: Vec<EditionReport>,
    pub elapsed: Duration,
}

/// Validates the content tree without writing anything.
pub fn check(content_dir: &Path) -> Result<Content> {
    tree::load(content_dir)
}

/// Builds all three editions into `opts.out`.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let theme = Theme::load(&opts.theme)?;
    let mut content = tree::load(&opts.content)?;
    if let Some(url) = &opts.base_url {
        let url = if url.ends_with('/') {
            url.clone()
        } else {
            format!("{url}/")
        };
        content.site.base_url = url.clone();
        content.site.service_url = url;
        content.site.service_given = true;
    }
    let stats = match &opts.stats {
        Some(p) => stats::load(p)?,
        None => Stats::new(),
    };
    let bodies: Vec<Body> = content.articles.par_iter().map(markdown::render).collect();

    let staging = Staging::new(&opts.out)?;
    let result = build_into(staging.dir(), opts, &theme, &content, &stats, &bodies);
    let editions = match result {
        Ok(r) => r,
        Err(e) => {
            staging.discard();
            return Err(e);
        }
    };
    staging.commit()?;
    Ok(BuildReport {
        articles: content.articles.len(),
        editions,
        elapsed: started.elapsed(),
    })
}

/// Builds every edition into `tmp`; `opts.out` is the site being replaced (for the
/// assets carried over), `opts.progress` and `opts.precompress` as given.
fn build_into(
    tmp: &Path,
    opts: &BuildOptions,
    theme: &Theme,
    content: &Content,
    stats: &Stats,
    bodies: &[Body],
) -> Result<Vec<EditionReport>> {
    let views: Vec<EditionView> = Edition::ALL
        .iter()
        .map(|e| EditionView::new(*e, content, stats))
        .collect();
    let total: usize = views.iter().map(|v| v.articles.len() * 2).sum();
    let bar = if opts.progress {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:10} [{bar:40}] {pos}/{len} pages ({eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    // The indexes are written on their own thread while the pages render: tantivy's
    // indexing and the page writes' file-system work overlap instead of queueing.
    std::thread::scope(|scope| {
        let indexer = scope.spawn(|| -> Result<()> {
            for view in &views {
                let index_dir = tmp.join("search").join(view.edition.as_str());
                search::write_index(&index_dir, view, bodies)?;
            }
            Ok(())
        });
        let mut reports = Vec::new();
        let mut pages = Ok(());
        for view in &views {
            bar.set_message(view.edition.as_str());
            let dir = tmp.join(view.edition.as_str());
            let previous = opts.out.join(view.edition.as_str());
            let written =
                write_edition(view, theme, bodies, &dir, &previous, &bar).and_then(|mut report| {
                    if opts.precompress {
                        report.precompressed = crate::precompress::edition(&dir)?.files;
                    }
                    Ok(report)
                });
            match written {
                Ok(report) => reports.push(report),
                Err(e) => {
                    pages = Err(e);
                    break;
                }
            }
        }
        let indexed = indexer.join().unwrap_or_else(|_| {
            Err(Error::io(
                &tmp.join("search"),
                std::io::Error::other("the search indexer panicked"),
            ))
        });
        bar.finish_and_clear();
        pages.and(indexed).map(|()| reports)
    })
}

fn write_edition(
    view: &EditionView,
    theme: &Theme,
    bodies: &[Body],
    dir: &Path,
    previous: &Path,
    bar: &ProgressBar,
) -> Result<EditionReport> {
    let content = view.content;
    output::make_dir(dir)?;
    let categories: Vec<usize> = (1..content.categories.len())
        .filter(|c| view.shows_category(*c))
        .collect();
    let mut pages = 0;
    let mut feed_files = 0;
    for lang in Language::ALL {
        output::make_dir(&dir.join(urls::lang_prefix(lang)).join(urls::ARTICLES_DIR))?;
        let r = Renderer::new(theme, view, bodies, lang, dir);
        r.home()?;
        r.search_page()?;
        r.not_found()?;
        categories.par_iter().try_for_each(|c| r.category(*c))?;
        view.articles.par_chunks(64).try_for_each(|chunk| {
            chunk.iter().try_for_each(|i| r.article(*i))?;
            bar.inc(chunk.len() as u64);
            Ok::<(), Error>(())
        })?;
        pages += 3 + categories.len() + view.articles.len();
        feed_files += feeds::write_all(view, bodies, lang, &theme.strings(lang), dir)?;
    }
    output::write(&dir.join("sitemap.xml"), render::sitemap(view))?;
    let robots = match view.edition {
        Edition::Public => format!(
            "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
            content.site.base_url
        ),
        _ => "User-agent: *\nDisallow: /\n".to_string(),
    };
    output::write(&dir.join("robots.txt"), robots)?;
    theme.write_assets(&dir.join("assets"), Some(&previous.join("assets")))?;
    let mut attachments = 0;
    for &i in &view.articles {
        let a = &content.articles[i];
        for f in &a.attachments {
            let target = dir.join("files").join(a.id.to_string()).join(&f.name);
            output::copy(&f.path, &target)?;
            attachments += 1;
        }
    }
    Ok(EditionReport {
        edition: view.edition,
        articles: view.articles.len(),
        pages,
        feeds: feed_files,
        attachments,
        precompressed: 0,
    })
}
