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
    let Some(bytes) = store.meta(key)? else {
        return Ok(None);
    };
    match leading_fetched_at(&bytes) {
        Some(at) => Ok(Some(at)),
        None => Ok(Some(store::decode::<At>("meta", key, &bytes)?.fetched_at)),
    }
}

/// The fetch time at the head of an entry as [`put`] writes it (`fetched_at` is the first
/// field), read without scanning the series after it: a re-check reads it for every series
/// it judged, and a series of every economy is hundreds of kilobytes of JSON. `None` for
/// anything else, which is then decoded in full.
fn leading_fetched_at(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let rest = bytes.strip_prefix(br#"{"fetched_at":""#)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let text = std::str::from_utf8(&rest[..end]).ok()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(at: DateTime<Utc>) -> Vec<u8> {
        let series = Series {
            source: "worldbank".into(),
            indicator: "SP.POP.TOTL".into(),
            indicator_name: None,
            url: "http://127.0.0.1/v2/x".into(),
            vintage: Some("2025-07-01".into()),
            retrieved_at: at,
            observations: Vec::new(),
        };
        store::encode(&CachedSeries {
            fetched_at: at,
            series,
        })
    }

    #[test]
    fn the_leading_fetch_time_is_the_one_a_full_decode_reads() {
        let whole = Utc.with_ymd_and_hms(2026, 12, 6, 19, 27, 35).unwrap();
        let fraction = whole + chrono::Duration::nanoseconds(123_456_789);
        for at in [whole, fraction] {
            let bytes = entry(at);
            let full: CachedSeries = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(leading_fetched_at(&bytes), Some(full.fetched_at));
        }
    }

    #[test]
    fn an_entry_in_another_shape_is_left_to_the_full_decode() {
        let other = br#"{"series":{},"fetched_at":"2026-12-06T19:27:35Z"}"#;
        assert_eq!(leading_fetched_at(other), None);
        assert_eq!(leading_fetched_at(br#"{"fetched_at":"yesterday"}"#), None);
        assert_eq!(leading_fetched_at(b""), None);
    }
}
