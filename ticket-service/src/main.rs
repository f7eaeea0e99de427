//! `ticket-service`: parses the command line and hands it to the library.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    return_large_blocks_to_the_system();
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

/// glibc raises its mmap threshold to the largest block freed so far, so after the first
/// Argon2 hash (a 19 MiB block) every later one comes from a thread's heap arena and stays
/// there when freed: a flood of logins, hashed on many blocking threads in turn, left
/// ~570 MB resident. A fixed threshold keeps such blocks mmapped, so freeing one gives it
/// back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only sets an allocator parameter and is MT-Safe (glibc manual); it
    // runs before the service allocates anything large.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}
