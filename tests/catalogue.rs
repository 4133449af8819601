//! The WDI catalogue through the binary: `indicators search|show` offline from the embedded
//! catalogue, and `catalogue update` against a stand-in serving `/v2/indicator?source=2` in
//! the API's real page shape.

mod common;

use std::collections::HashMap;

use common::{json_lines, TestApp};
use predicates::prelude::*;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

#[tokio::test(flavor = "multi_thread")]
async fn search_and_show_work_offline_from_the_embedded_catalogue() {
    let app = TestApp::start().await;
    let hits = app.json(&["indicators", "search", "GNI per capita, PPP", "--json"]);
    assert_eq!(hits[0]["code"], "NY.GNP.PCAP.PP.CD", "{hits:?}");
    assert_eq!(hits[0]["unit"], "current international $");
    assert_eq!(hits[0]["unit_family"], "currency");
    assert!(hits.iter().all(|h| h["name"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("gni per capita")));

    app.cmd()
        .args(["indicators", "search", "homicides"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "VC.IHR.PSRC.P5         Intentional homicides (per 100,000 people)",
        ))
        .stdout(predicate::str::contains("unit: per 100,000 people (rate)"));
    app.cmd()
        .args(["indicators", "show", "ny.gdp.mktp.kd.zg"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "NY.GDP.MKTP.KD.ZG  GDP growth (annual %)",
        ))
        .stdout(predicate::str::contains("unit        annual % (percent)"))
        .stdout(predicate::str::contains(
            "Annual percentage growth rate of GDP",
        ));
    app.cmd()
        .args(["indicators", "show", "NY.GDP.MKTP.CX"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean NY.GDP.MKTP.C"));
    app.cmd()
        .args(["indicators", "search", "zebra crossings"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no WDI series matches"));
    assert!(
        app.requests("/v2").await.is_empty(),
        "search and show need no network"
    );
}

/// `/v2/indicator?source=2`, paged like the real API.
struct IndicatorList(Vec<Value>);

impl Respond for IndicatorList {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        if query.get("source").map(String::as_str) != Some("2")
            || query.get("format").map(String::as_str) != Some("json")
        {
            return ResponseTemplate::new(200).set_body_json(json!([{"message": [
                {"id": "120", "key": "Invalid value", "value": "The provided parameter value is not valid"}]}]));
        }
        let number = |key: &str, default: usize| {
            query
                .get(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        // The real API caps this list's pages; serve 50 a page whatever is asked, so the
        // client must follow `pages`.
        let per_page = number("per_page", 50).min(50);
        let page = number("page", 1);
        let total = self.0.len();
        let rows: Vec<&Value> = self
            .0
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        ResponseTemplate::new(200).set_body_json(json!([
            {"page": page, "pages": total.div_ceil(per_page), "per_page": per_page.to_string(), "total": total},
            rows
        ]))
    }
}

fn records() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/worldbank/catalogue/indicator_source2_first130.records.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn update_fetches_every_page_and_search_then_uses_it() {
    let app = TestApp::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/indicator"))
        .respond_with(IndicatorList(records()))
        .with_priority(1)
        .mount(&app.server)
        .await;
    let result = app.json(&["catalogue", "update", "--json"]);
    assert_eq!(result[0]["series"], 130, "{result:?}");
    assert_eq!(result[0]["previous"], 1496, "the embedded catalogue before");
    assert_eq!(
        app.requests("/v2/indicator").await.len(),
        3,
        "130 series, 50 a page"
    );

    // The updated copy now answers: a series outside the first 130 is gone.
    let hits = app.json(&["indicators", "search", "AG.CON.FERT", "--json"]);
    assert!(!hits.is_empty());
    assert!(hits
        .iter()
        .all(|h| h["code"].as_str().unwrap().starts_with("AG.")));
    let shown = json_lines(
        &app.cmd()
            .args(["indicators", "show", "AG.CON.FERT.PT.ZS", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(shown[0]["topic"], "Environment", "trailing space trimmed");
    app.cmd()
        .args(["indicators", "show", "SP.POP.TOTL"])
        .assert()
        .code(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_update_keeps_the_catalogue() {
    let app = TestApp::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/indicator"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!([{"page": 0, "pages": 0, "per_page": "50", "total": 0}, null]),
            ),
        )
        .with_priority(1)
        .mount(&app.server)
        .await;
    app.cmd()
        .args(["catalogue", "update"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("the catalogue was not changed"));
    app.cmd()
        .args(["indicators", "show", "SP.POP.TOTL"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Population, total"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sentences_name_series_by_their_official_names() {
    let app = TestApp::start().await;
    let parsed = app.json(&[
        "add",
        "GNI per capita, PPP (current international $) in Chile was 24,170 in 2019.",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(parsed[0]["indicator"], "NY.GNP.PCAP.PP.CD", "{parsed:?}");
    assert_eq!(parsed[0]["value"], 24170.0);
    let parsed = app.json(&[
        "add",
        "Peru Consumer price index (2010 = 100) 2018: 123.4",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(parsed[0]["indicator"], "FP.CPI.TOTL");
    assert_eq!(
        parsed[0]["year"], 2018,
        "2010 is part of the name, not the year"
    );
    assert_eq!(parsed[0]["value"], 123.4);

    // Without its unit the name fits several series: refused, naming them.
    app.cmd()
        .args([
            "add",
            "Chile's GNI per capita, PPP was 24,170 dollars in 2019.",
            "--dry-run",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is ambiguous"))
        .stderr(predicate::str::contains(
            "NY.GNP.PCAP.PP.CD (GNI per capita, PPP (current international $))",
        ))
        .stderr(predicate::str::contains("NY.GNP.PCAP.PP.KD"));
    // A percentage series with an amount of money.
    app.cmd()
        .args([
            "add",
            "Military expenditure (% of GDP) in Colombia was $48 million in 2022.",
            "--dry-run",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "Military expenditure (% of GDP) is a percentage, and \"$48 million\" is an amount of money",
        ));
}
