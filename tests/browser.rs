//! The report in a real browser: headless Chromium opens the site written by the binary,
//! checks that the index lists every claim (after its filter script ran) and that the El
//! Salvador chart renders with a size, and saves screenshots under
//! `target/browser-test/`. Skipped, saying why, when no Chromium is installed
//! (`.ci/run` installs it and sets `CLAIMCHECK_REQUIRE_BROWSER`, which turns the skip into a
//! failure; `apt-get install chromium`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json_lines, seed_claims, TestApp};

fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome", "chrome"];
    if let Ok(path) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium (at most 90 s) with `args`; returns stdout.
fn run_browser(browser: &Path, args: &[String]) -> String {
    let output = Command::new("timeout")
        .arg("90")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
        ])
        .args(args)
        .output()
        .expect("run chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn build_report(app: &TestApp, out: &Path) {
    let article =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles/seed-article.txt");
    for args in [
        vec![
            "scan".into(),
            article.into_os_string(),
            "--as-of".into(),
            "2019-02-01".into(),
        ],
        vec!["import".into(), seed_claims().into_os_string()],
        vec!["verify".into(), "--all".into()],
        vec!["report".into(), "--out".into(), out.as_os_str().to_owned()],
    ] {
        let o = app.cmd().args(&args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CLAIMCHECK_REQUIRE_BROWSER").is_none(),
            "CLAIMCHECK_REQUIRE_BROWSER is set but no chromium is on PATH"
        );
        eprintln!("skipping the browser test: no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
        return;
    };
    let app = TestApp::start().await;
    let out = app.dir.path().join("site");
    build_report(&app, &out);
    let ids: Vec<String> = json_lines(&app.cmd().args(["list", "--json"]).output().unwrap().stdout)
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();

    let dom = run_browser(
        &browser,
        &["--dump-dom".into(), url(&out.join("index.html"))],
    );
    for id in &ids {
        assert!(
            dom.contains(&format!("data-id=\"{id}\"")),
            "{id} missing from the rendered index"
        );
    }
    let shown = format!("{n} of {n} shown", n = ids.len());
    assert!(dom.contains(&shown), "the filter script ran: {shown:?}");

    // A harness page reads the chart's rendered size from the claim page in an iframe.
    let harness = out.join("check-chart.html");
    std::fs::write(
        &harness,
        r#"<!doctype html><body><iframe id="f" width="800" height="1200" src="claims/sv-homicide-2015.html"
        onload="var d=this.contentDocument, s=d.querySelector('#chart svg'), b=s&&s.getBoundingClientRect();
        document.getElementById('r').textContent = s ? ('chart ' + Math.round(b.width) + 'x' + Math.round(b.height) + ' marks ' + d.querySelectorAll('#chart svg circle').length) : 'no chart';"></iframe>
        <p id="r">not loaded</p></body>"#,
    )
    .unwrap();
    let dom = run_browser(&browser, &["--dump-dom".into(), url(&harness)]);
    let result = dom
        .split("<p id=\"r\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or("");
    println!("El Salvador chart in Chromium: {result}");
    let size: Vec<u32> = result
        .trim_start_matches("chart ")
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(result.starts_with("chart "), "{result}");
    assert!(
        size[0] > 300 && size[1] > 150,
        "rendered with a size: {result}"
    );
    assert!(size[2] >= 5, "data points drawn: {result}");

    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-test");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, page, size) in [
        (
            "sv-homicide-2015.png",
            "claims/sv-homicide-2015.html",
            "800,1400",
        ),
        ("index-phone.png", "index.html", "390,1600"),
        ("article.png", "articles/seed-article.html", "800,1800"),
    ] {
        let png = shots.join(name);
        run_browser(
            &browser,
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={size}"),
                url(&out.join(page)),
            ],
        );
        let bytes = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        assert!(bytes > 10_000, "{} is {bytes} bytes", png.display());
        println!("screenshot: {} ({bytes} bytes)", png.display());
    }
}
