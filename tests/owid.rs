//! Our World in Data claims end to end: the real binary, a real sled database, and a stand-in
//! serving OWID's real grapher files (changed headers, extra columns, a "map" download without
//! codes or years) beside the World Bank stand-in.

mod common;

use common::{by_id, json_lines, TestApp};
use predicates::prelude::*;

const CLAIMS: &str = r#"
[[claim]]
id = "sv-life-2019-owid"
text = "Life expectancy in El Salvador was 71.7 years in 2019"
source = "owid"
indicator = "life-expectancy"
country = "El Salvador"
year = 2019
value = 71.7

[[claim]]
id = "sv-homicide-2022-owid"
text = "El Salvador's homicide rate fell to 7.9 per 100,000 in 2022"
source = "owid"
indicator = "homicide-rate-unodc"
country = "SLV"
year = 2022
value = 7.9

[[claim]]
id = "sv-gdp-2022-owid"
text = "El Salvador's GDP per capita (PPP) was about $11,000 in 2022"
source = "owid"
indicator = "gdp-per-capita-worldbank"
country = "SLV"
year = 2022
value = 11000
relation = "approx"

[[claim]]
id = "sv-homicide-2015-wb"
text = "El Salvador's murder rate was 105 per 100,000 people in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105

[[claim]]
id = "no-such-chart"
text = "A chart that does not exist"
source = "owid"
indicator = "no-such-chart"
country = "SLV"
year = 2020
value = 1
"#;

#[tokio::test(flavor = "multi_thread")]
async fn owid_claims_verify_beside_world_bank_claims() {
    let app = TestApp::start().await;
    let file = app.claim_file("owid.toml", CLAIMS);
    app.cmd().arg("import").arg(&file).assert().success();
    let output = app
        .cmd()
        .args(["verify", "--all", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 5, "{stderr}");

    let life = by_id(&results, "sv-life-2019-owid");
    assert_eq!(life["verdict"], "true", "{life}");
    assert_eq!(life["actual"], 71.7253);
    assert_eq!(
        life["vintage"], "2025-10-22",
        "the column's lastUpdated, not the download date"
    );
    assert!(life["source_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/grapher/life-expectancy.csv", app.server.uri())));
    let explanation = life["explanation"].as_str().unwrap();
    assert!(
        explanation.starts_with("Our World in Data reports 71.7 for El Salvador in 2019"),
        "{explanation}"
    );
    assert_eq!(
        life["evidence"]["indicator_name"],
        "Life expectancy (years)"
    );

    // The map download has no code and no Year: the name and the last `time` column say.
    let homicide = by_id(&results, "sv-homicide-2022-owid");
    assert_eq!(homicide["verdict"], "true", "{homicide}");
    assert_eq!(homicide["actual"], 7.897688);
    assert_eq!(homicide["vintage"], "2025-05-28");

    // An extra text column after the value is ignored.
    let gdp = by_id(&results, "sv-gdp-2022-owid");
    assert_eq!(gdp["verdict"], "true", "{gdp}");
    assert_eq!(gdp["actual"], 11085.618);

    let wb = by_id(&results, "sv-homicide-2015-wb");
    assert_eq!(wb["verdict"], "mostly-true");
    assert_eq!(wb["actual"], 107.638231);

    let missing = by_id(&results, "no-such-chart");
    assert!(missing["verdict"].is_null());
    assert!(
        missing["error"]
            .as_str()
            .unwrap()
            .contains("Our World in Data has no chart \"no-such-chart\" (HTTP 404)"),
        "{missing}"
    );
    assert_eq!(missing["retryable"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owid_claim_needs_a_chart_slug() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "bad.toml",
        r#"
[[claim]]
id = "wrong-shape"
text = "x"
source = "owid"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
value = 1
"#,
    );
    app.cmd()
        .arg("import")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not an Our World in Data chart slug",
        ));
    let file = app.claim_file(
        "bad2.toml",
        r#"
[[claim]]
id = "slug-without-source"
text = "x"
indicator = "life-expectancy"
country = "SLV"
value = 1
"#,
    );
    app.cmd()
        .arg("import")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("add source = \"owid\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn add_with_source_owid_stores_and_verifies() {
    let app = TestApp::start().await;
    app.cmd()
        .args([
            "add",
            "--text",
            "Honduras's homicide rate was 31.4 per 100,000 in 2023",
            "--source",
            "owid",
            "--indicator",
            "homicide-rate-unodc",
            "--country",
            "Honduras",
            "--year",
            "2023",
            "--value",
            "31.4",
        ])
        .assert()
        .success();
    let results = app.json(&["verify", "--all", "--json"]);
    assert_eq!(results[0]["verdict"], "true", "{results:?}");
    assert_eq!(results[0]["source"], "owid");
    assert_eq!(
        results[0]["page_url"],
        "https://ourworldindata.org/grapher/homicide-rate-unodc?country=~HND"
    );
    app.cmd()
        .args(["show", results[0]["id"].as_str().unwrap()])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "https://ourworldindata.org/grapher/homicide-rate-unodc?country=~HND",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sentence_crediting_our_world_in_data_is_checked_against_its_chart() {
    let app = TestApp::start().await;
    let parsed = app.json(&[
        "add",
        "According to Our World in Data, life expectancy in El Salvador was 71.7 years in 2019.",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(parsed[0]["source"], "owid", "{parsed:?}");
    assert_eq!(parsed[0]["indicator"], "life-expectancy");
    assert_eq!(parsed[0]["country"], "SLV", "not \"the world\"");
    app.cmd()
        .args([
            "add",
            "According to Our World in Data, life expectancy in El Salvador was 71.7 years in 2019.",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Our World in Data reports 71.7 for El Salvador in 2019 (data of 2025-10-22)",
        ));
    // Without a chart for the statistic the World Bank is used, and the parse says so.
    let parsed = app.json(&[
        "add",
        "Chile's GDP was $300 billion in 2021 (OWID).",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(parsed[0]["source"], "worldbank");
    assert!(parsed[0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("checked against the World Bank"));
}

#[tokio::test(flavor = "multi_thread")]
async fn owid_ranks_count_economies_only() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "rank.toml",
        r#"
[[claim]]
id = "cl-life-second-lcn"
text = "Chile had the second highest life expectancy in Latin America in 2019"
source = "owid"
indicator = "life-expectancy"
country = "CHL"
year = 2019
kind = "rank"
rank = 2
among = ["LCN"]

[[claim]]
id = "jp-life-highest"
text = "Japan had the highest life expectancy in the world in 2019"
source = "owid"
indicator = "life-expectancy"
country = "JPN"
year = 2019
kind = "rank"
rank = 1
"#,
    );
    app.cmd().arg("import").arg(&file).assert().success();
    let results = app.json(&["verify", "--all", "--json"]);
    let chile = by_id(&results, "cl-life-second-lcn");
    assert_eq!(chile["verdict"], "true", "{chile}");
    assert_eq!(chile["evidence"]["rank"]["of"], 31);
    // OWID's own groups (continents, income groups, OWID_* codes) never rank: Hong Kong, an
    // economy, leads; Japan is second.
    let japan = by_id(&results, "jp-life-highest");
    // Second by 1.0% (84.4 against 85.3): graded by the gap, within 5% → half-true.
    assert_eq!(japan["verdict"], "half-true", "{japan}");
    assert_eq!(japan["evidence"]["rank"]["rank"], 2);
    assert_eq!(
        japan["evidence"]["rank"]["of"], 131,
        "130 ISO3 economies plus Kosovo, whose OWID_KOS is the World Bank's XKX"
    );
}

#[test]
fn the_phrasing_table_can_send_a_statistic_to_our_world_in_data() {
    use claimcheck::claim::country::Countries;
    use claimcheck::claim::indicator::IndicatorTable;
    use claimcheck::claim::sentence::SentenceParser;
    let table = IndicatorTable::parse(
        "test",
        r#"
[[indicator]]
code = "co-emissions-per-capita"
name = "Annual CO2 emissions per capita (tonnes per person)"
unit = "ratio"
source = "owid"
phrases = ["carbon footprint per person"]
"#,
    )
    .unwrap();
    let parser = SentenceParser::new(&Countries::embedded(), table);
    let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let parsed = parser
        .parse(
            "Qatar's carbon footprint per person was 37.6 tonnes in 2022.",
            date,
        )
        .unwrap();
    assert_eq!(parsed.claim.source, "owid");
    assert_eq!(
        parsed.claim.subject().map(|s| s.indicator.as_str()),
        Some("co-emissions-per-capita")
    );

    let err = IndicatorTable::parse(
        "test",
        "[[indicator]]\ncode = \"SP.POP.TOTL\"\nname = \"x\"\nunit = \"count\"\nsource = \"owid\"\nphrases = [\"x\"]\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("needs a chart slug"), "{err}");
}
