//! Storage: the [`Storage`] trait every backend implements (claims, the append-only verdict
//! history, change events, jobs with their pending-per-claim slot and time indexes, schedules,
//! metadata), the records it keeps, and [`open`], which picks the backend for a location.
//!
//! The queue's semantics live in [`crate::queue`] as pure job transitions; a backend's part is
//! to apply them atomically ([`Storage::update_job`] is one transaction that may also append
//! the verdict). [`sled`](self::sled) is the embedded default; [`postgres`](self::postgres)
//! lets several daemons on several machines share one database and its queue.
//!
//! The trait is synchronous: backends block. Async code calls it through
//! [`crate::app`], which runs store work on the blocking thread pool, never on the runtime's
//! worker threads.

mod flusher;
pub mod postgres;
pub(crate) mod rechecks;
pub mod sled;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::claim::country::CountryInfo;
use crate::claim::Claim;
use crate::inputs::{Inputs, StoredJudged};
use crate::queue::{Job, JobState};
use crate::verify::{Evidence, Grade, Verdict};

/// A storage problem, with the location and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database.
    #[error("the database at {0} is in use by another claimcheck process (a running `claimcheck daemon`?); stop it, or pass --db for another database")]
    Locked(PathBuf),
    /// The location cannot hold a database.
    #[error("cannot use {path} as the database: {reason}")]
    BadLocation {
        /// The location given.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The backend failed.
    #[error("database error at {location}: {source}")]
    Backend {
        /// Database location.
        location: String,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database cannot be used as given, with what to do (a message of its own: no
    /// cause chain repeats it).
    #[error("database {location}: {reason}")]
    Unusable {
        /// Database location (without a password).
        location: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A stored record could not be decoded.
    #[error("corrupt record in {tree} for key {key:?}: {source}")]
    Corrupt {
        /// Tree or table name.
        tree: &'static str,
        /// Key.
        key: String,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// A job cannot enter a pending state: its claim already has another pending job.
    #[error("claim {claim_id} already has pending job {other}")]
    SlotTaken {
        /// The claim.
        claim_id: String,
        /// The job holding the claim's pending slot.
        other: u64,
    },
}

/// One entry of a claim's verdict history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// The claim.
    pub claim_id: String,
    /// When the check ran.
    #[serde(deserialize_with = "crate::timestamp::utc")]
    pub checked_at: DateTime<Utc>,
    /// The verdict.
    pub verdict: Verdict,
    /// What changed since the previous check, if anything (grade, value, vintage).
    pub change: Option<String>,
}

impl VerdictRecord {
    /// This record as a re-check at `at` that found the same repeats it: what the claim's
    /// history shows for the compact "checked again" entry.
    pub fn repeated_at(self, at: DateTime<Utc>) -> Self {
        Self {
            checked_at: at,
            change: None,
            ..self
        }
    }

    /// The record for `verdict` following `previous` in the claim's history.
    pub fn after(
        previous: Option<&VerdictRecord>,
        claim_id: &str,
        verdict: Verdict,
        checked_at: DateTime<Utc>,
    ) -> Self {
        Self {
            claim_id: claim_id.to_string(),
            checked_at,
            change: previous.and_then(|p| describe_change(&p.verdict, &verdict)),
            verdict,
        }
    }

    /// The change event this record makes, numbered `seq`; `None` when nothing changed.
    pub fn event(&self, previous: Option<&VerdictRecord>, seq: u64) -> Option<ChangeEvent> {
        let (change, previous) = (self.change.as_ref()?, previous?);
        Some(ChangeEvent {
            seq,
            claim_id: self.claim_id.clone(),
            at: self.checked_at,
            change: change.clone(),
            grade_from: previous.verdict.grade,
            grade_to: self.verdict.grade,
            vintage_from: previous.verdict.evidence.vintage.clone(),
            vintage_to: self.verdict.evidence.vintage.clone(),
        })
    }
}

/// A recorded edit of a claim: when the new version was stored and what it changed, in
/// words ("claim edited: value 105 → 107.6; year 2015 → 2016").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditRecord {
    /// The claim.
    pub claim_id: String,
    /// When the new version was stored.
    pub at: DateTime<Utc>,
    /// What changed, in words.
    pub change: String,
}

/// Describes the edit from the stored claim (first) to the new one (second); `None` when
/// there is nothing worth recording.
pub type EditDescriber<'a> = &'a dyn Fn(&Claim, &Claim) -> Option<String>;

/// Whether `put_claim` created, replaced or left a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Upsert {
    /// New id.
    Added,
    /// Existing id, different content.
    Updated,
    /// Existing id, same content.
    Unchanged,
}

impl Upsert {
    /// The word the CLI prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Upsert::Added => "added",
            Upsert::Updated => "updated",
            Upsert::Unchanged => "unchanged",
        }
    }
}

/// A change found by a re-check: another grade, another data vintage, or a revised value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// Sequence number (increasing).
    pub seq: u64,
    /// The claim.
    pub claim_id: String,
    /// When the re-check ran.
    pub at: DateTime<Utc>,
    /// What changed, in words.
    pub change: String,
    /// Previous grade.
    pub grade_from: Grade,
    /// New grade.
    pub grade_to: Grade,
    /// Previous data vintage.
    pub vintage_from: Option<String>,
    /// New data vintage.
    pub vintage_to: Option<String>,
}

/// The stored next run of a claim, with the schedule it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextRun {
    /// The claim's schedule when this was computed (`None`: the default interval).
    pub schedule: Option<String>,
    /// When the claim is next due.
    pub at: DateTime<Utc>,
}

/// The cached country list with its fetch time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedCountries {
    /// When fetched.
    pub fetched_at: DateTime<Utc>,
    /// The list.
    pub countries: Vec<CountryInfo>,
}

/// A verdict-history entry as both backends store it: the full record, or a re-check that
/// found the same (about 60 bytes instead of several kilobytes of evidence).
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum StoredCheck {
    Again(Again),
    Full(Box<VerdictRecord>),
}

impl StoredCheck {
    /// Decodes a history entry. A full record is decoded straight: as an untagged enum it
    /// would be parsed twice (into serde's buffer, then into the record), which doubled the
    /// cost of reading a verdict back. Both backends store an entry as its JSON with the
    /// fields in declaration order, so a full record begins with its claim id, which a
    /// re-check (`deny_unknown_fields`) never has; anything else takes the untagged way.
    pub(crate) fn decode(claim_id: &str, bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.starts_with(br#"{"claim_id":"#) {
            return Ok(Self::Full(Box::new(decode("verdicts", claim_id, bytes)?)));
        }
        decode("verdicts", claim_id, bytes)
    }
}

/// The jobs one settle transaction wrote, stored as one record (sled keys it by its first
/// job id): job `first + i` is the succeeded job of `claims[i]`, or no job when that slot's
/// request was not settled. Settling 10,000 unchanged claims wrote 10,000 job records, a
/// third of a re-check's time; as one record it is one write, and every job still answers
/// by its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettledRun {
    /// Who asked.
    pub priority: crate::queue::Priority,
    /// When the requests were settled (created and finished).
    pub at: DateTime<Utc>,
    /// The claim of each job, by offset from the first id.
    pub claims: Vec<Option<String>>,
}

impl SettledRun {
    /// The run of the jobs `(id, claim id)` settled at `at` with `priority`, with its first
    /// id; `None` when there are none.
    pub fn of<'a>(
        jobs: impl Iterator<Item = (u64, &'a str)> + Clone,
        priority: crate::queue::Priority,
        at: DateTime<Utc>,
    ) -> Option<(u64, Self)> {
        let first = jobs.clone().map(|(id, _)| id).min()?;
        let last = jobs.clone().map(|(id, _)| id).max()?;
        let mut claims = vec![None; usize::try_from(last - first).ok()? + 1];
        for (id, claim) in jobs {
            claims[(id - first) as usize] = Some(claim.to_string());
        }
        Some((
            first,
            Self {
                priority,
                at,
                claims,
            },
        ))
    }

    /// Its job with id `id`, if `id` is one of its slots and that slot holds a job.
    pub fn job(&self, first: u64, id: u64) -> Option<Job> {
        let offset = usize::try_from(id.checked_sub(first)?).ok()?;
        let claim = self.claims.get(offset)?.as_deref()?;
        Some(Job::settled_unchanged(id, claim, self.priority, self.at))
    }

    /// Its jobs, oldest first.
    pub fn jobs(&self, first: u64) -> impl DoubleEndedIterator<Item = Job> + '_ {
        self.claims
            .iter()
            .enumerate()
            .filter_map(move |(i, claim)| {
                let claim = claim.as_deref()?;
                Some(Job::settled_unchanged(
                    first + i as u64,
                    claim,
                    self.priority,
                    self.at,
                ))
            })
    }

    /// The largest id it spans.
    pub fn last(&self, first: u64) -> u64 {
        first + self.claims.len().saturating_sub(1) as u64
    }

    /// True when `id` is within its range (a slot, with a job or without).
    pub fn spans(&self, first: u64, id: u64) -> bool {
        (first..=self.last(first)).contains(&id)
    }
}

/// A re-check that repeats the full record `same_as` (its sequence number).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Again {
    pub(crate) checked_at: DateTime<Utc>,
    pub(crate) same_as: u64,
}

impl Again {
    /// The full record this re-check repeats, dated when the re-check ran: what `show` lists.
    pub(crate) fn repeating(&self, full: VerdictRecord) -> VerdictRecord {
        full.repeated_at(self.checked_at)
    }

    /// The error for a re-check whose full record is missing from `location`.
    pub(crate) fn dangling(&self, claim_id: &str, location: String) -> StoreError {
        StoreError::Backend {
            location,
            source: format!(
                "the re-check of {claim_id} at {} points at a missing record {}",
                self.checked_at, self.same_as
            )
            .into(),
        }
    }
}

/// What [`Storage::update_job`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum JobWrite {
    /// The new job was written (with the verdict record, when one was given).
    Written(Job, Option<Box<VerdictRecord>>),
    /// The change declined (e.g. the job is no longer held by the caller); nothing written.
    Declined(Job),
    /// No job with that id.
    Missing,
}

/// A job rewrite: sees the stored job, returns the new one or `None` to leave it.
pub type JobChange<'a> = &'a dyn Fn(&Job) -> Option<Job>;

/// One job rewrite of a batch, with the verdict to append when it is written.
pub struct JobUpdate<'a> {
    /// The job.
    pub id: u64,
    /// Its rewrite.
    pub change: JobChange<'a>,
    /// The verdict to append, and when it was reached.
    pub verdict: Option<(&'a Verdict, DateTime<Utc>)>,
    /// What that verdict was judged from, kept as the claim's judged record (`None` clears
    /// it: the next `verify` is a full check).
    pub inputs: Option<&'a Inputs>,
}

/// A verify request to settle at once (see [`Storage::settle_unchanged`]).
#[derive(Debug, Clone, Copy)]
pub struct Settle<'a> {
    /// The id of the job to write, already succeeded.
    pub id: u64,
    /// The claim's id.
    pub claim_id: &'a str,
    /// Its judged record when the request was judged settleable, with the claim's digest
    /// then.
    pub judged: &'a StoredJudged,
}

/// The operations every storage backend provides. Each method is atomic on its own.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Where the data lives (a path or a URL without credentials), for messages.
    fn location(&self) -> String;
    /// Makes every write so far durable; call before telling anyone a write is done.
    fn flush(&self) -> Result<(), StoreError>;

    /// Inserts or replaces a claim by id.
    fn put_claim(&self, claim: &Claim) -> Result<Upsert, StoreError>;
    /// Inserts or replaces a claim by id; when it replaces a different version, records the
    /// edit `describe` finds (at `at`) in the claim's edit history, in the same transaction.
    fn put_claim_edited(
        &self,
        claim: &Claim,
        at: DateTime<Utc>,
        describe: EditDescriber<'_>,
    ) -> Result<(Upsert, Option<EditRecord>), StoreError>;
    /// A claim's recorded edits, newest first.
    fn edits(&self, claim_id: &str) -> Result<Vec<EditRecord>, StoreError>;
    /// One claim by id.
    fn claim(&self, id: &str) -> Result<Option<Claim>, StoreError>;
    /// Every stored claim's id, in id order (without reading the claims).
    fn claim_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.claims()?.into_iter().map(|c| c.id).collect())
    }
    /// True when a claim is stored under `id` (without reading it).
    fn has_claim(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.claim(id)?.is_some())
    }
    /// Every claim, ordered by id.
    fn claims(&self) -> Result<Vec<Claim>, StoreError>;
    /// Removes a claim, its history (verdicts and edits) and its next run, and rewrites its pending job (if any)
    /// with `cancel`, in one transaction, so no verdict can land after the removal. False
    /// when there was no such claim.
    fn remove_claim(&self, id: &str, cancel: JobChange<'_>) -> Result<bool, StoreError>;

    /// A claim's verdict history, newest first.
    fn history(&self, claim_id: &str) -> Result<Vec<VerdictRecord>, StoreError>;
    /// The newest verdict of a claim.
    fn latest_verdict(&self, claim_id: &str) -> Result<Option<VerdictRecord>, StoreError>;
    /// Change events at or after `since`, oldest first.
    fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>, StoreError>;
    /// Change events numbered `seq` or later, oldest first, without reading the earlier ones.
    fn changes_from(&self, seq: u64) -> Result<Vec<ChangeEvent>, StoreError>;

    /// A unique, increasing id for a new job.
    fn new_job_id(&self) -> Result<u64, StoreError>;
    /// `n` unique, increasing ids for new jobs; a backend that can keeps them consecutive
    /// (see [`SettledRun`]).
    fn new_job_ids(&self, n: usize) -> Result<Vec<u64>, StoreError> {
        (0..n).map(|_| self.new_job_id()).collect()
    }
    /// In one transaction, for each fresh job: when its claim has a pending job, rewrites
    /// that with `existing` (when it returns a job) and answers it with `false`; else stores
    /// the fresh job as the claim's pending job and answers it with `true`.
    fn insert_jobs(
        &self,
        fresh: &[Job],
        existing: JobChange<'_>,
    ) -> Result<Vec<(Job, bool)>, StoreError>;
    /// One job by id.
    fn job(&self, id: u64) -> Result<Option<Job>, StoreError>;
    /// Jobs by id, in the order asked (`None` for an unknown id): for many ids at once,
    /// which a backend may read faster than one by one.
    fn jobs_of(&self, ids: &[u64]) -> Result<Vec<Option<Job>>, StoreError> {
        ids.iter().map(|&id| self.job(id)).collect()
    }
    /// Jobs, newest first, optionally only those in `state`.
    fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>, StoreError>;
    /// Up to `limit` jobs due at `now`, best priority then oldest `run_at` first, found
    /// through an index (not a scan of every job).
    fn due_jobs(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Job>, StoreError>;
    /// Running jobs whose lease ends at or before `until`, through an index.
    fn leases_until(&self, until: DateTime<Utc>) -> Result<Vec<Job>, StoreError>;
    /// Rewrites jobs in one transaction, each with its `change`, keeping the claim's pending
    /// slot and the time indexes in step: a job leaving the pending states frees the slot; a
    /// job entering them takes it ([`StoreError::SlotTaken`] when another job holds it, and
    /// then nothing is written). With a verdict, appends it to the claim's history (and a
    /// change event) in the same transaction. One answer per write, in order.
    fn update_jobs(&self, writes: &[JobUpdate<'_>]) -> Result<Vec<JobWrite>, StoreError>;

    /// [`update_jobs`](Self::update_jobs) for one job.
    fn update_job(
        &self,
        id: u64,
        change: JobChange<'_>,
        verdict: Option<(&Verdict, DateTime<Utc>)>,
    ) -> Result<JobWrite, StoreError> {
        let write = JobUpdate {
            id,
            change,
            verdict,
            inputs: None,
        };
        Ok(self
            .update_jobs(std::slice::from_ref(&write))?
            .pop()
            .unwrap_or(JobWrite::Missing))
    }
    /// For each claim id: the digest of the claim as stored now
    /// ([`claim_digest`](crate::inputs::claim_digest)) and what its latest verdict was
    /// judged from, with the record's stored bytes; `None` when either is missing. A backend
    /// that keeps no judged records answers `None` throughout, and every `verify` there is a
    /// full check.
    fn judged(&self, ids: &[String]) -> Result<Vec<Option<StoredJudged>>, StoreError> {
        Ok(vec![None; ids.len()])
    }

    /// For each `(claim id, sequence number)`: the claim as stored and the full history
    /// record with that number, read without a transaction; `None` when either is gone.
    /// What a request settled at once shows (see [`VerdictRecord::repeated_at`]), read
    /// beside the settling transaction, which writes neither. A backend that keeps no judged
    /// records settles nothing and answers `None` throughout.
    fn claims_with_records(
        &self,
        wanted: &[(String, u64)],
    ) -> Result<Vec<Option<(Claim, VerdictRecord)>>, StoreError> {
        Ok(vec![None; wanted.len()])
    }

    /// Settles verify requests at once, in one transaction: for each whose claim has no
    /// pending job, is still stored with the digest `judged.claim` and still has the judged
    /// record `judged` (its stored bytes unchanged), writes its job (already succeeded, with
    /// `priority`) and a compact "checked again at `now`" history entry repeating the record
    /// `judged` stands on. Per request, the job written, or `None` when the claim changed
    /// meanwhile (the caller queues a full check).
    fn settle_unchanged(
        &self,
        settles: &[Settle<'_>],
        priority: crate::queue::Priority,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, StoreError> {
        let _ = (priority, now);
        Ok(vec![None; settles.len()])
    }

    /// Takes up to `limit` due jobs with `take` (which declines a job that is not due), in
    /// one transaction; the jobs written. Backends shared between processes skip jobs another
    /// transaction holds instead of waiting for them.
    fn take_jobs(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        take: JobChange<'_>,
    ) -> Result<Vec<Job>, StoreError> {
        let due: Vec<u64> = self.due_jobs(now, limit)?.iter().map(|j| j.id).collect();
        self.change_jobs(&due, take)
    }

    /// Applies `change` to each of the jobs `ids`, in one transaction; the jobs written
    /// (those it declined, and missing ones, left out).
    fn change_jobs(&self, ids: &[u64], change: JobChange<'_>) -> Result<Vec<Job>, StoreError> {
        let writes: Vec<JobUpdate<'_>> = ids
            .iter()
            .map(|&id| JobUpdate {
                id,
                change,
                verdict: None,
                inputs: None,
            })
            .collect();
        Ok(self
            .update_jobs(&writes)?
            .into_iter()
            .filter_map(|write| match write {
                JobWrite::Written(job, _) => Some(job),
                JobWrite::Declined(_) | JobWrite::Missing => None,
            })
            .collect())
    }
    /// Calls `wake.notify_waiters()` whenever another process queues work (a backend shared
    /// between processes tells the others; sled has no others). Returns once listening.
    fn subscribe(&self, _wake: Arc<tokio::sync::Notify>) -> Result<(), StoreError> {
        Ok(())
    }
    /// True when several processes may use this store at once (then a running job may be
    /// another live process's, and only an expired lease means its worker is gone).
    fn shared(&self) -> bool {
        false
    }
    /// Deletes a finished job (pruning).
    fn delete_job(&self, id: u64) -> Result<(), StoreError>;
    /// Deletes finished jobs (pruning), for many at once.
    fn delete_jobs(&self, ids: &[u64]) -> Result<(), StoreError> {
        ids.iter().try_for_each(|&id| self.delete_job(id))
    }

    /// Claims whose stored next run is at or before `now`, through an index.
    fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<String>, StoreError>;
    /// A claim's stored next run.
    fn next_run(&self, claim_id: &str) -> Result<Option<NextRun>, StoreError>;
    /// Stores (or with `None` clears) a claim's next run.
    fn set_next_run(&self, claim_id: &str, next: Option<&NextRun>) -> Result<(), StoreError>;

    /// Moves a claim's next run from the slot at `slot` to `next`, only when it is still at
    /// `slot`: true for the one caller (across every process) that fired the slot.
    fn take_schedule_slot(
        &self,
        claim_id: &str,
        slot: DateTime<Utc>,
        next: Option<&NextRun>,
    ) -> Result<bool, StoreError> {
        if self
            .next_run(claim_id)?
            .is_none_or(|stored| stored.at != slot)
        {
            return Ok(false);
        }
        self.set_next_run(claim_id, next)?;
        Ok(true)
    }

    /// Holds the named lease for `holder` until `until` when it is free, expired or already
    /// theirs: which process of several does a once-per-cluster task (webhook delivery).
    /// A store only one process can open is always held by that process.
    fn try_lease(
        &self,
        _name: &str,
        _holder: &str,
        _now: DateTime<Utc>,
        _until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// A small value stored under `key`.
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores a small value under `key`.
    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// The values stored under keys starting with `prefix`, with their keys.
    fn meta_scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Removes the values under keys starting with `prefix`; returns how many.
    fn meta_clear(&self, prefix: &str) -> Result<usize, StoreError>;

    /// Every record, read consistently (a verdict is never split from its job's state),
    /// also while workers write.
    fn backup(&self) -> Result<crate::backup::Backup, StoreError>;
    /// Replaces every record with the backup's; returns how many were written. Ids handed
    /// out afterwards never collide with restored ones.
    fn restore(&self, backup: &crate::backup::Backup) -> Result<usize, StoreError>;
}

/// A backend shared between tasks and threads.
pub type Store = Arc<dyn Storage>;

/// Opens the backend for `location`: a `postgres://` (or `postgresql://`) URL means
/// PostgreSQL, anything else is a sled database directory.
pub fn open(location: &Path) -> Result<Store, StoreError> {
    match location.to_str() {
        Some(url) if is_url(location) => Ok(Arc::new(self::postgres::PgStore::open(url)?)),
        _ => Ok(Arc::new(self::sled::SledStore::open(location)?)),
    }
}

/// True when `location` is a PostgreSQL URL rather than a directory.
pub fn is_url(location: &Path) -> bool {
    location.to_str().is_some_and(self::postgres::is_postgres)
}

/// `location` for messages: a URL without its password, or the path.
pub fn display_location(location: &Path) -> String {
    match location.to_str() {
        Some(url) if is_url(location) => self::postgres::redact(url),
        _ => location.display().to_string(),
    }
}

const COUNTRIES_KEY: &str = "worldbank/countries";

/// Reads a typed value stored with [`put_meta`].
pub fn meta_get<T: DeserializeOwned>(
    store: &dyn Storage,
    key: &str,
) -> Result<Option<T>, StoreError> {
    store
        .meta(key)?
        .map(|bytes| decode("meta", key, &bytes))
        .transpose()
}

/// Stores a typed value under `key`.
pub fn put_meta<T: Serialize>(store: &dyn Storage, key: &str, value: &T) -> Result<(), StoreError> {
    store.put_meta(key, &encode(value))
}

/// The cached country list, if any.
pub fn countries(store: &dyn Storage) -> Result<Option<CachedCountries>, StoreError> {
    meta_get(store, COUNTRIES_KEY)
}

/// Caches the country list.
pub fn put_countries(store: &dyn Storage, cached: &CachedCountries) -> Result<(), StoreError> {
    put_meta(store, COUNTRIES_KEY, cached)
}

/// Reads a large batch on every core: `read` runs on consecutive chunks of `items` in
/// scoped threads and the answers come back in order. Below `from` items (or on one core)
/// it runs once, here. For reads that are most of a large request's time (a settled
/// `verify --all`'s judged records and results); backends are `Sync`, and sled reads run in
/// parallel.
pub(crate) fn read_on_every_core<I: Sync, T: Send, E: Send>(
    items: &[I],
    from: usize,
    read: impl Fn(&[I]) -> Result<Vec<T>, E> + Sync,
) -> Result<Vec<T>, E> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < from {
        return read(items);
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let read = &read;
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || read(part)))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for part in parts {
            out.extend(
                part.join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))?,
            );
        }
        Ok(out)
    })
}

/// JSON bytes of a stored record.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("stored types serialize to JSON")
}

/// Decodes a stored record; a record that will not decode is always this error, whatever
/// reads it (never a panic, never silently skipped).
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        tree,
        key: key.to_string(),
        source,
    })
}

/// What differs between two verdicts of one claim, in words; `None` when nothing does.
pub fn describe_change(old: &Verdict, new: &Verdict) -> Option<String> {
    let mut parts = Vec::new();
    if old.grade != new.grade {
        parts.push(format!(
            "verdict changed from {} to {}",
            old.grade, new.grade
        ));
    }
    let (ov, nv) = (&old.evidence.vintage, &new.evidence.vintage);
    if ov != nv {
        parts.push(format!(
            "data vintage {} → {}",
            ov.as_deref().unwrap_or("unknown"),
            nv.as_deref().unwrap_or("unknown")
        ));
    }
    if let (Some(a), Some(b)) = (old.evidence.actual, new.evidence.actual) {
        if (a - b).abs() > f64::EPSILON * a.abs().max(1.0) {
            parts.push(value_change(&old.evidence, &new.evidence, a, b));
        }
    }
    if old.grade == Grade::Unverifiable && new.grade != Grade::Unverifiable && parts.is_empty() {
        parts.push("data became available".into());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// A value that differs: "revised" only when it is the same figure (source, series,
/// country and years) read again; otherwise the claim now reads another figure (an edit
/// changed its year or country, or the latest year moved on), which is no revision.
fn value_change(old: &Evidence, new: &Evidence, a: f64, b: f64) -> String {
    let same_figure = old.source == new.source
        && old.indicator == new.indicator
        && old.country == new.country
        && old.years == new.years;
    if same_figure {
        return format!("value revised {a} → {b}");
    }
    let at = |e: &Evidence| {
        let place = e.country.as_deref().unwrap_or("?");
        let years: Vec<String> = e.years.iter().map(i32::to_string).collect();
        format!("{place} {}", years.join("–"))
    };
    format!("value compared {a} ({}) → {b} ({})", at(old), at(new))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's default float parsing may miss by the last bit (10.753499999999999 read
    /// back as 10.7535); then a re-check that found the same compared unequal and was stored
    /// in full. The `float_roundtrip` feature reads every stored number back exactly.
    #[test]
    fn stored_numbers_read_back_exactly() {
        for value in [
            10.753499999999999_f64,
            94.95285000000001,
            436.54184999999995,
        ] {
            let back: f64 = decode("verdicts", "c", &encode(&value)).unwrap();
            assert_eq!(back.to_bits(), value.to_bits(), "{value}");
        }
    }

    const RECORD: &str = r#"{"claim_id":"b1","checked_at":"2026-12-06T15:52:05Z","verdict":{"grade":"true","explanation":"The World Bank reports 183.15 for Aruba in 1995.","evidence":{"source":"worldbank","indicator":"X.Y","indicator_name":"X","country":"ABW","country_name":"Aruba","years":[1995],"values":[{"year":1995,"value":183.15}],"claimed":183.15,"actual":183.15,"deviation":0.0,"band":[183.145,183.155],"rank":null,"source_url":"http://127.0.0.1/v2/x","vintage":"2025-07-01","retrieved_at":"2026-12-06T15:52:02Z","page_url":"https://data.worldbank.org/indicator/X.Y?locations=AW"}},"change":null}"#;

    /// The quick way for full records and the untagged way must read every entry alike.
    #[test]
    fn history_entries_decode_as_what_was_stored() {
        let record: VerdictRecord = serde_json::from_str(RECORD).unwrap();
        let full = encode(&StoredCheck::Full(Box::new(record.clone())));
        assert!(
            full.starts_with(br#"{"claim_id":"#),
            "the quick way is taken"
        );
        match StoredCheck::decode("b1", &full).unwrap() {
            StoredCheck::Full(back) => assert_eq!(*back, record),
            StoredCheck::Again(_) => panic!("a full record read as a re-check"),
        }
        let again = Again {
            checked_at: record.checked_at,
            same_as: 7,
        };
        match StoredCheck::decode("b1", &encode(&StoredCheck::Again(again))).unwrap() {
            StoredCheck::Again(back) => assert_eq!(back.same_as, 7),
            StoredCheck::Full(_) => panic!("a re-check read as a full record"),
        }
        // Keys in another order (not how either backend writes them) still read.
        let mut value: serde_json::Value = serde_json::from_str(RECORD).unwrap();
        let claim_id = value.as_object_mut().unwrap().remove("claim_id").unwrap();
        value["claim_id"] = claim_id;
        let reordered = serde_json::to_vec(&value).unwrap();
        assert!(!reordered.starts_with(br#"{"claim_id":"#));
        assert!(matches!(
            StoredCheck::decode("b1", &reordered).unwrap(),
            StoredCheck::Full(back) if *back == record
        ));
        assert!(StoredCheck::decode("b1", br#"{"claim_id":"b1"}"#).is_err());
    }
}
