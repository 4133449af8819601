//! The worker's step, the one way a claim gets verified: rescue expired leases, take due
//! jobs, check their claims together (each series fetched once), and finish every job with
//! its verdict or its failure. The daemon loops over it; `verify` without a daemon runs it
//! in-process until nothing is due ([`drain`]); tests call it with their own `now`.
//!
//! Store work runs on the blocking thread pool ([`blocking`]), never on the async runtime's
//! threads, so a slow disk cannot stall the API.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Job, JobState, Queue, QueueError};
use crate::check::{CheckFailure, Checker, Progress};
use crate::source::Source;

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

impl std::ops::AddAssign for StepReport {
    fn add_assign(&mut self, other: Self) {
        self.rescued += other.rescued;
        self.claimed += other.claimed;
        self.succeeded += other.succeeded;
        self.retrying += other.retrying;
        self.dead += other.dead;
        self.lost += other.lost;
    }
}

/// Runs blocking store work on the blocking thread pool; a panic there is re-raised here.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Which jobs a step takes.
#[derive(Debug, Clone, Copy)]
pub enum Take<'a> {
    /// Up to `[queue] batch_size` due jobs, user-requested first (the daemon, cron).
    Due,
    /// Those of these jobs that are due (`verify` running the jobs it queued).
    These(&'a [u64]),
}

/// One worker step (see the module docs). `progress` hears of fetches and finished claims.
pub async fn step<S: Source>(
    queue: &Queue,
    checker: &Checker<S>,
    worker: &str,
    now: DateTime<Utc>,
    take: Take<'_>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<StepReport, QueueError> {
    let (mut report, held, claims) = {
        let (queue, worker) = (queue.clone(), worker.to_string());
        let these = match take {
            Take::Due => None,
            Take::These(ids) => Some(ids.to_vec()),
        };
        blocking(move || take_batch(&queue, &worker, these.as_deref(), now)).await?
    };
    if held.is_empty() {
        // The backlog is done: the series kept in memory for it are let go.
        checker.forget();
        return Ok(report);
    }
    let span = tracing::info_span!("worker_step", worker, jobs = held.len());
    let checked =
        tracing::Instrument::instrument(checker.judge(queue.store(), &claims, now, progress), span)
            .await?;
    let queue = queue.clone();
    blocking(move || {
        let outcomes: Vec<_> = held.into_iter().zip(checked).collect();
        let written = queue.finish_judged(&outcomes, now)?;
        for ((job, _), written) in outcomes.iter().zip(written) {
            count(&mut report, written.as_ref());
            match written.as_ref().filter(|w| w.state == JobState::Dead) {
                // Someone must act on it (`jobs retry`): said at the default level.
                Some(dead) => tracing::warn!(
                    job = job.id,
                    claim = %job.claim_id,
                    attempt = job.attempts,
                    reason = dead.last_error.as_deref().unwrap_or("unknown"),
                    "job dead: `claimcheck jobs retry ID` queues it again once the cause is fixed"
                ),
                None => tracing::info!(job = job.id, claim = %job.claim_id, attempt = job.attempts, "job finished"),
            }
        }
        queue.store().flush()?;
        Ok(report)
    })
    .await
}

/// Rescues expired leases and takes a batch (of `these` jobs, when named); jobs whose claim
/// is gone die at once.
fn take_batch(
    queue: &Queue,
    worker: &str,
    these: Option<&[u64]>,
    now: DateTime<Utc>,
) -> Result<(StepReport, Vec<Job>, Vec<crate::claim::Claim>), QueueError> {
    let mut report = StepReport {
        rescued: queue.rescue(now, false)?,
        ..StepReport::default()
    };
    let jobs = match these {
        None => queue.take(worker, queue.config().batch_size, now)?,
        Some(ids) => queue.take_these(worker, ids, now)?,
    };
    // On disk before any work: a worker killed within sled's 2 s write-out lost the take,
    // so a job that kills its worker at once was never counted rescued and never died
    // (`max_rescues`). (Nothing taken, nothing to write: an idle poll stays off the disk.)
    if !jobs.is_empty() {
        queue.store().flush()?;
    }
    report.claimed = jobs.len();
    let (mut held, mut claims) = (Vec::new(), Vec::new());
    for job in jobs {
        match queue.store().claim(&job.claim_id)? {
            Some(claim) => {
                claims.push(claim);
                held.push(job);
            }
            None => {
                let failure =
                    CheckFailure::permanent(format!("claim {} was removed", job.claim_id));
                count(&mut report, queue.fail(&job, &failure, now)?.as_ref());
            }
        }
    }
    Ok((report, held, claims))
}

/// Counts a finished job by the state it was written in (`None`: its lease was lost).
fn count(report: &mut StepReport, written: Option<&Job>) {
    match written.map(|job| job.state) {
        None => report.lost += 1,
        Some(JobState::Succeeded) => report.succeeded += 1,
        Some(JobState::Dead) => report.dead += 1,
        Some(_) => report.retrying += 1,
    }
}

/// When [`drain`] stops.
#[derive(Debug, Clone, Copy)]
pub enum Until<'a> {
    /// No job is due at `now` (jobs retrying later stay queued): `verify --due`'s backlog,
    /// tests.
    NothingDue,
    /// These jobs are settled (succeeded, dead or waiting to retry later), or none of them can be
    /// taken: what `verify` waits for. Only these are taken (a batch at a time, planned
    /// together); other due jobs stay queued for the daemon, cron or a later `verify`, so
    /// checking one claim does not wait on a backlog of scheduled re-checks.
    Settled(&'a [u64]),
}

/// Runs steps until `until` holds.
pub async fn drain<S: Source>(
    queue: &Queue,
    checker: &Checker<S>,
    worker: &str,
    now: DateTime<Utc>,
    until: Until<'_>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<StepReport, QueueError> {
    let mut total = StepReport::default();
    let mut waiting: std::collections::VecDeque<u64> = match until {
        Until::NothingDue => Default::default(),
        Until::Settled(jobs) => jobs.iter().copied().collect(),
    };
    let batch = queue.config().batch_size;
    loop {
        let mut these = Vec::new();
        if let Until::Settled(_) = until {
            let (q, rest) = (queue.clone(), std::mem::take(&mut waiting));
            waiting = blocking(move || unsettled(&q, rest, now)).await?;
            if waiting.is_empty() {
                return Ok(total);
            }
            these.extend(waiting.iter().take(batch));
        }
        let take = match until {
            Until::NothingDue => Take::Due,
            Until::Settled(_) => Take::These(&these),
        };
        let report = step(queue, checker, worker, now, take, progress).await?;
        total += report;
        if report.claimed == 0 {
            return Ok(total);
        }
    }
}

/// The jobs of `waiting` from the first one not yet settled on: settled ones at the front
/// are dropped, so each check reads few jobs however long the list (jobs are taken in
/// about the order they were queued).
fn unsettled(
    queue: &Queue,
    mut waiting: std::collections::VecDeque<u64>,
    now: DateTime<Utc>,
) -> Result<std::collections::VecDeque<u64>, QueueError> {
    while let Some(&id) = waiting.front() {
        match queue.get(id)? {
            Some(job) if job.still_to_run(now) => break,
            _ => {
                waiting.pop_front();
            }
        }
    }
    Ok(waiting)
}
