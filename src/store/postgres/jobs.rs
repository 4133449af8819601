//! Job rows: writing a job with the columns the queue's queries use, finding and locking a
//! claim's pending job, keeping the one-pending-job rule, locking a batch in id order.

use std::collections::HashMap;

use super::bridge::{Conn, Param};
use super::{job_from_row, sql_id, TxError, TxResult, PENDING};
use crate::queue::{Job, Priority};
use crate::store::{encode, JobUpdate, StoreError};

pub(super) fn priority_number(priority: Priority) -> i16 {
    match priority {
        Priority::User => 0,
        Priority::Scheduled => 1,
    }
}

pub(super) const UPSERT_JOB: &str = "INSERT INTO jobs \
    (id, claim_id, state, priority, run_at, lease_until, worker, data) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
    ON CONFLICT (id) DO UPDATE SET claim_id = EXCLUDED.claim_id, state = EXCLUDED.state, \
    priority = EXCLUDED.priority, run_at = EXCLUDED.run_at, \
    lease_until = EXCLUDED.lease_until, worker = coalesce(EXCLUDED.worker, jobs.worker), \
    data = EXCLUDED.data";

/// Writes `job` (its record and the columns the queries use).
pub(super) fn put_job(conn: &Conn<'_>, job: &Job) -> TxResult<()> {
    let params: Vec<Param> = vec![
        Box::new(sql_id(job.id)?),
        Box::new(job.claim_id.clone()),
        Box::new(job.state.as_str().to_string()),
        Box::new(priority_number(job.priority)),
        Box::new(job.run_at),
        Box::new(job.lease_until),
        Box::new(job.worker.clone()),
        Box::new(String::from_utf8_lossy(&encode(job)).into_owned()),
    ];
    conn.query(UPSERT_JOB, params)?;
    Ok(())
}

/// The claim's pending job other than `except`, locked.
pub(super) fn pending_job(
    conn: &Conn<'_>,
    claim_id: &str,
    except: Option<u64>,
) -> TxResult<Option<Job>> {
    let except = except.map(sql_id).transpose()?.unwrap_or(-1);
    let rows = conn.query(
        &format!(
            "SELECT id, data FROM jobs WHERE claim_id = $1 AND state IN {PENDING} AND id <> $2 \
             FOR UPDATE"
        ),
        vec![Box::new(claim_id.to_string()), Box::new(except)],
    )?;
    Ok(rows.first().map(job_from_row).transpose()?)
}

/// Writes `new` over `old`, refusing to let it take a pending slot another job holds.
pub(super) fn write_job(conn: &Conn<'_>, old: Option<&Job>, new: &Job) -> TxResult<()> {
    let enters_pending = new.is_pending() && !old.is_some_and(Job::is_pending);
    if enters_pending {
        if let Some(other) = pending_job(conn, &new.claim_id, Some(new.id))? {
            return Err(TxError::Store(StoreError::SlotTaken {
                claim_id: new.claim_id.clone(),
                other: other.id,
            }));
        }
    }
    put_job(conn, new)
}

/// The jobs a batch rewrites, locked in id order (so two batches never deadlock).
pub(super) fn lock_jobs(conn: &Conn<'_>, writes: &[JobUpdate<'_>]) -> TxResult<HashMap<u64, Job>> {
    let ids = writes
        .iter()
        .map(|w| sql_id(w.id))
        .collect::<TxResult<Vec<i64>>>()?;
    let rows = conn.query(
        "SELECT id, data FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        vec![Box::new(ids)],
    )?;
    rows.iter()
        .map(|row| {
            let job = job_from_row(row)?;
            Ok((job.id, job))
        })
        .collect()
}
