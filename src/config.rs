//! Configuration: the `claimcheck.toml` file, environment overrides and defaults.
//!
//! Every setting has a default, so claimcheck runs without a config file. The file is looked
//! up at `--config PATH`, else `config/claimcheck.toml` when present. Environment variables
//! win over the file: `CLAIMCHECK_WORLDBANK_URL` (API base URL) and `CLAIMCHECK_DB` (the
//! database directory, read by the CLI).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The config file looked up when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/claimcheck.toml";
/// Environment variable that overrides `[worldbank] base_url`.
pub const WORLDBANK_URL_ENV: &str = "CLAIMCHECK_WORLDBANK_URL";
/// Environment variable that overrides `[owid] base_url`.
pub const OWID_URL_ENV: &str = "CLAIMCHECK_OWID_URL";

/// A configuration problem, naming the file and what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys or wrong types.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A value is out of range.
    #[error("config: {0}")]
    Invalid(String),
}

/// All settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the sled database lives; `--db` and `CLAIMCHECK_DB` override it.
    pub db: Option<PathBuf>,
    /// Indicator alias table for sentences [default: config/indicators.toml when present,
    /// else the built-in copy].
    pub indicators: Option<PathBuf>,
    /// The World Bank Indicators API client.
    pub worldbank: WorldBankConfig,
    /// Our World in Data (grapher CSV + metadata); timeouts and retries are `[worldbank]`'s.
    pub owid: crate::source::owid::OwidConfig,
    /// Check statistics both sources publish against the other source too (as `verify
    /// --corroborate` does); the daemon does not corroborate.
    pub corroborate: bool,
    /// Answer from cached series alone, never asking a source (`verify --offline`); not
    /// read from the file.
    #[serde(skip)]
    pub offline: bool,
    /// The response cache.
    pub cache: CacheConfig,
    /// How deviations map to grades.
    pub grading: GradingConfig,
    /// The job queue and re-check schedule.
    pub queue: QueueConfig,
    /// The daemon's local API and notifications.
    pub daemon: DaemonConfig,
    /// Who publishes the fact-checks and where (ClaimReview `author` and `url`).
    pub publisher: crate::export::PublisherConfig,
}

/// Settings of the job queue and the scheduler.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Attempts per job before it is dead (retryable failures only; others die at once).
    pub max_attempts: u32,
    /// Times a job may be handed back after the process holding it died (crashes do not use
    /// attempts) before it is marked dead with a reason.
    pub max_rescues: u32,
    /// How long a worker holds a job before a rescuer may hand it to another, seconds.
    pub lease_secs: u64,
    /// First retry delay, seconds; doubles per attempt, with jitter.
    pub retry_base_secs: u64,
    /// Longest retry delay, seconds.
    pub retry_max_secs: u64,
    /// Jobs a worker takes per step (their series are fetched once per step).
    pub batch_size: usize,
    /// Succeeded jobs are deleted after this many hours.
    pub prune_after_hours: u64,
    /// Re-check claims without `schedule` this often, hours (0: only on request).
    pub recheck_interval_hours: u64,
    /// How often the daemon looks for due work, milliseconds.
    pub poll_ms: u64,
    /// Claims whose `schedule` would re-check them more often than this are refused,
    /// seconds (0: no minimum).
    pub min_schedule_secs: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_rescues: 10,
            lease_secs: 300,
            retry_base_secs: 30,
            retry_max_secs: 3600,
            batch_size: 1000,
            prune_after_hours: 24 * 7,
            recheck_interval_hours: 24 * 7,
            poll_ms: 1000,
            min_schedule_secs: 3600,
        }
    }
}

/// Settings of `claimcheck daemon`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// Unix socket of the local API [default: `api.sock` in the database's parent dir].
    pub socket: Option<PathBuf>,
    /// Also serve the API on TCP at this address, such as `127.0.0.1:7878` or
    /// `localhost:7878` (loopback unless `token` is set).
    pub listen: Option<String>,
    /// Bearer token required on TCP; required to listen beyond loopback.
    pub token: Option<Secret>,
    /// Seconds running jobs may take to finish after SIGINT/SIGTERM.
    pub grace_secs: Option<u64>,
    /// POST each change event here as JSON.
    pub webhook_url: Option<String>,
    /// Signs webhook bodies: `X-Claimcheck-Signature: sha256=<hex HMAC-SHA256>`.
    pub webhook_secret: Option<Secret>,
    /// Seconds a client has to send a request's headers (also between requests on a kept-alive
    /// connection); then the connection is closed.
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body; then 408 `body_timeout`.
    pub body_timeout_secs: u64,
    /// API connections served at once, per listener (Unix socket, TCP); further clients
    /// wait to be accepted.
    pub max_connections: usize,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            socket: None,
            listen: None,
            token: None,
            grace_secs: None,
            webhook_url: None,
            webhook_secret: None,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            max_connections: 256,
        }
    }
}

/// Settings of the World Bank client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WorldBankConfig {
    /// API base URL, up to and including `/v2`.
    pub base_url: String,
    /// Whole-request timeout, seconds.
    pub timeout_secs: u64,
    /// Connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Attempts per request, first one included (retries on timeouts, 429, 5xx, HTML pages).
    pub max_attempts: usize,
    /// First retry delay in milliseconds; doubles each attempt, with jitter.
    pub retry_base_ms: u64,
    /// Longest delay between attempts in milliseconds (also caps `Retry-After`).
    pub retry_max_ms: u64,
    /// Rows per page asked of the API.
    pub per_page: u32,
    /// Country codes one data request may list; more countries of one indicator are asked
    /// for with one `country/all` request.
    pub countries_per_request: usize,
    /// Age after which the cached country list is fetched again, hours.
    pub country_cache_hours: u64,
    /// Largest response body accepted, bytes.
    pub max_body_bytes: usize,
    /// Requests in a row that may fail (each after its retries) before the host is
    /// considered down and left alone for `breaker_cooldown_secs`.
    pub breaker_failures: u32,
    /// Seconds a host that is down is not asked again within one batch (the rest of the
    /// batch fails at once); the next batch asks again.
    pub breaker_cooldown_secs: u64,
    /// Requests to one source in flight at once, each with its retries (1: one at a time).
    pub concurrency: usize,
    /// Attempts per second sent to one host, in bursts of up to as many (0: no limit).
    pub requests_per_second: u32,
}

impl Default for WorldBankConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.worldbank.org/v2".into(),
            timeout_secs: 60,
            connect_timeout_secs: 10,
            max_attempts: 4,
            retry_base_ms: 1000,
            retry_max_ms: 30_000,
            per_page: 20_000,
            countries_per_request: 40,
            country_cache_hours: 24 * 7,
            max_body_bytes: 64 * 1024 * 1024,
            breaker_failures: 2,
            breaker_cooldown_secs: 60,
            concurrency: 8,
            requests_per_second: 20,
        }
    }
}

impl WorldBankConfig {
    /// Whole-request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// Thresholds that turn a relative deviation into a grade, and default precision bands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GradingConfig {
    /// Deviation up to which a claim outside its precision band is `mostly-true`.
    pub mostly_true: f64,
    /// ... `half-true`.
    pub half_true: f64,
    /// ... `mostly-false`; beyond it, `false`.
    pub mostly_false: f64,
    /// Relative half-width of the band for hedged numbers ("around 82").
    pub approx_band: f64,
    /// Largest relative half-width a round number ("6 million") gets from its precision.
    pub round_band_cap: f64,
}

impl Default for GradingConfig {
    fn default() -> Self {
        Self {
            mostly_true: 0.05,
            half_true: 0.10,
            mostly_false: 0.25,
            approx_band: 0.05,
            round_band_cap: 0.05,
        }
    }
}

/// The response cache: fetched series kept in the store, by request.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// A cached series is used without asking the source for this many hours (0: always
    /// ask; the cache then only serves `verify --offline`).
    pub ttl_hours: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { ttl_hours: 24 }
    }
}

/// `$XDG_CONFIG_HOME/claimcheck/claimcheck.toml` (`~/.config/…` when unset): the config
/// read when neither `--config` nor `config/claimcheck.toml` in the working directory is.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)?;
    Some(base.join("claimcheck").join("claimcheck.toml"))
}

/// serde's Rust type names in a parse error, in words: "expected u64" told a user who wrote
/// `ttl_hours = "a day"` nothing about what to write.
fn plain_types(message: &str) -> String {
    const TYPES: &[(&str, &str)] = &[
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ];
    let mut message = message.to_string();
    for (rust, words) in TYPES {
        if let Some(at) = message.find(rust) {
            // Only a whole word: "expected u32" must not touch "expected u320".
            let end = at + rust.len();
            let whole = message[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if whole {
                message.replace_range(at..end, words);
            }
        }
    }
    message
}

impl Config {
    /// Loads `path`, or `config/claimcheck.toml` when present and `path` is `None`, then
    /// applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) => Some(path.to_path_buf()),
            None if Path::new(DEFAULT_CONFIG_PATH).is_file() => {
                Some(PathBuf::from(DEFAULT_CONFIG_PATH))
            }
            None => user_config_path().filter(|p| p.is_file()),
        };
        let mut config = match &file {
            Some(file) => Self::from_file(file)?,
            None => Self::default(),
        };
        if let Ok(url) = std::env::var(WORLDBANK_URL_ENV) {
            if !url.trim().is_empty() {
                config.worldbank.base_url = url.trim().to_string();
            }
        }
        if let Ok(url) = std::env::var(OWID_URL_ENV) {
            if !url.trim().is_empty() {
                config.owid.base_url = url.trim().to_string();
            }
        }
        // A value out of range names the file it came from (the parse errors do).
        config.validate().map_err(|e| match (e, &file) {
            (ConfigError::Invalid(message), Some(file)) => {
                ConfigError::Invalid(format!("{}: {message}", file.display()))
            }
            (e, _) => e,
        })?;
        Ok(config)
    }

    /// Parses one config file (no environment overrides).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: plain_types(e.to_string().trim()),
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let g = &self.grading;
        if !(0.0 <= g.mostly_true && g.mostly_true <= g.half_true && g.half_true <= g.mostly_false)
        {
            return Err(ConfigError::Invalid(format!(
                "[grading] needs 0 <= mostly_true <= half_true <= mostly_false, got {} / {} / {}",
                g.mostly_true, g.half_true, g.mostly_false
            )));
        }
        let wb = &self.worldbank;
        if wb.max_attempts == 0
            || wb.per_page == 0
            || wb.countries_per_request == 0
            || wb.concurrency == 0
            || wb.timeout_secs == 0
            || wb.connect_timeout_secs == 0
        {
            return Err(ConfigError::Invalid(
                "[worldbank] max_attempts, per_page, countries_per_request, concurrency, timeout_secs and connect_timeout_secs must be at least 1"
                    .into(),
            ));
        }
        if self.queue.max_attempts == 0 || self.queue.batch_size == 0 || self.queue.lease_secs == 0
        {
            return Err(ConfigError::Invalid(
                "[queue] max_attempts, batch_size and lease_secs must be at least 1".into(),
            ));
        }
        let daemon = &self.daemon;
        if daemon.header_timeout_secs == 0
            || daemon.body_timeout_secs == 0
            || daemon.max_connections == 0
        {
            return Err(ConfigError::Invalid(
                "[daemon] header_timeout_secs, body_timeout_secs and max_connections must be at least 1"
                    .into(),
            ));
        }
        let owid = &self.owid.base_url;
        if !(owid.starts_with("http://") || owid.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "[owid] base_url must start with http:// or https://, got {owid:?}"
            )));
        }
        if !(wb.base_url.starts_with("http://") || wb.base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "[worldbank] base_url must start with http:// or https://, got {:?}",
                wb.base_url
            )));
        }
        Ok(())
    }
}

/// A secret setting (API token, webhook secret): never printed, not even by `{:?}`, and
/// compared in constant time.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must use it (signing, comparing).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when `given` equals the secret; the time taken does not depend on where they
    /// differ (both sides are hashed first, then compared byte by byte without stopping).
    pub fn matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        let (a, b) = (
            Sha256::digest(self.0.as_bytes()),
            Sha256::digest(given.as_bytes()),
        );
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_names_the_queue_and_daemon_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/claimcheck.toml");
        let config = Config::from_file(&path).unwrap();
        assert_eq!(config.queue, QueueConfig::default());
        assert_eq!(config.daemon, DaemonConfig::default());
        assert_eq!(config.cache, CacheConfig::default());
        assert_eq!(config.worldbank, WorldBankConfig::default());
    }

    /// A wrong type names the line, and what to write in words, not as a Rust type.
    #[test]
    fn a_value_of_the_wrong_type_says_what_to_write() {
        let dir = tempfile::tempdir().unwrap();
        for (text, want) in [
            (
                "[cache]\nttl_hours = \"a day\"\n",
                "expected a whole number, 0 or more",
            ),
            (
                "[worldbank]\nmax_attempts = -1\n",
                "expected a whole number, 0 or more",
            ),
        ] {
            let path = dir.path().join("claimcheck.toml");
            std::fs::write(&path, text).unwrap();
            let err = Config::from_file(&path).unwrap_err().to_string();
            assert!(err.contains(want) && err.contains("line 2"), "{err}");
            assert!(!err.contains("u64") && !err.contains("usize"), "{err}");
        }
    }
}
