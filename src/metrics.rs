//! Operations metrics: process-wide counters for upstream requests (count, errors, latency),
//! retries and country-list cache hits, plus the Prometheus text exposition of those and of
//! the database (jobs by state, checks by verdict, claims, last check) for `GET /metrics`.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::queue::{Job, JobState};
use crate::store::{Storage, StoreError};
use crate::verify::Grade;

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static REQUEST_ERRORS: AtomicU64 = AtomicU64::new(0);
static LATENCY_MICROS: AtomicU64 = AtomicU64::new(0);
static RETRIES: AtomicU64 = AtomicU64::new(0);
static CACHE_HITS: AtomicU64 = AtomicU64::new(0);

/// Runs one upstream request and counts it, its latency and whether it failed.
pub async fn timed<T, E>(request: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    let started = Instant::now();
    let result = request.await;
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    LATENCY_MICROS.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    if result.is_err() {
        REQUEST_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    result
}

/// Counts a retry of an upstream request.
pub fn record_retry() {
    RETRIES.fetch_add(1, Ordering::Relaxed);
}

/// Counts a country list served from the cache.
pub fn record_cache_hit() {
    CACHE_HITS.fetch_add(1, Ordering::Relaxed);
}

/// The counters of this process: (requests, errors, latency seconds, retries, cache hits).
pub fn counters() -> (u64, u64, f64, u64, u64) {
    (
        REQUESTS.load(Ordering::Relaxed),
        REQUEST_ERRORS.load(Ordering::Relaxed),
        LATENCY_MICROS.load(Ordering::Relaxed) as f64 / 1e6,
        RETRIES.load(Ordering::Relaxed),
        CACHE_HITS.load(Ordering::Relaxed),
    )
}

const STATES: [(JobState, &str); 5] = [
    (JobState::Queued, "queued"),
    (JobState::Running, "running"),
    (JobState::Retrying, "retrying"),
    (JobState::Succeeded, "succeeded"),
    (JobState::Dead, "dead"),
];

fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// Dead jobs that need someone: those of claims still stored and not checked since. A job
/// that died because its claim was removed needs no one, nor one whose claim a later check
/// answered; neither must keep an alert firing (`status` says the same). `stored` gives each
/// claim's id and its latest check.
pub fn dead_of_stored_claims<'a>(
    jobs: &[Job],
    stored: impl IntoIterator<Item = (&'a str, Option<DateTime<Utc>>)>,
) -> usize {
    let stored: std::collections::HashMap<&str, Option<DateTime<Utc>>> =
        stored.into_iter().collect();
    jobs.iter()
        .filter(|j| j.state == JobState::Dead)
        .filter(|j| match stored.get(j.claim_id.as_str()) {
            None => false,
            Some(checked) => checked.is_none_or(|at| at <= j.updated_at),
        })
        .count()
}

/// The Prometheus text for the database's state and this process's counters.
// Long but flat: one block per metric, in the order Prometheus shows them.
pub fn render(store: &dyn Storage, jobs: &[Job]) -> Result<String, StoreError> {
    let mut out = String::new();
    let by_state: Vec<(String, f64)> = STATES
        .iter()
        .map(|(state, name)| {
            let n = jobs.iter().filter(|j| j.state == *state).count();
            (format!("{{state=\"{name}\"}}"), n as f64)
        })
        .collect();
    metric(
        &mut out,
        "claimcheck_jobs",
        "gauge",
        "Jobs in the queue by state.",
        &by_state,
    );
    let claims = store.claims()?;
    let mut checks = [0u64; 6];
    let mut last = None;
    let mut latest = Vec::with_capacity(claims.len());
    for claim in &claims {
        let mut claim_last = None;
        for record in store.history(&claim.id)? {
            let i = Grade::ALL
                .iter()
                .position(|g| *g == record.verdict.grade)
                .unwrap_or(5);
            checks[i] += 1;
            claim_last = claim_last.max(Some(record.checked_at));
        }
        last = last.max(claim_last);
        latest.push((claim.id.as_str(), claim_last));
    }
    let dead = dead_of_stored_claims(jobs, latest);
    metric(
        &mut out,
        "claimcheck_dead_jobs",
        "gauge",
        "Jobs that gave up, of claims still stored and not checked since.",
        &[(String::new(), dead as f64)],
    );
    metric(
        &mut out,
        "claimcheck_claims",
        "gauge",
        "Stored claims.",
        &[(String::new(), claims.len() as f64)],
    );
    let by_verdict: Vec<(String, f64)> = Grade::ALL
        .iter()
        .zip(checks)
        .map(|(g, n)| (format!("{{verdict=\"{g}\"}}"), n as f64))
        .collect();
    metric(
        &mut out,
        // A gauge: removing a claim removes its checks (as a counter it went down, which
        // Prometheus' rate() reads as a reset).
        "claimcheck_checks_stored",
        "gauge",
        "Stored checks by verdict (claims removed take theirs along).",
        &by_verdict,
    );
    let last = last.map_or(0.0, |t| t.timestamp() as f64);
    metric(
        &mut out,
        "claimcheck_last_check_timestamp_seconds",
        "gauge",
        "When the newest stored check ran (0: never).",
        &[(String::new(), last)],
    );
    render_counters(&mut out);
    Ok(out)
}

fn render_counters(out: &mut String) {
    let (requests, errors, latency, retries, hits) = counters();
    let src = "{source=\"worldbank\"}".to_string();
    metric(
        out,
        "claimcheck_upstream_requests_total",
        "counter",
        "Upstream HTTP requests (attempts) by source, since start.",
        &[(src.clone(), requests as f64)],
    );
    metric(
        out,
        "claimcheck_upstream_errors_total",
        "counter",
        "Upstream attempts that failed, since start.",
        &[(src.clone(), errors as f64)],
    );
    metric(
        out,
        "claimcheck_upstream_request_duration_seconds_sum",
        "counter",
        "Total upstream request time, since start.",
        &[(src.clone(), latency)],
    );
    metric(
        out,
        "claimcheck_upstream_request_duration_seconds_count",
        "counter",
        "Upstream requests timed, since start.",
        &[(src, requests as f64)],
    );
    metric(
        out,
        "claimcheck_upstream_retries_total",
        "counter",
        "Upstream requests retried, since start.",
        &[(String::new(), retries as f64)],
    );
    metric(
        out,
        "claimcheck_country_cache_hits_total",
        "counter",
        "Country lists served from the sled cache, since start.",
        &[(String::new(), hits as f64)],
    );
}
