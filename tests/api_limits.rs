//! The API's connection limit, header read timeout and body read timeout, on the Unix socket
//! and on TCP (served in-process by `api::server::serve`, as the daemon serves them), and
//! the `[daemon]` settings reaching the real daemon. Short timeouts keep the tests quick;
//! waits are printed, never asserted (a missing cut-off shows as a generous bound exceeded).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use claimcheck::api::server::{router, serve, ApiState, Limits};
use common::TestApp;

/// A connection to the API under test, either kind.
trait Stream: Read + Write + Send {
    fn set_timeout(&self, timeout: Option<Duration>);
    fn set_nonblocking(&self, on: bool);
}

impl Stream for std::net::TcpStream {
    fn set_timeout(&self, timeout: Option<Duration>) {
        self.set_read_timeout(timeout).unwrap();
    }
    fn set_nonblocking(&self, on: bool) {
        std::net::TcpStream::set_nonblocking(self, on).unwrap();
    }
}

impl Stream for std::os::unix::net::UnixStream {
    fn set_timeout(&self, timeout: Option<Duration>) {
        self.set_read_timeout(timeout).unwrap();
    }
    fn set_nonblocking(&self, on: bool) {
        std::os::unix::net::UnixStream::set_nonblocking(self, on).unwrap();
    }
}

#[derive(Clone)]
enum Address {
    Tcp(std::net::SocketAddr),
    Unix(PathBuf),
}

impl Address {
    fn connect(&self) -> Box<dyn Stream> {
        match self {
            Address::Tcp(addr) => Box::new(std::net::TcpStream::connect(addr).unwrap()),
            Address::Unix(path) => Box::new(std::os::unix::net::UnixStream::connect(path).unwrap()),
        }
    }
}

/// Serves the API in-process within `limits` on `kind` ("tcp" or "unix").
async fn spawn(app: &TestApp, limits: Limits, kind: &str) -> Address {
    let claimcheck = app.app().await;
    let parser = claimcheck::app::intake::parser(None).unwrap();
    let routes = router(ApiState::new(claimcheck, parser).with_limits(limits));
    if kind == "tcp" {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, routes, limits, std::future::pending()));
        Address::Tcp(addr)
    } else {
        let path = app.dir.path().join("api.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        tokio::spawn(serve(listener, routes, limits, std::future::pending()));
        Address::Unix(path)
    }
}

/// True when the peer has closed `stream` (reads EOF or a reset), without waiting.
fn closed(stream: &mut dyn Stream) -> bool {
    stream.set_nonblocking(true);
    let mut byte = [0u8; 1];
    let result = stream.read(&mut byte);
    stream.set_nonblocking(false);
    match result {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

/// Sends `request` and reads the whole answer (the server closes: `Connection: close`).
fn exchange(stream: &mut dyn Stream, request: &str, limit: Duration) -> String {
    stream.set_timeout(Some(limit));
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("no answer within {limit:?}: {e}"));
    answer
}

const HEALTH: &str = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

async fn idle_connections_beyond_the_limit(kind: &str) {
    let app = TestApp::start().await;
    let limits = Limits {
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(2),
        max_connections: 4,
    };
    let address = spawn(&app, limits, kind).await;
    let kind = kind.to_string();
    tokio::task::spawn_blocking(move || {
        // Six clients connect and send nothing: four take every slot, two wait behind them.
        let mut idle: Vec<Box<dyn Stream>> = (0..6).map(|_| address.connect()).collect();
        let asked = Instant::now();
        let mut health = address.connect();
        let answer = exchange(&mut *health, HEALTH, Duration::from_secs(20));
        let waited = asked.elapsed();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("\"status\":\"ok\""), "{answer}");
        // The answer came only once idle clients had been cut off to free a slot: without
        // the limit it would have come at once, with all six still connected.
        let cut = idle.iter_mut().map(|s| closed(&mut **s)).filter(|c| *c).count();
        assert!(
            cut >= 1,
            "{kind}: /healthz was answered while every idle connection was still open"
        );
        eprintln!(
            "{kind}: 6 idle connections, limit 4, header timeout 2 s: /healthz answered after {:.2} s, {cut} idle connections cut by then",
            waited.as_secs_f64()
        );
        // Every idle one is cut in the end (header timeout), none answered.
        for (i, stream) in idle.iter_mut().enumerate() {
            stream.set_timeout(Some(Duration::from_secs(20)));
            let mut rest = Vec::new();
            let read = stream.read_to_end(&mut rest);
            assert!(
                read.is_err() || rest.is_empty() || !rest.starts_with(b"HTTP/1.1 200"),
                "{kind}: idle connection {i} got {:?}",
                String::from_utf8_lossy(&rest)
            );
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_beyond_the_limit_do_not_stop_healthz_on_tcp() {
    idle_connections_beyond_the_limit("tcp").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_beyond_the_limit_do_not_stop_healthz_on_the_unix_socket() {
    idle_connections_beyond_the_limit("unix").await;
}

/// Drips a request's headers one byte every 100 ms; returns how many bytes were sent
/// before the server cut the connection, or `None` if it never did within 20 s.
fn slow_loris(stream: &mut dyn Stream) -> Option<usize> {
    let drip = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (sent, byte) in drip.iter().enumerate() {
        if stream.write_all(&[*byte]).is_err() || closed(stream) {
            return Some(sent);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

async fn a_slow_loris_is_cut_off(kind: &str) {
    let app = TestApp::start().await;
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        max_connections: 2,
    };
    let address = spawn(&app, limits, kind).await;
    let kind = kind.to_string();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut loris = address.connect();
        let sent = slow_loris(&mut *loris);
        assert!(
            sent.is_some(),
            "{kind}: a client dripping its headers for 20 s was never cut off"
        );
        eprintln!(
            "{kind}: slow loris cut after {} bytes, {:.2} s (header timeout 1 s)",
            sent.unwrap(),
            started.elapsed().as_secs_f64()
        );
        let answer = exchange(&mut *address.connect(), HEALTH, Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_loris_header_is_cut_off_on_tcp() {
    a_slow_loris_is_cut_off("tcp").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_loris_header_is_cut_off_on_the_unix_socket() {
    a_slow_loris_is_cut_off("unix").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_does_not_arrive_gets_408_body_timeout() {
    let app = TestApp::start().await;
    let limits = Limits {
        header_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(1),
        max_connections: 2,
    };
    let address = spawn(&app, limits, "unix").await;
    tokio::task::spawn_blocking(move || {
        let mut stream = address.connect();
        let answer = exchange(
            &mut *stream,
            "POST /claims HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"claims\":",
            Duration::from_secs(20),
        );
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"error\":\"body_timeout\""), "{answer}");
        assert!(answer.contains("body_timeout_secs"), "{answer}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_applies_the_daemon_settings() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.daemon.header_timeout_secs = 1;
    config.daemon.max_connections = 2;
    app.write_config(&config);
    let daemon = common::spawn_daemon(&app);
    let socket = app.db().with_file_name("db.sock");
    let address = Address::Unix(socket);
    let outcome = tokio::task::spawn_blocking(move || {
        let mut loris = address.connect();
        let sent = slow_loris(&mut *loris);
        let answer = exchange(&mut *address.connect(), HEALTH, Duration::from_secs(10));
        (sent, answer)
    })
    .await
    .unwrap();
    common::stop(daemon);
    assert!(outcome.0.is_some(), "the daemon never cut a slow loris");
    assert!(outcome.1.starts_with("HTTP/1.1 200"), "{}", outcome.1);

    // Zero is refused with the setting's name.
    config.daemon.max_connections = 0;
    app.write_config(&config);
    let output = app.cmd().arg("daemon").output().unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("max_connections"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
