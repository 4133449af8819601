//! The shared HTTP client: timeouts, gzip, a User-Agent naming the project, bounded bodies,
//! and retries with exponential backoff and jitter that honour `Retry-After`.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};

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
}

impl HttpClient {
    /// Builds the client from a source's settings.
    pub fn new(config: &WorldBankConfig) -> Result<Self, SourceError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout())
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .gzip(true)
            .build()
            .map_err(|e| SourceError::Client(e.to_string()))?;
        Ok(Self {
            client,
            max_attempts: config.max_attempts,
            min_delay: Duration::from_millis(config.retry_base_ms),
            max_delay: Duration::from_millis(config.retry_max_ms.max(config.retry_base_ms)),
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// GETs `url` and returns the body as text, retrying faults that may pass.
    pub async fn get_text(&self, url: &str) -> Result<String, SourceError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1))
            .with_jitter();
        let max_delay = self.max_delay;
        let mut attempt = 0u32;
        (|| {
            attempt += 1;
            let span = tracing::info_span!("upstream_request", url, attempt);
            tracing::Instrument::instrument(crate::metrics::timed(self.get_once(url)), span)
        })
        .retry(backoff)
        .when(SourceError::is_retryable)
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
