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
