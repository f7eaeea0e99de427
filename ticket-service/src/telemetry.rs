//! Logging: `tracing` with an env filter (`RUST_LOG`, default `info,sqlx=warn`), written to
//! stderr so command output on stdout (admin commands, demo logins) stays clean.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; call once, early in `main`.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
