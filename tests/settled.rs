//! `verify` settles at once a request a check could not answer differently: the claim, the
//! code and grading, and the cached series (still fresh) and country list are what its last
//! verdict was judged from. Such a request gets a job born succeeded (no attempt ran), a
//! compact "checked again" entry in the history, the same verdict, and no request to any
//! source; anything else that changed gets a full check. On sled and PostgreSQL, alone and
//! through a daemon.

mod common;

use claimcheck::claim::Claim;
use claimcheck::inputs::StoredJudged;
use claimcheck::queue::Priority;
use claimcheck::store::Settle;
use common::backends::Backend;
use common::{by_id, seed_claims, spawn_daemon, stop, TestApp};
use serde_json::Value;

const SV: &str = "sv-homicide-2015";

/// An app on `backend` whose response cache keeps series for a day, with the seed claims
/// checked once; `None` when the backend is not configured here (the skip is printed).
async fn checked_once(backend: Backend, test: &str) -> Option<TestApp> {
    let app = TestApp::on(backend, test).await?;
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    app.write_config(&config);
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd().args(["verify", "--all"]).assert().success();
    Some(app)
}

/// The newest job of each claim, by claim id.
fn newest_jobs(app: &TestApp) -> std::collections::HashMap<String, Value> {
    let mut newest = std::collections::HashMap::new();
    for job in app.json(&["jobs", "--json"]) {
        let claim = job["claim_id"].as_str().unwrap().to_string();
        let id = job["id"].as_u64().unwrap();
        if newest
            .get(&claim)
            .is_none_or(|j: &Value| j["id"].as_u64().unwrap() < id)
        {
            newest.insert(claim, job);
        }
    }
    newest
}

/// True when the claim's newest job was settled at once (born succeeded, no attempt).
fn settled_at_once(app: &TestApp, claim: &str) -> bool {
    let job = &newest_jobs(app)[claim];
    assert_eq!(job["state"], "succeeded", "{job}");
    job["attempts"] == 0
}

async fn an_unchanged_recheck_within_the_ttl_is_settled_at_once(backend: Backend) {
    let Some(app) = checked_once(
        backend,
        "an_unchanged_recheck_within_the_ttl_is_settled_at_once",
    )
    .await
    else {
        return;
    };
    let first = app.json(&["verify", "--all", "--json"]);
    let requests = app.server.received_requests().await.unwrap().len();

    let again = app.json(&["verify", "--all", "--json"]);
    assert_eq!(
        app.server.received_requests().await.unwrap().len(),
        requests,
        "no request to any source"
    );
    assert_eq!(again.len(), first.len(), "every claim answered");
    for before in &first {
        let id = before["id"].as_str().unwrap();
        let after = by_id(&again, id);
        assert_eq!(after["verdict"], before["verdict"], "{id}");
        assert_eq!(after["actual"], before["actual"], "{id}");
        assert_eq!(after["explanation"], before["explanation"], "{id}");
    }
    assert!(settled_at_once(&app, SV));
    assert_eq!(
        by_id(&again, SV)["settled_at_once"],
        true,
        "--json says so for scripts"
    );
    let rate = by_id(&again, SV);
    assert_ne!(
        rate["checked_at"],
        by_id(&first, SV)["checked_at"],
        "dated when asked"
    );

    // The summary says so, and `show` lists the check.
    let text = app.cmd().args(["verify", SV]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("1 settled at once"),
        "the summary names what was not judged again: {text}"
    );
    let shown = app.json(&["show", SV, "--json"]);
    let history = shown[0]["history"].as_array().unwrap();
    assert_eq!(
        history.len(),
        4,
        "every check is listed, the settled ones too"
    );
    assert!(history.iter().all(|h| h["verdict"] == "mostly-true"));
}

async fn anything_a_verdict_stands_on_that_changed_means_a_full_check(backend: Backend) {
    let Some(app) = checked_once(
        backend,
        "anything_a_verdict_stands_on_that_changed_means_a_full_check",
    )
    .await
    else {
        return;
    };
    app.cmd().args(["verify", SV]).assert().success();
    assert!(settled_at_once(&app, SV), "the baseline: nothing changed");

    // A changed claim (imported, so only queued): `verify` judges it.
    let file = app.claim_file(
        "changed.toml",
        &format!(
            "[[claim]]\nid = \"{SV}\"\ntext = \"El Salvador's murder rate was 107.6 in 2015\"\n\
             indicator = \"VC.IHR.PSRC.P5\"\ncountry = \"SLV\"\nyear = 2015\nvalue = 107.6\n"
        ),
    );
    app.cmd().arg("import").arg(&file).assert().success();
    let changed = app.json(&["verify", SV, "--json"]);
    assert!(!settled_at_once(&app, SV), "a changed claim is judged");
    assert_eq!(by_id(&changed, SV)["verdict"], "true");
    assert_eq!(by_id(&changed, SV)["settled_at_once"], false);
    app.cmd().args(["verify", SV]).assert().success();
    assert!(settled_at_once(&app, SV), "and then settles again");

    // `edit` checks the edited claim itself, in full; a `verify` after it settles.
    app.cmd()
        .args([
            "edit",
            SV,
            "--value",
            "90",
            "--text",
            "El Salvador's murder rate was 90 in 2015",
        ])
        .assert()
        .success();
    assert!(!settled_at_once(&app, SV), "the edit's own check is judged");
    let after = app.json(&["verify", SV, "--json"]);
    assert!(settled_at_once(&app, SV));
    assert_eq!(
        by_id(&after, SV)["verdict"],
        "mostly-false",
        "90 against 107.6: the edited claim's verdict, repeated"
    );

    // Other grading settings: judged again.
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    config.grading.mostly_true = 0.08;
    app.write_config(&config);
    app.cmd().args(["verify", SV]).assert().success();
    assert!(!settled_at_once(&app, SV), "other grading is judged");

    // A cleared cache: fetched and judged again.
    let requests = app.requests("/indicator/").await.len();
    app.cmd().args(["cache", "clear"]).assert().success();
    app.cmd().args(["verify", SV]).assert().success();
    assert!(!settled_at_once(&app, SV), "a cleared cache is fetched");
    assert!(app.requests("/indicator/").await.len() > requests);

    // The cache off: every verify is a full check.
    config.cache.ttl_hours = 0;
    app.write_config(&config);
    app.cmd().args(["verify", SV]).assert().success();
    assert!(
        !settled_at_once(&app, SV),
        "without the cache, always judged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_settles_verify_all_the_same_way() {
    let app = checked_once(Backend::Sled, "a_daemon_settles_verify_all_the_same_way")
        .await
        .expect("sled is always there");
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    config.queue.poll_ms = 50;
    app.write_config(&config);
    let alone = app.json(&["verify", "--all", "--json"]);
    let daemon = spawn_daemon(&app);
    let requests = app.server.received_requests().await.unwrap().len();
    let through = app.json(&["verify", "--all", "--json"]);
    stop(daemon);
    assert_eq!(
        app.server.received_requests().await.unwrap().len(),
        requests
    );
    assert_eq!(through.len(), alone.len());
    for r in &alone {
        let id = r["id"].as_str().unwrap();
        assert_eq!(by_id(&through, id)["verdict"], r["verdict"], "{id}");
    }
    assert!(settled_at_once(&app, SV));
}

async fn a_verdict_a_second_source_may_corroborate_is_always_judged(backend: Backend) {
    let Some(app) = TestApp::on(
        backend,
        "a_verdict_a_second_source_may_corroborate_is_always_judged",
    )
    .await
    else {
        return;
    };
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    app.write_config(&config);
    let file = app.claim_file(
        "c.toml",
        r#"
[[claim]]
id = "sv-2015"
text = "El Salvador's murder rate was 105 per 100,000 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105

[[claim]]
id = "sv-highest"
text = "By 2015 the murder rate in El Salvador was the highest in the world"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
kind = "rank"
rank = 1
order = "desc"
"#,
    );
    app.cmd().arg("import").arg(&file).assert().success();
    for _ in 0..2 {
        app.cmd()
            .args(["verify", "--all", "--corroborate"])
            .assert()
            .success();
    }
    assert!(
        !settled_at_once(&app, "sv-2015"),
        "Our World in Data publishes the homicide rate too: judged every time"
    );
    assert!(
        settled_at_once(&app, "sv-highest"),
        "a rank is never corroborated: settled"
    );
}

/// Between `verify` reading what a verdict stands on and settling the request, the claim may
/// change: a new version stored, an edit, or its removal. The request is then not settled:
/// its "checked again" entry would repeat a verdict given on other words. (sled settles on
/// the judged record alone, which every change to a claim removes.)
async fn a_claim_changed_after_it_was_read_is_not_settled(backend: Backend) {
    let Some(app) = checked_once(backend, "a_claim_changed_after_it_was_read_is_not_settled").await
    else {
        return;
    };
    let store = claimcheck::store::open(&app.location()).unwrap();
    let read = |id: &str| {
        let judged = store.judged(&[id.to_string()]).unwrap().remove(0).unwrap();
        (id.to_string(), store.new_job_id().unwrap(), judged)
    };
    let settle = |(claim_id, id, judged): (String, u64, StoredJudged)| {
        let request = Settle {
            id,
            claim_id: &claim_id,
            judged: &judged,
        };
        store
            .settle_unchanged(&[request], Priority::User, chrono::Utc::now())
            .unwrap()
            .remove(0)
    };
    let changed = |id: &str| {
        let mut claim = store.claim(id).unwrap().unwrap();
        claim.note = Some("a note added meanwhile".into());
        claim
    };
    assert!(settle(read(SV)).is_some(), "unchanged: settled");

    let request = read(SV);
    store.put_claim(&changed(SV)).unwrap();
    assert!(settle(request).is_none(), "a new version stored");

    let id = "sv-homicide-2015-highest";
    let request = read(id);
    let describe = |_: &Claim, _: &Claim| Some("note added".to_string());
    let (upsert, _) = store
        .put_claim_edited(&changed(id), chrono::Utc::now(), &describe)
        .unwrap();
    assert_eq!(upsert, claimcheck::store::Upsert::Updated);
    assert!(settle(request).is_none(), "edited");

    let id = "sv-homicide-2016-dropped";
    let request = read(id);
    assert!(store.remove_claim(id, &|_| None).unwrap());
    assert!(settle(request).is_none(), "removed");
}

/// `verify` answers a request it settled at once with its result, so the CLI reads nothing
/// back: that result must be what reading it back gives (claim, job and the history's
/// newest entry), an id given twice gets it twice, and a request it queued has none.
async fn a_settled_request_comes_with_the_result_reading_it_back_gives(backend: Backend) {
    let test = "a_settled_request_comes_with_the_result_reading_it_back_gives";
    let Some(app) = checked_once(backend, test).await else {
        return;
    };
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    let store = claimcheck::store::open(&app.location()).unwrap();
    let now = chrono::Utc::now();
    let inner = claimcheck::app::App::start(store, config, now)
        .await
        .unwrap();
    let mut ids: Vec<String> = inner
        .list()
        .await
        .unwrap()
        .iter()
        .map(|c| c.claim.id.clone())
        .collect();
    ids.push(SV.to_string());
    let answers = inner.verify(ids.clone(), now).await.unwrap();
    assert_eq!(answers.len(), ids.len(), "one answer per id given");

    let jobs: Vec<u64> = answers.iter().map(|a| a.job.id).collect();
    let read = inner.results(jobs).await.unwrap();
    let mut given = 0;
    for (answer, read) in answers.iter().zip(&read) {
        assert_eq!(answer.job.id, read.job.id);
        let Some(result) = &answer.result else {
            assert!(
                answer.job.attempts > 0
                    || answer.job.state != claimcheck::queue::JobState::Succeeded,
                "a request settled at once comes with its result: {:?}",
                answer.job
            );
            continue;
        };
        given += 1;
        assert_eq!(
            serde_json::to_value(result).unwrap(),
            serde_json::to_value(read).unwrap(),
            "{}",
            read.claim.id
        );
        assert_eq!(result.verdict.as_ref().unwrap().checked_at, now);
    }
    assert!(given >= 3, "most seed claims settle at once: {given}");
    let sv: Vec<_> = answers.iter().filter(|a| a.job.claim_id == SV).collect();
    assert_eq!(sv.len(), 2);
    assert_eq!(
        sv[0].job.id, sv[1].job.id,
        "an id given twice: the same job"
    );
    assert!(sv[0].result.is_some() && sv[1].result.is_some());
}

/// The times in `show`'s history of `claim`, newest first, with the latest verdict's in
/// `list`.
fn checked_times(app: &TestApp, claim: &str) -> (Vec<String>, String) {
    let shown = app.json(&["show", claim, "--json"]);
    let times = shown[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["checked_at"].as_str().unwrap().to_string())
        .collect();
    let listed = app.json(&["list", "--json"]);
    let latest = by_id(&listed, claim)["checked_at"]
        .as_str()
        .unwrap()
        .to_string();
    (times, latest)
}

/// Claims settled together are stored as one run on sled (one record, not an entry each):
/// every claim's history still lists every check, in order, at its own time; the latest
/// verdict is the newest check; an edit or a full check between runs keeps its place; and a
/// claim removed and added again under the same id starts a new history.
async fn every_settled_check_is_in_the_history_in_order(backend: Backend) {
    let Some(app) = checked_once(backend, "every_settled_check_is_in_the_history_in_order").await
    else {
        return;
    };
    let runs: Vec<Vec<Value>> = (0..3)
        .map(|_| app.json(&["verify", "--all", "--json"]))
        .collect();
    let (times, latest) = checked_times(&app, SV);
    assert_eq!(
        times.len(),
        4,
        "the full check and three settled: {times:?}"
    );
    let mut sorted = times.clone();
    sorted.sort();
    sorted.reverse();
    sorted.dedup();
    assert_eq!(sorted, times, "newest first, each at its own time");
    for (run, time) in runs.iter().rev().zip(&times) {
        assert_eq!(by_id(run, SV)["checked_at"].as_str().unwrap(), time);
    }
    assert_eq!(latest, times[0], "the latest verdict is the newest check");

    // Removed and added again: the runs before belong to the claim that was removed.
    app.cmd().args(["remove", SV]).assert().success();
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd().args(["verify", SV]).assert().success();
    let (fresh, _) = checked_times(&app, SV);
    assert_eq!(fresh.len(), 1, "a new history: {fresh:?}");
    app.cmd().args(["verify", "--all"]).assert().success();
    let (fresh, _) = checked_times(&app, SV);
    assert_eq!(fresh.len(), 2, "settled again, once: {fresh:?}");

    // The other claims kept every check: one more run.
    let other = runs[0]
        .iter()
        .find(|r| r["id"] != SV && r["settled_at_once"] == true)
        .expect("another claim settled at once")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (times, _) = checked_times(&app, &other);
    assert_eq!(times.len(), 5, "{other}: {times:?}");

    // A backup restored into a new database shows the same histories.
    let restored = backed_up_and_restored(&app);
    for claim in [SV, other.as_str()] {
        assert_eq!(
            history_in(&app, &restored, claim),
            history_in(&app, &app.location(), claim),
            "{claim}"
        );
    }
}

/// The database `app`'s is backed up and restored into (a new sled directory).
fn backed_up_and_restored(app: &TestApp) -> std::path::PathBuf {
    let file = app.dir.path().join("backup.jsonl");
    app.cmd().arg("backup").arg(&file).assert().success();
    let restored = app.dir.path().join("restored");
    app.cmd()
        .env("CLAIMCHECK_DB", &restored)
        .arg("restore")
        .arg(&file)
        .assert()
        .success();
    restored
}

/// `show CLAIM --json`'s history in the database at `db`.
fn history_in(app: &TestApp, db: &std::path::Path, claim: &str) -> Value {
    let out = app
        .cmd()
        .env("CLAIMCHECK_DB", db)
        .args(["show", claim, "--json"])
        .output()
        .unwrap();
    common::json_lines(&out.stdout)[0]["history"].clone()
}

both!(
    every_settled_check_is_in_the_history_in_order,
    a_settled_request_comes_with_the_result_reading_it_back_gives,
    a_claim_changed_after_it_was_read_is_not_settled,
    an_unchanged_recheck_within_the_ttl_is_settled_at_once,
    anything_a_verdict_stands_on_that_changed_means_a_full_check,
    a_verdict_a_second_source_may_corroborate_is_always_judged,
);

/// sled stores the jobs one verify settled at once as one record. Each still answers by its
/// id, is listed, refuses a retry as succeeded (not as unknown), survives a backup restored
/// into a new database and a copy to PostgreSQL, and is pruned with the other old jobs.
#[tokio::test(flavor = "multi_thread")]
async fn jobs_settled_together_still_answer_one_by_one() {
    let test = "jobs_settled_together_still_answer_one_by_one";
    let app = checked_once(Backend::Sled, test)
        .await
        .expect("sled is always there");
    let checked = app.json(&["jobs", "--json"]);
    app.cmd().args(["verify", "--all"]).assert().success();
    let listed = app.json(&["jobs", "--json"]);
    let settled: Vec<&Value> = listed.iter().filter(|j| j["attempts"] == 0).collect();
    assert!(settled.len() >= 2, "claims settled at once: {listed:?}");
    assert_eq!(listed.len(), checked.len() + 9, "a job per seed claim");
    let ids: Vec<u64> = listed.iter().map(|j| j["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    assert_eq!(app.json(&["jobs", "--limit", "3", "--json"]), listed[..3]);
    let text = app
        .cmd()
        .args(["jobs", "--state", "Succeeded", "--limit", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("the newest 2 of {} jobs", listed.len())),
        "{text}"
    );

    let retried = app
        .cmd()
        .args(["jobs", "retry", &settled[0]["id"].to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&retried.stderr);
    assert!(
        !retried.status.success() && stderr.contains("succeeded"),
        "a settled job is there and succeeded: {stderr}"
    );

    // A backup restored into another database answers the same.
    let other = backed_up_and_restored(&app);
    let restored = app
        .cmd()
        .env("CLAIMCHECK_DB", &other)
        .args(["jobs", "--json"])
        .output()
        .unwrap();
    assert_eq!(common::json_lines(&restored.stdout), listed);

    // A copy to PostgreSQL has a row for each.
    if let Some(db) = common::backends::test_db(Backend::Postgres, app.dir.path(), test) {
        app.cmd()
            .arg("migrate-store")
            .arg("--from")
            .arg(app.db())
            .arg("--to")
            .arg(&db.location)
            .assert()
            .success();
        let copied = app
            .cmd()
            .env("CLAIMCHECK_DB", &db.location)
            .args(["jobs", "--json"])
            .output()
            .unwrap();
        assert_eq!(common::json_lines(&copied.stdout), listed);
        // Each settled check a history row there, at its time.
        let sled = history_in(&app, &app.db(), SV);
        assert_eq!(sled.as_array().unwrap().len(), 2, "{sled}");
        assert_eq!(history_in(&app, &db.location, SV), sled);
    }

    // Pruned a week later with the others, one by one through the library as well.
    let lib = app.app().await;
    let first = settled[0]["id"].as_u64().unwrap();
    assert_eq!(
        lib.job(first).await.unwrap().claim_id,
        settled[0]["claim_id"]
    );
    let week = chrono::Utc::now() + chrono::Duration::days(8);
    assert_eq!(lib.queue().prune(week).unwrap(), listed.len());
    assert!(lib.jobs(None).await.unwrap().is_empty());
    assert!(lib.job(first).await.is_err(), "gone once pruned");
}
