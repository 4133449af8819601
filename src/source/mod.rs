//! Data sources: the [`Source`] trait, the [`Series`] it returns, and its errors.
//!
//! A source answers [`SeriesRequest`]s (one indicator, some countries or all, a year range)
//! and lists the countries it knows. The World Bank client is [`worldbank::WorldBank`]; a
//! second provider is a new module implementing the same trait.

pub mod http;
pub mod links;
pub mod owid;
pub mod routed;
pub mod worldbank;

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::claim::country::CountryInfo;

/// Which countries a request covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// These ISO3 codes.
    Countries(Vec<String>),
    /// Every economy and aggregate (`country/all`).
    All,
}

/// One series to fetch: an indicator for a scope and an optional year range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesRequest {
    /// Indicator code.
    pub indicator: String,
    /// Countries.
    pub scope: Scope,
    /// Inclusive year range; `None` asks for every year.
    pub years: Option<(i32, i32)>,
}

/// One data point; `value` is `None` where the source lists the year without data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// ISO3 code (empty when the source gives none; see `country_id`).
    pub iso3: String,
    /// The source's own country code (World Bank: 2-letter `country.id`).
    #[serde(default)]
    pub country_id: String,
    /// Country or aggregate name as the source spells it.
    pub country_name: String,
    /// Year.
    pub year: i32,
    /// The value, if any.
    pub value: Option<f64>,
}

/// What a source returned for one request, with what a verdict must cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Source name (`worldbank`).
    pub source: String,
    /// Indicator code.
    pub indicator: String,
    /// Indicator name as the source gives it.
    pub indicator_name: Option<String>,
    /// The request URL (first page).
    pub url: String,
    /// Data vintage (`lastupdated`).
    pub vintage: Option<String>,
    /// When the data was retrieved.
    pub retrieved_at: DateTime<Utc>,
    /// Rows, in source order.
    pub observations: Vec<Observation>,
}

impl Series {
    /// The value for a country and year, if the source has one.
    pub fn value(&self, iso3: &str, year: i32) -> Option<f64> {
        self.observations
            .iter()
            .find(|o| o.year == year && o.iso3 == iso3)
            .and_then(|o| o.value)
    }

    /// Years with a value for a country, ascending.
    pub fn values_for(&self, iso3: &str) -> Vec<(i32, f64)> {
        let mut values: Vec<(i32, f64)> = self
            .observations
            .iter()
            .filter(|o| o.iso3 == iso3)
            .filter_map(|o| o.value.map(|v| (o.year, v)))
            .collect();
        values.sort_by_key(|(year, _)| *year);
        values
    }

    /// The source's name for a country in this series.
    pub fn country_name(&self, iso3: &str) -> Option<&str> {
        self.observations
            .iter()
            .find(|o| o.iso3 == iso3)
            .map(|o| o.country_name.as_str())
    }
}

/// Why a fetch failed; says whether trying again can help.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// The API answered with its error envelope (unknown indicator or country, bad parameter).
    #[error("the World Bank API rejected {url}: error {code} {key}: {message}")]
    Api {
        /// Request URL.
        url: String,
        /// API error id ("120", "175").
        code: String,
        /// API error key ("Invalid value").
        key: String,
        /// API error text.
        message: String,
    },
    /// A non-success HTTP status.
    #[error("HTTP {status} from {url}{}", retry_note(*.retry_after_secs))]
    Status {
        /// Request URL.
        url: String,
        /// Status code.
        status: u16,
        /// Seconds the server asked to wait, if it said.
        retry_after_secs: Option<u64>,
    },
    /// A connection problem or timeout.
    #[error("network error for {url}: {detail}")]
    Network {
        /// Request URL.
        url: String,
        /// What happened.
        detail: String,
    },
    /// An HTML page (gateway or throttling page) instead of JSON.
    #[error("{url} answered with an HTML page instead of JSON (gateway or throttling page)")]
    Html {
        /// Request URL.
        url: String,
    },
    /// A body cut short or not JSON (a truncated or garbled transfer); fetched again.
    #[error("incomplete or malformed answer from {url}: {detail}")]
    Malformed {
        /// Request URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The host failed several requests in a row and is left alone for a while.
    #[error("source unreachable, retry later: {host} is not answering ({detail})")]
    Unreachable {
        /// `scheme://host:port`.
        host: String,
        /// The last failure.
        detail: String,
    },
    /// JSON of a shape the API does not document.
    #[error("unexpected answer from {url}: {detail}")]
    Unexpected {
        /// Request URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The body was larger than `max_body_bytes`.
    #[error("response from {url} exceeds {limit} bytes")]
    TooLarge {
        /// Request URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client: {0}")]
    Client(#[source] std::sync::Arc<reqwest::Error>),
}

fn retry_note(secs: Option<u64>) -> String {
    secs.map(|s| format!(" (Retry-After {s}s)"))
        .unwrap_or_default()
}

impl SourceError {
    /// True for faults that may pass: network, timeouts, 429, 5xx, 400 (the API's burst
    /// throttling), HTML gateway pages, truncated or malformed bodies, an unreachable host.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Network { .. }
            | Self::Html { .. }
            | Self::Malformed { .. }
            | Self::Unreachable { .. } => true,
            Self::Status { status, .. } => matches!(status, 400 | 408 | 429 | 500..=599),
            Self::Api { .. }
            | Self::Unexpected { .. }
            | Self::TooLarge { .. }
            | Self::Client(_) => false,
        }
    }
}

/// A provider of statistical series.
pub trait Source: Send + Sync {
    /// The name claims use in `source = "…"`.
    fn name(&self) -> &'static str;

    /// Fetches one series (all pages).
    fn fetch_series(
        &self,
        request: &SeriesRequest,
    ) -> impl Future<Output = Result<Series, SourceError>> + Send;

    /// Lists the countries and aggregates the source knows.
    fn fetch_countries(&self)
        -> impl Future<Output = Result<Vec<CountryInfo>, SourceError>> + Send;

    /// A new batch starts: a host found down during the last batch is asked again.
    fn begin_batch(&self) {}
}
