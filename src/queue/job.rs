//! The job record and its state machine, as pure functions of (job, now): taking a job under a
//! lease, finishing it, failing it, rescuing it after a crash, cancelling it. The storage
//! backends apply these atomically; nothing here does I/O.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

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

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Retrying,
        JobState::Dead,
    ];

    /// The name used in JSON, the CLI and the API (`queued`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Retrying => "retrying",
            JobState::Dead => "dead",
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.to_ascii_lowercase();
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown job state {s:?}; one of: queued, running, succeeded, retrying, dead"
                )
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
    /// Attempts that ran to an outcome (a verdict or a failure the job itself caused).
    pub attempts: u32,
    /// Times the job was handed back because the process holding it died: a crash is not
    /// the job's fault, so it does not use an attempt, but it is capped all the same.
    #[serde(default)]
    pub rescues: u32,
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
    /// A new queued job for a claim.
    pub fn new(id: u64, claim_id: &str, priority: Priority, now: DateTime<Utc>) -> Self {
        Self {
            id,
            claim_id: claim_id.to_string(),
            kind: JobKind::Verify,
            priority,
            state: JobState::Queued,
            attempts: 0,
            rescues: 0,
            run_at: now,
            lease_until: None,
            worker: None,
            last_error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }

    /// A verify request settled at once, without a worker: the claim's latest verdict was
    /// judged from exactly what a check now would use ([`crate::inputs`]), so the job is born
    /// succeeded, with no attempt run.
    pub fn settled_unchanged(
        id: u64,
        claim_id: &str,
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            state: JobState::Succeeded,
            finished_at: Some(now),
            ..Self::new(id, claim_id, priority, now)
        }
    }

    /// True while a worker may still pick it up or hold it.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.state,
            JobState::Queued | JobState::Running | JobState::Retrying
        )
    }

    /// True when a worker may take it at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        matches!(self.state, JobState::Queued | JobState::Retrying) && self.run_at <= now
    }

    /// True while `verify` should wait for it at `now`: running, or due. One waiting to
    /// retry later is settled for now; due again, it is not.
    pub fn still_to_run(&self, now: DateTime<Utc>) -> bool {
        self.state == JobState::Running || self.is_due(now)
    }

    /// True for a verify request settled at once ([`Job::settled_unchanged`]): succeeded
    /// without an attempt (a job a worker finished ran at least one).
    pub fn was_settled_at_once(&self) -> bool {
        self.state == JobState::Succeeded && self.attempts == 0
    }

    /// True when this record is still the run that `holder` took (same worker and attempt).
    pub fn held_by(&self, holder: &Job) -> bool {
        self.state == JobState::Running
            && self.worker == holder.worker
            && self.attempts == holder.attempts
            && self.rescues == holder.rescues
    }

    /// The job taken by `worker` until `lease_until`; `None` when it is not due.
    pub fn taken(&self, worker: &str, now: DateTime<Utc>, lease: Duration) -> Option<Job> {
        self.is_due(now).then(|| Job {
            state: JobState::Running,
            attempts: self.attempts + 1,
            worker: Some(worker.to_string()),
            lease_until: Some(now + lease),
            updated_at: now,
            ..self.clone()
        })
    }

    /// The job with its lease extended, when `holder` still holds it.
    pub fn renewed(&self, holder: &Job, until: DateTime<Utc>) -> Option<Job> {
        self.held_by(holder).then(|| Job {
            lease_until: Some(until),
            ..self.clone()
        })
    }

    /// The job as it leaves `running` (lease and worker cleared).
    fn released(&self, now: DateTime<Utc>) -> Job {
        Job {
            worker: None,
            lease_until: None,
            updated_at: now,
            ..self.clone()
        }
    }

    /// Succeeded, when `holder` still holds it.
    pub fn succeeded(&self, holder: &Job, now: DateTime<Utc>) -> Option<Job> {
        self.held_by(holder).then(|| Job {
            state: JobState::Succeeded,
            last_error: None,
            finished_at: Some(now),
            ..self.released(now)
        })
    }

    /// Retrying at `retry_at`, or dead when `retry_at` is `None`; only when `holder` still
    /// holds it.
    pub fn failed(
        &self,
        holder: &Job,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<Job> {
        if !self.held_by(holder) {
            return None;
        }
        let mut job = self.released(now);
        job.last_error = Some(reason.to_string());
        match retry_at {
            Some(at) => {
                job.state = JobState::Retrying;
                job.run_at = at;
            }
            None => job.die(now),
        }
        Some(job)
    }

    /// Handed back by its own worker stopping gracefully before it finished: queued again at
    /// once, the attempt it had started given back, and no rescue counted (nothing crashed).
    pub fn handed_back(&self, now: DateTime<Utc>) -> Option<Job> {
        if self.state != JobState::Running {
            return None;
        }
        let mut job = self.released(now);
        job.attempts = job.attempts.saturating_sub(1);
        job.state = JobState::Queued;
        job.run_at = now;
        Some(job)
    }

    /// Handed back after the process holding it died, without using an attempt (the
    /// attempt it had started is given back); dead once `max_rescues` is reached.
    pub fn rescued(&self, now: DateTime<Utc>, max_rescues: u32) -> Option<Job> {
        if self.state != JobState::Running {
            return None;
        }
        let mut job = self.released(now);
        job.attempts = job.attempts.saturating_sub(1);
        job.rescues += 1;
        if job.rescues > max_rescues {
            job.last_error = Some(format!(
                "the process verifying this claim stopped {} times before finishing (killed, crashed or out of memory); \
                 look for a crash in the daemon's log, then `claimcheck jobs retry {}`",
                job.rescues, job.id
            ));
            job.die(now);
        } else {
            job.state = JobState::Queued;
            job.run_at = now;
        }
        Some(job)
    }

    /// Dead because its claim was removed; `None` when the job is already finished.
    pub fn cancelled(&self, now: DateTime<Utc>) -> Option<Job> {
        self.is_pending().then(|| {
            let mut job = self.released(now);
            job.last_error = Some(format!("claim {} was removed", job.claim_id));
            job.die(now);
            job
        })
    }

    /// Queued again with fresh attempts (a person's `jobs retry`); only a dead job.
    pub fn requeued(&self, now: DateTime<Utc>) -> Option<Job> {
        (self.state == JobState::Dead).then(|| Job {
            state: JobState::Queued,
            attempts: 0,
            rescues: 0,
            run_at: now,
            priority: Priority::User,
            finished_at: None,
            updated_at: now,
            ..self.clone()
        })
    }

    /// For a user request on a claim that already has this pending job: runs it now, first.
    /// A job waiting to retry runs now too: a person asking again after fixing the cause (the
    /// source back, `--offline` dropped) got the old failure until the backoff ran out.
    pub fn raised(&self, priority: Priority, now: DateTime<Utc>) -> Option<Job> {
        // Only a person's request: a schedule's tick leaves the backoff alone.
        let sooner = priority < self.priority || (priority == Priority::User && self.run_at > now);
        (sooner && self.state != JobState::Running).then(|| Job {
            priority: priority.min(self.priority),
            run_at: self.run_at.min(now),
            updated_at: now,
            ..self.clone()
        })
    }

    fn die(&mut self, now: DateTime<Utc>) {
        self.state = JobState::Dead;
        self.finished_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    /// A person asking again runs a job waiting to retry now (a trial's verify kept
    /// answering with the old `--offline` failure for the backoff's 30 s); a schedule's tick
    /// leaves the backoff alone.
    #[test]
    fn a_user_request_runs_a_retrying_job_now() {
        let waiting = Job {
            state: JobState::Retrying,
            run_at: t(100),
            ..Job::new(1, "c", Priority::User, t(0))
        };
        let raised = waiting.raised(Priority::User, t(10)).expect("raised");
        assert_eq!((raised.run_at, raised.priority), (t(10), Priority::User));
        assert!(raised.is_due(t(10)));
        assert_eq!(waiting.raised(Priority::Scheduled, t(10)), None);
        let scheduled = Job {
            priority: Priority::Scheduled,
            ..waiting.clone()
        };
        let raised = scheduled.raised(Priority::User, t(10)).expect("raised");
        assert_eq!(raised.priority, Priority::User);
        // Due already, same priority: nothing to write.
        let due = Job::new(2, "c", Priority::User, t(0));
        assert_eq!(due.raised(Priority::User, t(10)), None);
    }

    #[test]
    fn a_rescue_gives_the_attempt_back_and_is_capped() {
        let job = Job::new(1, "c", Priority::User, t(0));
        let mut running = job.taken("w", t(1), Duration::seconds(60)).unwrap();
        assert_eq!(running.attempts, 1);
        for n in 1..=3 {
            let back = running.rescued(t(100), 3).unwrap();
            assert_eq!(
                (back.state, back.attempts, back.rescues),
                (JobState::Queued, 0, n)
            );
            running = back.taken("w", t(101), Duration::seconds(60)).unwrap();
        }
        let dead = running.rescued(t(200), 3).unwrap();
        assert_eq!(dead.state, JobState::Dead);
        assert!(dead.last_error.unwrap().contains("stopped 4 times"));
    }

    #[test]
    fn only_the_holder_can_finish() {
        let job = Job::new(1, "c", Priority::User, t(0));
        let a = job.taken("a", t(1), Duration::seconds(60)).unwrap();
        let rescued = a.rescued(t(100), 5).unwrap();
        let b = rescued.taken("b", t(101), Duration::seconds(60)).unwrap();
        assert!(b.succeeded(&a, t(102)).is_none(), "a lost its lease");
        assert_eq!(b.succeeded(&b, t(102)).unwrap().state, JobState::Succeeded);
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::Value::String(state.to_string())
            );
        }
        assert!("done".parse::<JobState>().is_err());
    }
}
