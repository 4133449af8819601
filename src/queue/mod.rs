//! The durable job queue: verify jobs with leases, retries, dead jobs and a
//! one-pending-job-per-claim rule, stated once here over the [`Storage`] trait, and the
//! worker's [`step`] (in [`worker`]).
//!
//! Guarantees (at-least-once with leases), on every backend:
//! - A worker takes a job by an atomic conditional update of its record ([`Job::taken`] only
//!   applies to a due job), so two workers never both take it; it holds a lease that
//!   [`Queue::renew`] extends while it works.
//! - A job whose lease expired (worker crashed, process killed) goes back to `queued`
//!   ([`Queue::rescue`]) without using an attempt: a crash is not the job's fault. Rescues are
//!   counted and capped (`max_rescues`), so a claim that crashes the worker every time ends
//!   dead with a reason a person can act on.
//! - Finishing is one transaction that first checks the job is still `running` under the same
//!   worker, attempt and rescue count, then writes the verdict and the job's new state
//!   together: a late duplicate writes nothing, and one job never writes two verdicts.
//! - Retryable failures (network, 429, 5xx, truncated answers) wait with exponential backoff
//!   and jitter, up to `max_attempts`; permanent ones (unknown indicator, removed claim) die
//!   at once with the reason. Dead jobs stay until retried.
//! - Removing a claim cancels its pending job in the same transaction: no verdict lands after.
//! - Not promised: exactly-once fetching (a crash after fetching and before finishing fetches
//!   again), or ordering between claims.

mod job;
pub mod schedule;
pub mod worker;

pub use job::{Job, JobKind, JobState, Priority};
pub use worker::{step, StepReport, Take, Until};

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::check::{CheckFailure, Judgement};
use crate::config::QueueConfig;
use crate::inputs::{Inputs, StoredJudged};
use crate::store::{JobUpdate, JobWrite, Settle, Store, StoreError, VerdictRecord};
use crate::verify::Verdict;

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
    #[error("job {id} is {state}, not dead: only dead jobs can be retried")]
    NotDead {
        /// The job.
        id: u64,
        /// Its state.
        state: JobState,
    },
}

/// The result of [`Queue::enqueue`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enqueued {
    /// The job (new, or the claim's existing pending job).
    pub job: Job,
    /// False when the claim already had a pending job.
    pub created: bool,
}

/// Requests settled at once per transaction. Each transaction reads two records per
/// request and writes two records in all (its jobs, its re-checks), so a larger one costs
/// little more, and a `verify --all` of 10,000 claims is one record of each.
const SETTLE_CHUNK: usize = 10_000;

/// The job queue, kept in the claims database.
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

    fn lease(&self) -> Duration {
        Duration::seconds(self.config.lease_secs as i64)
    }

    /// Enqueues a verify job for a claim, unless it has a pending one: then that job is
    /// returned (a user request raises its priority and makes it due now).
    pub fn enqueue(
        &self,
        claim_id: &str,
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<Enqueued, QueueError> {
        let mut one = self.enqueue_all(&[claim_id], priority, now)?;
        Ok(one.remove(0))
    }

    /// [`enqueue`](Self::enqueue) for several claims, in one transaction.
    pub fn enqueue_all(
        &self,
        claim_ids: &[&str],
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<Vec<Enqueued>, QueueError> {
        let fresh = claim_ids
            .iter()
            .map(|id| Ok(Job::new(self.store.new_job_id()?, id, priority, now)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let raise = |existing: &Job| existing.raised(priority, now);
        let written = self.store.insert_jobs(&fresh, &raise)?;
        Ok(written
            .into_iter()
            .map(|(job, created)| Enqueued { job, created })
            .collect())
    }

    /// One job by id.
    pub fn get(&self, id: u64) -> Result<Option<Job>, QueueError> {
        Ok(self.store.job(id)?)
    }

    /// Jobs, newest first, optionally only those in `state`.
    pub fn list(&self, state: Option<JobState>) -> Result<Vec<Job>, QueueError> {
        Ok(self.store.jobs(state)?)
    }

    /// Takes up to `limit` due jobs for `worker`, best priority and oldest first, each by an
    /// atomic conditional update (a job another worker took in between is skipped).
    pub fn take(
        &self,
        worker: &str,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>, QueueError> {
        let lease = self.lease();
        let change = |current: &Job| current.taken(worker, now, lease);
        // One transaction for the batch: a job another worker took in between is declined
        // (or, on a shared backend, skipped while another worker holds it).
        Ok(self.store.take_jobs(now, limit, &change)?)
    }

    /// Takes those of `ids` that are due, for `worker`, in one transaction (the others are
    /// left as they are): `verify` running the jobs it queued and no others.
    pub fn take_these(
        &self,
        worker: &str,
        ids: &[u64],
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>, QueueError> {
        let lease = self.lease();
        let change = |current: &Job| current.taken(worker, now, lease);
        Ok(self.store.change_jobs(ids, &change)?)
    }

    /// Extends the lease of every job `worker` holds once a third of it has passed;
    /// returns how many were extended.
    pub fn renew(&self, worker: &str, now: DateTime<Utc>) -> Result<usize, QueueError> {
        let until = now + self.lease();
        let mut renewed = 0;
        for held in self.store.leases_until(now + self.lease() * 2 / 3)? {
            if held.worker.as_deref() != Some(worker) {
                continue;
            }
            let change = |current: &Job| current.renewed(&held, until);
            let write = self.store.update_job(held.id, &change, None)?;
            renewed += usize::from(matches!(write, JobWrite::Written(..)));
        }
        Ok(renewed)
    }

    /// Hands back running jobs whose lease expired (or, at daemon start, every running job,
    /// since no other process can hold this database; a shared store's running jobs may be
    /// other live processes', so there only expired leases count) without using an
    /// attempt. Returns how many.
    pub fn rescue(&self, now: DateTime<Utc>, all_running: bool) -> Result<usize, QueueError> {
        // Every running job is in the lease index, so start-up finds them without decoding
        // every job: "all" is every lease up to a century ahead.
        let until = if all_running && !self.store.shared() {
            now + Duration::days(36_500)
        } else {
            now
        };
        let running = self.store.leases_until(until)?;
        let mut rescued = 0;
        for held in running {
            let change = |current: &Job| {
                (current.held_by(&held))
                    .then(|| current.rescued(now, self.config.max_rescues))
                    .flatten()
            };
            let write = self.store.update_job(held.id, &change, None)?;
            rescued += usize::from(matches!(write, JobWrite::Written(..)));
        }
        Ok(rescued)
    }

    /// Hands back the jobs `worker` is running, for a graceful stop that could not wait for
    /// them: queued again at once instead of waiting out their lease (on a shared store no
    /// start-up hands them back, so they stalled for `lease_secs`). Returns how many.
    pub fn hand_back(&self, worker: &str, now: DateTime<Utc>) -> Result<usize, QueueError> {
        let running = self.store.leases_until(now + Duration::days(36_500))?;
        let mut handed = 0;
        for held in running
            .iter()
            .filter(|j| j.worker.as_deref() == Some(worker))
        {
            let change = |current: &Job| {
                current
                    .held_by(held)
                    .then(|| current.handed_back(now))
                    .flatten()
            };
            let write = self.store.update_job(held.id, &change, None)?;
            handed += usize::from(matches!(write, JobWrite::Written(..)));
        }
        Ok(handed)
    }

    /// Records a verdict for a held job and marks it succeeded, atomically. `None` when the
    /// job is no longer held (lease lost, claim removed): nothing is written.
    pub fn succeed(
        &self,
        job: &Job,
        verdict: &Verdict,
        now: DateTime<Utc>,
    ) -> Result<Option<VerdictRecord>, QueueError> {
        let change = |current: &Job| current.succeeded(job, now);
        Ok(
            match self
                .store
                .update_job(job.id, &change, Some((verdict, now)))?
            {
                JobWrite::Written(_, record) => record.map(|r| *r),
                JobWrite::Declined(_) | JobWrite::Missing => None,
            },
        )
    }

    /// Records a failed attempt: `retrying` with backoff while attempts remain and the
    /// failure may pass, else `dead`. `None` when the job is no longer held; else the job as
    /// written.
    pub fn fail(
        &self,
        job: &Job,
        failure: &CheckFailure,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, QueueError> {
        let retry_at = (failure.retryable && job.attempts < self.config.max_attempts)
            .then(|| now + self.backoff(job));
        let change = |current: &Job| current.failed(job, &failure.reason, retry_at, now);
        Ok(match self.store.update_job(job.id, &change, None)? {
            JobWrite::Written(job, _) => Some(job),
            JobWrite::Declined(_) | JobWrite::Missing => None,
        })
    }

    /// Finishes a batch of held jobs in one transaction: each succeeds with its verdict, or
    /// fails (retrying with backoff while attempts remain and the failure may pass, else
    /// dead). Per job, the job as written, or `None` when it is no longer held.
    pub fn finish(
        &self,
        outcomes: &[(Job, Result<Verdict, CheckFailure>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, QueueError> {
        let finished: Vec<_> = outcomes
            .iter()
            .map(|(job, outcome)| (job, outcome, None))
            .collect();
        self.finish_all(&finished, now)
    }

    /// [`Queue::finish`] with what each verdict was judged from, kept beside the history so
    /// that a later `verify` can settle at once what a check could not answer differently.
    pub fn finish_judged(
        &self,
        judged: &[(Job, Judgement)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, QueueError> {
        let finished: Vec<_> = judged
            .iter()
            .map(|(job, j)| (job, &j.outcome, j.inputs.as_ref()))
            .collect();
        self.finish_all(&finished, now)
    }

    fn finish_all(
        &self,
        finished: &[(&Job, &Result<Verdict, CheckFailure>, Option<&Inputs>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, QueueError> {
        type Change<'a> = Box<dyn Fn(&Job) -> Option<Job> + 'a>;
        let changes: Vec<Change<'_>> = finished
            .iter()
            .map(|(job, outcome, _)| -> Change<'_> {
                match outcome {
                    Ok(_) => Box::new(move |current: &Job| current.succeeded(job, now)),
                    Err(failure) => {
                        let retry_at = (failure.retryable
                            && job.attempts < self.config.max_attempts)
                            .then(|| now + self.backoff(job));
                        Box::new(move |current: &Job| {
                            current.failed(job, &failure.reason, retry_at, now)
                        })
                    }
                }
            })
            .collect();
        let writes: Vec<JobUpdate<'_>> = finished
            .iter()
            .zip(&changes)
            .map(|((job, outcome, inputs), change)| JobUpdate {
                id: job.id,
                change: change.as_ref(),
                verdict: outcome.as_ref().ok().map(|verdict| (verdict, now)),
                inputs: *inputs,
            })
            .collect();
        let results = self.store.update_jobs(&writes)?;
        Ok(results
            .into_iter()
            .map(|write| match write {
                JobWrite::Written(job, _) => Some(job),
                JobWrite::Declined(_) | JobWrite::Missing => None,
            })
            .collect())
    }

    /// Settles at once the verify requests `verify` found a check could not answer
    /// differently ([`crate::inputs`]): each gets a job written already succeeded, with a
    /// compact "checked again" entry in its claim's history, in one transaction. Per
    /// request, the job, or `None` when the claim changed or got a pending job meanwhile
    /// (queue a full check for it).
    pub fn settle_unchanged(
        &self,
        requests: &[(&str, StoredJudged)],
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, QueueError> {
        // Consecutive ids: sled stores a transaction's settled jobs as one record.
        let ids = self.store.new_job_ids(requests.len())?;
        let settles: Vec<Settle<'_>> = requests
            .iter()
            .zip(ids)
            .map(|((claim_id, judged), id)| Settle {
                id,
                claim_id,
                judged,
            })
            .collect();
        let mut out = Vec::with_capacity(settles.len());
        for chunk in settles.chunks(SETTLE_CHUNK) {
            out.extend(self.store.settle_unchanged(chunk, priority, now)?);
        }
        Ok(out)
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
        match self.store.update_job(id, &|job| job.requeued(now), None)? {
            JobWrite::Written(job, _) => Ok(job),
            JobWrite::Declined(job) => Err(QueueError::NotDead {
                id,
                state: job.state,
            }),
            // A job settled at once is not a record of its own in sled (see
            // `SettledRun`): it is there, and succeeded.
            JobWrite::Missing => match self.store.job(id)? {
                Some(job) => Err(QueueError::NotDead {
                    id,
                    state: job.state,
                }),
                None => Err(QueueError::UnknownJob(id)),
            },
        }
    }

    /// Deletes succeeded jobs finished more than `prune_after_hours` ago; returns how many.
    pub fn prune(&self, now: DateTime<Utc>) -> Result<usize, QueueError> {
        let cutoff = now - Duration::hours(self.config.prune_after_hours as i64);
        let old: Vec<u64> = self
            .store
            .jobs(Some(JobState::Succeeded))?
            .into_iter()
            .filter(|job| job.finished_at.is_some_and(|t| t < cutoff))
            .map(|job| job.id)
            .collect();
        self.store.delete_jobs(&old)?;
        Ok(old.len())
    }
}
