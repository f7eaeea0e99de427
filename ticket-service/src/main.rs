//! `ticket-service`: parses the command line and hands it to the library.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = ticket_service::cli::Cli::parse();
    ticket_service::telemetry::init();
    match ticket_service::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
