//! The command line (clap): `serve`, `migrate`, `admin …` ([`admin`]), `demo` ([`demo`]).
//! Flags override the configuration file and the environment (see `config`).

mod admin;
mod demo;

pub use admin::AdminCommand;

use crate::config::Config;
use crate::startup::Application;
use crate::state::AppState;
use crate::store::Db;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ticket-service",
    version,
    about = "Madoguchi's ticket service: customer and agent logins, settings, the knowledge base behind login"
)]
pub struct Cli {
    /// Configuration file (TOML); also MADOGUCHI_CONFIG.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL (sqlite://FILE or postgres://…); also MADOGUCHI_DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the web service (migrating the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// The folder kb-builder built (public/, customer/, internal/).
        #[arg(long, value_name = "DIR")]
        site: Option<PathBuf>,
        /// The public URL of the service, for links in mail.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Applies pending database migrations and exits.
    Migrate,
    /// Manages companies and users.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Writes the FAQ usage (views, votes, ratings) as JSON to standard output, in the
    /// format `kb-builder build --stats FILE` reads.
    ExportFaqStats,
    /// Runs a demo on a fresh SQLite database data/demo.db with sample companies and
    /// users; prints their logins.
    Demo {
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the demo builds the knowledge base from ./content (replaced on each run).
        #[arg(long, value_name = "DIR", default_value = "site")]
        site: PathBuf,
    },
}

/// Loads the configuration with the flags given.
fn load_config(cli: &Cli, extra: &[(&str, &str, Option<String>)]) -> anyhow::Result<Config> {
    let mut flags = vec![("database_url", "--database-url", cli.database_url.clone())];
    flags.extend(extra.iter().cloned());
    Ok(Config::load(cli.config.as_deref(), &flags)?)
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve {
            listen,
            site,
            base_url,
        } => {
            let config = load_config(
                &cli,
                &[
                    ("listen", "--listen", listen.clone()),
                    (
                        "site_dir",
                        "--site",
                        site.as_ref().map(|p| p.display().to_string()),
                    ),
                    ("base_url", "--base-url", base_url.clone()),
                ],
            )?;
            if !config.server.site_dir.join("public").is_dir() {
                tracing::warn!(site = %config.server.site_dir.display(), "the site folder has no public/ edition; build it with kb-builder");
            }
            Application::build(config).await?.run_until_stopped().await
        }
        Command::Migrate => {
            let config = load_config(&cli, &[])?;
            let db = Db::connect(config.database.database_url.expose(), 1).await?;
            db.migrate().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Admin { command } => {
            let config = load_config(&cli, &[])?;
            let state = AppState::build(config).await?;
            admin::run(&state, command).await
        }
        Command::ExportFaqStats => {
            let config = load_config(&cli, &[])?;
            let state = AppState::build(config).await?;
            let stats = state.faq.export().await?;
            let sorted: std::collections::BTreeMap<String, kb_builder::stats::ArticleStats> = stats
                .into_iter()
                .map(|(id, s)| (id.to_string(), s))
                .collect();
            println!("{}", serde_json::to_string_pretty(&sorted)?);
            Ok(())
        }
        Command::Demo { listen, site } => {
            let config = load_config(
                &cli,
                &[
                    ("listen", "--listen", Some(listen.clone())),
                    ("site_dir", "--site", Some(site.display().to_string())),
                ],
            )?;
            demo::run(config).await
        }
    }
}
