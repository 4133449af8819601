//! `verify --corroborate` through the binary: World Bank claims whose statistic Our World in
//! Data also publishes get the other source's value and a note when the two disagree.

mod common;

use common::{by_id, json_lines, TestApp};

const CLAIMS: &str = r#"
[[claim]]
id = "jm-2023"
text = "Jamaica's murder rate was 49.4 per 100,000 in 2023"
indicator = "VC.IHR.PSRC.P5"
country = "JAM"
year = 2023
value = 49.4

[[claim]]
id = "hn-2023"
text = "Honduras's murder rate was 31.4 per 100,000 in 2023"
indicator = "VC.IHR.PSRC.P5"
country = "HND"
year = 2023
value = 31.4

[[claim]]
id = "sv-2015"
text = "El Salvador's murder rate was 105 per 100,000 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105

[[claim]]
id = "hn-pop-2015"
text = "Honduras had 9.1 million people in 2015"
indicator = "SP.POP.TOTL"
country = "HND"
year = 2015
value = 9100000
"#;

#[tokio::test(flavor = "multi_thread")]
async fn corroborated_verdicts_show_both_sources() {
    let app = TestApp::start().await;
    let file = app.claim_file("c.toml", CLAIMS);
    app.cmd().arg("import").arg(&file).assert().success();
    let output = app
        .cmd()
        .args(["verify", "--all", "--json", "--corroborate"])
        .output()
        .unwrap();
    let results = json_lines(&output.stdout);
    assert_eq!(
        results.len(),
        4,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The verdict stands on the World Bank; Our World in Data's 49.3 is outside the
    // precision of "49.4".
    let jm = by_id(&results, "jm-2023");
    assert_eq!(jm["verdict"], "true");
    let other = &jm["evidence"]["corroboration"];
    assert_eq!(other["source"], "owid");
    assert_eq!(other["value"], 49.299488);
    assert_eq!(other["agrees"], false);
    assert_eq!(other["vintage"], "2025-05-28");
    assert_eq!(
        other["page_url"],
        "https://ourworldindata.org/grapher/homicide-rate-unodc?country=~JAM"
    );
    assert!(jm["explanation"].as_str().unwrap().ends_with(
        "UNODC via the World Bank: 49.4; UNODC via Our World in Data: 49.3: the sources disagree by 0.3%."
    ));
    assert_eq!(
        jm["page_url"],
        "https://data.worldbank.org/indicator/VC.IHR.PSRC.P5?locations=JM"
    );

    let hn = &by_id(&results, "hn-2023")["evidence"]["corroboration"];
    assert_eq!(hn["agrees"], true);
    assert!(hn["note"].as_str().unwrap().contains("agrees: 31.4"));

    let sv = by_id(&results, "sv-2015");
    assert_eq!(
        sv["verdict"], "mostly-true",
        "unchanged by the other source"
    );
    assert!(sv["explanation"]
        .as_str()
        .unwrap()
        .contains("UNODC via Our World in Data has no value for El Salvador in 2015."));

    // The stand-in has no population chart: a note, not a failure.
    let pop = by_id(&results, "hn-pop-2015");
    assert!(pop["verdict"].is_string(), "{pop}");
    assert!(pop["evidence"]["corroboration"]["note"]
        .as_str()
        .unwrap()
        .contains("has no chart \"population\" (HTTP 404)"));

    // The corroboration is stored with the verdict.
    let shown = app.json(&["show", "jm-2023", "--json"]);
    assert!(shown[0]
        .to_string()
        .contains("the sources disagree by 0.3%"));

    app.cmd()
        .args(["show", "jm-2023"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "other      owid homicide-rate-unodc: 49.299488 (data of 2025-05-28)",
        ));

    // Without the flag, no second source is asked.
    let before = app.requests("/grapher/").await.len();
    app.cmd()
        .args(["verify", "jm-2023", "--json"])
        .assert()
        .success();
    assert_eq!(app.requests("/grapher/").await.len(), before);
}
