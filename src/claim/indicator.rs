//! The indicator alias table (`config/indicators.toml`): how news copy names a statistic,
//! mapped to World Bank codes and units. Users extend it without code.

use std::path::Path;

use serde::Deserialize;

const EMBEDDED: &str = include_str!("../../config/indicators.toml");

/// What an indicator's numbers measure; decides scale checks and sum-versus-mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Per N people (homicides per 100,000).
    Rate,
    /// A percentage.
    Percent,
    /// A number of people or things.
    Count,
    /// US dollars.
    Currency,
    /// Years (life expectancy).
    Years,
    /// Another ratio (births per woman, tonnes per capita).
    Ratio,
    /// An index (Gini).
    Index,
    /// People per square kilometre.
    Density,
}

impl Unit {
    /// True when values over a period add up (counts, money) rather than average.
    pub fn is_additive(self) -> bool {
        matches!(self, Unit::Count | Unit::Currency)
    }
}

/// One indicator with the phrases that name it.
#[derive(Debug, Clone, Deserialize)]
pub struct IndicatorAlias {
    /// World Bank code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: Unit,
    /// Lowercase phrases that name it in news copy.
    pub phrases: Vec<String>,
    /// Where it is checked: `worldbank` (default) or `owid`, whose `code` is a chart slug.
    #[serde(default = "default_source")]
    pub source: String,
}

fn default_source() -> String {
    super::WORLD_BANK.to_string()
}

/// The table, in file order (earlier entries win ties).
#[derive(Debug, Clone)]
pub struct IndicatorTable {
    entries: Vec<IndicatorAlias>,
}

/// A problem with an indicator table file.
#[derive(Debug, thiserror::Error)]
#[error("indicator table {path}: {message}")]
pub struct IndicatorTableError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    indicator: Vec<IndicatorAlias>,
}

impl IndicatorTable {
    /// The table shipped in the binary.
    pub fn embedded() -> Self {
        Self::parse("config/indicators.toml (embedded)", EMBEDDED)
            .expect("the embedded table is valid")
    }

    /// `path` when it exists, else the embedded table.
    pub fn load(path: &Path) -> Result<Self, IndicatorTableError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&path.display().to_string(), &text),
            Err(_) => Ok(Self::embedded()),
        }
    }

    /// Parses table text; `label` names it in errors.
    pub fn parse(label: &str, text: &str) -> Result<Self, IndicatorTableError> {
        let file: File = toml::from_str(text).map_err(|e| IndicatorTableError {
            path: label.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let mut entries = file.indicator;
        for entry in &entries {
            source_fits_code(entry).map_err(|message| IndicatorTableError {
                path: label.to_string(),
                message,
            })?;
        }
        for entry in &mut entries {
            for phrase in &mut entry.phrases {
                *phrase = phrase.to_lowercase();
            }
        }
        Ok(Self { entries })
    }

    /// All entries.
    pub fn entries(&self) -> &[IndicatorAlias] {
        &self.entries
    }

    /// The entry for a code.
    pub fn get(&self, code: &str) -> Option<&IndicatorAlias> {
        self.entries
            .iter()
            .find(|e| e.code.eq_ignore_ascii_case(code))
    }
}

/// An entry's code must have its source's shape: a chart slug for `owid`, a code for the
/// World Bank.
fn source_fits_code(entry: &IndicatorAlias) -> Result<(), String> {
    let slug = crate::source::owid::is_slug(&entry.code);
    match entry.source.as_str() {
        crate::source::owid::NAME if slug => Ok(()),
        super::WORLD_BANK if !slug => Ok(()),
        crate::source::owid::NAME => Err(format!(
            "{}: source \"owid\" needs a chart slug as code, such as \"homicide-rate-unodc\"",
            entry.code
        )),
        super::WORLD_BANK => Err(format!(
            "{}: looks like an Our World in Data chart slug; add source = \"owid\"",
            entry.code
        )),
        other => Err(format!(
            "{}: unknown source {other:?}; known sources: worldbank, owid",
            entry.code
        )),
    }
}
