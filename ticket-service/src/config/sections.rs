//! The settings, grouped by concern. **This file is the one place to add a setting**: a
//! field in its section with a doc comment, its default in the section's `Default`, and, if
//! it has limits, a line in the section's `check`. The loader (`config::load`) finds every
//! field by itself: its TOML key is `[section] field`, its environment variable
//! `MADOGUCHI_<FIELD>` (field names are unique across sections, which a test checks), and
//! a command-line flag may override it.

use super::{Checks, Secret};
use crate::domain::{SystemId, TimeZone};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Argon2id's floor for this service (OWASP's recommendation): 19 MiB, 2 passes, 1 lane.
pub const ARGON2_MIN_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_MIN_ITERATIONS: u32 = 2;
pub const ARGON2_MIN_PARALLELISM: u32 = 1;

/// `[server]`: where the service listens, what it serves, who it believes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Server {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The public URL of the service, without a trailing slash; links in mail use it,
    /// never the request's Host header. `https` makes cookies `Secure`.
    pub base_url: String,
    /// The folder kb-builder builds: `public/`, `customer/`, `internal/`.
    pub site_dir: PathBuf,
    /// The theme (templates, static assets, UI strings).
    pub theme_dir: PathBuf,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies). In the environment a
    /// comma-separated list.
    #[serde(deserialize_with = "super::list_or_commas")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Largest body of a form without files, in KiB; larger ones get 413 (forms with
    /// files have `[tickets] attachment_max_request_mib`).
    pub max_form_kib: u32,
    /// A request's header must arrive within this many seconds of the server waiting for
    /// it, or the connection is closed. Waiting for the next request on a kept-alive
    /// connection counts, so this is also how long a quiet keep-alive connection stays open.
    pub header_timeout_secs: u32,
    /// The next piece of a request body must arrive within this many seconds, or the
    /// request fails and the connection is closed.
    pub body_timeout_secs: u32,
    /// A connection on which no byte moves either way for this many seconds is closed
    /// (a client that stops reading a response, a stalled upload).
    pub idle_timeout_secs: u32,
    /// The Japanese dictionary search reads questions with (an IPADIC source folder, as
    /// Debian's mecab-ipadic installs at /usr/share/mecab/dic/ipadic): `auto` looks there,
    /// `none` turns it off (search then matches character bigrams only), or a folder.
    pub dictionary: String,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: "http://127.0.0.1:8080".into(),
            site_dir: "site".into(),
            theme_dir: kb_builder::theme::default_dir(),
            trusted_proxies: Vec::new(),
            max_form_kib: 1024,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            idle_timeout_secs: 60,
            dictionary: "auto".into(),
        }
    }
}

impl Server {
    fn check(&mut self, c: &mut Checks) {
        let url = self.base_url.trim().trim_end_matches('/').to_string();
        let ok = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
        c.require(
            "server.base_url",
            ok,
            format!(
                "expected an http:// or https:// URL, got {:?}",
                self.base_url
            ),
        );
        self.base_url = url;
        c.require(
            "server.site_dir",
            !self.site_dir.as_os_str().is_empty(),
            "expected a folder".into(),
        );
        if self.theme_dir.as_os_str().is_empty() {
            self.theme_dir = kb_builder::theme::default_dir();
        }
        c.range("server.max_form_kib", self.max_form_kib, 16, 64 * 1024);
        c.range(
            "server.header_timeout_secs",
            self.header_timeout_secs,
            1,
            3600,
        );
        c.range("server.body_timeout_secs", self.body_timeout_secs, 1, 3600);
        c.range(
            "server.idle_timeout_secs",
            self.idle_timeout_secs,
            1,
            24 * 3600,
        );
        let problem = self.dictionary_choice().problem();
        c.require(
            "server.dictionary",
            problem.is_none(),
            problem.unwrap_or_default(),
        );
    }

    /// `dictionary`, read.
    pub fn dictionary_choice(&self) -> kb_builder::search::dictionary::Choice {
        kb_builder::search::dictionary::Choice::parse(&self.dictionary)
    }

    /// The body limit of forms without files, in bytes.
    pub fn max_form_bytes(&self) -> u64 {
        u64::from(self.max_form_kib) * 1024
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.header_timeout_secs))
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.body_timeout_secs))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.idle_timeout_secs))
    }

    /// Whether cookies must be `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// `[database]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// `sqlite://path` or `postgres://…`; may hold a password, so it is never printed.
    pub database_url: Secret,
    /// Connections in the pool.
    pub database_max_connections: u32,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            database_url: Secret::new("sqlite://data/madoguchi.db"),
            database_max_connections: 10,
        }
    }
}

impl Database {
    fn check(&mut self, c: &mut Checks) {
        let url = self.database_url.expose().trim();
        c.require(
            "database.database_url",
            url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"),
            "expected a sqlite:// or postgres:// URL (value not shown)".into(),
        );
        c.range(
            "database.database_max_connections",
            self.database_max_connections,
            1,
            1000,
        );
    }
}

/// `[security]`: sessions, login limits, password resets, password hashing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    /// A session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// A session ends this long after login, however busy.
    pub session_absolute_hours: u32,
    /// How long a page that only reads (GET, HEAD) may reuse the session, user and
    /// company another request of this instance read, instead of asking the database.
    /// Changes made through this instance are seen at once; a logout or password change
    /// made through another instance (or the admin command) within this many seconds.
    /// 0 turns the cache off.
    pub session_cache_seconds: u32,
    /// Failed logins per account per window.
    pub login_max_failures_per_account: u32,
    /// Failed logins per client address per window.
    pub login_max_failures_per_address: u32,
    /// The rate-limit window; also the window of the reset-mail limits.
    pub login_window_minutes: u32,
    /// How long a password-reset link works.
    pub reset_token_minutes: u32,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Password hashes running at once; 0 means one per core. Each holds
    /// `argon2_memory_kib` while it runs.
    pub max_concurrent_hashes: u32,
    /// Hashes that may wait for a turn (a few seconds at most) before logins get 503;
    /// 0 means four per running hash.
    pub hash_queue: u32,
    /// How hard a new password must be to guess, by zxcvbn's estimate: 0 (off) to 4.
    /// 3 means more than 10⁸ guesses; refused passwords are told why.
    pub min_password_score: u32,
    /// A customer whose company's contract ended keeps reading their tickets, but the
    /// customer-only articles of `/kb/` close this many days after the contract's end (they
    /// get a page saying why, with the renewal article and the public edition).
    pub contract_kb_grace_days: u32,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            session_cache_seconds: 2,
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            login_window_minutes: 15,
            reset_token_minutes: 30,
            argon2_memory_kib: ARGON2_MIN_MEMORY_KIB,
            argon2_iterations: ARGON2_MIN_ITERATIONS,
            argon2_parallelism: ARGON2_MIN_PARALLELISM,
            max_concurrent_hashes: 0,
            hash_queue: 0,
            min_password_score: u32::from(crate::domain::Password::DEFAULT_MIN_SCORE),
            contract_kb_grace_days: 30,
        }
    }
}

impl Security {
    fn check(&mut self, c: &mut Checks) {
        c.range(
            "security.session_idle_minutes",
            self.session_idle_minutes,
            1,
            7 * 24 * 60,
        );
        c.range(
            "security.session_absolute_hours",
            self.session_absolute_hours,
            1,
            24 * 90,
        );
        c.require(
            "security.session_absolute_hours",
            self.session_absolute() >= self.session_idle(),
            "must not be shorter than session_idle_minutes".into(),
        );
        c.range(
            "security.session_cache_seconds",
            self.session_cache_seconds,
            0,
            60,
        );
        c.range(
            "security.login_max_failures_per_account",
            self.login_max_failures_per_account,
            1,
            1000,
        );
        c.range(
            "security.login_max_failures_per_address",
            self.login_max_failures_per_address,
            1,
            100_000,
        );
        c.range(
            "security.login_window_minutes",
            self.login_window_minutes,
            1,
            24 * 60,
        );
        c.range(
            "security.reset_token_minutes",
            self.reset_token_minutes,
            5,
            24 * 60,
        );
        c.range(
            "security.argon2_memory_kib",
            self.argon2_memory_kib,
            ARGON2_MIN_MEMORY_KIB,
            4 * 1024 * 1024,
        );
        c.range(
            "security.argon2_iterations",
            self.argon2_iterations,
            ARGON2_MIN_ITERATIONS,
            100,
        );
        c.range(
            "security.argon2_parallelism",
            self.argon2_parallelism,
            ARGON2_MIN_PARALLELISM,
            64,
        );
        c.range(
            "security.max_concurrent_hashes",
            self.max_concurrent_hashes,
            0,
            1024,
        );
        c.range("security.hash_queue", self.hash_queue, 0, 100_000);
        c.range(
            "security.min_password_score",
            self.min_password_score,
            0,
            u32::from(crate::domain::Password::MAX_SCORE),
        );
        c.range(
            "security.contract_kb_grace_days",
            self.contract_kb_grace_days,
            0,
            10 * 365,
        );
    }

    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(60 * u64::from(self.session_idle_minutes))
    }

    pub fn session_cache(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_cache_seconds))
    }

    pub fn session_absolute(&self) -> Duration {
        Duration::from_secs(3600 * u64::from(self.session_absolute_hours))
    }

    pub fn login_window(&self) -> Duration {
        Duration::from_secs(60 * u64::from(self.login_window_minutes))
    }

    /// `min_password_score` as the estimator's scale (checked to be 0–4).
    pub fn password_score(&self) -> u8 {
        u8::try_from(self.min_password_score).unwrap_or(crate::domain::Password::MAX_SCORE)
    }

    pub fn reset_token_lifetime(&self) -> Duration {
        Duration::from_secs(60 * u64::from(self.reset_token_minutes))
    }
}

/// `[mail]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mail {
    /// The SMTP server mail goes through; empty means no SMTP: every message is written as
    /// an `.eml` file into `mail_dir` instead (development, the demo, a pickup folder).
    pub smtp_host: String,
    /// 0 means the usual port of `smtp_tls`: 25 for `none`, 587 for `starttls`, 465 for
    /// `tls`.
    pub smtp_port: u32,
    /// `none` (plain, for a relay on localhost), `starttls` (upgrade on the submission
    /// port) or `tls` (implicit TLS). Certificates are checked against the system's CAs.
    pub smtp_tls: SmtpTls,
    /// The SMTP login, if the server wants one.
    pub smtp_user: String,
    /// Never printed.
    pub smtp_password: Secret,
    /// How long one SMTP conversation may take.
    pub smtp_timeout_seconds: u32,
    /// The file transport writes one `.eml` file per message here.
    pub mail_dir: PathBuf,
    /// The `From:` of mail the service sends.
    pub mail_from: String,
    /// The first retry of a message that could not be sent waits this long; each further
    /// one twice as long as the one before …
    pub mail_retry_first_seconds: u32,
    /// … but never longer than this.
    pub mail_retry_max_minutes: u32,
    /// After this many attempts a message is marked failed (`admin outbox retry` sends it
    /// again).
    pub mail_max_attempts: u32,
    /// The signature under every ticket mail, by language.
    pub mail_signature_ja: String,
    pub mail_signature_en: String,
    /// The support hours quoted in ticket mail, by language.
    pub support_hours_ja: String,
    pub support_hours_en: String,
    /// Whether a customer's colleagues (the company's other contacts) get the mail about
    /// their company's tickets too, or only the customer who opened the ticket.
    pub notify_company_contacts: bool,
    /// The language of the mail to the queues' agent addresses.
    pub agent_mail_language: kb_builder::Language,
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

impl Default for Mail {
    fn default() -> Self {
        Mail {
            smtp_host: String::new(),
            smtp_port: 0,
            smtp_tls: SmtpTls::Starttls,
            smtp_user: String::new(),
            smtp_password: Secret::default(),
            smtp_timeout_seconds: 30,
            mail_dir: "data/mail".into(),
            mail_from: "Madoguchi <support@example.com>".into(),
            mail_retry_first_seconds: 5,
            mail_retry_max_minutes: 60,
            mail_max_attempts: 50,
            mail_signature_ja: "サポート窓口".into(),
            mail_signature_en: "Support desk".into(),
            support_hours_ja: "平日 9:00〜17:30（土日祝日・年末年始を除く）".into(),
            support_hours_en: "Weekdays 9:00–17:30 JST (except Japanese public holidays)".into(),
            notify_company_contacts: false,
            agent_mail_language: kb_builder::Language::Ja,
        }
    }
}

impl Mail {
    fn check(&mut self, c: &mut Checks) {
        c.require(
            "mail.mail_dir",
            !self.mail_dir.as_os_str().is_empty(),
            "expected a folder".into(),
        );
        c.require(
            "mail.mail_from",
            self.mail_from.parse::<lettre::message::Mailbox>().is_ok(),
            format!(
                "expected a mailbox such as \"Support <support@example.com>\", got {:?}",
                self.mail_from
            ),
        );
        c.range(
            "mail.mail_retry_first_seconds",
            self.mail_retry_first_seconds,
            1,
            3600,
        );
        c.range(
            "mail.mail_retry_max_minutes",
            self.mail_retry_max_minutes,
            1,
            24 * 60,
        );
        c.range("mail.mail_max_attempts", self.mail_max_attempts, 1, 10_000);
        c.range("mail.smtp_port", self.smtp_port, 0, 65_535);
        c.range(
            "mail.smtp_timeout_seconds",
            self.smtp_timeout_seconds,
            1,
            600,
        );
        c.require(
            "mail.smtp_host",
            !self.smtp_host.contains(char::is_whitespace),
            format!("expected a host name or address, got {:?}", self.smtp_host),
        );
        c.require(
            "mail.smtp_user",
            self.smtp_user.is_empty() || !self.smtp_password.expose().is_empty(),
            "smtp_user is set, so smtp_password must be too".into(),
        );
    }

    /// The SMTP port in use.
    pub fn smtp_port(&self) -> u16 {
        match (self.smtp_port, self.smtp_tls) {
            (0, SmtpTls::None) => 25,
            (0, SmtpTls::Starttls) => 587,
            (0, SmtpTls::Tls) => 465,
            (p, _) => u16::try_from(p).unwrap_or(587),
        }
    }
}

/// One entry of a configured list (a ticket type): a stable number and its labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stored with each ticket; never reuse a number for something else.
    pub id: u32,
    pub ja: String,
    pub en: String,
}

/// A queue ("宛先"): a product, where its tickets go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// Stored with each ticket; never reuse a number for something else.
    pub id: u32,
    pub ja: String,
    pub en: String,
    /// The agents' address for this queue's notifications (new tickets, replies); none
    /// means no mail to agents for it.
    #[serde(default)]
    pub agent_address: Option<String>,
}

/// A field a ticket form asks for besides the fixed ones (text, one line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicField {
    /// The key the value is stored under (`a-z`, `0-9`, `_`).
    pub key: String,
    pub ja: String,
    pub en: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default = "default_field_chars")]
    pub max_chars: u32,
}

fn default_field_chars() -> u32 {
    200
}

/// `[tickets]`. The lists (`ticket_types`, `queues`, `dynamic_fields`) are arrays of
/// tables in the file (`[[tickets.queues]]`); they cannot be set from the environment.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tickets {
    /// The vendor's time zone: "today" for contract periods and ticket numbers.
    pub system_time_zone: TimeZone,
    /// The two digits after the date in ticket numbers.
    pub system_id: SystemId,
    /// タイプ: what kind of request a ticket is.
    pub ticket_types: Vec<Choice>,
    /// 宛先: the products.
    pub queues: Vec<Queue>,
    /// Further fields of the new-ticket form.
    pub dynamic_fields: Vec<DynamicField>,
    /// Largest attachment, in MiB.
    pub attachment_max_file_mib: u32,
    /// Largest upload (all files and fields of one form), in MiB.
    pub attachment_max_request_mib: u32,
    /// Uploads read at once; each may hold `attachment_max_request_mib` in memory.
    pub max_concurrent_uploads: u32,
    /// The FAQ number of the article on renewing a maintenance contract, linked for
    /// customers whose contract has ended. Make it public: they lose the customer edition
    /// after the grace period.
    pub renewal_article: u32,
    /// A ticket in カスタマー確認中 (awaiting customer) with no customer reply for this many
    /// days moves to クローズ確認中 (pending close).
    pub awaiting_customer_days: u32,
    /// A ticket in クローズ確認中 with no customer reply for this many days moves to 完了.
    pub pending_close_days: u32,
}

impl Default for Tickets {
    fn default() -> Self {
        let choice = |id, ja: &str, en: &str| Choice {
            id,
            ja: ja.into(),
            en: en.into(),
        };
        let queue = |id, ja: &str, en: &str| Queue {
            id,
            ja: ja.into(),
            en: en.into(),
            agent_address: None,
        };
        Tickets {
            system_time_zone: TimeZone::default(),
            system_id: SystemId::default(),
            ticket_types: vec![
                choice(
                    1,
                    "仕様・操作に関するご質問",
                    "Question about features or operation",
                ),
                choice(2, "障害・不具合の調査", "Incident or defect investigation"),
                choice(
                    3,
                    "設定変更・作業のご依頼",
                    "Configuration change or work request",
                ),
                choice(4, "ライセンス・契約", "License and contract"),
                choice(5, "バージョンアップ", "Upgrade"),
                choice(6, "ご要望", "Feature request"),
                choice(7, "ハードウェア交換", "Hardware replacement"),
                choice(8, "サーバログ調査", "Server log investigation"),
                choice(9, "その他", "Other"),
            ],
            queues: vec![
                queue(1, "SoraMail Gateway", "SoraMail Gateway"),
                queue(2, "SoraMail Archive", "SoraMail Archive"),
                queue(3, "SoraMail Webmail", "SoraMail Webmail"),
                queue(4, "契約・その他", "Contract and other"),
            ],
            dynamic_fields: vec![DynamicField {
                key: "end_user".into(),
                ja: "エンドユーザ名".into(),
                en: "End user name".into(),
                required: true,
                max_chars: 200,
            }],
            attachment_max_file_mib: 10,
            attachment_max_request_mib: 25,
            max_concurrent_uploads: 4,
            renewal_article: 1303,
            awaiting_customer_days: 14,
            pending_close_days: 7,
        }
    }
}

impl Tickets {
    fn check(&mut self, c: &mut Checks) {
        let unique = |ids: Vec<u32>| {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() == ids.len()
        };
        let labelled = |ja: &str, en: &str| !ja.trim().is_empty() && !en.trim().is_empty();
        c.require(
            "tickets.ticket_types",
            !self.ticket_types.is_empty()
                && unique(self.ticket_types.iter().map(|t| t.id).collect())
                && self.ticket_types.iter().all(|t| labelled(&t.ja, &t.en)),
            "expected at least one type, each with a unique id and ja and en labels".into(),
        );
        c.require(
            "tickets.queues",
            !self.queues.is_empty()
                && unique(self.queues.iter().map(|q| q.id).collect())
                && self.queues.iter().all(|q| labelled(&q.ja, &q.en))
                && self.queues.iter().all(|q| {
                    q.agent_address
                        .as_deref()
                        .is_none_or(|a| a.parse::<lettre::Address>().is_ok())
                }),
            "expected at least one queue, each with a unique id, ja and en labels, and a valid              agent_address if any"
                .into(),
        );
        let mut keys: Vec<&str> = self.dynamic_fields.iter().map(|f| f.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        c.require(
            "tickets.dynamic_fields",
            keys.len() == self.dynamic_fields.len()
                && self.dynamic_fields.iter().all(|f| {
                    !f.key.is_empty()
                        && f.key
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                        && labelled(&f.ja, &f.en)
                        && (1..=10_000).contains(&f.max_chars)
                }),
            "expected unique keys of a-z, 0-9 and _, ja and en labels, and max_chars from 1 \
             to 10000"
                .into(),
        );
        c.range(
            "tickets.attachment_max_file_mib",
            self.attachment_max_file_mib,
            1,
            1024,
        );
        c.range(
            "tickets.attachment_max_request_mib",
            self.attachment_max_request_mib,
            self.attachment_max_file_mib,
            4096,
        );
        c.range(
            "tickets.awaiting_customer_days",
            self.awaiting_customer_days,
            1,
            365,
        );
        c.range(
            "tickets.pending_close_days",
            self.pending_close_days,
            1,
            365,
        );
        c.range(
            "tickets.max_concurrent_uploads",
            self.max_concurrent_uploads,
            1,
            1024,
        );
    }

    pub fn ticket_type(&self, id: u32) -> Option<&Choice> {
        self.ticket_types.iter().find(|t| t.id == id)
    }

    pub fn queue(&self, id: u32) -> Option<&Queue> {
        self.queues.iter().find(|q| q.id == id)
    }

    pub fn attachment_max_file_bytes(&self) -> u64 {
        u64::from(self.attachment_max_file_mib) * 1024 * 1024
    }

    pub fn attachment_max_request_bytes(&self) -> u64 {
        u64::from(self.attachment_max_request_mib) * 1024 * 1024
    }
}

/// The whole configuration of the service.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: Server,
    pub database: Database,
    pub security: Security,
    pub mail: Mail,
    pub tickets: Tickets,
}

impl Config {
    /// Normalises and checks every section; every problem found goes into `c`.
    pub(super) fn check(&mut self, c: &mut Checks) {
        self.server.check(c);
        self.database.check(c);
        self.security.check(c);
        self.mail.check(c);
        self.tickets.check(c);
    }
}
