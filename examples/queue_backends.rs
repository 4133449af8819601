//! Jobs per second through the durable queue on each backend, with 1, 2 and 4 workers:
//! enqueue N jobs, then each worker takes a batch, writes a verdict for each job and
//! finishes the batch in one transaction, until the queue is empty. No HTTP: this measures
//! the queue and the store, the part several daemons share. Then the end-to-end verify of
//! `--claims` claims (10,000) on each backend, the way the CLI runs it: store the claims with
//! their jobs, then one in-process drain (HTTP to the local stand-in, rules, verdicts).
//!
//! ```sh
//! CLAIMCHECK_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo run --release --example queue_backends -- --jobs 2000 --claims 10000
//! ```
//!
//! sled runs in a temp directory (one process, its workers are threads); PostgreSQL runs in a
//! fresh schema of `CLAIMCHECK_BENCH_POSTGRES_URL`, dropped afterwards, each worker with a
//! store (connections) of its own, as separate daemons would have. Without the variable only
//! sled is measured, and the output says so.

#[path = "../tests/common/standin.rs"]
mod standin;

use std::time::Instant;

use chrono::Utc;
use claimcheck::app::App;
use claimcheck::claim::country::Countries;
use claimcheck::claim::{Claim, ClaimSpec};
use claimcheck::config::{Config, QueueConfig};
use claimcheck::queue::{Priority, Queue};
use claimcheck::store::{self, Store};
use claimcheck::verify::{Grade, Verdict};

const BATCH: usize = 10;

#[tokio::main]
async fn main() {
    let jobs = number_arg("--jobs").unwrap_or(2000);
    let claims = number_arg("--claims").unwrap_or(10_000);
    let postgres = std::env::var("CLAIMCHECK_BENCH_POSTGRES_URL").ok();
    println!("queue throughput, {jobs} jobs, batches of {BATCH} (take, verdict, finish)");
    println!("{:<12} {:>9} {:>9} {:>9}", "backend", "1 worker", "2", "4");
    let dir = tempfile::tempdir().expect("a temp dir");
    let sled_row: Vec<f64> = [1, 2, 4]
        .iter()
        .map(|&workers| {
            let path = dir.path().join(format!("sled-{workers}"));
            let store = store::open(&path).expect("a sled database");
            run(&vec![store; workers], jobs)
        })
        .collect();
    print_row("sled", &sled_row);
    let Some(url) = postgres else {
        println!("postgresql   (not measured: set CLAIMCHECK_BENCH_POSTGRES_URL)");
        verify_row("sled", &dir.path().join("verify").to_string_lossy(), claims).await;
        return;
    };
    let pg_row: Vec<f64> = [1, 2, 4]
        .iter()
        .map(|&workers| {
            let schema = format!("bench_{}_{workers}", std::process::id());
            let glue = if url.contains('?') { '&' } else { '?' };
            let location = format!("{url}{glue}schema={schema}");
            let stores: Vec<Store> = (0..workers)
                .map(|_| store::open(location.as_ref()).expect("PostgreSQL reachable"))
                .collect();
            let rate = run(&stores, jobs);
            drop(stores);
            if let Err(e) = store::postgres::drop_schema(&location) {
                eprintln!("could not drop schema {schema}: {e}");
            }
            rate
        })
        .collect();
    print_row("postgresql", &pg_row);
    println!("\nend-to-end verify of {claims} claims (store, queue, HTTP to the stand-in, rules, verdicts)");
    verify_row("sled", &dir.path().join("verify").to_string_lossy(), claims).await;
    let schema = format!("bench_verify_{}", std::process::id());
    let glue = if url.contains('?') { '&' } else { '?' };
    let location = format!("{url}{glue}schema={schema}");
    verify_row("postgresql", &location, claims).await;
    if let Err(e) = store::postgres::drop_schema(&location) {
        eprintln!("could not drop schema {schema}: {e}");
    }
}

fn number_arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

/// Homicide-rate claims over ten countries and twenty years (as `examples/bench.rs`).
fn bench_claims(n: usize) -> Vec<Claim> {
    let countries = [
        "SLV", "HND", "GTM", "MEX", "JAM", "COL", "VEN", "BRA", "USA", "ZAF",
    ];
    (0..n)
        .map(|i| {
            let mut c = ClaimSpec::new(format!("c{i}"), format!("claim {i}"));
            c.indicator = Some(standin::HOMICIDE.into());
            c.country = Some(countries[i % countries.len()].into());
            c.year = Some(2000 + (i % 20) as i32);
            c.value = Some(10.0 + (i % 90) as f64);
            c.validate(Countries::shared()).expect("a valid claim")
        })
        .collect()
}

/// Stores `n` claims with their jobs in the database at `location`, then drains the queue
/// in-process; prints both rates.
async fn verify_row(name: &str, location: &str, n: usize) {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(standin::StandIn::new())
        .mount(&server)
        .await;
    let mut config = Config::default();
    config.worldbank.base_url = format!("{}/v2", server.uri());
    let store = store::open(location.as_ref()).expect("the database opens");
    let app = App::start(store, config, Utc::now()).await.expect("app");
    let started = Instant::now();
    app.add(bench_claims(n), Utc::now()).await.expect("add");
    let stored = started.elapsed().as_secs_f64();
    let started = Instant::now();
    app.drain(Utc::now(), &mut |_| {}).await.expect("drain");
    let drained = started.elapsed().as_secs_f64();
    println!(
        "{name:<12} store {n} claims + jobs {stored:.1} s ({:.0}/s), verify {drained:.1} s ({:.0} claims/s)",
        n as f64 / stored,
        n as f64 / drained
    );
}

fn print_row(name: &str, rates: &[f64]) {
    let cells: Vec<String> = rates.iter().map(|r| format!("{r:>7.0}/s")).collect();
    println!("{name:<12} {}", cells.join(" "));
}

/// Enqueues `jobs` jobs, drains them with one worker thread per store; jobs per second
/// of the drain.
fn run(stores: &[Store], jobs: usize) -> f64 {
    let config = QueueConfig::default();
    let queue = Queue::new(stores[0].clone(), config.clone());
    let ids: Vec<String> = (0..jobs).map(|n| format!("bench-{n}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    for chunk in refs.chunks(500) {
        queue
            .enqueue_all(chunk, Priority::User, Utc::now())
            .expect("enqueue");
    }
    let started = Instant::now();
    let workers: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(n, store)| {
            let queue = Queue::new(store.clone(), config.clone());
            std::thread::spawn(move || drain(&queue, &format!("w{n}")))
        })
        .collect();
    let done: usize = workers.into_iter().map(|w| w.join().expect("worker")).sum();
    assert_eq!(done, jobs, "every job finished once");
    done as f64 / started.elapsed().as_secs_f64()
}

/// Takes and finishes batches until none is due; how many jobs it finished.
fn drain(queue: &Queue, worker: &str) -> usize {
    let verdict = Verdict {
        grade: Grade::True,
        explanation: "benchmark".into(),
        evidence: Default::default(),
    };
    let mut done = 0;
    loop {
        let now = Utc::now();
        let batch = queue.take(worker, BATCH, now).expect("take");
        if batch.is_empty() {
            return done;
        }
        let outcomes: Vec<_> = batch
            .into_iter()
            .map(|job| (job, Ok(verdict.clone())))
            .collect();
        let finished = queue.finish(&outcomes, now).expect("finish");
        done += finished.iter().flatten().count();
    }
}
