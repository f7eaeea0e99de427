//! A failed build leaves the previous site untouched, and leaves no temporary folders.

mod common;
use common::*;
use kb_builder::site::{build, BuildOptions};
use std::fs;

#[test]
fn a_failed_build_keeps_the_old_site() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("site");
    let good = tree(&[
        ("_site.yaml", SITE_YAML),
        ("one.md", &article(1, "", "first version")),
    ]);
    let opts = |content: &std::path::Path| BuildOptions {
        content: content.to_path_buf(),
        out: out.clone(),
        theme: theme(),
        stats: None,
        progress: false,
        base_url: None,
        precompress: false,
    };
    build(&opts(good.path())).unwrap();
    let before: Vec<_> = files(&out)
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    assert!(read(&out.join("public/articles/1.html")).contains("first version"));

    let bad = tree(&[
        ("_site.yaml", SITE_YAML),
        ("one.md", &article(1, "", "second version")),
        ("two.md", "---\nid: 2\n---\n"),
    ]);
    let err = build(&opts(bad.path())).unwrap_err();
    assert!(err.to_string().contains("missing field"), "{err}");

    let after: Vec<_> = files(&out)
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    assert_eq!(before.len(), after.len());
    assert!(before == after, "the old site changed");
    let leftovers: Vec<_> = fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("site")]);

    // A good build replaces it, again without leftovers.
    let newer = tree(&[
        ("_site.yaml", SITE_YAML),
        ("one.md", &article(1, "", "third version")),
    ]);
    build(&opts(newer.path())).unwrap();
    assert!(read(&out.join("public/articles/1.html")).contains("third version"));
    assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 1);
}

/// While builds replace the site, a reader polling it never finds it missing (on Linux the
/// new and old folders trade places in one step). A regression guard: the old two-rename
/// swap left a short window that this loop can hit.
#[cfg(target_os = "linux")]
#[test]
fn the_site_never_disappears_during_a_rebuild() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("site");
    let content = tree(&[("_site.yaml", SITE_YAML), ("one.md", &article(1, "", "x"))]);
    let opts = BuildOptions {
        content: content.path().to_path_buf(),
        out: out.clone(),
        theme: theme(),
        stats: None,
        progress: false,
        base_url: None,
        precompress: false,
    };
    build(&opts).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let misses = Arc::new(AtomicUsize::new(0));
    let polls = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (done, misses, polls, page) = (
            done.clone(),
            misses.clone(),
            polls.clone(),
            out.join("public/index.html"),
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if !page.exists() {
                    misses.fetch_add(1, Ordering::Relaxed);
                }
                polls.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    for _ in 0..10 {
        build(&opts).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    assert!(polls.load(Ordering::Relaxed) > 100, "the reader ran");
    assert_eq!(
        misses.load(Ordering::Relaxed),
        0,
        "the site was missing during a swap"
    );
}
