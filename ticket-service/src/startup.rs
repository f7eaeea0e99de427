//! Start-up: the [`Application`] — the assembled [`AppState`], its background jobs, and a
//! listener bound before it runs (port 0 picks a free port, which tests read back with
//! [`Application::port`]).

use crate::config::Config;
use crate::jobs::cleanup::Cleanup;
use crate::jobs::delivery::{Delivery, RetryPolicy};
use crate::jobs::lifecycle::TimedChanges;
use crate::jobs::Runner;
use crate::mail::transport::{self, Transport};
use crate::state::AppState;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often the cleanup job runs.
const CLEANUP_EVERY: Duration = Duration::from_secs(600);
/// How often the delivery job looks for due mail (it also wakes when mail is enqueued).
const DELIVERY_EVERY: Duration = Duration::from_secs(5);
/// How often the timed ticket state changes are looked for.
const LIFECYCLE_EVERY: Duration = Duration::from_secs(60);

/// The bound, ready-to-run web application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    addr: SocketAddr,
    transport: Arc<dyn Transport>,
}

impl Application {
    /// Builds the state and binds `server.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let state = AppState::build(config).await?;
        Application::with_state(state).await
    }

    /// Binds `server.listen` for a prepared state; mail goes to the configured transport.
    pub async fn with_state(state: AppState) -> anyhow::Result<Application> {
        let transport = transport::from_settings(&state.config.mail)?;
        let listen = state.config.server.listen;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        Ok(Application {
            listener,
            state,
            addr,
            transport,
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

    /// The background jobs of this application.
    fn jobs(&self) -> Runner {
        let state = &self.state;
        Runner::new(state.clock.clone())
            .add(
                Cleanup::new(state.db.clone(), &state.config.security),
                CLEANUP_EVERY,
                None,
            )
            .add(
                Delivery::new(
                    state.db.clone(),
                    Arc::clone(&self.transport),
                    state.mail.from().clone(),
                    RetryPolicy::of(&state.config.mail),
                ),
                DELIVERY_EVERY,
                Some(state.mail.wake_signal()),
            )
            .add(
                TimedChanges::new(state.tickets.clone()),
                LIFECYCLE_EVERY,
                None,
            )
    }

    /// Serves until the process receives Ctrl-C or SIGTERM, running the background jobs
    /// alongside.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let jobs = self.jobs().start();
        // The Japanese dictionary takes ~60 ms to read (~2 s to compile on a first start):
        // load it now rather than in the first search.
        kb_builder::search::dictionary::choose(self.state.config.server.dictionary_choice());
        tokio::task::spawn_blocking(kb_builder::search::dictionary::Dictionary::shared);
        let app = crate::http::router(self.state.clone());
        tracing::info!(address = %self.addr, "listening");
        let timeouts = crate::serve::Timeouts::of(&self.state.config.server);
        let served = crate::serve::serve(self.listener, app, timeouts, shutdown_signal()).await;
        drop(jobs);
        served.context("server error")
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
