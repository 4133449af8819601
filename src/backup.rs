//! Backup and restore of the whole database (claims, verdict history, change events, jobs,
//! schedules, cached metadata): every sled tree's entries read in one multi-tree transaction,
//! so a verdict and its job's state are never split, even while the daemon works. Written
//! as JSON lines: a header, then one `{tree, key, value}` per entry (hex bytes).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::TransactionError;
use sled::Transactional;

/// The first line of a backup file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `claimcheck-backup`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// When the backup was taken.
    pub created_at: DateTime<Utc>,
    /// Entries that follow.
    pub entries: usize,
    /// SHA-256 of the entry lines ([`entries_digest`]): a backup changed or damaged after it
    /// was written is refused, even where every line still reads. Absent in backups written
    /// before it was added, which restore as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One key/value of one tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Tree name.
    pub tree: String,
    /// Key, hex.
    pub key: String,
    /// Value, hex.
    pub value: String,
}

/// A whole database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    /// The header.
    pub header: Header,
    /// The entries, tree by tree.
    pub entries: Vec<Entry>,
}

const FORMAT: &str = "claimcheck-backup";

impl Backup {
    /// A backup of `entries` taken now, with its header (count and digest).
    pub fn of(entries: Vec<Entry>) -> Self {
        let header = Header {
            format: FORMAT.into(),
            version: 1,
            created_at: Utc::now(),
            entries: entries.len(),
            sha256: Some(entries_digest(&entries)),
        };
        Self { header, entries }
    }
}

/// SHA-256, in lowercase hex, of the entries as their lines are written (each entry's JSON
/// and a newline).
pub fn entries_digest(entries: &[Entry]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for e in entries {
        hasher.update(entry_line(e));
    }
    hex(&hasher.finalize())
}

/// An entry as its line in the file: its JSON and a newline (what [`entries_digest`] hashes
/// is what [`Backup::to_json_lines`] writes).
fn entry_line(entry: &Entry) -> String {
    serde_json::to_string(entry).unwrap_or_default() + "\n"
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 {
        return Err(format!("odd hex length in {text:?}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| format!("{text:?}: {e}")))
        .collect()
}

fn trees(db: &sled::Db) -> sled::Result<Vec<(String, sled::Tree)>> {
    db.tree_names()
        .into_iter()
        .filter(|n| n.as_ref() != b"__sled__default")
        .map(|n| Ok((String::from_utf8_lossy(&n).into_owned(), db.open_tree(&n)?)))
        .collect()
}

fn keys(trees: &[(String, sled::Tree)]) -> sled::Result<Vec<Vec<Vec<u8>>>> {
    trees
        .iter()
        .map(|(_, t)| t.iter().keys().map(|k| k.map(|k| k.to_vec())).collect())
        .collect()
}

/// Reads every tree consistently: the key sets are listed, every value is read in one
/// transaction over all trees, and the listing is repeated; when a write changed the key
/// sets in between, it starts again (at most 20 times).
pub fn dump(db: &sled::Db) -> anyhow::Result<Backup> {
    let trees = trees(db)?;
    let handles: Vec<sled::Tree> = trees.iter().map(|(_, t)| t.clone()).collect();
    for _ in 0..20 {
        let before = keys(&trees)?;
        let read: Result<Vec<Entry>, TransactionError<()>> = handles.as_slice().transaction(|tx| {
            let mut out = Vec::new();
            for (i, (name, _)) in trees.iter().enumerate() {
                for key in &before[i] {
                    if let Some(value) = tx[i].get(key)? {
                        out.push(Entry {
                            tree: name.clone(),
                            key: hex(key),
                            value: hex(&value),
                        });
                    }
                }
            }
            Ok(out)
        });
        let entries = read.map_err(|e| anyhow::anyhow!("backup transaction failed: {e:?}"))?;
        if keys(&trees)? == before {
            return Ok(Backup::of(entries));
        }
    }
    anyhow::bail!("the database kept changing during the backup; try again when it is quieter")
}

impl Backup {
    /// As JSON lines: the header, then one entry per line.
    pub fn to_json_lines(&self) -> String {
        let mut out = serde_json::to_string(&self.header).unwrap_or_default() + "\n";
        for e in &self.entries {
            out.push_str(&entry_line(e));
        }
        out
    }

    /// Parses JSON lines written by [`to_json_lines`](Self::to_json_lines).
    pub fn from_json_lines(text: &str) -> Result<Self, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let first = lines.next().ok_or("the file is empty")?;
        let header: Header = serde_json::from_str(first)
            .map_err(|e| format!("line 1 is not a claimcheck backup header: {e}"))?;
        if header.format != FORMAT || header.version != 1 {
            return Err(format!(
                "not a claimcheck backup (format {:?} version {})",
                header.format, header.version
            ));
        }
        let entries = lines
            .enumerate()
            .map(|(i, l)| {
                let entry: Entry =
                    serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 2))?;
                check_entry(&entry).map_err(|e| format!("line {}: {e}", i + 2))?;
                Ok(entry)
            })
            .collect::<Result<Vec<Entry>, String>>()?;
        if entries.len() != header.entries {
            return Err(format!(
                "the header announces {} entries, the file has {}: it is truncated",
                header.entries,
                entries.len()
            ));
        }
        if let Some(expected) = &header.sha256 {
            if *expected != entries_digest(&entries) {
                return Err(
                    "the entries do not match the checksum in the header: the file was changed or damaged after it was written; restore from another backup".into(),
                );
            }
        }
        Ok(Self { header, entries })
    }
}

/// The trees a claimcheck database has; a backup naming another is not ours.
const TREES: &[&str] = &[
    "claims",
    "verdicts",
    "edits",
    "changes",
    "jobs",
    "settled",
    "pending",
    "due",
    "leases",
    "schedule",
    "schedule_at",
    "meta",
    "judged",
    "numbers",
    "rechecks",
];

/// Checks that an entry is one claimcheck could have written: a known tree, hex that
/// decodes, and for the trees of records a record of that kind. A restore of a bad record
/// made every later read of its tree fail (`list`, `status`, `verify` alike); it is refused
/// here, before anything is replaced.
fn check_entry(entry: &Entry) -> Result<(), String> {
    if !TREES.contains(&entry.tree.as_str()) {
        return Err(format!(
            "unknown tree {:?} (a claimcheck backup holds {})",
            entry.tree,
            TREES.join(", ")
        ));
    }
    let key = unhex(&entry.key)?;
    let value = unhex(&entry.value)?;
    fn record<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(), String> {
        serde_json::from_slice::<T>(bytes)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    let decoded = match entry.tree.as_str() {
        "claims" => record::<crate::claim::Claim>(&value),
        "verdicts" => record::<crate::store::StoredCheck>(&value),
        "edits" => record::<crate::store::EditRecord>(&value),
        "changes" => record::<crate::store::ChangeEvent>(&value),
        "jobs" => record::<crate::queue::Job>(&value),
        "settled" => record::<crate::store::SettledRun>(&value),
        "schedule" => record::<crate::store::NextRun>(&value),
        "judged" => record::<crate::inputs::Judged>(&value),
        "rechecks" => record::<crate::store::rechecks::RecheckRun>(&value),
        "numbers" if crate::store::rechecks::number_of(&value).is_none() => {
            Err("a claim number is 4 bytes".into())
        }
        _ => Ok(()),
    };
    decoded.map_err(|e| {
        format!(
            "tree {:?}, key {:?}: not a valid record ({e})",
            entry.tree,
            String::from_utf8_lossy(&key)
        )
    })
}

type KeyValue = (Vec<u8>, Vec<u8>);

/// Replaces the trees named in the backup with its entries; returns entries written.
pub fn restore(db: &sled::Db, backup: &Backup) -> anyhow::Result<usize> {
    let mut by_tree: BTreeMap<&str, Vec<KeyValue>> = BTreeMap::new();
    for e in &backup.entries {
        let key = unhex(&e.key).map_err(anyhow::Error::msg)?;
        let value = unhex(&e.value).map_err(anyhow::Error::msg)?;
        by_tree
            .entry(e.tree.as_str())
            .or_default()
            .push((key, value));
    }
    for (_, tree) in trees(db)? {
        tree.clear()?;
    }
    for (name, entries) in by_tree {
        let tree = db.open_tree(name)?;
        let mut batch = sled::Batch::default();
        for (k, v) in entries {
            batch.insert(k, v);
        }
        tree.apply_batch(batch)?;
    }
    db.flush()?;
    Ok(backup.entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("a")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert(b"x", b"\x00\xffvalue")
            .unwrap();
        let backup = dump(&db).unwrap();
        let text = backup.to_json_lines();
        let parsed = Backup::from_json_lines(&text).unwrap();
        assert_eq!(parsed, backup);
        let other = sled::open(dir.path().join("b")).unwrap();
        other
            .open_tree("meta")
            .unwrap()
            .insert(b"stale", b"1")
            .unwrap();
        assert_eq!(restore(&other, &parsed).unwrap(), 1);
        let meta = other.open_tree("meta").unwrap();
        assert_eq!(meta.get(b"x").unwrap().unwrap().as_ref(), b"\x00\xffvalue");
        assert!(meta.get(b"stale").unwrap().is_none(), "restore replaces");
        assert!(Backup::from_json_lines(&text.lines().take(1).collect::<String>()).is_err());
        // The same bytes as a claim are no claim: refused when read back.
        let as_claim = text.replace("\"tree\":\"meta\"", "\"tree\":\"claims\"");
        let err = Backup::from_json_lines(&as_claim).unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("not a valid record"),
            "{err}"
        );
    }

    /// A value changed after the backup was written still reads as a record, so only the
    /// checksum can tell; a backup written before there was one restores as before.
    #[test]
    fn a_changed_backup_is_refused_by_its_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("a")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert(b"x", b"value 1").unwrap();
        meta.insert(b"y", b"value 2").unwrap();
        let text = dump(&db).unwrap().to_json_lines();
        assert!(
            text.lines().next().unwrap().contains("\"sha256\":\""),
            "{text}"
        );
        // "value 1" -> "value 3": hex 31 -> 33.
        let changed = text.replacen(&hex(b"value 1"), &hex(b"value 3"), 1);
        assert_ne!(changed, text);
        let err = Backup::from_json_lines(&changed).unwrap_err();
        assert!(err.contains("checksum"), "{err}");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut header: Header = serde_json::from_str(&lines[0]).unwrap();
        header.sha256 = None;
        lines[0] = serde_json::to_string(&header).unwrap();
        let old = Backup::from_json_lines(&lines.join("\n")).unwrap();
        assert_eq!(old.entries.len(), 2);
    }
}
