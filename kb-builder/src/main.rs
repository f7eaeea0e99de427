//! The `kb-builder` command: a thin CLI over the library.
//!
//! Exit codes: 0 success, 1 content errors (each printed as `file:line: message`),
//! 2 usage errors, 3 any other failure (I/O, theme, search index).

use clap::{Parser, Subcommand};
use kb_builder::editions::Edition;
use kb_builder::search::{Filters, SearchIndex};
use kb_builder::site::{self, BuildOptions};
use kb_builder::{Error, Language};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kb-builder",
    version,
    about = "Builds Madoguchi's static knowledge base in three editions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build all editions (public, customer, internal) with feeds and search indexes.
    Build {
        #[arg(long, default_value = "content")]
        content: PathBuf,
        #[arg(long, default_value = "site")]
        out: PathBuf,
        #[arg(long, default_value_os_t = kb_builder::theme::default_dir())]
        theme: PathBuf,
        /// Usage figures exported by the ticket service (JSON: id → views, votes, rating).
        #[arg(long)]
        stats: Option<PathBuf>,
        /// Publish at this URL instead of _site.yaml's base_url and service_url, e.g.
        /// http://127.0.0.1:8080/ for a local preview through the ticket service.
        #[arg(long)]
        base_url: Option<String>,
        /// Also write .gz and .br copies of the text files (HTML, CSS, JS, feeds), for web
        /// servers that serve them (nginx gzip_static). Off by default: it costs build time
        /// and files.
        #[arg(long)]
        precompress: bool,
    },
    /// Validate the content tree; write nothing.
    Check {
        #[arg(long, default_value = "content")]
        content: PathBuf,
    },
    /// Search an edition's index.
    Search {
        #[arg(long, default_value = "site")]
        site: PathBuf,
        #[arg(long, default_value = "public", value_parser = parse_edition)]
        edition: Edition,
        /// Print JSON: {"total": N, "hits": [...]}.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Only articles in this category folder (and below), e.g. faq/gateway.
        #[arg(long)]
        category: Option<String>,
        /// Only articles in this language (ja, en).
        #[arg(long, value_parser = parse_language)]
        language: Option<Language>,
        /// The query, in Japanese or English.
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
}

fn parse_edition(s: &str) -> Result<Edition, String> {
    Edition::parse(s)
        .ok_or_else(|| format!("unknown edition `{s}` (expected public, customer or internal)"))
}

fn parse_language(s: &str) -> Result<Language, String> {
    Language::parse(s).ok_or_else(|| format!("unknown language `{s}` (expected ja or en)"))
}

fn main() -> ExitCode {
    // Warnings of the library (a missing or unreadable dictionary, which makes search
    // fall back to bigrams only) go to stderr; RUST_LOG shows more.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Content(diags)) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("{} error(s); nothing was written", diags.len());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}

fn run(command: Command) -> kb_builder::Result<()> {
    match command {
        Command::Build {
            content,
            out,
            theme,
            stats,
            base_url,
            precompress,
        } => {
            let report = site::build(&BuildOptions {
                content,
                out: out.clone(),
                theme,
                stats,
                progress: std::io::stderr().is_terminal(),
                base_url,
                precompress,
            })?;
            println!(
                "built {} articles into {} in {:.2} s",
                report.articles,
                out.display(),
                report.elapsed.as_secs_f64()
            );
            for e in &report.editions {
                println!(
                    "  {:9} {:6} articles {:7} pages {:5} feeds {:4} attachments",
                    e.edition.as_str(),
                    e.articles,
                    e.pages,
                    e.feeds,
                    e.attachments
                );
                if precompress {
                    println!("  {:9} {:6} compressed copies", "", e.precompressed);
                }
            }
            Ok(())
        }
        Command::Check { content } => {
            let c = site::check(&content)?;
            println!(
                "{}: {} articles in {} categories, no problems",
                content.display(),
                c.articles.len(),
                c.categories.len() - 1
            );
            Ok(())
        }
        Command::Search {
            site,
            edition,
            json,
            limit,
            offset,
            category,
            language,
            query,
        } => {
            let index = SearchIndex::open_edition(&site, edition)?;
            let results = index.search(
                &query.join(" "),
                &Filters { category, language },
                limit,
                offset,
            )?;
            if json {
                let hits: Vec<serde_json::Value> = results
                    .hits
                    .iter()
                    .map(|h| serde_json::json!({"id": h.id, "title": h.title, "category": h.category, "snippet": h.snippet, "score": h.score}))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"total": results.total, "hits": hits})
                );
            } else {
                println!("{} result(s)", results.total);
                for h in &results.hits {
                    println!("{:>6}  {:.2}  {}  [{}]", h.id, h.score, h.title, h.category);
                    println!(
                        "        {}",
                        h.snippet.replace("<mark>", "[").replace("</mark>", "]")
                    );
                }
            }
            Ok(())
        }
    }
}
