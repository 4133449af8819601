//! Where a command's work happens: through a running daemon's API (its Unix socket), or on
//! the database directly when no daemon runs. Commands call the same methods either way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::check::{CheckFailure, Checker, ClaimResult, Progress};
use crate::claim::Claim;
use crate::config::Config;
use crate::daemon::api::{Added, ClaimDetail, ClaimSummary};
use crate::daemon::socket_path;
use crate::queue::{Enqueued, Job, JobState, Queue};
use crate::source::worldbank::WorldBank;
use crate::store::{ChangeEvent, Store, StoreError, Upsert, VerdictRecord};

use super::InputError;

/// The database, opened here or served by the daemon.
pub enum Backend {
    /// No daemon: this process opened the database.
    Local {
        /// The store.
        store: Store,
        /// Settings.
        config: Box<Config>,
    },
    /// A daemon holds the database; requests go to its API.
    Daemon(DaemonClient),
}

impl Backend {
    /// Uses the daemon when one answers on the database's socket, else opens the database.
    pub async fn connect(config: &Config, db: &Path) -> Result<Self> {
        let socket = socket_path(config, db);
        if socket.exists() {
            let client = DaemonClient::new(socket.clone())?;
            if client.get::<serde_json::Value>("/healthz").await.is_ok() {
                tracing::debug!(socket = %socket.display(), "using the running daemon");
                return Ok(Self::Daemon(client));
            }
        }
        match Store::open(db) {
            Ok(store) => Ok(Self::Local {
                store,
                config: Box::new(config.clone()),
            }),
            Err(StoreError::Locked(path)) => Err(anyhow!(
                "the database at {} is in use by another claimcheck process, and no daemon answers on {}; wait for that process to finish, or pass --db for another database",
                path.display(),
                socket.display()
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// True when a daemon serves the requests.
    pub fn is_daemon(&self) -> bool {
        matches!(self, Self::Daemon(_))
    }

    /// Stores validated claims (a daemon also queues their verification).
    pub async fn put_claims(&self, claims: Vec<Claim>) -> Result<Vec<(Claim, Upsert)>> {
        match self {
            Self::Local { store, .. } => {
                let mut out = Vec::new();
                for claim in claims {
                    let upsert = store.put_claim(&claim)?;
                    out.push((claim, upsert));
                }
                store.flush().await?;
                Ok(out)
            }
            Self::Daemon(client) => {
                if claims.is_empty() {
                    return Ok(Vec::new());
                }
                let added: Vec<Added> = client
                    .post("/claims", &serde_json::json!({ "claims": claims }))
                    .await?;
                Ok(added.into_iter().map(|a| (a.claim, a.upsert)).collect())
            }
        }
    }

    /// Every claim with its newest verdict.
    pub async fn summaries(&self) -> Result<Vec<ClaimSummary>> {
        match self {
            Self::Local { store, .. } => store
                .claims()?
                .into_iter()
                .map(|claim| {
                    let latest = store.latest_verdict(&claim.id)?;
                    Ok(ClaimSummary { claim, latest })
                })
                .collect(),
            Self::Daemon(client) => client.get("/claims").await,
        }
    }

    /// A claim and its history; `None` when there is no such claim.
    pub async fn detail(&self, id: &str) -> Result<Option<ClaimDetail>> {
        match self {
            Self::Local { store, .. } => match store.claim(id)? {
                Some(claim) => Ok(Some(ClaimDetail {
                    history: store.history(id)?,
                    claim,
                })),
                None => Ok(None),
            },
            Self::Daemon(client) => client.get_optional(&format!("/claims/{id}")).await,
        }
    }

    /// Removes a claim and its history; false when there was none.
    pub async fn remove(&self, id: &str) -> Result<bool> {
        match self {
            Self::Local { store, .. } => {
                let removed = store.remove_claim(id)?;
                store.flush().await?;
                Ok(removed)
            }
            Self::Daemon(client) => Ok(client
                .send_optional::<serde_json::Value>(
                    client.http.delete(client.url(&format!("/claims/{id}"))),
                )
                .await?
                .is_some()),
        }
    }

    /// Verifies claims and stores the verdicts: here, or by the daemon's worker (waiting
    /// for each job to finish).
    pub async fn verify(
        &self,
        claims: &[Claim],
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Vec<ClaimResult>> {
        match self {
            Self::Local { store, config } => {
                let checker = Checker::new(WorldBank::new(&config.worldbank)?, (**config).clone());
                Ok(checker.check(store, claims, Utc::now(), progress).await?)
            }
            Self::Daemon(client) => {
                let mut jobs = Vec::new();
                for claim in claims {
                    let enqueued: Enqueued = client
                        .post(
                            &format!("/claims/{}/verify", claim.id),
                            &serde_json::json!({}),
                        )
                        .await?;
                    jobs.push((claim.clone(), enqueued.job.id));
                }
                let mut results = Vec::new();
                for (claim, job_id) in jobs {
                    let outcome = client.wait_for(job_id, &claim.id).await?;
                    progress(Progress::Checked(&claim.id));
                    results.push(ClaimResult { claim, outcome });
                }
                Ok(results)
            }
        }
    }

    /// The whole database, read consistently (by the daemon when one runs).
    pub async fn backup(&self) -> Result<crate::backup::Backup> {
        match self {
            Self::Local { store, .. } => crate::backup::dump(store.sled_db()),
            Self::Daemon(client) => client.get("/backup").await,
        }
    }

    /// Jobs, newest first.
    pub async fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>> {
        match self {
            Self::Local { store, config } => {
                Ok(Queue::new(store.clone(), config.queue.clone()).list(state)?)
            }
            Self::Daemon(client) => {
                let query = state
                    .map(|s| {
                        format!(
                            "?state={}",
                            serde_json::to_value(s)
                                .expect("states serialize")
                                .as_str()
                                .unwrap_or("")
                        )
                    })
                    .unwrap_or_default();
                client.get(&format!("/jobs{query}")).await
            }
        }
    }

    /// Sends a dead job back to the queue.
    pub async fn retry_job(&self, id: u64) -> Result<Job> {
        match self {
            Self::Local { store, config } => {
                let job = Queue::new(store.clone(), config.queue.clone())
                    .retry(id, Utc::now())
                    .map_err(|e| InputError(e.to_string()))?;
                store.flush().await?;
                Ok(job)
            }
            Self::Daemon(client) => {
                client
                    .post(&format!("/jobs/{id}/retry"), &serde_json::json!({}))
                    .await
            }
        }
    }

    /// Change events at or after `since`.
    pub async fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>> {
        match self {
            Self::Local { store, .. } => Ok(store.changes(since)?),
            Self::Daemon(client) => {
                let query = since
                    .map(|s| {
                        format!(
                            "?since={}",
                            s.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                                .replace('+', "%2B")
                        )
                    })
                    .unwrap_or_default();
                client.get(&format!("/changes{query}")).await
            }
        }
    }
}

/// How long `verify` waits for the daemon to finish one job.
const WAIT_LIMIT: Duration = Duration::from_secs(600);

/// An HTTP client for the daemon's Unix socket.
pub struct DaemonClient {
    http: reqwest::Client,
    socket: PathBuf,
}

impl DaemonClient {
    fn new(socket: PathBuf) -> Result<Self> {
        let http = reqwest::Client::builder()
            .unix_socket(socket.clone())
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build the daemon client")?;
        Ok(Self { http, socket })
    }

    fn url(&self, path: &str) -> String {
        format!("http://claimcheck{path}")
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send_optional(self.http.get(self.url(path)))
            .await?
            .ok_or_else(|| anyhow!("the daemon has nothing at {path}"))
    }

    async fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        self.send_optional(self.http.get(self.url(path))).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &serde_json::Value) -> Result<T> {
        let request = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.send_optional(request)
            .await?
            .ok_or_else(|| InputError(format!("the daemon found nothing at {path}")).into())
    }

    /// Sends a request; 404 is `None`, other errors carry the daemon's message.
    async fn send_optional<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>> {
        let response = request
            .send()
            .await
            .with_context(|| format!("the daemon on {} did not answer", self.socket.display()))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let body = response
            .bytes()
            .await
            .context("reading the daemon's answer")?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            if status.is_client_error() {
                bail!(InputError(message));
            }
            bail!("the daemon answered {status}: {message}");
        }
        Ok(Some(serde_json::from_slice(&body).context(
            "the daemon's answer is not what this version expects",
        )?))
    }

    /// Waits until a job succeeded (then returns the claim's newest verdict) or failed.
    async fn wait_for(
        &self,
        job_id: u64,
        claim_id: &str,
    ) -> Result<Result<VerdictRecord, CheckFailure>> {
        let deadline = std::time::Instant::now() + WAIT_LIMIT;
        loop {
            let job: Job = self.get(&format!("/jobs/{job_id}")).await?;
            match job.state {
                JobState::Succeeded => {
                    let history: Vec<VerdictRecord> =
                        self.get(&format!("/claims/{claim_id}/verdicts")).await?;
                    let latest = history.into_iter().next().ok_or_else(|| {
                        anyhow!("job {job_id} succeeded but claim {claim_id} has no verdict")
                    })?;
                    return Ok(Ok(latest));
                }
                JobState::Dead | JobState::Retrying => {
                    let reason = job.last_error.unwrap_or_else(|| "failed".into());
                    let retrying = job.state == JobState::Retrying;
                    let reason = if retrying {
                        format!(
                            "{reason} (the daemon retries job {job_id} at {})",
                            job.run_at.format("%H:%M:%S UTC")
                        )
                    } else {
                        reason
                    };
                    return Ok(Err(CheckFailure {
                        reason,
                        retryable: retrying,
                    }));
                }
                JobState::Queued | JobState::Running if std::time::Instant::now() > deadline => {
                    return Ok(Err(CheckFailure {
                        reason: format!(
                            "job {job_id} is still {} after {} minutes; follow it with `claimcheck jobs`",
                            format!("{:?}", job.state).to_lowercase(),
                            WAIT_LIMIT.as_secs() / 60
                        ),
                        retryable: true,
                    }));
                }
                JobState::Queued | JobState::Running => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
            }
        }
    }
}
