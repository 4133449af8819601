//! Prints throughput figures (release build recommended):
//! `cargo run --release --example bench`
//!
//! - sentence parsing over the 274-sentence development set
//! - verdict rules on one series
//! - an end-to-end batch: 500 claims, HTTP to the local World Bank stand-in, sled history
//! - the queue: enqueue, take and finish 500 jobs

#[path = "../tests/common/standin.rs"]
mod standin;

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use claimcheck::app::App;
use claimcheck::check::Checker;
use claimcheck::claim::country::Countries;
use claimcheck::claim::indicator::IndicatorTable;
use claimcheck::claim::sentence::SentenceParser;
use claimcheck::claim::{Claim, ClaimSpec};
use claimcheck::config::Config;
use claimcheck::queue::{Priority, Queue};
use claimcheck::source::worldbank::WorldBank;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

fn rate(n: usize, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    format!("{n} in {:.3} s = {:.0}/s", secs, n as f64 / secs)
}

fn claims(n: usize) -> Vec<Claim> {
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
            c.validate(Countries::shared()).unwrap()
        })
        .collect()
}

#[tokio::main]
async fn main() {
    // Sentences.
    let text =
        std::fs::read_to_string(standin::fixtures().join("../claim_text/sentences.toml")).unwrap();
    let sentences: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("text = \"")
                .and_then(|l| l.strip_suffix('"'))
                .map(str::to_string)
        })
        .collect();
    let parser = SentenceParser::new(&Countries::embedded(), IndicatorTable::embedded());
    let as_of = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        for s in &sentences {
            let _ = parser.parse(s, as_of);
        }
    }
    println!(
        "sentence parsing: {}",
        rate(rounds * sentences.len(), started)
    );

    // End to end over HTTP and sled.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(standin::StandIn::new())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.worldbank.base_url = format!("{}/v2", server.uri());
    let store = claimcheck::store::open(&dir.path().join("db")).unwrap();
    let app = App::start(store.clone(), config.clone(), Utc::now())
        .await
        .unwrap();
    let batch = claims(500);
    let ids: Vec<String> = batch.iter().map(|c| c.id.clone()).collect();
    let started = Instant::now();
    app.add(batch.clone(), Utc::now()).await.unwrap();
    println!(
        "store 500 claims, each with a queued job (flushed): {}",
        rate(batch.len(), started)
    );
    let started = Instant::now();
    let jobs: Vec<u64> = app
        .verify(ids, Utc::now())
        .await
        .unwrap()
        .iter()
        .map(|e| e.job.id)
        .collect();
    app.drain(Utc::now(), &mut |_| {}).await.unwrap();
    let results = app.results(jobs).await.unwrap();
    let requests = server.received_requests().await.unwrap_or_default().len();
    println!(
        "end-to-end verify (store + queue + HTTP + rules + verdicts, flushed): {} ({requests} HTTP requests, {} verdicts)",
        rate(batch.len(), started),
        results.iter().filter(|r| r.outcome().is_ok()).count()
    );

    // Rules alone: the same batch judged again without history writes (country list cached).
    let checker = Checker::new(WorldBank::new(&config.worldbank).unwrap(), config.clone());
    let started = Instant::now();
    let judged = checker
        .evaluate(&store, &batch, Utc::now(), &mut |_| {})
        .await
        .unwrap();
    println!(
        "evaluate again (fetch + rules, no history writes): {}",
        rate(judged.len(), started)
    );

    // Queue.
    let queue = Queue::new(store.clone(), config.queue.clone());
    let verdict = store.latest_verdict(&batch[0].id).unwrap().unwrap().verdict;
    let started = Instant::now();
    for c in &batch {
        queue.enqueue(&c.id, Priority::User, Utc::now()).unwrap();
    }
    let mut done = 0;
    loop {
        let jobs = queue.take("bench", 100, Utc::now()).unwrap();
        if jobs.is_empty() {
            break;
        }
        let outcomes: Vec<_> = jobs.into_iter().map(|j| (j, Ok(verdict.clone()))).collect();
        done += queue.finish(&outcomes, Utc::now()).unwrap().len();
    }
    store.flush().unwrap();
    println!(
        "queue (enqueue + take + transactional finish with a verdict, batches of 100): {}",
        rate(done, started)
    );
}
