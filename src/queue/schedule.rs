//! Re-check schedules: when each claim is next due. A claim's `schedule` (cron) wins; else
//! the configured `recheck_interval_hours`. Next-run times are stored with a time index, so
//! the scheduler finds due claims without reading every claim, and a run missed while nothing
//! was running happens once when something next looks (never once per missed slot): the next
//! time is always computed from "now".

use chrono::{DateTime, Duration, Utc};

use super::{Priority, Queue, QueueError};
use crate::claim::Claim;
use crate::config::QueueConfig;
use crate::store::{NextRun, Storage};

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

/// Consecutive occurrences [`shortest_gap`] looks at.
pub const GAPS_CHECKED: usize = 32;

/// The shortest time between two consecutive runs of the cron expression `expr` among its
/// next [`GAPS_CHECKED`] runs after `from` (so `"0 6,7 * * *"` counts as hourly, not
/// daily); `None` when `expr` is not a cron expression or runs fewer than twice.
pub fn shortest_gap(expr: &str, from: DateTime<Utc>) -> Option<Duration> {
    let cron = expr.parse::<croner::Cron>().ok()?;
    let mut previous = cron.find_next_occurrence(&from, false).ok()?;
    let mut shortest: Option<Duration> = None;
    for _ in 0..GAPS_CHECKED {
        let Ok(next) = cron.find_next_occurrence(&previous, false) else {
            break;
        };
        let gap = next - previous;
        shortest = Some(shortest.map_or(gap, |s| s.min(gap)));
        previous = next;
    }
    shortest
}

/// When a claim is next due, as stored.
pub fn next_run(store: &dyn Storage, claim_id: &str) -> Result<Option<DateTime<Utc>>, QueueError> {
    Ok(store.next_run(claim_id)?.map(|n| n.at))
}

/// Records that a claim's run for now is taken care of: its next run is the next slot
/// after `now`.
pub fn advance(
    store: &dyn Storage,
    claim: &Claim,
    config: &QueueConfig,
    now: DateTime<Utc>,
) -> Result<(), QueueError> {
    let next = next_after(claim, config, now).map(|at| NextRun {
        schedule: claim.schedule.clone(),
        at,
    });
    store.set_next_run(&claim.id, next.as_ref())?;
    Ok(())
}

/// The scheduler's tick: for every due claim, moves its next run on from the slot that came
/// due and, when this call was the one that moved it (several daemons may tick at once),
/// enqueues a scheduled re-check (a claim with a pending job keeps that one). Returns how
/// many slots this call fired.
pub fn tick(queue: &Queue, now: DateTime<Utc>) -> Result<usize, QueueError> {
    let store = queue.store().as_ref();
    let mut fired = 0;
    for claim_id in store.due_schedules(now)? {
        let Some(slot) = store.next_run(&claim_id)? else {
            continue; // another process cleared it since
        };
        let Some(claim) = store.claim(&claim_id)? else {
            store.set_next_run(&claim_id, None)?;
            continue;
        };
        let next = next_after(&claim, queue.config(), now).map(|at| NextRun {
            schedule: claim.schedule.clone(),
            at,
        });
        // The slot is fired once: whoever moves it on enqueues. A crash between the two
        // loses this one re-check; the next slot still comes.
        if slot.at <= now && store.take_schedule_slot(&claim_id, slot.at, next.as_ref())? {
            queue.enqueue(&claim.id, Priority::Scheduled, now)?;
            fired += 1;
        }
    }
    Ok(fired)
}

/// Gives every claim without a stored next run one (databases written before next runs were
/// kept for every claim): due now when never checked, else one period after its last check.
pub fn backfill(queue: &Queue, now: DateTime<Utc>) -> Result<usize, QueueError> {
    const DONE_KEY: &str = "schedule/backfilled";
    let store = queue.store().as_ref();
    if store.meta(DONE_KEY)?.is_some() {
        return Ok(0);
    }
    let mut filled = 0;
    for claim in store.claims()? {
        if store.next_run(&claim.id)?.is_some() {
            continue;
        }
        let at = match store.latest_verdict(&claim.id)? {
            None => Some(now),
            Some(last) => next_after(&claim, queue.config(), last.checked_at),
        };
        if let Some(at) = at {
            let next = NextRun {
                schedule: claim.schedule.clone(),
                at,
            };
            store.set_next_run(&claim.id, Some(&next))?;
            filled += 1;
        }
    }
    store.put_meta(DONE_KEY, b"1")?;
    Ok(filled)
}
