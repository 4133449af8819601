//! The World Bank's WDI catalogue: every series' code, official name, topic, source and
//! definition, with the unit read from the name ("(% of GDP)", "(current US$)").
//!
//! The binary embeds `config/wdi_series.tsv` (1,496 series, about 1 MB, generated from the
//! WDI bulk download by `scripts/gen-wdi-series.py`), so searching works offline;
//! `claimcheck catalogue update` refreshes a copy from `/v2/indicator?source=2` (see
//! [`fetch`]) that [`Catalogue::load`] then prefers.

use std::path::Path;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::claim::indicator::Unit;
use crate::config::WorldBankConfig;
use crate::source::http::HttpClient;
use crate::source::worldbank::parse_page;
use crate::source::SourceError;

const EMBEDDED: &str = include_str!("../config/wdi_series.tsv");

/// The header line of a catalogue file.
const HEADER: &str = "# code\tname\ttopic\tsource\tdefinition";

/// One WDI series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesInfo {
    /// Indicator code ("NY.GNP.PCAP.PP.CD").
    pub code: String,
    /// Official name ("GNI per capita, PPP (current international $)").
    pub name: String,
    /// Topic ("Economic Policy & Debt: Purchasing power parity").
    pub topic: String,
    /// Who produces the data.
    pub source: String,
    /// What the series measures.
    pub definition: String,
}

impl SeriesInfo {
    /// The unit as the name writes it: its last parenthesised part ("current US$"), if any.
    pub fn unit_label(&self) -> Option<&str> {
        unit_label(&self.name)
    }

    /// The unit family, which decides which numbers a sentence may compare with it.
    pub fn unit(&self) -> Unit {
        unit_of_name(&self.name)
    }

    /// The unit family in words, for listings.
    pub fn unit_words(&self) -> String {
        let label = self.unit_label().unwrap_or("no unit in the name");
        format!("{label} ({})", unit_family(self.unit()))
    }
}

/// The last parenthesised part of an indicator name: "GDP (current US$)" → "current US$".
pub fn unit_label(name: &str) -> Option<&str> {
    let name = name.trim_end();
    let inner = name.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    Some(inner[open + 1..].trim()).filter(|s| !s.is_empty())
}

/// The unit family of an indicator name, read from the words the World Bank uses in it.
pub fn unit_of_name(name: &str) -> Unit {
    let lower = name.to_lowercase();
    let label = unit_label(&lower).unwrap_or("");
    let per = |what: &str| label.contains(what);
    if label.contains('%') || lower.contains("(% ") || lower.contains("percent") {
        Unit::Percent
    } else if per("per sq. km") || per("per square") {
        Unit::Density
    } else if label.starts_with("per ") || per(" per 1,000") || per(" per 100") {
        // "(per 100,000 people)", "(births per 1,000 women ages 15-19)"
        Unit::Rate
    } else if per(" per ") || per("/") {
        // "(LCU per US$)", "(kg of oil equivalent per capita)": a ratio, whatever the units.
        Unit::Ratio
    } else if ["us$", "usd", "lcu", "international $", "ppp $"]
        .iter()
        .any(|c| label.contains(c))
    {
        Unit::Currency
    } else if label == "years" || label.ends_with(" years") {
        Unit::Years
    } else if per("= 100")
        || per("=low")
        || per("scale")
        || (label.is_empty() && lower.contains(" index"))
    {
        Unit::Index
    } else if label.is_empty() || label == "number" || lower.ends_with(", total") {
        Unit::Count
    } else {
        // Days, kWh, hectares: a measured quantity.
        Unit::Ratio
    }
}

/// The family of a unit in words.
pub fn unit_family(unit: Unit) -> &'static str {
    match unit {
        Unit::Rate => "rate",
        Unit::Percent => "percent",
        Unit::Count => "count",
        Unit::Currency => "currency",
        Unit::Years => "years",
        Unit::Ratio => "ratio",
        Unit::Index => "index",
        Unit::Density => "density",
    }
}

/// A catalogue file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// Reading failed.
    #[error("cannot read the catalogue {path}: {source}; delete it to use the built-in one or run `claimcheck catalogue update`")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line does not have code and name.
    #[error("catalogue {path}, line {line}: expected code<TAB>name<TAB>topic<TAB>source<TAB>definition; run `claimcheck catalogue update` to rewrite it")]
    Malformed {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
    },
}

/// Every WDI series, in code order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    series: Vec<SeriesInfo>,
}

impl Catalogue {
    /// The catalogue shipped in the binary (parsed once).
    pub fn embedded() -> &'static Catalogue {
        static EMBEDDED_CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        EMBEDDED_CATALOGUE.get_or_init(|| {
            Catalogue::parse("config/wdi_series.tsv (embedded)", EMBEDDED)
                .expect("the embedded catalogue is valid")
        })
    }

    /// The updated copy at `path` when it exists, else the embedded one.
    pub fn load(path: &Path) -> Result<Catalogue, CatalogueError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::embedded().clone()),
            Err(source) => Err(CatalogueError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Parses catalogue text; `label` names it in errors.
    pub fn parse(label: &str, text: &str) -> Result<Catalogue, CatalogueError> {
        let mut series = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t').map(str::trim);
            let (Some(code), Some(name)) = (cols.next(), cols.next()) else {
                return Err(CatalogueError::Malformed {
                    path: label.into(),
                    line: i + 1,
                });
            };
            if code.is_empty() || name.is_empty() {
                return Err(CatalogueError::Malformed {
                    path: label.into(),
                    line: i + 1,
                });
            }
            let mut next = || cols.next().unwrap_or("").to_string();
            series.push(SeriesInfo {
                code: code.into(),
                name: name.into(),
                topic: next(),
                source: next(),
                definition: next(),
            });
        }
        Ok(Catalogue { series })
    }

    /// Builds a catalogue from `/v2/indicator` records (`id`, `name`, `sourceNote`,
    /// `sourceOrganization`, `topics[{value}]`); records without id or name are skipped.
    pub fn from_records(records: &[Value]) -> Catalogue {
        let text = |record: &Value, pointer: &str| {
            record
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(fold)
                .unwrap_or_default()
        };
        let mut series: Vec<SeriesInfo> = records
            .iter()
            .map(|r| SeriesInfo {
                code: text(r, "/id"),
                name: text(r, "/name"),
                topic: text(r, "/topics/0/value"),
                source: text(r, "/sourceOrganization"),
                definition: text(r, "/sourceNote"),
            })
            .filter(|s| !s.code.is_empty() && !s.name.is_empty())
            .collect();
        series.sort_by(|a, b| a.code.cmp(&b.code));
        series.dedup_by(|a, b| a.code == b.code);
        Catalogue { series }
    }

    /// The catalogue as file text (the embedded file's format).
    pub fn to_tsv(&self) -> String {
        let mut out = format!("{HEADER}. Written by `claimcheck catalogue update`\n");
        for s in &self.series {
            let cols = [&s.code, &s.name, &s.topic, &s.source, &s.definition];
            let cols: Vec<String> = cols.iter().map(|c| fold(c)).collect();
            out.push_str(&cols.join("\t"));
            out.push('\n');
        }
        out
    }

    /// All series.
    pub fn all(&self) -> &[SeriesInfo] {
        &self.series
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series with this code (any case).
    pub fn get(&self, code: &str) -> Option<&SeriesInfo> {
        let code = code.trim();
        self.series
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(code))
    }

    /// Series whose code or name holds every word of `query` (any case), best first: the
    /// code itself, then names holding the query as written, then shorter (more general)
    /// names.
    pub fn search(&self, query: &str) -> Vec<&SeriesInfo> {
        let query = query.trim().to_lowercase();
        let words: Vec<&str> = query.split_whitespace().collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, usize, &SeriesInfo)> = self
            .series
            .iter()
            .filter_map(|s| {
                let name = s.name.to_lowercase();
                let code = s.code.to_lowercase();
                if code == query {
                    return Some((0, 0, s));
                }
                let all = words.iter().all(|w| name.contains(w) || code.contains(w));
                let rank = if name.contains(&query) { 1 } else { 2 };
                all.then_some((rank, s.name.len(), s))
            })
            .collect();
        hits.sort_by(|a, b| (a.0, a.1, &a.2.code).cmp(&(b.0, b.1, &b.2.code)));
        hits.into_iter().map(|(_, _, s)| s).collect()
    }
}

/// Tabs and line breaks folded to single spaces, so a value fits one TSV column.
fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rows asked per page of `/v2/indicator` (the WDI has about 1,500 series).
const PER_PAGE: u32 = 1000;

/// The URL of the first page of the WDI indicator list.
pub fn list_url(base_url: &str) -> String {
    format!(
        "{}/indicator?source=2&format=json&per_page={PER_PAGE}",
        base_url.trim_end_matches('/')
    )
}

/// Fetches every WDI series from `/v2/indicator?source=2` (all pages) with the World Bank
/// client's retries; an empty list is an error, so a bad answer never replaces the catalogue.
pub async fn fetch(config: &WorldBankConfig) -> Result<Catalogue, SourceError> {
    let http = HttpClient::new(config)?;
    let first_url = list_url(&config.base_url);
    let first = parse_page(&http.get_text(&first_url).await?, &first_url)?;
    let mut records = first.rows;
    for page in 2..=first.meta.pages {
        let url = format!("{first_url}&page={page}");
        records.extend(parse_page(&http.get_text(&url).await?, &url)?.rows);
    }
    let catalogue = Catalogue::from_records(&records);
    if catalogue.is_empty() {
        return Err(SourceError::Unexpected {
            url: first_url,
            detail: "the indicator list has no series; the catalogue was kept".into(),
        });
    }
    Ok(catalogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_has_every_wdi_series() {
        let c = Catalogue::embedded();
        assert_eq!(c.len(), 1496);
        let gni = c.get("ny.gnp.pcap.pp.cd").unwrap();
        assert_eq!(gni.name, "GNI per capita, PPP (current international $)");
        assert!(gni.definition.contains("purchasing power parity"));
        assert!(!gni.source.is_empty());
    }

    #[test]
    fn units_come_from_the_name() {
        let cases = [
            ("GDP (current US$)", Unit::Currency),
            (
                "GNI per capita, PPP (current international $)",
                Unit::Currency,
            ),
            ("Military expenditure (% of GDP)", Unit::Percent),
            ("Inflation, consumer prices (annual %)", Unit::Percent),
            ("Intentional homicides (per 100,000 people)", Unit::Rate),
            ("Mortality rate, infant (per 1,000 live births)", Unit::Rate),
            (
                "Population density (people per sq. km of land area)",
                Unit::Density,
            ),
            ("Life expectancy at birth, total (years)", Unit::Years),
            ("Consumer price index (2010 = 100)", Unit::Index),
            ("Population, total", Unit::Count),
            ("CO2 emissions (metric tons per capita)", Unit::Ratio),
            ("Military expenditure (current USD)", Unit::Currency),
            (
                "Official exchange rate (LCU per US$, period average)",
                Unit::Ratio,
            ),
            ("Gini index", Unit::Index),
            (
                "Adolescent fertility rate (births per 1,000 women ages 15-19)",
                Unit::Rate,
            ),
            ("Mobile cellular subscriptions (per 100 people)", Unit::Rate),
        ];
        for (name, unit) in cases {
            assert_eq!(unit_of_name(name), unit, "{name}");
        }
        assert_eq!(unit_label("GDP (current US$)"), Some("current US$"));
        assert_eq!(unit_label("Population, total"), None);
    }

    #[test]
    fn search_finds_by_words_and_code_best_first() {
        let c = Catalogue::embedded();
        let hits = c.search("gni per capita ppp");
        assert_eq!(hits[0].code, "NY.GNP.PCAP.PP.CD", "{hits:?}");
        assert_eq!(c.search("NY.GDP.MKTP.CD")[0].name, "GDP (current US$)");
        assert!(c.search("zzzz nothing").is_empty());
        assert!(c.search("   ").is_empty());
    }

    #[test]
    fn a_malformed_file_names_the_line() {
        let err = Catalogue::parse("x.tsv", "# header\nA.B\tName\nA.C\n").unwrap_err();
        assert!(err.to_string().contains("x.tsv, line 3"), "{err}");
    }

    #[test]
    fn records_round_trip_through_the_file_format() {
        let records: Vec<Value> = serde_json::from_str(
            r#"[{"id":"SP.POP.TOTL","name":"Population, total","unit":"","source":{"id":"2","value":"World Development Indicators"},"sourceNote":"Total population\tcounts\nall residents.","sourceOrganization":"UN WPP","topics":[{"id":"19","value":"Climate Change "}]},
                {"id":"","name":"no code"}]"#,
        )
        .unwrap();
        let c = Catalogue::from_records(&records);
        assert_eq!(c.len(), 1);
        let again = Catalogue::parse("t", &c.to_tsv()).unwrap();
        let pop = again.get("SP.POP.TOTL").unwrap();
        assert_eq!(pop.definition, "Total population counts all residents.");
        assert_eq!(pop.topic, "Climate Change");
    }
}
