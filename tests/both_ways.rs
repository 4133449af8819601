//! One way through: the same CLI session run on a database opened by the CLI and on one
//! served by a daemon prints the same results with the same wording and exit codes, and
//! makes the same number of requests to the data source.

mod common;

use std::process::Output;

use common::{seed_claims, spawn_daemon, stop, TestApp};
use serde_json::Value;

/// The commands of the session: (arguments, whether stdout is JSON lines).
fn session() -> Vec<Vec<String>> {
    let seed = seed_claims().display().to_string();
    [
        vec!["verify", &seed, "--json"],
        vec!["import", &seed],
        vec!["list", "--json"],
        vec!["list"],
        vec!["show", "sv-homicide-2015", "--json"],
        vec!["show", "sv-homicide-2015"],
        vec!["verify", "sv-homicide-2015", "sv-homicide-2015", "--json"],
        vec!["verify", "sv-homicide-2105"],
        vec!["jobs", "--state", "dead", "--json"],
        vec!["jobs", "retry", "999999"],
        vec!["remove", "sv-police-refugees", "nope"],
        vec!["changes", "--json"],
        vec![
            "add",
            "--text",
            "Honduras 55.7 in 2015",
            "--indicator",
            "VC.IHR.PSRC.P5",
            "--country",
            "HND",
            "--year",
            "2015",
            "--value",
            "55.7",
            "--id",
            "hn",
        ],
        vec!["verify", "hn"],
        vec!["edit", "hn", "--value", "56", "--year", "2016"],
        vec!["edit", "hm", "--value", "56"],
        vec!["show", "hn", "--json"],
        vec!["show", "hn"],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_string).collect())
    .collect()
}

/// Drops what differs by when a command ran (times, worker ids, job ids).
fn normalize(value: &mut Value) {
    const VOLATILE: [&str; 10] = [
        "at",
        "checked_at",
        "retrieved_at",
        "created_at",
        "updated_at",
        "finished_at",
        "run_at",
        "lease_until",
        "worker",
        "job",
    ];
    match value {
        Value::Object(map) => {
            for key in VOLATILE {
                map.remove(key);
            }
            map.values_mut().for_each(normalize);
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

/// A command's output with the volatile parts taken out.
fn comparable(args: &[String], output: &Output) -> (Option<i32>, String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stdout = if args.iter().any(|a| a == "--json") {
        common::json_lines(stdout.as_bytes())
            .into_iter()
            .map(|mut v| {
                normalize(&mut v);
                v.to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        // Text tables and details show check times to the minute.
        stdout
            .lines()
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| !w.contains(':') || w.len() < 5 || w.starts_with('"'))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let stdout = mask_job_numbers(&stdout);
    let stderr = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect::<Vec<_>>()
        .join("\n");
    (output.status.code(), stdout, stderr)
}

/// Job numbers differ (sled skips ahead when a database is reopened); "job N" stays.
fn mask_job_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("job ") {
        let (head, tail) = rest.split_at(at + 4);
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        out.push_str(if digits > 0 { "N" } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

async fn run_session(daemon: bool) -> (Vec<(Option<i32>, String, String)>, usize) {
    let app = TestApp::start().await;
    let mut config = app.config();
    // The worker wakes when work is queued, not on a timer, so both ways batch alike.
    config.queue.poll_ms = 60_000;
    app.write_config(&config);
    let child = daemon.then(|| spawn_daemon(&app));
    let outputs = session()
        .iter()
        .map(|args| comparable(args, &app.cmd().args(args).output().unwrap()))
        .collect();
    if let Some(child) = child {
        stop(child);
    }
    let requests = app
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .len();
    (outputs, requests)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_session_is_the_same_with_and_without_a_daemon() {
    let (alone, alone_requests) = run_session(false).await;
    let (through, through_requests) = run_session(true).await;
    for ((args, a), b) in session().iter().zip(&alone).zip(&through) {
        assert_eq!(
            a,
            b,
            "`claimcheck {}` differs with a daemon",
            args.join(" ")
        );
    }
    assert_eq!(
        alone_requests, through_requests,
        "requests to the data source: {alone_requests} alone, {through_requests} through the daemon"
    );
    // The session really exercised success and failure paths.
    assert_eq!(alone[0].0, Some(0));
    assert_eq!(alone[7].0, Some(2), "unknown id");
    assert!(alone[7].2.contains("did you mean"), "{}", alone[7].2);
    assert_eq!(alone[9].0, Some(2), "unknown job");
    assert_eq!(alone[10].0, Some(2), "one of the ids is unknown");
    eprintln!("requests to the stand-in: {alone_requests} both ways");
}
