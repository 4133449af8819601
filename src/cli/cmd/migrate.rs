//! `claimcheck migrate` (bring a PostgreSQL database's schema up to date) and `claimcheck
//! migrate-store --from DIR --to URL` (copy a sled database into PostgreSQL: a consistent
//! backup of the sled side restored into the PostgreSQL tables, then both sides counted
//! record by record, kind by kind).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Result};

use crate::backup::Backup;
use crate::cli::{InputError, EXIT_OK, EXIT_RUNTIME};
use crate::queue::worker::blocking;
use crate::store::postgres::{is_postgres, redact, PgStore};
use crate::store::sled::SledStore;
use crate::store::{self, Storage};

/// The kinds of record the copy must carry over, as backup tree names.
const COPIED: [&str; 7] = [
    "claims", "verdicts", "edits", "changes", "jobs", "schedule", "meta",
];

/// Applies pending migrations to the PostgreSQL database `db`.
pub async fn migrate(db: &Path, out: &mut impl Write) -> Result<u8> {
    let Some(url) = db
        .to_str()
        .filter(|_| store::is_url(db))
        .map(str::to_string)
    else {
        writeln!(
            out,
            "{}: a sled database needs no migrations (its indexes are rebuilt when it is opened)",
            db.display()
        )?;
        return Ok(EXIT_OK);
    };
    let (applied, version) = blocking(move || -> Result<_, store::StoreError> {
        let store = PgStore::open(&url)?;
        Ok((store.applied().to_vec(), store.schema_version()?))
    })
    .await?;
    let location = redact(db.to_str().unwrap_or_default());
    if applied.is_empty() {
        writeln!(out, "{location}: schema at version {version}, up to date")?;
    } else {
        let list: Vec<String> = applied.iter().map(i32::to_string).collect();
        writeln!(
            out,
            "{location}: applied migration(s) {}; schema at version {version}",
            list.join(", ")
        )?;
    }
    Ok(EXIT_OK)
}

/// Copies the sled database at `from` into the empty PostgreSQL database `to`.
pub async fn migrate_store(from: &Path, to: &str, out: &mut impl Write) -> Result<u8> {
    check_ends(from, to)?;
    let (from, to) = (from.to_path_buf(), to.to_string());
    let counts = blocking(move || copy(&from, &to)).await?;
    let mut mismatched = false;
    writeln!(out, "{:<10} {:>9} {:>9}", "records", "sled", "postgres")?;
    for kind in COPIED {
        let (source, target) = counts.get(kind).copied().unwrap_or((0, 0));
        mismatched |= source != target;
        let mark = if source == target { "ok" } else { "MISSING" };
        writeln!(out, "{kind:<10} {source:>9} {target:>9}  {mark}")?;
    }
    if mismatched {
        writeln!(
            out,
            "the copy is incomplete: drop the target schema and run migrate-store again"
        )?;
        return Ok(EXIT_RUNTIME);
    }
    writeln!(
        out,
        "copied; point --db (or CLAIMCHECK_DB) at the PostgreSQL URL"
    )?;
    Ok(EXIT_OK)
}

fn check_ends(from: &Path, to: &str) -> Result<()> {
    if !is_postgres(to) {
        return Err(InputError::Message(format!(
            "--to must be a postgres:// URL, got {}",
            redact(to)
        ))
        .into());
    }
    if store::is_url(from) || !from.join("conf").exists() {
        return Err(InputError::Message(format!(
            "--from must be a sled database directory; {} is not one",
            store::display_location(from)
        ))
        .into());
    }
    Ok(())
}

/// Per kind of record: (in the sled database, in PostgreSQL after the copy).
type Counts = BTreeMap<&'static str, (usize, usize)>;

fn copy(from: &Path, to: &str) -> Result<Counts> {
    let source = SledStore::open(from)?;
    let target = PgStore::open(to)?;
    let (claims, jobs) = (target.claims()?.len(), target.jobs(None)?.len());
    if claims + jobs > 0 {
        return Err(InputError::Message(format!(
            "{} already holds {claims} claims and {jobs} jobs: copy into an empty database, or a new schema (?schema=NAME)",
            target.location()
        ))
        .into());
    }
    let backup = source.backup()?;
    target.restore(&backup)?;
    let copied = target.backup()?;
    let (before, after) = (count(&backup), count(&copied));
    if before.is_empty() && !after.is_empty() {
        return Err(anyhow!("the sled backup was empty but the target is not"));
    }
    Ok(COPIED
        .into_iter()
        .map(|kind| {
            let n = |c: &BTreeMap<String, usize>| c.get(kind).copied().unwrap_or(0);
            (kind, (n(&before), n(&after)))
        })
        .collect())
}

/// Records per kind, leaving out the sled backend's own bookkeeping. The jobs sled keeps
/// together as one settled run count one by one, as PostgreSQL stores them, and so do the
/// re-checks of a run of them (one history row per claim still there).
fn count(backup: &Backup) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let numbered: std::collections::HashSet<u32> = backup
        .entries
        .iter()
        .filter(|e| e.tree == "numbers")
        .filter_map(|e| crate::backup::unhex(&e.value).ok())
        .filter_map(|v| store::rechecks::number_of(&v))
        .collect();
    for entry in &backup.entries {
        if entry.tree == "rechecks" {
            *counts.entry("verdicts".to_string()).or_default() +=
                rechecked(&entry.value, &numbered);
            continue;
        }
        let sled_own = entry.tree == "meta" && entry.key.starts_with(&hex_prefix("sled/"));
        if sled_own {
            continue;
        }
        if entry.tree == "settled" {
            *counts.entry("jobs".to_string()).or_default() += settled_jobs(&entry.value);
        } else {
            *counts.entry(entry.tree.clone()).or_default() += 1;
        }
    }
    counts
}

/// The jobs of a settled run in a backup entry (hex JSON); 0 when it does not read (the
/// restore has refused such an entry already).
fn settled_jobs(value: &str) -> usize {
    crate::backup::unhex(value)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<store::SettledRun>(&bytes).ok())
        .map_or(0, |run| run.claims.iter().flatten().count())
}

/// The claims of a run of re-checks in a backup entry (hex JSON) that are still numbered.
fn rechecked(value: &str, numbered: &std::collections::HashSet<u32>) -> usize {
    crate::backup::unhex(value)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<store::rechecks::RecheckRun>(&bytes).ok())
        .map_or(0, |run| {
            run.numbers.iter().filter(|n| numbered.contains(n)).count()
        })
}

fn hex_prefix(text: &str) -> String {
    crate::backup::hex(text.as_bytes())
}
