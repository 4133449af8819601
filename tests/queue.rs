//! The job queue and scheduler through the library, on each storage backend (sled in a temp
//! dir; PostgreSQL in a fresh schema when `CLAIMCHECK_TEST_POSTGRES_URL` is set), the World
//! Bank stand-in over HTTP, and time passed in by the test (no sleeping).

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use claimcheck::check::Checker;
use claimcheck::claim::country::Countries;
use claimcheck::claim::file;
use claimcheck::config::Config;
use claimcheck::queue::{schedule, step, JobState, Priority, Queue, Take};
use claimcheck::source::worldbank::WorldBank;
use common::backends::{test_db, Backend, TestDb};
use common::{seed_claims, standin, TestApp};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap() // a Monday
}

struct Setup {
    app: TestApp,
    queue: Queue,
    checker: Checker<WorldBank>,
    config: Config,
    // Last: the schema is dropped after the store's connections are.
    _db: TestDb,
}

async fn setup(backend: Backend) -> Setup {
    let app = TestApp::start().await;
    let config = app.config();
    let db = test_db(backend, app.dir.path(), "queue").expect("the test runs on this backend");
    let store = claimcheck::store::open(&db.location).unwrap();
    let parsed = file::read(
        &seed_claims().join("seed-article.toml"),
        &Countries::embedded(),
    );
    for claim in &parsed.claims {
        store.put_claim(claim).unwrap();
    }
    let queue = Queue::new(store, config.queue.clone());
    schedule::backfill(&queue, t0()).unwrap(); // never checked: due now
    let checker = Checker::new(WorldBank::new(&config.worldbank).unwrap(), config.clone());
    Setup {
        app,
        queue,
        checker,
        config,
        _db: db,
    }
}

async fn one_pending_job_per_claim_and_user_requests_go_first(backend: Backend) {
    let s = setup(backend).await;
    let first = s
        .queue
        .enqueue("sv-homicide-2015", Priority::Scheduled, t0())
        .unwrap();
    assert!(first.created);
    let again = s
        .queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.job.id, first.job.id);
    assert_eq!(
        again.job.priority,
        Priority::User,
        "a user request raises the priority"
    );

    let scheduled = s
        .queue
        .enqueue(
            "sv-homicide-2015-highest",
            Priority::Scheduled,
            t0() - Duration::hours(1),
        )
        .unwrap();
    let taken = s.queue.take("w", 1, t0()).unwrap();
    assert_eq!(
        taken[0].id, first.job.id,
        "user job before an older scheduled one"
    );
    assert_ne!(taken[0].id, scheduled.job.id);
}

async fn a_step_drains_due_jobs_with_one_verdict_each(backend: Backend) {
    let s = setup(backend).await;
    for id in [
        "sv-homicide-2015",
        "sv-homicide-2015-highest",
        "us-deportations-2001-2010",
    ] {
        s.queue.enqueue(id, Priority::User, t0()).unwrap();
    }
    let report = step(&s.queue, &s.checker, "w", t0(), Take::Due, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((report.claimed, report.succeeded), (3, 3));
    let store = s.queue.store();
    assert_eq!(store.history("sv-homicide-2015").unwrap().len(), 1);
    assert_eq!(
        store
            .latest_verdict("sv-homicide-2015")
            .unwrap()
            .unwrap()
            .verdict
            .grade
            .as_str(),
        "mostly-true"
    );
    assert_eq!(s.queue.list(Some(JobState::Succeeded)).unwrap().len(), 3);
    assert!(
        s.queue
            .enqueue("sv-homicide-2015", Priority::User, t0())
            .unwrap()
            .created,
        "slot released"
    );
    let idle = step(
        &s.queue,
        &s.checker,
        "w",
        t0() - Duration::seconds(1),
        Take::Due,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(idle.claimed, 0, "a job is not due before its run_at");
}

async fn concurrent_workers_never_take_the_same_job(backend: Backend) {
    let s = setup(backend).await;
    let store = s.queue.store();
    for n in 0..60 {
        let mut spec = claimcheck::claim::ClaimSpec::new(format!("c{n}"), format!("claim {n}"));
        spec.value = Some(1.0);
        let claim = spec.validate(&Countries::embedded()).unwrap();
        store.put_claim(&claim).unwrap();
        s.queue.enqueue(&claim.id, Priority::User, t0()).unwrap();
    }
    let handles: Vec<_> = (0..4)
        .map(|w| {
            let queue = s.queue.clone();
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                loop {
                    let batch = queue.take(&format!("w{w}"), 3, t0()).unwrap();
                    if batch.is_empty() {
                        break taken;
                    }
                    taken.extend(batch.into_iter().map(|j| j.id));
                }
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 60);
    assert_eq!(all.len(), 60, "no job taken twice");
}

async fn an_expired_lease_is_rescued_and_the_late_worker_writes_nothing(backend: Backend) {
    let s = setup(backend).await;
    s.queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap();
    let stale = s.queue.take("crashed", 1, t0()).unwrap().remove(0);
    // Renewing keeps it (once a third of the lease has passed); once the lease runs out a
    // rescuer hands it back.
    let lease = Duration::seconds(s.config.queue.lease_secs as i64);
    assert_eq!(
        s.queue
            .renew("crashed", t0() + Duration::seconds(1))
            .unwrap(),
        0,
        "lease still fresh"
    );
    let renewed_at = t0() + lease / 2;
    assert_eq!(s.queue.renew("crashed", renewed_at).unwrap(), 1);
    assert_eq!(
        s.queue
            .rescue(t0() + lease + Duration::seconds(1), false)
            .unwrap(),
        0,
        "renewed lease still valid"
    );
    let later = renewed_at + lease + Duration::seconds(1);
    assert_eq!(s.queue.rescue(later, false).unwrap(), 1);
    let job = s.queue.get(stale.id).unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts, job.rescues),
        (JobState::Queued, 0, 1),
        "a crash does not use an attempt; it is counted apart"
    );

    let report = step(&s.queue, &s.checker, "fresh", later, Take::Due, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.succeeded, 1);
    assert_eq!(s.queue.get(stale.id).unwrap().unwrap().attempts, 1);
    // The crashed worker comes back with its old result: it is dropped.
    let verdict = s
        .queue
        .store()
        .latest_verdict("sv-homicide-2015")
        .unwrap()
        .unwrap()
        .verdict;
    assert!(s.queue.succeed(&stale, &verdict, later).unwrap().is_none());
    assert_eq!(
        s.queue.store().history("sv-homicide-2015").unwrap().len(),
        1,
        "one job, one verdict"
    );
}

async fn upstream_faults_retry_with_backoff_then_die_and_can_be_retried(backend: Backend) {
    let s = setup(backend).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&s.app.server)
        .await;
    let job = s
        .queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap()
        .job;
    let mut now = t0();
    for attempt in 1..=s.config.queue.max_attempts {
        let report = step(&s.queue, &s.checker, "w", now, Take::Due, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(report.claimed, 1, "attempt {attempt}");
        let current = s.queue.get(job.id).unwrap().unwrap();
        assert_eq!(current.attempts, attempt);
        if attempt < s.config.queue.max_attempts {
            assert_eq!(current.state, JobState::Retrying);
            let base = s.config.queue.retry_base_secs as f64 * 2f64.powi(attempt as i32 - 1);
            let wait = (current.run_at - now).num_milliseconds() as f64 / 1000.0;
            assert!(
                wait >= base.min(s.config.queue.retry_max_secs as f64) * 0.75 - 0.001,
                "{wait} vs {base}"
            );
            assert!(wait <= base * 1.25 + 0.001, "{wait} vs {base}");
            assert_eq!(
                step(&s.queue, &s.checker, "w", now, Take::Due, &mut |_| {})
                    .await
                    .unwrap()
                    .claimed,
                0,
                "not before run_at"
            );
            now = current.run_at;
        } else {
            assert_eq!(current.state, JobState::Dead);
            assert!(
                current.last_error.as_deref().unwrap().contains("HTTP 503"),
                "{:?}",
                current.last_error
            );
        }
    }
    assert_eq!(s.queue.list(Some(JobState::Dead)).unwrap().len(), 1);
    assert!(s
        .queue
        .store()
        .history("sv-homicide-2015")
        .unwrap()
        .is_empty());

    s.app.server.reset().await;
    Mock::given(method("GET"))
        .respond_with(s.app.standin.clone())
        .mount(&s.app.server)
        .await;
    let retried = s.queue.retry(job.id, now).unwrap();
    assert_eq!((retried.state, retried.attempts), (JobState::Queued, 0));
    assert!(
        s.queue.retry(job.id, now).is_err(),
        "only dead jobs can be retried"
    );
    assert_eq!(
        step(&s.queue, &s.checker, "w", now, Take::Due, &mut |_| {})
            .await
            .unwrap()
            .succeeded,
        1
    );
}

async fn permanent_failures_die_at_once_with_the_reason(backend: Backend) {
    let s = setup(backend).await;
    let store = s.queue.store();
    let mut bad = claimcheck::claim::ClaimSpec::new("bad-indicator", "x");
    bad.indicator = Some("NOT.A.CODE".into());
    bad.country = Some("SLV".into());
    bad.value = Some(1.0);
    store
        .put_claim(&bad.validate(&Countries::embedded()).unwrap())
        .unwrap();
    let dead = s
        .queue
        .enqueue("bad-indicator", Priority::User, t0())
        .unwrap()
        .job;
    let gone = s
        .queue
        .enqueue("no-such-claim", Priority::User, t0())
        .unwrap()
        .job;
    let report = step(&s.queue, &s.checker, "w", t0(), Take::Due, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.dead, 2);
    let dead = s.queue.get(dead.id).unwrap().unwrap();
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, 1));
    assert!(dead.last_error.unwrap().contains("error 120"));
    assert!(s
        .queue
        .get(gone.id)
        .unwrap()
        .unwrap()
        .last_error
        .unwrap()
        .contains("was removed"));
}

async fn finished_jobs_are_pruned_after_their_age(backend: Backend) {
    let s = setup(backend).await;
    s.queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap();
    step(&s.queue, &s.checker, "w", t0(), Take::Due, &mut |_| {})
        .await
        .unwrap();
    let age = Duration::hours(s.config.queue.prune_after_hours as i64);
    assert_eq!(s.queue.prune(t0() + age - Duration::seconds(1)).unwrap(), 0);
    assert_eq!(s.queue.prune(t0() + age + Duration::seconds(1)).unwrap(), 1);
    assert!(s.queue.list(None).unwrap().is_empty());
}

async fn schedules_run_when_due_and_missed_slots_run_once(backend: Backend) {
    let s = setup(backend).await;
    let store = s.queue.store();
    let mut claim = store.claim("sv-homicide-2015").unwrap().unwrap();
    claim.schedule = Some("0 6 * * 1".into()); // Mondays 06:00
    store.put_claim(&claim).unwrap();

    // Never checked: every claim is due now.
    assert_eq!(schedule::tick(&s.queue, t0()).unwrap(), 9);
    step(&s.queue, &s.checker, "w", t0(), Take::Due, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        schedule::tick(&s.queue, t0() + Duration::hours(1)).unwrap(),
        0
    );
    let next = schedule::next_run(store.as_ref(), &claim.id)
        .unwrap()
        .unwrap();
    assert_eq!(next, Utc.with_ymd_and_hms(2026, 12, 7, 6, 0, 0).unwrap());

    // Three weeks down: the three missed Mondays make one run, then the next is in the future.
    let back = t0() + Duration::weeks(3) + Duration::hours(2);
    let before = s.queue.list(None).unwrap().len();
    assert!(store
        .due_schedules(back)
        .unwrap()
        .iter()
        .any(|id| id == &claim.id));
    schedule::tick(&s.queue, back).unwrap();
    let jobs_for_claim = s
        .queue
        .list(None)
        .unwrap()
        .into_iter()
        .filter(|j| j.claim_id == claim.id && j.is_pending())
        .count();
    assert_eq!(jobs_for_claim, 1);
    assert!(s.queue.list(None).unwrap().len() > before);
    schedule::tick(&s.queue, back).unwrap();
    assert_eq!(
        s.queue
            .list(None)
            .unwrap()
            .into_iter()
            .filter(|j| j.claim_id == claim.id && j.is_pending())
            .count(),
        1
    );
    assert!(
        schedule::next_run(store.as_ref(), &claim.id)
            .unwrap()
            .unwrap()
            > back
    );
}

async fn a_revision_found_by_a_recheck_is_a_change_event(backend: Backend) {
    let s = setup(backend).await;
    s.queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap();
    step(&s.queue, &s.checker, "w", t0(), Take::Due, &mut |_| {})
        .await
        .unwrap();
    s.app
        .standin
        .revise("2026-07-01", standin::HOMICIDE, "SLV", 2015, 105.2);
    let later = t0() + Duration::days(8);
    // Country list cache is fresh for a week: after 8 days it is fetched again, fine.
    s.queue
        .enqueue("sv-homicide-2015", Priority::Scheduled, later)
        .unwrap();
    step(&s.queue, &s.checker, "w", later, Take::Due, &mut |_| {})
        .await
        .unwrap();
    let events = s.queue.store().changes(None).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].claim_id, "sv-homicide-2015");
    assert_eq!(
        (events[0].grade_from.as_str(), events[0].grade_to.as_str()),
        ("mostly-true", "true")
    );
    assert_eq!(events[0].vintage_to.as_deref(), Some("2026-07-01"));
    assert!(s
        .queue
        .store()
        .changes(Some(later + Duration::seconds(1)))
        .unwrap()
        .is_empty());
}

async fn a_claim_removed_while_its_job_runs_gets_no_verdict(backend: Backend) {
    let s = setup(backend).await;
    s.queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap();
    let running = s.queue.take("w", 1, t0()).unwrap().remove(0);
    let store = s.queue.store();
    assert!(store
        .remove_claim("sv-homicide-2015", &|job| job.cancelled(t0()))
        .unwrap());
    let cancelled = s.queue.get(running.id).unwrap().unwrap();
    assert_eq!(cancelled.state, JobState::Dead);
    assert!(cancelled.last_error.unwrap().contains("was removed"));
    // The worker finishes with its result: nothing is written, and a re-added claim starts
    // with an empty history.
    let verdict = claimcheck::verify::Verdict {
        grade: claimcheck::verify::Grade::True,
        explanation: "late".into(),
        evidence: Default::default(),
    };
    assert!(s.queue.succeed(&running, &verdict, t0()).unwrap().is_none());
    assert!(store.history("sv-homicide-2015").unwrap().is_empty());
    // A job dead because its claim was removed needs no one: no alert on it.
    let jobs = s.queue.list(None).unwrap();
    let text = claimcheck::metrics::render(store.as_ref(), &jobs).unwrap();
    assert!(text.contains("claimcheck_dead_jobs 0\n"), "{text}");
}

async fn a_job_that_crashes_the_worker_every_time_ends_dead_with_a_reason(backend: Backend) {
    let s = setup(backend).await;
    let job = s
        .queue
        .enqueue("sv-homicide-2015", Priority::User, t0())
        .unwrap()
        .job;
    let lease = Duration::seconds(s.config.queue.lease_secs as i64);
    let mut now = t0();
    for _ in 0..=s.config.queue.max_rescues {
        assert_eq!(s.queue.take("w", 1, now).unwrap().len(), 1);
        now = now + lease + Duration::seconds(1);
        assert_eq!(s.queue.rescue(now, false).unwrap(), 1);
    }
    let dead = s.queue.get(job.id).unwrap().unwrap();
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, 0));
    let reason = dead.last_error.unwrap();
    assert!(
        reason.contains("stopped") && reason.contains("jobs retry"),
        "{reason}"
    );
}

async fn a_recheck_that_finds_the_same_is_stored_small_and_still_listed(backend: Backend) {
    let s = setup(backend).await;
    let store = s.queue.store();
    for hours in [0, 1, 2] {
        let now = t0() + Duration::hours(hours);
        s.queue
            .enqueue("sv-homicide-2015", Priority::User, now)
            .unwrap();
        step(&s.queue, &s.checker, "w", now, Take::Due, &mut |_| {})
            .await
            .unwrap();
    }
    let history = store.history("sv-homicide-2015").unwrap();
    assert_eq!(history.len(), 3, "every check is listed");
    assert_eq!(
        history[0].checked_at,
        t0() + Duration::hours(2),
        "newest first"
    );
    assert_eq!(history[0].verdict.grade, history[2].verdict.grade);
    assert_eq!(
        history[0].verdict.explanation,
        history[2].verdict.explanation
    );
    assert!(history[0].change.is_none());
    // On disk: one full record with its evidence, then two small re-check entries.
    let backup = store.backup().unwrap();
    let mut sizes: Vec<usize> = backup
        .entries
        .iter()
        .filter(|e| e.tree == "verdicts" && e.key.starts_with(&hex("sv-homicide-2015\0")))
        .map(|e| e.value.len() / 2)
        .collect();
    sizes.sort();
    assert_eq!(sizes.len(), 3);
    assert!(sizes[1] <= 200, "re-check entries are small: {sizes:?}");
    assert!(
        sizes[2] > 5 * sizes[1],
        "the full record keeps the evidence: {sizes:?}"
    );
    eprintln!("bytes per history entry (value only): {sizes:?}");
    // A revision is a full record again.
    s.app
        .standin
        .revise("2026-07-01", standin::HOMICIDE, "SLV", 2015, 105.2);
    let later = t0() + Duration::days(8);
    s.queue
        .enqueue("sv-homicide-2015", Priority::User, later)
        .unwrap();
    step(&s.queue, &s.checker, "w", later, Take::Due, &mut |_| {})
        .await
        .unwrap();
    let latest = store.latest_verdict("sv-homicide-2015").unwrap().unwrap();
    assert!(latest.change.unwrap().contains("value revised"));
}

/// A graceful stop past its grace period hands its own running jobs back at once (on a
/// shared store they stalled until their lease expired): queued, the attempt given back, no
/// rescue counted; another worker's job is left alone, and the stopped worker's late
/// verdict writes nothing.
async fn a_graceful_stop_hands_its_own_jobs_back(backend: Backend) {
    let s = setup(backend).await;
    for id in ["sv-homicide-2015", "sv-homicide-2015-highest"] {
        s.queue.enqueue(id, Priority::User, t0()).unwrap();
    }
    let mine = s.queue.take("stopping", 1, t0()).unwrap().remove(0);
    let theirs = s.queue.take("other", 1, t0()).unwrap().remove(0);
    assert_eq!(s.queue.hand_back("stopping", t0()).unwrap(), 1);
    let job = s.queue.get(mine.id).unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts, job.rescues, job.worker),
        (JobState::Queued, 0, 0, None)
    );
    assert_eq!(
        s.queue.get(theirs.id).unwrap().unwrap().state,
        JobState::Running
    );
    let report = step(&s.queue, &s.checker, "next", t0(), Take::Due, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.succeeded, 1);
    let verdict = s
        .queue
        .store()
        .latest_verdict(&mine.claim_id)
        .unwrap()
        .unwrap()
        .verdict;
    assert!(s.queue.succeed(&mine, &verdict, t0()).unwrap().is_none());
}

both!(
    a_graceful_stop_hands_its_own_jobs_back,
    one_pending_job_per_claim_and_user_requests_go_first,
    a_step_drains_due_jobs_with_one_verdict_each,
    concurrent_workers_never_take_the_same_job,
    an_expired_lease_is_rescued_and_the_late_worker_writes_nothing,
    upstream_faults_retry_with_backoff_then_die_and_can_be_retried,
    permanent_failures_die_at_once_with_the_reason,
    finished_jobs_are_pruned_after_their_age,
    schedules_run_when_due_and_missed_slots_run_once,
    a_revision_found_by_a_recheck_is_a_change_event,
    a_claim_removed_while_its_job_runs_gets_no_verdict,
    a_job_that_crashes_the_worker_every_time_ends_dead_with_a_reason,
    a_recheck_that_finds_the_same_is_stored_small_and_still_listed,
);

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}
