//! The command line: [`args`] defines the commands and flags, [`cmd`] runs one command each,
//! through [`backend::Backend`]: the operations of [`crate::app`] in this process, or the
//! same operations through a running daemon's API. Either way a command prints the same.

pub mod args;
mod backend;
mod cmd;

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::config::Config;
pub use args::{Cli, Command, LogFormat};
pub use cmd::output;

/// Exit code: every check passed the `--fail-on` gate.
pub const EXIT_OK: u8 = 0;
/// Exit code: `verify --fail-on` found a verdict at or below the threshold.
pub const EXIT_FAILED_GATE: u8 = 1;
/// Exit code: bad usage or input (malformed claim file, unknown id).
pub const EXIT_INPUT: u8 = 2;
/// Exit code: the work could not be done (database, network after retries).
pub const EXIT_RUNTIME: u8 = 3;

/// An error caused by the user's input; exits with code 2. Wrapped errors keep their cause.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A message written here, saying what to change.
    #[error("{0}")]
    Message(String),
    /// Another error that the input caused (a config file, an indicator table, a path).
    #[error(transparent)]
    Cause(Box<dyn std::error::Error + Send + Sync>),
}

impl InputError {
    /// The user's input caused `error`.
    pub fn cause(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Cause(Box::new(error))
    }
}

/// Everything a command needs: settings, the database path, and whether to colour tables.
pub(crate) struct Context {
    config: Config,
    db_path: PathBuf,
    color: bool,
}

/// Runs a parsed command line; returns the process exit code.
// Long but flat: the dispatch table, one line per command.
pub async fn run(cli: Cli) -> Result<u8> {
    let mut config = Config::load(cli.config.as_deref()).map_err(InputError::cause)?;
    if let Command::Verify(args) = &cli.command {
        config.corroborate |= args.corroborate;
        config.offline |= args.offline;
    }
    let db_path = cli
        .db
        .clone()
        .or_else(|| config.db.clone())
        .or_else(|| dirs::data_dir().map(|d| d.join("claimcheck")))
        .context("no database directory: pass --db DIR or set CLAIMCHECK_DB")?;
    let color = output::use_color(
        cli.color,
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
    );
    let ctx = Context {
        config,
        db_path,
        color,
    };
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Add(args) => cmd::add::run(&ctx, &args, &mut out).await,
        Command::Edit(args) => cmd::edit::run(&ctx, &args, &mut out).await,
        Command::Import { paths, json } => cmd::import::run(&ctx, &paths, json, &mut out).await,
        Command::List {
            json,
            tag,
            verdict,
            search,
        } => {
            let filter = output::ListFilter {
                tag,
                verdict,
                search,
            };
            cmd::list::run(&ctx, json, &filter, &mut out).await
        }
        Command::Show { id, json } => cmd::show::run(&ctx, &id, json, &mut out).await,
        Command::Verify(args) => cmd::verify::run(&ctx, &args, &mut out).await,
        Command::Remove { ids } => cmd::remove::run(&ctx, &ids, &mut out).await,
        Command::Jobs(args) => cmd::jobs::run(&ctx, &args, &mut out).await,
        Command::Changes { since, json } => {
            cmd::changes::run(&ctx, since.as_deref(), json, &mut out).await
        }
        Command::Indicators { action } => {
            cmd::indicators::indicators(&ctx.db_path, &action, &mut out)
        }
        Command::Catalogue { action } => {
            cmd::indicators::catalogue(&ctx.config, &ctx.db_path, &action, &mut out).await
        }
        Command::Scan(args) => cmd::scan::run(&ctx, &args, &mut out).await,
        Command::Report(args) => cmd::report_site::run(&ctx, &args, &mut out).await,
        Command::Export(args) => cmd::export::run(&ctx, &args, &mut out).await,
        Command::Demo(args) => cmd::demo::run(&ctx, &args, &mut out).await,
        Command::Completions { shell } => cmd::completions::completions(shell, &mut out),
        Command::Man => cmd::completions::man(&mut out),
        Command::Status { json } => cmd::status::run(&ctx, json, &mut out).await,
        Command::Backup { file } => cmd::backup::backup(&ctx, &file, &mut out).await,
        Command::Restore { file, force } => {
            cmd::backup::restore(&ctx, &file, force, &mut out).await
        }
        Command::Cache { action } => cmd::cache::run(&ctx, &action, &mut out).await,
        Command::Migrate => cmd::migrate::migrate(&ctx.db_path, &mut out).await,
        Command::MigrateStore { from, to } => {
            cmd::migrate::migrate_store(&from, &to, &mut out).await
        }
        Command::Daemon { listen } => cmd::daemon::run(ctx, listen).await,
    }
}
