//! Re-check schedules: when each claim is next due. A claim's `schedule` (cron) wins; else
//! the configured `recheck_interval_hours`. Next-run times are stored in sled, so a run
//! missed while nothing was running happens once when something next looks (never once per
//! missed slot): the next time is always computed from "now".

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Priority, Queue, QueueError};
use crate::claim::Claim;
use crate::config::QueueConfig;
use crate::store::{decode, encode, Store};

/// The stored next run, with the schedule it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NextRun {
    schedule: Option<String>,
    at: DateTime<Utc>,
}

/// The first run time after `after` for a claim; `None` when it is never re-checked.
pub fn next_after(
    claim: &Claim,
    config: &QueueConfig,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match &claim.schedule {
        Some(expr) => expr
            .parse::<croner::Cron>()
            .ok()?
            .find_next_occurrence(&after, false)
            .ok(),
        None if config.recheck_interval_hours > 0 => {
            Some(after + Duration::hours(config.recheck_interval_hours as i64))
        }
        None => None,
    }
}

/// When a claim is next due: the stored time (if computed from its current schedule), else
/// now for a claim never checked, else one period after its last check.
pub fn next_run(
    store: &Store,
    claim: &Claim,
    config: &QueueConfig,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, QueueError> {
    let tree = store.queue_trees().2;
    let stored = tree
        .get(claim.id.as_bytes())
        .map_err(|e| store.sled_error(e))?
        .map(|bytes| decode::<NextRun>("schedule", &claim.id, &bytes))
        .transpose()?;
    if let Some(next) = stored.filter(|n| n.schedule == claim.schedule) {
        return Ok(Some(next.at));
    }
    Ok(match store.latest_verdict(&claim.id)? {
        None => Some(now),
        Some(last) => next_after(claim, config, last.checked_at),
    })
}

/// The claims due at `now`.
pub fn due(
    store: &Store,
    config: &QueueConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Claim>, QueueError> {
    let mut due = Vec::new();
    for claim in store.claims()? {
        if next_run(store, &claim, config, now)?.is_some_and(|at| at <= now) {
            due.push(claim);
        }
    }
    Ok(due)
}

/// Records that a claim's run for now is taken care of: its next run is the next slot
/// after `now`.
pub fn advance(
    store: &Store,
    claim: &Claim,
    config: &QueueConfig,
    now: DateTime<Utc>,
) -> Result<(), QueueError> {
    let tree = store.queue_trees().2;
    let result = match next_after(claim, config, now) {
        Some(at) => tree.insert(
            claim.id.as_bytes(),
            encode(&NextRun {
                schedule: claim.schedule.clone(),
                at,
            }),
        ),
        None => tree.remove(claim.id.as_bytes()),
    };
    result.map_err(|e| store.sled_error(e))?;
    Ok(())
}

/// The scheduler's tick: enqueues a scheduled re-check for every due claim (a claim with a
/// pending job keeps that one) and advances its next run. Returns how many were due.
pub fn tick(queue: &Queue, config: &QueueConfig, now: DateTime<Utc>) -> Result<usize, QueueError> {
    let due = due(queue.store(), config, now)?;
    for claim in &due {
        queue.enqueue(&claim.id, Priority::Scheduled, now)?;
        advance(queue.store(), claim, config, now)?;
    }
    Ok(due.len())
}
