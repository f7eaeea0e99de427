//! Start-up: builds the shared [`AppState`] (configuration, database, theme, mailer,
//! password hasher, clock, search indexes) and the [`Application`], which binds its
//! listener before it runs — port 0 picks a free port, which tests read back with
//! [`Application::port`].

use crate::auth::password::PasswordHasher;
use crate::config::Config;
use crate::mail::{FileMailer, Mailer};
use crate::search::SearchIndexes;
use crate::store::Db;
use anyhow::Context as _;
use kb_builder::theme::Theme;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The application's notion of "now", in unix seconds. Production reads the system
/// clock; tests move it forward to expire sessions, tokens and rate-limit windows without
/// sleeping.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        system + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.as_secs() as i64, Ordering::Relaxed);
    }
}

/// Everything handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub theme: Arc<Theme>,
    pub mailer: Arc<dyn Mailer>,
    pub hasher: PasswordHasher,
    pub clock: Clock,
    /// The knowledge base's search indexes (reopened after each rebuild of the site).
    pub search: Arc<SearchIndexes>,
}

impl AppState {
    /// Connects to the database, migrates it, loads the theme and sets up the file mailer.
    pub async fn build(config: Config) -> anyhow::Result<AppState> {
        let db = Db::connect(
            config.database_url.expose(),
            config.database_max_connections,
        )
        .await?;
        db.migrate().await?;
        let mailer = FileMailer::new(&config.mail_dir, &config.mail_from)?;
        AppState::with_parts(config, db, Arc::new(mailer))
    }

    /// Assembles a state from an already connected database and any mailer.
    pub fn with_parts(config: Config, db: Db, mailer: Arc<dyn Mailer>) -> anyhow::Result<AppState> {
        let theme = Theme::load(&config.theme_dir)
            .with_context(|| format!("loading the theme {}", config.theme_dir.display()))?;
        let hasher = PasswordHasher::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
        )?;
        let search = Arc::new(SearchIndexes::open(&config.site_dir));
        Ok(AppState {
            config: Arc::new(config),
            db,
            theme: Arc::new(theme),
            mailer,
            hasher,
            clock: Clock::default(),
            search,
        })
    }
}

/// The bound, ready-to-run web application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    addr: SocketAddr,
}

impl Application {
    /// Builds the state and binds `config.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let state = AppState::build(config).await?;
        Application::with_state(state).await
    }

    /// Binds `state.config.listen` for a prepared state.
    pub async fn with_state(state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(state.config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", state.config.listen))?;
        let addr = listener.local_addr()?;
        Ok(Application {
            listener,
            state,
            addr,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process receives Ctrl-C or SIGTERM. Also runs the cleanup of
    /// expired sessions, reset tokens and login failures every ten minutes.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let cleanup = tokio::spawn(cleanup_loop(self.state.clone()));
        let app = crate::http::router(self.state.clone());
        tracing::info!(address = %self.addr, "listening");
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        cleanup.abort();
        served.context("server error")
    }
}

async fn cleanup_loop(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let c = &state.config;
        let result = crate::store::delete_expired(
            &state.db,
            state.clock.now(),
            c.session_idle.as_secs() as i64,
            c.session_absolute.as_secs() as i64,
            c.login_window.as_secs() as i64,
        )
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "cleanup of expired rows failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
