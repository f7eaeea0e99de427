//! A whole build: load and validate the content, render every edition into a temporary
//! folder next to the output, then swap it in. A failed build leaves the previous site
//! exactly as it was.

use crate::content::{self, Content};
use crate::editions::{Edition, EditionView};
use crate::error::{Error, Result};
use crate::feeds;
use crate::lang::Language;
use crate::markdown::{self, Body};
use crate::render::{self, Renderer};
use crate::search;
use crate::stats::{self, Stats};
use crate::theme::Theme;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fs;
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
}

/// What one edition holds after a build.
#[derive(Debug, Clone)]
pub struct EditionReport {
    pub edition: Edition,
    pub articles: usize,
    pub pages: usize,
    pub feeds: usize,
    pub attachments: usize,
}

#[derive(Debug, Clone)]
pub struct BuildReport {
    pub articles: usize,
    pub editions: Vec<EditionReport>,
    pub elapsed: Duration,
}

/// Validates the content tree without writing anything.
pub fn check(content_dir: &Path) -> Result<Content> {
    content::load(content_dir)
}

/// Builds all three editions into `opts.out`.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let theme = Theme::load(&opts.theme)?;
    let mut content = content::load(&opts.content)?;
    if let Some(url) = &opts.base_url {
        let url = if url.ends_with('/') {
            url.clone()
        } else {
            format!("{url}/")
        };
        content.site.base_url = url.clone();
        content.site.service_url = url;
    }
    let stats = match &opts.stats {
        Some(p) => stats::load(p)?,
        None => Stats::new(),
    };
    let bodies: Vec<Body> = content.articles.par_iter().map(markdown::render).collect();

    let tmp = sibling(&opts.out, "building")?;
    let result = build_into(&tmp, &theme, &content, &stats, &bodies, opts.progress);
    let editions = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    swap_in(&tmp, &opts.out)?;
    Ok(BuildReport {
        articles: content.articles.len(),
        editions,
        elapsed: started.elapsed(),
    })
}

/// A fresh folder next to `out` (same file system, so the final rename is atomic).
fn sibling(out: &Path, what: &str) -> Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let path = parent.join(format!(".{name}.{what}-{}", std::process::id()));
    if path.exists() {
        fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    }
    fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// Replaces `out` by `tmp`. On Linux the two folders trade places in one atomic step, so a
/// web server or the ticket service serving `out` never sees it missing; elsewhere (or on
/// a file system without that) the old site is moved aside first and put back if the new
/// one cannot be moved in.
fn swap_in(tmp: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        return fs::rename(tmp, out).map_err(|e| Error::io(out, e));
    }
    if exchange(tmp, out) {
        // `tmp` now holds the previous site.
        return fs::remove_dir_all(tmp).map_err(|e| Error::io(tmp, e));
    }
    let old = sibling(out, "old")?;
    fs::remove_dir(&old).map_err(|e| Error::io(&old, e))?;
    fs::rename(out, &old).map_err(|e| Error::io(out, e))?;
    if let Err(e) = fs::rename(tmp, out) {
        let _ = fs::rename(&old, out);
        return Err(Error::io(out, e));
    }
    fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))
}

/// Atomically exchanges two paths (`renameat2` with `RENAME_EXCHANGE`); false when the
/// system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated paths that outlive the call; AT_FDCWD makes
    // them relative to the working directory, as `fs::rename` does.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

fn build_into(
    tmp: &Path,
    theme: &Theme,
    content: &Content,
    stats: &Stats,
    bodies: &[Body],
    progress: bool,
) -> Result<Vec<EditionReport>> {
    let views: Vec<EditionView> = Edition::ALL
        .iter()
        .map(|e| EditionView::new(*e, content, stats))
        .collect();
    let total: usize = views.iter().map(|v| v.articles.len() * 2).sum();
    let bar = if progress {
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
            match write_edition(view, theme, bodies, &dir, &bar) {
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
    bar: &ProgressBar,
) -> Result<EditionReport> {
    let content = view.content;
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let categories: Vec<usize> = (1..content.categories.len())
        .filter(|c| view.shows_category(*c))
        .collect();
    let mut pages = 0;
    let mut feed_files = 0;
    for lang in Language::ALL {
        let articles_dir = dir.join(render::lang_prefix(lang)).join("articles");
        fs::create_dir_all(&articles_dir).map_err(|e| Error::io(&articles_dir, e))?;
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
    write_file(&dir.join("sitemap.xml"), &render::sitemap(view))?;
    let robots = match view.edition {
        Edition::Public => format!(
            "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
            content.site.base_url
        ),
        _ => "User-agent: *\nDisallow: /\n".to_string(),
    };
    write_file(&dir.join("robots.txt"), &robots)?;
    theme.copy_static(&dir.join("assets"))?;
    let mut attachments = 0;
    for &i in &view.articles {
        let a = &content.articles[i];
        for f in &a.attachments {
            let target = dir.join("files").join(a.id.to_string()).join(&f.name);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            fs::copy(&f.path, &target).map_err(|e| Error::io(&f.path, e))?;
            attachments += 1;
        }
    }
    Ok(EditionReport {
        edition: view.edition,
        articles: view.articles.len(),
        pages,
        feeds: feed_files,
        attachments,
    })
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| Error::io(path, e))
}
