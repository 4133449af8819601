//! The benchmark of issue 10: every row of its table, each beside a baseline measured in the
//! same run, at the issue's scale by default.
//!
//! ```sh
//! cargo run --release --example bench                      # 20 × 200 × 30, 10,000 claims, 50 ms
//! cargo run --release --example bench -- --help            # flags change the scale
//! ```
//!
//! It starts its own World Bank stand-in (`standin.rs`: generated data, a fixed latency per
//! answer) and has it render every answer once in an untimed warm-up (a real server's CPU is
//! not ours). Then it measures: a cold `verify --all` the way the CLI runs it without a
//! daemon (queue, worker steps, HTTP, rules, verdicts) against the naive
//! one-request-per-claim way; `verify --all` again within the cache's TTL (settled at once)
//! against the same with the cache off; the same claims through a daemon's worker, waited for
//! as the CLI waits; `import` of a claim file with and without a daemon; the queue against raw
//! sled (`queue.rs`); an idle daemon's CPU, sled's own threads told apart; the bytes an
//! unchanged re-check stores; and the cold run again with a zero-latency source. It prints
//! each figure as it goes and a Markdown table at the end. Nothing is asserted.

mod queue;
mod standin;

// As the `claimcheck` binary: the figures are of what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use chrono::Utc;
use claimcheck::api::client::Client;
use claimcheck::app::App;
use claimcheck::check::Checker;
use claimcheck::claim::country::Countries;
use claimcheck::claim::{Claim, ClaimSpec};
use claimcheck::config::Config;
use claimcheck::source::routed::Routed;
use claimcheck::source::worldbank::WorldBank;
use claimcheck::source::{Scope, SeriesRequest, Source};
use claimcheck::verify::Verdict;
use clap::Parser;
use standin::{Data, StandIn};

/// The benchmark's scale.
#[derive(Debug, Parser)]
#[command(
    about = "Measures issue 10's table: verify, re-check, daemon, import, queue, idle CPU, disk"
)]
struct Args {
    /// Indicators the stand-in serves
    #[arg(long, default_value_t = 20)]
    indicators: usize,
    /// Economies the stand-in serves (at most the country table's)
    #[arg(long, default_value_t = 200)]
    economies: usize,
    /// Years per series (ending in 2024)
    #[arg(long, default_value_t = 30)]
    years: usize,
    /// Claims checked
    #[arg(long, default_value_t = 10_000)]
    claims: usize,
    /// The stand-in's answer time, milliseconds
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// Claims the naive baseline really fetches one by one (its time is scaled to --claims)
    #[arg(long, default_value_t = 100)]
    naive_sample: usize,
    /// Queue sizes measured
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    queue_sizes: Vec<usize>,
    /// Seconds the idle daemon's CPU is measured over (in three windows)
    #[arg(long, default_value_t = 30)]
    idle_secs: u64,
    /// Only the import row, this many times (to look into its variance)
    #[arg(long)]
    import_only: Option<usize>,
    /// Only the CLI rows: cold, again within the TTL, disk (to iterate on the verify path)
    #[arg(long)]
    cli_only: bool,
    /// Only `verify --all` again within the TTL, this many times after one cold run (to
    /// look into its variance)
    #[arg(long)]
    again_only: Option<usize>,
    /// Runs of `verify --all` again within the TTL whose median is the row's figure (one
    /// 0.2 s run on a shared 2-core machine varies by ±15%)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    again_runs: u16,
    /// Seconds between the cold run and the first run again within the TTL: the issue's
    /// "again a minute later" (in the first seconds after it, sled is still compacting the
    /// cold run's writes on both cores)
    #[arg(long, default_value_t = 60)]
    again_after: u64,
}

/// One row of the final table.
struct Row {
    path: &'static str,
    measured: String,
    baseline: String,
    wanted: &'static str,
}

/// What a cold run gave, for the rows that compare with it.
#[derive(Clone, Copy)]
struct Run {
    secs: f64,
    requests: usize,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = bench(&args).await {
        eprintln!("bench: {e:#}");
        std::process::exit(1);
    }
}

async fn bench(args: &Args) -> Result<()> {
    if args.claims == 0 || args.indicators == 0 {
        bail!("--claims and --indicators must be at least 1");
    }
    let data =
        Data::generate(args.indicators, args.economies, args.years).map_err(|e| anyhow!(e))?;
    let latency = Duration::from_millis(args.latency_ms);
    let (server, standin) = StandIn::start(data.clone(), latency).await;
    let config = bench_config(&server.uri());
    let specs = claim_specs(&data, args.claims);
    let claims = validate(&specs)?;
    let tmp = tempfile::tempdir().context("temp dir")?;
    println!(
        "bench: {} indicators × {} economies × {} years, {} claims, stand-in answering after {} ms",
        args.indicators, args.economies, args.years, args.claims, args.latency_ms
    );
    let env = Env {
        tmp: tmp.path(),
        config: &config,
        standin: &standin,
        claims: &claims,
    };
    if let Some(times) = args.import_only {
        for run in 0..times {
            let tmp = tempfile::tempdir().context("temp dir")?;
            let env = Env {
                tmp: tmp.path(),
                ..env
            };
            println!(
                "import run {run}: {}",
                import_row(&env, &specs).await?.measured
            );
        }
        return Ok(());
    }
    if let Some(times) = args.again_only {
        return again_only(&env, times, args.again_after).await;
    }
    warm_standin(&env, latency).await?;
    let (cold, verdict, [cold_row, again, disk]) = cli_rows(&env, args).await?;
    if args.cli_only {
        print_table(&[cold_row, again, disk]);
        return Ok(());
    }
    let (daemon, idle) = daemon_rows(&env, cold, args.idle_secs).await?;
    let import = import_row(&env, &specs).await?;
    let queue = queue_row(&args.queue_sizes, &verdict)?;
    standin.set_latency(Duration::ZERO);
    let zero = zero_latency_row(&env, cold, args.latency_ms).await?;
    print_table(&[cold_row, again, daemon, import, queue, idle, disk, zero]);
    Ok(())
}

/// What every measurement shares.
#[derive(Clone, Copy)]
struct Env<'a> {
    tmp: &'a Path,
    config: &'a Config,
    standin: &'a StandIn,
    claims: &'a [Claim],
}

/// Defaults, pointed at the stand-in.
fn bench_config(uri: &str) -> Config {
    let mut config = Config::default();
    config.worldbank.base_url = format!("{uri}/v2");
    config.daemon.grace_secs = Some(5);
    config
}

/// `n` value claims spread over every indicator, economy and year; the claimed values are
/// the data's times 1, 1.02, 1.07, 1.15 or 1.6, so the verdicts vary.
fn claim_specs(data: &Data, n: usize) -> Vec<ClaimSpec> {
    let (ni, ne) = (data.indicators.len(), data.economies.len());
    let span = (data.years.1 - data.years.0 + 1) as usize;
    (0..n)
        .map(|k| {
            let (i, e, round) = (k % ni, (k / ni) % ne, k / (ni * ne));
            let year = data.years.0 + ((round * 7 + e) % span) as i32;
            let factor = [1.0, 1.02, 1.07, 1.15, 1.6][k % 5];
            let value = (data.value(i, e, year) * factor * 100.0).round() / 100.0;
            let economy = &data.economies[e];
            let mut spec = ClaimSpec::new(
                format!("b{k:06}"),
                format!(
                    "{}: bench indicator {i} was {value} in {year}",
                    economy.name
                ),
            );
            spec.indicator = Some(data.indicators[i].clone());
            spec.country = Some(economy.iso3.clone());
            spec.year = Some(year);
            spec.value = Some(value);
            spec
        })
        .collect()
}

fn validate(specs: &[ClaimSpec]) -> Result<Vec<Claim>> {
    specs
        .iter()
        .map(|s| {
            s.clone()
                .validate(Countries::shared())
                .map_err(|e| anyhow!("bench claim {}: {e}", s.id))
        })
        .collect()
}

/// A fresh store with the claims added (their jobs queued).
async fn app_with_claims(env: &Env<'_>, name: &str, config: &Config) -> Result<(App, Vec<u64>)> {
    let store = claimcheck::store::open(&env.tmp.join(name))?;
    let app = App::start(store, config.clone(), Utc::now()).await?;
    let added = app.add(env.claims.to_vec(), Utc::now()).await?;
    let jobs = added
        .iter()
        .filter_map(|a| a.job.as_ref().map(|j| j.id))
        .collect();
    Ok((app, jobs))
}

/// `verify --all` as the CLI runs it without a daemon: queue every claim (settling at once
/// those a check could not answer differently), drain, results.
/// Returns the seconds taken and the claims that got a verdict.
async fn verify_all(app: &App) -> Result<(f64, usize)> {
    if std::env::var_os("BENCH_MARKS").is_some() {
        println!("  verify --all starts"); // for profiling one phase: `perf record -p` from here
    }
    let started = Instant::now();
    // As the CLI does: requests settled at once come with their results; the rest are run.
    let (settled, open): (Vec<_>, Vec<_>) = app
        .verify_all(Utc::now())
        .await?
        .into_iter()
        .partition(|v| v.result.is_some());
    let open: Vec<u64> = open.iter().map(|v| v.job.id).collect();
    let queued = started.elapsed().as_secs_f64();
    let results = app.settle(open, Utc::now(), &mut |_| {}).await?;
    let drained = started.elapsed().as_secs_f64();
    let verdicts = settled
        .iter()
        .filter_map(|v| v.result.as_deref())
        .chain(&results)
        .filter(|r| r.outcome().is_ok())
        .count();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  where the time went: list and queue {:.3} s, checks and results {:.3} s",
        queued,
        drained - queued,
    );
    Ok((secs, verdicts))
}

/// Has the stand-in render every answer once, before anything is timed: a real server
/// spends that CPU on its own machines, while the stand-in shares this one. The client side
/// of the later cold runs stays cold (a new store, a new client, no cache).
async fn warm_standin(env: &Env<'_>, latency: Duration) -> Result<()> {
    let started = Instant::now();
    env.standin.set_latency(Duration::ZERO);
    let (app, _) = app_with_claims(env, "warm-up", env.config).await?;
    verify_all(&app).await?;
    drop(app);
    std::fs::remove_dir_all(env.tmp.join("warm-up")).context("removing the warm-up store")?;
    env.standin.set_latency(latency);
    println!(
        "stand-in warmed up: its answers rendered once, in {:.2} s (not timed below)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Cold `verify --all` against the naive way; again within the TTL against the cache off;
/// the bytes a re-check stores. Returns the cold run, a verdict for the queue bench and the
/// three rows.
async fn cli_rows(env: &Env<'_>, args: &Args) -> Result<(Run, Verdict, [Row; 3])> {
    let n = env.claims.len();
    let (app, _) = app_with_claims(env, "cli", env.config).await?;
    let (before, data_before) = (env.standin.requests(), env.standin.data_requests());
    let (secs, verdicts) = verify_all(&app).await?;
    let cold = Run {
        secs,
        requests: env.standin.requests() - before,
    };
    println!(
        "cold verify --all: {secs:.2} s, {} requests ({} data), {verdicts} of {n} verdicts",
        cold.requests,
        env.standin.data_requests() - data_before
    );
    let naive = naive(env, args.naive_sample).await?;
    let cold_row = Row {
        path: "`verify --all`, cold",
        measured: format!(
            "{secs:.2} s, {} requests ({:.2} per indicator, country list included)",
            cold.requests,
            cold.requests as f64 / args.indicators as f64
        ),
        baseline: format!(
            "naive, one request per claim, one at a time: {:.0} s, {n} requests (measured on {} claims: {:.1} ms each)",
            naive * n as f64,
            args.naive_sample.min(n),
            naive * 1000.0
        ),
        wanted: "≤ 3 s, ≤ 2 requests per indicator",
    };
    let verdict = app
        .verdicts(&env.claims[0].id)
        .await?
        .pop()
        .map(|r| r.verdict)
        .context("the first claim got no verdict")?;
    a_minute_later(args.again_after).await;
    let again = again_row(env, &app, args.again_runs.into()).await?;
    drop(app);
    let disk = disk_row(&env.tmp.join("cli"), n)?;
    Ok((cold, verdict, [cold_row, again, disk]))
}

/// `verify --all` again within the TTL, `times` times on one store after a cold run, with
/// the median and the slowest.
async fn again_only(env: &Env<'_>, times: usize, after: u64) -> Result<()> {
    let (app, _) = app_with_claims(env, "again", env.config).await?;
    verify_all(&app).await?;
    a_minute_later(after).await;
    let runs = again_runs(env, &app, times).await?;
    println!(
        "again within the TTL, {times} runs: {}",
        runs.describe(env.claims.len())
    );
    Ok(())
}

/// Waits `secs` after a cold run before running it again, saying so.
async fn a_minute_later(secs: u64) {
    if secs > 0 {
        println!("waiting {secs} s before running again (--again-after)");
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
}

/// Repeated runs of `verify --all` again within the TTL on one store.
struct AgainRuns {
    /// Seconds of each run, fastest first.
    secs: Vec<f64>,
}

impl AgainRuns {
    fn median(&self) -> f64 {
        self.secs[self.secs.len() / 2]
    }

    fn slowest(&self) -> f64 {
        self.secs[self.secs.len() - 1]
    }

    /// "median 0.19 s = 52,000 claims/s, slowest … , fastest …".
    fn describe(&self, n: usize) -> String {
        let rate = |s: f64| n as f64 / s;
        format!(
            "median {:.3} s = {:.0} claims/s; slowest {:.3} s = {:.0} claims/s; fastest {:.3} s",
            self.median(),
            rate(self.median()),
            self.slowest(),
            rate(self.slowest()),
            self.secs[0],
        )
    }
}

/// `times` runs of `verify --all` again within the TTL (at least one), each printed.
async fn again_runs(env: &Env<'_>, app: &App, times: usize) -> Result<AgainRuns> {
    let n = env.claims.len();
    let mut secs = Vec::with_capacity(times);
    for run in 0..times.max(1) {
        let (s, verdicts) = verify_all(app).await?;
        println!(
            "again run {run}: {s:.3} s = {:.0} claims/s, {verdicts} verdicts",
            n as f64 / s
        );
        secs.push(s);
    }
    secs.sort_by(f64::total_cmp);
    Ok(AgainRuns { secs })
}

/// Seconds per claim of the naive way: each claim's own series, one request at a time.
async fn naive(env: &Env<'_>, sample: usize) -> Result<f64> {
    let mut config = env.config.worldbank.clone();
    config.concurrency = 1;
    config.requests_per_second = 0;
    let source = WorldBank::new(&config)?;
    let sample = &env.claims[..sample.clamp(1, env.claims.len())];
    let started = Instant::now();
    for claim in sample {
        let subject = claim.subject().context("bench claims have a subject")?;
        let request = SeriesRequest {
            indicator: subject.indicator.clone(),
            scope: Scope::Countries(vec![subject.country.clone()]),
            years: None,
        };
        source.fetch_series(&request).await?;
    }
    Ok(started.elapsed().as_secs_f64() / sample.len() as f64)
}

/// `verify --all` again within the TTL (`--again-runs` times; the row gives the median);
/// judging alone from the cache; and, as the baseline, the same with the cache off
/// (`ttl_hours = 0`).
async fn again_row(env: &Env<'_>, app: &App, times: usize) -> Result<Row> {
    let n = env.claims.len();
    let db = env.tmp.join("cli");
    let disk_before = dir_bytes(&db);
    let before = env.standin.requests();
    let runs = again_runs(env, app, times).await?;
    let requests = env.standin.requests() - before;
    app.flush().await?;
    let disk_growth = dir_bytes(&db).saturating_sub(disk_before) / runs.secs.len() as u64;
    println!(
        "again within the TTL, {} runs: {}; {requests} requests in all; disk +{disk_growth} bytes a run",
        runs.secs.len(),
        runs.describe(n)
    );
    let judge = judge_alone(env, app).await?;
    let mut no_cache = env.config.clone();
    no_cache.cache.ttl_hours = 0;
    let uncached = App::start(app.queue().store().clone(), no_cache, Utc::now()).await?;
    let before = env.standin.requests();
    let (secs0, _) = verify_all(&uncached).await?;
    let requests0 = env.standin.requests() - before;
    println!("again with the cache off: {secs0:.2} s, {requests0} requests");
    Ok(Row {
        path: "`verify --all` again within the TTL",
        measured: format!(
            "median of {} runs {:.2} s = {:.0} claims/s end to end (queue, verdicts written; slowest {:.2} s = {:.0}/s), {requests} requests in all; judging alone {judge:.0} claims/s; disk +{:.0} bytes per claim",
            runs.secs.len(),
            runs.median(),
            n as f64 / runs.median(),
            runs.slowest(),
            n as f64 / runs.slowest(),
            disk_growth as f64 / n as f64
        ),
        baseline: format!(
            "cache off (`ttl_hours = 0`): {secs0:.2} s = {:.0} claims/s, {requests0} requests",
            n as f64 / secs0
        ),
        wanted: "no data request while the cache is fresh; ≥ 50,000 claims/s",
    })
}

/// Claims per second the checker judges with every series in the cache (no queue, no
/// history writes).
async fn judge_alone(env: &Env<'_>, app: &App) -> Result<f64> {
    let checker = Checker::new(Routed::new(env.config)?, env.config.clone());
    let started = Instant::now();
    let judged = checker
        .evaluate(app.queue().store(), env.claims, Utc::now(), &mut |_| {})
        .await?;
    let rate = judged.len() as f64 / started.elapsed().as_secs_f64();
    println!("judging alone, series cached: {rate:.0} claims/s");
    Ok(rate)
}

/// Bytes a claim's history holds: its first (full) check, and each later entry (the store
/// keeps a re-check that found the same as a short pointer). Read from the closed database
/// with raw sled.
fn disk_row(db: &Path, n: usize) -> Result<Row> {
    let raw = sled::open(db).context("reopen the bench database")?;
    let verdicts = raw.open_tree("verdicts")?;
    let (mut first, mut later, mut later_count) = (0usize, 0usize, 0usize);
    let mut last_claim = Vec::new();
    for entry in verdicts.iter() {
        let (key, value) = entry?;
        let claim = key[..key.len().saturating_sub(8)].to_vec();
        let bytes = key.len() + value.len();
        if claim == last_claim {
            later += bytes;
            later_count += 1;
        } else {
            first += bytes;
            last_claim = claim;
        }
    }
    // Requests settled together are one record per transaction: its time and a bitmap of
    // the claims' numbers (each claim numbered once, when first settled). The entries after
    // a claim's first are the re-checks the queue ran in full and found the same.
    let (mut runs, mut run_bytes, mut settled) = (0usize, 0usize, 0usize);
    for entry in raw.open_tree("rechecks")?.iter() {
        let (key, value) = entry?;
        run_bytes += key.len() + value.len();
        let run: serde_json::Value = serde_json::from_slice(&value)?;
        let bits = base64::engine::general_purpose::STANDARD
            .decode(run["numbers"].as_str().context("a run's numbers")?)?;
        settled += roaring::RoaringBitmap::deserialize_from(bits.as_slice())?.len() as usize;
        runs += 1;
    }
    let numbers: usize = raw
        .open_tree("numbers")?
        .iter()
        .map(|e| e.map(|(k, v)| k.len() + v.len()))
        .sum::<Result<_, _>>()?;
    let per_settled = run_bytes as f64 / settled.max(1) as f64;
    let per_again = later as f64 / later_count.max(1) as f64;
    println!(
        "history: {:.0} bytes per first check; {per_settled:.1} bytes per re-check settled at once ({settled} in {runs} runs of {run_bytes} bytes in all), {per_again:.0} per re-check the queue ran and found the same ({later_count}); claim numbers {:.0} bytes per claim, once",
        first as f64 / n as f64,
        numbers as f64 / n as f64
    );
    Ok(Row {
        path: "disk per unchanged re-check",
        measured: format!(
            "settled at once: {per_settled:.1} bytes per re-check, and {:.0} bytes per claim once for its number; run through the queue: {per_again:.0} bytes per history entry (key and value)",
            numbers as f64 / n as f64
        ),
        baseline: format!(
            "the first, full check: {:.0} bytes per claim",
            first as f64 / n as f64
        ),
        wanted: "≤ 200 bytes when verdict, value and vintage did not change",
    })
}

/// Total size of the files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// A daemon running in this process until its stop sender is used or dropped.
struct Daemon {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), claimcheck::daemon::DaemonError>>,
    client: Client,
}

impl Daemon {
    async fn start(config: &Config, db: PathBuf) -> Result<Self> {
        let socket = claimcheck::daemon::socket_path(config, &db);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(claimcheck::daemon::run(config.clone(), db, async {
            let _ = stopped.await;
        }));
        let client = Client::new(&socket)?;
        for _ in 0..300 {
            if socket.exists() && client.health().await.is_ok() {
                return Ok(Self { stop, task, client });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "the daemon did not answer on {} within 30 s",
            socket.display()
        )
    }

    async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }

    /// Waits as `verify` does with a daemon: the jobs' results every 100 ms until all are
    /// settled.
    async fn settle(&self, jobs: &[u64]) -> Result<usize> {
        let deadline = Instant::now() + Duration::from_secs(1800);
        loop {
            let results = self.client.results(jobs).await?;
            if results.iter().all(|r| r.is_settled()) {
                return Ok(results.iter().filter(|r| r.outcome().is_ok()).count());
            }
            if Instant::now() > deadline {
                bail!("the daemon did not settle {} jobs in 30 min", jobs.len());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The claims through a daemon's worker: queued (as `verify` queues them), the daemon
/// started, its results waited for as the CLI waits. Then its idle CPU.
async fn daemon_rows(env: &Env<'_>, cli: Run, idle_secs: u64) -> Result<(Row, Row)> {
    let db = env.tmp.join("daemon");
    let (app, jobs) = app_with_claims(env, "daemon", env.config).await?;
    app.flush().await?;
    drop(app);
    let before = env.standin.requests();
    let started = Instant::now();
    let daemon = Daemon::start(env.config, db).await?;
    let verdicts = daemon.settle(&jobs).await?;
    let secs = started.elapsed().as_secs_f64();
    let requests = env.standin.requests() - before;
    println!("through the daemon: {secs:.2} s, {requests} requests, {verdicts} verdicts");
    let idle = idle_row(idle_secs).await?;
    daemon.stop().await?;
    let row = Row {
        path: "the same claims through the daemon",
        measured: format!(
            "{secs:.2} s, {requests} requests ({:.2}× the CLI's time, {:.2}× its requests)",
            secs / cli.secs,
            requests as f64 / cli.requests.max(1) as f64
        ),
        baseline: format!(
            "the CLI without a daemon: {:.2} s, {} requests",
            cli.secs, cli.requests
        ),
        wanted: "within 1.5× the CLI's time and requests",
    };
    Ok((row, idle))
}

/// CPU seconds (user + system, 1/100 s ticks) this process's threads have used, split into
/// sled's own background threads (its log flusher, which also compacts the log, and its IO
/// pool) and everything else (the daemon's loops, the runtime, the bench's stand-in).
fn cpu_secs() -> Option<(f64, f64)> {
    let (mut sled, mut rest) = (0.0, 0.0);
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("stat")).ok()?;
        let (head, tail) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1;
        let fields: Vec<&str> = tail.split_whitespace().collect();
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let secs = ticks as f64 / 100.0;
        if name == "log flusher" || name.starts_with("sled-io") {
            sled += secs;
        } else {
            rest += secs;
        }
    }
    Some((sled, rest))
}

/// The idle daemon's share of a core, in consecutive windows from the end of the backlog:
/// right after 10k verdicts sled compacts its log in the background for a while, and that is
/// told apart from the daemon's own idle loops. A thread that ended within a window is not
/// counted (none does while the daemon idles).
async fn idle_row(secs: u64) -> Result<Row> {
    const WINDOWS: u64 = 3;
    let window = Duration::from_secs((secs / WINDOWS).max(1));
    let mut shares = Vec::new();
    let mut written = Vec::new();
    for k in 0..WINDOWS {
        let ((sled0, rest0), wall0) = (cpu_secs().context("/proc/self/task")?, Instant::now());
        let bytes0 = written_bytes()?;
        tokio::time::sleep(window).await;
        let (sled1, rest1) = cpu_secs().context("/proc/self/task")?;
        written.push(written_bytes()? - bytes0);
        let wall = wall0.elapsed().as_secs_f64();
        let (sled, rest) = (
            100.0 * (sled1 - sled0) / wall,
            100.0 * (rest1 - rest0) / wall,
        );
        println!(
            "idle daemon, seconds {}–{}: {:.2}% of a core ({sled:.2}% sled's log compaction and IO, {rest:.2}% the rest)",
            k * window.as_secs(),
            (k + 1) * window.as_secs(),
            sled + rest
        );
        shares.push((sled, rest));
    }
    println!("idle daemon, bytes written to disk per window: {written:?}");
    let words: Vec<String> = shares
        .iter()
        .zip(&written)
        .map(|((sled, rest), bytes)| {
            format!(
                "{:.2}% ({rest:.2}% daemon; {} KB written)",
                sled + rest,
                bytes / 1024
            )
        })
        .collect();
    Ok(Row {
        path: "idle daemon with the claims",
        measured: format!(
            "{} of a core in {WINDOWS} windows of {} s after the backlog; in brackets, without sled's own log compaction and IO threads",
            words.join(", "),
            window.as_secs()
        ),
        baseline: "—".into(),
        wanted: "< 0.5% of a core",
    })
}

/// Bytes this process has had written to disk (`/proc/self/io`): an idle daemon wrote and
/// synced sled's log every poll (an empty transaction is still logged).
fn written_bytes() -> Result<u64> {
    let io = std::fs::read_to_string("/proc/self/io").context("/proc/self/io")?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
        .context("write_bytes in /proc/self/io")
}

/// `import` of a claim file through the real CLI code, without and with a daemon.
async fn import_row(env: &Env<'_>, specs: &[ClaimSpec]) -> Result<Row> {
    let file = env.tmp.join("claims.toml");
    std::fs::write(&file, claim_file(specs)).context("write the claim file")?;
    let config_file = env.tmp.join("bench.toml");
    std::fs::write(
        &config_file,
        format!(
            "[worldbank]\nbase_url = {:?}\n[daemon]\ngrace_secs = 5\n",
            env.config.worldbank.base_url
        ),
    )?;
    let alone_db = env.tmp.join("import-alone");
    let (alone, code) = import(&config_file, &alone_db, &file).await?;
    let stored = claimcheck::store::open(&alone_db)?.claims()?.len();
    println!("import without a daemon: {alone:.2} s, exit {code}, {stored} claims stored");
    let daemon_db = env.tmp.join("import-daemon");
    let daemon = Daemon::start(env.config, daemon_db.clone()).await?;
    let (through, code_d) = import(&config_file, &daemon_db, &file).await?;
    let stored_d = daemon.client.list().await?.len();
    daemon.stop().await?;
    println!("import through the daemon: {through:.2} s, exit {code_d}, {stored_d} claims stored");
    Ok(Row {
        path: "`import` of the claim file while the daemon runs",
        measured: format!(
            "{through:.2} s, exit {code_d}, {stored_d} claims stored ({:.1} MB file, sent in chunks)",
            std::fs::metadata(&file)?.len() as f64 / 1e6
        ),
        baseline: format!("without a daemon: {alone:.2} s, exit {code}, {stored} claims stored"),
        wanted: "works, same result with or without a daemon",
    })
}

/// Runs `claimcheck import FILE` in this process; returns its seconds and exit code.
async fn import(config: &Path, db: &Path, file: &Path) -> Result<(f64, u8)> {
    let arg = std::ffi::OsStr::new;
    let cli = claimcheck::cli::Cli::try_parse_from([
        arg("claimcheck"),
        arg("--config"),
        config.as_os_str(),
        arg("--db"),
        db.as_os_str(),
        arg("import"),
        file.as_os_str(),
    ])?;
    let started = Instant::now();
    let code = claimcheck::cli::run(cli).await?;
    Ok((started.elapsed().as_secs_f64(), code))
}

/// The claims as a claim file.
fn claim_file(specs: &[ClaimSpec]) -> String {
    let mut text = String::new();
    for s in specs {
        text.push_str(&format!(
            "[[claim]]\nid = {:?}\ntext = {:?}\nindicator = {:?}\ncountry = {:?}\nyear = {}\nvalue = {}\n\n",
            s.id,
            s.text,
            s.indicator.as_deref().unwrap_or_default(),
            s.country.as_deref().unwrap_or_default(),
            s.year.unwrap_or_default(),
            s.value.unwrap_or_default()
        ));
    }
    text
}

/// Jobs per second through the queue and through raw sled, at each size.
fn queue_row(sizes: &[usize], verdict: &Verdict) -> Result<Row> {
    let (mut measured, mut baseline) = (Vec::new(), Vec::new());
    for &n in sizes.iter().filter(|n| **n > 0) {
        let (through, raw) = queue::compare(n, verdict);
        println!(
            "queue, {n} jobs: {through:.0} jobs/s; raw sled: {raw:.0} jobs/s ({:.0}%)",
            100.0 * through / raw
        );
        measured.push(format!(
            "{n}: {through:.0}/s ({:.0}% of raw)",
            100.0 * through / raw
        ));
        baseline.push(format!("{n}: {raw:.0}/s"));
    }
    Ok(Row {
        path: "queue: enqueue → take → finish, batches of 1,000",
        measured: measured.join("; "),
        baseline: format!("raw sled, the same writes: {}", baseline.join("; ")),
        wanted: "≥ 5,000 jobs/s flat from 1k to 100k jobs; ≥ 1/3 of raw sled",
    })
}

/// The cold run again with a source that answers at once: where the time goes when the
/// network is free.
async fn zero_latency_row(env: &Env<'_>, cold: Run, latency_ms: u64) -> Result<Row> {
    let (app, _) = app_with_claims(env, "zero", env.config).await?;
    let before = env.standin.requests();
    let (secs, _) = verify_all(&app).await?;
    let requests = env.standin.requests() - before;
    println!("cold verify --all, zero latency: {secs:.2} s, {requests} requests");
    Ok(Row {
        path: "`verify --all`, cold, zero-latency source",
        measured: format!("{secs:.2} s, {requests} requests"),
        baseline: format!("{latency_ms} ms per answer: {:.2} s", cold.secs),
        wanted: "(where the time goes when the network is free)",
    })
}

fn print_table(rows: &[Row]) {
    println!("\n| path | measured | baseline, same run | wanted |\n|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} |",
            row.path, row.measured, row.baseline, row.wanted
        );
    }
}
