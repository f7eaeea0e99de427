//! The command line (clap): `serve`, `migrate`, `admin …`, `demo`. Flags override the
//! configuration file and the environment (see `config`).

use crate::accounts;
use crate::config::Config;
use crate::domain::{Email, Password, UserKind};
use crate::startup::{AppState, Application};
use crate::store::{companies, users, Db};
use anyhow::{bail, Context as _};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use kb_builder::Language;
use std::io::BufRead as _;
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

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Adds a customer company with its maintenance-contract period (inclusive).
    AddCompany {
        name: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        contract_start: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD")]
        contract_end: NaiveDate,
    },
    /// Adds a customer of a company; prints a generated password.
    AddCustomer {
        email: String,
        #[arg(long)]
        name: String,
        /// The company's name.
        #[arg(long)]
        company: String,
        #[arg(long, default_value = "ja")]
        language: String,
    },
    /// Adds a support agent; prints a generated password.
    AddAgent {
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "ja")]
        language: String,
    },
    /// Sets a new password: generated and printed, or read from standard input
    /// (`--stdin`). Ends the user's sessions and outstanding reset links.
    ResetPassword {
        email: String,
        #[arg(long)]
        stdin: bool,
    },
    /// Lists users.
    ListUsers,
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
            if !config.site_dir.join("public").is_dir() {
                tracing::warn!(site = %config.site_dir.display(), "the site folder has no public/ edition; build it with kb-builder");
            }
            Application::build(config).await?.run_until_stopped().await
        }
        Command::Migrate => {
            let config = load_config(&cli, &[])?;
            let db = Db::connect(config.database_url.expose(), 1).await?;
            db.migrate().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Admin { command } => {
            let config = load_config(&cli, &[])?;
            let state = AppState::build(config).await?;
            admin(&state, command).await
        }
        Command::Demo { listen, site } => {
            let config = load_config(
                &cli,
                &[
                    ("listen", "--listen", Some(listen.clone())),
                    ("site_dir", "--site", Some(site.display().to_string())),
                ],
            )?;
            crate::demo::run(config).await
        }
    }
}

fn parse_language(s: &str) -> anyhow::Result<Language> {
    Language::parse(s).with_context(|| format!("unknown language {s:?} (use ja or en)"))
}

fn parse_email(s: &str) -> anyhow::Result<Email> {
    Email::parse(s).map_err(|e| anyhow::anyhow!("invalid e-mail address {s:?} ({})", e.key))
}

/// A password for a person to type once and change: 20 characters of 120 random bits.
pub fn generate_password() -> Password {
    let token = crate::auth::random_token();
    Password::parse(&token[..20]).expect("20 random characters meet the password rules")
}

/// Turns a store error into a message for the terminal.
fn explain(e: crate::Error) -> anyhow::Error {
    match e {
        crate::Error::Validation { errors } => {
            let en = kb_builder::theme::Theme::load(&kb_builder::theme::default_dir())
                .ok()
                .map(|t| t.strings(Language::En));
            let text: Vec<String> = errors
                .iter()
                .map(|(field, err)| match &en {
                    Some(s) => format!("{field}: {}", err.translate(s)),
                    None => format!("{field}: {err}"),
                })
                .collect();
            anyhow::anyhow!(text.join("; "))
        }
        other => other.into(),
    }
}

async fn admin(state: &AppState, command: &AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::AddCompany {
            name,
            contract_start,
            contract_end,
        } => {
            let c = accounts::add_company(state, name, *contract_start, *contract_end)
                .await
                .map_err(explain)?;
            println!(
                "company {} added (id {}), contract {} – {}",
                c.name, c.id, c.contract_start, c.contract_end
            );
        }
        AdminCommand::AddCustomer {
            email,
            name,
            company,
            language,
        } => {
            let Some(company) = companies::by_name(&state.db, company)
                .await
                .map_err(explain)?
            else {
                bail!("no company named {company:?} (add it with `admin add-company`)");
            };
            let password = generate_password();
            let user = accounts::add_user(
                state,
                UserKind::Customer,
                Some(company.id),
                &parse_email(email)?,
                name,
                &password,
                parse_language(language)?,
            )
            .await
            .map_err(explain)?;
            println!(
                "customer {} added to {}\npassword: {}",
                user.email,
                company.name,
                password.expose()
            );
        }
        AdminCommand::AddAgent {
            email,
            name,
            language,
        } => {
            let password = generate_password();
            let user = accounts::add_user(
                state,
                UserKind::Agent,
                None,
                &parse_email(email)?,
                name,
                &password,
                parse_language(language)?,
            )
            .await
            .map_err(explain)?;
            println!(
                "agent {} added\npassword: {}",
                user.email,
                password.expose()
            );
        }
        AdminCommand::ResetPassword { email, stdin } => {
            let email = parse_email(email)?;
            let Some(user) = users::by_email(&state.db, &email).await.map_err(explain)? else {
                bail!("no user {email}");
            };
            let password = if *stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let line = line.trim_end_matches(['\r', '\n']);
                Password::parse(line).map_err(|e| {
                    let en = kb_builder::theme::Theme::load(&state.config.theme_dir)
                        .ok()
                        .map(|t| t.strings(Language::En));
                    anyhow::anyhow!(
                        "password refused: {}",
                        en.map_or(e.key.to_string(), |s| e.translate(&s))
                    )
                })?
            } else {
                generate_password()
            };
            let ended = accounts::set_password(state, user.id, &password, None)
                .await
                .map_err(explain)?;
            if *stdin {
                println!("password of {email} changed; {ended} session(s) ended");
            } else {
                println!(
                    "password of {email} changed; {ended} session(s) ended\npassword: {}",
                    password.expose()
                );
            }
        }
        AdminCommand::ListUsers => {
            let list = users::list(&state.db).await.map_err(explain)?;
            let companies: std::collections::HashMap<i64, String> = companies::list(&state.db)
                .await
                .map_err(explain)?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
            println!(
                "{:<6} {:<9} {:<36} {:<24} {:<4} company",
                "id", "kind", "email", "name", "lang"
            );
            for u in list {
                let company = u
                    .company_id
                    .and_then(|id| companies.get(&id).cloned())
                    .unwrap_or_default();
                println!(
                    "{:<6} {:<9} {:<36} {:<24} {:<4} {}",
                    u.id,
                    u.kind.as_str(),
                    u.email.as_str(),
                    u.display_name,
                    u.language.code(),
                    company
                );
            }
        }
    }
    Ok(())
}
