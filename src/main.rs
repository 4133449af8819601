//! The `claimcheck` binary: parses arguments, sets up logging, runs the command, and turns
//! errors into messages and exit codes.

use std::io::IsTerminal;
use std::io::Write as _;
use std::process::ExitCode;

use claimcheck::cli::{self, Cli, InputError, LogFormat};
use clap::Parser;
use tracing_subscriber::EnvFilter;

// A check allocates and frees many small strings and records on two cores; glibc's
// allocator took about a quarter of a re-check's samples (the bench's cold run went from
// about 2.0 to 1.8 s with this one, in alternating runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(cli::output::use_color(
            cli.color,
            std::io::stderr().is_terminal(),
        ))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the async runtime: {e}"
            );
            return ExitCode::from(cli::EXIT_RUNTIME);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS, // e.g. `| head`
        Err(error) => {
            // Not eprintln!, which panics when stderr is a closed pipe (`2>&1 | head`).
            let _ = writeln!(std::io::stderr(), "error: {}", chain(&error));
            let input = error.is::<InputError>();
            ExitCode::from(if input {
                cli::EXIT_INPUT
            } else {
                cli::EXIT_RUNTIME
            })
        }
    }
}

/// The error and its causes, each cause once: many of our errors already quote their cause
/// ("cannot read config file nope.toml: No such file or directory"), and anyhow's `{:#}`
/// would print it a second time.
fn chain(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
