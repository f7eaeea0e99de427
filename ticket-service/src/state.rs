//! [`AppState`]: the services, assembled once at start-up and shared (cheaply cloned) by the
//! web layer and the command line. Each service got what it needs when it was built —
//! database, clock, hasher, mail, its part of the configuration — so below this module
//! nothing sees the whole state.

use crate::accounts::Accounts;
use crate::auth::api_tokens::ApiTokens;
use crate::auth::limits::Limiter;
use crate::auth::login::Logins;
use crate::auth::password::{HashBound, PasswordHasher};
use crate::auth::reset::Resets;
use crate::auth::session::Sessions;
use crate::clock::Clock;
use crate::config::Config;
use crate::faq::Faq;
use crate::mail::Mail;
use crate::search::SearchIndexes;
use crate::store::{secrets, Db};
use crate::tickets::notify::Notifier;
use crate::tickets::Tickets;
use crate::token::{random_token, FormKey};
use anyhow::Context as _;
use kb_builder::theme::Theme;
use std::sync::Arc;

/// Everything handlers and commands use, behind one `Arc`: axum clones the state for
/// every middleware and extractor that asks for it, several times a request, and a deep
/// clone of the services (dozens of reference counts and a few strings) was a fifth of
/// the CPU time of a `/kb/` page (perf, `tests/bench/static.sh`). Fields are reached
/// through `Deref` (`state.config`, `state.sessions`).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services and what they share (see [`AppState`]).
pub struct Services {
    pub config: Arc<Config>,
    /// For the readiness probe and tests; services hold their own handle.
    pub db: Db,
    pub theme: Arc<Theme>,
    pub clock: Clock,
    /// Signs the CSRF tokens of anonymous forms.
    pub form_key: FormKey,
    pub sessions: Sessions,
    pub logins: Logins,
    pub resets: Resets,
    pub accounts: Accounts,
    /// Personal tokens for the JSON API.
    pub api_tokens: ApiTokens,
    pub tickets: Tickets,
    pub faq: Faq,
    pub mail: Mail,
    /// The knowledge base's search indexes (reopened after each rebuild of the site).
    pub search: Arc<SearchIndexes>,
    /// Small static files of the editions and the theme, held in memory (`file_cache`).
    pub files: Arc<crate::file_cache::FileCache>,
    /// Turns to read a request body with files (each may hold up to the request limit in
    /// memory).
    pub uploads: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Connects to the database, migrates it, loads the theme and builds the services.
    pub async fn build(config: Config) -> anyhow::Result<AppState> {
        let db = Db::connect(
            config.database.database_url.expose(),
            config.database.database_max_connections,
        )
        .await?;
        db.migrate().await?;
        let clock = Clock::default();
        let secret = secrets::get_or_create(&db, "form_key", &random_token(), clock.now())
            .await
            .context("reading the installation's form key")?;
        AppState::assemble(config, db, clock, FormKey::from_secret(&secret))
    }

    /// Builds the services on an already connected database.
    pub fn assemble(
        config: Config,
        db: Db,
        clock: Clock,
        form_key: FormKey,
    ) -> anyhow::Result<AppState> {
        let theme =
            Arc::new(Theme::load(&config.server.theme_dir).with_context(|| {
                format!("loading the theme {}", config.server.theme_dir.display())
            })?);
        let security = &config.security;
        let hasher = PasswordHasher::new(
            security.argon2_memory_kib,
            security.argon2_iterations,
            security.argon2_parallelism,
            HashBound::new(security.max_concurrent_hashes, security.hash_queue),
        )?;
        let limiter = Limiter::new(db.clone(), clock.clone(), security.login_window());
        let sessions = Sessions::new(db.clone(), clock.clone(), security);
        let mail = Mail::new(Arc::clone(&theme), &config.mail.mail_from, clock.clone())?;
        let logins = Logins::new(db.clone(), hasher.clone(), limiter.clone(), security);
        let resets = Resets::new(
            db.clone(),
            clock.clone(),
            hasher.clone(),
            sessions.clone(),
            limiter,
            mail.clone(),
            &config,
        );
        let accounts = Accounts::new(
            db.clone(),
            clock.clone(),
            hasher,
            sessions.clone(),
            config.tickets.system_time_zone,
            security.session_cache(),
        );
        let ticket_settings = Arc::new(config.tickets.clone());
        let notifier = Notifier::new(
            db.clone(),
            Arc::clone(&theme),
            mail.clone(),
            config.server.base_url.clone(),
            Arc::clone(&ticket_settings),
            config.mail.clone(),
        );
        let tickets = Tickets::new(db.clone(), clock.clone(), ticket_settings, notifier);
        let api_tokens = ApiTokens::new(db.clone(), clock.clone());
        let config_uploads = config.tickets.max_concurrent_uploads;
        let faq = Faq::new(db.clone(), clock.clone(), config.server.site_dir.clone());
        let search = Arc::new(SearchIndexes::open(&config.server.site_dir));
        let files = Arc::new(crate::file_cache::FileCache::new(
            &config.server.site_dir,
            &theme.static_dir(),
        ));
        Ok(AppState(Arc::new(Services {
            config: Arc::new(config),
            db,
            theme,
            clock,
            form_key,
            sessions,
            logins,
            resets,
            accounts,
            api_tokens,
            tickets,
            faq,
            mail,
            search,
            files,
            uploads: Arc::new(tokio::sync::Semaphore::new(config_uploads as usize)),
        })))
    }
}
