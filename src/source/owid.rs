//! Our World in Data as a source: a chart's grapher CSV (`/grapher/{slug}.csv`) for the
//! values and its `.metadata.json` for the name, unit and data vintage.
//!
//! The files change between editions, so they are read by position and type, never by an
//! exact header: `Entity,Code,Year,<value>[,<more columns>]`, where the value header may be the
//! column's title, short title or short name; extra columns (a region, a `time` column that
//! may appear twice) follow it. `Code` is ISO3, `OWID_WRL` for the world, `OWID_KOS` for
//! Kosovo, other `OWID_*` codes for OWID's own groups, and empty for aggregates such as
//! "High-income countries"; a "map" download leaves `Code` and `Year` empty and puts the year
//! in the last `time` column. Years can be negative. The vintage is the value column's
//! `lastUpdated`, not the download date. The country list comes from the World Bank client,
//! so economies, aggregates and regions mean the same for both sources.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::HttpClient;
use super::worldbank::WorldBank;
use super::{Observation, Series, SeriesRequest, Source, SourceError};
use crate::claim::country::{Countries, CountryInfo};
use crate::config::WorldBankConfig;

/// The name claims use in `source = "…"`.
pub const NAME: &str = "owid";

/// Settings of the Our World in Data client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OwidConfig {
    /// Site root; the client asks `{base_url}/grapher/{slug}.csv` and `.metadata.json`.
    pub base_url: String,
}

impl Default for OwidConfig {
    fn default() -> Self {
        Self {
            base_url: "https://ourworldindata.org".into(),
        }
    }
}

/// True for a chart slug ("homicide-rate-unodc"): lowercase letters, digits and single
/// hyphens. World Bank codes have capitals or dots, so the two never mix.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 120
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The human chart page for a country ("…/grapher/homicide-rate-unodc?country=~SLV").
pub fn chart_page(slug: &str, iso3: Option<&str>) -> String {
    let mut url = format!("https://ourworldindata.org/grapher/{slug}");
    if let Some(iso3) = iso3 {
        url.push_str(&format!("?country=~{iso3}"));
    }
    url
}

/// The Our World in Data grapher client.
#[derive(Debug, Clone)]
pub struct Owid {
    http: HttpClient,
    base_url: String,
    countries: WorldBank,
}

impl Owid {
    /// A client for `[owid] base_url`, with the World Bank client's timeouts and retries and
    /// its country list.
    pub fn new(owid: &OwidConfig, worldbank: &WorldBankConfig) -> Result<Self, SourceError> {
        Ok(Self {
            http: HttpClient::new(worldbank)?,
            base_url: owid.base_url.trim_end_matches('/').to_string(),
            countries: WorldBank::new(worldbank)?,
        })
    }

    /// The CSV URL of a chart (every country and year, column titles as headers).
    pub fn csv_url(&self, slug: &str) -> String {
        format!(
            "{}/grapher/{slug}.csv?v=1&csvType=full&useColumnShortNames=false",
            self.base_url
        )
    }

    /// The metadata URL of a chart.
    pub fn metadata_url(&self, slug: &str) -> String {
        format!(
            "{}/grapher/{slug}.metadata.json?v=1&csvType=full&useColumnShortNames=false",
            self.base_url
        )
    }
}

impl Source for Owid {
    fn name(&self) -> &'static str {
        NAME
    }

    fn begin_batch(&self) {
        self.http.reset_breaker();
    }

    async fn fetch_series(&self, request: &SeriesRequest) -> Result<Series, SourceError> {
        let slug = &request.indicator;
        if !is_slug(slug) {
            return Err(SourceError::Unexpected {
                url: self.base_url.clone(),
                detail: format!("{slug:?} is not an Our World in Data chart slug"),
            });
        }
        let url = self.csv_url(slug);
        let body = self
            .http
            .get_text(&url)
            .await
            .map_err(|e| no_chart(e, slug))?;
        let table = parse_csv(&body, &url)?;
        let meta_url = self.metadata_url(slug);
        let meta = parse_metadata(
            &self.http.get_text(&meta_url).await?,
            &meta_url,
            &table.header,
        )?;
        Ok(Series {
            source: NAME.into(),
            indicator: slug.clone(),
            indicator_name: Some(meta.name),
            url,
            vintage: meta.last_updated,
            retrieved_at: Utc::now(),
            observations: table.observations,
        })
    }

    async fn fetch_countries(&self) -> Result<Vec<CountryInfo>, SourceError> {
        self.countries.fetch_countries().await
    }
}

/// A 404 for a chart is a slug the site does not have: say so, and what to check.
fn no_chart(error: SourceError, slug: &str) -> SourceError {
    match error {
        SourceError::Status { url, status: 404, .. } => SourceError::Unexpected {
            url,
            detail: format!(
                "Our World in Data has no chart {slug:?} (HTTP 404): check `indicator`, the end of the chart's address (ourworldindata.org/grapher/homicide-rate-unodc)"
            ),
        },
        other => other,
    }
}

/// A parsed grapher CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The value column's header as this edition writes it.
    pub header: String,
    /// One observation per row with a year.
    pub observations: Vec<Observation>,
}

/// Reads a grapher CSV: value in the fourth column, whatever its header; rows without a
/// year are skipped; an empty or non-numeric value is "no data".
pub fn parse_csv(body: &str, url: &str) -> Result<Table, SourceError> {
    let unexpected = |detail: String| SourceError::Unexpected {
        url: url.to_string(),
        detail,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| unexpected(format!("not a CSV: {e}")))?
        .clone();
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    if names.len() < 4 || !names[0].eq_ignore_ascii_case("entity") {
        return Err(unexpected(format!(
            "expected the header Entity,Code,Year,<value>, got {:?}",
            names.join(",")
        )));
    }
    let time_columns: Vec<usize> = (4..names.len())
        .filter(|&i| names[i].eq_ignore_ascii_case("time"))
        .collect();
    let countries = Countries::embedded();
    let mut observations = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unexpected(format!("bad CSV row: {e}")))?;
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let year = match field(2) {
            "" => time_columns
                .iter()
                .rev()
                .map(|&i| field(i))
                .find(|t| !t.is_empty()),
            year => Some(year),
        };
        let Some(year) = year.and_then(|y| y.parse::<i32>().ok()) else {
            continue;
        };
        let entity = field(0);
        observations.push(Observation {
            iso3: iso3_of(field(1), entity, &countries),
            country_id: field(1).to_string(),
            country_name: entity.to_string(),
            year,
            value: field(3).parse::<f64>().ok().filter(|v| v.is_finite()),
        });
    }
    Ok(Table {
        header: names[3].to_string(),
        observations,
    })
}

/// The ISO3 of a row: its code, OWID's world and Kosovo codes mapped to the World Bank's;
/// a row without a code gets one only when its name is an economy (a "map" download drops
/// codes), so unnamed aggregates ("High-income countries") stay out of ranks.
fn iso3_of(code: &str, entity: &str, countries: &Countries) -> String {
    match code {
        "OWID_WRL" => "WLD".into(),
        "OWID_KOS" => "XKX".into(),
        "" => countries
            .resolve(entity)
            .ok()
            .filter(|iso3| countries.is_economy(iso3))
            .map(str::to_string)
            .unwrap_or_default(),
        code => code.to_string(),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).map(str::trim)
}

/// What the metadata says about the value column.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Chart title, with the unit when the metadata gives one.
    pub name: String,
    /// The value column's `lastUpdated`.
    pub last_updated: Option<String>,
}

/// Reads `.metadata.json`: the value column is the one whose key, short title, long title
/// or short name is the CSV's header; failing that, the first numeric column.
pub fn parse_metadata(body: &str, url: &str, header: &str) -> Result<Metadata, SourceError> {
    let json: Value = serde_json::from_str(body.trim_start_matches('\u{feff}')).map_err(|e| {
        SourceError::Unexpected {
            url: url.to_string(),
            detail: format!("metadata is not JSON: {e}"),
        }
    })?;
    let Some(columns) = json.get("columns").and_then(Value::as_object) else {
        return Err(SourceError::Unexpected {
            url: url.to_string(),
            detail: "metadata has no `columns`".into(),
        });
    };
    let named = columns.iter().find(|(key, column)| {
        key.trim() == header
            || ["titleShort", "titleLong", "shortName"]
                .iter()
                .any(|k| text(column, k) == Some(header))
    });
    let numeric = || {
        columns
            .iter()
            .find(|(_, c)| text(c, "type").is_some_and(|t| t.eq_ignore_ascii_case("numeric")))
    };
    let (key, column) = named
        .or_else(numeric)
        .or_else(|| columns.iter().next())
        .ok_or_else(|| SourceError::Unexpected {
            url: url.to_string(),
            detail: "metadata lists no column".into(),
        })?;
    let title = json
        .pointer("/chart/title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(key.as_str());
    let name = match text(column, "unit").filter(|u| !u.is_empty()) {
        Some(unit) => format!("{title} ({unit})"),
        None => title.to_string(),
    };
    Ok(Metadata {
        name,
        last_updated: text(column, "lastUpdated").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_names_the_owid_defaults() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/claimcheck.toml");
        let config = crate::config::Config::from_file(&path).unwrap();
        assert_eq!(config.owid, OwidConfig::default());
        assert!(!config.corroborate);
    }

    #[test]
    fn slugs_and_world_bank_codes_never_mix() {
        assert!(is_slug("homicide-rate-unodc"));
        assert!(is_slug("population"));
        assert!(!is_slug("VC.IHR.PSRC.P5"));
        assert!(!is_slug("../etc"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug(""));
    }

    #[test]
    fn extra_columns_negative_years_and_owid_codes() {
        let csv = "Entity,Code,Year,GDP per capita,World region according to OWID\n\
                   Afghanistan,AFG,-10000,14737,Asia\n\
                   World,OWID_WRL,2020,17000.5,\n\
                   Kosovo,OWID_KOS,2020,11000,Europe\n\
                   High-income countries,,2020,50000,\n\
                   Chile,CHL,2021,,South America\n";
        let t = parse_csv(csv, "u").unwrap();
        assert_eq!(t.header, "GDP per capita");
        let codes: Vec<(&str, i32, Option<f64>)> = t
            .observations
            .iter()
            .map(|o| (o.iso3.as_str(), o.year, o.value))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("AFG", -10000, Some(14737.0)),
                ("WLD", 2020, Some(17000.5)),
                ("XKX", 2020, Some(11000.0)),
                ("", 2020, Some(50000.0)),
                ("CHL", 2021, None),
            ]
        );
    }

    #[test]
    fn a_map_download_takes_the_year_from_the_last_time_column() {
        let csv = "Entity,Code,Year,\"Homicide rate per 100,000 population - sex: Total - age: Total\",World regions according to OWID,time,time\n\
                   Afghanistan,,,4.0324583,,,2021\n\
                   Albania,ALB,2024,1.7551677,Europe,2023,2024\n";
        let t = parse_csv(csv, "u").unwrap();
        assert_eq!(t.observations[0].iso3, "AFG");
        assert_eq!(t.observations[0].year, 2021);
        assert_eq!(t.observations[1].year, 2024);
    }

    #[test]
    fn other_shapes_are_unexpected() {
        assert!(parse_csv("<html>", "u").is_err());
        assert!(parse_csv("a,b\n1,2\n", "u").is_err());
        assert!(parse_metadata("{}", "u", "x").is_err());
        assert!(parse_metadata("not json", "u", "x").is_err());
    }

    #[test]
    fn metadata_column_by_short_title_or_first_numeric() {
        let meta = r#"{"chart":{"title":"Life expectancy"},"columns":{
            "World regions according to OWID":{"type":"Continent","lastUpdated":"2023-01-01","unit":""},
            "Period life expectancy at birth":{"titleShort":"Life expectancy","type":"Numeric","unit":"years","lastUpdated":"2025-10-22"}}}"#;
        let m = parse_metadata(meta, "u", "Life expectancy").unwrap();
        assert_eq!(m.last_updated.as_deref(), Some("2025-10-22"));
        assert_eq!(m.name, "Life expectancy (years)");
        let m = parse_metadata(meta, "u", "a header no edition used").unwrap();
        assert_eq!(
            m.last_updated.as_deref(),
            Some("2025-10-22"),
            "first numeric column"
        );
    }
}
