//! Re-checks settled together, stored as one record per settling transaction (the sled
//! backend's layout; PostgreSQL keeps a row per re-check).
//!
//! A `verify` that finds 10,000 claims unchanged wrote 10,000 "checked again" history
//! entries: 10,000 sled inserts in one transaction, 100–130 ms of a 150–200 ms re-check,
//! while sled held every reader off. Now each claim gets a small number the first time it
//! is settled (tree `numbers`), and the transaction writes one [`RecheckRun`]: when it ran
//! and the set of claim numbers it settled, as a roaring bitmap (at most 8 KB for each
//! block of 65,536 numbers, so a run of 10,000 claims is about 11 KB as stored: about a byte
//! per claim, where an entry each took 79). A claim's history is its own entries merged
//! with the runs whose set holds its number, each repeating the full record before it, so
//! `show` still lists every check.
//!
//! The runs are few and small, so [`Rechecks`] keeps them in memory, loaded when the
//! database opens and added to after each settling transaction commits.

use std::sync::RwLock;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use super::{decode, StoreError};

/// The claims one transaction settled as unchanged, and when (stored under its sequence
/// number, from the same generator as every history entry, so it sorts among them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecheckRun {
    /// When the requests were settled: each claim's "checked again" time.
    pub at: DateTime<Utc>,
    /// The numbers of the claims settled (see the module docs).
    #[serde(with = "bitmap_base64")]
    pub numbers: RoaringBitmap,
}

/// A bitmap as the base64 of its portable serialisation (the format the C, Java and Go
/// implementations read too), so a backup line stays one JSON string.
mod bitmap_base64 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(bits: &RoaringBitmap, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(bits.serialized_size());
        bits.serialize_into(&mut bytes)
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<RoaringBitmap, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)?;
        RoaringBitmap::deserialize_from(bytes.as_slice()).map_err(serde::de::Error::custom)
    }
}

/// One stored run, by sequence number.
#[derive(Debug)]
struct Indexed {
    seq: u64,
    at: DateTime<Utc>,
    numbers: RoaringBitmap,
}

/// Every [`RecheckRun`] of the database, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Rechecks {
    runs: RwLock<Vec<Indexed>>,
}

/// A run that re-checked a claim: its sequence number and time.
pub(crate) type Recheck = (u64, DateTime<Utc>);

impl Rechecks {
    /// Reads every run in `tree` (key: sequence number, big-endian).
    pub(crate) fn load(tree: &sled::Tree, location: &str) -> Result<Self, StoreError> {
        let mut runs = Vec::new();
        for item in tree.iter() {
            let (key, bytes) = item.map_err(|e| StoreError::Backend {
                location: location.to_string(),
                source: Box::new(e),
            })?;
            let seq = seq_of(&key).ok_or_else(|| StoreError::Backend {
                location: location.to_string(),
                source: format!("tree rechecks: key {key:?} is not a sequence number").into(),
            })?;
            let run: RecheckRun = decode("rechecks", &seq.to_string(), &bytes)?;
            runs.push(Indexed {
                seq,
                at: run.at,
                numbers: run.numbers,
            });
        }
        Ok(Self {
            runs: RwLock::new(runs),
        })
    }

    /// Replaces what it holds with `other`'s (after a restore).
    pub(crate) fn replace(&self, other: Rechecks) {
        let runs = other.runs.into_inner().unwrap_or_else(|e| e.into_inner());
        *self.write() = runs;
    }

    /// Adds a run once its transaction has committed.
    pub(crate) fn add(&self, seq: u64, run: RecheckRun) {
        let mut runs = self.write();
        // Two settles commit in either order; the list stays sorted by sequence number.
        let at = runs.partition_point(|r| r.seq < seq);
        runs.insert(
            at,
            Indexed {
                seq,
                at: run.at,
                numbers: run.numbers,
            },
        );
    }

    /// The runs that re-checked claim `number` after sequence number `after`, oldest first.
    pub(crate) fn of(&self, number: u32, after: u64) -> Vec<Recheck> {
        let runs = self.read();
        let start = runs.partition_point(|r| r.seq <= after);
        runs[start..]
            .iter()
            .filter(|r| r.numbers.contains(number))
            .map(|r| (r.seq, r.at))
            .collect()
    }

    /// The newest run that re-checked claim `number` after sequence number `after`.
    pub(crate) fn latest(&self, number: u32, after: u64) -> Option<Recheck> {
        let runs = self.read();
        let start = runs.partition_point(|r| r.seq <= after);
        runs[start..]
            .iter()
            .rev()
            .find(|r| r.numbers.contains(number))
            .map(|r| (r.seq, r.at))
    }

    // A panic while the lock was held cannot leave the list half-changed (each change is
    // one `insert` or one assignment), so a poisoned lock is used as it is.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Indexed>> {
        self.runs.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Indexed>> {
        self.runs.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A run's key as its sequence number.
pub(crate) fn seq_of(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

/// A claim number as stored in tree `numbers` (claim id → number, big-endian).
pub(crate) fn number_of(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(at: i64, numbers: &[u32]) -> RecheckRun {
        RecheckRun {
            at: DateTime::from_timestamp(at, 0).unwrap(),
            numbers: numbers.iter().copied().collect(),
        }
    }

    #[test]
    fn a_run_reads_back_as_written() {
        let written = run(1_700_000_000, &[0, 1, 2, 70_000, 4_000_000]);
        let json = serde_json::to_vec(&written).unwrap();
        let read: RecheckRun = serde_json::from_slice(&json).unwrap();
        assert_eq!(read, written);
        // Anything but base64 of a bitmap is refused, not read as an empty set.
        let bad = br#"{"at":"2024-01-01T00:00:00Z","numbers":"not a bitmap"}"#;
        assert!(serde_json::from_slice::<RecheckRun>(bad).is_err());
    }

    #[test]
    fn ten_thousand_claims_take_about_a_byte_each() {
        let numbers: Vec<u32> = (0..10_000).collect();
        let json = serde_json::to_vec(&run(0, &numbers)).unwrap();
        assert!(json.len() < 12_000, "{} bytes", json.len());
    }

    #[test]
    fn finds_the_runs_that_hold_a_number_after_a_point() {
        let index = Rechecks::default();
        // Added out of order, as two settles may commit.
        index.add(30, run(3, &[1, 2]));
        index.add(10, run(1, &[1]));
        index.add(20, run(2, &[2]));
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        assert_eq!(index.of(1, 0), vec![(10, at(1)), (30, at(3))]);
        assert_eq!(index.of(1, 10), vec![(30, at(3))]);
        assert_eq!(index.of(2, 0), vec![(20, at(2)), (30, at(3))]);
        assert_eq!(index.latest(2, 0), Some((30, at(3))));
        assert_eq!(index.latest(1, 30), None);
        assert_eq!(index.of(3, 0), vec![]);
    }
}
