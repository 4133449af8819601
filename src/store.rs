//! The sled database: claims, the append-only verdict history of each claim, change events,
//! cached source metadata (the country list), and the raw trees the queue keeps its jobs and
//! schedules in. Opening maps sled's lock error to a message that says what to do; every
//! write the user is told about is flushed first.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sled::transaction::{abort, ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::claim::country::CountryInfo;
use crate::claim::Claim;
use crate::verify::{Grade, Verdict};

/// A storage problem, with the path and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database.
    #[error("the database at {0} is in use by another claimcheck process (a running `claimcheck daemon`?); stop it, or pass --db for another database")]
    Locked(PathBuf),
    /// sled failed.
    #[error("database error at {path}: {source}")]
    Sled {
        /// Database path.
        path: PathBuf,
        /// The sled error.
        source: sled::Error,
    },
    /// A stored record could not be decoded.
    #[error("corrupt record in {tree} for key {key:?}: {detail}")]
    Corrupt {
        /// Tree name.
        tree: &'static str,
        /// Key.
        key: String,
        /// Decoder message.
        detail: String,
    },
}

/// One entry of a claim's verdict history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// The claim.
    pub claim_id: String,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// The verdict.
    pub verdict: Verdict,
    /// What changed since the previous check, if anything (grade, value, vintage).
    pub change: Option<String>,
}

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

/// The open database.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    claims: sled::Tree,
    verdicts: sled::Tree,
    meta: sled::Tree,
    changes: sled::Tree,
    jobs: sled::Tree,
    pending: sled::Tree,
    schedule: sled::Tree,
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

/// Rewrites a stored job: sees its current bytes, returns the new ones or `None` to abort.
pub type JobUpdate<'a> = &'a dyn Fn(Option<&[u8]>) -> Option<Vec<u8>>;

/// A job state transition to commit together with a verdict: `update` sees the job's
/// current bytes and returns the new ones, or `None` to abort (the job is no longer ours).
pub struct JobTransition<'a> {
    /// The job's key in the jobs tree.
    pub key: [u8; 8],
    /// Checks and rewrites the job.
    pub update: JobUpdate<'a>,
}

const COUNTRIES_KEY: &str = "worldbank/countries";

/// The cached country list with its fetch time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedCountries {
    /// When fetched.
    pub fetched_at: DateTime<Utc>,
    /// The list.
    pub countries: Vec<CountryInfo>,
}

impl Store {
    /// Opens (creating if needed) the database directory at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let sled_err = |source| StoreError::Sled {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| sled_err(sled::Error::Io(e)))?;
        }
        let db = sled::Config::new().path(path).open().map_err(|e| match e {
            sled::Error::Io(ref io) if is_lock_error(io) => StoreError::Locked(path.to_path_buf()),
            other => sled_err(other),
        })?;
        let tree = |name: &str| db.open_tree(name).map_err(sled_err);
        Ok(Self {
            path: path.to_path_buf(),
            claims: tree("claims")?,
            verdicts: tree("verdicts")?,
            meta: tree("meta")?,
            changes: tree("changes")?,
            jobs: tree("jobs")?,
            pending: tree("pending")?,
            schedule: tree("schedule")?,
            db,
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sled database itself, for whole-database backup and restore ([`crate::backup`]).
    pub fn sled_db(&self) -> &sled::Db {
        &self.db
    }

    fn err(&self, source: sled::Error) -> StoreError {
        StoreError::Sled {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes everything to disk; call before telling anyone a write is done.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await.map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Inserts or replaces a claim by id.
    pub fn put_claim(&self, claim: &Claim) -> Result<Upsert, StoreError> {
        let bytes = encode(claim);
        let previous = self
            .claims
            .insert(claim.id.as_bytes(), bytes.clone())
            .map_err(|e| self.err(e))?;
        Ok(match previous {
            None => Upsert::Added,
            Some(old) if old.as_ref() == bytes.as_slice() => Upsert::Unchanged,
            Some(_) => Upsert::Updated,
        })
    }

    /// One claim by id.
    pub fn claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        self.claims
            .get(id.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|bytes| decode("claims", id, &bytes))
            .transpose()
    }

    /// Every claim, ordered by id.
    pub fn claims(&self) -> Result<Vec<Claim>, StoreError> {
        self.claims
            .iter()
            .map(|item| {
                let (key, bytes) = item.map_err(|e| self.err(e))?;
                decode("claims", &String::from_utf8_lossy(&key), &bytes)
            })
            .collect()
    }

    /// Removes a claim and its history; false when there was no such claim.
    pub fn remove_claim(&self, id: &str) -> Result<bool, StoreError> {
        let existed = self
            .claims
            .remove(id.as_bytes())
            .map_err(|e| self.err(e))?
            .is_some();
        for key in self.verdicts.scan_prefix(history_prefix(id)).keys() {
            self.verdicts
                .remove(key.map_err(|e| self.err(e))?)
                .map_err(|e| self.err(e))?;
        }
        Ok(existed)
    }

    /// Appends a verdict to a claim's history, noting what changed since the last one (and
    /// recording a [`ChangeEvent`] when something did).
    pub fn append_verdict(
        &self,
        claim_id: &str,
        verdict: Verdict,
        checked_at: DateTime<Utc>,
    ) -> Result<VerdictRecord, StoreError> {
        let record = self.append_verdict_with(claim_id, verdict, checked_at, None)?;
        Ok(record.expect("an unguarded append always commits"))
    }

    /// Like [`append_verdict`](Self::append_verdict), and in the same transaction applies a
    /// job transition and releases the claim's pending-job slot. Returns `None`, writing
    /// nothing, when the transition refuses (the job is no longer held by the caller).
    pub fn append_verdict_with(
        &self,
        claim_id: &str,
        verdict: Verdict,
        checked_at: DateTime<Utc>,
        job: Option<JobTransition<'_>>,
    ) -> Result<Option<VerdictRecord>, StoreError> {
        let previous = self.latest_verdict(claim_id)?;
        let record = VerdictRecord {
            claim_id: claim_id.to_string(),
            checked_at,
            change: previous
                .as_ref()
                .and_then(|p| describe_change(&p.verdict, &verdict)),
            verdict,
        };
        let bytes = encode(&record);
        let result = (&self.verdicts, &self.changes, &self.jobs, &self.pending).transaction(
            |(verdicts, changes, jobs, pending)| {
                if let Some(job) = &job {
                    let current = jobs.get(job.key)?;
                    let Some(updated) = (job.update)(current.as_deref()) else {
                        return abort(());
                    };
                    jobs.insert(&job.key, updated)?;
                    if pending.get(claim_id)?.as_deref() == Some(&job.key[..]) {
                        pending.remove(claim_id)?;
                    }
                }
                let seq = verdicts.generate_id()?;
                let mut key = history_prefix(claim_id);
                key.extend_from_slice(&seq.to_be_bytes());
                verdicts.insert(key, bytes.clone())?;
                if let (Some(change), Some(prev)) = (&record.change, &previous) {
                    let event = ChangeEvent {
                        seq,
                        claim_id: claim_id.to_string(),
                        at: checked_at,
                        change: change.clone(),
                        grade_from: prev.verdict.grade,
                        grade_to: record.verdict.grade,
                        vintage_from: prev.verdict.evidence.vintage.clone(),
                        vintage_to: record.verdict.evidence.vintage.clone(),
                    };
                    changes.insert(&seq.to_be_bytes(), encode(&event))?;
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            },
        );
        match result {
            Ok(()) => Ok(Some(record)),
            Err(TransactionError::Abort(())) => Ok(None),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    /// Change events at or after `since`, oldest first.
    pub fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>, StoreError> {
        let mut events = Vec::new();
        for item in self.changes.iter() {
            let (key, bytes) = item.map_err(|e| self.err(e))?;
            let event: ChangeEvent = decode("changes", &format!("{key:?}"), &bytes)?;
            if since.is_none_or(|s| event.at >= s) {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// The raw trees the queue keeps jobs in: (jobs, pending-by-claim, schedule).
    pub(crate) fn queue_trees(&self) -> (&sled::Tree, &sled::Tree, &sled::Tree) {
        (&self.jobs, &self.pending, &self.schedule)
    }

    /// Generates a unique, increasing id.
    pub(crate) fn generate_id(&self) -> Result<u64, StoreError> {
        self.db.generate_id().map_err(|e| self.err(e))
    }

    /// Maps a sled error to a [`StoreError`] naming this database.
    pub(crate) fn sled_error(&self, source: sled::Error) -> StoreError {
        self.err(source)
    }

    /// A claim's verdict history, newest first.
    pub fn history(&self, claim_id: &str) -> Result<Vec<VerdictRecord>, StoreError> {
        self.verdicts
            .scan_prefix(history_prefix(claim_id))
            .rev()
            .map(|item| {
                let (_, bytes) = item.map_err(|e| self.err(e))?;
                decode("verdicts", claim_id, &bytes)
            })
            .collect()
    }

    /// The newest verdict of a claim.
    pub fn latest_verdict(&self, claim_id: &str) -> Result<Option<VerdictRecord>, StoreError> {
        self.verdicts
            .scan_prefix(history_prefix(claim_id))
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?
            .map(|(_, bytes)| decode("verdicts", claim_id, &bytes))
            .transpose()
    }

    /// The cached country list, if any.
    pub fn countries(&self) -> Result<Option<CachedCountries>, StoreError> {
        self.meta_get(COUNTRIES_KEY)
    }

    /// Caches the country list.
    pub fn put_countries(&self, cached: &CachedCountries) -> Result<(), StoreError> {
        self.meta
            .insert(COUNTRIES_KEY, encode(cached))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Stores a small value under `key` in the metadata tree.
    pub fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.meta
            .insert(key, encode(value))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Reads a value stored with [`put_meta`](Self::put_meta).
    pub fn meta_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.meta
            .get(key)
            .map_err(|e| self.err(e))?
            .map(|bytes| decode("meta", key, &bytes))
            .transpose()
    }
}

fn is_lock_error(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
        || error.to_string().contains("could not acquire lock")
}

fn history_prefix(claim_id: &str) -> Vec<u8> {
    let mut key = claim_id.as_bytes().to_vec();
    key.push(0);
    key
}

/// JSON bytes of a stored record.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("stored types serialize to JSON")
}

pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree,
        key: key.to_string(),
        detail: e.to_string(),
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
            parts.push(format!("value revised {a} → {b}"));
        }
    }
    if old.grade == Grade::Unverifiable && new.grade != Grade::Unverifiable && parts.is_empty() {
        parts.push("data became available".into());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Evidence, Grade, Verdict};

    #[test]
    fn unbounded_bands_and_infinite_deviations_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let verdict = Verdict {
            grade: Grade::True,
            explanation: "holds".into(),
            evidence: Evidence {
                band: Some((Some(50.0), None)),
                deviation: None,
                ..Evidence::default()
            },
        };
        store
            .append_verdict("c", verdict.clone(), Utc::now())
            .unwrap();
        assert_eq!(store.history("c").unwrap()[0].verdict, verdict);
    }
}
