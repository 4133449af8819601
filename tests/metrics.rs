//! `GET /metrics` on a real daemon (Prometheus text), the report it serves at `/` (TCP and
//! Unix socket), and `claimcheck status` through the daemon and without one.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{seed_claims, TestApp};

fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_scrape_and_status() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.queue.poll_ms = 50;
    app.write_config(&config);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut daemon = Command::new(assert_cmd::cargo::cargo_bin("claimcheck"))
        .env("CLAIMCHECK_DB", app.db())
        .env_remove("CLAIMCHECK_WORLDBANK_URL")
        .arg("--config")
        .arg(app.config_path())
        .args(["daemon", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let start = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.cmd()
        .args(["add", "--file"])
        .arg(seed_claims().join("seed-article.toml"))
        .assert()
        .success();
    wait_until(Duration::from_secs(30), || {
        let jobs = app.json(&["jobs", "--json"]);
        jobs.len() == 9 && jobs.iter().all(|j| j["state"] == "succeeded")
    });

    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE claimcheck_jobs gauge"));
    assert!(
        text.contains("# TYPE claimcheck_checks_stored gauge"),
        "it goes down on remove"
    );
    assert_eq!(sample(&text, "claimcheck_jobs{state=\"succeeded\"}"), 9.0);
    assert_eq!(sample(&text, "claimcheck_dead_jobs"), 0.0);
    assert_eq!(sample(&text, "claimcheck_claims"), 9.0);
    assert_eq!(
        sample(&text, "claimcheck_checks_stored{verdict=\"true\"}"),
        2.0
    );
    assert_eq!(
        sample(&text, "claimcheck_checks_stored{verdict=\"unverifiable\"}"),
        6.0
    );
    assert!(sample(&text, "claimcheck_last_check_timestamp_seconds") > 1.7e9);
    assert!(
        sample(
            &text,
            "claimcheck_upstream_requests_total{source=\"worldbank\"}"
        ) >= 2.0
    );
    assert!(
        sample(
            &text,
            "claimcheck_upstream_request_duration_seconds_sum{source=\"worldbank\"}"
        ) > 0.0
    );

    // The same daemon serves the report at `/`, on TCP and on its Unix socket.
    let index = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index
        .text()
        .await
        .unwrap()
        .contains("href=\"claims/sv-homicide-2015.html\""));
    let socket = app.db().with_file_name("db.sock");
    let raw = unix_get(&socket, "/claims/sv-homicide-2015.html").await;
    assert!(
        raw.starts_with("HTTP/1.1 200"),
        "{}",
        &raw[..80.min(raw.len())]
    );
    assert!(raw.contains("<svg"), "the served claim page has its chart");

    let status = app.cmd().arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("a running daemon serves it"), "{status}");
    assert!(status.contains("claims      9 (latest verdicts: 2 true, 1 mostly-true, 6 unverifiable; 0 never checked)"), "{status}");
    assert!(status.contains("9 succeeded"), "{status}");

    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(daemon.wait().unwrap().success());
    let status = app.json(&["status", "--json"]);
    assert_eq!(status[0]["daemon"], false);
    assert_eq!(status[0]["claims"], 9);
    assert_eq!(status[0]["verdicts"]["mostly-true"], 1);
}

/// A GET over the daemon's Unix socket; the whole raw answer.
async fn unix_get(socket: &std::path::Path, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::UnixStream::connect(socket).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}
