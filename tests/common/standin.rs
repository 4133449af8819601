//! A local stand-in for the World Bank Indicators API v2, built from the recorded values in
//! `tests/fixtures/worldbank/`. It answers with the API's exact shapes: `[meta, rows]` pairs,
//! paging (`per_page`, `page`), `date=Y` and `date=A:B`, `null` values for years without
//! data, aggregates in `country/all`, string numbers in `/country` metadata, the error
//! envelope with HTTP 200 for unknown codes (120) and archived indicators (175), and
//! `[{…zeros…}, null]` when nothing matches. Used by the tests and by
//! `cargo run --example worldbank_standin`.

#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

/// Indicator names the stand-in serves.
pub const HOMICIDE: &str = "VC.IHR.PSRC.P5";
/// Population.
pub const POPULATION: &str = "SP.POP.TOTL";
/// An indicator the real API reports as deleted or archived (error 175).
pub const ARCHIVED: &str = "SM.POP.REFG";

/// The fixture directory of this repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/worldbank")
}

#[derive(Clone)]
struct Indicator {
    name: &'static str,
    values: BTreeMap<(String, i32), f64>,
    years: (i32, i32),
}

/// The stand-in's data and behaviour; clone it to mount it on a `MockServer`.
#[derive(Clone)]
pub struct StandIn {
    countries: Vec<Value>,
    indicators: Arc<Mutex<HashMap<String, Indicator>>>,
    vintage: Arc<Mutex<String>>,
    bom: bool,
    delay: std::time::Duration,
}

impl StandIn {
    /// The 2025 vintage of the recorded values.
    pub fn new() -> Self {
        let countries = read_json("countries.json")[1].as_array().unwrap().clone();
        let mut indicators = HashMap::new();
        let mut homicide = BTreeMap::new();
        for file in [
            "homicide_VC.IHR.PSRC.P5_selected_2025-10-07.csv",
            "homicide_VC.IHR.PSRC.P5_all_2015_2025-10-07.csv",
        ] {
            homicide.extend(read_csv(file));
        }
        indicators.insert(
            HOMICIDE.to_string(),
            indicator("Intentional homicides (per 100,000 people)", homicide),
        );
        indicators.insert(
            POPULATION.to_string(),
            indicator(
                "Population, total",
                read_csv("population_SP.POP.TOTL_selected_2025-10-07.csv"),
            ),
        );
        Self {
            countries,
            indicators: Arc::new(Mutex::new(indicators)),
            vintage: Arc::new(Mutex::new("2025-07-01".into())),
            bom: false,
            delay: std::time::Duration::ZERO,
        }
    }

    /// Prefixes every body with a UTF-8 BOM, as the API has been seen to do.
    pub fn with_bom(mut self) -> Self {
        self.bom = true;
        self
    }

    /// Delays every answer (for slow-upstream tests).
    pub fn with_delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Publishes a revision: a new vintage and a changed value (shared by all clones).
    pub fn revise(&self, vintage: &str, indicator: &str, iso3: &str, year: i32, value: f64) {
        *self.vintage.lock().unwrap() = vintage.to_string();
        let mut indicators = self.indicators.lock().unwrap();
        let entry = indicators.get_mut(indicator).expect("known indicator");
        entry.values.insert((iso3.to_string(), year), value);
    }

    fn meta(&self, page: usize, pages: usize, per_page: usize, total: usize) -> Value {
        json!({"page": page, "pages": pages, "per_page": per_page, "total": total,
               "sourceid": "2", "lastupdated": *self.vintage.lock().unwrap()})
    }

    fn answer(&self, body: Value) -> ResponseTemplate {
        let mut text = body.to_string();
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        ResponseTemplate::new(200)
            .set_body_raw(text, "application/json;charset=utf-8")
            .set_delay(self.delay)
    }

    fn error(&self, id: &str, key: &str, value: &str) -> ResponseTemplate {
        self.answer(json!([{"message": [{"id": id, "key": key, "value": value}]}]))
    }

    fn invalid(&self) -> ResponseTemplate {
        self.error(
            "120",
            "Invalid value",
            "The provided parameter value is not valid",
        )
    }

    fn country_list(&self, query: &HashMap<String, String>) -> ResponseTemplate {
        let per_page = number(query, "per_page", 50);
        let page = number(query, "page", 1);
        let total = self.countries.len();
        let pages = total.div_ceil(per_page);
        let rows: Vec<Value> = self
            .countries
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .cloned()
            .collect();
        // The metadata endpoints send their numbers as strings.
        self.answer(
            json!([{"page": page.to_string(), "pages": pages.to_string(),
            "per_page": per_page.to_string(), "total": total.to_string()}, rows]),
        )
    }

    fn data(
        &self,
        codes: &str,
        indicator_id: &str,
        query: &HashMap<String, String>,
    ) -> ResponseTemplate {
        if indicator_id.eq_ignore_ascii_case(ARCHIVED) {
            return self.error(
                "175",
                "Invalid format",
                "The indicator was not found. It may have been deleted or archived.",
            );
        }
        let indicators = self.indicators.lock().unwrap();
        let Some(indicator) = indicators.get(indicator_id) else {
            return self.invalid();
        };
        let selected: Vec<&Value> = if codes.eq_ignore_ascii_case("all") {
            self.countries.iter().collect()
        } else {
            let mut selected = Vec::new();
            for code in codes.split(';') {
                let found = self.countries.iter().find(|c| {
                    c["id"]
                        .as_str()
                        .is_some_and(|id| id.eq_ignore_ascii_case(code))
                        || c["iso2Code"]
                            .as_str()
                            .is_some_and(|id| id.eq_ignore_ascii_case(code))
                });
                match found {
                    Some(c) => selected.push(c),
                    None => return self.invalid(),
                }
            }
            selected
        };
        let (mut from, mut to) = indicator.years;
        if let Some(date) = query.get("date") {
            let parsed = match date.split_once(':') {
                Some((a, b)) => a.parse().ok().zip(b.parse().ok()),
                None => date.parse().ok().map(|y| (y, y)),
            };
            let Some((a, b)) = parsed else {
                return self.invalid();
            };
            from = from.max(a);
            to = to.min(b);
        }
        let mut rows = Vec::new();
        for country in selected {
            let iso3 = country["id"].as_str().unwrap();
            for year in (from..=to).rev() {
                let value = indicator.values.get(&(iso3.to_string(), year));
                rows.push(json!({
                    "indicator": {"id": indicator_id, "value": indicator.name},
                    "country": {"id": country["iso2Code"], "value": country["name"]},
                    "countryiso3code": iso3, "date": year.to_string(), "value": value,
                    "unit": "", "obs_status": "", "decimal": 1,
                }));
            }
        }
        if rows.is_empty() {
            return self.answer(json!([{"page": 0, "pages": 0, "per_page": 0, "total": 0,
                "sourceid": null, "lastupdated": null}, null]));
        }
        let per_page = number(query, "per_page", 50);
        let page = number(query, "page", 1);
        let pages = rows.len().div_ceil(per_page);
        let total = rows.len();
        let rows: Vec<Value> = rows
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        self.answer(json!([self.meta(page, pages, per_page, total), rows]))
    }
}

impl Default for StandIn {
    fn default() -> Self {
        Self::new()
    }
}

impl Respond for StandIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        if query.get("format").map(String::as_str) != Some("json") {
            // Without format=json the real API answers XML.
            return ResponseTemplate::new(200)
                .set_body_raw("<?xml version=\"1.0\"?><wb:data/>", "application/xml");
        }
        let segments: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
        match segments.as_slice() {
            ["v2", "country"] => self.country_list(&query),
            ["v2", "country", codes, "indicator", id] => self.data(codes, id, &query),
            _ => ResponseTemplate::new(404)
                .set_body_raw("<html><body>Not found</body></html>", "text/html"),
        }
    }
}

fn indicator(name: &'static str, values: BTreeMap<(String, i32), f64>) -> Indicator {
    let years = values.keys().map(|(_, y)| *y);
    let range = (years.clone().min().unwrap(), years.max().unwrap());
    Indicator {
        name,
        values,
        years: range,
    }
}

fn number(query: &HashMap<String, String>, key: &str, default: usize) -> usize {
    query
        .get(key)
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Reads a JSON fixture.
pub fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Reads a recorded CSV (`iso3,country,year,value,source`) into (iso3, year) → value.
fn read_csv(name: &str) -> BTreeMap<(String, i32), f64> {
    let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            // The country column may be quoted and hold a comma ("Bahamas, The").
            let (iso3, rest) = line.split_once(',')?;
            let mut tail = rest.rsplitn(3, ',');
            let _source = tail.next()?;
            let value: f64 = tail.next()?.parse().ok()?;
            let year: i32 = tail.next()?.rsplit(',').next()?.parse().ok()?;
            Some(((iso3.to_string(), year), value))
        })
        .collect()
}

/// `count` homicide-rate claims ("above 5", one per economy and year, newest years first)
/// as API JSON bodies, ids starting with `prefix`: load for the crash suite and the watchdog.
pub fn many_claims(prefix: &str, count: usize, first_year: i32) -> Vec<serde_json::Value> {
    let countries = read_json("countries.json");
    let economies: Vec<String> = countries[1]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["region"]["id"] != "NA")
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    let mut out = Vec::new();
    'years: for year in (first_year..=2015).rev() {
        for iso3 in &economies {
            if out.len() == count {
                break 'years;
            }
            out.push(serde_json::json!({
                "id": format!("{prefix}-{}-{year}", iso3.to_lowercase()),
                "text": format!("{iso3} homicide rate above 5 in {year}"),
                "indicator": HOMICIDE,
                "country": iso3,
                "year": year,
                "value": 5,
                "relation": "gt",
            }));
        }
    }
    out
}
