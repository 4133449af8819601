//! The bench's World Bank stand-in: `indicators` × `economies` × `years` of generated values
//! (deterministic, no fixtures), served in the API's shapes (`/v2/country`, and
//! `/v2/country/{codes}/indicator/{id}` with `per_page`, `page` and `date`), each answer after
//! a configurable latency. It counts the data and country-list requests it answers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const COUNTRIES_TSV: &str = include_str!("../../config/countries.tsv");

/// The data vintage every answer names.
pub const VINTAGE: &str = "2025-07-01";

/// One economy: ISO3, ISO2, name, region code.
#[derive(Debug, Clone)]
pub struct Economy {
    pub iso3: String,
    pub iso2: String,
    pub name: String,
    region: String,
}

/// What the stand-in serves.
#[derive(Debug, Clone)]
pub struct Data {
    pub indicators: Vec<String>,
    pub economies: Vec<Economy>,
    /// First and last year (inclusive).
    pub years: (i32, i32),
}

impl Data {
    /// `indicators` codes, the first `economies` economies of the embedded country table,
    /// `years` years ending in 2024; `Err` when the table has fewer economies.
    pub fn generate(indicators: usize, economies: usize, years: usize) -> Result<Self, String> {
        let all: Vec<Economy> = COUNTRIES_TSV
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(economy)
            .collect();
        if all.len() < economies {
            return Err(format!(
                "--economies {economies}: the country table has {} economies",
                all.len()
            ));
        }
        let years = years.max(1) as i32;
        Ok(Self {
            indicators: (0..indicators)
                .map(|i| format!("BENCH.IND.{i:02}"))
                .collect(),
            economies: all.into_iter().take(economies).collect(),
            years: (2024 - years + 1, 2024),
        })
    }

    /// The value of indicator `i` for economy `e` in `year`: a fixed function, so every run
    /// and every request sees the same data.
    pub fn value(&self, i: usize, e: usize, year: i32) -> f64 {
        let mix = (i as u64 * 7919 + e as u64 * 104_729 + year as u64 * 31_337) % 100_000;
        10.0 + mix as f64 / 100.0
    }
}

/// A row of the country table that is an economy with a 2-letter code.
fn economy(line: &str) -> Option<Economy> {
    let cols: Vec<&str> = line.split('\t').collect();
    let (iso3, iso2, name, region) = (cols.first()?, cols.get(1)?, cols.get(2)?, cols.get(4)?);
    (!iso2.is_empty() && !region.is_empty()).then(|| Economy {
        iso3: iso3.to_string(),
        iso2: iso2.to_string(),
        name: name.to_string(),
        region: region.to_string(),
    })
}

/// Requests answered, by kind.
#[derive(Debug, Default)]
pub struct Counts {
    pub data: AtomicUsize,
    pub countries: AtomicUsize,
}

/// The stand-in: its data, its latency (changeable while it runs), its counters, and the
/// answers already built (a body is built once per URL).
#[derive(Clone)]
pub struct StandIn {
    data: Arc<Data>,
    latency_ms: Arc<AtomicU64>,
    pub counts: Arc<Counts>,
    bodies: Arc<Mutex<HashMap<String, Arc<String>>>>,
}

impl StandIn {
    /// Starts a server answering after `latency`.
    pub async fn start(data: Data, latency: Duration) -> (MockServer, Self) {
        let standin = Self {
            data: Arc::new(data),
            latency_ms: Arc::new(AtomicU64::new(latency.as_millis() as u64)),
            counts: Arc::default(),
            bodies: Arc::default(),
        };
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("GET"))
            .respond_with(standin.clone())
            .mount(&server)
            .await;
        (server, standin)
    }

    /// Changes the latency of later answers.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::Relaxed);
    }

    /// Data requests answered so far.
    pub fn data_requests(&self) -> usize {
        self.counts.data.load(Ordering::Relaxed)
    }

    /// All requests answered so far (data and country list).
    pub fn requests(&self) -> usize {
        self.data_requests() + self.counts.countries.load(Ordering::Relaxed)
    }

    fn body(&self, request: &Request) -> Option<Arc<String>> {
        let key = request.url.to_string();
        if let Some(body) = self.bodies.lock().unwrap().get(&key) {
            return Some(body.clone());
        }
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let segments: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
        let body = match segments.as_slice() {
            ["v2", "country"] => self.country_list(),
            ["v2", "country", codes, "indicator", id] => self.series(codes, id, &query)?,
            _ => return None,
        };
        let body = Arc::new(body.to_string());
        self.bodies.lock().unwrap().insert(key, body.clone());
        Some(body)
    }

    fn country_list(&self) -> Value {
        let rows: Vec<Value> = self
            .data
            .economies
            .iter()
            .map(|e| {
                json!({"id": e.iso3, "iso2Code": e.iso2, "name": e.name,
                       "region": {"id": e.region, "iso2code": "", "value": e.region}})
            })
            .collect();
        let total = rows.len().to_string();
        json!([{"page": "1", "pages": "1", "per_page": total, "total": total}, rows])
    }

    fn series(&self, codes: &str, id: &str, query: &HashMap<String, String>) -> Option<Value> {
        let data = &self.data;
        let i = data.indicators.iter().position(|x| x == id)?;
        let wanted: Vec<&str> = codes.split(';').collect();
        let (from, to) = years(query.get("date"), data.years)?;
        let mut rows = Vec::new();
        for (e, economy) in data.economies.iter().enumerate() {
            if codes != "all" && !wanted.iter().any(|c| c.eq_ignore_ascii_case(&economy.iso3)) {
                continue;
            }
            for year in (from..=to).rev() {
                rows.push(json!({
                    "indicator": {"id": id, "value": format!("Bench indicator {i}")},
                    "country": {"id": economy.iso2, "value": economy.name},
                    "countryiso3code": economy.iso3, "date": year.to_string(),
                    "value": data.value(i, e, year), "unit": "", "obs_status": "", "decimal": 1,
                }));
            }
        }
        Some(page(rows, query))
    }
}

/// The year range a `date` parameter asks for, within the data's.
fn years(date: Option<&String>, (first, last): (i32, i32)) -> Option<(i32, i32)> {
    let Some(date) = date else {
        return Some((first, last));
    };
    let (a, b) = match date.split_once(':') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let y = date.parse().ok()?;
            (y, y)
        }
    };
    Some((first.max(a), last.min(b)))
}

/// One page of `rows` as `[meta, rows]`.
fn page(rows: Vec<Value>, query: &HashMap<String, String>) -> Value {
    let number = |key: &str, default: usize| {
        query
            .get(key)
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default)
    };
    let (per_page, page) = (number("per_page", 50), number("page", 1));
    let total = rows.len();
    let pages = total.div_ceil(per_page).max(1);
    let rows: Vec<Value> = rows
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    json!([{"page": page, "pages": pages, "per_page": per_page, "total": total,
            "sourceid": "2", "lastupdated": VINTAGE}, rows])
}

impl Respond for StandIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let delay = Duration::from_millis(self.latency_ms.load(Ordering::Relaxed));
        let counter = if request.url.path().contains("/indicator/") {
            &self.counts.data
        } else {
            &self.counts.countries
        };
        counter.fetch_add(1, Ordering::Relaxed);
        match self.body(request) {
            Some(body) => ResponseTemplate::new(200)
                .set_body_raw(body.as_bytes().to_vec(), "application/json;charset=utf-8")
                .set_delay(delay),
            None => ResponseTemplate::new(404)
                .set_body_raw("<html><body>Not found</body></html>", "text/html")
                .set_delay(delay),
        }
    }
}
