//! Several claimcheck processes on one PostgreSQL schema (of `CLAIMCHECK_TEST_POSTGRES_URL`;
//! skipped, saying so, without it): a schedule slot fires once however many daemons tick,
//! one daemon at a time holds the webhook sender lease, and three real daemons drain a
//! few thousand claims while one of them is SIGKILLed and restarted, with exactly one
//! verdict per claim and no job lost. Prints how the work was split.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use claimcheck::claim::country::Countries;
use claimcheck::claim::ClaimSpec;
use claimcheck::queue::{schedule, Queue};
use claimcheck::store::{NextRun, Store};
use common::backends::{test_db, Backend, TestDb};
use common::{standin, TestApp};

const DAEMONS: usize = 3;
/// Claims the cluster test checks; `CLAIMCHECK_CLUSTER_CLAIMS` changes it.
const CLAIMS: usize = 2000;
/// Kills of daemon 0, at these fractions of the claims checked.
const KILL_AT: [f64; 3] = [0.1, 0.3, 0.5];
/// A guard against a hang, not a speed requirement: the test fails with the state it saw.
const GIVE_UP: Duration = Duration::from_secs(300);

/// Two processes' stores on one schema (two opens: separate connections, as two daemons).
fn two_stores(db: &TestDb) -> (Store, Store) {
    let open = || claimcheck::store::open(&db.location).unwrap();
    (open(), open())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_slot_fires_once_across_daemons() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "a_schedule_slot_fires_once_across_daemons",
    ) else {
        return;
    };
    let (a, b) = two_stores(&db);
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    let mut spec = ClaimSpec::new("c1", "claim one");
    spec.value = Some(1.0);
    a.put_claim(&spec.validate(&Countries::embedded()).unwrap())
        .unwrap();
    let due = NextRun {
        schedule: None,
        at: t0,
    };
    a.set_next_run("c1", Some(&due)).unwrap();
    let config = app.config().queue;
    let ticks: Vec<_> = [a.clone(), b.clone(), a.clone(), b.clone()]
        .into_iter()
        .map(|store| {
            let queue = Queue::new(store, config.clone());
            std::thread::spawn(move || schedule::tick(&queue, t0).unwrap())
        })
        .collect();
    let fired: usize = ticks.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(
        fired, 1,
        "one slot, one firing, across four ticking daemons"
    );
    let jobs = b.jobs(None).unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert!(b.next_run("c1").unwrap().unwrap().at > t0, "moved on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_daemon_at_a_time_holds_the_webhook_lease() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "one_daemon_at_a_time_holds_the_webhook_lease",
    ) else {
        return;
    };
    let (a, b) = two_stores(&db);
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    let until = t0 + chrono::Duration::seconds(60);
    assert!(a.try_lease("webhook-sender", "a", t0, until).unwrap());
    assert!(!b.try_lease("webhook-sender", "b", t0, until).unwrap());
    assert!(
        a.try_lease("webhook-sender", "a", t0, until).unwrap(),
        "renewed by its holder"
    );
    let later = until + chrono::Duration::seconds(1);
    assert!(
        b.try_lease(
            "webhook-sender",
            "b",
            later,
            later + chrono::Duration::seconds(60)
        )
        .unwrap(),
        "taken over once it expired"
    );
    assert!(!a.try_lease("webhook-sender", "a", later, later).unwrap());
}

/// The claims, as a claim file.
fn write_claims(dir: &Path, count: usize) -> std::path::PathBuf {
    // The stand-in has about 7,000 country-years: past that, the same ones under new ids.
    let mut claims = Vec::new();
    for part in 0.. {
        let left = count - claims.len();
        if left == 0 {
            break;
        }
        claims.extend(standin::many_claims(
            &format!("cluster{part}"),
            left.min(5000),
            1960,
        ));
    }
    let file = dir.join("cluster.toml");
    let text = toml::to_string(&serde_json::json!({ "claim": claims })).unwrap();
    std::fs::write(&file, text).unwrap();
    file
}

fn spawn_daemon(app: &TestApp, db: &TestDb, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(assert_cmd::cargo::cargo_bin("claimcheck"))
        .env("CLAIMCHECK_DB", &db.location)
        .env_remove("CLAIMCHECK_WORLDBANK_URL")
        .env_remove("CLAIMCHECK_OWID_URL")
        .env("RUST_LOG", "warn")
        // Each daemon's API socket goes to $TMPDIR: the test's directory, removed after.
        .env("TMPDIR", app.dir.path())
        .arg("--config")
        .arg(app.config_path())
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// A connection of the test's own, to count rows.
async fn connect(db: &TestDb) -> tokio_postgres::Client {
    let url = db.location.to_str().unwrap();
    let (base, schema) = url.rsplit_once("?schema=").unwrap();
    let (client, connection) = tokio_postgres::connect(base, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .await
        .unwrap();
    client
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> usize {
    let n: i64 = client.query_one(sql, &[]).await.unwrap().get(0);
    n as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_daemons_share_the_queue_through_kills() {
    // A stand-in answering like a real API (not instantly), so kills land mid-work.
    let app = TestApp::with(standin::StandIn::new().with_delay(Duration::from_millis(40))).await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "three_daemons_share_the_queue_through_kills",
    ) else {
        return;
    };
    let claims: usize = std::env::var("CLAIMCHECK_CLUSTER_CLAIMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CLAIMS);
    let mut config = app.config();
    config.queue.poll_ms = 50;
    config.queue.batch_size = 5;
    config.queue.lease_secs = 3; // a killed daemon's jobs come back after 3 s
    config.queue.max_rescues = 20;
    config.daemon.grace_secs = Some(2);
    app.write_config(&config);
    let file = write_claims(app.dir.path(), claims);
    app.cmd()
        .env("CLAIMCHECK_DB", &db.location)
        .arg("import")
        .arg(&file)
        .assert()
        .success();

    let client = connect(&db).await;
    let logs: Vec<_> = (0..DAEMONS)
        .map(|i| app.dir.path().join(format!("daemon{i}.log")))
        .collect();
    let mut daemons: Vec<Child> = (0..DAEMONS)
        .map(|i| spawn_daemon(&app, &db, &logs[i]))
        .collect();
    let mut pids: BTreeMap<u32, usize> = daemons
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id(), i))
        .collect();
    let started = Instant::now();
    let mut kills = 0;
    loop {
        let done = count(
            &client,
            "SELECT count(*) FROM jobs WHERE state = 'succeeded'",
        )
        .await;
        let dead = count(&client, "SELECT count(*) FROM jobs WHERE state = 'dead'").await;
        if done + dead == claims {
            break;
        }
        if std::env::var_os("CLAIMCHECK_CLUSTER_TRACE").is_some() {
            eprintln!("{:.1} s: {done} succeeded", started.elapsed().as_secs_f64());
        }
        if started.elapsed() > GIVE_UP {
            for d in &mut daemons {
                let _ = d.kill();
            }
            let log = std::fs::read_to_string(&logs[1]).unwrap_or_default();
            panic!("gave up with {done} of {claims} succeeded, {dead} dead; daemon 1 said:\n{log}");
        }
        if kills < KILL_AT.len() && done as f64 >= KILL_AT[kills] * claims as f64 {
            daemons[0].kill().unwrap(); // SIGKILL
            daemons[0].wait().unwrap();
            daemons[0] = spawn_daemon(&app, &db, &logs[0]);
            pids.insert(daemons[0].id(), 0);
            kills += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    for d in &mut daemons {
        d.kill().unwrap();
        d.wait().unwrap();
    }

    // Every claim: one job, succeeded, and exactly one verdict.
    assert_eq!(kills, KILL_AT.len(), "every planned kill happened");
    assert_eq!(count(&client, "SELECT count(*) FROM jobs").await, claims);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM jobs WHERE state = 'succeeded'"
        )
        .await,
        claims,
        "no job dead or lost"
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM verdicts").await,
        claims
    );
    assert_eq!(
        count(&client, "SELECT count(DISTINCT claim_id) FROM verdicts").await,
        claims,
        "one verdict per claim, none twice"
    );
    let rescued = count(
        &client,
        "SELECT count(*) FROM jobs WHERE data::jsonb->>'rescues' <> '0'",
    )
    .await;

    // Who did the work: worker ids end in `-<pid>-<suffix>`.
    let rows = client
        .query(
            "SELECT worker, count(*) FROM jobs GROUP BY worker ORDER BY worker",
            &[],
        )
        .await
        .unwrap();
    let mut split = [0usize; DAEMONS];
    for row in rows {
        let worker: String = row.get(0);
        let n: i64 = row.get(1);
        let pid: u32 = worker.rsplit('-').nth(1).unwrap().parse().unwrap();
        split[pids[&pid]] += n as usize;
    }
    eprintln!(
        "cluster: {claims} claims, {DAEMONS} daemons, daemon 0 SIGKILLed {kills} times, \
         {rescued} jobs rescued after a kill, split {split:?}, {:.1} s ({:.0} claims/s)",
        elapsed.as_secs_f64(),
        claims as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(split.iter().sum::<usize>(), claims);
    assert!(
        split.iter().filter(|n| **n > 0).count() >= 2,
        "the work is shared: {split:?}"
    );
}

/// Drains the queue with `worker`: takes batches and finishes each with a verdict. A store
/// error (the connection kept failing past the store's own retries) is met as the daemon
/// meets it: logged, and the loop goes on. (jobs finished, errors met)
fn drain(queue: &Queue, worker: &str, now: chrono::DateTime<Utc>) -> (usize, usize) {
    let verdict = claimcheck::verify::Verdict {
        grade: claimcheck::verify::Grade::True,
        explanation: "fault test".into(),
        evidence: Default::default(),
    };
    let (mut done, mut errors) = (0, 0);
    loop {
        let batch = match queue.take(worker, 5, now) {
            Ok(batch) if batch.is_empty() => return (done, errors),
            Ok(batch) => batch,
            Err(e) => {
                eprintln!("take failed: {e}");
                errors += 1;
                continue;
            }
        };
        let outcomes: Vec<_> = batch
            .into_iter()
            .map(|job| (job, Ok(verdict.clone())))
            .collect();
        match queue.finish(&outcomes, now) {
            Ok(finished) => done += finished.iter().flatten().count(),
            Err(e) => {
                eprintln!("finish failed: {e}");
                errors += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_mid_work_lose_nothing_and_finish_nothing_twice() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "connections_killed_mid_work_lose_nothing_and_finish_nothing_twice",
    ) else {
        return;
    };
    // Our connections carry a name of their own, so only they are cut.
    let name = common::backends::fresh_schema("conn");
    let location = format!("{}&application_name={name}", db.location.to_str().unwrap());
    let store = claimcheck::store::open(location.as_ref()).unwrap();
    let config = app.config().queue;
    let queue = Queue::new(store, config.clone());
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    let ids: Vec<String> = (0..400).map(|n| format!("f{n}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    queue
        .enqueue_all(&refs, claimcheck::queue::Priority::User, t0)
        .unwrap();

    let client = connect(&db).await;
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let queue = queue.clone();
            std::thread::spawn(move || drain(&queue, &format!("w{w}"), t0))
        })
        .collect();
    let mut cuts = 0;
    while !workers.iter().all(|w| w.is_finished()) {
        let rows = client
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .await
            .unwrap();
        cuts += rows.len();
        // Often, but with room between cuts for a retried transaction to get through.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (mut done, mut errors) = (0, 0);
    for worker in workers {
        let (d, e) = worker.join().unwrap();
        (done, errors) = (done + d, errors + e);
    }
    // A take whose COMMIT was cut may have committed unseen: those jobs wait for their
    // lease to run out, as after a crash, and are then rescued and finished.
    let later = t0 + chrono::Duration::seconds(config.lease_secs as i64 + 1);
    let rescued = queue.rescue(later, false).unwrap();
    done += drain(&queue, "after", later).0;
    eprintln!(
        "connections cut: {cuts}; operations failed past the retries: {errors}; \
         jobs rescued after an unseen take or finish: {rescued}"
    );
    assert!(cuts > 0, "the test cut connections while workers ran");
    // A finish whose COMMIT went through unanswered is not counted here, but is in the table.
    assert!(done <= 400, "no job finished twice: {done}");
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM jobs WHERE state = 'succeeded'"
        )
        .await,
        400
    );
    assert_eq!(count(&client, "SELECT count(*) FROM verdicts").await, 400);
    assert_eq!(
        count(&client, "SELECT count(DISTINCT claim_id) FROM verdicts").await,
        400,
        "no verdict written twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_queued_by_one_process_wakes_an_idle_daemon_in_another() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "work_queued_by_one_process_wakes_an_idle_daemon_in_another",
    ) else {
        return;
    };
    let (a, b) = two_stores(&db);
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let notified = wake.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    let (listening, listener) = (wake.clone(), a.clone()); // `a` stays open: it listens
    tokio::task::spawn_blocking(move || listener.subscribe(listening))
        .await
        .unwrap()
        .unwrap();
    let queue = Queue::new(b, app.config().queue);
    queue
        .enqueue("c1", claimcheck::queue::Priority::User, Utc::now())
        .unwrap();
    // A guard against a hang (the daemon would poll anyway), not a speed requirement.
    tokio::time::timeout(Duration::from_secs(30), notified)
        .await
        .expect("the enqueue in the other store woke this one (LISTEN/NOTIFY)");
    drop(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_requests_waits_for_connections_instead_of_opening_one_each() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "a_burst_of_requests_waits_for_connections_instead_of_opening_one_each",
    ) else {
        return;
    };
    let name = common::backends::fresh_schema("burst");
    let location = format!("{}&application_name={name}", db.location.to_str().unwrap());
    let store = claimcheck::store::open(location.as_ref()).unwrap();
    let client = connect(&db).await;
    // 40 threads at once: without the cap each would open a connection of its own.
    let burst: Vec<_> = (0..40)
        .map(|n| {
            let store = store.clone();
            std::thread::spawn(move || {
                store
                    .put_meta(&format!("burst/{n}"), b"x")
                    .and_then(|()| store.meta_scan("burst/"))
                    .map(|found| found.len())
            })
        })
        .collect();
    for thread in burst {
        assert!(thread.join().unwrap().is_ok(), "every request is served");
    }
    assert_eq!(store.meta_scan("burst/").unwrap().len(), 40);
    let open: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        (1..=10).contains(&open),
        "one process keeps at most 10 connections open, had {open}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_and_a_newer_schema_is_refused() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "migrations_run_once_and_a_newer_schema_is_refused",
    ) else {
        return;
    };
    // Two processes opening a fresh database together: the migration runs once.
    let opens: Vec<_> = (0..3)
        .map(|_| {
            let location = db.location.clone();
            std::thread::spawn(move || claimcheck::store::open(&location).map(drop))
        })
        .collect();
    for open in opens {
        open.join().unwrap().unwrap();
    }
    let client = connect(&db).await;
    let applied = count(&client, "SELECT count(*) FROM claimcheck_migrations").await;
    let distinct = count(
        &client,
        "SELECT count(DISTINCT version) FROM claimcheck_migrations",
    )
    .await;
    assert_eq!(applied, distinct, "each migration once");
    assert_eq!(applied, 2, "both migrations (the tables, then `judged`)");
    client
        .batch_execute("INSERT INTO claimcheck_migrations (version) VALUES (99)")
        .await
        .unwrap();
    let refused = claimcheck::store::open(&db.location)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("version 99") && refused.contains("upgrade claimcheck"),
        "{refused}"
    );
}
