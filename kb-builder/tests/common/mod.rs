//! Helpers shared by kb-builder's integration tests: build a fixture tree the way a user
//! would, and look at the files it wrote.
#![allow(dead_code)]

use kb_builder::site::{build, BuildOptions, BuildReport};
use std::fs;
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn theme() -> PathBuf {
    kb_builder::theme::default_dir()
}

/// Builds `content` into a fresh temporary folder; returns it and the site path.
pub fn build_site(
    content: &Path,
    stats: Option<PathBuf>,
) -> (tempfile::TempDir, PathBuf, BuildReport) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("site");
    let report = build(&BuildOptions {
        content: content.to_path_buf(),
        out: out.clone(),
        theme: theme(),
        stats,
        progress: false,
        base_url: None,
        precompress: false,
    })
    .unwrap_or_else(|e| panic!("build failed: {e}"));
    (dir, out, report)
}

/// Every file below `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a content tree from `(relative path, text)` pairs into a temp folder.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

pub const SITE_YAML: &str =
    "title:\n  ja: テスト\n  en: Test\nbase_url: https://kb.example.test/\n";
pub const CATEGORY_YAML: &str = "name:\n  ja: カテゴリ\n  en: Category\n";

/// A valid article with the given id and extra front matter lines.
pub fn article(id: u32, extra: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: 記事{id}\nvisibility: public\nlanguage: ja\nkeywords: [a]\ncreated: 2024-01-01T00:00:00+09:00\nupdated: 2024-01-02T00:00:00+09:00\n{extra}---\n{body}\n"
    )
}
