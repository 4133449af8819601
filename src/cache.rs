//! The response cache: every series fetched is kept in the store under its normalised
//! request, with its fetch time and data vintage. Within `[cache] ttl_hours` a re-check
//! reuses it and makes no request; after that the source is asked again, and the new
//! vintage (compared in the verdict history) says whether anything changed. `verify
//! --offline` answers from the cache alone, whatever its age.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::source::{Scope, Series, SeriesRequest};
use crate::store::{self, Storage, StoreError};

const PREFIX: &str = "cache/series/";

/// A cached series with its fetch time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedSeries {
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
    /// The series as parsed.
    pub series: Series,
}

impl CachedSeries {
    /// True while it may be used without asking the source.
    pub fn is_fresh(&self, now: DateTime<Utc>, ttl_hours: u64) -> bool {
        now - self.fetched_at < Duration::hours(ttl_hours as i64)
    }
}

/// The store key of a request: the indicator, the countries in order, the years.
pub fn key(request: &SeriesRequest) -> String {
    let scope = match &request.scope {
        Scope::All => "all".to_string(),
        Scope::Countries(codes) => {
            let mut codes = codes.clone();
            codes.sort();
            codes.join(";")
        }
    };
    let years = request
        .years
        .map_or("all".to_string(), |(a, b)| format!("{a}-{b}"));
    format!("{PREFIX}{}/{scope}/{years}", request.indicator)
}

/// The cached answer to a request, if any.
pub fn get(
    store: &dyn Storage,
    request: &SeriesRequest,
) -> Result<Option<CachedSeries>, StoreError> {
    store::meta_get(store, &key(request))
}

/// When the series cached under a [`key`] was fetched, if one is: read without building the
/// series (the rest of the entry is skipped over).
pub fn fetched_at(store: &dyn Storage, key: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    #[derive(Deserialize)]
    struct At {
        fetched_at: DateTime<Utc>,
    }
    Ok(store::meta_get::<At>(store, key)?.map(|at| at.fetched_at))
}

/// Keeps a fetched series.
pub fn put(
    store: &dyn Storage,
    request: &SeriesRequest,
    series: &Series,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let cached = CachedSeries {
        fetched_at: now,
        series: series.clone(),
    };
    store::put_meta(store, &key(request), &cached)
}

/// What the cache holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheStats {
    /// Cached series.
    pub entries: usize,
    /// Of those, still fresh.
    pub fresh: usize,
    /// Bytes stored.
    pub bytes: usize,
    /// The oldest fetch.
    pub oldest: Option<DateTime<Utc>>,
    /// The newest fetch.
    pub newest: Option<DateTime<Utc>>,
    /// The fresh-for setting, hours.
    pub ttl_hours: u64,
}

/// Counts the cache's entries.
pub fn stats(
    store: &dyn Storage,
    now: DateTime<Utc>,
    ttl_hours: u64,
) -> Result<CacheStats, StoreError> {
    let mut stats = CacheStats {
        ttl_hours,
        ..CacheStats::default()
    };
    for (key, bytes) in store.meta_scan(PREFIX)? {
        let cached: CachedSeries = store::decode("meta", &key, &bytes)?;
        stats.entries += 1;
        stats.bytes += bytes.len();
        stats.fresh += usize::from(cached.is_fresh(now, ttl_hours));
        stats.oldest = stats
            .oldest
            .min(Some(cached.fetched_at))
            .or(Some(cached.fetched_at));
        stats.newest = stats.newest.max(Some(cached.fetched_at));
    }
    Ok(stats)
}

/// Empties the cache; returns how many series it held.
pub fn clear(store: &dyn Storage) -> Result<usize, StoreError> {
    store.meta_clear(PREFIX)
}
