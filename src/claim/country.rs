//! Countries: names, aliases and codes resolved to ISO3 (the embedded table
//! `config/countries.tsv`), and the World Bank's own country list with its aggregates.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

const EMBEDDED_TABLE: &str = include_str!("../../config/countries.tsv");

/// A country reference that could not be resolved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CountryError {
    /// Nothing matches; `suggestions` holds the closest names.
    #[error("unknown country {input:?}{}", suggest(.suggestions))]
    Unknown {
        /// What was written.
        input: String,
        /// Closest known names.
        suggestions: Vec<String>,
    },
}

fn suggest(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        "; use an ISO3 code such as \"SLV\"".into()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// One row of the embedded table.
#[derive(Debug, Clone)]
struct Entry {
    iso3: String,
    name: String,
    /// Region aggregate (ISO3, e.g. "SSF"); empty for aggregates.
    region: String,
    /// Income group aggregate ("HIC", "UMC", "LMC", "LIC"); empty when not classified.
    income: String,
}

/// Names, aliases and codes of economies and aggregates, resolvable to ISO3.
#[derive(Debug, Clone)]
pub struct Countries {
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
    /// Each ISO3 code exactly as written that `by_key` resolves to its own entry: a stored
    /// claim is read back through `resolve` with its codes already resolved, and
    /// normalizing them again was a fifth of reading a claim.
    by_code: HashMap<String, usize>,
}

impl Countries {
    /// The embedded table, built once per process.
    pub fn shared() -> &'static Self {
        static SHARED: std::sync::OnceLock<Countries> = std::sync::OnceLock::new();
        SHARED.get_or_init(Self::embedded)
    }

    /// The table shipped in the binary (`config/countries.tsv`).
    pub fn embedded() -> Self {
        let mut countries = Self {
            entries: Vec::new(),
            by_key: HashMap::new(),
            by_code: HashMap::new(),
        };
        for line in EMBEDDED_TABLE.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            let (Some(iso3), Some(iso2), Some(name)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let aliases = cols.next().unwrap_or("");
            let (region, income) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
            let index = countries.entries.len();
            countries.entries.push(Entry {
                iso3: iso3.into(),
                name: name.into(),
                region: region.into(),
                income: income.into(),
            });
            for key in [iso3, iso2, name]
                .into_iter()
                .chain(aliases.split('|'))
                .filter(|k| !k.is_empty())
            {
                countries.by_key.entry(normalize(key)).or_insert(index);
            }
        }
        // Only where the slow way gives the same answer, so the fast way never differs.
        for (index, entry) in countries.entries.iter().enumerate() {
            if countries.by_key.get(&normalize(&entry.iso3)) == Some(&index) {
                countries.by_code.insert(entry.iso3.clone(), index);
            }
        }
        countries
    }

    /// Resolves an ISO3 or ISO2 code, a World Bank name or a common name to ISO3.
    pub fn resolve(&self, input: &str) -> Result<&str, CountryError> {
        if let Some(&i) = self.by_code.get(input) {
            return Ok(&self.entries[i].iso3);
        }
        let key = normalize(input);
        if let Some(&i) = self.by_key.get(&key) {
            return Ok(&self.entries[i].iso3);
        }
        let mut scored: Vec<(f64, &str)> = self
            .entries
            .iter()
            .map(|e| {
                (
                    strsim::jaro_winkler(&key, &normalize(&e.name)),
                    e.name.as_str(),
                )
            })
            // 0.8 let "Atlantis" suggest Albania; typos of real names score above 0.9.
            .filter(|(score, _)| *score > 0.88)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        Err(CountryError::Unknown {
            input: input.trim().to_string(),
            suggestions: scored.iter().take(3).map(|(_, n)| n.to_string()).collect(),
        })
    }

    /// Every normalized name, alias and code with its ISO3, for scanning text.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_key
            .iter()
            .map(|(key, &i)| (key.as_str(), self.entries[i].iso3.as_str()))
    }

    /// The economies of a region or income group aggregate (ISO3), from the embedded table;
    /// empty for any other code. "MIC" and "LMY" are unions of income groups.
    pub fn members(&self, group: &str) -> Vec<String> {
        let group = group.trim().to_ascii_uppercase();
        if group.is_empty() {
            return Vec::new();
        }
        let incomes: Vec<&str> = match group.as_str() {
            "MIC" => vec!["LMC", "UMC"],
            "LMY" => vec!["LIC", "LMC", "UMC"],
            other => vec![other],
        };
        self.entries
            .iter()
            .filter(|e| e.region == group || incomes.contains(&e.income.as_str()))
            .map(|e| e.iso3.clone())
            .collect()
    }

    /// True for an economy with a World Bank region (not an aggregate).
    pub fn is_economy(&self, iso3: &str) -> bool {
        self.by_key
            .get(&normalize(iso3))
            .is_some_and(|&i| !self.entries[i].region.is_empty())
    }

    /// True for the aggregates a rank can be scoped to: regions and income groups.
    pub fn is_group(&self, code: &str) -> bool {
        !self.members(code).is_empty()
    }

    /// The World Bank name of an ISO3 code, when known.
    pub fn name(&self, iso3: &str) -> Option<&str> {
        self.by_key
            .get(&normalize(iso3))
            .map(|&i| self.entries[i].name.as_str())
    }
}

/// Lowercase, possessive and leading "the" removed, punctuation folded to spaces.
fn normalize(text: &str) -> String {
    let text = text.trim();
    let text = text
        .strip_suffix("'s")
        .or_else(|| text.strip_suffix("’s"))
        .unwrap_or(text);
    let folded: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    match words.as_slice() {
        ["the", rest @ ..] if !rest.is_empty() => rest.join(" "),
        _ => words.join(" "),
    }
}

/// One entry of the World Bank's `/v2/country` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryInfo {
    /// ISO3 (World Bank `id`).
    pub iso3: String,
    /// World Bank 2-letter code (`iso2Code`), used in data rows' `country.id`.
    pub iso2: String,
    /// World Bank name.
    pub name: String,
    /// Region name, trimmed; "Aggregates" for aggregates.
    pub region: String,
    /// True for World, regions, income groups and other aggregates.
    pub aggregate: bool,
}

/// The World Bank's country list, indexed: tells economies from aggregates and maps codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CountryList {
    countries: Vec<CountryInfo>,
}

impl CountryList {
    /// Indexes a fetched list.
    pub fn new(countries: Vec<CountryInfo>) -> Self {
        Self { countries }
    }

    /// All entries.
    pub fn all(&self) -> &[CountryInfo] {
        &self.countries
    }

    /// Looks up by ISO3 or 2-letter code.
    pub fn get(&self, code: &str) -> Option<&CountryInfo> {
        self.countries
            .iter()
            .find(|c| c.iso3.eq_ignore_ascii_case(code) || c.iso2.eq_ignore_ascii_case(code))
    }

    /// Peer codes with every regional aggregate replaced by the economies of that region
    /// (an economy's `region` equals the aggregate's name, e.g. "Latin America & Caribbean").
    /// Income groups ("UMC"), which this list does not record per economy, take their
    /// members from the embedded country table, kept to the economies this list knows.
    pub fn expand(&self, codes: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for code in codes {
            match self.get(code) {
                Some(aggregate) if aggregate.aggregate => {
                    let members: Vec<String> = self
                        .countries
                        .iter()
                        .filter(|c| !c.aggregate && c.region == aggregate.name)
                        .map(|c| c.iso3.clone())
                        .collect();
                    if members.is_empty() {
                        out.extend(
                            Countries::embedded()
                                .members(&aggregate.iso3)
                                .into_iter()
                                .filter(|iso3| self.is_economy(iso3)),
                        );
                    } else {
                        out.extend(members);
                    }
                }
                _ => out.push(code.clone()),
            }
        }
        out
    }

    /// True when `iso3` is a real economy (known and not an aggregate).
    pub fn is_economy(&self, iso3: &str) -> bool {
        self.get(iso3).is_some_and(|c| !c.aggregate)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.countries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.countries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored-code shortcut gives what normalizing gives, for every code in the table.
    #[test]
    fn a_code_resolves_the_same_with_and_without_the_shortcut() {
        let c = Countries::embedded();
        assert!(c.by_code.len() > 250, "{} codes", c.by_code.len());
        for entry in &c.entries {
            let slow = c
                .by_key
                .get(&normalize(&entry.iso3))
                .map(|&i| c.entries[i].iso3.as_str());
            assert_eq!(c.resolve(&entry.iso3).ok(), slow, "{}", entry.iso3);
        }
    }

    #[test]
    fn resolves_codes_names_and_aliases() {
        let c = Countries::embedded();
        for input in ["SLV", "sv", "El Salvador", "El Salvador's", "el salvador"] {
            assert_eq!(c.resolve(input), Ok("SLV"), "{input}");
        }
        assert_eq!(c.resolve("Venezuela, RB"), Ok("VEN"));
        assert_eq!(c.resolve("Venezuela"), Ok("VEN"));
        assert_eq!(c.resolve("the US"), Ok("USA"));
        assert_eq!(c.resolve("the world"), Ok("WLD"));
        assert_eq!(c.resolve("Latin America"), Ok("LCN"));
        assert_eq!(c.name("HND"), Some("Honduras"));
        assert_eq!(c.resolve("sub-Saharan Africa"), Ok("SSF"));
        assert_eq!(c.resolve("upper-middle-income countries"), Ok("UMC"));
    }

    #[test]
    fn every_economy_has_a_region_and_groups_have_members() {
        let c = Countries::embedded();
        let ssf = c.members("SSF");
        assert!(ssf.contains(&"NGA".to_string()) && ssf.contains(&"ZAF".to_string()));
        assert!(!ssf.contains(&"SLV".to_string()));
        assert_eq!(
            ssf.len(),
            48,
            "the World Bank's 48 economies of sub-Saharan Africa"
        );
        let umc = c.members("UMC");
        assert!(umc.contains(&"SLV".to_string()) && !umc.contains(&"USA".to_string()));
        let mic = c.members("MIC");
        assert_eq!(mic.len(), c.members("UMC").len() + c.members("LMC").len());
        let regions = ["EAS", "ECS", "LCN", "MEA", "NAC", "SAS", "SSF"];
        let covered: usize = regions.iter().map(|r| c.members(r).len()).sum();
        assert_eq!(covered, 217, "every World Bank economy is in one region");
        assert!(c.members("SLV").is_empty() && !c.is_group("WLD") && c.is_group("HIC"));
    }

    #[test]
    fn income_groups_expand_from_the_embedded_table() {
        let info = |iso3: &str, region: &str, aggregate: bool| CountryInfo {
            iso3: iso3.into(),
            iso2: String::new(),
            name: if aggregate {
                "Upper middle income".into()
            } else {
                iso3.into()
            },
            region: region.into(),
            aggregate,
        };
        let list = CountryList::new(vec![
            info("UMC", "Aggregates", true),
            info("SLV", "Latin America & Caribbean", false),
            info("ZAF", "Sub-Saharan Africa", false),
            info("USA", "North America", false),
        ]);
        assert_eq!(list.expand(&["UMC".into()]), vec!["SLV", "ZAF"]);
        assert_eq!(list.expand(&["USA".into()]), vec!["USA"]);
    }

    #[test]
    fn unknown_country_suggests_close_names() {
        let countries = Countries::embedded();
        for (typo, meant) in [
            ("Hondurass", "Honduras"),
            ("Guatamala", "Guatemala"),
            ("Nicaragüa", "Nicaragua"),
            ("Venezeula", "Venezuela"),
        ] {
            let err = countries.resolve(typo).unwrap_err();
            assert!(
                err.to_string().contains(&format!("did you mean {meant}")),
                "{err}"
            );
        }
        // No name is a made-up place's typo.
        let err = countries.resolve("Atlantis").unwrap_err();
        assert!(!err.to_string().contains("did you mean"), "{err}");
    }
}
