//! `ticket-service admin …`: companies, users, passwords and the mail outbox, from a
//! terminal. Generated passwords are printed once.

use crate::domain::{Email, Password, UserKind};
use crate::jobs::cleanup::Cleanup;
use crate::jobs::delivery::{Delivery, RetryPolicy};
use crate::jobs::lifecycle::TimedChanges;
use crate::mail::transport;
use crate::state::AppState;
use crate::store::outbox;
use anyhow::{bail, Context as _};
use chrono::NaiveDate;
use clap::Subcommand;
use kb_builder::Language;
use std::io::BufRead as _;

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
    /// Sets a company's maintenance-contract period (inclusive): a renewal or a correction.
    SetContract {
        name: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        contract_start: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD")]
        contract_end: NaiveDate,
    },
    /// Lists companies and their contract periods.
    ListCompanies,
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
    /// Runs one pass of a background job now and prints what it did (the service runs
    /// them by itself; this is for catching up by hand, cron-less setups and tests).
    RunJob {
        #[arg(value_enum)]
        job: JobName,
    },
    /// The mail outbox: lists messages not sent yet (pending or failed), or retries them.
    Outbox {
        #[command(subcommand)]
        command: Option<OutboxCommand>,
    },
}

/// The background jobs `run-job` can run.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum JobName {
    /// Delete expired sessions, tokens, counters, held files and old sent mail.
    Cleanup,
    /// Send the outbox's due mail.
    Delivery,
    /// Move tickets that waited too long for their customer.
    Lifecycle,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Lists messages not sent yet, oldest first (`--all`: the latest 100 of every kind).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Makes a failed or waiting message due now, with a fresh count of attempts; without
    /// an id, every one that is not sent.
    Retry { id: Option<i64> },
}

fn parse_language(s: &str) -> anyhow::Result<Language> {
    Language::parse(s).with_context(|| format!("unknown language {s:?} (use ja or en)"))
}

fn parse_email(s: &str) -> anyhow::Result<Email> {
    Email::parse(s).map_err(|e| anyhow::anyhow!("invalid e-mail address {s:?} ({})", e.key))
}

/// Turns a store error into a message for the terminal.
fn explain(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Validation { errors } => {
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

/// Runs an admin command.
pub async fn run(state: &AppState, command: &AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::AddCompany {
            name,
            contract_start,
            contract_end,
        } => {
            let c = state
                .accounts
                .add_company(name, *contract_start, *contract_end)
                .await
                .map_err(explain)?;
            println!(
                "company {} added (id {}), contract {} – {}",
                c.name, c.id, c.contract_start, c.contract_end
            );
        }
        AdminCommand::SetContract {
            name,
            contract_start,
            contract_end,
        } => {
            let Some(c) = state
                .accounts
                .set_contract(name, *contract_start, *contract_end)
                .await
                .map_err(explain)?
            else {
                bail!("no company named {name:?} (list them with `admin list-companies`)");
            };
            println!(
                "company {} (id {}): contract {} – {}",
                c.name, c.id, c.contract_start, c.contract_end
            );
        }
        AdminCommand::ListCompanies => {
            println!("{:<6} {:<10} {:<10} name", "id", "start", "end");
            for c in state.accounts.companies().await? {
                println!(
                    "{:<6} {:<10} {:<10} {}",
                    c.id, c.contract_start, c.contract_end, c.name
                );
            }
        }
        AdminCommand::AddCustomer {
            email,
            name,
            company,
            language,
        } => {
            let Some(company) = state
                .accounts
                .company_by_name(company)
                .await
                .map_err(explain)?
            else {
                bail!("no company named {company:?} (add it with `admin add-company`)");
            };
            let password = Password::generate();
            let user = state
                .accounts
                .add_user(
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
            let password = Password::generate();
            let user = state
                .accounts
                .add_user(
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
            let Some(user) = state
                .accounts
                .user_by_email(&email)
                .await
                .map_err(explain)?
            else {
                bail!("no user {email}");
            };
            let password = if *stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let line = line.trim_end_matches(['\r', '\n']);
                Password::parse(
                    line,
                    state.config.security.password_score(),
                    &[user.email.as_str(), user.display_name.as_str()],
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "password refused: {}",
                        e.translate(&state.theme.strings(Language::En))
                    )
                })?
            } else {
                Password::generate()
            };
            let ended = state
                .accounts
                .set_password(user.id, &password, None)
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
            let list = state.accounts.users().await.map_err(explain)?;
            let companies: std::collections::HashMap<i64, String> = state
                .accounts
                .companies()
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
        AdminCommand::RunJob { job } => {
            let now = state.clock.now();
            let done = match job {
                JobName::Cleanup => {
                    Cleanup::new(state.db.clone(), &state.config.security)
                        .run_once(now)
                        .await?
                }
                JobName::Delivery => {
                    Delivery::new(
                        state.db.clone(),
                        transport::from_settings(&state.config.mail)?,
                        state.mail.from().clone(),
                        RetryPolicy::of(&state.config.mail),
                    )
                    .run_once(now)
                    .await?
                }
                JobName::Lifecycle => {
                    TimedChanges::new(state.tickets.clone())
                        .run_once(now)
                        .await?
                }
            };
            println!("{job:?}: {done} done");
        }
        AdminCommand::Outbox { command } => match command {
            None | Some(OutboxCommand::List { all: false }) => print_outbox(
                &outbox::unsent(&state.db, 1000)
                    .await
                    .map_err(anyhow::Error::new)?,
            ),
            Some(OutboxCommand::List { all: true }) => print_outbox(
                &outbox::recent(&state.db, 100)
                    .await
                    .map_err(anyhow::Error::new)?,
            ),
            Some(OutboxCommand::Retry { id }) => {
                let n = outbox::retry(&state.db, *id, state.clock.now())
                    .await
                    .map_err(anyhow::Error::new)?;
                println!("{n} message(s) due again; a running service sends them within seconds");
            }
        },
    }
    Ok(())
}

fn print_outbox(messages: &[outbox::Message]) {
    if messages.is_empty() {
        println!("the outbox holds no such messages");
        return;
    }
    let time = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default()
    };
    println!(
        "{:<6} {:<8} {:>8} {:<26} {:<32} subject / last error",
        "id", "status", "attempts", "next attempt", "to"
    );
    for m in messages {
        let next = match m.status {
            outbox::Status::Pending => time(m.next_attempt_at),
            outbox::Status::Sent => format!("sent {}", m.sent_at.map(time).unwrap_or_default()),
            outbox::Status::Failed => "—".to_string(),
        };
        println!(
            "{:<6} {:<8} {:>8} {:<26} {:<32} {}",
            m.id,
            m.status.as_str(),
            m.attempts,
            next,
            m.recipient,
            m.subject
        );
        if let Some(e) = &m.last_error {
            println!("{:>52} {e}", "");
        }
    }
}
