//! The World Bank Indicators API v2 client: URLs, paging, and the API's answer shapes
//! (the `[meta, rows]` pair, `null` rows for no data, the error envelope sent with HTTP 200,
//! numbers that arrive as strings, a leading BOM).

use chrono::Utc;
use serde_json::Value;

use super::http::HttpClient;
use super::{Observation, Scope, Series, SeriesRequest, Source, SourceError};
use crate::claim::country::CountryInfo;
use crate::config::WorldBankConfig;

/// The source name claims use.
pub const NAME: &str = "worldbank";

/// World Bank Indicators API client.
#[derive(Debug, Clone)]
pub struct WorldBank {
    http: HttpClient,
    base_url: String,
    per_page: u32,
}

/// The paging and vintage fields of a response's first element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageMeta {
    /// This page, from 1 (0 when there is no data).
    pub page: u32,
    /// Number of pages.
    pub pages: u32,
    /// Total rows.
    pub total: u64,
    /// Data vintage (`lastupdated`).
    pub last_updated: Option<String>,
}

/// One parsed response: its meta and its rows (empty when the API sent `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Paging and vintage.
    pub meta: PageMeta,
    /// Raw rows, read by [`observation`] or [`country_info`].
    pub rows: Vec<Value>,
}

impl WorldBank {
    /// A client for the configured base URL.
    pub fn new(config: &WorldBankConfig) -> Result<Self, SourceError> {
        Ok(Self {
            http: HttpClient::new(config)?,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            per_page: config.per_page,
        })
    }

    /// The data URL of one page of a request.
    pub fn data_url(&self, request: &SeriesRequest, page: u32) -> String {
        let codes = match &request.scope {
            Scope::All => "all".to_string(),
            Scope::Countries(codes) => codes.join(";"),
        };
        let mut url = format!(
            "{}/country/{codes}/indicator/{}?format=json&per_page={}",
            self.base_url, request.indicator, self.per_page
        );
        if let Some((from, to)) = request.years {
            if from == to {
                url.push_str(&format!("&date={from}"));
            } else {
                url.push_str(&format!("&date={from}:{to}"));
            }
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }

    /// Fetches every page of `first_url` (appending `&page=N`). A page that is cut short,
    /// garbled, `null` where rows were announced, or disagrees with the first page's page
    /// count is fetched again (retryable); when the data changed between pages, the series
    /// is read again from page 1 once. Never returns partial rows.
    async fn fetch_all_pages(
        &self,
        first_url: &str,
    ) -> Result<(PageMeta, Vec<Value>), SourceError> {
        match self.fetch_pages_once(first_url).await {
            Err(SourceError::Malformed { .. }) => self.fetch_pages_once(first_url).await,
            other => other,
        }
    }

    async fn fetch_pages_once(
        &self,
        first_url: &str,
    ) -> Result<(PageMeta, Vec<Value>), SourceError> {
        let first = self
            .http
            .get_parsed(first_url, |body| {
                let page = parse_page(body, first_url)?;
                check_rows(&page, first_url, None)?;
                Ok(page)
            })
            .await?;
        let meta = first.meta.clone();
        let mut rows = first.rows;
        for page in 2..=meta.pages {
            let url = format!("{first_url}&page={page}");
            let next = self
                .http
                .get_parsed(&url, |body| {
                    let next = parse_page(body, &url)?;
                    check_rows(&next, &url, Some(&meta))?;
                    Ok(next)
                })
                .await?;
            rows.extend(next.rows);
        }
        if rows.len() as u64 != meta.total {
            return Err(SourceError::Malformed {
                url: first_url.to_string(),
                detail: format!(
                    "{} rows over {} pages, the answer announced {}",
                    rows.len(),
                    meta.pages,
                    meta.total
                ),
            });
        }
        Ok((meta, rows))
    }
}

/// Checks one page against what the first page announced, and every data row's value: a
/// number, `null`, or a string holding a finite number.
fn check_rows(page: &Page, url: &str, first: Option<&PageMeta>) -> Result<(), SourceError> {
    let malformed = |detail: String| SourceError::Malformed {
        url: url.to_string(),
        detail,
    };
    if let Some(first) = first {
        if page.meta.pages != first.pages {
            return Err(malformed(format!(
                "page {} says {} pages, the first page said {}",
                page.meta.page, page.meta.pages, first.pages
            )));
        }
    }
    if page.rows.is_empty() && page.meta.total > 0 {
        return Err(malformed(format!(
            "no rows on page {} of an answer of {} rows",
            page.meta.page.max(1),
            page.meta.total
        )));
    }
    for row in &page.rows {
        let ok = match row.get("value") {
            None | Some(Value::Null) | Some(Value::Number(_)) => true,
            Some(Value::String(s)) => s.trim().parse::<f64>().is_ok_and(f64::is_finite),
            Some(_) => false,
        };
        if !ok {
            return Err(malformed(format!(
                "value {} for {} {} is not a number",
                row["value"],
                row.get("countryiso3code")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                row.get("date").and_then(Value::as_str).unwrap_or("?")
            )));
        }
    }
    Ok(())
}

impl Source for WorldBank {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn fetch_series(&self, request: &SeriesRequest) -> Result<Series, SourceError> {
        let url = self.data_url(request, 1);
        let (meta, rows) = self.fetch_all_pages(&url).await?;
        let indicator_name = rows.iter().find_map(|row| {
            row.pointer("/indicator/value")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        let observations = rows.iter().filter_map(observation).collect();
        Ok(Series {
            source: NAME.into(),
            indicator: request.indicator.clone(),
            indicator_name,
            url,
            vintage: meta.last_updated,
            retrieved_at: Utc::now(),
            observations,
        })
    }

    fn begin_batch(&self) {
        self.http.reset_breaker();
    }

    async fn fetch_countries(&self) -> Result<Vec<CountryInfo>, SourceError> {
        let url = format!("{}/country?format=json&per_page=400", self.base_url);
        let (_, rows) = self.fetch_all_pages(&url).await?;
        let countries: Vec<CountryInfo> = rows.iter().filter_map(country_info).collect();
        if countries.is_empty() {
            return Err(SourceError::Unexpected {
                url,
                detail: "the country list is empty".into(),
            });
        }
        Ok(countries)
    }
}

/// Reads one response body by its shape: `[meta, rows]` is data, `[meta, null]` no data,
/// `[{"message": …}]` the API's error envelope; anything else is unexpected.
pub fn parse_page(body: &str, url: &str) -> Result<Page, SourceError> {
    let unexpected = |detail: String| SourceError::Unexpected {
        url: url.to_string(),
        detail,
    };
    let body = body.trim_start_matches('\u{feff}');
    // A body that is not JSON at all is a cut or garbled transfer: retryable.
    let json: Value = serde_json::from_str(body).map_err(|e| SourceError::Malformed {
        url: url.to_string(),
        detail: format!("not JSON: {e}"),
    })?;
    if let Some(error) = error_envelope(&json) {
        let text = |key: &str| {
            error
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        return Err(SourceError::Api {
            url: url.to_string(),
            code: text("id"),
            key: text("key"),
            message: text("value"),
        });
    }
    // Taken apart by value: a page of 20,000 rows is not copied.
    let (meta, rows) = match json {
        Value::Array(items) if items.len() == 2 => {
            let mut items = items.into_iter();
            (items.next(), items.next())
        }
        _ => (None, None),
    };
    let (Some(meta), Some(rows)) = (meta, rows) else {
        return Err(unexpected("expected a 2-element array [meta, rows]".into()));
    };
    let rows = match rows {
        Value::Null => Vec::new(),
        Value::Array(rows) => rows,
        other => {
            return Err(unexpected(format!(
                "rows are {other}, expected a list or null"
            )))
        }
    };
    let number = |key: &str| match meta.get(key) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let meta = PageMeta {
        page: number("page").unwrap_or(1) as u32,
        pages: number("pages").unwrap_or(1) as u32,
        total: number("total").unwrap_or(rows.len() as u64),
        last_updated: meta
            .get("lastupdated")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    Ok(Page { meta, rows })
}

/// The first message of an error envelope, if `json` is one.
fn error_envelope(json: &Value) -> Option<&Value> {
    let first = match json {
        Value::Array(items) => items.first()?,
        object @ Value::Object(_) => object,
        _ => return None,
    };
    first.get("message")?.as_array()?.first()
}

/// A data row as an observation; `None` for rows without a yearly date (quarters, months).
pub fn observation(row: &Value) -> Option<Observation> {
    let year = row.get("date")?.as_str()?.trim().parse().ok()?;
    Some(Observation {
        iso3: row
            .get("countryiso3code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        country_id: row
            .pointer("/country/id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        country_name: row
            .pointer("/country/value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        year,
        value: row.get("value").and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok().filter(|v: &f64| v.is_finite()),
            _ => None,
        }),
    })
}

/// A `/country` row as a [`CountryInfo`].
pub fn country_info(row: &Value) -> Option<CountryInfo> {
    let text = |pointer: &str| row.pointer(pointer).and_then(Value::as_str).map(str::trim);
    let region = text("/region/value").unwrap_or("").to_string();
    Some(CountryInfo {
        iso3: text("/id")?.to_string(),
        iso2: text("/iso2Code").unwrap_or("").to_string(),
        name: text("/name").unwrap_or("").to_string(),
        aggregate: text("/region/id") == Some("NA") || region == "Aggregates",
        region,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_is_an_api_error() {
        let body = r#"[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]"#;
        let err = parse_page(body, "u").unwrap_err();
        assert!(matches!(&err, SourceError::Api { code, .. } if code == "120"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn no_data_is_an_empty_page() {
        let body = r#"[{"page":0,"pages":0,"per_page":0,"total":0,"sourceid":null,"lastupdated":null},null]"#;
        let page = parse_page(body, "u").unwrap();
        assert!(page.rows.is_empty());
        assert_eq!(page.meta.pages, 0);
    }

    #[test]
    fn bom_and_string_numbers_are_read() {
        let body = "\u{feff}[{\"page\":\"1\",\"pages\":\"2\",\"per_page\":\"50\",\"total\":\"60\",\"lastupdated\":\"2025-07-01\"},[]]";
        let page = parse_page(body, "u").unwrap();
        assert_eq!(page.meta.pages, 2);
        assert_eq!(page.meta.last_updated.as_deref(), Some("2025-07-01"));
    }

    #[test]
    fn other_shapes_are_unexpected() {
        for body in ["{}", "[1,2,3]", r#"[{"page":1}, 5]"#] {
            assert!(
                matches!(parse_page(body, "u"), Err(SourceError::Unexpected { .. })),
                "{body}"
            );
        }
    }

    #[test]
    fn a_cut_body_is_malformed_and_retryable() {
        for body in [
            "not json",
            r#"[{"page":1,"pages":1,"total":2},[{"date":"2015","val"#,
        ] {
            let err = parse_page(body, "u").unwrap_err();
            assert!(matches!(err, SourceError::Malformed { .. }), "{body}");
            assert!(err.is_retryable());
        }
    }

    #[test]
    fn rows_with_quarters_and_nulls() {
        let row: Value = serde_json::json!({"country":{"id":"XC","value":"Euro area"},"countryiso3code":"EMU","date":"2025","value":null});
        assert_eq!(observation(&row).unwrap().value, None);
        let quarter: Value =
            serde_json::json!({"countryiso3code":"SLV","date":"2026Q1","value":1.0});
        assert!(observation(&quarter).is_none());
    }
}
