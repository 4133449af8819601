//! Inputs that made the binary panic (exit 101), run through the real CLI: the same id
//! named twice, and two claim files sharing an id. Each must give one result per id.

mod common;

use common::{json_lines, TestApp};

const ONE: &str = r#"
[[claim]]
id = "rate"
text = "El Salvador's murder rate was 105 per 100,000 people in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105
"#;

const SAME_ID_OTHER_VALUE: &str = r#"
[[claim]]
id = "rate"
text = "El Salvador's murder rate was 108 per 100,000 people in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 108
"#;

#[tokio::test(flavor = "multi_thread")]
async fn verify_the_same_id_twice_checks_it_once() {
    let app = TestApp::start().await;
    let file = app.claim_file("one.toml", ONE);
    app.cmd().arg("import").arg(&file).assert().success();
    let output = app
        .cmd()
        .args(["verify", "rate", "rate", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["verdict"], "mostly-true");
    // One verdict stored, not two.
    let shown = app.json(&["show", "rate", "--json"]);
    assert_eq!(
        shown[0]["history"].as_array().unwrap().len(),
        1,
        "{shown:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_files_sharing_an_id_give_one_result_for_the_stored_version() {
    let app = TestApp::start().await;
    let first = app.claim_file("a.toml", ONE);
    let second = app.claim_file("b.toml", SAME_ID_OTHER_VALUE);
    let output = app
        .cmd()
        .arg("verify")
        .arg(&first)
        .arg(&second)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "panicked: {stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 1, "{results:?}");
    // The last file wins, as in the store: 108 against 107.6 is within its band.
    assert_eq!(results[0]["claimed"], 108.0);
    let shown = app.json(&["show", "rate", "--json"]);
    assert_eq!(shown[0]["claim"]["value"], 108.0, "{shown:?}");
}

/// A damaged database (its data file cut short, as a deleted or truncated file leaves it)
/// made sled panic in its recovery: the CLI printed a backtrace and exit 101. Now it is a
/// database error (exit 3) that says to restore from a backup.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_is_an_error_not_a_panic() {
    let app = TestApp::start().await;
    let mut claims = String::new();
    for i in 0..3000 {
        claims.push_str(&format!(
            "[[claim]]\nid = \"c{i}\"\ntext = \"El Salvador {i} in 2015, padded to take some room {i}\"\nindicator = \"VC.IHR.PSRC.P5\"\ncountry = \"SLV\"\nyear = 2015\nvalue = {i}\n\n"
        ));
    }
    let file = app.claim_file("many.toml", &claims);
    // Two imports write enough for sled to keep a snapshot beside its data file.
    for _ in 0..2 {
        app.cmd().arg("import").arg(&file).assert().success();
    }
    let data = app.db().join("db");
    let whole = std::fs::read(&data).unwrap();
    // Cut at several lengths: sled reports some as corruption and panics on others.
    for cut in [whole.len() * 45 / 100, whole.len() / 2, whole.len() / 4] {
        std::fs::write(&data, &whole[..cut]).unwrap();
        let output = app.cmd().arg("status").output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(
            output.status.code(),
            Some(101),
            "cut at {cut}: a panic: {stderr}"
        );
        if output.status.success() {
            continue; // sled read back what it could
        }
        assert_eq!(output.status.code(), Some(3), "cut at {cut}: {stderr}");
        assert!(stderr.contains("restore it from a backup"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// A claim stored without its job (the daemon killed between storing a chunk of an import
/// and queueing its jobs) is queued when imported again: it was "unchanged", and waited
/// a week for its scheduled re-check.
#[tokio::test(flavor = "multi_thread")]
async fn a_claim_stored_without_its_job_is_queued_by_the_next_import() {
    let app = TestApp::start().await;
    let file = app.claim_file("one.toml", ONE);
    {
        let mut spec = claimcheck::claim::ClaimSpec::new("rate", "x");
        spec.text = "El Salvador's murder rate was 105 per 100,000 people in 2015".into();
        spec.indicator = Some("VC.IHR.PSRC.P5".into());
        spec.country = Some("SLV".into());
        spec.year = Some(2015);
        spec.value = Some(105.0);
        let claim = spec
            .validate(&claimcheck::claim::country::Countries::embedded())
            .unwrap();
        let store = claimcheck::store::open(&app.db()).unwrap();
        store.put_claim(&claim).unwrap();
        store.flush().unwrap();
    }
    app.cmd().arg("import").arg(&file).assert().success();
    let queued = app.json(&["jobs", "--state", "queued", "--json"]);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["claim_id"], "rate");
    // Imported once more before it is checked: the same job, not a second.
    app.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(app.json(&["jobs", "--json"]).len(), 1);
}
