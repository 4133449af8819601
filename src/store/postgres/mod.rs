//! The PostgreSQL backend: one database (optionally one schema of it, `?schema=NAME`) shared
//! by any number of claimcheck processes on any number of machines.
//!
//! Design: `tokio-postgres` connections owned by a private runtime, reached through a
//! blocking bridge ([`bridge`]) one statement at a time, so the synchronous [`Storage`] trait
//! is sound on any thread, inside the daemon's runtime or not (the `postgres` crate would
//! panic there: it blocks on a runtime of its own on the caller's thread). Every trait
//! operation is one transaction; one that fails because the connection broke or PostgreSQL
//! picked it to lose a conflict is tried again from the start with backoff, which is safe
//! because every write re-checks what it depends on (a job finishes only while the same
//! worker, attempt and rescue count hold it, so a retried finish never writes twice).
//!
//! The queue: workers take jobs with `SELECT … FOR UPDATE SKIP LOCKED` (never waiting on a
//! job another worker is taking), a partial unique index keeps one pending job per claim
//! across processes, and change events take their sequence numbers under an advisory lock
//! held to commit, so they commit in order and the webhook cursor never skips one.

mod bridge;
mod history;
mod jobs;
mod schema;
mod url;

pub use url::{is_postgres, redact};

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use self::bridge::{BridgeError, Conn, Param, Pool};
use self::history::{append_again, append_verdict, expand, latest_from, next_id, LATEST};
use self::jobs::{lock_jobs, pending_job, put_job, write_job};
use super::{
    decode, encode, ChangeEvent, EditDescriber, EditRecord, JobChange, JobUpdate, JobWrite,
    NextRun, Settle, Storage, StoreError, StoredCheck, Upsert, VerdictRecord,
};
use crate::claim::Claim;
use crate::inputs::{claim_digest, Judged, StoredJudged};
use crate::queue::{Job, JobState, Priority};

/// Whole-transaction attempts before a transient failure is reported.
const ATTEMPTS: u32 = 8;
/// The job states that hold a claim's pending slot, as SQL.
const PENDING: &str = "('queued', 'running', 'retrying')";

/// A PostgreSQL database holding claimcheck's tables.
#[derive(Debug)]
pub struct PgStore {
    location: String,
    pool: Pool,
    /// The LISTEN/NOTIFY channel telling this schema's daemons that work was queued.
    channel: String,
    /// Migrations this open applied.
    applied: Vec<i32>,
}

/// Why a transaction stopped: a database failure (maybe worth another try) or a refusal.
enum TxError {
    Bridge(BridgeError),
    Store(StoreError),
}

impl From<BridgeError> for TxError {
    fn from(e: BridgeError) -> Self {
        Self::Bridge(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

type TxResult<T> = Result<T, TxError>;

impl PgStore {
    /// Connects to `url`, creates the schema if `?schema=` names a missing one, and applies
    /// pending migrations.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        // A URL that does not parse is the user's to fix (exit 2 from the CLI).
        let parsed = url::parse(url).map_err(|reason| StoreError::BadLocation {
            path: redact(url).into(),
            reason,
        })?;
        let channel = format!(
            "claimcheck_jobs_{}",
            parsed.schema.as_deref().unwrap_or("public")
        )
        .chars()
        .take(63)
        .collect();
        let setup = parsed
            .schema
            .as_ref()
            .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}"))
            .unwrap_or_default();
        let pool = Pool::new(parsed.config, setup).map_err(|e| StoreError::Backend {
            location: parsed.redacted.clone(),
            source: Box::new(e),
        })?;
        let mut store = Self {
            location: parsed.redacted,
            pool,
            channel,
            applied: Vec::new(),
        };
        store.reachable()?;
        store.applied = store.migrate()?;
        Ok(store)
    }

    /// The migrations opening this store applied (empty: it was up to date).
    pub fn applied(&self) -> &[i32] {
        &self.applied
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        let rows = self.single(
            "SELECT coalesce(max(version), 0) FROM claimcheck_migrations",
            Vec::new,
        )?;
        rows.first()
            .map_or(Ok(0), |row| row.try_get(0))
            .map_err(|e| column_error("claimcheck_migrations", e))
    }

    /// Fails with what to do when no PostgreSQL answers, or it refuses us.
    fn reachable(&self) -> Result<(), StoreError> {
        let mut attempt = 0;
        let e = loop {
            let e = match self.pool.checkout() {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            // Daemons creating the schema together may collide once (a unique violation
            // in the catalogue); try again. An unreachable server is reported at once.
            let collided = matches!(&e, BridgeError::Postgres(pg) if pg.as_db_error().is_some())
                && e.is_transient();
            if !collided || attempt + 1 >= ATTEMPTS {
                break e;
            }
            std::thread::sleep(backoff(attempt));
            attempt += 1;
        };
        let reason = match &e {
            // The server answered: the URL's user, password or database is wrong.
            BridgeError::Postgres(pg) if pg.as_db_error().is_some() => format!(
                "PostgreSQL refused the connection: {}; check the user, password and database \
                 in the URL",
                pg.as_db_error().map_or("", |db| db.message())
            ),
            // The client speaks plain TCP only: asking for TLS fails before any server
            // question, and "is it running?" sent people the wrong way.
            _ if e.to_string().contains("TLS") || self.location.contains("sslmode=require") => {
                format!(
                    "cannot reach PostgreSQL ({e}): claimcheck connects without TLS; use \
                     `sslmode=disable` (or leave sslmode out) on a trusted network or a local \
                     socket"
                )
            }
            _ => format!(
                "cannot reach PostgreSQL ({e}): is it running? Start a local one with \
                 `pg_ctlcluster 15 main start` or \
                 `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`"
            ),
        };
        Err(StoreError::Unusable {
            location: self.location.clone(),
            reason,
        })
    }

    /// Applies the migrations this database lacks; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<i32>, StoreError> {
        self.tx("BEGIN", |conn| {
            conn.query(
                "SELECT pg_advisory_xact_lock($1)",
                vec![Box::new(schema::MIGRATION_LOCK)],
            )?;
            conn.batch(
                "CREATE TABLE IF NOT EXISTS claimcheck_migrations \
                 (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            )?;
            let rows = conn.query(
                "SELECT coalesce(max(version), 0) FROM claimcheck_migrations",
                vec![],
            )?;
            let current: i32 = rows.first().map_or(Ok(0), |row| get(row, 0))?;
            self.apply_from(conn, current)
        })
    }

    fn apply_from(&self, conn: &Conn<'_>, current: i32) -> TxResult<Vec<i32>> {
        let newest = schema::MIGRATIONS.last().map_or(0, |(v, _)| *v);
        if current > newest {
            return Err(self.refusal(format!(
                "the database is at schema version {current}, newer than this claimcheck knows \
                 ({newest}): upgrade claimcheck on this machine"
            )));
        }
        let mut applied = Vec::new();
        for (version, sql) in schema::MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            conn.batch(sql)?;
            conn.query(
                "INSERT INTO claimcheck_migrations (version) VALUES ($1)",
                vec![Box::new(*version)],
            )?;
            applied.push(*version);
        }
        Ok(applied)
    }

    /// Stores a claim whose id is new, or recognises unchanged content, in one statement;
    /// `None` when the stored claim differs (an edit).
    fn put_claim_quick(&self, id: &str, data: &str) -> Result<Option<Upsert>, StoreError> {
        let rows = self.single(
            "WITH inserted AS (INSERT INTO claims (id, data) VALUES ($1, $2) \
             ON CONFLICT (id) DO NOTHING RETURNING id) \
             SELECT EXISTS (SELECT 1 FROM inserted), \
             EXISTS (SELECT 1 FROM claims WHERE id = $1 AND data = $2)",
            || vec![Box::new(id.to_string()), Box::new(data.to_string())],
        )?;
        let row = rows.first().ok_or_else(|| StoreError::Backend {
            location: self.location.clone(),
            source: "no answer to the claim insert".into(),
        })?;
        let flag = |i| {
            row.try_get::<_, bool>(i)
                .map_err(|e| column_error("claims", e))
        };
        Ok(if flag(0)? {
            Some(Upsert::Added)
        } else if flag(1)? {
            Some(Upsert::Unchanged)
        } else {
            None
        })
    }

    /// Tells the listening daemons (at commit) that a job is queued, when `queued`.
    fn notify_if(&self, conn: &Conn<'_>, queued: bool) -> TxResult<()> {
        if queued {
            conn.query(
                "SELECT pg_notify($1, '')",
                vec![Box::new(self.channel.clone())],
            )?;
        }
        Ok(())
    }

    fn err(&self, e: BridgeError) -> StoreError {
        StoreError::Backend {
            location: self.location.clone(),
            source: Box::new(e),
        }
    }

    fn refusal(&self, reason: String) -> TxError {
        TxError::Store(StoreError::Unusable {
            location: self.location.clone(),
            reason,
        })
    }

    /// Runs `work` in one transaction opened with `begin`, from the start again (with
    /// backoff) when it fails transiently.
    fn tx<T>(&self, begin: &str, work: impl Fn(&Conn<'_>) -> TxResult<T>) -> Result<T, StoreError> {
        let mut attempt = 0;
        loop {
            match self.tx_once(begin, &work) {
                Ok(value) => return Ok(value),
                Err(TxError::Store(e)) => return Err(e),
                Err(TxError::Bridge(e)) if e.is_transient() && attempt + 1 < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "PostgreSQL transaction retried");
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                Err(TxError::Bridge(e)) => return Err(self.err(e)),
            }
        }
    }

    fn tx_once<T>(&self, begin: &str, work: &impl Fn(&Conn<'_>) -> TxResult<T>) -> TxResult<T> {
        let conn = self.pool.checkout()?;
        conn.batch(begin)?;
        match work(&conn) {
            Ok(value) => match conn.batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    conn.discard();
                    Err(e.into())
                }
            },
            Err(e) => {
                if conn.batch("ROLLBACK").is_err() {
                    conn.discard();
                }
                Err(e)
            }
        }
    }

    /// One statement on its own (PostgreSQL makes it a transaction: one round trip instead
    /// of three), retried like [`tx`](Self::tx).
    fn single(&self, sql: &str, params: impl Fn() -> Vec<Param>) -> Result<Vec<Row>, StoreError> {
        let mut attempt = 0;
        loop {
            let result = self
                .pool
                .checkout()
                .and_then(|conn| conn.query(sql, params()));
            match result {
                Ok(rows) => return Ok(rows),
                Err(e) if e.is_transient() && attempt + 1 < ATTEMPTS => {
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                Err(e) => return Err(self.err(e)),
            }
        }
    }

    fn read_jobs(
        &self,
        sql: &str,
        params: impl Fn() -> Vec<Param>,
    ) -> Result<Vec<Job>, StoreError> {
        self.single(sql, params)?.iter().map(job_from_row).collect()
    }
}

/// The wait before attempt `attempt + 1`: 50 ms doubling, at most 2 s (about 7 s in all,
/// enough for a PostgreSQL restart).
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((50u64 << attempt.min(6)).min(2000))
}

/// Column `i` of `row`, or a corruption error naming it.
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> TxResult<T> {
    row.try_get(i).map_err(|e| TxError::Bridge(e.into()))
}

fn job_from_row(row: &Row) -> Result<Job, StoreError> {
    let id: i64 = row.try_get(0).map_err(|e| column_error("jobs", e))?;
    let data: &str = row.try_get(1).map_err(|e| column_error("jobs", e))?;
    decode("jobs", &id.to_string(), data.as_bytes())
}

fn column_error(table: &'static str, e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend {
        location: format!("table {table}"),
        source: Box::new(e),
    }
}

/// A u64 id as PostgreSQL's bigint.
fn sql_id(id: u64) -> TxResult<i64> {
    i64::try_from(id).map_err(|_| {
        TxError::Store(StoreError::Backend {
            location: "PostgreSQL".into(),
            source: format!("id {id} does not fit PostgreSQL's bigint").into(),
        })
    })
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

mod copy;

impl Storage for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Every operation commits before it returns; a commit is durable.
        Ok(())
    }

    fn shared(&self) -> bool {
        true
    }

    fn subscribe(&self, wake: std::sync::Arc<tokio::sync::Notify>) -> Result<(), StoreError> {
        let on_notify: bridge::OnNotify = std::sync::Arc::new(move || wake.notify_waiters());
        self.pool
            .listen(self.channel.clone(), on_notify)
            .map_err(|e| self.err(e))
    }

    fn put_claim(&self, claim: &Claim) -> Result<Upsert, StoreError> {
        Ok(self.put_claim_edited(claim, Utc::now(), &|_, _| None)?.0)
    }

    fn put_claim_edited(
        &self,
        claim: &Claim,
        at: DateTime<Utc>,
        describe: EditDescriber<'_>,
    ) -> Result<(Upsert, Option<EditRecord>), StoreError> {
        let data = text(encode(claim));
        // The common cases in one statement each: a new id, or the same content again.
        // An edit (which records its change in the same transaction) takes the long way.
        if let Some(upsert) = self.put_claim_quick(&claim.id, &data)? {
            return Ok((upsert, None));
        }
        self.tx("BEGIN", |conn| {
            let rows = conn.query(
                "SELECT data FROM claims WHERE id = $1 FOR UPDATE",
                vec![Box::new(claim.id.clone())],
            )?;
            let old: Option<&str> = rows.first().map(|r| get(r, 0)).transpose()?;
            if old == Some(data.as_str()) {
                return Ok((Upsert::Unchanged, None));
            }
            conn.query(
                "INSERT INTO claims (id, data) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data",
                vec![Box::new(claim.id.clone()), Box::new(data.clone())],
            )?;
            let Some(old) = old else {
                return Ok((Upsert::Added, None));
            };
            let old: Claim = decode("claims", &claim.id, old.as_bytes())?;
            let Some(change) = describe(&old, claim) else {
                return Ok((Upsert::Updated, None));
            };
            let record = EditRecord {
                claim_id: claim.id.clone(),
                at,
                change,
            };
            let seq = next_id(conn, "ids")?;
            conn.query(
                "INSERT INTO edits (claim_id, seq, data) VALUES ($1, $2, $3)",
                vec![
                    Box::new(claim.id.clone()),
                    Box::new(sql_id(seq)?),
                    Box::new(text(encode(&record))),
                ],
            )?;
            Ok((Upsert::Updated, Some(record)))
        })
    }

    fn edits(&self, claim_id: &str) -> Result<Vec<EditRecord>, StoreError> {
        let rows = self.single(
            "SELECT data FROM edits WHERE claim_id = $1 ORDER BY seq DESC",
            || vec![Box::new(claim_id.to_string())],
        )?;
        rows.iter()
            .map(|row| {
                let data: &str = row.try_get(0).map_err(|e| column_error("edits", e))?;
                decode("edits", claim_id, data.as_bytes())
            })
            .collect()
    }

    fn claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        let rows = self.single("SELECT data FROM claims WHERE id = $1", || {
            vec![Box::new(id.to_string())]
        })?;
        rows.first()
            .map(|row| {
                let data: &str = row.try_get(0).map_err(|e| column_error("claims", e))?;
                decode("claims", id, data.as_bytes())
            })
            .transpose()
    }

    fn claims(&self) -> Result<Vec<Claim>, StoreError> {
        // Byte order, as sled keeps them.
        let rows = self.single(
            "SELECT id, data FROM claims ORDER BY id COLLATE \"C\"",
            Vec::new,
        )?;
        rows.iter()
            .map(|row| {
                let id: &str = row.try_get(0).map_err(|e| column_error("claims", e))?;
                let data: &str = row.try_get(1).map_err(|e| column_error("claims", e))?;
                decode("claims", id, data.as_bytes())
            })
            .collect()
    }

    fn remove_claim(&self, id: &str, cancel: JobChange<'_>) -> Result<bool, StoreError> {
        self.tx("BEGIN", |conn| {
            let key = || -> Vec<Param> { vec![Box::new(id.to_string())] };
            let existed = !conn
                .query("DELETE FROM claims WHERE id = $1 RETURNING id", key())?
                .is_empty();
            if let Some(job) = pending_job(conn, id, None)? {
                if let Some(cancelled) = cancel(&job) {
                    write_job(conn, Some(&job), &cancelled)?;
                }
            }
            for table in ["verdicts", "edits", "schedules", "judged"] {
                conn.query(&format!("DELETE FROM {table} WHERE claim_id = $1"), key())?;
            }
            Ok(existed)
        })
    }

    fn history(&self, claim_id: &str) -> Result<Vec<VerdictRecord>, StoreError> {
        self.tx("BEGIN READ ONLY", |conn| {
            let rows = conn.query(
                "SELECT seq, data FROM verdicts WHERE claim_id = $1 ORDER BY seq DESC",
                vec![Box::new(claim_id.to_string())],
            )?;
            // Re-checks point at full records of the same claim, read here already.
            let mut full = HashMap::new();
            for row in &rows {
                let seq: i64 = get(row, 0)?;
                let data: &str = get(row, 1)?;
                if let StoredCheck::Full(record) = StoredCheck::decode(claim_id, data.as_bytes())? {
                    full.insert(seq.unsigned_abs(), *record);
                }
            }
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let seq: i64 = get(row, 0)?;
                let data: &str = get(row, 1)?;
                out.push(match StoredCheck::decode(claim_id, data.as_bytes())? {
                    StoredCheck::Full(record) => *record,
                    StoredCheck::Again(again) => match full.get(&again.same_as) {
                        Some(record) => again.repeating(record.clone()),
                        None => expand(conn, claim_id, seq, data)?.0,
                    },
                });
            }
            Ok(out)
        })
    }

    fn latest_verdict(&self, claim_id: &str) -> Result<Option<VerdictRecord>, StoreError> {
        let rows = self.single(LATEST, || vec![Box::new(claim_id.to_string())])?;
        match latest_from(claim_id, &rows) {
            Ok(latest) => Ok(latest.map(|(record, _)| record)),
            Err(TxError::Store(e)) => Err(e),
            Err(TxError::Bridge(e)) => Err(self.err(e)),
        }
    }

    fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>, StoreError> {
        // The column holds microseconds; the exact comparison is on the decoded event.
        let from = since.map(|s| s - chrono::Duration::milliseconds(1));
        let rows = self.single(
            "SELECT seq, data FROM changes WHERE $1::timestamptz IS NULL OR at >= $1 ORDER BY seq",
            || vec![Box::new(from)],
        )?;
        let events = decode_events(&rows)?;
        Ok(events
            .into_iter()
            .filter(|e| since.is_none_or(|s| e.at >= s))
            .collect())
    }

    fn changes_from(&self, seq: u64) -> Result<Vec<ChangeEvent>, StoreError> {
        let from = i64::try_from(seq).unwrap_or(i64::MAX);
        let rows = self.single(
            "SELECT seq, data FROM changes WHERE seq >= $1 ORDER BY seq",
            || vec![Box::new(from)],
        )?;
        decode_events(&rows)
    }

    fn new_job_id(&self) -> Result<u64, StoreError> {
        let rows = self.single("SELECT nextval('ids')", Vec::new)?;
        let id: i64 = rows
            .first()
            .map_or(Ok(0), |row| row.try_get(0))
            .map_err(|e| column_error("ids", e))?;
        Ok(id.unsigned_abs())
    }

    fn insert_jobs(
        &self,
        fresh: &[Job],
        existing: JobChange<'_>,
    ) -> Result<Vec<(Job, bool)>, StoreError> {
        // A claim given twice, or another process inserting for the same claim, meets the
        // unique index; the transaction is then tried again and finds that job.
        self.tx("BEGIN", |conn| {
            let mut out = Vec::with_capacity(fresh.len());
            for job in fresh {
                out.push(match pending_job(conn, &job.claim_id, None)? {
                    Some(held) => match existing(&held) {
                        Some(changed) => {
                            write_job(conn, Some(&held), &changed)?;
                            (changed, false)
                        }
                        None => (held, false),
                    },
                    None => {
                        put_job(conn, job)?;
                        (job.clone(), true)
                    }
                });
            }
            self.notify_if(
                conn,
                out.iter().any(|(job, _)| job.state == JobState::Queued),
            )?;
            Ok(out)
        })
    }

    fn job(&self, id: u64) -> Result<Option<Job>, StoreError> {
        let id = i64::try_from(id).unwrap_or(-1);
        Ok(self
            .read_jobs("SELECT id, data FROM jobs WHERE id = $1", || {
                vec![Box::new(id)]
            })?
            .pop())
    }

    fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>, StoreError> {
        let state = state.map(|s| s.as_str().to_string());
        self.read_jobs(
            "SELECT id, data FROM jobs WHERE $1::text IS NULL OR state = $1 ORDER BY id DESC",
            || vec![Box::new(state.clone())],
        )
    }

    fn due_jobs(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Job>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read_jobs(
            "SELECT id, data FROM jobs WHERE state IN ('queued', 'retrying') AND run_at <= $1 \
             ORDER BY priority, run_at, id LIMIT $2",
            || vec![Box::new(now), Box::new(limit)],
        )
    }

    fn take_jobs(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        take: JobChange<'_>,
    ) -> Result<Vec<Job>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.tx("BEGIN", |conn| {
            // Jobs another worker is taking right now are skipped, not waited for.
            let rows = conn.query(
                "SELECT id, data FROM jobs WHERE state IN ('queued', 'retrying') AND run_at <= $1 \
                 ORDER BY priority, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                vec![Box::new(now), Box::new(limit)],
            )?;
            let mut taken = Vec::with_capacity(rows.len());
            for row in &rows {
                let job = job_from_row(row)?;
                if let Some(new) = take(&job) {
                    write_job(conn, Some(&job), &new)?;
                    taken.push(new);
                }
            }
            Ok(taken)
        })
    }

    fn leases_until(&self, until: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        self.read_jobs(
            "SELECT id, data FROM jobs WHERE state = 'running' AND lease_until <= $1 \
             ORDER BY lease_until, id",
            || vec![Box::new(until)],
        )
    }

    fn update_jobs(&self, writes: &[JobUpdate<'_>]) -> Result<Vec<JobWrite>, StoreError> {
        self.tx("BEGIN", |conn| {
            let mut jobs = lock_jobs(conn, writes)?;
            let mut out = Vec::with_capacity(writes.len());
            for write in writes {
                let Some(job) = jobs.get(&write.id).cloned() else {
                    out.push(JobWrite::Missing);
                    continue;
                };
                let Some(new) = (write.change)(&job) else {
                    out.push(JobWrite::Declined(job));
                    continue;
                };
                write_job(conn, Some(&job), &new)?;
                jobs.insert(new.id, new.clone());
                let record = match write.verdict {
                    Some((verdict, at)) => {
                        let (record, stands_on) = append_verdict(conn, &new.claim_id, verdict, at)?;
                        put_judged(conn, &new.claim_id, write.inputs, stands_on)?;
                        Some(Box::new(record))
                    }
                    None => None,
                };
                out.push(JobWrite::Written(new, record));
            }
            let queued = out
                .iter()
                .any(|w| matches!(w, JobWrite::Written(job, _) if job.state == JobState::Queued));
            self.notify_if(conn, queued)?;
            Ok(out)
        })
    }

    fn judged(&self, ids: &[String]) -> Result<Vec<Option<StoredJudged>>, StoreError> {
        let rows = self.single(
            "SELECT c.id, c.data, j.data FROM claims c JOIN judged j ON j.claim_id = c.id \
             WHERE c.id = ANY($1)",
            || vec![Box::new(ids.to_vec())],
        )?;
        let mut found = HashMap::new();
        for row in &rows {
            let column = |e| column_error("judged", e);
            let id: &str = row.try_get(0).map_err(column)?;
            let claim: &str = row.try_get(1).map_err(column)?;
            let stored: &str = row.try_get(2).map_err(column)?;
            let judged: Judged = decode("judged", id, stored.as_bytes())?;
            let read = StoredJudged {
                claim: claim_digest(claim.as_bytes()),
                judged,
                stored: stored.as_bytes().to_vec(),
            };
            found.insert(id.to_string(), read);
        }
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn claims_with_records(
        &self,
        wanted: &[(String, u64)],
    ) -> Result<Vec<Option<(Claim, VerdictRecord)>>, StoreError> {
        let ids: Vec<String> = wanted.iter().map(|(id, _)| id.clone()).collect();
        let seqs: Vec<i64> = wanted
            .iter()
            .map(|(_, seq)| i64::try_from(*seq).unwrap_or(-1))
            .collect();
        let rows = self.single(
            "SELECT c.id, v.seq, c.data, v.data FROM claims c JOIN verdicts v ON v.claim_id = c.id \
             WHERE (v.claim_id, v.seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))",
            || vec![Box::new(ids.clone()), Box::new(seqs.clone())],
        )?;
        let mut found = HashMap::new();
        for row in &rows {
            let column = |e| column_error("verdicts", e);
            let id: &str = row.try_get(0).map_err(column)?;
            let seq: i64 = row.try_get(1).map_err(column)?;
            let claim: &str = row.try_get(2).map_err(column)?;
            let record: &str = row.try_get(3).map_err(column)?;
            if let StoredCheck::Full(record) = StoredCheck::decode(id, record.as_bytes())? {
                let claim: Claim = decode("claims", id, claim.as_bytes())?;
                found.insert((id.to_string(), seq.unsigned_abs()), (claim, *record));
            }
        }
        Ok(wanted
            .iter()
            .map(|(id, seq)| found.get(&(id.clone(), *seq)).cloned())
            .collect())
    }

    fn settle_unchanged(
        &self,
        settles: &[Settle<'_>],
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Job>>, StoreError> {
        self.tx("BEGIN", |conn| {
            let mut out = Vec::with_capacity(settles.len());
            for settle in settles {
                out.push(settle_one(conn, settle, priority, now)?);
            }
            Ok(out)
        })
    }

    fn delete_job(&self, id: u64) -> Result<(), StoreError> {
        let id = i64::try_from(id).unwrap_or(-1);
        // A pending job is never deleted: its claim would lose its verdict.
        self.tx("BEGIN", |conn| {
            conn.query(
                &format!("DELETE FROM jobs WHERE id = $1 AND state NOT IN {PENDING}"),
                vec![Box::new(id)],
            )?;
            Ok(())
        })
    }

    fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let rows = self.single(
            "SELECT claim_id FROM schedules WHERE at <= $1 ORDER BY at, claim_id COLLATE \"C\"",
            || vec![Box::new(now)],
        )?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(|e| column_error("schedules", e)))
            .collect()
    }

    fn next_run(&self, claim_id: &str) -> Result<Option<NextRun>, StoreError> {
        let rows = self.single("SELECT data FROM schedules WHERE claim_id = $1", || {
            vec![Box::new(claim_id.to_string())]
        })?;
        rows.first()
            .map(|row| {
                let data: &str = row.try_get(0).map_err(|e| column_error("schedules", e))?;
                decode("schedule", claim_id, data.as_bytes())
            })
            .transpose()
    }

    fn set_next_run(&self, claim_id: &str, next: Option<&NextRun>) -> Result<(), StoreError> {
        // One statement: nothing to compare first (unlike take_schedule_slot).
        let key = claim_id.to_string();
        match next {
            Some(next) => {
                let data = text(encode(next));
                self.single(UPSERT_SCHEDULE, || {
                    vec![
                        Box::new(key.clone()),
                        Box::new(next.at),
                        Box::new(data.clone()),
                    ]
                })?
            }
            None => self.single("DELETE FROM schedules WHERE claim_id = $1", || {
                vec![Box::new(key.clone())]
            })?,
        };
        Ok(())
    }

    fn take_schedule_slot(
        &self,
        claim_id: &str,
        slot: DateTime<Utc>,
        next: Option<&NextRun>,
    ) -> Result<bool, StoreError> {
        // The slot is the unique key: of several daemons moving it, one finds it still there.
        self.tx("BEGIN", |conn| set_schedule(conn, claim_id, next, slot))
    }

    fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let rows = self.tx("BEGIN", |conn| {
            Ok(conn.query(
                "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until \
                 WHERE leases.holder = EXCLUDED.holder OR leases.until < $4 RETURNING holder",
                vec![
                    Box::new(name.to_string()),
                    Box::new(holder.to_string()),
                    Box::new(until),
                    Box::new(now),
                ],
            )?)
        })?;
        Ok(!rows.is_empty())
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.single("SELECT value FROM meta WHERE key = $1", || {
            vec![Box::new(key.to_string())]
        })?;
        rows.first()
            .map(|row| row.try_get(0).map_err(|e| column_error("meta", e)))
            .transpose()
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.single(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            || vec![Box::new(key.to_string()), Box::new(value.to_vec())],
        )?;
        Ok(())
    }

    fn meta_scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = self.single(
            "SELECT key, value FROM meta WHERE left(key, length($1)) = $1 \
             ORDER BY key COLLATE \"C\"",
            || vec![Box::new(prefix.to_string())],
        )?;
        rows.iter()
            .map(|row| {
                let key = row.try_get(0).map_err(|e| column_error("meta", e))?;
                let value = row.try_get(1).map_err(|e| column_error("meta", e))?;
                Ok((key, value))
            })
            .collect()
    }

    fn meta_clear(&self, prefix: &str) -> Result<usize, StoreError> {
        let rows = self.tx("BEGIN", |conn| {
            Ok(conn.query(
                "DELETE FROM meta WHERE left(key, length($1)) = $1 RETURNING key",
                vec![Box::new(prefix.to_string())],
            )?)
        })?;
        Ok(rows.len())
    }

    fn backup(&self) -> Result<crate::backup::Backup, StoreError> {
        // One snapshot: a verdict is never split from its job's state.
        self.tx("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", |conn| {
            copy::dump(conn)
        })
    }

    fn restore(&self, backup: &crate::backup::Backup) -> Result<usize, StoreError> {
        self.tx("BEGIN", |conn| copy::load(conn, backup))
    }
}

/// Keeps (or, without inputs, clears) what a claim's latest verdict was judged from.
fn put_judged(
    conn: &Conn<'_>,
    claim_id: &str,
    inputs: Option<&crate::inputs::Inputs>,
    stands_on: u64,
) -> TxResult<()> {
    let key = claim_id.to_string();
    match inputs {
        Some(inputs) => {
            let judged = Judged {
                inputs: inputs.clone(),
                full_seq: stands_on,
            };
            conn.query(
                "INSERT INTO judged (claim_id, data) VALUES ($1, $2) \
                 ON CONFLICT (claim_id) DO UPDATE SET data = EXCLUDED.data",
                vec![Box::new(key), Box::new(text(encode(&judged)))],
            )?;
        }
        None => {
            conn.query(
                "DELETE FROM judged WHERE claim_id = $1",
                vec![Box::new(key)],
            )?;
        }
    }
    Ok(())
}

/// One request of [`Storage::settle_unchanged`]: the judged row is locked, and the claim,
/// the judged record and the empty pending slot are checked before anything is written.
fn settle_one(
    conn: &Conn<'_>,
    settle: &Settle<'_>,
    priority: Priority,
    now: DateTime<Utc>,
) -> TxResult<Option<Job>> {
    let claim_id = settle.claim_id;
    let rows = conn.query(
        "SELECT c.data, j.data FROM claims c JOIN judged j ON j.claim_id = c.id \
         WHERE c.id = $1 FOR UPDATE OF j",
        vec![Box::new(claim_id.to_string())],
    )?;
    let unchanged = match rows.first() {
        Some(row) => {
            let (claim, judged): (&str, &str) = (get(row, 0)?, get(row, 1)?);
            claim_digest(claim.as_bytes()) == settle.judged.claim
                && judged.as_bytes() == settle.judged.stored.as_slice()
        }
        None => false,
    };
    if !unchanged || pending_job(conn, claim_id, None)?.is_some() {
        return Ok(None);
    }
    let job = Job::settled_unchanged(settle.id, claim_id, priority, now);
    write_job(conn, None, &job)?;
    append_again(conn, claim_id, settle.judged.judged.full_seq, now)?;
    Ok(Some(job))
}

const UPSERT_SCHEDULE: &str = "INSERT INTO schedules (claim_id, at, data) VALUES ($1, $2, $3) \
    ON CONFLICT (claim_id) DO UPDATE SET at = EXCLUDED.at, data = EXCLUDED.data";

/// Stores (or clears) a claim's next run, only when it is still at `slot`. True when
/// written.
fn set_schedule(
    conn: &Conn<'_>,
    claim_id: &str,
    next: Option<&NextRun>,
    slot: DateTime<Utc>,
) -> TxResult<bool> {
    let rows = conn.query(
        "SELECT at FROM schedules WHERE claim_id = $1 FOR UPDATE",
        vec![Box::new(claim_id.to_string())],
    )?;
    let stored: Option<DateTime<Utc>> = rows.first().map(|r| get(r, 0)).transpose()?;
    // The column holds microseconds: compare at that precision.
    let same = stored.is_some_and(|at| at.timestamp_micros() == slot.timestamp_micros());
    if !same {
        return Ok(false);
    }
    let key = claim_id.to_string();
    match next {
        Some(next) => conn.query(
            "INSERT INTO schedules (claim_id, at, data) VALUES ($1, $2, $3) \
             ON CONFLICT (claim_id) DO UPDATE SET at = EXCLUDED.at, data = EXCLUDED.data",
            vec![
                Box::new(key),
                Box::new(next.at),
                Box::new(text(encode(next))),
            ],
        )?,
        None => conn.query(
            "DELETE FROM schedules WHERE claim_id = $1",
            vec![Box::new(key)],
        )?,
    };
    Ok(true)
}

fn decode_events(rows: &[Row]) -> Result<Vec<ChangeEvent>, StoreError> {
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get(0).map_err(|e| column_error("changes", e))?;
            let data: &str = row.try_get(1).map_err(|e| column_error("changes", e))?;
            decode("changes", &seq.to_string(), data.as_bytes())
        })
        .collect()
}

/// Drops the schema named by `url`'s `?schema=` with everything in it (tests' clean-up, and
/// a way to start over). Refuses a URL without a schema: it never drops `public`.
pub fn drop_schema(url: &str) -> Result<(), StoreError> {
    let parsed = url::parse(url).map_err(|reason| StoreError::Unusable {
        location: redact(url),
        reason,
    })?;
    let Some(schema) = parsed.schema else {
        return Err(StoreError::Unusable {
            location: parsed.redacted,
            reason: "no ?schema= in the URL: refusing to drop anything".into(),
        });
    };
    let backend = |e: BridgeError| StoreError::Backend {
        location: parsed.redacted.clone(),
        source: Box::new(e),
    };
    let pool = Pool::new(parsed.config, String::new()).map_err(|e| StoreError::Backend {
        location: parsed.redacted.clone(),
        source: Box::new(e),
    })?;
    let conn = pool.checkout().map_err(backend)?;
    conn.batch(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .map_err(backend)?;
    Ok(())
}
