//! The daemon's API serves the report at `/`: the same pages `report --out` writes (index,
//! claim pages with their SVG charts, the scanned article), rendered from the store on
//! request, with every link between them working as it does on disk.

mod common;

use std::path::{Path, PathBuf};

use common::{seed_claims, spawn_api, TestApp};

const SV: &str = "sv-homicide-2015";

fn article() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles/seed-article.txt")
}

/// Scans the seed article, imports and verifies the seed claims and writes the report,
/// through the binary (before the in-process API holds the database).
fn build(app: &TestApp, out: &Path) {
    let steps: [Vec<std::ffi::OsString>; 4] = [
        vec![
            "scan".into(),
            article().into_os_string(),
            "--as-of".into(),
            "2019-02-01".into(),
        ],
        vec!["import".into(), seed_claims().into_os_string()],
        vec!["verify".into(), "--all".into()],
        vec!["report".into(), "--out".into(), out.as_os_str().to_owned()],
    ];
    for args in steps {
        let o = app.cmd().args(&args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Status, content type and body of a GET.
async fn get(http: &reqwest::Client, url: &str) -> (u16, String, String) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The relative links (`href="…"`) of a page that stay on the site.
fn local_links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| !link.starts_with("http") && !link.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// `link` as seen from the page at `base` (a path under the root, e.g. `claims/x.html`).
fn resolve(base: &str, link: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for piece in link.split('/') {
        match piece {
            ".." => {
                parts.pop();
            }
            "." => {}
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_serves_the_report_pages_with_charts_and_working_links() {
    let app = TestApp::start().await;
    let out = app.dir.path().join("site");
    build(&app, &out);
    let (url, claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();

    let (status, content_type, index) = get(&http, &format!("{url}/")).await;
    assert_eq!(status, 200, "{index}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let claims = claimcheck.list().await.unwrap();
    assert_eq!(
        claims.len(),
        18,
        "9 seed claims and 9 scanned from the article"
    );
    for summary in &claims {
        let link = format!("href=\"claims/{}.html\"", summary.claim.id);
        assert!(
            index.contains(&link),
            "{} not in the served index",
            summary.claim.id
        );
    }
    assert!(
        index.contains("Mostly true: <strong>2</strong>"),
        "verdict counts"
    );
    assert_eq!(get(&http, &format!("{url}/index.html")).await.2, index);

    let (status, content_type, page) = get(&http, &format!("{url}/claims/{SV}.html")).await;
    assert_eq!(status, 200, "{page}");
    assert!(content_type.starts_with("text/html"));
    assert!(page.contains("<svg"), "the claim page has its chart");
    assert!(page.contains("claimed 105"), "the chart marks the claim");
    let (status, content_type, svg) = get(&http, &format!("{url}/claims/{SV}.svg")).await;
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
    assert!(
        svg.trim_start().starts_with("<svg"),
        "{}",
        &svg[..80.min(svg.len())]
    );

    // Every page `report --out` wrote is served at the same path, and every link of the
    // served index, claim page and article page leads to a served page.
    let mut paths = vec!["index.html".to_string()];
    for dir in ["claims", "articles"] {
        for entry in std::fs::read_dir(out.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".html") {
                paths.push(format!("{dir}/{name}"));
            }
        }
    }
    assert!(
        paths.iter().any(|p| p.starts_with("articles/")),
        "{paths:?}"
    );
    for path in &paths {
        let (status, _, body) = get(&http, &format!("{url}/{path}")).await;
        assert_eq!(status, 200, "{path}: {body}");
        if path == "index.html"
            || path == &format!("claims/{SV}.html")
            || path.starts_with("articles/")
        {
            let links = local_links(&body);
            assert!(links.len() >= 2, "{path} has its links: {links:?}");
            for link in links {
                let target = resolve(path, &link);
                let (status, _, _) = get(&http, &format!("{url}/{target}")).await;
                assert_eq!(status, 200, "{link} on {path} → /{target}");
            }
        }
    }

    // The API's JSON answers stay where they were.
    let (status, content_type, detail) = get(&http, &format!("{url}/claims/{SV}")).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/json"), "{detail}");
    let (status, _, missing) = get(&http, &format!("{url}/claims/nope.html")).await;
    assert_eq!(status, 404);
    assert!(missing.contains("\"not_found\""), "{missing}");
}

/// Page requests share one render for a minute: each request rendered the whole site (22 s
/// and ~500 MB at 10k claims), and a dozen at once took a daemon past 5 GB. A claim
/// removed within the minute still has its page in the render being served.
#[tokio::test(flavor = "multi_thread")]
async fn page_requests_share_one_render() {
    let app = TestApp::start().await;
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    let (url, claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let page = format!("{url}/claims/{SV}.html");
    let pages: Vec<_> = futures_util::future::join_all((0..4).map(|_| get(&http, &page))).await;
    assert!(pages.iter().all(|(status, _, _)| *status == 200));
    assert!(pages.windows(2).all(|w| w[0].2 == w[1].2), "one render");
    claimcheck.remove(SV, chrono::Utc::now()).await.unwrap();
    let (status, _, _) = get(&http, &page).await;
    assert_eq!(status, 200, "served from the render of a moment ago");
}
