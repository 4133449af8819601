//! `claimcheck report`: the static site from a scanned article and the seed claims, through
//! the real binary against a real sled database and the World Bank stand-in.

mod common;

use std::path::{Path, PathBuf};

use common::{json_lines, seed_claims, TestApp};

fn article() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles/seed-article.txt")
}

/// Scans the seed article, imports and verifies the seed claims, writes the report.
pub fn build_report(app: &TestApp, out: &Path) {
    let ok = |args: &[&std::ffi::OsStr]| {
        let o = app.cmd().args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    ok(&[
        "scan".as_ref(),
        article().as_os_str(),
        "--as-of".as_ref(),
        "2019-02-01".as_ref(),
    ]);
    ok(&["import".as_ref(), seed_claims().as_os_str()]);
    ok(&["verify".as_ref(), "--all".as_ref()]);
    let printed = ok(&["report".as_ref(), "--out".as_ref(), out.as_os_str()]);
    assert!(printed.contains("wrote 18 claim pages"), "{printed}");
    assert!(printed.contains("1 article page\n"), "{printed}");
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn report_has_an_index_claim_pages_charts_and_the_article() {
    let app = TestApp::start().await;
    let out = app.dir.path().join("site");
    build_report(&app, &out);

    let index = read(out.join("index.html"));
    let listed = json_lines(&app.cmd().args(["list", "--json"]).output().unwrap().stdout);
    assert_eq!(listed.len(), 18);
    for claim in &listed {
        let id = claim["id"].as_str().unwrap();
        assert!(
            index.contains(&format!("href=\"claims/{id}.html\"")),
            "{id} not in index"
        );
        assert!(out.join("claims").join(format!("{id}.html")).is_file());
    }
    assert!(
        index.contains("Mostly true: <strong>2</strong>"),
        "verdict counts"
    );
    assert!(index.contains("Unverifiable: <strong>12</strong>"));
    assert!(index.contains("id=\"f-grade\""), "filters");
    assert!(index.contains("href=\"articles/seed-article.html\""));

    // A rank's evidence sets place beside place (it read "Claimed 1 · Data says 107.638").
    let rank_page = read(out.join("claims/sv-homicide-2015-highest.html"));
    assert!(
        rank_page.contains("place 1 (highest first)")
            && rank_page.contains("place 1 of 130, at 107.638"),
        "rank evidence"
    );

    let page = read(out.join("claims/sv-homicide-2015.html"));
    assert!(page.contains("Mostly true"));
    assert!(
        page.contains("107.6 for El Salvador in 2015"),
        "explanation"
    );
    assert!(
        page.contains("https://data.worldbank.org/indicator/VC.IHR.PSRC.P5?locations=SV"),
        "human link"
    );
    assert!(
        page.contains(&format!("{}/country/", app.base_url())),
        "API URL"
    );
    assert!(
        page.contains("<figure class=\"chart\" id=\"chart\"><svg"),
        "inline chart"
    );
    assert!(page.contains("claimed 105"), "the claimed value is marked");
    assert!(page.contains("data 107.6"), "beside the data's value");
    assert!(
        page.contains("class=\"part part-indicator\""),
        "parsed parts highlighted"
    );
    assert!(page.contains("<table class=\"history\">"));
    let svg = read(out.join("claims/sv-homicide-2015.svg"));
    assert!(
        svg.contains("2010") && svg.contains("2018"),
        "years around 2015"
    );

    let rank = read(out.join("claims/sv-homicide-2015-highest.html"));
    assert!(
        rank.contains("Leaders in 2015") && rank.contains("Honduras"),
        "leaders' bars"
    );
    let dropped = read(out.join("claims/sv-homicide-2016-dropped.html"));
    assert!(dropped.contains("claimed band"), "band for a hedged value");

    let refused =
        read(out.join("claims/at-least-nine-police-officers-were-killed-in-the-first-month.html"));
    assert!(
        refused.contains(
            "not checkable: no country or region found: name one (&quot;El Salvador&quot;"
        ),
        "notes shown, escaped"
    );

    let article = read(out.join("articles/seed-article.html"));
    assert!(
        article.contains("class=\"checked grade-mostly-true\""),
        "{article}"
    );
    assert!(
        article.contains("Police officers tasked with fighting"),
        "the full text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn report_by_tag_and_clear_error_without_claims() {
    let app = TestApp::start().await;
    let out = app.dir.path().join("empty");
    let o = app
        .cmd()
        .args(["report", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no database at"));
    // A database with no claims: said so.
    std::fs::write(app.dir.path().join("none.toml"), "").unwrap();
    app.cmd()
        .arg("import")
        .arg(app.dir.path().join("none.toml"))
        .output()
        .unwrap();
    let o = app
        .cmd()
        .args(["report", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no claims are stored"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    let o = app
        .cmd()
        .args(["report", "--tag", "police", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = read(out.join("index.html"));
    assert!(index.contains("sv-police-refugees") && !index.contains("sv-homicide-2015"));
    assert!(
        index.contains("Not checked yet"),
        "claims never verified say so"
    );
}

/// A country the source does not list (NER on the stand-in) fails a chart request for every
/// country of its indicator; each is then asked for alone, so only its own chart falls
/// back (a trial's one Niger claim left every homicide chart with the verdict values only).
#[tokio::test(flavor = "multi_thread")]
async fn one_unlisted_country_leaves_the_other_charts_whole() {
    let app = TestApp::start().await;
    let file = app.claim_file(
        "two.toml",
        r#"
[[claim]]
id = "slv"
text = "El Salvador 105 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105

[[claim]]
id = "ner"
text = "Niger 4 in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "NER"
year = 2015
value = 4
"#,
    );
    app.cmd().arg("import").arg(&file).assert().success();
    app.cmd().args(["verify", "--all"]).output().unwrap();
    let out = app.location().join("site");
    let o = app
        .cmd()
        .args(["report", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = read(out.join("claims/slv.svg"));
    assert!(
        svg.contains("2010") && svg.contains("2018"),
        "El Salvador's chart has its years around 2015"
    );
}
