//! `ticket-service demo`: a fresh SQLite database `data/demo.db` with two companies (one
//! with an active contract, one whose contract has ended), their customers and two agents,
//! then the service on 127.0.0.1:8080. Logins are printed.
//!
//! Before the server starts, the demo knowledge base is built from `content/` into the
//! site folder (`site/` by default) through kb-builder's library, published at the demo
//! server's address; the search indexes come with it. Then the desk gets a few weeks of
//! history (see [`desk`]): tickets in every state, in Japanese and English, with files,
//! answers and internal notes, and FAQ views and votes — after which the knowledge base is
//! built again with those figures, so its top-10 lists and ratings show.

mod desk;

use crate::config::{Config, Secret};
use crate::domain::{Email, Password, UserKind};
use crate::startup::Application;
use anyhow::Context as _;
use chrono::{Duration, Months};
use kb_builder::Language;
use std::path::Path;

const DEMO_DB: &str = "data/demo.db";

/// Builds the demo database and serves it until stopped.
pub async fn run(mut config: Config) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{DEMO_DB}{suffix}");
        if Path::new(&file).exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {file}"))?;
        }
    }
    config.database.database_url = Secret::new(format!("sqlite://{DEMO_DB}"));
    config.mail.mail_dir = "data/demo-mail".into();
    config.server.base_url = format!("http://{}", config.server.listen);
    build_knowledge_base(&config, None)?;

    let app = Application::build(config).await?;
    let state = app.state().clone();
    let accounts = &state.accounts;
    let today = accounts.today();
    let active = accounts
        .add_company(
            "株式会社さくら精機",
            today.checked_sub_months(Months::new(6)).unwrap_or(today),
            today.checked_add_months(Months::new(18)).unwrap_or(today),
        )
        .await?;
    let ended = accounts
        .add_company(
            "青葉システム株式会社",
            today.checked_sub_months(Months::new(36)).unwrap_or(today),
            today - Duration::days(30),
        )
        .await?;

    let people = [
        (
            UserKind::Customer,
            Some(&active),
            "yamada@sakura-seiki.example",
            "山田 太郎",
            Language::Ja,
        ),
        (
            UserKind::Customer,
            Some(&active),
            "emily@sakura-seiki.example",
            "Emily Carter",
            Language::En,
        ),
        (
            UserKind::Customer,
            Some(&ended),
            "suzuki@aoba-system.example",
            "鈴木 花子",
            Language::Ja,
        ),
        (
            UserKind::Agent,
            None,
            "sato@madoguchi.example",
            "佐藤 健",
            Language::Ja,
        ),
        (
            UserKind::Agent,
            None,
            "tanaka@madoguchi.example",
            "田中 美咲",
            Language::Ja,
        ),
    ];
    println!("Madoguchi demo — http://{}/login", app.local_addr());
    println!(
        "{:<9} {:<30} {:<22} {:<14} password",
        "kind", "e-mail", "company", "name"
    );
    let mut users = Vec::new();
    for (kind, company, email, name, lang) in people {
        let password = Password::generate();
        let email = Email::parse(email).map_err(|e| anyhow::anyhow!("demo e-mail: {}", e.key))?;
        users.push(
            accounts
                .add_user(kind, company.map(|c| c.id), &email, name, &password, lang)
                .await?,
        );
        let company_label = company
            .map(|c| {
                if c.id == ended.id {
                    format!("{} (ended)", c.name)
                } else {
                    c.name.clone()
                }
            })
            .unwrap_or_else(|| "—".into());
        println!(
            "{:<9} {:<30} {:<22} {:<14} {}",
            kind.as_str(),
            email,
            company_label,
            name,
            password.expose()
        );
    }
    let seeded = desk::seed(&state, &users).await?;
    let stats = state.faq.export().await?;
    let stats_file = Path::new("data/demo-stats.json");
    let sorted: std::collections::BTreeMap<String, kb_builder::stats::ArticleStats> = stats
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
    std::fs::write(stats_file, serde_json::to_string_pretty(&sorted)?)
        .context("writing data/demo-stats.json")?;
    build_knowledge_base(&state.config, Some(stats_file))?;
    println!(
        "Desk: {} tickets in every state, with answers, internal notes and files; FAQ usage for the top-10 lists.",
        seeded
    );
    if state.config.mail.smtp_host.is_empty() {
        println!("Mail (ticket notifications, password resets) is written to data/demo-mail/.");
    } else {
        println!(
            "Mail (ticket notifications, password resets) goes to the SMTP server {}.",
            state.config.mail.smtp_host
        );
    }
    app.run_until_stopped().await
}

/// Where the demo's knowledge base comes from.
const DEMO_CONTENT: &str = "content";

/// Builds the demo knowledge base from `content/` into the site folder with kb-builder,
/// published at the demo server's address (so feeds, sitemaps and 404 pages link to it).
fn build_knowledge_base(config: &Config, stats: Option<&Path>) -> anyhow::Result<()> {
    let content = Path::new(DEMO_CONTENT);
    if !content.join("_site.yaml").is_file() {
        anyhow::bail!(
            "the demo needs the knowledge base's content in ./{DEMO_CONTENT}/ (with _site.yaml); \
             run `ticket-service demo` from the root of the Madoguchi checkout"
        );
    }
    let report = kb_builder::site::build(&kb_builder::site::BuildOptions {
        content: content.to_path_buf(),
        out: config.server.site_dir.clone(),
        theme: config.server.theme_dir.clone(),
        stats: stats.map(Path::to_path_buf),
        progress: false,
        base_url: Some(format!("http://{}/", config.server.listen)),
        precompress: false,
    })
    .with_context(|| {
        format!(
            "building the demo knowledge base from {} into {}",
            content.display(),
            config.server.site_dir.display()
        )
    })?;
    let editions = report
        .editions
        .iter()
        .map(|e| format!("{} {}", e.edition.as_str(), e.articles))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "Knowledge base: {} articles ({editions}) built into {} in {:.1} s",
        report.articles,
        config.server.site_dir.display(),
        report.elapsed.as_secs_f64()
    );
    Ok(())
}
