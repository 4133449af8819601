//! `TestApp`: a temp sled directory, a config with fast retries, and a wiremock server
//! answering like the World Bank (see `standin.rs`), for tests of the binary and library.

#![allow(dead_code)] // each test binary uses a different part of it

pub mod backends;
pub mod owid_standin;
pub mod standin;

use std::path::PathBuf;

use claimcheck::api::types::JobResult;
use claimcheck::app::App;
use claimcheck::claim::Claim;
use claimcheck::config::Config;
use serde_json::Value;
use tempfile::TempDir;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request};

pub use standin::StandIn;

/// A running stand-in plus a private database and config.
pub struct TestApp {
    /// The World Bank stand-in server.
    pub server: MockServer,
    /// Its data (clones share revisions).
    pub standin: StandIn,
    /// Temp directory holding the database and config.
    pub dir: TempDir,
    /// The PostgreSQL database the binary uses instead of sled in `dir` (see [`TestApp::on`]).
    pg: Option<backends::TestDb>,
}

impl TestApp {
    /// Starts the stand-in with the 2025 values.
    pub async fn start() -> Self {
        Self::with(StandIn::new()).await
    }

    /// Starts the given stand-in.
    pub async fn with(standin: StandIn) -> Self {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(standin.clone())
            .with_priority(10)
            .mount(&server)
            .await;
        // Our World in Data's grapher files, on the same server under /grapher/.
        Mock::given(method("GET"))
            .and(wiremock::matchers::path_regex("^/grapher/"))
            .respond_with(owid_standin::OwidStandIn)
            .with_priority(5)
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let app = Self {
            server,
            standin,
            dir,
            pg: None,
        };
        app.write_config(&app.config());
        app
    }

    /// A started app whose binary uses `backend`; `None` when that is PostgreSQL and no
    /// test database is configured (the skip is printed).
    pub async fn on(backend: backends::Backend, test: &str) -> Option<Self> {
        let mut app = Self::start().await;
        if backend == backends::Backend::Postgres {
            app.pg = Some(backends::test_db(backend, app.dir.path(), test)?);
        }
        Some(app)
    }

    /// The database the binary is given: the PostgreSQL URL of [`on`](Self::on), else the
    /// sled directory.
    pub fn location(&self) -> PathBuf {
        self.pg
            .as_ref()
            .map_or_else(|| self.db(), |pg| pg.location.clone())
    }

    /// Replaces the config file the binary is given.
    pub fn write_config(&self, config: &Config) {
        std::fs::write(self.config_path(), toml::to_string(config).unwrap()).unwrap();
    }

    /// The base URL claims are checked against.
    pub fn base_url(&self) -> String {
        format!("{}/v2", self.server.uri())
    }

    /// The database directory.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    /// The config file the binary is given.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("claimcheck.toml")
    }

    /// Settings: the stand-in's URL, fast retries, small pages so paging is exercised.
    pub fn config(&self) -> Config {
        let mut config = Config::default();
        config.worldbank.base_url = self.base_url();
        config.owid.base_url = self.server.uri();
        config.worldbank.retry_base_ms = 1;
        config.worldbank.retry_max_ms = 20;
        config.worldbank.max_attempts = 3;
        config.worldbank.timeout_secs = 10;
        config.db = Some(self.db());
        // Every check asks the stand-in unless a test turns the response cache on.
        config.cache.ttl_hours = 0;
        config
    }

    /// The application in-process over this app's database, with these settings.
    pub async fn app_with(&self, config: Config) -> App {
        let store = claimcheck::store::open(&self.db()).unwrap();
        App::start(store, config, chrono::Utc::now()).await.unwrap()
    }

    /// The application in-process with this app's settings.
    pub async fn app(&self) -> App {
        self.app_with(self.config()).await
    }

    /// A World Bank client for the stand-in, with this app's settings.
    pub fn client(&self) -> claimcheck::source::worldbank::WorldBank {
        claimcheck::source::worldbank::WorldBank::new(&self.config().worldbank).unwrap()
    }

    /// The real binary, pointed at this app's config and database.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("claimcheck").unwrap();
        cmd.env_remove("CLAIMCHECK_WORLDBANK_URL")
            .env_remove("CLAIMCHECK_OWID_URL")
            .env_remove("RUST_LOG")
            .env("CLAIMCHECK_DB", self.location())
            .arg("--config")
            .arg(self.config_path());
        cmd
    }

    /// Runs the binary with `args` and parses its stdout as JSON lines.
    pub fn json(&self, args: &[&str]) -> Vec<Value> {
        json_lines(&self.cmd().args(args).output().unwrap().stdout)
    }

    /// Writes a claim file into the temp dir and returns its path.
    pub fn claim_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Requests the server received whose path contains `fragment`.
    pub async fn requests(&self, fragment: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().contains(fragment))
            .collect()
    }
}

/// The seed claims of the repository.
pub fn seed_claims() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("claims")
}

/// Parses stdout of a `--json` command: one object per line.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The object with `"id": id`.
pub fn by_id<'a>(objects: &'a [Value], id: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id} in {objects:?}"))
}

/// Stores `claims`, queues their verification and drains the queue at `now`, as `verify`
/// does without a daemon; returns the results in the order of the claims.
pub async fn check(
    app: &App,
    claims: Vec<Claim>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<JobResult> {
    let ids: Vec<String> = claims.iter().map(|c| c.id.clone()).collect();
    app.add(claims, now).await.unwrap();
    let jobs: Vec<u64> = app
        .verify(ids, now)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job.id)
        .collect();
    app.drain(now, &mut |_| {}).await.unwrap();
    app.results(jobs).await.unwrap()
}

/// Starts the real daemon on this app's database and waits until it answers.
pub fn spawn_daemon(app: &TestApp) -> std::process::Child {
    spawn_daemon_on(app, &app.db().with_file_name("db.sock"))
}

/// Starts the real daemon, waiting until `socket` exists and the CLI gets answers.
pub fn spawn_daemon_on(app: &TestApp, socket: &std::path::Path) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claimcheck"))
        .env("CLAIMCHECK_DB", app.db())
        .env_remove("CLAIMCHECK_WORLDBANK_URL")
        .arg("--config")
        .arg(app.config_path())
        .arg("daemon")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(std::time::Duration::from_secs(20), || {
        socket.exists() && health(app)
    });
    child
}

/// True when the CLI gets an answer (through the daemon when one runs).
pub fn health(app: &TestApp) -> bool {
    app.cmd()
        .args(["jobs", "--json"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Polls `ready` every 50 ms; panics after `limit`.
pub fn wait_until(limit: std::time::Duration, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out after {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SIGTERM, then asserts a clean exit.
pub fn stop(mut child: std::process::Child) {
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "daemon exit status {status:?}");
}

/// The API served in-process (router + this app's store) on a loopback port, as the daemon
/// serves it; returns the base URL and the application behind it.
pub async fn spawn_api(app: &TestApp, token: Option<&str>) -> (String, App) {
    spawn_api_with(app, app.config(), token).await
}

/// [`spawn_api`] with these settings.
pub async fn spawn_api_with(app: &TestApp, config: Config, token: Option<&str>) -> (String, App) {
    use claimcheck::api::server::{router, router_with_token, serve, ApiState};
    let claimcheck = app.app_with(config).await;
    let parser = claimcheck::app::intake::parser(None).unwrap();
    let state = ApiState::new(claimcheck.clone(), parser);
    let routes = match token {
        Some(t) => router_with_token(state, Some(claimcheck::config::Secret::new(t))),
        None => router(state),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        routes,
        claimcheck::api::server::Limits::default(),
        std::future::pending(),
    ));
    (url, claimcheck)
}
