//! `[queue] min_schedule_secs`: claims whose cron schedule would re-check them more often
//! than the minimum are refused wherever they enter (claim files and `add` in-process and
//! through the daemon, `POST /claims`), with an error naming the claim, its schedule and
//! the minimum; nothing of a refused batch is stored.

mod common;

use chrono::{TimeZone, Utc};
use claimcheck::queue::schedule::shortest_gap;
use common::{spawn_api, spawn_daemon, stop, TestApp};
use predicates::prelude::*;
use serde_json::{json, Value};

fn claim_toml(id: &str, schedule: &str) -> String {
    format!(
        r#"
[[claim]]
id = "{id}"
text = "El Salvador 107.6 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 107.6
schedule = "{schedule}"
"#
    )
}

#[test]
fn the_gap_is_the_shortest_between_consecutive_runs() {
    let from = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    let secs = |expr: &str| shortest_gap(expr, from).map(|d| d.num_seconds());
    assert_eq!(secs("* * * * * *"), Some(1));
    assert_eq!(secs("*/15 * * * *"), Some(15 * 60));
    assert_eq!(secs("0 * * * *"), Some(3600));
    assert_eq!(secs("0 6 * * 1"), Some(7 * 86_400));
    // Two runs an hour apart each day: hourly at times, not daily.
    assert_eq!(secs("0 6,7 * * *"), Some(3600));
    assert_eq!(secs("not cron"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_file_with_a_finer_schedule_is_refused_and_nothing_is_stored() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "claims.toml",
        &format!(
            "{}{}",
            claim_toml("weekly", "0 6 * * 1"),
            claim_toml("every-minute", "* * * * *")
        ),
    );
    app.cmd().arg("import").arg(&file).assert().code(2).stderr(
        predicate::str::contains("\"every-minute\"")
            .and(predicate::str::contains("\"* * * * *\""))
            .and(predicate::str::contains("every 1 min"))
            .and(predicate::str::contains("minimum of 1 h"))
            .and(predicate::str::contains("min_schedule_secs = 3600")),
    );
    assert!(
        app.json(&["list", "--json"]).is_empty(),
        "a refused import stores nothing"
    );
    // The same through `add --file`.
    app.cmd()
        .args(["add", "--file"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("min_schedule_secs"));

    // Coarse enough: stored and queued.
    let weekly = app.claim_file("weekly.toml", &claim_toml("weekly", "0 6 * * 1"));
    app.cmd().arg("import").arg(&weekly).assert().success();
    assert_eq!(app.json(&["list", "--json"]).len(), 1);

    // A lower minimum lets the finer one in.
    let mut config = app.config();
    config.queue.min_schedule_secs = 60;
    app.write_config(&config);
    app.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(app.json(&["list", "--json"]).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_refuses_it_too_and_the_cli_exits_2() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.queue.poll_ms = 50;
    app.write_config(&config);
    let daemon = spawn_daemon(&app);
    let file = app.claim_file("fine.toml", &claim_toml("fine", "*/10 * * * *"));
    let output = app.cmd().arg("import").arg(&file).output().unwrap();
    let lists = app.json(&["list", "--json"]);
    stop(daemon);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("\"fine\"") && stderr.contains("every 10 min") && stderr.contains("1 h"),
        "{stderr}"
    );
    assert!(lists.is_empty());
}

#[tokio::test]
async fn post_claims_with_a_finer_schedule_is_422_invalid_claim() {
    let app = TestApp::start().await;
    let (url, claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let claim = |id: &str, schedule: &str| {
        json!({
            "id": id,
            "text": "El Salvador 107.6 in 2015",
            "indicator": "VC.IHR.PSRC.P5",
            "country": "SLV",
            "year": 2015,
            "value": 107.6,
            "schedule": schedule,
        })
    };
    let response = http
        .post(format!("{url}/claims"))
        .json(&json!({"claims": [claim("ok", "0 6 * * 1"), claim("per-second", "* * * * * *")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_claim");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("\"per-second\"")
            && message.contains("\"* * * * * *\"")
            && message.contains("every 1 s")
            && message.contains("min_schedule_secs"),
        "{message}"
    );
    assert!(claimcheck.list().await.unwrap().is_empty());

    // A sentence with a schedule goes through the same check.
    let response = http
        .post(format!("{url}/claims"))
        .json(&json!({"text": "El Salvador homicide rate 105 per 100,000 in 2015", "schedule": "*/5 * * * *"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);

    let response = http
        .post(format!("{url}/claims"))
        .json(&claim("ok", "0 6 * * 1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}
