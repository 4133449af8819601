//! Where a command's operations run: in this process over the database ([`App`]), or through
//! the daemon that holds the database ([`Client`]). Each method is the same operation either
//! way; only the transport differs, so a command prints the same with or without a daemon.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};

use super::InputError;
use crate::api::client::{Client, ClientError};
use crate::api::types::{Added, ClaimDetail, ClaimSummary, JobResult, Verifying};
use crate::app::{App, AppError};
use crate::check::Progress;
use crate::claim::Claim;
use crate::config::Config;
use crate::daemon::socket_path;
use crate::queue::{Job, JobState, QueueError};
use crate::store::{self, ChangeEvent, StoreError};

/// How long `verify` waits for the daemon to settle the jobs it queued.
const WAIT_LIMIT: Duration = Duration::from_secs(1800);

/// The database, opened here or served by the daemon.
pub enum Backend {
    /// No daemon: this process opened the database.
    Local(App),
    /// A daemon holds the database; requests go to its API.
    Daemon(Client),
}

/// How long a command waits for a daemon's health answer before it concludes the daemon
/// does not answer.
const HEALTH_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Backend {
    /// [`Backend::connect`] for commands that read or check what is stored: a sled database
    /// that does not exist is refused, not made (a typo in `--db` under cron made an empty
    /// database and reported "no claims are due", exit 0).
    pub async fn existing(config: &Config, db: &Path) -> Result<Self> {
        if !store::is_url(db) && !db.exists() {
            return Err(InputError::Message(format!(
                "no database at {}: check --db (or CLAIMCHECK_DB); `claimcheck import FILE` or `claimcheck add …` makes one",
                db.display()
            ))
            .into());
        }
        Self::connect(config, db).await
    }

    /// Uses the daemon when one answers on the database's socket (and serves this
    /// database), else opens the database. A PostgreSQL database is always opened here:
    /// any number of processes share it, daemons included.
    pub async fn connect(config: &Config, db: &Path) -> Result<Self> {
        let socket = socket_path(config, db);
        let mut silent = None;
        if !store::is_url(db) && socket.exists() {
            let client = Client::new(&socket)?;
            match client.health_within(HEALTH_LIMIT).await {
                Ok(health) => {
                    same_database(&health.db, db, &socket)?;
                    tracing::debug!(socket = %socket.display(), "using the running daemon");
                    return Ok(Self::Daemon(client));
                }
                Err(e) => silent = Some(e),
            }
        }
        let store = store::open(db).map_err(|e| match e {
            StoreError::Locked(path) => match &silent {
                // The socket is there and the database held: a daemon that does not answer.
                Some(why) if !matches!(why, ClientError::Unreachable { .. }) => anyhow!(
                    "the daemon on {} holds the database at {} but does not answer ({why}): it may be stopped (kill -CONT) or overloaded; see its log, or restart it",
                    socket.display(),
                    path.display()
                ),
                _ => anyhow!(
                    "the database at {} is in use by another claimcheck process, and no daemon answers on {}; wait for that process to finish, or pass --db for another database",
                    path.display(),
                    socket.display()
                ),
            },
            StoreError::BadLocation { .. } => InputError::cause(e).into(),
            other => other.into(),
        })?;
        Ok(Self::Local(
            App::start(store, config.clone(), Utc::now()).await?,
        ))
    }

    /// Stores validated claims; new and changed ones are queued for verification.
    pub async fn add(&self, claims: Vec<Claim>) -> Result<Vec<Added>> {
        match self {
            Self::Local(app) => app.add(claims, Utc::now()).await.map_err(app_error),
            Self::Daemon(client) => Ok(client.add(&claims).await.map_err(client_error)?),
        }
    }

    /// Every claim with its newest verdict.
    pub async fn list(&self) -> Result<Vec<ClaimSummary>> {
        match self {
            Self::Local(app) => Ok(app.list().await?),
            Self::Daemon(client) => Ok(client.list().await.map_err(client_error)?),
        }
    }

    /// A claim and its history.
    pub async fn show(&self, id: &str) -> Result<ClaimDetail> {
        match self {
            Self::Local(app) => app.show(id).await.map_err(app_error),
            Self::Daemon(client) => client.show(id).await.map_err(client_error),
        }
    }

    /// Removes a claim and its history.
    pub async fn remove(&self, id: &str) -> Result<()> {
        match self {
            Self::Local(app) => app.remove(id, Utc::now()).await.map_err(app_error),
            Self::Daemon(client) => client.remove(id).await.map_err(client_error),
        }
    }

    /// Queues verifications of claims.
    pub async fn verify(&self, ids: Vec<String>) -> Result<Vec<Verifying>> {
        match self {
            Self::Local(app) => app.verify(ids, Utc::now()).await.map_err(app_error),
            Self::Daemon(client) => client.verify(&ids).await.map_err(client_error),
        }
    }

    /// Queues a verification of every stored claim.
    pub async fn verify_all(&self) -> Result<Vec<Verifying>> {
        match self {
            Self::Local(app) => app.verify_all(Utc::now()).await.map_err(app_error),
            Self::Daemon(client) => client.verify_all().await.map_err(client_error),
        }
    }

    /// Queues the claims whose schedule is due; returns every due job.
    pub async fn due(&self) -> Result<Vec<Job>> {
        match self {
            Self::Local(app) => Ok(app.due(Utc::now()).await?),
            Self::Daemon(client) => Ok(client.due().await.map_err(client_error)?),
        }
    }

    /// Runs the queued jobs to a settled state (here: the worker in this process; with a
    /// daemon: its worker, waited for) and returns their results.
    pub async fn settle(
        &self,
        jobs: &[u64],
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Vec<JobResult>> {
        match self {
            Self::Local(app) => Ok(app.settle(jobs.to_vec(), Utc::now(), progress).await?),
            Self::Daemon(client) => wait_for(client, jobs, progress).await,
        }
    }

    /// Jobs, newest first.
    pub async fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>> {
        match self {
            Self::Local(app) => Ok(app.jobs(state).await?),
            Self::Daemon(client) => Ok(client.jobs(state).await.map_err(client_error)?),
        }
    }

    /// Sends a dead job back to the queue.
    pub async fn retry(&self, id: u64) -> Result<Job> {
        match self {
            Self::Local(app) => app.retry(id, Utc::now()).await.map_err(app_error),
            Self::Daemon(client) => client.retry(id).await.map_err(client_error),
        }
    }

    /// Change events at or after `since`.
    pub async fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>> {
        match self {
            Self::Local(app) => Ok(app.changes(since).await?),
            Self::Daemon(client) => Ok(client.changes(since).await.map_err(client_error)?),
        }
    }
    /// True when a daemon serves the requests.
    pub fn is_daemon(&self) -> bool {
        matches!(self, Self::Daemon(_))
    }

    /// The response cache's statistics.
    pub async fn cache_stats(&self) -> Result<crate::cache::CacheStats> {
        match self {
            Self::Local(app) => Ok(app.cache_stats(Utc::now()).await?),
            Self::Daemon(client) => client.cache_stats().await.map_err(client_error),
        }
    }

    /// Empties the response cache.
    pub async fn cache_clear(&self) -> Result<usize> {
        match self {
            Self::Local(app) => Ok(app.cache_clear().await?),
            Self::Daemon(client) => client.cache_clear().await.map_err(client_error),
        }
    }

    /// Keeps a scanned article for the report.
    pub async fn put_article(&self, article: crate::scan::Article) -> Result<()> {
        match self {
            Self::Local(app) => Ok(app.put_article(article).await?),
            Self::Daemon(client) => client.put_article(&article).await.map_err(client_error),
        }
    }

    /// The scanned article kept under `tag`.
    pub async fn article(&self, tag: &str) -> Result<Option<crate::scan::Article>> {
        match self {
            Self::Local(app) => Ok(app.article(tag).await?),
            Self::Daemon(client) => client.article(tag).await.map_err(client_error),
        }
    }

    /// The whole database, read consistently (by the daemon when one runs).
    pub async fn backup(&self) -> Result<crate::backup::Backup> {
        match self {
            Self::Local(app) => Ok(app.backup().await?),
            Self::Daemon(client) => client.backup().await.map_err(client_error),
        }
    }

    /// Replaces the database with a backup; only without a daemon (it replaces everything).
    pub async fn restore(&self, backup: crate::backup::Backup, force: bool) -> Result<usize> {
        match self {
            Self::Local(app) => app.restore(backup, force).await.map_err(app_error),
            Self::Daemon(_) => Err(InputError::Message(
                "a claimcheck daemon holds this database: stop it first (restore replaces the whole database)".into(),
            )
            .into()),
        }
    }
}

/// Polls the daemon until every job is settled, reporting finished claims as progress.
async fn wait_for(
    client: &Client,
    jobs: &[u64],
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<Vec<JobResult>> {
    let deadline = std::time::Instant::now() + WAIT_LIMIT;
    let mut reported = std::collections::HashSet::new();
    loop {
        let results = client.results(jobs).await.map_err(client_error)?;
        for result in results.iter().filter(|r| r.is_settled()) {
            if reported.insert(result.job.id) {
                progress(Progress::Checked(&result.claim.id));
            }
        }
        if results.iter().all(JobResult::is_settled) || std::time::Instant::now() > deadline {
            return Ok(results);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Refuses to send writes to a daemon that serves another database than `--db`.
fn same_database(served: &str, db: &Path, socket: &Path) -> Result<()> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
    if canonical(Path::new(served)) == canonical(db) {
        return Ok(());
    }
    Err(InputError::Message(format!(
        "the daemon on {} serves the database {served}, not {}; pass --db {served}, or set [daemon] socket to the socket of the daemon for {}",
        socket.display(),
        db.display(),
        db.display()
    ))
    .into())
}

/// Maps an operation's error: the user's mistakes exit 2, the rest 3.
fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::UnknownClaim { .. }
        | AppError::NotEmpty { .. }
        | AppError::ScheduleTooFrequent { .. }
        | AppError::Queue(QueueError::UnknownJob(_) | QueueError::NotDead { .. })
        | AppError::Queue(QueueError::Store(StoreError::SlotTaken { .. })) => {
            InputError::cause(e).into()
        }
        other => other.into(),
    }
}

fn client_error(e: ClientError) -> anyhow::Error {
    if e.is_input() {
        InputError::cause(e).into()
    } else {
        e.into()
    }
}
