//! Configuration: one [`Config`], loaded once at start-up from, in order of increasing
//! precedence, built-in defaults, a TOML file (`--config FILE` or `MADOGUCHI_CONFIG`),
//! environment variables `MADOGUCHI_<FIELD>`, and command-line flags.
//!
//! The settings themselves live in [`sections`], grouped by concern (`[server]`,
//! `[database]`, `[security]`, `[mail]`, `[tickets]`); this module only layers them. figment
//! merges the layers and deserialises the result, and each layer tells it where its values
//! came from, so a bad value is reported with the setting's name, its source (the file, the
//! exact environment variable or flag) and what was expected. Text from the environment and
//! flags is read as the type of the setting's default (a number stays a number, a list is
//! comma-separated), so `MADOGUCHI_SMTP_PASSWORD=12345` stays a string.
//!
//! The TOML file may use sections or, as before sections existed, flat `key = value` lines;
//! a flat key goes into its section. Unknown keys are an error, so a typo does not silently
//! leave a default in place. Secrets (the database URL may hold a password) are never
//! printed, not even by `Debug`.

mod sections;

pub use sections::{
    Choice, Config, Database, DynamicField, Mail, Queue, Security, Server, SmtpTls, Tickets,
    ARGON2_MIN_ITERATIONS, ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_PARALLELISM,
};

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A string that `Debug` and `Display` never show.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// A list written as a TOML array or, from the environment, as comma-separated text.
fn list_or_commas<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(d)? {
        Raw::List(items) => items,
        Raw::Text(text) => text.split(',').map(str::to_string).collect(),
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
        })
        .collect()
}

/// Where a setting's value came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("the built-in default"),
            Origin::File(p) => write!(f, "config file {}", p.display()),
            Origin::Env(v) => write!(f, "environment variable {v}"),
            Origin::Flag(flag) => write!(f, "command-line flag {flag}"),
        }
    }
}

/// One problem with one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `section.field`.
    pub key: String,
    pub origin: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", problems.iter().map(|p| format!("invalid setting `{}` (from {}): {}", p.key, p.origin, p.reason)).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
    #[error("config file {}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
}

/// Collects the problems that the sections' checks find.
pub struct Checks<'a> {
    figment: &'a Figment,
    problems: Vec<Problem>,
}

impl Checks<'_> {
    /// Records `reason` for `key` unless `ok`.
    pub fn require(&mut self, key: &str, ok: bool, reason: String) {
        if !ok {
            let origin = origin_of(self.figment, key);
            self.problems.push(Problem {
                key: key.to_string(),
                origin,
                reason,
            });
        }
    }

    /// Records a problem unless `min <= value <= max`.
    pub fn range(&mut self, key: &str, value: u32, min: u32, max: u32) {
        self.require(
            key,
            (min..=max).contains(&value),
            format!("expected a whole number from {min} to {max}, got {value}"),
        );
    }
}

/// The description of where `key` (`section.field`) got its value.
fn origin_of(figment: &Figment, key: &str) -> String {
    let path: Vec<&str> = key.split('.').collect();
    figment
        .find_metadata(key)
        .map(|md| md.interpolate(&Profile::Default, &path))
        .unwrap_or_else(|| Origin::Default.to_string())
}

/// The environment variable that overrides a setting.
pub fn env_var(field: &str) -> String {
    format!("MADOGUCHI_{}", field.to_ascii_uppercase())
}

/// One layer of settings and where they came from.
struct Layer {
    origin_of: Box<dyn Fn(&str) -> Origin + Send + Sync>,
    dict: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let origins: BTreeMap<String, String> = flatten(&self.dict)
            .into_iter()
            .map(|key| {
                let field = key.rsplit('.').next().unwrap_or(&key).to_string();
                ((key), (self.origin_of)(&field).to_string())
            })
            .collect();
        let fallback = (self.origin_of)("").to_string();
        Metadata::named(fallback.clone()).interpolater(move |_: &Profile, keys: &[&str]| {
            origins
                .get(&keys.join("."))
                .cloned()
                .unwrap_or_else(|| fallback.clone())
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// The dotted keys of a two-level dict (`section.field`).
fn flatten(dict: &Dict) -> Vec<String> {
    dict.iter()
        .flat_map(|(section, v)| match v {
            Value::Dict(_, fields) => fields
                .keys()
                .map(|f| format!("{section}.{f}"))
                .collect::<Vec<_>>(),
            _ => vec![section.clone()],
        })
        .collect()
}

/// The layers, before they are merged and checked.
#[derive(Debug)]
pub struct Layers {
    figment: Figment,
    /// Each field's section and default value, from [`Config::default`].
    fields: BTreeMap<String, (String, Value)>,
}

impl Layers {
    /// The built-in defaults.
    pub fn defaults() -> Layers {
        let defaults = Value::serialize(Config::default())
            .ok()
            .and_then(|v| v.into_dict())
            .expect("the default configuration serialises to a table of sections");
        let mut fields = BTreeMap::new();
        for (section, value) in &defaults {
            if let Value::Dict(_, entries) = value {
                for (field, default) in entries {
                    fields.insert(field.clone(), (section.clone(), default.clone()));
                }
            }
        }
        let figment = Figment::new().merge(Layer {
            origin_of: Box::new(|_| Origin::Default),
            dict: defaults,
        });
        Layers { figment, fields }
    }

    /// `section.field` of a known field name.
    fn key_of(&self, field: &str) -> Option<String> {
        self.fields
            .get(field)
            .map(|(section, _)| format!("{section}.{field}"))
    }

    /// Overlays a TOML file: sections, or flat keys (each goes into its section).
    pub fn file(mut self, path: &Path) -> Result<Layers, ConfigError> {
        let file_error = |reason: String| ConfigError::File {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| file_error(e.to_string()))?;
        let mut dict = Dict::new();
        for (key, value) in table {
            let entries: Vec<(String, toml::Value)> = match value {
                toml::Value::Table(inner)
                    if self.fields.values().any(|(section, _)| *section == key) =>
                {
                    for field in inner.keys() {
                        if self.fields.get(field).map(|(s, _)| s) != Some(&key) {
                            return Err(file_error(format!(
                                "unknown setting `{field}` in [{key}]"
                            )));
                        }
                    }
                    inner.into_iter().collect()
                }
                flat => {
                    if !self.fields.contains_key(&key) {
                        return Err(file_error(format!("unknown setting `{key}`")));
                    }
                    vec![(key, flat)]
                }
            };
            for (field, value) in entries {
                let value = Value::serialize(value).map_err(|e| file_error(e.to_string()))?;
                insert(
                    &mut dict,
                    &self.key_of(&field).expect("checked above"),
                    value,
                );
            }
        }
        let origin = Origin::File(path.to_path_buf());
        self.figment = self.figment.merge(Layer {
            origin_of: Box::new(move |_| origin.clone()),
            dict,
        });
        Ok(self)
    }

    /// Overlays `MADOGUCHI_<FIELD>` variables read through `get` (std::env in production).
    pub fn env(mut self, get: impl Fn(&str) -> Option<String>) -> Layers {
        let mut dict = Dict::new();
        for (field, (section, default)) in &self.fields {
            if let Some(text) = get(&env_var(field)) {
                insert(
                    &mut dict,
                    &format!("{section}.{field}"),
                    typed(&text, default),
                );
            }
        }
        self.figment = self.figment.merge(Layer {
            origin_of: Box::new(|field| Origin::Env(env_var(field))),
            dict,
        });
        self
    }

    /// Overlays one command-line flag that sets `field`.
    pub fn flag(mut self, field: &str, flag: &str, value: Option<String>) -> Layers {
        let (Some(key), Some(text)) = (self.key_of(field), value) else {
            return self;
        };
        let default = &self.fields[field].1;
        let mut dict = Dict::new();
        insert(&mut dict, &key, typed(&text, default));
        let flag = flag.to_string();
        self.figment = self.figment.merge(Layer {
            origin_of: Box::new(move |_| Origin::Flag(flag.clone())),
            dict,
        });
        self
    }

    /// Merges, deserialises and checks every setting.
    pub fn build(self) -> Result<Config, ConfigError> {
        let mut config: Config = self.figment.extract().map_err(|e| {
            let problems = e
                .into_iter()
                .map(|e| {
                    let key = e.path.join(".");
                    Problem {
                        origin: origin_of(&self.figment, &key),
                        key,
                        reason: e.kind.to_string(),
                    }
                })
                .collect();
            ConfigError::Invalid { problems }
        })?;
        let mut checks = Checks {
            figment: &self.figment,
            problems: Vec::new(),
        };
        config.check(&mut checks);
        if checks.problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                problems: checks.problems,
            })
        }
    }
}

/// Puts `value` at `section.field` of `dict`.
fn insert(dict: &mut Dict, key: &str, value: Value) {
    let (section, field) = key.split_once('.').expect("keys are section.field");
    let entry = dict
        .entry(section.to_string())
        .or_insert_with(|| Value::from(Dict::new()));
    if let Value::Dict(_, fields) = entry {
        fields.insert(field.to_string(), value);
    }
}

/// Text from the environment or a flag, read as the type of the setting's default: a
/// number where the default is a number (text that is not one stays text, so the error
/// names it), a boolean likewise, a list as comma-separated items, anything else as text.
fn typed(text: &str, default: &Value) -> Value {
    let t = text.trim();
    match default {
        Value::Num(..) => t
            .parse::<u64>()
            .map(Value::from)
            .or_else(|_| t.parse::<i64>().map(Value::from))
            .unwrap_or_else(|_| Value::from(text.to_string())),
        Value::Bool(..) => t
            .parse::<bool>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(text.to_string())),
        Value::Array(..) => Value::from(text.to_string()),
        _ => Value::from(text.to_string()),
    }
}

impl Config {
    /// Loads the configuration the way the binary does: defaults, the file (`file`, else
    /// `MADOGUCHI_CONFIG`), the process environment, then `flags` (`(field, flag, value)`).
    pub fn load(
        file: Option<&Path>,
        flags: &[(&str, &str, Option<String>)],
    ) -> Result<Config, ConfigError> {
        let env_file = std::env::var_os("MADOGUCHI_CONFIG").map(PathBuf::from);
        let mut layers = Layers::defaults();
        if let Some(path) = file.map(Path::to_path_buf).or(env_file) {
            layers = layers.file(&path)?;
        }
        layers = layers.env(|var| std::env::var(var).ok());
        for (field, flag, value) in flags {
            layers = layers.flag(field, flag, value.clone());
        }
        layers.build()
    }

    /// The built-in defaults, checked (for tests and tools that adjust a few fields).
    pub fn defaults() -> Config {
        Layers::defaults()
            .build()
            .expect("the built-in defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::Duration;

    #[test]
    fn defaults_are_valid() {
        let c = Config::defaults();
        assert_eq!(c.server.listen.port(), 8080);
        assert_eq!(c.security.session_idle(), Duration::from_secs(30 * 60));
        assert_eq!(
            c.security.session_absolute(),
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(c.tickets.system_time_zone.name(), "Asia/Tokyo");
        assert!(!c.server.secure_cookies());
        assert_eq!(c.security.argon2_memory_kib, ARGON2_MIN_MEMORY_KIB);
    }

    #[test]
    fn file_then_env_then_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            "session_idle_minutes = 45\nbase_url = \"https://support.example.com/\"\ntrusted_proxies = [\"10.0.0.1\", \"::1\"]\nlisten = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let env: HashMap<&str, &str> = [
            ("MADOGUCHI_SESSION_IDLE_MINUTES", "20"),
            ("MADOGUCHI_SITE_DIR", "/srv/site"),
        ]
        .into();
        let config = Layers::defaults()
            .file(&path)
            .unwrap()
            .env(|v| env.get(v).map(|s| s.to_string()))
            .flag("listen", "--listen", Some("127.0.0.1:7000".into()))
            .build()
            .unwrap();
        assert_eq!(
            config.security.session_idle(),
            Duration::from_secs(20 * 60),
            "env beats file"
        );
        assert_eq!(
            config.server.base_url, "https://support.example.com",
            "file beats default, slash trimmed"
        );
        assert!(config.server.secure_cookies());
        assert_eq!(config.server.trusted_proxies.len(), 2);
        assert_eq!(config.server.site_dir, PathBuf::from("/srv/site"));
        assert_eq!(config.server.listen.port(), 7000, "flag beats file");
    }

    #[test]
    fn an_invalid_value_names_the_setting_and_its_source() {
        let err = Layers::defaults()
            .env(|v| (v == "MADOGUCHI_SESSION_IDLE_MINUTES").then(|| "soon".to_string()))
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("session_idle_minutes"), "{err}");
        assert!(err.contains("MADOGUCHI_SESSION_IDLE_MINUTES"), "{err}");
        assert!(err.contains("soon"), "{err}");
    }

    #[test]
    fn a_dictionary_folder_without_a_dictionary_is_refused() {
        let err = Layers::defaults()
            .env(|v| (v == "MADOGUCHI_DICTIONARY").then(|| "/no/such/ipadic".to_string()))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("server.dictionary") && err.contains("matrix.def"),
            "{err}"
        );
        for fine in ["auto", "none", ""] {
            let config = Layers::defaults()
                .env(|v| (v == "MADOGUCHI_DICTIONARY").then(|| fine.to_string()))
                .build()
                .unwrap();
            assert!(config.server.dictionary_choice().problem().is_none());
        }
    }

    #[test]
    fn weak_argon2_parameters_are_refused() {
        let err = Layers::defaults()
            .env(|v| (v == "MADOGUCHI_ARGON2_MEMORY_KIB").then(|| "1024".to_string()))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("argon2_memory_kib") && err.contains("19456"),
            "{err}"
        );
    }

    #[test]
    fn unknown_file_keys_are_errors_and_secrets_stay_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "sesion_idle_minutes = 5\n").unwrap();
        let err = Layers::defaults().file(&path).unwrap_err().to_string();
        assert!(
            err.contains("unknown setting `sesion_idle_minutes`"),
            "{err}"
        );

        let err = Layers::defaults()
            .env(|v| (v == "MADOGUCHI_DATABASE_URL").then(|| "mysql://root:hunter2@db".to_string()))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("database_url") && !err.contains("hunter2"),
            "{err}"
        );

        let mut config = Config::defaults();
        config.database.database_url = Secret::new("postgres://u:hunter2@db/x");
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn sections_in_the_file_and_lists_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            "[security]\nlogin_window_minutes = 20\n\n[server]\nbase_url = \"https://s.example\"\n",
        )
        .unwrap();
        let config = Layers::defaults()
            .file(&path)
            .unwrap()
            .env(|v| (v == "MADOGUCHI_TRUSTED_PROXIES").then(|| "10.0.0.1, 10.0.0.2".to_string()))
            .build()
            .unwrap();
        assert_eq!(config.security.login_window_minutes, 20);
        assert_eq!(config.server.base_url, "https://s.example");
        assert_eq!(config.server.trusted_proxies.len(), 2);

        std::fs::write(&path, "[security]\nlisten = \"0.0.0.0:1\"\n").unwrap();
        let err = Layers::defaults().file(&path).err().unwrap().to_string();
        assert!(
            err.contains("unknown setting `listen` in [security]"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_value_in_a_file_section_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "[database]\ndatabase_max_connections = 0\n").unwrap();
        let err = Layers::defaults()
            .file(&path)
            .unwrap()
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("database.database_max_connections") && err.contains("m.toml"),
            "{err}"
        );
    }

    #[test]
    fn field_names_are_unique_across_sections() {
        // Each field has one environment variable; two sections with the same field name
        // would make one of them unreachable.
        let value = Value::serialize(Config::default()).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for (_, section) in value.into_dict().unwrap() {
            for field in section.into_dict().unwrap().keys() {
                assert!(seen.insert(field.clone()), "{field} is in two sections");
            }
        }
    }
}
