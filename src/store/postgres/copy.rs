//! Backup and restore for PostgreSQL in the sled backend's backup format (tree, key, value),
//! so a backup of either backend restores into the other's tables and `migrate-store` is a
//! backup of the sled database restored here. Keys are the sled keys: claim ids, job ids
//! and sequence numbers as 8 big-endian bytes, history keys `claim id, 0, seq`.

use chrono::{DateTime, Utc};

use super::bridge::{Conn, Param};
use super::{get, sql_id, text, TxError, TxResult};
use crate::backup::{hex, unhex, Backup, Entry};
use crate::queue::Job;
use crate::store::rechecks::RecheckRun;
use crate::store::{decode, Again, ChangeEvent, NextRun, StoreError, StoredCheck};

/// Rows per multi-row insert.
const CHUNK: usize = 2000;

/// Every table, as backup entries.
pub(super) fn dump(conn: &Conn<'_>) -> TxResult<Backup> {
    let mut entries = Vec::new();
    let mut add = |tree: &str, key: Vec<u8>, value: Vec<u8>| {
        entries.push(Entry {
            tree: tree.into(),
            key: hex(&key),
            value: hex(&value),
        })
    };
    for row in conn.query(
        "SELECT id, data FROM claims ORDER BY id COLLATE \"C\"",
        vec![],
    )? {
        add(
            "claims",
            get::<&str>(&row, 0)?.into(),
            get::<&str>(&row, 1)?.into(),
        );
    }
    for tree in ["verdicts", "edits"] {
        let sql =
            format!("SELECT claim_id, seq, data FROM {tree} ORDER BY claim_id COLLATE \"C\", seq");
        for row in conn.query(&sql, vec![])? {
            let mut key: Vec<u8> = get::<&str>(&row, 0)?.into();
            key.push(0);
            key.extend_from_slice(&get::<i64>(&row, 1)?.to_be_bytes());
            add(tree, key, get::<&str>(&row, 2)?.into());
        }
    }
    for (tree, sql) in [
        ("changes", "SELECT seq, data FROM changes ORDER BY seq"),
        ("jobs", "SELECT id, data FROM jobs ORDER BY id"),
    ] {
        for row in conn.query(sql, vec![])? {
            let key = get::<i64>(&row, 0)?.to_be_bytes().to_vec();
            add(tree, key, get::<&str>(&row, 1)?.into());
        }
    }
    for row in conn.query(
        "SELECT claim_id, data FROM schedules ORDER BY claim_id COLLATE \"C\"",
        vec![],
    )? {
        add(
            "schedule",
            get::<&str>(&row, 0)?.into(),
            get::<&str>(&row, 1)?.into(),
        );
    }
    for row in conn.query(
        "SELECT key, value FROM meta ORDER BY key COLLATE \"C\"",
        vec![],
    )? {
        add(
            "meta",
            get::<&str>(&row, 0)?.into(),
            get::<Vec<u8>>(&row, 1)?,
        );
    }
    Ok(Backup::of(entries))
}

/// The rows of one table, column by column, ready for `unnest`.
#[derive(Default)]
struct Rows {
    claims: (Vec<String>, Vec<String>),
    verdicts: (Vec<String>, Vec<i64>, Vec<String>),
    edits: (Vec<String>, Vec<i64>, Vec<String>),
    changes: (Vec<i64>, Vec<DateTime<Utc>>, Vec<String>),
    schedules: (Vec<String>, Vec<DateTime<Utc>>, Vec<String>),
    meta: (Vec<String>, Vec<Vec<u8>>),
    jobs: Vec<Job>,
    /// sled's claim numbers and its runs of re-checks settled at once, expanded into a
    /// history row per claim once every entry is read ([`expand_rechecks`]).
    numbers: std::collections::HashMap<u32, String>,
    rechecks: Vec<(i64, RecheckRun)>,
    max_id: i64,
    max_change: i64,
    written: usize,
}

/// Replaces every table's rows with the backup's; the entries written. The sled backend's
/// own trees (its time indexes, its pending slots) are derived data here and skipped.
pub(super) fn load(conn: &Conn<'_>, backup: &Backup) -> TxResult<usize> {
    let mut rows = Rows::default();
    for entry in &backup.entries {
        sort_entry(&mut rows, entry)?;
    }
    expand_rechecks(&mut rows)?;
    // The judged records are derived (they name history rows by number): a restore drops
    // them, and each claim's next `verify` is a full check.
    conn.batch("TRUNCATE claims, verdicts, edits, changes, jobs, schedules, meta, leases, judged")?;
    insert_rows(conn, &rows)?;
    for job in &rows.jobs {
        super::jobs::put_job(conn, job)?;
    }
    // Ids handed out from now on never collide with restored ones.
    conn.query(
        "SELECT setval('ids', $1)",
        vec![Box::new(rows.max_id.max(1))],
    )?;
    conn.query(
        "SELECT setval('change_seq', $1)",
        vec![Box::new(rows.max_change.max(1))],
    )?;
    Ok(rows.written)
}

fn sort_entry(rows: &mut Rows, entry: &Entry) -> TxResult<()> {
    let bad = |reason: String| {
        TxError::Store(StoreError::Backend {
            location: format!("backup entry {}:{}", entry.tree, entry.key),
            source: reason.into(),
        })
    };
    let key = unhex(&entry.key).map_err(bad)?;
    let value = unhex(&entry.value).map_err(bad)?;
    let key_text = String::from_utf8_lossy(&key).into_owned();
    match entry.tree.as_str() {
        "claims" => push2(&mut rows.claims, key_text, text(value)),
        "verdicts" | "edits" => {
            let (claim, seq) = history_key(&key).ok_or_else(|| bad("not a history key".into()))?;
            rows.max_id = rows.max_id.max(seq);
            let table = if entry.tree == "verdicts" {
                &mut rows.verdicts
            } else {
                &mut rows.edits
            };
            table.0.push(claim);
            table.1.push(seq);
            table.2.push(text(value));
        }
        "changes" => {
            let event: ChangeEvent = decode("changes", &entry.key, &value)?;
            let seq = sql_id(event.seq)?;
            rows.max_change = rows.max_change.max(seq);
            rows.max_id = rows.max_id.max(seq);
            rows.changes.0.push(seq);
            rows.changes.1.push(event.at);
            rows.changes.2.push(text(value));
        }
        "jobs" => {
            let job: Job = decode("jobs", &entry.key, &value)?;
            rows.max_id = rows.max_id.max(sql_id(job.id)?);
            rows.jobs.push(job);
        }
        // sled keeps the jobs one transaction settled as one record; here each is a row.
        "settled" => {
            let first: [u8; 8] = key
                .as_slice()
                .try_into()
                .map_err(|_| bad("not a job id".into()))?;
            let first = u64::from_be_bytes(first);
            let run: crate::store::SettledRun = decode("settled", &entry.key, &value)?;
            rows.max_id = rows.max_id.max(sql_id(run.last(first))?);
            rows.jobs.extend(run.jobs(first));
        }
        "schedule" => {
            let next: NextRun = decode("schedule", &key_text, &value)?;
            rows.schedules.0.push(key_text);
            rows.schedules.1.push(next.at);
            rows.schedules.2.push(text(value));
        }
        "numbers" => {
            let number = crate::store::rechecks::number_of(&value)
                .ok_or_else(|| bad("a claim number is 4 bytes".into()))?;
            rows.numbers.insert(number, key_text);
        }
        "rechecks" => {
            let seq = crate::store::rechecks::seq_of(&key)
                .ok_or_else(|| bad("not a sequence number".into()))?;
            let seq = sql_id(seq)?;
            rows.max_id = rows.max_id.max(seq);
            let run: RecheckRun = decode("rechecks", &entry.key, &value)?;
            rows.rechecks.push((seq, run));
        }
        // The sled backend's own bookkeeping does not apply here.
        "meta" if key_text.starts_with("sled/") => return Ok(()),
        "meta" => push2(&mut rows.meta, key_text, value),
        _ => return Ok(()),
    }
    rows.written += 1;
    Ok(())
}

/// Each sled run of re-checks as a "checked again" row per claim it settled, repeating the
/// claim's newest full record before the run (what sled's history shows for it).
fn expand_rechecks(rows: &mut Rows) -> TxResult<()> {
    if rows.rechecks.is_empty() {
        return Ok(());
    }
    let mut fulls: std::collections::HashMap<String, Vec<i64>> = Default::default();
    let (claims, seqs, data) = &rows.verdicts;
    for ((claim, seq), data) in claims.iter().zip(seqs).zip(data) {
        if let StoredCheck::Full(_) = StoredCheck::decode(claim, data.as_bytes())? {
            fulls.entry(claim.clone()).or_default().push(*seq);
        }
    }
    for seqs in fulls.values_mut() {
        seqs.sort_unstable();
    }
    for (seq, run) in std::mem::take(&mut rows.rechecks) {
        for number in &run.numbers {
            // A claim removed after the run: its history went with it.
            let Some(claim) = rows.numbers.get(&number) else {
                continue;
            };
            let before = fulls.get(claim).and_then(|s| {
                let at = s.partition_point(|&full| full < seq);
                at.checked_sub(1).map(|i| s[i])
            });
            // No full record before it: the claim was removed and added again since.
            let Some(same_as) = before else {
                continue;
            };
            let again = StoredCheck::Again(Again {
                checked_at: run.at,
                same_as: same_as as u64,
            });
            rows.verdicts.0.push(claim.clone());
            rows.verdicts.1.push(seq);
            rows.verdicts.2.push(text(crate::store::encode(&again)));
        }
    }
    Ok(())
}

fn push2<A, B>(table: &mut (Vec<A>, Vec<B>), a: A, b: B) {
    table.0.push(a);
    table.1.push(b);
}

/// `claim id, 0, seq` → (claim id, seq).
fn history_key(key: &[u8]) -> Option<(String, i64)> {
    let split = key.len().checked_sub(9)?;
    let (claim, rest) = key.split_at(split);
    let seq: [u8; 8] = rest.get(1..)?.try_into().ok()?;
    let seq = i64::try_from(u64::from_be_bytes(seq)).ok()?;
    Some((String::from_utf8_lossy(claim).into_owned(), seq))
}

fn insert_rows(conn: &Conn<'_>, rows: &Rows) -> TxResult<()> {
    for start in (0..rows.claims.0.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(rows.claims.0.len());
        conn.query(
            "INSERT INTO claims (id, data) SELECT * FROM unnest($1::text[], $2::text[])",
            vec![
                Box::new(rows.claims.0[start..end].to_vec()),
                Box::new(rows.claims.1[start..end].to_vec()),
            ],
        )?;
    }
    for (table, cols) in [("verdicts", &rows.verdicts), ("edits", &rows.edits)] {
        for start in (0..cols.0.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(cols.0.len());
            conn.query(
                &format!(
                    "INSERT INTO {table} (claim_id, seq, data) \
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])"
                ),
                vec![
                    Box::new(cols.0[start..end].to_vec()),
                    Box::new(cols.1[start..end].to_vec()),
                    Box::new(cols.2[start..end].to_vec()),
                ],
            )?;
        }
    }
    insert_timed(conn, "changes (seq, at, data)", "bigint", &rows.changes)?;
    insert_timed(
        conn,
        "schedules (claim_id, at, data)",
        "text",
        &rows.schedules,
    )?;
    for start in (0..rows.meta.0.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(rows.meta.0.len());
        conn.query(
            "INSERT INTO meta (key, value) SELECT * FROM unnest($1::text[], $2::bytea[])",
            vec![
                Box::new(rows.meta.0[start..end].to_vec()),
                Box::new(rows.meta.1[start..end].to_vec()),
            ],
        )?;
    }
    Ok(())
}

/// Inserts (key, at, data) rows into `target` (`table (columns)`), keys of SQL type `key_type`.
fn insert_timed<K: tokio_postgres::types::ToSql + Clone + Send + Sync + 'static>(
    conn: &Conn<'_>,
    target: &str,
    key_type: &str,
    cols: &(Vec<K>, Vec<DateTime<Utc>>, Vec<String>),
) -> TxResult<()> {
    for start in (0..cols.0.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(cols.0.len());
        let params: Vec<Param> = vec![
            Box::new(cols.0[start..end].to_vec()),
            Box::new(cols.1[start..end].to_vec()),
            Box::new(cols.2[start..end].to_vec()),
        ];
        conn.query(
            &format!(
                "INSERT INTO {target} SELECT * FROM unnest($1::{key_type}[], $2::timestamptz[], $3::text[])"
            ),
            params,
        )?;
    }
    Ok(())
}
