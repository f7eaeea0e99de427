//! Configuration: one [`Config`] struct, loaded once at start-up from, in order of
//! increasing precedence, built-in defaults, a TOML file (`--config FILE` or
//! `MADOGUCHI_CONFIG`), environment variables `MADOGUCHI_<KEY>` (the key upper-cased), and
//! command-line flags. Every source is reduced to `key → text` first, so one parser per
//! setting serves them all and an invalid value is reported the same way wherever it came
//! from: the setting's name, where the value came from, and what is expected. Secrets (the
//! database URL may hold a password) are never printed, not even by `Debug`.

use crate::domain::TimeZone;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Argon2id's floor for this service (OWASP's recommendation): 19 MiB, 2 passes, 1 lane.
pub const ARGON2_MIN_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_MIN_ITERATIONS: u32 = 2;
pub const ARGON2_MIN_PARALLELISM: u32 = 1;

/// The whole configuration of the service.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: Secret,
    pub database_max_connections: u32,
    /// The public URL of the service, without a trailing slash; links in mail use it,
    /// never the request's Host header. `https` makes cookies `Secure`.
    pub base_url: String,
    /// The folder kb-builder builds: `public/`, `customer/`, `internal/`.
    pub site_dir: PathBuf,
    /// The theme (templates, static assets, UI strings).
    pub theme_dir: PathBuf,
    /// The file mail transport writes one `.eml` file per message here.
    pub mail_dir: PathBuf,
    /// The `From:` of mail the service sends.
    pub mail_from: String,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub login_window: Duration,
    pub reset_token_lifetime: Duration,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// The vendor's time zone: "today" for contract periods.
    pub system_time_zone: TimeZone,
}

/// A string that `Debug` and `Display` never show.
#[derive(Clone, PartialEq, Eq)]
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid setting `{key}` (from {origin}): {reason}")]
    Invalid {
        key: &'static str,
        origin: Origin,
        reason: String,
    },
    #[error("config file {}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
}

/// Every setting: key, default, parser's promise (used in messages).
const SETTINGS: &[(&str, &str)] = &[
    ("listen", "127.0.0.1:8080"),
    ("database_url", "sqlite://data/madoguchi.db"),
    ("database_max_connections", "10"),
    ("base_url", "http://127.0.0.1:8080"),
    ("site_dir", "site"),
    ("theme_dir", ""),
    ("mail_dir", "data/mail"),
    ("mail_from", "Madoguchi <support@example.com>"),
    ("session_idle_minutes", "30"),
    ("session_absolute_hours", "12"),
    ("trusted_proxies", ""),
    ("login_max_failures_per_account", "5"),
    ("login_max_failures_per_address", "20"),
    ("login_window_minutes", "15"),
    ("reset_token_minutes", "30"),
    ("argon2_memory_kib", "19456"),
    ("argon2_iterations", "2"),
    ("argon2_parallelism", "1"),
    ("system_time_zone", "Asia/Tokyo"),
];

/// The environment variable that overrides `key`.
pub fn env_var(key: &str) -> String {
    format!("MADOGUCHI_{}", key.to_ascii_uppercase())
}

/// The raw layers, before parsing.
#[derive(Debug, Default)]
pub struct Layers {
    values: BTreeMap<&'static str, (String, Origin)>,
}

impl Layers {
    /// The built-in defaults.
    pub fn defaults() -> Layers {
        let mut layers = Layers::default();
        for (key, value) in SETTINGS {
            layers
                .values
                .insert(key, (value.to_string(), Origin::Default));
        }
        layers
    }

    /// Overlays a TOML file (flat `key = value`; unknown keys are an error, so a typo does
    /// not silently leave a default in place).
    pub fn file(mut self, path: &Path) -> Result<Layers, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        for (key, value) in table {
            let known = known_key(&key).ok_or_else(|| ConfigError::File {
                path: path.to_path_buf(),
                reason: format!("unknown setting `{key}`"),
            })?;
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => {
                    return Err(ConfigError::Invalid {
                        key: known,
                        origin: Origin::File(path.to_path_buf()),
                        reason: format!("expected a string or number, found {}", other.type_str()),
                    })
                }
            };
            self.values
                .insert(known, (text, Origin::File(path.to_path_buf())));
        }
        Ok(self)
    }

    /// Overlays `MADOGUCHI_<KEY>` variables read through `get` (std::env in production).
    pub fn env(mut self, get: impl Fn(&str) -> Option<String>) -> Layers {
        for (key, _) in SETTINGS {
            let var = env_var(key);
            if let Some(value) = get(&var) {
                self.values.insert(key, (value, Origin::Env(var)));
            }
        }
        self
    }

    /// Overlays one command-line flag.
    pub fn flag(mut self, key: &str, flag: &str, value: Option<String>) -> Layers {
        if let (Some(key), Some(value)) = (known_key(key), value) {
            self.values
                .insert(key, (value, Origin::Flag(flag.to_string())));
        }
        self
    }

    fn get(&self, key: &'static str) -> (&str, &Origin) {
        let (v, o) = self.values.get(key).expect("every setting has a default");
        (v.as_str(), o)
    }

    /// Parses and checks every setting.
    pub fn build(self) -> Result<Config, ConfigError> {
        let p = Parser { layers: &self };
        let base_url = p.parse("base_url", "an http:// or https:// URL", |s| {
            let s = s.trim().trim_end_matches('/');
            let rest = s
                .strip_prefix("https://")
                .or_else(|| s.strip_prefix("http://"))?;
            (!rest.is_empty() && !rest.contains(char::is_whitespace)).then(|| s.to_string())
        })?;
        let theme_dir = p.parse("theme_dir", "a folder", |s| {
            Some(if s.is_empty() {
                kb_builder::theme::default_dir()
            } else {
                PathBuf::from(s)
            })
        })?;
        let config = Config {
            listen: p.parse(
                "listen",
                "an address and port such as 127.0.0.1:8080",
                |s| s.trim().parse().ok(),
            )?,
            database_url: p.secret("database_url", "a sqlite:// or postgres:// URL", |s| {
                let s = s.trim();
                (s.starts_with("sqlite:")
                    || s.starts_with("postgres://")
                    || s.starts_with("postgresql://"))
                .then(|| Secret::new(s))
            })?,
            database_max_connections: p.number("database_max_connections", 1, 1000)?,
            base_url,
            site_dir: p.parse("site_dir", "a folder", |s| {
                (!s.is_empty()).then(|| PathBuf::from(s))
            })?,
            theme_dir,
            mail_dir: p.parse("mail_dir", "a folder", |s| {
                (!s.is_empty()).then(|| PathBuf::from(s))
            })?,
            mail_from: p.parse(
                "mail_from",
                "a mailbox such as \"Support <support@example.com>\"",
                |s| {
                    s.parse::<lettre::message::Mailbox>()
                        .ok()
                        .map(|_| s.to_string())
                },
            )?,
            session_idle: Duration::from_secs(
                60 * u64::from(p.number("session_idle_minutes", 1, 7 * 24 * 60)?),
            ),
            session_absolute: Duration::from_secs(
                3600 * u64::from(p.number("session_absolute_hours", 1, 24 * 90)?),
            ),
            trusted_proxies: p.parse(
                "trusted_proxies",
                "a comma-separated list of IP addresses",
                |s| {
                    s.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(|x| x.parse::<IpAddr>().ok())
                        .collect::<Option<Vec<_>>>()
                },
            )?,
            login_max_failures_per_account: p.number("login_max_failures_per_account", 1, 1000)?,
            login_max_failures_per_address: p.number(
                "login_max_failures_per_address",
                1,
                100_000,
            )?,
            login_window: Duration::from_secs(
                60 * u64::from(p.number("login_window_minutes", 1, 24 * 60)?),
            ),
            reset_token_lifetime: Duration::from_secs(
                60 * u64::from(p.number("reset_token_minutes", 5, 24 * 60)?),
            ),
            argon2_memory_kib: p.number(
                "argon2_memory_kib",
                ARGON2_MIN_MEMORY_KIB,
                4 * 1024 * 1024,
            )?,
            argon2_iterations: p.number("argon2_iterations", ARGON2_MIN_ITERATIONS, 100)?,
            argon2_parallelism: p.number("argon2_parallelism", ARGON2_MIN_PARALLELISM, 64)?,
            system_time_zone: p.parse(
                "system_time_zone",
                "an IANA time zone name such as Asia/Tokyo",
                |s| TimeZone::parse(s).ok(),
            )?,
        };
        if config.session_absolute < config.session_idle {
            return Err(ConfigError::Invalid {
                key: "session_absolute_hours",
                origin: self.get("session_absolute_hours").1.clone(),
                reason: "must not be shorter than session_idle_minutes".into(),
            });
        }
        Ok(config)
    }
}

fn known_key(key: &str) -> Option<&'static str> {
    SETTINGS.iter().map(|(k, _)| *k).find(|k| *k == key)
}

struct Parser<'a> {
    layers: &'a Layers,
}

impl Parser<'_> {
    fn parse<T>(
        &self,
        key: &'static str,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        self.parse_shown(key, expected, true, f)
    }

    /// Like `parse`, but the message does not repeat the value.
    fn secret<T>(
        &self,
        key: &'static str,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        self.parse_shown(key, expected, false, f)
    }

    fn parse_shown<T>(
        &self,
        key: &'static str,
        expected: &str,
        show_value: bool,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        let (value, origin) = self.layers.get(key);
        f(value).ok_or_else(|| ConfigError::Invalid {
            key,
            origin: origin.clone(),
            reason: if show_value {
                format!("expected {expected}, got {value:?}")
            } else {
                format!("expected {expected} (value not shown)")
            },
        })
    }

    fn number(&self, key: &'static str, min: u32, max: u32) -> Result<u32, ConfigError> {
        self.parse(key, &format!("a whole number from {min} to {max}"), |s| {
            s.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
        })
    }
}

impl Config {
    /// Loads the configuration the way the binary does: defaults, the file (`file`, else
    /// `MADOGUCHI_CONFIG`), the process environment, then `flags` (`(key, flag, value)`).
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
        for (key, flag, value) in flags {
            layers = layers.flag(key, flag, value.clone());
        }
        layers.build()
    }

    /// The built-in defaults, parsed (for tests and tools that adjust a few fields).
    pub fn defaults() -> Config {
        Layers::defaults()
            .build()
            .expect("the built-in defaults are valid")
    }

    /// Whether cookies must be `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_are_valid() {
        let c = Config::defaults();
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.session_idle, Duration::from_secs(30 * 60));
        assert_eq!(c.session_absolute, Duration::from_secs(12 * 3600));
        assert_eq!(c.system_time_zone.name(), "Asia/Tokyo");
        assert!(!c.secure_cookies());
        assert_eq!(c.argon2_memory_kib, ARGON2_MIN_MEMORY_KIB);
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
            config.session_idle,
            Duration::from_secs(20 * 60),
            "env beats file"
        );
        assert_eq!(
            config.base_url, "https://support.example.com",
            "file beats default, slash trimmed"
        );
        assert!(config.secure_cookies());
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.site_dir, PathBuf::from("/srv/site"));
        assert_eq!(config.listen.port(), 7000, "flag beats file");
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
        config.database_url = Secret::new("postgres://u:hunter2@db/x");
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
