//! The embedded backend: one sled database directory, one process at a time.
//!
//! Trees: `claims` (id → claim), `verdicts` (claim id, 0, seq → record), `edits` (claim id,
//! 0, seq → edit record, written with the claim's new version), `changes` (seq →
//! event), `jobs` (id → job), `settled` (first job id → the [`SettledRun`] of jobs one
//! transaction settled at once), `pending` (claim id → its pending job id), `schedule` (claim id
//! → next run), `meta`; and the time indexes that let the worker and the scheduler find work
//! without decoding every record: `due` (priority, run_at, id), `leases` (lease_until, id) and
//! `schedule_at` (at, claim id). Every write that changes a job or a next run updates its
//! index in the same transaction. Requests settled at once are one `rechecks` record per
//! transaction (seq → [`RecheckRun`]) over claim numbers (`numbers`: claim id → number),
//! not an entry per claim: see [`super::rechecks`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sled::transaction::{abort, ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use super::flusher::Flusher;
use super::rechecks::{self, RecheckRun, Rechecks};
use super::{
    decode, encode, Again, ChangeEvent, EditDescriber, EditRecord, JobChange, JobUpdate, JobWrite,
    NextRun, Settle, SettledRun, Storage, StoreError, StoredCheck, Upsert, VerdictRecord,
};
use crate::claim::Claim;
use crate::inputs::{Judged, StoredJudged};
use crate::queue::{Job, JobState, Priority};

/// Bumped when an index's layout changes; a database without it gets its indexes rebuilt.
const INDEX_VERSION: &[u8] = b"2";
const INDEX_VERSION_KEY: &str = "sled/index_version";
/// Added to every generated id: set by a restore above the restored ids, because sled's
/// id generator is not part of the data a backup holds.
const ID_FLOOR_KEY: &str = "sled/id_floor";
/// The next claim number to hand out (see [`super::rechecks`]).
const NEXT_NUMBER_KEY: &str = "sled/next_claim_number";

/// The sled database.
#[derive(Debug)]
pub struct SledStore {
    path: PathBuf,
    trees: Trees,
    id_floor: std::sync::atomic::AtomicU64,
    // Held while job ids are handed out, so one call's ids are consecutive and the id ranges
    // of two [`SettledRun`]s never interleave.
    ids: std::sync::Mutex<()>,
    /// Every `rechecks` record, in memory.
    rechecks: Rechecks,
    // Dropped before `db`'s last handle: joins the flusher thread.
    flusher: Flusher,
    db: sled::Db,
}

#[derive(Debug, Clone)]
struct Trees {
    claims: sled::Tree,
    verdicts: sled::Tree,
    edits: sled::Tree,
    changes: sled::Tree,
    jobs: sled::Tree,
    /// First job id → [`SettledRun`].
    settled: sled::Tree,
    pending: sled::Tree,
    due: sled::Tree,
    leases: sled::Tree,
    schedule: sled::Tree,
    schedule_at: sled::Tree,
    meta: sled::Tree,
    /// Per claim, what its latest verdict was judged from ([`Judged`]). Removed in the same
    /// transaction as any change to the claim's stored bytes, so a judged record that has
    /// not changed means a claim that has not: settling checks it alone.
    judged: sled::Tree,
    /// Claim id → its number in [`RecheckRun`]s; handed out when a claim is first settled,
    /// removed with the claim (so a claim added again under the same id starts afresh).
    numbers: sled::Tree,
    /// Sequence number → [`RecheckRun`].
    rechecks: sled::Tree,
}

type TxResult<T> = Result<T, ConflictableTransactionError<TxAbort>>;

/// A file in the database directory while a restore replaces its contents: the database
/// will not open while it is there, except for `restore --force` to start again.
pub const RESTORE_MARKER: &str = "claimcheck-restore-incomplete";

/// Makes a directory's entries (a file made or removed in it) durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// How often sled's own background thread wakes to write out its log buffer and compact its
/// segments (sled's default is 500 ms). Durability does not wait on it: every write is
/// flushed by [`Flusher`] before it is acknowledged. Rarer wake-ups cost an idle daemon
/// less; the compaction after a burst of writes is the same work, done in larger steps.
const SLED_BACKGROUND_MS: u64 = 2_000;

/// Why a transaction stopped without writing.
#[derive(Debug)]
enum TxAbort {
    Corrupt(Box<StoreError>),
    SlotTaken(Box<str>, u64),
}

impl SledStore {
    /// Opens (creating if needed) the database directory at `path`; refused while an
    /// interrupted restore's marker is there ([`RESTORE_MARKER`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        check_location(path)?;
        if path.join(RESTORE_MARKER).exists() {
            return Err(StoreError::Unusable {
                location: path.display().to_string(),
                reason: "a restore into it was interrupted, so it holds part of the backup and none of what it held before: run `claimcheck restore FILE --force` again (the backup file is intact)".into(),
            });
        }
        let backend = |source: sled::Error| StoreError::Backend {
            location: path.display().to_string(),
            source: Box::new(source),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| backend(sled::Error::Io(e)))?;
        }
        // sled panics on some damaged files (an index out of bounds in its segment
        // recovery) instead of returning an error: caught here, it is a database error
        // that says what to do, not a backtrace.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {})); // no backtrace for a damaged file
        let opened = std::panic::catch_unwind(|| {
            sled::Config::new()
                .path(path)
                .flush_every_ms(Some(SLED_BACKGROUND_MS))
                .open()
        });
        std::panic::set_hook(hook);
        let damaged = || {
            StoreError::Backend {
            location: path.display().to_string(),
            source: Box::new(sled::Error::Unsupported(
                "the database files are damaged (sled could not read them back); restore it from a backup with `claimcheck restore FILE --force`".into(),
            )),
        }
        };
        let db = opened.map_err(|_| damaged())?.map_err(|e| match e {
            sled::Error::Io(ref io) if is_lock_error(io) => StoreError::Locked(path.to_path_buf()),
            sled::Error::Corruption { .. } => damaged(),
            other => backend(other),
        })?;
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        let trees = Trees {
            claims: tree("claims")?,
            verdicts: tree("verdicts")?,
            edits: tree("edits")?,
            changes: tree("changes")?,
            jobs: tree("jobs")?,
            settled: tree("settled")?,
            pending: tree("pending")?,
            due: tree("due")?,
            leases: tree("leases")?,
            schedule: tree("schedule")?,
            schedule_at: tree("schedule_at")?,
            meta: tree("meta")?,
            judged: tree("judged")?,
            numbers: tree("numbers")?,
            rechecks: tree("rechecks")?,
        };
        let rechecks = Rechecks::load(&trees.rechecks, &path.display().to_string())?;
        let flusher = Flusher::start(db.clone()).map_err(|e| backend(sled::Error::Io(e)))?;
        let floor = trees
            .meta
            .get(ID_FLOOR_KEY)
            .map_err(backend)?
            .and_then(|v| v.as_ref().try_into().ok())
            .map_or(0, u64::from_be_bytes);
        let store = Self {
            path: path.to_path_buf(),
            trees,
            id_floor: floor.into(),
            ids: std::sync::Mutex::new(()),
            rechecks,
            flusher,
            db,
        };
        store.ensure_indexes()?;
        Ok(store)
    }

    fn err(&self, source: sled::Error) -> StoreError {
        StoreError::Backend {
            location: self.path.display().to_string(),
            source: Box::new(source),
        }
    }

    fn tx_error(&self, error: TransactionError<TxAbort>) -> StoreError {
        match error {
            TransactionError::Abort(TxAbort::Corrupt(e)) => *e,
            TransactionError::Abort(TxAbort::SlotTaken(claim_id, other)) => StoreError::SlotTaken {
                claim_id: claim_id.into(),
                other,
            },
            TransactionError::Storage(e) => self.err(e),
        }
    }

    /// Rebuilds the time indexes from the records (databases written before they existed).
    fn ensure_indexes(&self) -> Result<(), StoreError> {
        let t = &self.trees;
        if t.meta
            .get(INDEX_VERSION_KEY)
            .map_err(|e| self.err(e))?
            .as_deref()
            == Some(INDEX_VERSION)
        {
            return Ok(());
        }
        // `pending` too: a backup from PostgreSQL carries the jobs but not sled's slots.
        for tree in [&t.due, &t.leases, &t.schedule_at, &t.pending] {
            tree.clear().map_err(|e| self.err(e))?;
        }
        for item in t.jobs.iter() {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            let job: Job = decode("jobs", &format!("{key:?}"), &bytes)?;
            if job.is_pending() {
                t.pending
                    .insert(job.claim_id.as_bytes(), &job.id.to_be_bytes())
                    .map_err(|e| self.err(e))?;
            }
            if let Some(k) = due_key(&job) {
                t.due.insert(k, &[]).map_err(|e| self.err(e))?;
            }
            if let Some(k) = lease_key(&job) {
                t.leases.insert(k, &[]).map_err(|e| self.err(e))?;
            }
        }
        for item in t.schedule.iter() {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            let claim_id = String::from_utf8_lossy(&key).into_owned();
            let next: NextRun = decode("schedule", &claim_id, &bytes)?;
            t.schedule_at
                .insert(schedule_key(next.at, &claim_id), &[])
                .map_err(|e| self.err(e))?;
        }
        t.meta
            .insert(INDEX_VERSION_KEY, INDEX_VERSION)
            .map_err(|e| self.err(e))?;
        self.flush()
    }

    /// A compact re-check as the full record it repeats.
    fn expand_again(&self, claim_id: &str, again: Again) -> Result<VerdictRecord, StoreError> {
        let mut key = history_prefix(claim_id);
        key.extend_from_slice(&again.same_as.to_be_bytes());
        let full = self.trees.verdicts.get(key).map_err(|e| self.err(e))?;
        let Some(full) = full else {
            return Err(again.dangling(claim_id, self.location()));
        };
        Ok(again.repeating(decode("verdicts", claim_id, &full)?))
    }

    /// A run's re-check of a claim as the full record before it (`full`), at the run's
    /// time `at`.
    fn repeat(
        &self,
        claim_id: &str,
        full: Option<&VerdictRecord>,
        at: DateTime<Utc>,
    ) -> Result<VerdictRecord, StoreError> {
        match full {
            Some(full) => Ok(full.clone().repeated_at(at)),
            None => Err(StoreError::Backend {
                location: self.location(),
                source: format!(
                    "the re-check of {claim_id} at {at} has no full record before it in the claim's history"
                )
                .into(),
            }),
        }
    }

    /// The claim's newest check as a full record, with the sequence number of the full
    /// record it stands on (itself, or the one a re-check repeats): one scan and one
    /// decode, since every verdict written reads it.
    fn latest_with_seq(&self, claim_id: &str) -> Result<Option<(VerdictRecord, u64)>, StoreError> {
        let last = self
            .trees
            .verdicts
            .scan_prefix(history_prefix(claim_id))
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?;
        let Some((key, bytes)) = last else {
            return Ok(None);
        };
        let (record, full_seq) = match StoredCheck::decode(claim_id, &bytes)? {
            StoredCheck::Full(record) => (*record, job_id(&key)),
            StoredCheck::Again(again) => {
                let same_as = again.same_as;
                (self.expand_again(claim_id, again)?, same_as)
            }
        };
        // A run that settled the claim since repeats that same full record, at its time.
        let later = match self.number(claim_id)? {
            Some(number) => self.rechecks.latest(number, job_id(&key)),
            None => None,
        };
        Ok(Some(match later {
            Some((_, at)) => (record.repeated_at(at), full_seq),
            None => (record, full_seq),
        }))
    }

    /// The claim's number in [`RecheckRun`]s, if it was ever settled at once.
    fn number(&self, claim_id: &str) -> Result<Option<u32>, StoreError> {
        let bytes = self
            .trees
            .numbers
            .get(claim_id.as_bytes())
            .map_err(|e| self.err(e))?;
        Ok(bytes.and_then(|b| rechecks::number_of(&b)))
    }

    /// The numbers of claims `ids`, handing one out, in one transaction, to each that has
    /// none yet: a claim's first settle pays one insert, every later one none.
    fn numbers_for(&self, ids: &[&str]) -> Result<Vec<u32>, StoreError> {
        let read = super::read_on_every_core(ids, 2_000, |part| {
            part.iter().map(|id| self.number(id)).collect()
        })?;
        let mut out = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for (i, number) in read.into_iter().enumerate() {
            if number.is_none() {
                missing.push(i);
            }
            out.push(number.unwrap_or(0));
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let t = &self.trees;
        let location = self.location();
        let result = (&t.numbers, &t.meta).transaction(|(numbers, meta)| {
            let mut next = meta
                .get(NEXT_NUMBER_KEY)?
                .and_then(|b| rechecks::number_of(&b))
                .unwrap_or(0);
            let mut given = Vec::with_capacity(missing.len());
            for &i in &missing {
                let key = ids[i].as_bytes();
                // Another settle may have numbered it since the read above.
                if let Some(number) = numbers.get(key)?.and_then(|b| rechecks::number_of(&b)) {
                    given.push(number);
                    continue;
                }
                let Some(after) = next.checked_add(1) else {
                    return abort(TxAbort::Corrupt(Box::new(StoreError::Backend {
                        location: location.clone(),
                        source: "all 4,294,967,296 claim numbers are used; back up and restore the database into a new one to renumber".into(),
                    })));
                };
                numbers.insert(key, &next.to_be_bytes())?;
                given.push(next);
                next = after;
            }
            meta.insert(NEXT_NUMBER_KEY, &next.to_be_bytes())?;
            Ok(given)
        });
        let given = result.map_err(|e| self.tx_error(e))?;
        for (&i, number) in missing.iter().zip(given) {
            out[i] = number;
        }
        Ok(out)
    }

    /// The runs that settled the claim after its first history entry `first` (runs before
    /// it belonged to an earlier claim of the same id), oldest first.
    fn rechecks_of(
        &self,
        claim_id: &str,
        first: Option<u64>,
    ) -> Result<Vec<rechecks::Recheck>, StoreError> {
        let (Some(first), Some(number)) = (first, self.number(claim_id)?) else {
            return Ok(Vec::new());
        };
        Ok(self.rechecks.of(number, first))
    }

    fn floor(&self) -> u64 {
        self.id_floor.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The largest id in use (jobs, verdict sequence numbers, change events).
    fn max_id(&self) -> Result<u64, StoreError> {
        let t = &self.trees;
        let last = |tree: &sled::Tree| -> Result<u64, StoreError> {
            Ok(tree
                .last()
                .map_err(|e| self.err(e))?
                .map_or(0, |(k, _)| job_id(&k)))
        };
        let mut max = last(&t.jobs)?
            .max(last(&t.changes)?)
            .max(last(&t.rechecks)?);
        if let Some((key, bytes)) = t.settled.last().map_err(|e| self.err(e))? {
            let (first, run) = decode_run(&key, &bytes)?;
            max = max.max(run.last(first));
        }
        for key in t.verdicts.iter().keys().chain(t.edits.iter().keys()) {
            max = max.max(job_id(&key.map_err(|e| self.err(e))?));
        }
        Ok(max)
    }

    fn get_job(&self, key: &[u8]) -> Result<Option<Job>, StoreError> {
        self.trees
            .jobs
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|bytes| decode("jobs", &job_id(key).to_string(), &bytes))
            .transpose()
    }

    /// The settled run that would hold job `id`: the one with the largest first id at or
    /// below it (runs' id ranges never interleave).
    fn run_for(&self, id: u64) -> Result<Option<(u64, SettledRun)>, StoreError> {
        let entry = self
            .trees
            .settled
            .range(..=id.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?;
        entry
            .map(|(key, bytes)| decode_run(&key, &bytes))
            .transpose()
    }

    /// Deletes one job record, unless it is pending.
    fn delete_stored_job(&self, id: u64) -> Result<(), StoreError> {
        let t = &self.trees;
        let key = id.to_be_bytes();
        let result =
            (&t.jobs, &t.pending, &t.due, &t.leases).transaction(|(jobs, pending, due, leases)| {
                let tx = JobTx {
                    jobs,
                    pending,
                    due,
                    leases,
                };
                // A pending job is never deleted: its claim would lose its verdict.
                if tx.read(&key)?.is_some_and(|job| !job.is_pending()) {
                    jobs.remove(&key)?;
                }
                Ok(())
            });
        result.map_err(|e| self.tx_error(e))
    }

    /// Deletes jobs of settled runs: their slots are emptied, and a run left empty is
    /// removed. Each run is rewritten once.
    fn delete_settled(&self, ids: &[u64]) -> Result<(), StoreError> {
        let mut runs: std::collections::BTreeMap<u64, (SettledRun, bool)> = Default::default();
        for &id in ids {
            let held = runs
                .range(..=id)
                .next_back()
                .is_some_and(|(first, (run, _))| run.spans(*first, id));
            if !held {
                if let Some((first, run)) = self.run_for(id)? {
                    runs.entry(first).or_insert((run, false));
                }
            }
            if let Some((first, (run, changed))) = runs.range_mut(..=id).next_back() {
                if let Some(slot) = usize::try_from(id - first)
                    .ok()
                    .and_then(|i| run.claims.get_mut(i))
                {
                    *changed |= slot.take().is_some();
                }
            }
        }
        for (first, (run, changed)) in runs {
            let key = first.to_be_bytes();
            let written = if run.claims.iter().all(Option::is_none) {
                self.trees.settled.remove(key).map(drop)
            } else if changed {
                self.trees.settled.insert(key, encode(&run)).map(drop)
            } else {
                Ok(())
            };
            written.map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Every settled run, newest first.
    fn runs(&self) -> Result<Vec<(u64, SettledRun)>, StoreError> {
        self.trees
            .settled
            .iter()
            .rev()
            .map(|item| {
                let (key, bytes) = item.map_err(|e| self.err(e))?;
                decode_run(&key, &bytes)
            })
            .collect()
    }
}

/// Refuses locations that cannot be a database of ours: `/`, or a file.
fn check_location(path: &Path) -> Result<(), StoreError> {
    let bad = |reason: &str| StoreError::BadLocation {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if path.parent().is_none() || path.as_os_str().is_empty() {
        return Err(bad(
            "give a directory of its own, e.g. ~/.local/share/claimcheck",
        ));
    }
    if path.is_file() {
        return Err(bad("it is a file; give a directory"));
    }
    let is_foreign_dir = path.is_dir()
        && !path.join("conf").exists()
        && std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_some());
    if is_foreign_dir {
        return Err(bad(
            "it is a directory with other files in it, not a claimcheck database; give a new or empty directory",
        ));
    }
    Ok(())
}

fn is_lock_error(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
        || error.to_string().contains("could not acquire lock")
}

/// A `settled` entry: its first job id and the run.
fn decode_run(key: &[u8], bytes: &[u8]) -> Result<(u64, SettledRun), StoreError> {
    let first = job_id(key);
    Ok((first, decode("settled", &first.to_string(), bytes)?))
}

fn history_prefix(claim_id: &str) -> Vec<u8> {
    let mut key = claim_id.as_bytes().to_vec();
    key.push(0);
    key
}

/// A time as bytes that sort like the time (sign bit flipped, big-endian millis).
fn time_bytes(at: DateTime<Utc>) -> [u8; 8] {
    ((at.timestamp_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

/// The first index time after `at` (index keys hold milliseconds).
fn just_after(at: DateTime<Utc>) -> DateTime<Utc> {
    at + chrono::Duration::milliseconds(1)
}

fn job_id(key: &[u8]) -> u64 {
    let tail: [u8; 8] = key[key.len().saturating_sub(8)..]
        .try_into()
        .unwrap_or([0; 8]);
    u64::from_be_bytes(tail)
}

fn priority_byte(priority: Priority) -> u8 {
    match priority {
        Priority::User => 0,
        Priority::Scheduled => 1,
    }
}

fn due_key(job: &Job) -> Option<Vec<u8>> {
    matches!(job.state, JobState::Queued | JobState::Retrying).then(|| {
        let mut key = vec![priority_byte(job.priority)];
        key.extend_from_slice(&time_bytes(job.run_at));
        key.extend_from_slice(&job.id.to_be_bytes());
        key
    })
}

fn lease_key(job: &Job) -> Option<Vec<u8>> {
    (job.state == JobState::Running).then(|| {
        let at = job.lease_until.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut key = time_bytes(at).to_vec();
        key.extend_from_slice(&job.id.to_be_bytes());
        key
    })
}

fn schedule_key(at: DateTime<Utc>, claim_id: &str) -> Vec<u8> {
    let mut key = time_bytes(at).to_vec();
    key.extend_from_slice(claim_id.as_bytes());
    key
}

/// The trees a job write touches, inside one transaction.
struct JobTx<'a> {
    jobs: &'a TransactionalTree,
    pending: &'a TransactionalTree,
    due: &'a TransactionalTree,
    leases: &'a TransactionalTree,
}

impl JobTx<'_> {
    fn read(&self, key: &[u8]) -> TxResult<Option<Job>> {
        match self.jobs.get(key)? {
            None => Ok(None),
            Some(bytes) => decode("jobs", &job_id(key).to_string(), &bytes)
                .map(Some)
                .or_else(|e| abort(TxAbort::Corrupt(Box::new(e)))),
        }
    }

    /// Writes `new` over `old`, keeping the pending slot and the indexes in step.
    fn write(&self, old: Option<&Job>, new: &Job) -> TxResult<()> {
        let key = new.id.to_be_bytes();
        let slot = self.pending.get(new.claim_id.as_bytes())?;
        let holds_slot = slot.as_deref() == Some(&key[..]);
        if new.is_pending() && !holds_slot {
            if let Some(other) = slot {
                return abort(TxAbort::SlotTaken(
                    new.claim_id.as_str().into(),
                    job_id(&other),
                ));
            }
            self.pending.insert(new.claim_id.as_bytes(), &key)?;
        } else if !new.is_pending() && holds_slot {
            self.pending.remove(new.claim_id.as_bytes())?;
        }
        if let Some(old) = old {
            for k in [due_key(old), lease_key(old)].into_iter().flatten() {
                self.due.remove(k.as_slice())?;
                self.leases.remove(k.as_slice())?;
            }
        }
        if let Some(k) = due_key(new) {
            self.due.insert(k, &[])?;
        }
        if let Some(k) = lease_key(new) {
            self.leases.insert(k, &[])?;
        }
        self.jobs.insert(&key, encode(new))?;
        Ok(())
    }
}

impl Storage for SledStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.flusher.flush().map_err(|reason| StoreError::Backend {
            location: self.location(),
            source: reason.into(),
        })
    }

    fn put_claim(&self, claim: &Claim) -> Result<Upsert, StoreError> {
        let t = &self.trees;
        let bytes = encode(claim);
        let result = (&t.claims, &t.judged).transaction(|(claims, judged)| {
            let previous = claims.insert(claim.id.as_bytes(), bytes.as_slice())?;
            let upsert = match previous {
                None => Upsert::Added,
                Some(old) if old.as_ref() == bytes.as_slice() => Upsert::Unchanged,
                Some(_) => Upsert::Updated,
            };
            if upsert != Upsert::Unchanged {
                judged.remove(claim.id.as_bytes())?; // see `Trees::judged`
            }
            Ok::<_, ConflictableTransactionError<TxAbort>>(upsert)
        });
        result.map_err(|e| self.tx_error(e))
    }

    fn put_claim_edited(
        &self,
        claim: &Claim,
        at: DateTime<Utc>,
        describe: EditDescriber<'_>,
    ) -> Result<(Upsert, Option<EditRecord>), StoreError> {
        let t = &self.trees;
        let bytes = encode(claim);
        let floor = self.floor();
        let result = (&t.claims, &t.edits, &t.judged).transaction(|(claims, edits, judged)| {
            let previous = claims.insert(claim.id.as_bytes(), bytes.as_slice())?;
            if previous.as_deref() != Some(bytes.as_slice()) {
                judged.remove(claim.id.as_bytes())?; // see `Trees::judged`
            }
            let old: Claim = match previous {
                None => return Ok((Upsert::Added, None)),
                Some(old) if old.as_ref() == bytes.as_slice() => {
                    return Ok((Upsert::Unchanged, None))
                }
                Some(old) => decode("claims", &claim.id, &old)
                    .or_else(|e| abort(TxAbort::Corrupt(Box::new(e))))?,
            };
            let Some(change) = describe(&old, claim) else {
                return Ok((Upsert::Updated, None));
            };
            let record = EditRecord {
                claim_id: claim.id.clone(),
                at,
                change,
            };
            let mut key = history_prefix(&claim.id);
            key.extend_from_slice(&(floor + edits.generate_id()?).to_be_bytes());
            edits.insert(key, encode(&record))?;
            Ok((Upsert::Updated, Some(record)))
        });
        result.map_err(|e| self.tx_error(e))
    }

    fn edits(&self, claim_id: &str) -> Result<Vec<EditRecord>, StoreError> {
        self.trees
            .edits
            .scan_prefix(history_prefix(claim_id))
            .rev()
            .map(|item| {
                let (_, bytes) = item.map_err(|e| self.err(e))?;
                decode("edits", claim_id, &bytes)
            })
            .collect()
    }

    fn claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        self.trees
            .claims
            .get(id.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|bytes| decode("claims", id, &bytes))
            .transpose()
    }

    fn claim_ids(&self) -> Result<Vec<String>, StoreError> {
        self.trees
            .claims
            .iter()
            .keys()
            .map(|key| {
                let key = key.map_err(|e| self.err(e))?;
                Ok(String::from_utf8_lossy(&key).into_owned())
            })
            .collect()
    }

    fn has_claim(&self, id: &str) -> Result<bool, StoreError> {
        self.trees
            .claims
            .contains_key(id.as_bytes())
            .map_err(|e| self.err(e))
    }

    fn claims(&self) -> Result<Vec<Claim>, StoreError> {
        self.trees
            .claims
            .iter()
            .map(|item| {
                let (key, bytes) = item.map_err(|e| self.err(e))?;
                decode("claims", &String::from_utf8_lossy(&key), &bytes)
            })
            .collect()
    }

    fn remove_claim(&self, id: &str, cancel: JobChange<'_>) -> Result<bool, StoreError> {
        let t = &self.trees;
        let next = self.next_run(id)?;
        let result = (
            &t.claims,
            &t.jobs,
            &t.pending,
            &t.due,
            &t.leases,
            &t.schedule,
            &t.schedule_at,
            &t.judged,
            &t.numbers,
        )
            .transaction(
                |(claims, jobs, pending, due, leases, schedule, schedule_at, judged, numbers)| {
                    let existed = claims.remove(id.as_bytes())?.is_some();
                    // Its runs' bits stay; a claim added again under this id gets a new number.
                    numbers.remove(id.as_bytes())?;
                    judged.remove(id.as_bytes())?; // see `Trees::judged`
                    if let Some(key) = pending.get(id.as_bytes())? {
                        let tx = JobTx {
                            jobs,
                            pending,
                            due,
                            leases,
                        };
                        if let Some(job) = tx.read(&key)? {
                            if let Some(cancelled) = cancel(&job) {
                                tx.write(Some(&job), &cancelled)?;
                            }
                        }
                    }
                    schedule.remove(id.as_bytes())?;
                    if let Some(next) = &next {
                        schedule_at.remove(schedule_key(next.at, id))?;
                    }
                    Ok(existed)
                },
            );
        let existed = result.map_err(|e| self.tx_error(e))?;
        // After the transaction no verdict can be added (the pending job is cancelled), so
        // this sweep also catches one that landed while the transaction was being set up.
        for tree in [&t.verdicts, &t.edits] {
            for key in tree.scan_prefix(history_prefix(id)).keys() {
                tree.remove(key.map_err(|e| self.err(e))?)
                    .map_err(|e| self.err(e))?;
            }
        }
        t.judged.remove(id.as_bytes()).map_err(|e| self.err(e))?;
        Ok(existed)
    }

    fn history(&self, claim_id: &str) -> Result<Vec<VerdictRecord>, StoreError> {
        let mut entries = Vec::new();
        for item in self.trees.verdicts.scan_prefix(history_prefix(claim_id)) {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            entries.push((job_id(&key), bytes));
        }
        let runs = self.rechecks_of(claim_id, entries.first().map(|(seq, _)| *seq))?;
        let mut runs = runs.into_iter().peekable();
        let mut out = Vec::with_capacity(entries.len() + runs.len());
        // Where in `out` the newest full record so far is: what a run after it repeats.
        let mut full: Option<usize> = None;
        for (seq, bytes) in entries {
            while let Some((_, at)) = runs.next_if(|(run, _)| *run < seq) {
                let record = self.repeat(claim_id, full.map(|i| &out[i]), at)?;
                out.push(record);
            }
            out.push(match StoredCheck::decode(claim_id, &bytes)? {
                StoredCheck::Full(record) => {
                    full = Some(out.len());
                    *record
                }
                StoredCheck::Again(again) => self.expand_again(claim_id, again)?,
            });
        }
        for (_, at) in runs {
            let record = self.repeat(claim_id, full.map(|i| &out[i]), at)?;
            out.push(record);
        }
        out.reverse(); // newest first
        Ok(out)
    }

    fn latest_verdict(&self, claim_id: &str) -> Result<Option<VerdictRecord>, StoreError> {
        Ok(self.latest_with_seq(claim_id)?.map(|(record, _)| record))
    }

    fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>, StoreError> {
        let mut events = Vec::new();
        for item in self.trees.changes.iter() {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            let event: ChangeEvent = decode("changes", &job_id(&key).to_string(), &bytes)?;
            if since.is_none_or(|s| event.at >= s) {
                events.push(event);
            }
        }
        Ok(events)
    }

    fn changes_from(&self, seq: u64) -> Result<Vec<ChangeEvent>, StoreError> {
        self.trees
            .changes
            .range(seq.to_be_bytes()..)
            .map(|item| {
                let (key, bytes) = item.map_err(|e| self.err(e))?;
                decode("changes", &job_id(&key).to_string(), &bytes)
            })
            .collect()
    }

    fn new_job_id(&self) -> Result<u64, StoreError> {
        Ok(self.new_job_ids(1)?.remove(0))
    }

    fn new_job_ids(&self, n: usize) -> Result<Vec<u64>, StoreError> {
        let _consecutive = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let floor = self.floor();
        (0..n)
            .map(|_| Ok(floor + self.db.generate_id().map_err(|e| self.err(e))?))
            .collect()
    }

    fn insert_jobs(
        &self,
        fresh: &[Job],
        existing: JobChange<'_>,
    ) -> Result<Vec<(Job, bool)>, StoreError> {
        let t = &self.trees;
        let trees = (&t.jobs, &t.pending, &t.due, &t.leases);
        let result = trees.transaction(|(jobs, pending, due, leases)| {
            let tx = JobTx {
                jobs,
                pending,
                due,
                leases,
            };
            let mut out = Vec::with_capacity(fresh.len());
            for fresh in fresh {
                let held = match pending.get(fresh.claim_id.as_bytes())? {
                    Some(key) => tx.read(&key)?,
                    None => None,
                };
                out.push(match held {
                    Some(job) => match existing(&job) {
                        Some(changed) => {
                            tx.write(Some(&job), &changed)?;
                            (changed, false)
                        }
                        None => (job, false),
                    },
                    None => {
                        tx.write(None, fresh)?;
                        (fresh.clone(), true)
                    }
                });
            }
            Ok(out)
        });
        result.map_err(|e| self.tx_error(e))
    }

    fn job(&self, id: u64) -> Result<Option<Job>, StoreError> {
        Ok(self.jobs_of(&[id])?.pop().flatten())
    }

    fn jobs_of(&self, ids: &[u64]) -> Result<Vec<Option<Job>>, StoreError> {
        // The run last read is kept: a verify's ids come in runs of a thousand.
        let mut run: Option<(u64, SettledRun)> = None;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(job) = self.get_job(&id.to_be_bytes())? {
                out.push(Some(job));
                continue;
            }
            let held = run.as_ref().is_some_and(|(first, r)| r.spans(*first, id));
            if !held {
                run = self.run_for(id)?;
            }
            out.push(run.as_ref().and_then(|(first, r)| r.job(*first, id)));
        }
        Ok(out)
    }

    fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::new();
        for item in self.trees.jobs.iter().rev() {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            let job: Job = decode("jobs", &job_id(&key).to_string(), &bytes)?;
            if state.is_none_or(|s| s == job.state) {
                jobs.push(job);
            }
        }
        if state.is_none_or(|s| s == JobState::Succeeded) {
            for (first, run) in self.runs()? {
                jobs.extend(run.jobs(first).rev());
            }
            jobs.sort_by_key(|job| std::cmp::Reverse(job.id));
        }
        Ok(jobs)
    }

    fn due_jobs(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::new();
        for priority in [Priority::User, Priority::Scheduled] {
            let byte = priority_byte(priority);
            let mut end = vec![byte];
            end.extend_from_slice(&time_bytes(just_after(now)));
            for key in self.trees.due.range(vec![byte]..end).keys() {
                if jobs.len() >= limit {
                    return Ok(jobs);
                }
                let key = key.map_err(|e| self.err(e))?;
                if let Some(job) = self.get_job(&job_id(&key).to_be_bytes())? {
                    jobs.push(job);
                }
            }
        }
        Ok(jobs)
    }

    fn leases_until(&self, until: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        let end = time_bytes(just_after(until));
        let mut jobs = Vec::new();
        for key in self.trees.leases.range(..end).keys() {
            let key = key.map_err(|e| self.err(e))?;
            if let Some(job) = self.get_job(&job_id(&key).to_be_bytes())? {
                jobs.push(job);
            }
        }
        Ok(jobs)
    }

    fn update_jobs(&self, writes: &[JobUpdate<'_>]) -> Result<Vec<JobWrite>, StoreError> {
        if writes.is_empty() {
            // sled logs every committed transaction, empty or not: the idle worker's
            // take of nothing each poll wrote and synced the log, 65 KB/s on disk.
            return Ok(Vec::new());
        }
        let t = &self.trees;
        // Read outside the transaction (sled transactions cannot scan); only the job's owner
        // appends to its claim's history, and it holds the job, so this cannot go stale.
        let mut previous = Vec::with_capacity(writes.len());
        for write in writes {
            previous.push(
                match (write.verdict, self.get_job(&write.id.to_be_bytes())?) {
                    (Some(_), Some(job)) => self.latest_with_seq(&job.claim_id)?,
                    _ => None,
                },
            );
        }
        let floor = self.floor();
        let trees = (
            &t.jobs,
            &t.pending,
            &t.due,
            &t.leases,
            &t.verdicts,
            &t.changes,
            &t.judged,
        );
        let result =
            trees.transaction(|(jobs, pending, due, leases, verdicts, changes, judged)| {
                let tx = JobTx {
                    jobs,
                    pending,
                    due,
                    leases,
                };
                let mut out = Vec::with_capacity(writes.len());
                for (write, previous) in writes.iter().zip(&previous) {
                    let key = write.id.to_be_bytes();
                    let Some(job) = tx.read(&key)? else {
                        out.push(JobWrite::Missing);
                        continue;
                    };
                    let Some(new) = (write.change)(&job) else {
                        out.push(JobWrite::Declined(job));
                        continue;
                    };
                    tx.write(Some(&job), &new)?;
                    let Some((verdict, at)) = write.verdict else {
                        out.push(JobWrite::Written(new, None));
                        continue;
                    };
                    let (previous, full_seq) = match previous {
                        Some((record, seq)) => (Some(record), Some(*seq)),
                        None => (None, None),
                    };
                    let record = VerdictRecord::after(previous, &new.claim_id, verdict.clone(), at);
                    let seq = floor + verdicts.generate_id()?;
                    let mut vkey = history_prefix(&new.claim_id);
                    vkey.extend_from_slice(&seq.to_be_bytes());
                    // A re-check that found exactly what the last one found is stored small.
                    let (stored, stands_on) = match (previous, full_seq) {
                        (Some(p), Some(same_as)) if p.verdict.same_finding(&record.verdict) => (
                            encode(&StoredCheck::Again(Again {
                                checked_at: at,
                                same_as,
                            })),
                            same_as,
                        ),
                        _ => (encode(&record), seq),
                    };
                    verdicts.insert(vkey, stored)?;
                    let claim_key = new.claim_id.as_bytes();
                    match write.inputs {
                        Some(inputs) => {
                            let entry = Judged {
                                inputs: inputs.clone(),
                                full_seq: stands_on,
                            };
                            judged.insert(claim_key, encode(&entry))?;
                        }
                        None => {
                            judged.remove(claim_key)?;
                        }
                    }
                    if let Some(event) = record.event(previous, seq) {
                        changes.insert(&seq.to_be_bytes(), encode(&event))?;
                    }
                    out.push(JobWrite::Written(new, Some(Box::new(record))));
                }
                Ok(out)
            });
        result.map_err(|e| self.tx_error(e))
    }

    fn judged(&self, ids: &[String]) -> Result<Vec<Option<StoredJudged>>, StoreError> {
        // A judged record stands for the claim as it was judged: any change to the claim's
        // stored bytes (a new version, an edit, its removal) removes the record in the same
        // transaction (see `Trees::judged`). So the claim is neither read nor hashed here;
        // its digest is the one judged (10,000 reads and hashes a re-check, 10-15 ms).
        let t = &self.trees;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let judged = t.judged.get(id.as_bytes()).map_err(|e| self.err(e))?;
            out.push(match judged {
                Some(stored) => {
                    let judged = decode::<Judged>("judged", id, &stored)?;
                    Some(StoredJudged {
                        claim: judged.inputs.claim.clone(),
                        judged,
                        stored: stored.to_vec(),
                    })
                }
                None => None,
            });
        }
        Ok(out)
    }

    fn claims_with_records(
        &self,
        wanted: &[(String, u64)],
    ) -> Result<Vec<Option<(Claim, VerdictRecord)>>, StoreError> {
        let mut out = Vec::with_capacity(wanted.len());
        for (id, seq) in wanted {
            let Some(claim) = self.claim(id)? else {
                out.push(None);
                continue;
            };
            let mut key = history_prefix(id);
            key.extend_from_slice(&seq.to_be_bytes());
            let bytes = self.trees.verdicts.get(key).map_err(|e| self.err(e))?;
            out.push(match bytes {
                Some(bytes) => match StoredCheck::decode(id, &bytes)? {
                    StoredCheck::Full(record) => Some((claim, *record)),
                    StoredCheck::Again(_) => None,
                },
                None => None,
            });
        }
        Ok(out)
    }

    fn settle_unchanged(
        &self,
        settles: &[Settle<'_>],
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, StoreError> {
        let t = &self.trees;
        let floor = self.floor();
        let ids: Vec<&str> = settles.iter().map(|s| s.claim_id).collect();
        let numbers = self.numbers_for(&ids)?;
        // The judged record as `judged` read it stands for the claim too: any change to the
        // claim removes it (see `Trees::judged`), and a new verdict rewrites it.
        let trees = (&t.settled, &t.pending, &t.verdicts, &t.judged, &t.rechecks);
        let result = trees.transaction(|(settled, pending, verdicts, judged, rechecks)| {
            let mut out = Vec::with_capacity(settles.len());
            let mut run = RecheckRun {
                at: now,
                numbers: Default::default(),
            };
            for (settle, &number) in settles.iter().zip(&numbers) {
                let id = settle.claim_id.as_bytes();
                let unchanged = pending.get(id)?.is_none()
                    && judged
                        .get(id)?
                        .is_some_and(|j| j.as_ref() == settle.judged.stored.as_slice());
                if !unchanged {
                    out.push(None);
                    continue;
                }
                run.numbers.insert(number);
                out.push(Some(settle));
            }
            // One record for every claim settled, not a history entry each (see
            // `super::rechecks`).
            let recheck = if run.numbers.is_empty() {
                None
            } else {
                let seq = floor + verdicts.generate_id()?;
                rechecks.insert(&seq.to_be_bytes(), encode(&run))?;
                Some((seq, run))
            };
            let jobs = out.iter().flatten().map(|s| (s.id, s.claim_id));
            if let Some((first, jobs_run)) = SettledRun::of(jobs, priority, now) {
                settled.insert(&first.to_be_bytes(), encode(&jobs_run))?;
            }
            let jobs = out
                .into_iter()
                .map(|s| s.map(|s| Job::settled_unchanged(s.id, s.claim_id, priority, now)))
                .collect();
            Ok((jobs, recheck))
        });
        let (jobs, recheck) = result.map_err(|e| self.tx_error(e))?;
        if let Some((seq, run)) = recheck {
            self.rechecks.add(seq, run);
        }
        Ok(jobs)
    }

    fn delete_job(&self, id: u64) -> Result<(), StoreError> {
        self.delete_jobs(&[id])
    }

    fn delete_jobs(&self, ids: &[u64]) -> Result<(), StoreError> {
        let (stored, settled): (Vec<u64>, Vec<u64>) = ids.iter().partition(|&&id| {
            self.trees
                .jobs
                .contains_key(id.to_be_bytes())
                .unwrap_or(true)
        });
        for id in stored {
            self.delete_stored_job(id)?;
        }
        self.delete_settled(&settled)
    }

    fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let end = time_bytes(just_after(now));
        let mut ids = Vec::new();
        for key in self.trees.schedule_at.range(..end).keys() {
            let key = key.map_err(|e| self.err(e))?;
            ids.push(String::from_utf8_lossy(&key[8..]).into_owned());
        }
        Ok(ids)
    }

    fn next_run(&self, claim_id: &str) -> Result<Option<NextRun>, StoreError> {
        self.trees
            .schedule
            .get(claim_id.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|bytes| decode("schedule", claim_id, &bytes))
            .transpose()
    }

    fn set_next_run(&self, claim_id: &str, next: Option<&NextRun>) -> Result<(), StoreError> {
        let old = self.next_run(claim_id)?;
        let t = &self.trees;
        let result = (&t.schedule, &t.schedule_at).transaction(|(schedule, schedule_at)| {
            if let Some(old) = &old {
                schedule_at.remove(schedule_key(old.at, claim_id))?;
            }
            match next {
                Some(next) => {
                    schedule.insert(claim_id.as_bytes(), encode(next))?;
                    schedule_at.insert(schedule_key(next.at, claim_id), &[])?;
                }
                None => {
                    schedule.remove(claim_id.as_bytes())?;
                }
            }
            Ok::<_, ConflictableTransactionError<()>>(())
        });
        result.map_err(|e| match e {
            TransactionError::Storage(e) => self.err(e),
            TransactionError::Abort(()) => unreachable!("never aborts"),
        })
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .trees
            .meta
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|v| v.to_vec()))
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.trees
            .meta
            .insert(key, value)
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn meta_scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.trees
            .meta
            .scan_prefix(prefix)
            .map(|item| {
                let (key, value) = item.map_err(|e| self.err(e))?;
                Ok((String::from_utf8_lossy(&key).into_owned(), value.to_vec()))
            })
            .collect()
    }

    fn meta_clear(&self, prefix: &str) -> Result<usize, StoreError> {
        let mut removed = 0;
        for key in self.trees.meta.scan_prefix(prefix).keys() {
            self.trees
                .meta
                .remove(key.map_err(|e| self.err(e))?)
                .map_err(|e| self.err(e))?;
            removed += 1;
        }
        Ok(removed)
    }

    fn backup(&self) -> Result<crate::backup::Backup, StoreError> {
        crate::backup::dump(&self.db).map_err(|e| StoreError::Backend {
            location: self.location(),
            source: e.into(),
        })
    }

    fn restore(&self, backup: &crate::backup::Backup) -> Result<usize, StoreError> {
        // Marked on disk before the first tree is cleared, unmarked once all is flushed:
        // a restore killed half-way left a database that opened as if whole (half the
        // claims, no history) until someone noticed.
        let marker = self.path.join(RESTORE_MARKER);
        let io = |e: std::io::Error| StoreError::Backend {
            location: self.location(),
            source: Box::new(e),
        };
        std::fs::File::create(&marker)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        sync_dir(&self.path).map_err(io)?;
        let written =
            crate::backup::restore(&self.db, backup).map_err(|e| StoreError::Backend {
                location: self.location(),
                source: e.into(),
            })?;
        let floor = self.max_id()? + 1;
        self.id_floor
            .store(floor, std::sync::atomic::Ordering::SeqCst);
        self.trees
            .meta
            .insert(ID_FLOOR_KEY, &floor.to_be_bytes())
            .map_err(|e| self.err(e))?;
        // A backup from PostgreSQL has no sled indexes (nor their version): build them now.
        self.ensure_indexes()?;
        self.rechecks
            .replace(Rechecks::load(&self.trees.rechecks, &self.location())?);
        self.flush()?;
        std::fs::remove_file(&marker).map_err(io)?;
        sync_dir(&self.path).map_err(io)?;
        Ok(written)
    }
}
