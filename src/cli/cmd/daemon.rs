//! `claimcheck daemon [--listen ADDR]`: run the worker, scheduler and API until SIGINT,
//! SIGTERM or SIGHUP (a closed terminal or ssh session), each a graceful stop.

use anyhow::{Context as _, Result};

use crate::cli::{Context, InputError, EXIT_OK};

/// Runs the daemon in the foreground.
pub async fn run(ctx: Context, listen: Option<String>) -> Result<u8> {
    let mut config = ctx.config;
    if listen.is_some() {
        config.daemon.listen = listen;
    }
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    // Unhandled, SIGHUP killed the daemon without handing its jobs back or removing its
    // socket.
    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hangup.recv() => {}
        }
    };
    match crate::daemon::run(config, ctx.db_path, shutdown).await {
        Ok(()) => Ok(EXIT_OK),
        // Settings to change are bad input (exit 2), not a failure to run (exit 3).
        Err(e @ crate::daemon::DaemonError::Settings { .. }) => {
            Err(InputError::Message(e.to_string()).into())
        }
        Err(e) => Err(e.into()),
    }
}
