//! The first five minutes: `claimcheck demo` works without internet, and an unreachable
//! source says how to work offline.

mod common;

use common::{seed_claims, TestApp};

#[test]
fn demo_runs_offline_and_prints_the_report_path() {
    let dir = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("claimcheck")
        .unwrap()
        .current_dir(dir.path())
        // An address nothing answers on: the demo must not use it.
        .env("CLAIMCHECK_WORLDBANK_URL", "http://127.0.0.1:9/v2")
        .env_remove("CLAIMCHECK_DB")
        .args(["demo", "--dir"])
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("18 claims checked: 4 true, 2 mostly-true, 12 unverifiable"),
        "{stdout}"
    );
    let index = dir.path().join("demo/report/index.html");
    assert!(
        stdout.contains(&format!("report: {}", index.display())),
        "{stdout}"
    );
    assert!(index.is_file());
    assert!(dir
        .path()
        .join("demo/report/claims/sv-homicide-2015.svg")
        .is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_source_points_to_the_offline_recipe() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.worldbank.base_url = "http://127.0.0.1:9/v2".into();
    config.worldbank.max_attempts = 1;
    app.write_config(&config);
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    let output = app
        .cmd()
        .args(["verify", "sv-homicide-2015"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("CLAIMCHECK_WORLDBANK_URL"), "{text}");
    assert!(
        text.contains("Without internet access") && text.contains("claimcheck demo"),
        "{text}"
    );
}
