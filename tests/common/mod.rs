//! `TestApp`: a temp sled directory, a config with fast retries, and a wiremock server
//! answering like the World Bank (see `standin.rs`), for tests of the binary and library.

#![allow(dead_code)] // each test binary uses a different part of it

pub mod owid_standin;
pub mod standin;

use std::path::PathBuf;

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
        };
        app.write_config(&app.config());
        app
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
        config
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
            .env("CLAIMCHECK_DB", self.db())
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
