//! The durable job queue on sled: verify jobs with leases, retries, dead jobs and a
//! one-pending-job-per-claim rule, and the worker's [`step`].
//!
//! Guarantees (at-least-once with leases):
//! - A worker takes a job by compare-and-swap on its stored record, so two workers never
//!   both take it; it holds a lease that [`Queue::renew`] extends while it works.
//! - A job whose lease expired (worker crashed, process killed) goes back to `queued`
//!   ([`Queue::rescue`]); at daemon start every `running` job is rescued at once, since sled
//!   lets only one process open the database.
//! - Finishing is a transaction that first checks the job is still `running` under the same
//!   worker and attempt, then writes the verdict and the job's new state together: a late
//!   duplicate writes nothing, and one job never writes two verdicts.
//! - Retryable failures (network, 429, 5xx) wait with exponential backoff and jitter, up to
//!   `max_attempts`; permanent ones (unknown indicator, removed claim) die at once with the
//!   reason. Dead jobs stay until retried.
//! - Not promised: exactly-once fetching (a crash after fetching and before finishing fetches
//!   again), or ordering between claims.

pub mod schedule;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{abort, ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::check::{CheckFailure, Checker};
use crate::config::QueueConfig;
use crate::source::Source;
use crate::store::{decode, encode, JobTransition, Store, StoreError};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// Finished with a stored verdict.
    Succeeded,
    /// Failed, waiting for its next attempt.
    Retrying,
    /// Failed for good; `last_error` says why.
    Dead,
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase())).map_err(|_| {
            format!("unknown job state {s:?}; one of: queued, running, succeeded, retrying, dead")
        })
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Verify one claim and store its verdict.
    #[default]
    Verify,
}

/// A user's request runs before a scheduled re-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Asked for by a person (CLI, API).
    User,
    /// A scheduled re-check.
    Scheduled,
}

/// One verify job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unique, increasing id.
    pub id: u64,
    /// The claim to verify.
    pub claim_id: String,
    /// What the job does.
    #[serde(default)]
    pub kind: JobKind,
    /// User request or scheduled re-check.
    pub priority: Priority,
    /// State.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: u32,
    /// Not before this time.
    pub run_at: DateTime<Utc>,
    /// Lease expiry while running.
    pub lease_until: Option<DateTime<Utc>>,
    /// The worker holding it.
    pub worker: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last state change.
    pub updated_at: DateTime<Utc>,
    /// Succeeded or died.
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    fn key(&self) -> [u8; 8] {
        self.id.to_be_bytes()
    }

    /// True while a worker may still pick it up or hold it.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.state,
            JobState::Queued | JobState::Running | JobState::Retrying
        )
    }

    fn held_by(&self, holder: &Job) -> bool {
        self.state == JobState::Running
            && self.worker == holder.worker
            && self.attempts == holder.attempts
    }
}

/// A queue problem.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No job with that id.
    #[error("no job with id {0}")]
    UnknownJob(u64),
    /// The job is not in a state that allows the request.
    #[error("{0}")]
    Conflict(String),
}

/// The result of [`Queue::enqueue`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enqueued {
    /// The job (new, or the claim's existing pending job).
    pub job: Job,
    /// False when the claim already had a pending job.
    pub created: bool,
}

/// The job queue, stored in the claims database.
#[derive(Debug, Clone)]
pub struct Queue {
    store: Store,
    config: QueueConfig,
}

impl Queue {
    /// The queue in `store`.
    pub fn new(store: Store, config: QueueConfig) -> Self {
        Self { store, config }
    }

    /// The store it lives in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Its settings.
    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    fn jobs(&self) -> &sled::Tree {
        self.store.queue_trees().0
    }

    fn err(&self, e: sled::Error) -> QueueError {
        QueueError::Store(self.store.sled_error(e))
    }

    /// Enqueues a verify job for a claim, unless it has a pending one: then that job is
    /// returned (a user request raises its priority and makes it due now).
    pub fn enqueue(
        &self,
        claim_id: &str,
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<Enqueued, QueueError> {
        let (jobs, pending, _) = self.store.queue_trees();
        let id = self.store.generate_id()?;
        let fresh = Job {
            id,
            claim_id: claim_id.to_string(),
            kind: JobKind::Verify,
            priority,
            state: JobState::Queued,
            attempts: 0,
            run_at: now,
            lease_until: None,
            worker: None,
            last_error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        };
        let result = (jobs, pending).transaction(|(jobs, pending)| {
            if let Some(key) = pending.get(claim_id)? {
                if let Some(bytes) = jobs.get(&key)? {
                    let mut job: Job = serde_json::from_slice(&bytes).expect("jobs decode");
                    if priority < job.priority && job.state != JobState::Running {
                        job.priority = priority;
                        job.run_at = job.run_at.min(now);
                        job.updated_at = now;
                        jobs.insert(&key, encode(&job))?;
                    }
                    return Ok(Enqueued {
                        job,
                        created: false,
                    });
                }
            }
            jobs.insert(&fresh.key(), encode(&fresh))?;
            pending.insert(claim_id, &fresh.key())?;
            Ok::<_, ConflictableTransactionError<()>>(Enqueued {
                job: fresh.clone(),
                created: true,
            })
        });
        result.map_err(|e| match e {
            TransactionError::Storage(e) => self.err(e),
            TransactionError::Abort(()) => unreachable!("enqueue never aborts"),
        })
    }

    /// One job by id.
    pub fn get(&self, id: u64) -> Result<Option<Job>, QueueError> {
        let bytes = self.jobs().get(id.to_be_bytes()).map_err(|e| self.err(e))?;
        Ok(bytes
            .map(|b| decode("jobs", &id.to_string(), &b))
            .transpose()?)
    }

    /// Jobs, newest first, optionally only those in `state`.
    pub fn list(&self, state: Option<JobState>) -> Result<Vec<Job>, QueueError> {
        let mut jobs = Vec::new();
        for item in self.jobs().iter().rev() {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            let job: Job = decode("jobs", &format!("{key:?}"), &bytes)?;
            if state.is_none_or(|s| s == job.state) {
                jobs.push(job);
            }
        }
        Ok(jobs)
    }

    /// Takes up to `limit` due jobs for `worker`, best priority and oldest first, each by
    /// compare-and-swap (a job another worker took in between is skipped).
    pub fn claim_due(
        &self,
        worker: &str,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>, QueueError> {
        let mut due: Vec<(Job, sled::IVec)> = Vec::new();
        for item in self.jobs().iter() {
            let (_, bytes) = item.map_err(|e| self.err(e))?;
            let job: Job = decode("jobs", "due", &bytes)?;
            if matches!(job.state, JobState::Queued | JobState::Retrying) && job.run_at <= now {
                due.push((job, bytes));
            }
        }
        due.sort_by_key(|(job, _)| (job.priority, job.run_at, job.id));
        let mut taken = Vec::new();
        for (mut job, old) in due {
            if taken.len() == limit {
                break;
            }
            job.state = JobState::Running;
            job.attempts += 1;
            job.worker = Some(worker.to_string());
            job.lease_until = Some(now + self.lease());
            job.updated_at = now;
            let swapped = self
                .jobs()
                .compare_and_swap(job.key(), Some(old), Some(encode(&job)))
                .map_err(|e| self.err(e))?;
            if swapped.is_ok() {
                taken.push(job);
            }
        }
        Ok(taken)
    }

    fn lease(&self) -> Duration {
        Duration::seconds(self.config.lease_secs as i64)
    }

    /// Extends the lease of every job `worker` holds once a third of it has passed;
    /// returns how many were extended.
    pub fn renew(&self, worker: &str, now: DateTime<Utc>) -> Result<usize, QueueError> {
        let mut renewed = 0;
        let refresh_before = now + self.lease() * 2 / 3;
        for job in self.list(Some(JobState::Running))? {
            if job.worker.as_deref() != Some(worker)
                || job.lease_until.is_some_and(|t| t > refresh_before)
            {
                continue;
            }
            let applied = self.update(job.id, |current| {
                current.held_by(&job).then(|| Job {
                    lease_until: Some(now + self.lease()),
                    ..current.clone()
                })
            })?;
            renewed += usize::from(applied.is_some());
        }
        Ok(renewed)
    }

    /// Rewrites one job by compare-and-swap, retrying on concurrent change; `change`
    /// returns `None` to leave it. Returns the new job when written.
    fn update(
        &self,
        id: u64,
        change: impl Fn(&Job) -> Option<Job>,
    ) -> Result<Option<Job>, QueueError> {
        let key = id.to_be_bytes();
        loop {
            let Some(old) = self.jobs().get(key).map_err(|e| self.err(e))? else {
                return Ok(None);
            };
            let job: Job = decode("jobs", &id.to_string(), &old)?;
            let Some(new) = change(&job) else {
                return Ok(None);
            };
            let swapped = self
                .jobs()
                .compare_and_swap(key, Some(old), Some(encode(&new)))
                .map_err(|e| self.err(e))?;
            if swapped.is_ok() {
                return Ok(Some(new));
            }
        }
    }

    /// Puts running jobs whose lease expired (or all running jobs, at daemon start) back
    /// to `queued`, or to `dead` when their attempts are used up. Returns how many.
    pub fn rescue(&self, now: DateTime<Utc>, all_running: bool) -> Result<usize, QueueError> {
        let mut rescued = 0;
        for job in self.list(Some(JobState::Running))? {
            let expired = job.lease_until.is_none_or(|t| t <= now);
            if !(all_running || expired) {
                continue;
            }
            let reason = format!(
                "attempt {} stopped without finishing (worker crashed or was killed)",
                job.attempts
            );
            let out_of_attempts = job.attempts >= self.config.max_attempts;
            let moved = self.transition(&job, now, |j| {
                j.last_error = Some(reason.clone());
                if out_of_attempts {
                    j.state = JobState::Dead;
                    j.finished_at = Some(now);
                } else {
                    j.state = JobState::Queued;
                    j.run_at = now;
                }
            })?;
            rescued += usize::from(moved);
        }
        Ok(rescued)
    }

    /// Applies `change` to a job `holder` still holds, in one transaction with releasing the
    /// claim's pending slot when the job leaves the pending states.
    fn transition(
        &self,
        holder: &Job,
        now: DateTime<Utc>,
        change: impl Fn(&mut Job),
    ) -> Result<bool, QueueError> {
        let (jobs, pending, _) = self.store.queue_trees();
        let key = holder.key();
        let result = (jobs, pending).transaction(|(jobs, pending)| {
            let Some(bytes) = jobs.get(key)? else {
                return abort(());
            };
            let mut job: Job = serde_json::from_slice(&bytes).expect("jobs decode");
            if !job.held_by(holder) {
                return abort(());
            }
            change(&mut job);
            job.worker = None;
            job.lease_until = None;
            job.updated_at = now;
            if !job.is_pending() && pending.get(&job.claim_id)?.as_deref() == Some(&key[..]) {
                pending.remove(job.claim_id.as_bytes())?;
            }
            jobs.insert(&key, encode(&job))?;
            Ok::<_, ConflictableTransactionError<()>>(())
        });
        match result {
            Ok(()) => Ok(true),
            Err(TransactionError::Abort(())) => Ok(false),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    /// Records a verdict for a held job and marks it succeeded, atomically. `None` when the
    /// job is no longer held (lease lost): nothing is written.
    pub fn succeed(
        &self,
        job: &Job,
        verdict: crate::verify::Verdict,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::store::VerdictRecord>, QueueError> {
        let update = |current: Option<&[u8]>| {
            let mut current: Job = serde_json::from_slice(current?).ok()?;
            if !current.held_by(job) {
                return None;
            }
            current.state = JobState::Succeeded;
            current.worker = None;
            current.lease_until = None;
            current.last_error = None;
            current.updated_at = now;
            current.finished_at = Some(now);
            Some(encode(&current))
        };
        let transition = JobTransition {
            key: job.key(),
            update: &update,
        };
        Ok(self
            .store
            .append_verdict_with(&job.claim_id, verdict, now, Some(transition))?)
    }

    /// Records a failed attempt: `retrying` with backoff while attempts remain and the
    /// failure may pass, else `dead`. False when the job is no longer held.
    pub fn fail(
        &self,
        job: &Job,
        failure: &CheckFailure,
        now: DateTime<Utc>,
    ) -> Result<bool, QueueError> {
        let retry = failure.retryable && job.attempts < self.config.max_attempts;
        let delay = self.backoff(job);
        self.transition(job, now, |j| {
            j.last_error = Some(failure.reason.clone());
            if retry {
                j.state = JobState::Retrying;
                j.run_at = now + delay;
            } else {
                j.state = JobState::Dead;
                j.finished_at = Some(now);
            }
        })
    }

    /// The wait before the next attempt: `retry_base_secs · 2^(attempts-1)`, capped, with
    /// ±25% jitter derived from the job id (deterministic, so tests need no randomness).
    pub fn backoff(&self, job: &Job) -> Duration {
        let exponent = job.attempts.saturating_sub(1).min(20);
        let base = self.config.retry_base_secs.saturating_mul(1 << exponent);
        let capped = base.min(self.config.retry_max_secs) as f64;
        let mut hasher = DefaultHasher::new();
        (job.id, job.attempts).hash(&mut hasher);
        let unit = (hasher.finish() % 1000) as f64 / 1000.0; // 0..1
        let seconds = capped * (0.75 + 0.5 * unit);
        Duration::milliseconds((seconds * 1000.0) as i64)
    }

    /// Sends a dead job back to `queued` with fresh attempts.
    pub fn retry(&self, id: u64, now: DateTime<Utc>) -> Result<Job, QueueError> {
        let (jobs, pending, _) = self.store.queue_trees();
        let key = id.to_be_bytes();
        let result = (jobs, pending).transaction(|(jobs, pending)| {
            let Some(bytes) = jobs.get(key)? else {
                return abort(QueueError::UnknownJob(id));
            };
            let mut job: Job = serde_json::from_slice(&bytes).expect("jobs decode");
            if job.state != JobState::Dead {
                return abort(QueueError::Conflict(
                    format!(
                        "job {id} is {:?}, not dead: only dead jobs can be retried",
                        job.state
                    )
                    .to_lowercase(),
                ));
            }
            if let Some(other) = pending.get(&job.claim_id)? {
                return abort(QueueError::Conflict(format!(
                    "claim {} already has pending job {}",
                    job.claim_id,
                    u64::from_be_bytes(other.as_ref().try_into().unwrap_or([0; 8]))
                )));
            }
            job.state = JobState::Queued;
            job.attempts = 0;
            job.run_at = now;
            job.priority = Priority::User;
            job.finished_at = None;
            job.updated_at = now;
            jobs.insert(&key, encode(&job))?;
            pending.insert(job.claim_id.as_bytes(), &key)?;
            Ok(job)
        });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.err(e),
        })
    }

    /// Deletes succeeded jobs finished more than `prune_after_hours` ago; returns how many.
    pub fn prune(&self, now: DateTime<Utc>) -> Result<usize, QueueError> {
        let cutoff = now - Duration::hours(self.config.prune_after_hours as i64);
        let mut pruned = 0;
        for job in self.list(Some(JobState::Succeeded))? {
            if job.finished_at.is_some_and(|t| t < cutoff) {
                self.jobs().remove(job.key()).map_err(|e| self.err(e))?;
                pruned += 1;
            }
        }
        Ok(pruned)
    }
}

/// What one worker step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// Expired leases handed back.
    pub rescued: usize,
    /// Jobs taken.
    pub claimed: usize,
    /// Jobs finished with a verdict.
    pub succeeded: usize,
    /// Jobs waiting to retry.
    pub retrying: usize,
    /// Jobs that died.
    pub dead: usize,
    /// Jobs whose lease was lost before finishing (their result was dropped).
    pub lost: usize,
}

/// One worker step: rescue expired leases, take a batch of due jobs, check their claims
/// (each series fetched once), and finish every job. Tests call it with their own `now`.
pub async fn step<S: Source>(
    queue: &Queue,
    checker: &Checker<S>,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<StepReport, QueueError> {
    let mut report = StepReport {
        rescued: queue.rescue(now, false)?,
        ..StepReport::default()
    };
    let jobs = queue.claim_due(worker, queue.config.batch_size, now)?;
    report.claimed = jobs.len();
    if jobs.is_empty() {
        return Ok(report);
    }
    let mut claims = Vec::new();
    let mut held = Vec::new();
    for job in jobs {
        match queue.store.claim(&job.claim_id)? {
            Some(claim) => {
                claims.push(claim);
                held.push(job);
            }
            None => {
                let failure = CheckFailure {
                    reason: format!("claim {} was removed", job.claim_id),
                    retryable: false,
                };
                if queue.fail(&job, &failure, now)? {
                    report.dead += 1;
                }
            }
        }
    }
    let span = tracing::info_span!("worker_step", worker, jobs = held.len());
    let checked =
        tracing::Instrument::instrument(checker.evaluate(&queue.store, &claims, now, |_| {}), span)
            .await?;
    for (job, checked) in held.iter().zip(checked) {
        match checked.outcome {
            Ok(verdict) => match queue.succeed(job, verdict, now)? {
                Some(_) => report.succeeded += 1,
                None => report.lost += 1,
            },
            Err(failure) => {
                if !queue.fail(job, &failure, now)? {
                    report.lost += 1;
                } else if failure.retryable && job.attempts < queue.config.max_attempts {
                    report.retrying += 1;
                } else {
                    report.dead += 1;
                }
            }
        }
        tracing::info!(job = job.id, claim = %job.claim_id, attempt = job.attempts, "job finished");
    }
    queue.store.flush().await?;
    Ok(report)
}
