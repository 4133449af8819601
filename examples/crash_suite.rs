//! Crash suite: runs the real `claimcheck daemon` against a slow local World Bank stand-in,
//! imports claims live through its Unix-socket API, SIGKILLs it at random (seeded) points
//! and restarts it, cycle after cycle; then lets it drain, checks SIGTERM under load, and
//! reads the database to count what happened.
//!
//! ```sh
//! cargo build --release && cargo run --release --example crash_suite -- --cycles 100 --claims 300
//! ```
//!
//! Options: `--cycles N` (100), `--claims N` (300), `--seed N` (1), `--delay-ms N` (stand-in
//! delay per answer, 400), `--max-attempts N` (queue attempts, 5). Uses the `claimcheck`
//! binary beside this example's own target directory (`target/<profile>/claimcheck`).
//!
//! Prints cycles, kills, claims acknowledged, jobs, verdicts, lost (acknowledged claims with
//! neither a verdict nor a dead job), duplicated (more verdicts than succeeded jobs), dead
//! jobs and their reasons, start-up failures, and the SIGTERM exit. Exits 1 when anything
//! was lost or duplicated, a start failed, or SIGTERM was not graceful.

#[path = "../tests/common/standin.rs"]
mod standin;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use claimcheck::config::Config;
use claimcheck::queue::{JobState, Queue};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

struct Options {
    cycles: usize,
    claims: usize,
    seed: u64,
    delay_ms: u64,
    max_attempts: u32,
}

fn options() -> Options {
    let mut o = Options {
        cycles: 100,
        claims: 300,
        seed: 1,
        delay_ms: 400,
        max_attempts: 5,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = |p: &[String]| -> u64 {
            p.get(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| fail(&format!("{} needs a number", p[0])))
        };
        match pair[0].as_str() {
            "--cycles" => o.cycles = value(pair) as usize,
            "--claims" => o.claims = value(pair) as usize,
            "--seed" => o.seed = value(pair),
            "--delay-ms" => o.delay_ms = value(pair),
            "--max-attempts" => o.max_attempts = value(pair) as u32,
            other => fail(&format!(
                "unknown option {other}; use --cycles, --claims, --seed, --delay-ms, --max-attempts"
            )),
        }
    }
    o
}

fn fail(message: &str) -> ! {
    eprintln!("crash_suite: {message}");
    std::process::exit(2)
}

/// xorshift64*: a seeded, dependency-free generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Claims over the stand-in's homicide series: every listed economy, years 2015 back.
fn claims(count: usize) -> Vec<Value> {
    standin::many_claims("crash", count, 1990)
}

/// One HTTP request over the daemon's Unix socket; the status code, or `None` when the
/// connection failed or the answer was cut (the daemon died).
fn request(socket: &Path, method: &str, path: &str, body: Option<&Value>) -> Option<u16> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let (_, payload) = answer.split_once("\r\n\r\n")?;
    // The body is complete when the daemon wrote it all (it sets Content-Length).
    let complete = answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().ok())
        })
        .flatten()
        .is_none_or(|n| payload.len() >= n);
    complete.then_some(status)
}

struct Suite {
    binary: PathBuf,
    config_path: PathBuf,
    db: PathBuf,
    socket: PathBuf,
    start_failures: usize,
}

impl Suite {
    fn spawn(&mut self) -> Child {
        loop {
            let mut child = Command::new(&self.binary)
                .env("CLAIMCHECK_DB", &self.db)
                .env_remove("CLAIMCHECK_WORLDBANK_URL")
                .env("RUST_LOG", "error")
                .arg("--config")
                .arg(&self.config_path)
                .arg("daemon")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", self.binary.display())));
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                if request(&self.socket, "GET", "/healthz", None) == Some(200) {
                    return child;
                }
                if let Ok(Some(status)) = child.try_wait() {
                    eprintln!("start-up failure: daemon exited with {status}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            self.start_failures += 1;
            let _ = child.kill();
            let _ = child.wait();
            if self.start_failures > 10 {
                fail("the daemon failed to start more than 10 times");
            }
        }
    }
}

fn main() {
    let opts = options();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(standin::StandIn::new().with_delay(Duration::from_millis(opts.delay_ms)))
            .mount(&server)
            .await;
        server
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let exe = std::env::current_exe().unwrap();
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("claimcheck"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| {
            fail("build the binary first: cargo build --release (or cargo build for a debug run)")
        });
    let mut config = Config::default();
    config.worldbank.base_url = format!("{}/v2", server.uri());
    config.worldbank.retry_base_ms = 10;
    config.worldbank.retry_max_ms = 100;
    config.worldbank.timeout_secs = 10;
    config.queue.poll_ms = 50;
    config.queue.batch_size = 2;
    config.queue.max_attempts = opts.max_attempts;
    config.queue.retry_base_secs = 1;
    config.queue.retry_max_secs = 2;
    config.daemon.grace_secs = Some(5);
    config.db = Some(db.clone());
    let config_path = dir.path().join("claimcheck.toml");
    std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();
    let mut suite = Suite {
        binary,
        config_path,
        socket: claimcheck::daemon::socket_path(&config, &db),
        db: db.clone(),
        start_failures: 0,
    };

    let all = claims(opts.claims);
    if all.len() < opts.claims {
        eprintln!("note: the stand-in lists claims for {} only", all.len());
    }
    // Imports come in chunks over the first half of the cycles, each racing a kill.
    let chunks: Vec<Vec<Value>> = all
        .chunks(all.len().div_ceil((opts.cycles / 2).max(1)).max(1))
        .map(<[Value]>::to_vec)
        .collect();
    let mut next_chunk = 0;
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut rng = Rng(opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut kills_mid_import = 0;
    let mut kills_with_work = 0;
    let started = Instant::now();
    let mut daemon = suite.spawn();
    for cycle in 0..opts.cycles {
        let import = chunks.get(next_chunk).cloned().map(|chunk| {
            let socket = suite.socket.clone();
            std::thread::spawn(move || {
                let status = request(
                    &socket,
                    "POST",
                    "/claims",
                    Some(&json!({ "claims": chunk })),
                );
                (chunk, status)
            })
        });
        std::thread::sleep(Duration::from_millis(rng.below(1250)));
        if jobs_pending(&suite.socket).is_some_and(|n| n > 0) {
            kills_with_work += 1;
        }
        daemon.kill().unwrap(); // SIGKILL
        daemon.wait().unwrap();
        if let Some(import) = import {
            let (chunk, status) = import.join().unwrap();
            if status == Some(201) {
                acknowledged.extend(chunk.iter().map(|c| c["id"].as_str().unwrap().to_string()));
                next_chunk += 1;
            } else {
                kills_mid_import += 1; // not acknowledged: sent again next cycle
            }
        }
        daemon = suite.spawn();
        if (cycle + 1) % 10 == 0 {
            eprintln!(
                "cycle {}/{}: {} claims acknowledged",
                cycle + 1,
                opts.cycles,
                acknowledged.len()
            );
        }
    }
    // Whatever was not imported yet goes in now, without kills.
    for chunk in &chunks[next_chunk.min(chunks.len())..] {
        if request(
            &suite.socket,
            "POST",
            "/claims",
            Some(&json!({ "claims": chunk })),
        ) == Some(201)
        {
            acknowledged.extend(chunk.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        }
    }
    // Drain: wait until no job is queued, running or retrying (or 5 minutes pass).
    let drain_started = Instant::now();
    loop {
        let mut stream_ok = false;
        if let Some(200) = request(&suite.socket, "GET", "/healthz", None) {
            stream_ok = true;
        }
        let pending = jobs_pending(&suite.socket);
        if stream_ok && pending == Some(0) || drain_started.elapsed() > Duration::from_secs(300) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let drain_secs = drain_started.elapsed().as_secs_f64();

    // SIGTERM under load: new work for the worker, then a graceful stop.
    let load: Vec<Value> = claims(opts.claims + 120).split_off(opts.claims);
    let _ = request(
        &suite.socket,
        "POST",
        "/claims",
        Some(&json!({ "claims": load })),
    );
    std::thread::sleep(Duration::from_millis(300));
    let term_started = Instant::now();
    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    let term_status = daemon.wait().unwrap();
    let term_ms = term_started.elapsed().as_millis();
    let graceful = term_status.success() && term_ms <= 5_000 + 1_000;

    // Count, from the database itself.
    let store = claimcheck::store::open(&db)
        .unwrap_or_else(|e| fail(&format!("cannot open the database: {e}")));
    let queue = Queue::new(store.clone(), config.queue.clone());
    let jobs = queue.list(None).unwrap();
    let mut by_claim: BTreeMap<&str, Vec<&claimcheck::queue::Job>> = BTreeMap::new();
    for job in &jobs {
        by_claim.entry(job.claim_id.as_str()).or_default().push(job);
    }
    let (mut verdicts, mut lost, mut duplicated, mut dead_claims) = (0, 0, 0, 0);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for id in &acknowledged {
        let history = store.history(id).unwrap().len();
        verdicts += history;
        let jobs = by_claim.get(id.as_str()).cloned().unwrap_or_default();
        let succeeded = jobs
            .iter()
            .filter(|j| j.state == JobState::Succeeded)
            .count();
        let dead: Vec<_> = jobs.iter().filter(|j| j.state == JobState::Dead).collect();
        if history > succeeded.max(1) {
            duplicated += 1;
        }
        if history == 0 {
            if dead.is_empty() {
                lost += 1;
                eprintln!(
                    "lost: {id} (jobs: {:?})",
                    jobs.iter()
                        .map(|j| (&j.state, j.attempts))
                        .collect::<Vec<_>>()
                );
            } else {
                dead_claims += 1;
            }
        }
    }
    let dead_jobs = jobs.iter().filter(|j| j.state == JobState::Dead).count();
    for job in jobs.iter().filter(|j| j.state == JobState::Dead) {
        let reason = job.last_error.clone().unwrap_or_default();
        *reasons
            .entry(reason.chars().take(90).collect())
            .or_default() += 1;
    }
    println!(
        "crash suite (seed {}, stand-in delay {} ms)",
        opts.seed, opts.delay_ms
    );
    println!("  cycles (SIGKILL + restart)   {}", opts.cycles);
    println!("  kills with jobs pending      {kills_with_work}");
    println!("  kills during an import       {kills_mid_import} (not acknowledged, sent again)");
    println!(
        "  claims acknowledged          {} of {}",
        acknowledged.len(),
        all.len()
    );
    let claim_jobs: usize = acknowledged
        .iter()
        .map(|id| by_claim.get(id.as_str()).map_or(0, Vec::len))
        .sum();
    println!(
        "  jobs (acknowledged claims)   {claim_jobs} ({} in all, with the SIGTERM load)",
        jobs.len()
    );
    println!("  verdicts                     {verdicts}");
    println!("  lost                         {lost}");
    println!("  duplicated                   {duplicated}");
    println!("  dead jobs                    {dead_jobs} ({dead_claims} claims without a verdict, each with a dead job)");
    for (reason, n) in &reasons {
        println!("      {n:>4} × {reason}");
    }
    println!("  start-up failures            {}", suite.start_failures);
    println!("  drain after the last kill    {drain_secs:.1} s");
    println!(
        "  SIGTERM under load           exit {:?} after {term_ms} ms (grace 5 s){}",
        term_status.code(),
        if graceful { "" } else { "  NOT GRACEFUL" }
    );
    println!(
        "  total                        {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if lost > 0 || duplicated > 0 || suite.start_failures > 0 || !graceful {
        std::process::exit(1);
    }
}

/// Jobs queued, running or retrying, from `GET /jobs`.
fn jobs_pending(socket: &Path) -> Option<usize> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream
        .write_all(b"GET /jobs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    let jobs: Vec<Value> = serde_json::from_str(body).ok()?;
    Some(
        jobs.iter()
            .filter(|j| matches!(j["state"].as_str(), Some("queued" | "running" | "retrying")))
            .count(),
    )
}
