//! `claimcheck daemon`: owns the database and runs the worker, the scheduler, the webhook
//! notifier and the local API (Unix socket, optionally TCP) until asked to stop.
//!
//! Shutdown on SIGINT/SIGTERM: stop taking work, let the running step finish within the
//! grace period, flush, exit 0. A step cut off by the grace period leaves its jobs
//! `running`; they are rescued at the next start.

mod webhook;

pub use webhook::sign;

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::api::server::{self, ApiState};
use crate::app::{intake, App, AppError};
use crate::config::Config;
use crate::store;

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The database could not be opened (e.g. another daemon holds it).
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Starting the application failed.
    #[error(transparent)]
    App(#[from] AppError),
    /// The indicator table is wrong.
    #[error(transparent)]
    Indicators(#[from] crate::claim::indicator::IndicatorTableError),
    /// The webhook client could not be built.
    #[error("cannot set up webhooks: {0}")]
    Webhook(#[source] reqwest::Error),
    /// The settings ask for something the daemon must not or cannot do (a listen address
    /// that is none, a public one without a token, a webhook URL that is none): bad input,
    /// not a failure to run.
    #[error("{what}: {detail}")]
    Settings {
        /// The address as given.
        what: String,
        /// What to change.
        detail: String,
    },
    /// A listener could not be set up.
    #[error("cannot listen on {what}: {detail}")]
    Listen {
        /// Socket path or address.
        what: String,
        /// Why.
        detail: String,
    },
}

/// The Unix socket of the local API for a database directory: `<db>.sock` beside it. A
/// PostgreSQL database has no directory and may have many daemons, even on one machine:
/// each gets `claimcheck-<pid>.sock` in the temp directory (the CLI talks to PostgreSQL
/// directly, so it needs no socket).
pub fn socket_path(config: &Config, db: &Path) -> PathBuf {
    config.daemon.socket.clone().unwrap_or_else(|| {
        if store::is_url(db) {
            let name = format!("claimcheck-{}.sock", std::process::id());
            return std::env::temp_dir().join(name);
        }
        let name = db
            .file_name()
            .map_or("claimcheck".into(), |n| n.to_string_lossy().into_owned());
        db.with_file_name(format!("{name}.sock"))
    })
}

/// Runs the daemon until `shutdown` completes.
pub async fn run(
    config: Config,
    db: PathBuf,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let store = store::open(&db)?;
    let app = App::start(store, config.clone(), Utc::now()).await?;
    // Other processes queueing work wake this one's worker (PostgreSQL: LISTEN/NOTIFY).
    let (store, wake) = (app.queue().store().clone(), app.wake().clone());
    crate::queue::worker::blocking(move || store.subscribe(wake)).await?;
    let parser = intake::parser(config.indicators.as_deref())?;
    if let Some(url) = &config.daemon.webhook_url {
        // A URL that is none was accepted and then failed every poll.
        let scheme = reqwest::Url::parse(url).map(|u| u.scheme().to_string());
        if !matches!(scheme.as_deref(), Ok("http" | "https")) {
            return Err(DaemonError::Settings {
                // Not the URL itself: it may hold a password or a secret path.
                what: "cannot send webhooks to the configured webhook_url".into(),
                detail: "[daemon] webhook_url must be an http:// or https:// URL".into(),
            });
        }
    }
    let notifier = webhook::Notifier::new(&config.daemon).map_err(DaemonError::Webhook)?;
    let shown = store::display_location(&db);
    tracing::info!(db = %shown, worker = %app.worker_id(), "daemon starting");

    let (stop_tx, stop_rx) = watch::channel(false);
    let limits = server::Limits::from_config(&config.daemon);
    let state = ApiState::new(app.clone(), parser).with_limits(limits);
    let socket = socket_path(&config, &db);
    let (unix, bound) = bind_unix(&socket)?;
    let mut servers = vec![tokio::spawn(server::serve(
        unix,
        server::router(state.clone()),
        limits,
        stopped(stop_rx.clone()),
    ))];
    let mut tcp_shown = String::new();
    if let Some(listen) = &config.daemon.listen {
        let tcp = bind_tcp(listen, config.daemon.token.as_ref()).await?;
        if let Ok(addr) = tcp.local_addr() {
            tcp_shown = format!(" and http://{addr}");
        }
        let router = server::router_with_token(state.clone(), config.daemon.token.clone());
        servers.push(tokio::spawn(server::serve(
            tcp,
            router,
            limits,
            stopped(stop_rx.clone()),
        )));
    }
    // Not eprintln!, which panics when stderr is a closed pipe.
    let _ = writeln!(
        std::io::stderr(),
        "claimcheck daemon: database {shown}, worker {}, API on {}{tcp_shown}",
        app.worker_id(),
        socket.display()
    );

    let worker = tokio::spawn(worker_loop(app.clone(), stop_rx.clone()));
    let background = tokio::spawn(background_loop(app.clone(), notifier, stop_rx.clone()));

    shutdown.await;
    tracing::info!("shutting down: finishing running work");
    let _ = stop_tx.send(true);
    app.wake().notify_waiters();
    let grace = Duration::from_secs(config.daemon.grace_secs.unwrap_or(30));
    if tokio::time::timeout(grace, worker).await.is_err() {
        // Queued again now, for this daemon's next start or another daemon on a shared
        // store (which would otherwise wait out the lease).
        match app.hand_back(Utc::now()).await {
            Ok(handed) => tracing::warn!(
                grace_secs = grace.as_secs(),
                handed,
                "running jobs did not finish in the grace period; handed back to the queue"
            ),
            Err(e) => {
                tracing::error!(error = %e, "running jobs did not finish in the grace period and could not be handed back; they return when their lease expires")
            }
        }
    }
    background.abort();
    for server in servers {
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    }
    if file_id(&socket) == Some(bound) {
        let _ = std::fs::remove_file(&socket);
    }
    app.flush().await?;
    tracing::info!("daemon stopped");
    Ok(())
}

/// Resolves when the stop flag is raised.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Binds the local API's socket; with the socket file's identity, so that stopping removes
/// only the file this daemon made. Whatever else is at the path is left alone: a regular file
/// (a typo'd `[daemon] socket` once named the database itself, which the daemon deleted) or a
/// socket another daemon answers on. Only a socket nobody answers on (a killed daemon's) is
/// replaced.
fn bind_unix(path: &Path) -> Result<(tokio::net::UnixListener, (u64, u64)), DaemonError> {
    use std::os::unix::fs::FileTypeExt;
    let fail = |detail: String| DaemonError::Listen {
        what: path.display().to_string(),
        detail,
    };
    let refuse = |detail: &str| DaemonError::Settings {
        what: format!("cannot make the socket {}", path.display()),
        detail: detail.to_string(),
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(refuse(
                "a file that is not a socket is there, and the daemon would replace it: give [daemon] socket a path of its own (unset, it is <database>.sock)",
            ));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(refuse(
                "another daemon answers on it: give this daemon its own [daemon] socket",
            ));
        }
        std::fs::remove_file(path).map_err(|e| fail(e.to_string()))?;
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(|e| fail(e.to_string()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| fail(e.to_string()))?;
    let id = file_id(path).ok_or_else(|| fail("the socket vanished once made".into()))?;
    Ok((listener, id))
}

/// The file at `path` as (device, inode), when there is one.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// `127.0.0.1:7878`, `[::1]:7878`, or `localhost:7878` (IPv4 loopback, without asking a
/// resolver what localhost is).
fn tcp_address(listen: &str) -> Option<SocketAddr> {
    match listen.strip_prefix("localhost:") {
        Some(port) => Some(SocketAddr::from((
            std::net::Ipv4Addr::LOCALHOST,
            port.parse().ok()?,
        ))),
        None => listen.parse().ok(),
    }
}

async fn bind_tcp(
    listen: &str,
    token: Option<&crate::config::Secret>,
) -> Result<tokio::net::TcpListener, DaemonError> {
    let fail = |detail: String| DaemonError::Listen {
        what: listen.to_string(),
        detail,
    };
    let settings = |detail: &str| DaemonError::Settings {
        what: format!("cannot listen on {listen}"),
        detail: detail.to_string(),
    };
    let addr = tcp_address(listen)
        .ok_or_else(|| settings("not an address such as 127.0.0.1:7878 or localhost:7878"))?;
    // An empty token is none: every request would be refused, or an empty header let in.
    if token.is_some_and(|t| t.expose().trim().is_empty()) {
        return Err(settings("[daemon] token is empty: set a long random value"));
    }
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(settings(
            "refusing to serve beyond loopback without a token: set [daemon] token in the config",
        ));
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| fail(e.to_string()))
}

/// Runs worker steps while there is due work; otherwise waits for a wake-up or the poll.
async fn worker_loop(app: App, stop: watch::Receiver<bool>) {
    let poll = poll_interval(&app);
    while !*stop.borrow() {
        let notified = app.wake().notified();
        match app.step(Utc::now()).await {
            Ok(report) if report.claimed > 0 => {
                tracing::info!(?report, "worker step");
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "worker step failed"),
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

fn poll_interval(app: &App) -> Duration {
    Duration::from_millis(app.config().queue.poll_ms.max(10))
}

/// Scheduler ticks, lease renewal, pruning and webhook delivery.
async fn background_loop(
    app: App,
    notifier: Option<webhook::Notifier>,
    stop: watch::Receiver<bool>,
) {
    let poll = poll_interval(&app);
    while !*stop.borrow() {
        match app.upkeep(Utc::now()).await {
            Ok(due) if due > 0 => tracing::info!(due, "scheduled re-checks enqueued"),
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "scheduler tick, lease renewal or pruning failed")
            }
        }
        if let Some(notifier) = &notifier {
            notifier
                .deliver_pending(app.queue().store(), app.worker_id())
                .await;
        }
        tokio::time::sleep(poll).await;
    }
}
