//! The fault matrix: the real binary's `verify` against a fault-injecting proxy in front of
//! the World Bank stand-in. Each fault has one defined outcome, asserted here:
//! - *recovered*: retried, then every claim gets its verdict (exit 0);
//! - *failed with the reason*: no verdict, `retryable` says whether trying later can help,
//!   exit 3 (retryable) or with the API's own reason (permanent).
//!
//! Never a verdict from partial data, never `unverifiable` for an outage. Retries are kept
//! fast by the config (`retry_base_ms = 1`, `timeout_secs = 1`).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{by_id, json_lines, TestApp};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with one request.
#[derive(Debug, Clone)]
enum Fault {
    /// Forward the stand-in's answer unchanged.
    Pass,
    /// This status with an HTML gateway page, and optionally `Retry-After`.
    Status(u16, Option<&'static str>),
    /// Read the request, then close the connection without answering.
    Close,
    /// Never answer (the client's timeout fires).
    Hang,
    /// The whole answer, 256 bytes every 20 ms.
    Drip,
    /// Half the body, with a `Content-Length` that matches it: complete HTTP, cut JSON.
    Truncate,
    /// The full `Content-Length`, half the body, then close.
    CutMidBody,
    /// A UTF-8 BOM before the body.
    Bom,
    /// The API's error envelope (120) with HTTP 200.
    Envelope,
    /// `[meta, null]` keeping the page's meta (rows announced but missing).
    NullRows,
    /// The meta announces one page more than the first page did.
    MorePages,
    /// Every non-null `value` replaced by this.
    Value(Value),
    /// The stand-in's answer, after 250 ms (so requests overlap).
    Slow,
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    fault: Fault,
}

/// A fault-injecting HTTP proxy in front of the stand-in.
struct Proxy {
    url: String,
    log: Arc<Mutex<Vec<Seen>>>,
    /// Data requests in flight now (from their request line to their answer), and the most
    /// at once. Connections are not counted: one the client is done with may still be
    /// closing here when its next request arrives, and the country list is no data request.
    gauge: Arc<(AtomicUsize, AtomicUsize)>,
}

type Plan = dyn Fn(&str, usize) -> Fault + Send + Sync;

impl Proxy {
    /// Starts the proxy; `plan(path, seen)` picks the fault for a data request (`seen` =
    /// earlier requests of the same path). The country list always passes.
    async fn start(
        upstream: String,
        plan: impl Fn(&str, usize) -> Fault + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let plan: Arc<Plan> = Arc::new(plan);
        let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let client = reqwest::Client::new();
        let task_log = log.clone();
        let gauge = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let task_gauge = gauge.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (plan, counts, log, client, upstream, gauge) = (
                    plan.clone(),
                    counts.clone(),
                    task_log.clone(),
                    client.clone(),
                    upstream.clone(),
                    task_gauge.clone(),
                );
                tokio::spawn(async move {
                    serve(stream, &upstream, &client, &*plan, &counts, &log, &gauge).await;
                });
            }
        });
        Self { url, log, gauge }
    }

    /// The most data requests that were in flight at once.
    fn most_at_once(&self) -> usize {
        self.gauge.1.load(Ordering::SeqCst)
    }

    fn base_url(&self) -> String {
        format!("{}/v2", self.url)
    }

    /// Data requests seen (country list excluded).
    fn data_requests(&self) -> Vec<Seen> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.contains("/indicator/"))
            .cloned()
            .collect()
    }
}

/// A data request counted in flight until dropped (every way `serve` returns).
struct InFlight<'a>(&'a (AtomicUsize, AtomicUsize));

impl<'a> InFlight<'a> {
    fn start(gauge: &'a (AtomicUsize, AtomicUsize)) -> Self {
        let now = gauge.0.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.1.fetch_max(now, Ordering::SeqCst);
        Self(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(
    mut stream: TcpStream,
    upstream: &str,
    client: &reqwest::Client,
    plan: &Plan,
    counts: &Mutex<HashMap<String, usize>>,
    log: &Mutex<Vec<Seen>>,
    gauge: &(AtomicUsize, AtomicUsize),
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let _in_flight = path.contains("/indicator/").then(|| InFlight::start(gauge));
    let fault = if path.contains("/indicator/") {
        let seen = {
            let mut counts = counts.lock().unwrap();
            let n = counts.entry(path.clone()).or_default();
            *n += 1;
            *n - 1
        };
        plan(&path, seen)
    } else {
        Fault::Pass
    };
    log.lock().unwrap().push(Seen {
        path: path.clone(),
        fault: fault.clone(),
    });
    let html = "<html><body><h1>Bad gateway</h1></body></html>";
    match fault {
        Fault::Status(code, retry_after) => {
            let extra = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            respond(&mut stream, code, "text/html", html.as_bytes(), &extra).await;
            return;
        }
        Fault::Close => return,
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        Fault::Slow => tokio::time::sleep(Duration::from_millis(250)).await,
        _ => {}
    }
    let answer = client
        .get(format!("{upstream}{path}"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body = answer.bytes().await.unwrap().to_vec();
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut json: Value = serde_json::from_slice(&body).unwrap();
        f(&mut json);
        json.to_string().into_bytes()
    };
    let ctype = "application/json;charset=utf-8";
    match fault {
        Fault::Pass | Fault::Slow => respond(&mut stream, status, ctype, &body, "").await,
        Fault::Bom => {
            let mut bom = "\u{feff}".as_bytes().to_vec();
            bom.extend_from_slice(&body);
            respond(&mut stream, status, ctype, &bom, "").await
        }
        Fault::Truncate => respond(&mut stream, status, ctype, &body[..body.len() / 2], "").await,
        Fault::CutMidBody => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body[..body.len() / 2]).await;
        }
        Fault::Drip => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            for chunk in body.chunks(256) {
                let _ = stream.write_all(chunk).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Fault::Envelope => {
            let envelope = br#"[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]"#;
            respond(&mut stream, 200, ctype, envelope, "").await
        }
        Fault::NullRows => {
            let body = mutate(&|json| json[1] = Value::Null);
            respond(&mut stream, status, ctype, &body, "").await
        }
        Fault::MorePages => {
            let body = mutate(&|json| {
                let pages = json[0]["pages"].as_u64().unwrap_or(1);
                json[0]["pages"] = (pages + 1).into();
            });
            respond(&mut stream, status, ctype, &body, "").await
        }
        Fault::Value(value) => {
            let body = mutate(&|json| {
                for row in json[1].as_array_mut().into_iter().flatten() {
                    if !row["value"].is_null() {
                        row["value"] = value.clone();
                    }
                }
            });
            respond(&mut stream, status, ctype, &body, "").await
        }
        Fault::Status(..) | Fault::Close | Fault::Hang => unreachable!("answered above"),
    }
}

async fn respond(stream: &mut TcpStream, status: u16, ctype: &str, body: &[u8], extra: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// Three claims, three series: homicide for El Salvador (paged), population for Honduras,
/// and a rank over `country/all`.
const CLAIMS: &str = r#"
[[claim]]
id = "rate"
text = "El Salvador's murder rate was 105 per 100,000 people in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105

[[claim]]
id = "people"
text = "Honduras had 9.9 million people in 2022"
indicator = "SP.POP.TOTL"
country = "HND"
year = 2022
value = "9.9 million"

[[claim]]
id = "highest"
text = "El Salvador had the highest murder rate in the world in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
kind = "rank"
rank = 1
order = "desc"
"#;

/// What one `verify` run gave.
struct Run {
    code: Option<i32>,
    results: Vec<Value>,
    stderr: String,
    data_requests: Vec<Seen>,
    /// The most requests the proxy had open at once.
    most_at_once: usize,
}

/// Imports the claims, then verifies them through a proxy that follows `plan` (the country
/// list always passes).
async fn run(plan: impl Fn(&str, usize) -> Fault + Send + Sync + 'static) -> Run {
    run_with(CLAIMS, plan, |_| {}).await
}

/// [`run`] with other claims and settings.
async fn run_with(
    claims: &str,
    plan: impl Fn(&str, usize) -> Fault + Send + Sync + 'static,
    configure: impl FnOnce(&mut claimcheck::config::Config),
) -> Run {
    let app = TestApp::start().await;
    let file = app.claim_file("claims.toml", claims);
    app.cmd().arg("import").arg(&file).assert().success();
    let proxy = Proxy::start(app.server.uri(), plan).await;
    let mut config = app.config();
    config.worldbank.base_url = proxy.base_url();
    config.worldbank.timeout_secs = 1;
    config.worldbank.per_page = 10;
    configure(&mut config);
    app.write_config(&config);
    let output = app
        .cmd()
        .args(["verify", "--all", "--json"])
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        results: json_lines(&output.stdout),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        data_requests: proxy.data_requests(),
        most_at_once: proxy.most_at_once(),
    }
}

impl Run {
    /// Every claim got its verdict, as without faults; `retried` requests were repeated.
    fn assert_recovered(&self, case: &str, retried: bool) {
        assert_eq!(self.code, Some(0), "{case}: {}", self.stderr);
        assert_eq!(
            by_id(&self.results, "rate")["verdict"],
            "mostly-true",
            "{case}"
        );
        assert_eq!(by_id(&self.results, "rate")["actual"], 107.638231, "{case}");
        assert_eq!(by_id(&self.results, "highest")["verdict"], "true", "{case}");
        assert!(
            by_id(&self.results, "people")["verdict"].is_string(),
            "{case}"
        );
        let faults = self
            .data_requests
            .iter()
            .filter(|s| !matches!(s.fault, Fault::Pass))
            .count();
        println!(
            "{case}: recovered, {} data requests, {faults} faulted",
            self.data_requests.len()
        );
        if retried {
            assert!(faults > 0, "{case}: the fault was injected");
        }
    }

    /// `id` got no verdict, with a reason containing `reason` and the given retryability.
    fn assert_failed(&self, case: &str, id: &str, reason: &str, retryable: bool) {
        let result = by_id(&self.results, id);
        assert!(
            result["verdict"].is_null(),
            "{case}: no verdict from partial data: {result}"
        );
        assert_ne!(result["verdict"], "unverifiable", "{case}");
        assert_eq!(result["retryable"], retryable, "{case}: {result}");
        let error = result["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(reason),
            "{case}: {error:?} should say {reason:?}"
        );
        assert_ne!(self.code, Some(0), "{case}");
        assert_ne!(self.code, Some(101), "{case}: panicked: {}", self.stderr);
        println!(
            "{case}: {id} failed ({} data requests): {error}",
            self.data_requests.len()
        );
    }
}

/// Faults the first request of each data path once; later requests pass.
fn once(fault: Fault) -> impl Fn(&str, usize) -> Fault + Send + Sync + 'static {
    move |_, seen| {
        if seen == 0 {
            fault.clone()
        } else {
            Fault::Pass
        }
    }
}

/// Faults every data request.
fn always(fault: Fault) -> impl Fn(&str, usize) -> Fault + Send + Sync + 'static {
    move |_, _| fault.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passing_proxy_changes_nothing() {
    run(always(Fault::Pass))
        .await
        .assert_recovered("pass", false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gateway_errors_are_retried_then_succeed() {
    for code in [500, 502, 503] {
        run(once(Fault::Status(code, None)))
            .await
            .assert_recovered(&format!("{code} with HTML"), true);
    }
    run(once(Fault::Status(429, None)))
        .await
        .assert_recovered("429 without Retry-After", true);
    // Retry-After 1 s is honoured but capped by retry_max_ms (20 ms here).
    run(once(Fault::Status(429, Some("1"))))
        .await
        .assert_recovered("429 with Retry-After", true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_transfers_are_retried_then_succeed() {
    for (case, fault) in [
        ("connection closed", Fault::Close),
        ("timeout", Fault::Hang),
        ("truncated JSON, complete HTTP", Fault::Truncate),
        ("body cut mid-transfer", Fault::CutMidBody),
    ] {
        run(once(fault)).await.assert_recovered(case, true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_drip_and_bom_are_read() {
    run(always(Fault::Drip))
        .await
        .assert_recovered("slow drip within the timeout", false);
    run(always(Fault::Bom)).await.assert_recovered("BOM", false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn partial_paging_is_retried_and_never_a_verdict() {
    // The El Salvador series has several pages at per_page = 10: a null page 2 once, or a
    // page count that changes once, is fetched again.
    let page2 = |fault: Fault| {
        move |path: &str, seen: usize| {
            if path.contains("&page=2") && seen == 0 {
                fault.clone()
            } else {
                Fault::Pass
            }
        }
    };
    run(page2(Fault::NullRows))
        .await
        .assert_recovered("null page once", true);
    run(page2(Fault::MorePages))
        .await
        .assert_recovered("page count changed once", true);
    // Always inconsistent: no verdict, retry later.
    let always_page2 = |fault: Fault| {
        move |path: &str, _: usize| {
            if path.contains("&page=2") {
                fault.clone()
            } else {
                Fault::Pass
            }
        }
    };
    let run_ = run(always_page2(Fault::NullRows)).await;
    run_.assert_failed("null page always", "rate", "no rows on page", true);
    assert_eq!(run_.code, Some(3));
    let run_ = run(always_page2(Fault::MorePages)).await;
    run_.assert_failed(
        "page count always changes",
        "rate",
        "pages, the first page said",
        true,
    );
    assert_eq!(run_.code, Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn truncated_json_every_time_is_retryable_not_permanent() {
    let run_ = run(always(Fault::Truncate)).await;
    for id in ["rate", "people", "highest"] {
        run_.assert_failed(
            "truncated always",
            id,
            "incomplete or malformed answer",
            true,
        );
    }
    assert_eq!(run_.code, Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn error_envelope_with_200_fails_with_the_reason() {
    let run_ = run(always(Fault::Envelope)).await;
    run_.assert_failed("error envelope", "rate", "error 120", false);
    // Not retried: one request per series.
    assert_eq!(run_.data_requests.len(), 3, "{:?}", run_.data_requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn values_as_strings_nan_and_negative() {
    // A number sent as a string is a number.
    run(always(Fault::Value("107.638231".into())))
        .await
        .assert_recovered("string value", false);
    // "NaN" or words are not numbers: no verdict, retry later.
    for bad in ["NaN", "inf", "n/a"] {
        let run_ = run(always(Fault::Value(bad.into()))).await;
        run_.assert_failed(&format!("value {bad:?}"), "rate", "is not a number", true);
    }
    // A negative value is data: the claim is judged against it.
    let run_ = run(always(Fault::Value((-107.638231).into()))).await;
    assert_eq!(run_.code, Some(0), "{}", run_.stderr);
    assert_eq!(by_id(&run_.results, "rate")["verdict"], "false");
    assert_eq!(by_id(&run_.results, "rate")["actual"], -107.638231);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_source_down_for_the_whole_run_is_left_alone_after_one_message() {
    // 503 on every data request: two series exhaust their retries, the third is not asked.
    // One request at a time, so the count is exact (the bound under concurrency is the next
    // test's).
    let one_at_a_time = |config: &mut claimcheck::config::Config| config.worldbank.concurrency = 1;
    let run_ = run_with(CLAIMS, always(Fault::Status(503, None)), one_at_a_time).await;
    for id in ["rate", "people", "highest"] {
        run_.assert_failed("503 throughout", id, "", true);
    }
    assert_eq!(run_.code, Some(3));
    let reasons: Vec<&str> = run_
        .results
        .iter()
        .filter_map(|r| r["error"].as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("source unreachable, retry later")),
        "{reasons:?}"
    );
    // 3 attempts per request, 2 requests before the breaker opens.
    assert_eq!(run_.data_requests.len(), 6, "{:?}", run_.data_requests);
    assert_breaker_announced_once(&run_);
    println!(
        "503 throughout: {} data requests; stderr:\n{}",
        run_.data_requests.len(),
        run_.stderr
    );
}

/// Under concurrency 8 the breaker still opens, and bounds what goes out: every attempt checks
/// it before it is sent, so at most 8 + 2 - 1 requests (each with its 3 attempts) reach a
/// source that is down, of the 20 series' 60 attempts without the breaker.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_breaker_opens_under_concurrency_and_bounds_the_requests() {
    let eight = |config: &mut claimcheck::config::Config| config.worldbank.concurrency = 8;
    let run_ = run_with(&many_series(20), always(Fault::Status(503, None)), eight).await;
    assert_eq!(run_.code, Some(3), "{}", run_.stderr);
    assert_eq!(run_.results.len(), 20);
    for result in &run_.results {
        assert!(result["verdict"].is_null(), "{result}");
        assert_eq!(result["retryable"], true, "{result}");
    }
    let sent = run_.data_requests.len();
    assert!(
        sent <= (8 + 2 - 1) * 3,
        "{sent} requests reached a source that is down"
    );
    let unreachable = run_
        .results
        .iter()
        .filter(|r| {
            r["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("source unreachable, retry later"))
        })
        .count();
    assert!(
        unreachable >= 20 - 9,
        "{unreachable} of 20 stopped by the breaker"
    );
    assert_breaker_announced_once(&run_);
    println!("503 throughout, concurrency 8: {sent} data requests for 20 series, {unreachable} stopped by the breaker");
}

/// `[worldbank] concurrency` bounds the requests in flight, and they do overlap: 12 series
/// answered after 250 ms each, at most 3 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_overlap_up_to_the_configured_concurrency() {
    let three = |config: &mut claimcheck::config::Config| config.worldbank.concurrency = 3;
    let run_ = run_with(&many_series(12), always(Fault::Slow), three).await;
    assert_eq!(run_.data_requests.len(), 12, "{:?}", run_.data_requests);
    assert!(run_.most_at_once <= 3, "{} at once", run_.most_at_once);
    assert!(run_.most_at_once >= 2, "requests never overlapped");
    println!(
        "12 slow series, concurrency 3: {} at once",
        run_.most_at_once
    );
}

/// `n` claims over `n` indicator codes the stand-in does not know (each its own series).
fn many_series(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[claim]]\nid = \"c{i}\"\ntext = \"claim {i}\"\nindicator = \"BX.TEST.{i}\"\ncountry = \"SLV\"\nyear = 2015\nvalue = 1\n\n"
            )
        })
        .collect()
}

/// One line on stderr says the source is down and names the setting to check.
fn assert_breaker_announced_once(run_: &Run) {
    assert_eq!(
        run_.stderr.matches("source unreachable").count(),
        1,
        "{}",
        run_.stderr
    );
    assert!(
        run_.stderr.contains("CLAIMCHECK_WORLDBANK_URL"),
        "{}",
        run_.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_source_that_refuses_connections_stops_after_the_first_request() {
    let app = TestApp::start().await;
    let file = app.claim_file("claims.toml", CLAIMS);
    app.cmd().arg("import").arg(&file).assert().success();
    // Fill the country cache, then point at a port nothing listens on.
    app.cmd().args(["verify", "--all"]).assert().success();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut config = app.config();
    config.worldbank.base_url = format!("http://127.0.0.1:{port}/v2");
    // One request at a time: the retries of exactly one request are counted below.
    config.worldbank.concurrency = 1;
    app.write_config(&config);
    let output = app
        .cmd()
        .args(["verify", "--all", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 3);
    for result in &results {
        assert!(result["verdict"].is_null(), "{result}");
        assert_eq!(result["retryable"], true, "{result}");
        let error = result["error"].as_str().unwrap();
        assert!(
            error.starts_with("source unreachable, retry later"),
            "{error}"
        );
    }
    assert_eq!(stderr.matches("source unreachable").count(), 1, "{stderr}");
    assert!(stderr.contains("CLAIMCHECK_WORLDBANK_URL"), "{stderr}");
    let retries = stderr.matches("retrying upstream request").count();
    assert_eq!(retries, 2, "one request's retries, then no more: {stderr}");
    println!("refused: text output\n{stderr}");
}

/// Requests answered during a run, counted by the proxy (a sanity check of the harness).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn proxy_counts_requests() {
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    let run_ = run(move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
        Fault::Pass
    })
    .await;
    assert_eq!(counter.load(Ordering::SeqCst), run_.data_requests.len());
}

/// Through the daemon: a source that sends cut bodies for a while makes the job wait and
/// retry with the reason (`retrying`, `last_error`), then succeed; it never dies for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_daemon_retries_a_job_whose_answers_were_cut_then_succeeds() {
    use std::process::{Command, Stdio};
    use std::time::Instant;

    let app = TestApp::start().await;
    // The first 6 data requests (two attempts' worth of retries) are cut, then all pass.
    let cut = Arc::new(AtomicUsize::new(0));
    let counter = cut.clone();
    let proxy = Proxy::start(app.server.uri(), move |_, _| {
        if counter.fetch_add(1, Ordering::SeqCst) < 6 {
            Fault::Truncate
        } else {
            Fault::Pass
        }
    })
    .await;
    let mut config = app.config();
    config.worldbank.base_url = proxy.base_url();
    config.queue.poll_ms = 50;
    config.queue.retry_base_secs = 1;
    config.queue.retry_max_secs = 1;
    config.daemon.grace_secs = Some(5);
    app.write_config(&config);
    let mut daemon = Command::new(assert_cmd::cargo::cargo_bin("claimcheck"))
        .env("CLAIMCHECK_DB", app.db())
        .env_remove("CLAIMCHECK_WORLDBANK_URL")
        .arg("--config")
        .arg(app.config_path())
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let socket = app.db().with_file_name("db.sock");
    let wait = |what: &str, mut ready: Box<dyn FnMut() -> bool>| {
        let started = Instant::now();
        while !ready() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait(
        "daemon up",
        Box::new(|| {
            socket.exists()
                && app
                    .cmd()
                    .args(["jobs", "--json"])
                    .output()
                    .is_ok_and(|o| o.status.success())
        }),
    );
    let file = app.claim_file(
        "one.toml",
        "[[claim]]\nid = \"rate\"\ntext = \"El Salvador's murder rate was 105 per 100,000 people in 2015\"\nindicator = \"VC.IHR.PSRC.P5\"\ncountry = \"SLV\"\nyear = 2015\nvalue = 105\n",
    );
    app.cmd()
        .args(["add", "--file"])
        .arg(&file)
        .assert()
        .success();
    let mut saw_retrying = None;
    wait(
        "job succeeded",
        Box::new(|| {
            let jobs = app.json(&["jobs", "--json"]);
            let job = &jobs[0];
            if job["state"] == "retrying" {
                saw_retrying = job["last_error"].as_str().map(str::to_string);
            }
            assert_ne!(job["state"], "dead", "{job}");
            job["state"] == "succeeded"
        }),
    );
    let jobs = app.json(&["jobs", "--json"]);
    assert!(jobs[0]["attempts"].as_u64().unwrap() >= 2, "{jobs:?}");
    if let Some(reason) = &saw_retrying {
        assert!(
            reason.contains("incomplete or malformed answer"),
            "{reason}"
        );
    }
    let shown = app.json(&["show", "rate", "--json"]);
    assert_eq!(
        shown[0]["history"][0]["verdict"], "mostly-true",
        "{shown:?}"
    );
    Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(daemon.wait().unwrap().success());
    println!(
        "daemon: cut answers retried by the queue (attempts {}), last error seen: {saw_retrying:?}",
        jobs[0]["attempts"]
    );
}
