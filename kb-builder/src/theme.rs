//! The theme: tera templates, static assets and UI strings in `themes/<name>/`. Both halves
//! of Madoguchi render with it, so the static site and the ticket service look and speak
//! alike. UI strings live in the theme (`i18n/<lang>/*.toml`), never in Rust code.

use crate::error::{Error, Result};
use crate::lang::Language;
use crate::output;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Strings that Rust code looks up by name (feed titles, page titles); every theme must
/// have them, so that a lookup can never fail after loading.
pub const REQUIRED_STRINGS: &[&str] = &[
    "feed_latest_created",
    "feed_latest_updated",
    "feed_top10",
    "search",
    "not_found_title",
];

/// One language's UI strings, flat `key → text`, merged from every TOML file of its folder.
pub type Strings = BTreeMap<String, String>;

/// A loaded theme. Loading checks that every language has the same keys, so a missing
/// translation is found when the theme loads, not by a user on a page.
#[derive(Debug)]
pub struct Theme {
    dir: PathBuf,
    tera: tera::Tera,
    strings: HashMap<Language, Arc<Strings>>,
    /// The static assets, read once, with their fingerprinted names.
    assets: Vec<Asset>,
    /// `asset name → fingerprinted name` (what the site's pages link to).
    fingerprinted: BTreeMap<String, String>,
    /// `asset name → asset name` (what the ticket service's pages link to under `/static/`,
    /// served from the theme folder as it is).
    plain: BTreeMap<String, String>,
}

/// One file of the theme's `static/` folder.
#[derive(Debug)]
struct Asset {
    /// Relative to `static/`, with `/`.
    name: String,
    fingerprinted: String,
    bytes: Vec<u8>,
}

impl Theme {
    /// Loads templates (`templates/**/*.html`, `*.xml`, `*.txt`) and strings from `dir`.
    pub fn load(dir: &Path) -> Result<Theme> {
        let templates = dir.join("templates");
        if !templates.is_dir() {
            return Err(Error::Theme {
                path: templates,
                message: "the theme has no templates folder".into(),
            });
        }
        let mut tera = tera::Tera::default();
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&templates).sort_by_file_name() {
            let entry = entry.map_err(|e| Error::Theme {
                path: templates.clone(),
                message: e.to_string(),
            })?;
            if entry.file_type().is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(&templates)
                    .expect("walkdir yields paths below its root")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((entry.path().to_path_buf(), Some(rel)));
            }
        }
        tera.add_template_files(files)
            .map_err(|e| Error::Template {
                name: templates.display().to_string(),
                source: e,
            })?;
        tera.autoescape_on(vec![".html", ".xml"]);

        let mut strings = HashMap::new();
        for lang in Language::ALL {
            strings.insert(
                lang,
                Arc::new(load_strings(&dir.join("i18n").join(lang.code()))?),
            );
        }
        let assets = load_assets(&dir.join("static"))?;
        let theme = Theme {
            dir: dir.to_path_buf(),
            tera,
            strings,
            fingerprinted: assets
                .iter()
                .map(|a| (a.name.clone(), a.fingerprinted.clone()))
                .collect(),
            plain: assets
                .iter()
                .map(|a| (a.name.clone(), a.name.clone()))
                .collect(),
            assets,
        };
        theme.check_translations()?;
        Ok(theme)
    }

    /// The theme folder (`themes/default`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Static assets (CSS, JS) that pages link to; copied into each edition, served by the
    /// ticket service.
    pub fn static_dir(&self) -> PathBuf {
        self.dir.join("static")
    }

    /// The UI strings of one language.
    pub fn strings(&self, lang: Language) -> Arc<Strings> {
        Arc::clone(&self.strings[&lang])
    }

    /// Renders a template; the error names the template and tera's whole cause chain.
    pub fn render(&self, template: &str, ctx: &tera::Context) -> Result<String> {
        self.tera
            .render(template, ctx)
            .map_err(|e| Error::Template {
                name: template.to_string(),
                source: e,
            })
    }

    /// Whether the theme has a template of that name.
    pub fn has_template(&self, template: &str) -> bool {
        self.tera.get_template_names().any(|n| n == template)
    }

    /// What templates find in `asset`: each static asset's name (`madoguchi.css`) mapped
    /// to the name a page links to, the fingerprinted one (`madoguchi.3f9a1c2e.css`) for
    /// the built site or the plain one for the ticket service's `/static/`. Templates
    /// write `{{ assets }}{{ asset["madoguchi.css"] }}`.
    pub fn asset_names(&self, fingerprinted: bool) -> &BTreeMap<String, String> {
        if fingerprinted {
            &self.fingerprinted
        } else {
            &self.plain
        }
    }

    /// Writes the static assets into `dest` (created if missing) under their fingerprinted
    /// names, which the pages link to, and under their plain names for anything that links
    /// by name (a customised template, a bookmark; these get short caching), with
    /// `manifest.json` (`name → fingerprinted name`) for other tools. Files of
    /// the previous build's manifest in `previous` (the same folder of the site being
    /// replaced) are carried over, so a page cached before the rebuild (HTML may be cached
    /// for minutes) still finds the stylesheet it links to; only one generation is kept.
    pub fn write_assets(&self, dest: &Path, previous: Option<&Path>) -> Result<()> {
        output::make_dir(dest)?;
        for asset in &self.assets {
            output::write(&dest.join(&asset.fingerprinted), &asset.bytes)?;
            output::write(&dest.join(&asset.name), &asset.bytes)?;
        }
        let manifest = serde_json::to_string_pretty(&self.fingerprinted).expect("a map of strings");
        if let Some(previous) = previous {
            carry_over(previous, dest, &self.fingerprinted)?;
        }
        output::write(&dest.join(MANIFEST), manifest + "\n")
    }

    fn check_translations(&self) -> Result<()> {
        let ja = &self.strings[&Language::Ja];
        let en = &self.strings[&Language::En];
        let absent: Vec<&str> = REQUIRED_STRINGS
            .iter()
            .copied()
            .filter(|k| !ja.contains_key(*k))
            .collect();
        if !absent.is_empty() {
            return Err(Error::Theme {
                path: self.dir.join("i18n"),
                message: format!(
                    "the theme lacks strings kb-builder uses: {}",
                    absent.join(", ")
                ),
            });
        }
        let missing: Vec<String> = ja
            .keys()
            .filter(|k| !en.contains_key(*k))
            .map(|k| format!("en lacks `{k}`"))
            .chain(
                en.keys()
                    .filter(|k| !ja.contains_key(*k))
                    .map(|k| format!("ja lacks `{k}`")),
            )
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Theme {
                path: self.dir.join("i18n"),
                message: missing.join(", "),
            })
        }
    }
}

/// The list of an `assets/` folder's current fingerprinted names.
pub const MANIFEST: &str = "manifest.json";

/// Copies the fingerprinted files named in `previous`'s manifest that the new build does
/// not have into `dest`. A previous site without a manifest (or without the files)
/// carries nothing.
fn carry_over(previous: &Path, dest: &Path, current: &BTreeMap<String, String>) -> Result<()> {
    let Ok(text) = fs::read_to_string(previous.join(MANIFEST)) else {
        return Ok(());
    };
    let Ok(old) = serde_json::from_str::<BTreeMap<String, String>>(&text) else {
        return Ok(());
    };
    for name in old.values() {
        let safe = is_fingerprinted(name.rsplit('/').next().unwrap_or(name))
            && !name.split('/').any(|s| s.is_empty() || s.starts_with('.'));
        if !safe || current.values().any(|n| n == name) {
            continue;
        }
        let from = previous.join(name);
        if from.is_file() {
            output::copy(&from, &dest.join(name))?;
        }
    }
    Ok(())
}

/// Reads `static/` (missing: no assets) and names each file by its content.
fn load_assets(src: &Path) -> Result<Vec<Asset>> {
    let mut assets = Vec::new();
    if !src.is_dir() {
        return Ok(assets);
    }
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Theme {
            path: src.to_path_buf(),
            message: e.to_string(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .strip_prefix(src)
            .expect("walkdir yields paths below its root")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = fs::read(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        assets.push(Asset {
            fingerprinted: fingerprint(&name, &bytes),
            name,
            bytes,
        });
    }
    Ok(assets)
}

/// Hex digits of content hash in a fingerprinted name.
const HASH_DIGITS: usize = 8;

/// `css/site.css` with these bytes → `css/site.3f9a1c2e.css`: the first 8 hex digits of
/// the SHA-256 of the content before the extension, so the name changes whenever the
/// content does and a browser or CDN may keep a file under its name forever.
pub fn fingerprint(name: &str, bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let hash: String = digest
        .iter()
        .take(HASH_DIGITS / 2)
        .map(|b| format!("{b:02x}"))
        .collect();
    let (dir, file) = match name.rsplit_once('/') {
        Some((dir, file)) => (format!("{dir}/"), file),
        None => (String::new(), name),
    };
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem}.{hash}.{ext}"),
        _ => format!("{dir}{file}.{hash}"),
    }
}

/// Whether a file name has the shape [`fingerprint`] gives (`stem.<8 hex>.ext`).
pub fn is_fingerprinted(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 3
        && !parts[0].is_empty()
        && parts[parts.len() - 2].len() == HASH_DIGITS
        && parts[parts.len() - 2]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether a URL path is a fingerprinted asset of a built site: a fingerprinted file name
/// directly in an edition's `assets/` (`/assets/…`, `/kb/assets/…`, `/agent/kb/assets/…`).
/// Web servers may let clients keep these for a year without revalidating.
pub fn is_fingerprinted_path(path: &str) -> bool {
    let Some((dir, file)) = path.rsplit_once('/') else {
        return false;
    };
    let in_assets = matches!(dir, "/assets" | "/kb/assets" | "/agent/kb/assets");
    in_assets && is_fingerprinted(file)
}

fn load_strings(dir: &Path) -> Result<Strings> {
    let mut strings = Strings::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let table: BTreeMap<String, String> = toml::from_str(&text).map_err(|e| Error::Theme {
            path: path.clone(),
            message: e.to_string(),
        })?;
        for (key, value) in table {
            if strings.insert(key.clone(), value).is_some() {
                return Err(Error::Theme {
                    path: path.clone(),
                    message: format!("`{key}` is defined twice"),
                });
            }
        }
    }
    Ok(strings)
}

/// The theme folder to use when none is given: `themes/default` next to the current
/// directory, or in the workspace this crate was built from (so tests and `cargo run` work
/// from any folder of the checkout).
pub fn default_dir() -> PathBuf {
    let local = PathBuf::from("themes/default");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_loads_with_matching_translations() {
        let theme = Theme::load(&default_dir()).expect("default theme loads");
        assert_eq!(theme.strings(Language::Ja)["home"], "ホーム");
        assert_eq!(theme.strings(Language::En)["home"], "Home");
        assert!(theme.has_template("base.html"));
    }

    #[test]
    fn fingerprints_follow_the_content() {
        let a = fingerprint("madoguchi.css", b"body { color: black }");
        let b = fingerprint("madoguchi.css", b"body { color: navy }");
        assert_ne!(a, b, "another content, another name");
        assert_eq!(a, fingerprint("madoguchi.css", b"body { color: black }"));
        assert!(
            a.starts_with("madoguchi.") && a.ends_with(".css") && a.len() == 22,
            "{a}"
        );
        assert!(is_fingerprinted(&a));
        assert!(fingerprint("img/logo.svg", b"x").starts_with("img/logo."));
        assert!(!is_fingerprinted(&fingerprint("LICENSE", b"x")));
        for plain in [
            "madoguchi.css",
            "search.js",
            "a.b.css",
            "x.3F9A1C2E.css",
            ".3f9a1c2e.css",
        ] {
            assert!(!is_fingerprinted(plain), "{plain}");
        }
        assert!(is_fingerprinted_path(&format!("/kb/assets/{a}")));
        assert!(is_fingerprinted_path(&format!("/assets/{a}")));
        assert!(!is_fingerprinted_path(&format!("/files/12/{a}")));
        assert!(!is_fingerprinted_path("/assets/madoguchi.css"));
    }

    #[test]
    fn assets_are_written_fingerprinted_and_the_previous_ones_kept_once() {
        let theme_dir = tempfile::tempdir().unwrap();
        let copy = |from: &Path, to: &Path| {
            for entry in walkdir::WalkDir::new(from) {
                let entry = entry.unwrap();
                let rel = entry.path().strip_prefix(from).unwrap();
                if entry.file_type().is_dir() {
                    fs::create_dir_all(to.join(rel)).unwrap();
                } else {
                    fs::copy(entry.path(), to.join(rel)).unwrap();
                }
            }
        };
        copy(&default_dir(), theme_dir.path());
        let css = theme_dir.path().join("static/madoguchi.css");
        let site = tempfile::tempdir().unwrap();
        let build = |n: u32| -> (String, Vec<String>) {
            let theme = Theme::load(theme_dir.path()).unwrap();
            let dest = site.path().join(format!("b{n}"));
            let previous = site.path().join(format!("b{}", n.wrapping_sub(1)));
            theme.write_assets(&dest, Some(&previous)).unwrap();
            let mut names: Vec<String> = fs::read_dir(&dest)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("madoguchi.") && n != "madoguchi.css")
                .collect();
            names.sort();
            (theme.asset_names(true)["madoguchi.css"].clone(), names)
        };
        let (first, names) = build(1);
        assert_eq!(names, vec![first.clone()]);
        fs::write(&css, "body { color: navy }\n").unwrap();
        let (second, names) = build(2);
        assert_ne!(first, second, "the name changed with the content");
        assert_eq!(
            names.len(),
            2,
            "the previous build's file is kept: {names:?}"
        );
        assert!(names.contains(&first) && names.contains(&second));
        fs::write(&css, "body { color: teal }\n").unwrap();
        let (third, names) = build(3);
        assert!(
            !names.contains(&first),
            "only one generation back: {names:?}"
        );
        assert!(names.contains(&second) && names.contains(&third));
    }

    #[test]
    fn a_missing_translation_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("templates")).unwrap();
        fs::write(dir.path().join("templates/base.html"), "x").unwrap();
        let required: String = REQUIRED_STRINGS
            .iter()
            .map(|k| format!("{k} = \"x\"\n"))
            .collect();
        let write = |lang: &str, body: &str| {
            fs::create_dir_all(dir.path().join("i18n").join(lang)).unwrap();
            fs::write(dir.path().join("i18n").join(lang).join("x.toml"), body).unwrap();
        };
        write("ja", &format!("{required}a = \"1\"\nb = \"2\"\n"));
        write("en", &format!("{required}a = \"1\"\n"));
        let err = Theme::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("en lacks `b`"), "{err}");

        // A string the code looks up by name must be there at all.
        write("ja", "a = \"1\"\n");
        write("en", "a = \"1\"\n");
        let err = Theme::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("lacks strings kb-builder uses: feed_latest_created"),
            "{err}"
        );
    }
}
