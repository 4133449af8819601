//! The shared HTTP client: timeouts, gzip, a User-Agent naming the project, bounded bodies,
//! kept-alive connections, and retries with exponential backoff and jitter that honour
//! `Retry-After`. A body is parsed inside the retry loop, so a truncated or malformed answer
//! is fetched again; and a per-host breaker stops asking a host that failed
//! `breaker_failures` requests in a row (each after its own retries) for the rest of the
//! batch (at most `breaker_cooldown_secs`), with one log line.
//!
//! Concurrency: up to `concurrency` requests of one client (one source) are in flight at
//! once, each holding its slot through its retries; every attempt first waits for the host's
//! `Retry-After` pause and its rate limit (`requests_per_second`, governor), then checks the
//! breaker. So once the breaker opens no further attempt is sent, and a request already in
//! flight that then fails is counted and answered "unreachable" without a second log line:
//! at most `concurrency + breaker_failures - 1` requests (each with its attempts) go out
//! before a dead host is left alone.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use tokio::sync::Semaphore;

use super::SourceError;
use crate::config::WorldBankConfig;

/// User-Agent sent with every request.
pub const USER_AGENT: &str = concat!(
    "claimcheck/",
    env!("CARGO_PKG_VERSION"),
    " (statistical claim checker)"
);

/// A reqwest client with the retry policy of one source.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    max_attempts: usize,
    min_delay: Duration,
    max_delay: Duration,
    max_body_bytes: usize,
    breaker: Breaker,
    /// Slots for requests in flight (shared by the clones of one client).
    in_flight: Arc<Semaphore>,
    /// Attempts per second per host; `None` when `requests_per_second` is 0.
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

/// Per-host state shared by the clones of one client: consecutive failed requests, until when
/// the host is left alone, and until when it asked us to wait (`Retry-After`).
#[derive(Debug, Clone)]
struct Breaker {
    failures_to_open: u32,
    cooldown: Duration,
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
}

#[derive(Debug, Default)]
struct HostState {
    failures: u32,
    open_until: Option<Instant>,
    paused_until: Option<Instant>,
    last_error: String,
}

impl HostState {
    fn is_open(&self) -> bool {
        self.open_until.is_some_and(|t| Instant::now() < t)
    }
}

impl Breaker {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostState>> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err` while the host's breaker is open.
    fn check(&self, host: &str) -> Result<(), SourceError> {
        match self.lock().get(host) {
            Some(state) if state.is_open() => Err(SourceError::Unreachable {
                host: host.to_string(),
                detail: state.last_error.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The host asked for a pause (`Retry-After`): every request to it waits, not only the
    /// one that was told.
    fn pause(&self, host: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut hosts = self.lock();
        let state = hosts.entry(host.to_string()).or_default();
        state.paused_until = Some(state.paused_until.map_or(until, |t| t.max(until)));
    }

    /// How long the host's pause still runs.
    fn pause_left(&self, host: &str) -> Option<Duration> {
        let until = self.lock().get(host)?.paused_until?;
        until.checked_duration_since(Instant::now())
    }

    /// Counts a finished request (after its retries); opens the breaker at the threshold.
    fn record<T>(&self, url: &str, result: Result<T, SourceError>) -> Result<T, SourceError> {
        let host = host_of(url);
        let mut hosts = self.lock();
        match result {
            Ok(value) => {
                // The host answers: it is up (a pause it asked for still runs).
                if let Some(state) = hosts.get_mut(&host) {
                    state.failures = 0;
                    state.open_until = None;
                }
                Ok(value)
            }
            // Only outages count: no connection, timeouts, error statuses, gateway pages. A
            // host that answers with garbage is up; its answers fail on their own.
            Err(
                error @ (SourceError::Network { .. }
                | SourceError::Html { .. }
                | SourceError::Status { .. }),
            ) if error.is_retryable() => {
                let state = hosts.entry(host.clone()).or_default();
                if state.is_open() {
                    // In flight when another request opened the breaker: counted there, and
                    // announced once.
                    return Err(SourceError::Unreachable {
                        host,
                        detail: error.to_string(),
                    });
                }
                state.failures += 1;
                state.last_error = error.to_string();
                // Refused connections after all retries: nothing listens, the host is down.
                let refused = matches!(&error, SourceError::Network { detail, .. } if detail == "could not connect");
                if refused || state.failures >= self.failures_to_open.max(1) {
                    state.open_until = Some(Instant::now() + self.cooldown);
                    state.failures = 0;
                    tracing::error!(
                        host = %host,
                        last_error = %state.last_error,
                        pause_secs = self.cooldown.as_secs(),
                        "source unreachable: stopped asking it for the rest of this batch; \
                         check the network, or {} if it points at a mirror or stand-in",
                        crate::config::WORLDBANK_URL_ENV
                    );
                    return Err(SourceError::Unreachable {
                        host,
                        detail: error.to_string(),
                    });
                }
                Err(error)
            }
            Err(error) => Err(error),
        }
    }
}

/// `scheme://host:port` of a URL (the breaker's key).
fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => url.to_string(),
    }
}

impl HttpClient {
    /// Builds the client from a source's settings.
    pub fn new(config: &WorldBankConfig) -> Result<Self, SourceError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout())
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .gzip(true)
            // Connections are kept alive and reused (reqwest's pool); idle ones close soon,
            // so a daemon holds none between batches.
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SourceError::Client(std::sync::Arc::new(e)))?;
        let limiter = NonZeroU32::new(config.requests_per_second)
            .map(|rate| Arc::new(RateLimiter::keyed(Quota::per_second(rate))));
        Ok(Self {
            client,
            max_attempts: config.max_attempts,
            min_delay: Duration::from_millis(config.retry_base_ms),
            max_delay: Duration::from_millis(config.retry_max_ms.max(config.retry_base_ms)),
            max_body_bytes: config.max_body_bytes,
            breaker: Breaker {
                failures_to_open: config.breaker_failures,
                cooldown: Duration::from_secs(config.breaker_cooldown_secs),
                hosts: Arc::default(),
            },
            in_flight: Arc::new(Semaphore::new(config.concurrency.max(1))),
            limiter,
        })
    }

    /// Closes every host's breaker: called when a batch starts, so a host that was down is
    /// asked again (and a job retried later does not fail without a request).
    pub fn reset_breaker(&self) {
        self.breaker.lock().clear();
    }

    /// GETs `url` and returns the body as text, retrying faults that may pass.
    pub async fn get_text(&self, url: &str) -> Result<String, SourceError> {
        self.get_parsed(url, |text| Ok(text.to_string())).await
    }

    /// GETs `url` and reads the body with `parse`, inside the retry loop: a body that
    /// `parse` finds truncated or malformed (a retryable error) is fetched again, with the
    /// same backoff as a network fault. Fails at once while the host's breaker is open.
    /// Waits for one of the client's `concurrency` slots and holds it through the retries.
    pub async fn get_parsed<T>(
        &self,
        url: &str,
        parse: impl Fn(&str) -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        self.breaker.check(&host_of(url))?;
        // The semaphore is never closed, so `acquire` cannot fail; were it closed, the
        // request would go without a slot rather than fail.
        let _slot = self.in_flight.acquire().await.ok();
        let result = self.get_retried(url, &parse).await;
        self.breaker.record(url, result)
    }

    /// Before each attempt: the host's `Retry-After` pause, its rate limit, then the breaker
    /// (which another request may have opened meanwhile).
    async fn ready(&self, host: &str) -> Result<(), SourceError> {
        if let Some(wait) = self.breaker.pause_left(host) {
            tokio::time::sleep(wait).await;
        }
        if let Some(limiter) = &self.limiter {
            limiter.until_key_ready(&host.to_string()).await;
        }
        self.breaker.check(host)
    }

    async fn get_retried<T>(
        &self,
        url: &str,
        parse: &impl Fn(&str) -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1))
            .with_jitter();
        let max_delay = self.max_delay;
        let host = host_of(url);
        let host = host.as_str();
        let mut attempt = 0u32;
        (|| {
            attempt += 1;
            let span = tracing::info_span!("upstream_request", url, attempt);
            let request = async move {
                self.ready(host).await?;
                crate::metrics::timed(async move { parse(&self.get_once(url).await?) }).await
            };
            tracing::Instrument::instrument(request, span)
        })
        .retry(backoff)
        // A breaker opened by another request ends this one's retries.
        .when(|e| e.is_retryable() && !matches!(e, SourceError::Unreachable { .. }))
        .adjust(move |err, delay| {
            // `None` means the backoff gave up; otherwise the server's wish wins, capped.
            delay.map(|d| match err {
                SourceError::Status {
                    retry_after_secs: Some(secs),
                    ..
                } => Duration::from_secs(*secs).min(max_delay),
                _ => d,
            })
        })
        .notify(|err, delay| {
            crate::metrics::record_retry();
            tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "retrying upstream request");
        })
        .await
    }

    async fn get_once(&self, url: &str) -> Result<String, SourceError> {
        let network = |e: reqwest::Error| SourceError::Network {
            url: url.to_string(),
            detail: describe(&e),
        };
        let mut response = self.client.get(url).send().await.map_err(network)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after_secs = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            if let Some(secs) = retry_after_secs {
                let wait = Duration::from_secs(secs).min(self.max_delay);
                self.breaker.pause(&host_of(url), wait);
            }
            return Err(SourceError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after_secs,
            });
        }
        let is_html = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes as u64)
        {
            return Err(self.too_large(url));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(self.too_large(url));
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        let start = text.trim_start_matches('\u{feff}').trim_start();
        if is_html || start.starts_with('<') {
            return Err(SourceError::Html {
                url: url.to_string(),
            });
        }
        Ok(text)
    }

    fn too_large(&self, url: &str) -> SourceError {
        SourceError::TooLarge {
            url: url.to_string(),
            limit: self.max_body_bytes,
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker {
            failures_to_open: 2,
            cooldown: Duration::from_secs(60),
            hosts: Arc::default(),
        }
    }

    fn outage(url: &str) -> Result<(), SourceError> {
        Err(SourceError::Status {
            url: url.into(),
            status: 503,
            retry_after_secs: None,
        })
    }

    /// Two failed requests open the breaker; one that was in flight and fails afterwards is
    /// answered "unreachable" without counting towards opening it a second time.
    #[test]
    fn failures_in_flight_after_opening_do_not_reopen_it() {
        let b = breaker();
        let url = "http://stand-in:1/v2/country/all/indicator/X";
        let host = host_of(url);
        assert!(matches!(
            b.record(url, outage(url)),
            Err(SourceError::Status { .. })
        ));
        assert!(matches!(
            b.record(url, outage(url)),
            Err(SourceError::Unreachable { .. })
        ));
        assert!(b.check(&host).is_err());
        assert!(matches!(
            b.record(url, outage(url)),
            Err(SourceError::Unreachable { .. })
        ));
        assert_eq!(
            b.lock()[&host].failures,
            0,
            "not counted towards a second opening"
        );
        b.record(url, Ok(())).unwrap();
        assert!(b.check(&host).is_ok(), "an answer closes it");
    }

    /// A `Retry-After` pause holds every request to that host, and only that host.
    #[test]
    fn a_pause_holds_its_host_only() {
        let b = breaker();
        b.pause("http://a:1", Duration::from_secs(30));
        b.pause("http://a:1", Duration::from_secs(5)); // a shorter wish does not cut it
        let left = b.pause_left("http://a:1").unwrap();
        assert!(left > Duration::from_secs(5) && left <= Duration::from_secs(30));
        assert!(b.pause_left("http://b:1").is_none());
    }
}
