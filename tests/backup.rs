//! `claimcheck backup` while the daemon runs and `claimcheck restore` into another
//! database: claims, verdict history and jobs come back.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{seed_claims, TestApp};

fn spawn_daemon(app: &TestApp) -> Child {
    let child = Command::new(assert_cmd::cargo::cargo_bin("claimcheck"))
        .env("CLAIMCHECK_DB", app.db())
        .env_remove("CLAIMCHECK_WORLDBANK_URL")
        .arg("--config")
        .arg(app.config_path())
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(|| {
        app.db().with_file_name("db.sock").exists()
            && app
                .cmd()
                .args(["jobs", "--json"])
                .output()
                .is_ok_and(|o| o.status.success())
    });
    child
}

fn wait_until(mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_while_the_daemon_runs_and_restore_elsewhere() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.queue.poll_ms = 50;
    app.write_config(&config);
    let mut daemon = spawn_daemon(&app);
    app.cmd()
        .args(["add", "--file"])
        .arg(seed_claims().join("seed-article.toml"))
        .assert()
        .success();
    wait_until(|| {
        let jobs = app.json(&["jobs", "--json"]);
        jobs.len() == 9 && jobs.iter().all(|j| j["state"] == "succeeded")
    });
    let file = app.dir.path().join("claimcheck.backup");
    let o = app.cmd().arg("backup").arg(&file).output().unwrap();
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && printed.contains("read by the running daemon"),
        "{printed}"
    );

    // The API's download is the same file: it restores as it is (it was one JSON object,
    // which `restore` refused).
    let http = reqwest::Client::builder()
        .unix_socket(app.db().with_file_name("db.sock"))
        .build()
        .unwrap();
    let answer = http.get("http://claimcheck/backup").send().await.unwrap();
    assert_eq!(answer.headers()["content-type"], "application/x-ndjson");
    let downloaded = app.dir.path().join("downloaded.backup");
    std::fs::write(&downloaded, answer.bytes().await.unwrap()).unwrap();

    let o = app.cmd().arg("restore").arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "refused while the daemon runs");
    assert!(String::from_utf8_lossy(&o.stderr).contains("stop it first"));
    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(daemon.wait().unwrap().success());

    let other = app.dir.path().join("restored");
    let restore = |force: bool| {
        let mut cmd = app.cmd();
        cmd.env("CLAIMCHECK_DB", &other).arg("restore").arg(&file);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    let o = restore(false);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = |args: &[&str]| {
        let o = app
            .cmd()
            .env("CLAIMCHECK_DB", &other)
            .args(args)
            .output()
            .unwrap();
        common::json_lines(&o.stdout)
    };
    assert_eq!(json(&["list", "--json"]).len(), 9);
    let shown = &json(&["show", "sv-homicide-2015", "--json"])[0];
    assert_eq!(shown["history"].as_array().unwrap().len(), 1);
    assert_eq!(shown["history"][0]["verdict"], "mostly-true");
    let jobs = json(&["jobs", "--json"]);
    assert_eq!(jobs.len(), 9);
    assert!(jobs.iter().all(|j| j["state"] == "succeeded"));

    let o = restore(false);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a database with claims needs --force"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert!(restore(true).status.success());
    assert!(
        !other.join("claimcheck-restore-incomplete").exists(),
        "a finished restore leaves no marker"
    );

    // A restore killed half-way leaves its marker: the database is refused (it opened as
    // if whole, with half the claims and no history) until a restore --force finishes.
    std::fs::write(other.join("claimcheck-restore-incomplete"), "").unwrap();
    let o = app
        .cmd()
        .env("CLAIMCHECK_DB", &other)
        .args(["list"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("a restore into it was interrupted"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!restore(false).status.success(), "needs --force");
    let o = restore(true);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&["list", "--json"]).len(), 9);

    let o = app
        .cmd()
        .env("CLAIMCHECK_DB", app.dir.path().join("from-api"))
        .arg("restore")
        .arg(&downloaded)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = app
        .cmd()
        .env("CLAIMCHECK_DB", app.dir.path().join("from-api"))
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert_eq!(common::json_lines(&o.stdout).len(), 9);

    // A record claimcheck could not have written is refused by line, before anything is
    // replaced (one restored bad claim made every read of the claims fail).
    let good = std::fs::read_to_string(&file).unwrap();
    let hex = |text: &str| text.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    let at = lines
        .iter()
        .position(|l| l.contains("\"tree\":\"claims\""))
        .unwrap();
    let mut entry: serde_json::Value = serde_json::from_str(&lines[at]).unwrap();
    entry["value"] = hex("{not json").into();
    lines[at] = entry.to_string();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let o = restore(true);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("line {}", at + 1)) && stderr.contains("not a valid record"),
        "{stderr}"
    );
    entry["tree"] = "evil".into();
    lines[at] = entry.to_string();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let o = restore(true);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown tree \"evil\""));
    assert_eq!(json(&["list", "--json"]).len(), 9, "nothing was replaced");

    std::fs::write(&file, "{\"format\":\"other\"}\n").unwrap();
    let o = restore(true);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a claimcheck backup header"));
}
