//! Watchdog for the old hang (issue 9): sled 0.34 deadlocked when several writers flushed at
//! once, and the daemon stopped answering even `/healthz` (7 of 9 runs at 8 clients, 2 of 2
//! at 16). Here the real daemon binary takes 5,000 claims from 16 concurrent clients over its
//! Unix socket while its worker verifies them against the local stand-in, and a 17th client
//! asks `/healthz` throughout.
//!
//! Asserted: every health call is answered within [`HEALTH_TIMEOUT`] and every POST and
//! `/metrics` call within [`CALL_TIMEOUT`] (a hang shows as a timeout, never as a slow
//! figure), every POST is acknowledged, and every claim ends with a verdict. With sled's
//! concurrent flushes put back (one `flush_async` per writer instead of the flusher thread)
//! this test failed in its first run: the writes were never answered. Printed (never asserted): p50/p99/max health latency, calls, and the run time.
//!
//! `CLAIMCHECK_WATCHDOG_RUNS` (default 2) repeats the scenario, each time on a fresh
//! database and daemon; `CLAIMCHECK_WATCHDOG_CLAIMS` (default 5000) and
//! `CLAIMCHECK_WATCHDOG_CLIENTS` (default 16) change its size. A long run:
//! `CLAIMCHECK_WATCHDOG_RUNS=20 cargo test --release --test watchdog -- --nocapture`.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{standin, TestApp};
use serde_json::{json, Value};

/// A health call not answered within this is a hang.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for all claims to have a verdict (a hang fails here, not the CI's timeout).
const DRAIN_LIMIT: Duration = Duration::from_secs(600);
/// A write or a `/metrics` call not answered within this is a hang.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Claims per POST.
const CHUNK: usize = 5;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Claims over the stand-in's homicide series: every listed economy, years 2015 back.
fn claims(count: usize) -> Vec<Value> {
    let out = standin::many_claims("wd", count, 1960);
    assert_eq!(
        out.len(),
        count,
        "the stand-in has enough economies and years"
    );
    out
}

/// One HTTP/1.1 request over the Unix socket with `timeout` for the whole answer; the
/// status and body, or why there was none.
fn request(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut stream = UnixStream::connect(socket).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("no answer within {timeout:?}: {e}"))?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not HTTP: {answer:?}"))?;
    let payload = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, p)| p)
        .to_string();
    Ok((status, payload))
}

/// The value of a metric line such as `claimcheck_jobs{state="succeeded"} 12`.
fn metric(text: &str, name: &str) -> usize {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as usize
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn spawn(app: &TestApp, socket: &Path) -> Self {
        let log = app.dir.path().join("daemon.log");
        let child = Command::new(assert_cmd::cargo::cargo_bin("claimcheck"))
            .env("CLAIMCHECK_DB", app.db())
            .env_remove("CLAIMCHECK_WORLDBANK_URL")
            .env_remove("CLAIMCHECK_OWID_URL")
            .env("RUST_LOG", "warn")
            .arg("--config")
            .arg(app.config_path())
            .arg("daemon")
            .stdout(Stdio::null())
            // A file, not a pipe nobody reads: a full pipe would block the daemon itself.
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut daemon = Self { child, log };
        let started = Instant::now();
        while request(socket, "GET", "/healthz", None, HEALTH_TIMEOUT).map(|r| r.0) != Ok(200) {
            if started.elapsed() > Duration::from_secs(30) {
                daemon.fail("the daemon did not answer within 30 s of starting");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// Panics with the daemon's log after killing it (so a hang never outlives the test).
    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: String = log.lines().rev().take(40).collect::<Vec<_>>().join("\n");
        panic!("{why}\n--- daemon log (last lines, newest first) ---\n{tail}");
    }

    /// SIGTERM and a clean exit.
    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        if !status.success() {
            self.fail(&format!("daemon exit status {status:?} after SIGTERM"));
        }
    }
}

struct Figures {
    calls: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    ingest: Duration,
    total: Duration,
}

async fn one_run(run: usize, count: usize, clients: usize) -> Figures {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.queue.poll_ms = 50;
    config.queue.batch_size = 100;
    config.queue.max_attempts = 10;
    config.daemon.grace_secs = Some(5);
    app.write_config(&config);
    let socket = app.db().with_file_name("db.sock");
    let all = claims(count);

    // The stand-in runs on this test's runtime; everything below blocks, so it goes to a
    // thread of its own.
    tokio::task::spawn_blocking(move || {
        let mut daemon = Daemon::spawn(&app, &socket);
        let started = Instant::now();
        let done = Arc::new(AtomicBool::new(false));
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let health = {
            let (socket, done, latencies) = (socket.clone(), done.clone(), latencies.clone());
            std::thread::spawn(move || -> Result<(), String> {
                while !done.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    match request(&socket, "GET", "/healthz", None, HEALTH_TIMEOUT) {
                        Ok((200, _)) => latencies.lock().unwrap().push(asked.elapsed()),
                        Ok((status, body)) => return Err(format!("/healthz: {status} {body}")),
                        Err(e) => return Err(format!("/healthz: {e}")),
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(())
            })
        };

        let per_client = all.len().div_ceil(clients);
        let writers: Vec<_> = all
            .chunks(per_client)
            .map(|share| {
                let (socket, share) = (socket.clone(), share.to_vec());
                std::thread::spawn(move || -> Result<(), String> {
                    for chunk in share.chunks(CHUNK) {
                        let body = json!({ "claims": chunk });
                        match request(&socket, "POST", "/claims", Some(&body), CALL_TIMEOUT) {
                            Ok((201, _)) => {}
                            Ok((status, body)) => return Err(format!("POST: {status} {body}")),
                            Err(e) => return Err(format!("POST /claims: {e}")),
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        // Watch the health checker while the clients write: a hang fails within
        // HEALTH_TIMEOUT, not when the writers give up.
        while !writers.iter().all(|w| w.is_finished()) && !health.is_finished() {
            std::thread::sleep(Duration::from_millis(20));
        }
        if health.is_finished() {
            let why = health.join().unwrap().err().unwrap_or_default();
            daemon.fail(&format!(
                "run {run}: the daemon stopped answering while clients wrote: {why}"
            ));
        }
        for writer in writers {
            if let Err(e) = writer.join().unwrap() {
                done.store(true, Ordering::Relaxed);
                daemon.fail(&format!("run {run}: a client's write failed: {e}"));
            }
        }
        let ingest = started.elapsed();

        // Every claim ends with a verdict (its job succeeded); none died.
        loop {
            if health.is_finished() {
                break;
            }
            let metrics = request(&socket, "GET", "/metrics", None, CALL_TIMEOUT);
            let Ok((200, text)) = metrics else {
                daemon.fail(&format!("run {run}: /metrics: {metrics:?}"));
            };
            let succeeded = metric(&text, "claimcheck_jobs{state=\"succeeded\"}");
            let dead = metric(&text, "claimcheck_dead_jobs");
            if dead > 0 {
                daemon.fail(&format!("run {run}: {dead} dead jobs"));
            }
            if succeeded == count {
                break;
            }
            if started.elapsed() > DRAIN_LIMIT {
                daemon.fail(&format!(
                    "run {run}: {succeeded} of {count} claims verified after {DRAIN_LIMIT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let total = started.elapsed();
        done.store(true, Ordering::Relaxed);
        if let Err(e) = health.join().unwrap() {
            daemon.fail(&format!("run {run}: the daemon stopped answering: {e}"));
        }
        let (status, body) = request(&socket, "GET", "/claims", None, CALL_TIMEOUT).unwrap();
        assert_eq!(status, 200);
        let listed: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(listed.len(), count, "run {run}: every claim stored");
        let without: Vec<&Value> = listed
            .iter()
            .filter(|c| c["latest"].is_null())
            .map(|c| &c["claim"]["id"])
            .collect();
        if !without.is_empty() {
            daemon.fail(&format!(
                "run {run}: {} claims without a verdict, e.g. {:?}",
                without.len(),
                &without[..without.len().min(5)]
            ));
        }
        daemon.stop();
        drop(app);

        let mut sorted = std::mem::take(&mut *latencies.lock().unwrap());
        sorted.sort();
        Figures {
            calls: sorted.len(),
            p50: percentile(&sorted, 0.50),
            p99: percentile(&sorted, 0.99),
            max: sorted.last().copied().unwrap_or_default(),
            ingest,
            total,
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_keeps_answering_while_16_clients_write_and_the_worker_verifies() {
    let runs = env_number("CLAIMCHECK_WATCHDOG_RUNS", 2).max(1);
    let count = env_number("CLAIMCHECK_WATCHDOG_CLAIMS", 5000).max(1);
    let clients = env_number("CLAIMCHECK_WATCHDOG_CLIENTS", 16).max(1);
    let started = Instant::now();
    let mut all = Vec::new();
    for run in 1..=runs {
        let f = one_run(run, count, clients).await;
        eprintln!(
            "watchdog run {run}/{runs}: {count} claims from {clients} clients, {} health calls: \
             p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; written in {:.1} s, all verified in {:.1} s",
            f.calls,
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3,
            f.max.as_secs_f64() * 1e3,
            f.ingest.as_secs_f64(),
            f.total.as_secs_f64(),
        );
        all.push(f);
    }
    let worst = |pick: fn(&Figures) -> Duration| {
        all.iter().map(pick).max().unwrap_or_default().as_secs_f64() * 1e3
    };
    eprintln!(
        "watchdog: {runs} runs, no hang; worst p50 {:.1} ms, worst p99 {:.1} ms, max {:.1} ms; {:.1} s in all",
        worst(|f| f.p50),
        worst(|f| f.p99),
        worst(|f| f.max),
        started.elapsed().as_secs_f64()
    );
}
