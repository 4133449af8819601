//! The queue's throughput: `n` jobs enqueued, taken and finished with a verdict in batches of
//! 1,000 (one transaction each, as the worker does), against raw sled making the same writes
//! (the same trees, keys and JSON values, one transaction per batch) with none of the
//! queue's reads, checks or indexes kept by logic.

use std::time::Instant;

use chrono::{Duration, Utc};
use claimcheck::config::QueueConfig;
use claimcheck::queue::{Job, Priority, Queue};
use claimcheck::store::VerdictRecord;
use claimcheck::verify::Verdict;
use sled::Transactional;

const BATCH: usize = 1000;

/// Jobs per second through `Queue` (enqueue → take → finish) and through raw sled.
pub fn compare(n: usize, verdict: &Verdict) -> (f64, f64) {
    (through_queue(n, verdict), raw_sled(n, verdict))
}

fn through_queue(n: usize, verdict: &Verdict) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = claimcheck::store::open(&dir.path().join("db")).expect("open store");
    let queue = Queue::new(store.clone(), QueueConfig::default());
    let now = Utc::now();
    let started = Instant::now();
    let ids: Vec<String> = (0..n).map(|i| format!("q{i:06}")).collect();
    for chunk in ids.chunks(BATCH) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        queue
            .enqueue_all(&chunk, Priority::User, now)
            .expect("enqueue");
    }
    let mut done = 0;
    loop {
        let jobs = queue.take("bench", BATCH, now).expect("take");
        if jobs.is_empty() {
            break;
        }
        let outcomes: Vec<_> = jobs.into_iter().map(|j| (j, Ok(verdict.clone()))).collect();
        done += queue.finish(&outcomes, now).expect("finish").len();
    }
    store.flush().expect("flush");
    assert_eq!(done, n, "every job finished");
    n as f64 / started.elapsed().as_secs_f64()
}

/// The trees the queue writes, opened raw.
struct Trees {
    jobs: sled::Tree,
    pending: sled::Tree,
    due: sled::Tree,
    leases: sled::Tree,
    verdicts: sled::Tree,
    changes: sled::Tree,
}

fn raw_sled(n: usize, verdict: &Verdict) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = sled::open(dir.path().join("raw")).expect("open sled");
    let tree = |name: &str| db.open_tree(name).expect("tree");
    let t = Trees {
        jobs: tree("jobs"),
        pending: tree("pending"),
        due: tree("due"),
        leases: tree("leases"),
        verdicts: tree("verdicts"),
        changes: tree("changes"),
    };
    let now = Utc::now();
    let started = Instant::now();
    let ids: Vec<u64> = (0..n as u64).collect();
    for chunk in ids.chunks(BATCH) {
        let jobs: Vec<Job> = chunk
            .iter()
            .map(|i| Job::new(*i, &format!("q{i:06}"), Priority::User, now))
            .collect();
        enqueue(&t, &jobs);
        let taken: Vec<Job> = jobs
            .iter()
            .filter_map(|j| j.taken("bench", now, Duration::minutes(5)))
            .collect();
        take(&t, &taken);
        let finished: Vec<Job> = taken.iter().filter_map(|j| j.succeeded(j, now)).collect();
        finish(&t, &finished, verdict);
    }
    db.flush().expect("flush");
    n as f64 / started.elapsed().as_secs_f64()
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("serializes")
}

fn index_key(job: &Job) -> Vec<u8> {
    let mut key = vec![0u8];
    key.extend_from_slice(&job.run_at.timestamp_micros().to_be_bytes());
    key.extend_from_slice(&job.id.to_be_bytes());
    key
}

fn enqueue(t: &Trees, jobs: &[Job]) {
    (&t.jobs, &t.pending, &t.due)
        .transaction(|(jobs_t, pending, due)| {
            for job in jobs {
                jobs_t.insert(&job.id.to_be_bytes(), json(job))?;
                pending.insert(job.claim_id.as_bytes(), &job.id.to_be_bytes())?;
                due.insert(index_key(job), &[])?;
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
        })
        .expect("enqueue transaction");
}

fn take(t: &Trees, jobs: &[Job]) {
    (&t.jobs, &t.due, &t.leases)
        .transaction(|(jobs_t, due, leases)| {
            for job in jobs {
                due.remove(index_key(job))?;
                leases.insert(index_key(job), &[])?;
                jobs_t.insert(&job.id.to_be_bytes(), json(job))?;
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
        })
        .expect("take transaction");
}

fn finish(t: &Trees, jobs: &[Job], verdict: &Verdict) {
    let trees = (&t.jobs, &t.pending, &t.leases, &t.verdicts, &t.changes);
    trees
        .transaction(|(jobs_t, pending, leases, verdicts, changes)| {
            for job in jobs {
                leases.remove(index_key(job))?;
                pending.remove(job.claim_id.as_bytes())?;
                jobs_t.insert(&job.id.to_be_bytes(), json(job))?;
                let record = VerdictRecord::after(None, &job.claim_id, verdict.clone(), Utc::now());
                let seq = verdicts.generate_id()?;
                let mut key = job.claim_id.as_bytes().to_vec();
                key.push(0);
                key.extend_from_slice(&seq.to_be_bytes());
                verdicts.insert(key, json(&record))?;
                changes.insert(&seq.to_be_bytes(), json(&record.claim_id))?;
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
        })
        .expect("finish transaction");
}
