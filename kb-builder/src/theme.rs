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
        let theme = Theme {
            dir: dir.to_path_buf(),
            tera,
            strings,
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

    /// Copies the static assets into `dest` (created if missing).
    pub fn copy_static(&self, dest: &Path) -> Result<()> {
        let src = self.static_dir();
        for entry in walkdir::WalkDir::new(&src) {
            let entry = entry.map_err(|e| Error::Theme {
                path: src.clone(),
                message: e.to_string(),
            })?;
            let rel = entry
                .path()
                .strip_prefix(&src)
                .expect("walkdir yields paths below its root");
            let target = dest.join(rel);
            if entry.file_type().is_dir() {
                output::make_dir(&target)?;
            } else {
                output::copy(entry.path(), &target)?;
            }
        }
        Ok(())
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
