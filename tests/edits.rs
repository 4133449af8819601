//! Edits are recorded in a claim's history: `edit`, `add` with an existing id and a changed
//! re-import store the new version and say what changed ("claim edited: value 105 →
//! 107.6"); `show` lists edits and checks in time order, and re-checks keep them (on sled
//! and on PostgreSQL). Also through the API.

mod common;

use common::backends::Backend;
use common::{seed_claims, spawn_api, TestApp};
use serde_json::{json, Value};

const SV: &str = "sv-homicide-2015";

fn show_json(app: &TestApp, id: &str) -> Value {
    app.json(&["show", id, "--json"]).remove(0)
}

async fn edit_records_the_change_and_keeps_it_through_rechecks(backend: Backend) {
    let Some(app) = TestApp::on(
        backend,
        "edit_records_the_change_and_keeps_it_through_rechecks",
    )
    .await
    else {
        return;
    };
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd().args(["verify", SV]).assert().success();
    // New keys under a text that still says 105 in 2015: refused, or the export would
    // publish "… 105 …" as true (a trial followed the README's example into exactly that).
    app.cmd()
        .args(["edit", SV, "--value", "107.6", "--year", "2016"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "year: the text says 2015, the keys 2016; value: the text says 105, the keys 107.6",
        ))
        .stderr(predicates::str::contains(
            "give the new wording with --text",
        ));
    assert_eq!(show_json(&app, SV)["claim"]["value"], json!(105.0));
    // A new text that says another claim than the keys: refused the same way.
    app.cmd()
        .args([
            "edit",
            SV,
            "--text",
            "El Salvador's murder rate was 107.6 per 100,000 in 2016",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "value: the text says 107.6, the keys 105",
        ));
    let out = app
        .cmd()
        .args([
            "edit",
            SV,
            "--value",
            "107.6",
            "--year",
            "2016",
            "--text",
            "El Salvador's murder rate was 107.6 per 100,000 in 2016",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("value 105 → 107.6; year 2015 → 2016"),
        "{stdout}"
    );
    // The values given are the stored ones: said so, not "give the keys as flags".
    app.cmd()
        .args(["edit", SV, "--value", "107.6"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already has the values given"));
    app.cmd().args(["verify", SV]).assert().success();

    let shown = show_json(&app, SV);
    assert_eq!(shown["claim"]["value"], json!(107.6));
    assert_eq!(shown["claim"]["year"], json!(2016));
    let events: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    // Newest first: the re-check, the check the edit queued, the edit, the first check.
    assert_eq!(events, ["check", "check", "edit", "check"], "{shown}");
    let change = shown["edits"][0]["change"].as_str().unwrap();
    assert!(
        change.contains("value 105 → 107.6; year 2015 → 2016"),
        "{change}"
    );
    let text = String::from_utf8(app.cmd().args(["show", SV]).output().unwrap().stdout).unwrap();
    assert!(text.contains("3 checks, 1 edit,"), "{text}");
    assert!(text.contains("value 105 → 107.6"), "{text}");
    // The check after the edit reads 2016's figure: another figure, not a revision of 2015's
    // (change events and webhooks said "value revised").
    let changes = String::from_utf8(app.cmd().args(["changes"]).output().unwrap().stdout).unwrap();
    assert!(
        changes.contains("value compared 107.638231 (SLV 2015) → 85.085802 (SLV 2016)"),
        "{changes}"
    );
    assert!(!changes.contains("revised"), "{changes}");
}

async fn add_and_reimport_record_edits_and_unknown_ids_are_refused(backend: Backend) {
    let Some(app) = TestApp::on(
        backend,
        "add_and_reimport_record_edits_and_unknown_ids_are_refused",
    )
    .await
    else {
        return;
    };
    let file = |value: &str| {
        app.claim_file(
            "one.toml",
            &format!(
                "[[claim]]\nid = \"hn-pop\"\ntext = \"Honduras had 9.9 million people in 2022\"\nindicator = \"SP.POP.TOTL\"\ncountry = \"HND\"\nyear = 2022\nvalue = {value}\n"
            ),
        )
    };
    app.cmd()
        .arg("import")
        .arg(file("9900000"))
        .assert()
        .success();
    app.cmd()
        .arg("import")
        .arg(file("9900000"))
        .assert()
        .success();
    assert_eq!(
        show_json(&app, "hn-pop")["edits"],
        json!([]),
        "unchanged: no edit"
    );
    app.cmd()
        .arg("import")
        .arg(file("10000000"))
        .assert()
        .success();
    let edits = show_json(&app, "hn-pop")["edits"].clone();
    assert_eq!(edits[0]["change"], "claim edited: value 9900000 → 10000000");

    app.cmd()
        .args([
            "add",
            "--id",
            "hn-pop",
            "--text",
            "Honduras had 9.9 million people in 2022",
        ])
        .args([
            "--indicator",
            "SP.POP.TOTL",
            "--country",
            "Honduras",
            "--year",
            "2022",
        ])
        .args(["--value", "9.9 million"])
        .assert()
        .success();
    let shown = show_json(&app, "hn-pop");
    assert_eq!(shown["edits"].as_array().unwrap().len(), 2, "{shown}");
    assert_eq!(
        shown["edits"][0]["change"],
        "claim edited: value 10000000 → 9900000"
    );

    let typo = app
        .cmd()
        .args(["edit", "hn-pops", "--value", "1"])
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(stderr.contains("did you mean \"hn-pop\""), "{stderr}");
    let nothing = app.cmd().args(["edit", "hn-pop"]).output().unwrap();
    assert_eq!(nothing.status.code(), Some(2));
    let same = app
        .cmd()
        .args(["edit", "hn-pop", "--year", "2022"])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(2), "no change is refused");
    let bad = app
        .cmd()
        .args(["edit", "hn-pop", "--country", "Atlantis"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(show_json(&app, "hn-pop")["claim"]["country"], "HND");
}

both!(
    edit_records_the_change_and_keeps_it_through_rechecks,
    add_and_reimport_record_edits_and_unknown_ids_are_refused,
);

#[tokio::test]
async fn the_api_answers_edits_with_the_claim() {
    let app = TestApp::start().await;
    let (url, _claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    for value in [105, 107] {
        let status = http
            .post(format!("{url}/claims"))
            .json(&json!({"id": "sv", "text": "El Salvador homicide rate", "indicator": "VC.IHR.PSRC.P5",
                          "country": "SLV", "year": 2015, "value": value}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
    }
    let detail: Value = http
        .get(format!("{url}/claims/sv"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["edits"][0]["change"],
        "claim edited: value 105 → 107"
    );
    assert_eq!(detail["edits"][0]["claim_id"], "sv");
}
