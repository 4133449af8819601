//! The real binary against a real sled database and the World Bank stand-in.

mod common;

use common::{by_id, json_lines, seed_claims, standin, TestApp};
use predicates::prelude::*;

#[tokio::test(flavor = "multi_thread")]
async fn seed_article_claims_get_the_expected_verdicts() {
    let app = TestApp::start().await;
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success()
        .stdout(predicate::str::contains("9 claims: 9 added"));
    let output = app
        .cmd()
        .args(["verify", "--all", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 9);

    let rate = by_id(&results, "sv-homicide-2015");
    assert_eq!(rate["verdict"], "mostly-true");
    assert_eq!(rate["claimed"], 105.0);
    assert_eq!(rate["actual"], 107.638231);
    assert_eq!(rate["year"], 2015);
    assert_eq!(rate["vintage"], "2025-07-01");
    assert!(rate["source_url"]
        .as_str()
        .unwrap()
        .starts_with(&app.base_url()));
    let explanation = rate["explanation"].as_str().unwrap();
    assert!(explanation.contains("reports 107.6 for El Salvador in 2015 (data of 2025-07-01); the claimed 105 is 2.5% lower"), "{explanation}");
    assert!(explanation.contains("revised"), "{explanation}");

    let highest = by_id(&results, "sv-homicide-2015-highest");
    assert_eq!(highest["verdict"], "true");
    assert_eq!(highest["evidence"]["rank"]["rank"], 1);
    assert_eq!(
        highest["evidence"]["rank"]["of"], 130,
        "economies with a 2015 value; aggregates excluded"
    );

    let dropped = by_id(&results, "sv-homicide-2016-dropped");
    assert_eq!(dropped["verdict"], "true");
    assert_eq!(dropped["actual"], 85.085802);

    for id in [
        "us-deportations-2001-2010",
        "us-police-training-48m",
        "sv-police-killed-jan-2019",
    ] {
        let r = by_id(&results, id);
        assert_eq!(r["verdict"], "unverifiable", "{id}");
        assert!(
            r["explanation"]
                .as_str()
                .unwrap()
                .starts_with("No World Bank series answers this claim"),
            "{id}"
        );
    }
    assert!(by_id(&results, "us-deportations-2001-2010")["explanation"]
        .as_str()
        .unwrap()
        .contains("Washington Post"));

    app.cmd()
        .args(["show", "sv-homicide-2015"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Verdict: mostly-true"))
        .stdout(predicate::str::contains(
            "VC.IHR.PSRC.P5 — Intentional homicides (per 100,000 people)",
        ))
        .stdout(predicate::str::contains("vintage    2025-07-01"))
        .stdout(predicate::str::contains("request    http://"))
        .stdout(predicate::str::contains("History (1 check, newest first)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_fetches_each_series_once() {
    let app = TestApp::start().await;
    app.cmd()
        .args(["verify", "--json"])
        .arg(seed_claims())
        .assert()
        .success();
    // One series for El Salvador's values, one country/all series for the two rank claims.
    let data = app.requests("/indicator/").await;
    let first_pages: Vec<_> = data
        .iter()
        .filter(|r| !r.url.query().unwrap_or("").contains("&page="))
        .collect();
    assert_eq!(
        first_pages.len(),
        2,
        "{:?}",
        data.iter().map(|r| r.url.to_string()).collect::<Vec<_>>()
    );
    assert!(data
        .iter()
        .all(|r| r.url.query().unwrap().contains("format=json")));
    // The country list is fetched once and then served from the sled cache.
    app.cmd().args(["verify", "--all"]).assert().success();
    assert_eq!(
        app.requests("/v2/country")
            .await
            .iter()
            .filter(|r| r.url.path() == "/v2/country")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_grade_is_reachable() {
    let app = TestApp::start().await;
    let mut file = String::new();
    for (id, value) in [
        ("t", "107.6"),
        ("mt", "105"),
        ("ht", "98"),
        ("mf", "85"),
        ("f", "50"),
    ] {
        file.push_str(&format!(
            "[[claim]]\nid = \"{id}\"\ntext = \"El Salvador {value} in 2015\"\nindicator = \"VC.IHR.PSRC.P5\"\ncountry = \"El Salvador\"\nyear = 2015\nvalue = {value}\n\n"
        ));
    }
    file.push_str("[[claim]]\nid = \"u\"\ntext = \"Guatemala 30 in 2015\"\nindicator = \"VC.IHR.PSRC.P5\"\ncountry = \"GTM\"\nyear = 2015\nvalue = 30\n");
    let path = app.claim_file("grades.toml", &file);
    let output = app
        .cmd()
        .args(["verify", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let results = json_lines(&output.stdout);
    let grades: Vec<_> = ["t", "mt", "ht", "mf", "f", "u"]
        .iter()
        .map(|id| by_id(&results, id)["verdict"].clone())
        .collect();
    assert_eq!(
        grades,
        [
            "true",
            "mostly-true",
            "half-true",
            "mostly-false",
            "false",
            "unverifiable"
        ]
    );
    let unverifiable = by_id(&results, "u")["explanation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        unverifiable.contains("no value for Guatemala in 2015"),
        "{unverifiable}"
    );
    assert!(
        unverifiable.contains("nearest years 2014: 33.5, 2017: 32.8"),
        "{unverifiable}"
    );

    // The pre-publication gate: exit 1 when any verdict is at or below the threshold.
    app.cmd()
        .args(["verify", "t", "mt", "--fail-on", "mostly-false"])
        .assert()
        .code(0);
    app.cmd()
        .args(["verify", "t", "mf", "--fail-on", "mostly-false"])
        .assert()
        .code(1);
    app.cmd()
        .args(["verify", "u", "--fail-on", "false"])
        .assert()
        .code(0);
    app.cmd()
        .args(["verify", "t", "--fail-on", "wrong"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one of: true"));
}

#[tokio::test(flavor = "multi_thread")]
async fn change_sum_and_mean_claims() {
    let app = TestApp::start().await;
    let path = app.claim_file(
        "kinds.toml",
        r#"
[[claim]]
id = "rise"
text = "El Salvador's murder rate rose between 2015 and 2016"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
kind = "change"
from_year = 2015
year = 2016
direction = "increase"

[[claim]]
id = "mean"
text = "El Salvador averaged more than 50 murders per 100,000 between 2001 and 2010"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
kind = "mean"
from_year = 2001
year = 2010
value = 50
relation = "gt"

[[claim]]
id = "pop-sum"
text = "Honduras, population-years 2014 to 2016"
indicator = "SP.POP.TOTL"
country = "Honduras"
kind = "sum"
from_year = 2014
year = 2016
value = "28 million"
relation = "approx"
"#,
    );
    let results = json_lines(
        &app.cmd()
            .args(["verify", "--json"])
            .arg(&path)
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(by_id(&results, "rise")["verdict"], "false", "the rate fell");
    let mean = by_id(&results, "mean");
    assert_eq!(mean["verdict"], "true");
    // The mean, computed here from the recorded CSV independently of the code under test.
    let csv = std::fs::read_to_string(
        standin::fixtures().join("homicide_VC.IHR.PSRC.P5_selected_2025-10-07.csv"),
    )
    .unwrap();
    let values: Vec<f64> = csv
        .lines()
        .filter(|l| l.starts_with("SLV,"))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            let year: i32 = cols[2].parse().ok()?;
            (2001..=2010)
                .contains(&year)
                .then(|| cols[3].parse().unwrap())
        })
        .collect();
    assert_eq!(values.len(), 10);
    let expected = values.iter().sum::<f64>() / 10.0;
    assert!((mean["actual"].as_f64().unwrap() - expected).abs() < 1e-9);
    let sum = by_id(&results, "pop-sum");
    assert_eq!(sum["evidence"]["values"].as_array().unwrap().len(), 3);
    assert!(sum["verdict"] != serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_is_recorded_in_the_history() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    app.write_config(&config);
    app.cmd()
        .args(["verify"])
        .arg(seed_claims())
        .assert()
        .success();
    app.standin
        .revise("2026-07-01", standin::HOMICIDE, "SLV", 2015, 104.9);
    // Within the cache's lifetime a re-check asks no source, so it cannot see the revision.
    let data_requests = app.requests("/indicator/").await.len();
    let cached = app.json(&["verify", "sv-homicide-2015", "--json"]);
    assert_eq!(by_id(&cached, "sv-homicide-2015")["vintage"], "2025-07-01");
    assert_eq!(
        app.requests("/indicator/").await.len(),
        data_requests,
        "no request"
    );
    app.cmd()
        .args(["cache", "clear"])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed"));
    let results = app.json(&["verify", "sv-homicide-2015", "--json"]);
    let r = by_id(&results, "sv-homicide-2015");
    assert_eq!(r["verdict"], "true");
    assert_eq!(r["vintage"], "2026-07-01");
    let change = r["change"].as_str().unwrap();
    assert!(
        change.contains("verdict changed from mostly-true to true"),
        "{change}"
    );
    assert!(
        change.contains("data vintage 2025-07-01 → 2026-07-01"),
        "{change}"
    );
    assert!(
        change.contains("value revised 107.638231 → 104.9"),
        "{change}"
    );

    let show = app.json(&["show", "sv-homicide-2015", "--json"]);
    let history = show[0]["history"].as_array().unwrap();
    assert_eq!(
        history.len(),
        3,
        "every check is listed, the cached one too"
    );
    assert_eq!(history[0]["verdict"], "true", "newest first");
    assert_eq!(history[1]["verdict"], "mostly-true");
    assert_eq!(history[2]["vintage"], "2025-07-01", "old evidence is kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_answers_offline_and_names_what_it_lacks() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    app.write_config(&config);
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    let stats = app.json(&["cache", "stats", "--json"]);
    assert_eq!(stats[0]["entries"], 0);
    app.cmd().args(["verify", "--all"]).assert().success();
    let stats = app.json(&["cache", "stats", "--json"]);
    assert!(stats[0]["entries"].as_u64().unwrap() >= 2, "{stats:?}");
    assert_eq!(stats[0]["fresh"], stats[0]["entries"]);

    // Offline with the cache: the same verdicts, no request at all.
    let before = app.server.received_requests().await.unwrap().len();
    let offline = app.json(&["verify", "sv-homicide-2015", "--offline", "--json"]);
    assert_eq!(
        by_id(&offline, "sv-homicide-2015")["verdict"],
        "mostly-true"
    );
    assert_eq!(app.server.received_requests().await.unwrap().len(), before);

    // Offline without it: named as not checked, temporary, and still no request.
    app.cmd().args(["cache", "clear"]).assert().success();
    let output = app
        .cmd()
        .args(["verify", "sv-homicide-2015", "--offline", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let lines = json_lines(&output.stdout);
    let r = by_id(&lines, "sv-homicide-2015");
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("not in the response cache"),
        "{r}"
    );
    assert_eq!(r["retryable"], true);
    assert_eq!(app.server.received_requests().await.unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_files_name_file_line_and_fix_and_keep_good_claims() {
    let app = TestApp::start().await;
    let path = app.claim_file(
        "mixed.toml",
        "[[claim]]\nid = \"good\"\ntext = \"Honduras 55.7 in 2015\"\nindicator = \"VC.IHR.PSRC.P5\"\ncountry = \"HND\"\nyear = 2015\nvalue = 55.7\n\n[[claim]]\nid = \"bad\"\ntext = \"typo\"\nindicatr = \"VC.IHR.PSRC.P5\"\n",
    );
    app.cmd()
        .arg("import")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "mixed.toml:12:1: unknown key `indicatr`; did you mean `indicator`?",
        ))
        .stdout(predicate::str::contains("1 claim: 1 added"));
    let list = app.json(&["list", "--json"]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], "good");
    assert_eq!(list[0]["verdict"], serde_json::Value::Null);

    let broken = app.claim_file("broken.toml", "[[claim]]\ntext = \"x\"\nvalue = = 3\n");
    app.cmd()
        .arg("import")
        .arg(&broken)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.toml:3:"));
    app.cmd()
        .args(["import", "no/such/dir"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file"));
}

#[tokio::test(flavor = "multi_thread")]
async fn import_is_idempotent_by_id() {
    let app = TestApp::start().await;
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "9 claims: 0 added, 0 updated, 9 unchanged",
        ));
    assert_eq!(app.json(&["list", "--json"]).len(), 9);
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_errors_are_reported_per_claim() {
    let app = TestApp::start().await;
    let path = app.claim_file(
        "errors.toml",
        r#"
[[claim]]
id = "unknown-indicator"
text = "x"
indicator = "NOT.AN.INDICATOR"
country = "SLV"
value = 1

[[claim]]
id = "archived"
text = "refugees"
indicator = "SM.POP.REFG"
country = "SLV"
value = 1

[[claim]]
id = "fine"
text = "Honduras 55.7 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "HND"
year = 2015
value = 55.7
"#,
    );
    let output = app
        .cmd()
        .args(["verify", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let results = json_lines(&output.stdout);
    let unknown = by_id(&results, "unknown-indicator");
    assert_eq!(unknown["verdict"], serde_json::Value::Null);
    assert!(unknown["error"].as_str().unwrap().contains("error 120"));
    assert_eq!(unknown["retryable"], false);
    assert!(by_id(&results, "archived")["error"]
        .as_str()
        .unwrap()
        .contains("deleted or archived"));
    assert_eq!(
        by_id(&results, "fine")["verdict"],
        "true",
        "other claims are still checked"
    );
    // The API error is not retried: one request per failing indicator.
    assert_eq!(app.requests("NOT.AN.INDICATOR").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn add_from_flags_validates_and_stores() {
    let app = TestApp::start().await;
    let output = app
        .cmd()
        .args([
            "add",
            "--text",
            "Honduras had 5.7 million people",
            "--indicator",
            "SP.POP.TOTL",
        ])
        .args([
            "--country",
            "Honduras",
            "--year",
            "2000",
            "--value",
            "6.5 million",
            "--relation",
            "approx",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let added = &json_lines(&output.stdout)[0];
    assert_eq!(added["id"], "honduras-had-5-7-million-people");
    assert_eq!(added["country"], "HND");
    assert_eq!(added["value"], 6_500_000.0);
    assert_eq!(added["relation"], "approx");
    app.cmd()
        .args(["verify", "honduras-had-5-7-million-people"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Honduras in 2000"));

    app.cmd()
        .args([
            "add",
            "--text",
            "x",
            "--indicator",
            "SP.POP.TOTL",
            "--country",
            "Hondurass",
            "--value",
            "1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean Honduras"));
    app.cmd()
        .args(["show", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no claim with id \"nope\""));
    app.cmd()
        .args(["remove", "honduras-had-5-7-million-people"])
        .assert()
        .success();
    app.cmd()
        .args(["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no claims yet"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_in_use_gets_a_clear_message() {
    let app = TestApp::start().await;
    let _held = claimcheck::store::open(&app.db()).unwrap();
    app.cmd()
        .args(["list"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "in use by another claimcheck process",
        ));
}

#[test]
fn help_teaches_with_examples() {
    assert_cmd::Command::cargo_bin("claimcheck")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("Exit codes:"));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_due_checks_only_what_is_due_for_cron() {
    let app = TestApp::start().await;
    let path = app.claim_file(
        "scheduled.toml",
        r#"
[[claim]]
id = "weekly"
text = "El Salvador 107.6 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 107.6
schedule = "0 6 * * 1"

[[claim]]
id = "default-interval"
text = "Honduras 55.7 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "HND"
year = 2015
value = 55.7
"#,
    );
    app.cmd().arg("import").arg(&path).assert().success();
    // Never checked (import queued them): both are due.
    let first = app.json(&["verify", "--due", "--json"]);
    let mut ids: Vec<_> = first
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["default-interval", "weekly"]);
    // Just checked: nothing is due until the next Monday 06:00 / the re-check interval.
    app.cmd()
        .args(["verify", "--due"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no claims are due"));
    let store = claimcheck::store::open(&app.db()).unwrap();
    let next = claimcheck::queue::schedule::next_run(store.as_ref(), "weekly")
        .unwrap()
        .unwrap();
    assert_eq!(next.format("%a %H:%M").to_string(), "Mon 06:00");
}

/// `verify ID` runs that claim's job and no other: a backlog of queued checks (here, two
/// imported claims) stays queued for the daemon, cron or a later `verify`, instead of making
/// one claim's check wait on all of them (it used to drain the whole queue).
#[tokio::test(flavor = "multi_thread")]
async fn verify_one_claim_runs_its_job_and_leaves_the_backlog_queued() {
    let app = TestApp::start().await;
    let path = app.claim_file(
        "three.toml",
        r#"
[[claim]]
id = "slv"
text = "El Salvador 105.2 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105.2

[[claim]]
id = "hnd"
text = "Honduras 55.7 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "HND"
year = 2015
value = 55.7

[[claim]]
id = "pop"
text = "Honduras population 9 million in 2015"
indicator = "SP.POP.TOTL"
country = "HND"
year = 2015
value = 9000000
"#,
    );
    app.cmd().arg("import").arg(&path).assert().success();
    let verified = app.json(&["verify", "slv", "--json"]);
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0]["id"], "slv");
    assert!(verified[0]["verdict"].is_string(), "{:?}", verified[0]);
    let queued = app.json(&["jobs", "--state", "queued", "--json"]);
    let mut left: Vec<&str> = queued
        .iter()
        .map(|j| j["claim_id"].as_str().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["hnd", "pop"], "the backlog is left queued");
    assert!(
        app.requests("SP.POP.TOTL").await.is_empty(),
        "no data was fetched for a job that was not asked for"
    );
    // The backlog still runs, when asked for.
    let due = app.json(&["verify", "--due", "--json"]);
    assert_eq!(due.len(), 2);
}

/// `add "sentence"` takes the labels the API takes beside a sentence (`--id`, `--tag`,
/// `--schedule`, `--note`) and refuses the flags a sentence states itself: neither is
/// dropped in silence (a new user's `--year 2021` and `--tag` were).
#[tokio::test(flavor = "multi_thread")]
async fn a_sentence_takes_labels_and_refuses_claim_flags() {
    let app = TestApp::start().await;
    let sentence = "El Salvador homicide rate 105 per 100,000 in 2015";
    for (flag, value) in [
        ("--year", "2016"),
        ("--relation", "approx"),
        ("--value", "7"),
    ] {
        app.cmd()
            .args(["add", sentence, flag, value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{flag} cannot be combined with a sentence"
            )));
    }
    app.cmd()
        .args(["add", sentence, "--schedule", "* * * * *"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("schedule"));
    assert!(app.json(&["list", "--json"]).is_empty(), "nothing stored");
    app.cmd()
        .args([
            "add",
            sentence,
            "--id",
            "sv-2015",
            "--tag",
            "desk",
            "--note",
            "from the wire",
        ])
        .assert()
        .success();
    let list = app.json(&["list", "--json", "--tag", "desk"]);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], "sv-2015");
}

/// An error that quotes its cause prints it once (a missing config file printed "No such
/// file or directory" twice); an empty article says there is nothing to check.
#[tokio::test(flavor = "multi_thread")]
async fn errors_and_empty_input_read_well() {
    let app = TestApp::start().await;
    let out = assert_cmd::Command::cargo_bin("claimcheck")
        .unwrap()
        .args(["--config", "/nonexistent/claimcheck.toml", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read config file /nonexistent/claimcheck.toml"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    // `add` alone shows its forms, also with CLAIMCHECK_DB set (clap asked for --text).
    app.cmd()
        .env("CLAIMCHECK_DB", app.db())
        .arg("add")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Two forms:"));
    app.cmd()
        .args(["scan", "-"])
        .write_stdin("")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to check"))
        .stdout(predicate::str::contains("make a report").not());
}

/// `remove` with a mistyped id among valid ones removes nothing and names the typo (it
/// removed the valid ones first).
#[tokio::test(flavor = "multi_thread")]
async fn remove_is_all_or_nothing() {
    let app = TestApp::start().await;
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd()
        .args(["remove", "sv-homicide-2015", "sv-homicide-2105"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sv-homicide-2105"))
        .stderr(predicate::str::contains("nothing was removed"));
    let ids: Vec<String> = app
        .json(&["list", "--json"])
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"sv-homicide-2015".to_string()), "{ids:?}");
    app.cmd()
        .args(["remove", "sv-homicide-2015", "sv-homicide-2016-dropped"])
        .assert()
        .success();
    assert_eq!(app.json(&["list", "--json"]).len(), ids.len() - 2);
}

/// Two sentences whose slugs agree (punctuation, signs and symbols drop out; slugs stop at
/// 60 characters) are two claims: the second never replaces the first (it did, recorded
/// only as an edit). Adding the first again still finds it unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn sentences_sharing_a_slug_are_two_claims() {
    let app = TestApp::start().await;
    let first = "El Salvador homicide rate 105 per 100,000 in 2015";
    let second = "El Salvador homicide rate: 105 per 100,000, in 2015.";
    app.cmd().args(["add", first]).assert().success();
    app.cmd()
        .args(["add", second])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "added el-salvador-homicide-rate-105-per-100-000-in-2015-2",
        ));
    let list = app.json(&["list", "--json"]);
    let texts: Vec<(&str, &str)> = list
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["text"].as_str().unwrap()))
        .collect();
    assert_eq!(list.len(), 2, "{texts:?}");
    assert!(texts.contains(&("el-salvador-homicide-rate-105-per-100-000-in-2015", first)));
    app.cmd()
        .args(["add", first])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "unchanged el-salvador-homicide-rate-105-per-100-000-in-2015:",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn add_a_sentence_shows_the_parse_stores_and_verifies_it() {
    let app = TestApp::start().await;
    app.cmd()
        .args(["add", "El Salvador homicide rate 105 per 100,000 in 2015"])
        .assert()
        .success()
        .stdout(predicate::str::contains("country    SLV (El Salvador)   ← \"El Salvador\""))
        .stdout(predicate::str::contains("indicator  VC.IHR.PSRC.P5 (Intentional homicides (per 100,000 people))   ← \"homicide rate\""))
        .stdout(predicate::str::contains("mostly-true"));
    let list = app.json(&["list", "--json"]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["verdict"], "mostly-true");

    // --dry-run --json: the claim-file keys plus the spans used; nothing stored.
    let output = app
        .cmd()
        .args([
            "add",
            "Inflation in Turkey hit 72% last year.",
            "--as-of",
            "2023-03-01",
            "--dry-run",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let parsed = &json_lines(&output.stdout)[0];
    assert_eq!(parsed["country"], "TUR");
    assert_eq!(parsed["indicator"], "FP.CPI.TOTL.ZG");
    assert_eq!(parsed["year"], 2022);
    assert_eq!(parsed["value"], 72.0);
    assert_eq!(parsed["relation"], "eq");
    assert_eq!(parsed["kind"], "value");
    assert!(parsed["spans"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["field"] == "year" && s["text"] == "last year"));
    assert_eq!(
        app.json(&["list", "--json"]).len(),
        1,
        "dry run stores nothing"
    );

    // A refusal with --json: the reason and the words it names on stdout, for scripts.
    let output = app
        .cmd()
        .args([
            "add",
            "Mexico's murder rate was 2 points higher in 2019.",
            "--dry-run",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let refused = &json_lines(&output.stdout)[0];
    assert!(refused["refused"].as_str().unwrap().contains("\"higher\""));
    assert_eq!(refused["unhandled"][0]["words"], "higher");
    assert_eq!(refused["unhandled"][0]["kind"], "comparison");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot turn this sentence"));

    // A rank within a region: the region's economies only (the US and South Africa have
    // 2016 values in the fixtures but are not in Latin America). Only 10 of the region's
    // 31 report that year, so first place among them is not shown to be first: refused.
    app.cmd()
        .args([
            "add",
            "El Salvador had the highest murder rate in Latin America in 2016.",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "among      LCN   ← \"Latin America\"",
        ))
        .stdout(predicate::str::contains(
            "the highest of the 10 economies of Latin America & Caribbean with data that year; 21 of the 31 report no value",
        ))
        .stdout(predicate::str::contains("unverifiable"));

    app.cmd()
        .args(["add", "Congo's murder rate was 10 per 100,000 in 2015."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is ambiguous: it could be Congo, Dem. Rep.",
        ));
    app.cmd()
        .args(["add", "El Salvador was a dangerous place in 2015."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no known statistic found"));
    assert_eq!(
        app.json(&["list", "--json"]).len(),
        2,
        "refused sentences store nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_location_that_is_not_a_directory_of_ours_is_refused() {
    let app = TestApp::start().await;
    for (db, why) in [
        ("/".to_string(), "directory of its own"),
        (app.config_path().display().to_string(), "it is a file"),
        (env!("CARGO_MANIFEST_DIR").to_string(), "other files in it"),
    ] {
        app.cmd()
            .env("CLAIMCHECK_DB", &db)
            .args(["list"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why));
    }
    assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conf")
        .exists());
}

/// A rank claim states its place: `--kind rank` without `--rank` was checked as "the
/// highest" (a trial got a verdict on a place it never gave); now refused, nothing stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_rank_claim_without_its_place_is_refused() {
    let app = TestApp::start().await;
    app.cmd()
        .args([
            "add",
            "--text",
            "El Salvador rank",
            "--kind",
            "rank",
            "--indicator",
            "VC.IHR.PSRC.P5",
            "--country",
            "SLV",
            "--year",
            "2015",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`rank` is required for kind = \"rank\"",
        ));
    assert!(!app.db().exists(), "nothing stored, not even a database");
}

/// Adding a claim again without labels keeps the stored ones: a trial's re-added sentence
/// lost its tags ("claim edited: tags batch2 → none") and left its export.
#[tokio::test(flavor = "multi_thread")]
async fn adding_a_claim_again_keeps_its_tags() {
    let app = TestApp::start().await;
    let sentence = "El Salvador homicide rate 105 per 100,000 in 2015";
    app.cmd()
        .args(["add", sentence, "--id", "sv", "--tag", "batch2"])
        .assert()
        .success();
    app.cmd()
        .args(["add", sentence, "--id", "sv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unchanged sv"))
        .stdout(predicate::str::contains("tags").not());
    let shown = app.json(&["show", "sv", "--json"]).remove(0);
    assert_eq!(
        shown["claim"]["tags"],
        serde_json::json!(["batch2"]),
        "{shown}"
    );
    // Tags given replace them.
    app.cmd()
        .args(["add", sentence, "--id", "sv", "--tag", "desk"])
        .assert()
        .success()
        .stdout(predicate::str::contains("tags batch2 → desk"));
}

/// Asking again runs a check now that an earlier run left waiting to retry: after a
/// `--offline` run found nothing cached, a plain `verify` kept printing that failure until
/// the retry's backoff ran out (a trial waited 30 s).
#[tokio::test(flavor = "multi_thread")]
async fn verify_after_an_offline_failure_checks_now() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "sv.toml",
        "[[claim]]\nid = \"sv\"\ntext = \"El Salvador 105 in 2015\"\nindicator = \"VC.IHR.PSRC.P5\"\ncountry = \"SLV\"\nyear = 2015\nvalue = 105\n",
    );
    app.cmd().arg("import").arg(&file).assert().success();
    let offline = app
        .cmd()
        .args(["verify", "sv", "--offline"])
        .output()
        .unwrap();
    assert_eq!(
        offline.status.code(),
        Some(3),
        "nothing cached: not checked"
    );
    let again = app.json(&["verify", "sv", "--json"]);
    assert_eq!(again[0]["verdict"], "mostly-true", "{:?}", again[0]);
}

/// Ids that name no claim in a URL path or report file are refused at the door: ".." broke
/// `show` and `remove` through the daemon, a 300-character id stopped the report.
#[tokio::test(flavor = "multi_thread")]
async fn ids_that_cannot_name_a_page_are_refused() {
    let app = TestApp::start().await;
    let long = "a".repeat(300);
    for id in [".", "..", long.as_str()] {
        app.cmd()
            .args([
                "add",
                "--id",
                id,
                "--text",
                "x",
                "--indicator",
                "SP.POP.TOTL",
                "--country",
                "SLV",
                "--year",
                "2015",
                "--value",
                "6000000",
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("must hold a letter or digit"));
    }
}

/// A job that dies is logged at the default level with its reason and what to do: a
/// daemon's log said nothing of it (only `status` counted it).
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_job_is_logged_with_its_reason() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "unknown.toml",
        "[[claim]]\nid = \"spending\"\ntext = \"x\"\nindicator = \"SE.XPD.TOTL.GD.ZS\"\ncountry = \"SLV\"\nyear = 2015\nvalue = 4\n",
    );
    app.cmd().arg("import").arg(&file).assert().success();
    app.cmd()
        .args(["verify", "spending"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("job dead"))
        .stderr(predicate::str::contains("jobs retry"));
    app.cmd()
        .args(["status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 dead job(s)"));
    // Fixed and checked since: the dead job needs no one any more, and stops alerting.
    app.cmd()
        .args([
            "edit",
            "spending",
            "--indicator",
            "VC.IHR.PSRC.P5",
            "--value",
            "105",
        ])
        .assert()
        .success();
    app.cmd()
        .args(["status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("dead job").not());
}

/// A setting out of range is refused naming the file and the key: `timeout_secs = 0` was
/// accepted, and every fetch then timed out at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_setting_out_of_range_names_its_file() {
    let app = TestApp::start().await;
    std::fs::write(app.config_path(), "[worldbank]\ntimeout_secs = 0\n").unwrap();
    app.cmd()
        .args(["list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            app.config_path().display().to_string(),
        ))
        .stderr(predicate::str::contains("timeout_secs"));
}

/// A command that reads or checks what is stored refuses a database that does not exist
/// instead of making an empty one: under cron, a typo in --db reported "no claims are due"
/// with exit 0, every night.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_database_is_refused_by_commands_that_read_it() {
    let app = TestApp::start().await;
    for args in [
        vec!["verify", "--due"],
        vec!["list"],
        vec!["status"],
        vec!["show", "x"],
    ] {
        app.cmd()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("no database at"));
    }
    assert!(!app.db().exists(), "none was made");
}
