//! Verdicts: grades, evidence, and the pure rules that turn (claim, observations) into a
//! verdict. No I/O, no clock: [`rules::evaluate`] is tested exhaustively with plain data.
//! [`plan`] groups a batch of claims into the fewest series requests.

pub mod band;
pub mod plan;
pub mod rules;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::claim::Order;

/// The verdict scale, best to worst, then `unverifiable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// Holds at the claim's stated precision.
    True,
    /// Outside the band, within `mostly_true` relative deviation.
    MostlyTrue,
    /// Within `half_true`.
    HalfTrue,
    /// Within `mostly_false`.
    MostlyFalse,
    /// Beyond that, or the wrong direction or rank.
    False,
    /// The data cannot answer the claim (no value, no series).
    Unverifiable,
}

impl Grade {
    /// All grades, best first.
    pub const ALL: [Grade; 6] = [
        Grade::True,
        Grade::MostlyTrue,
        Grade::HalfTrue,
        Grade::MostlyFalse,
        Grade::False,
        Grade::Unverifiable,
    ];

    /// The stored name (`mostly-true`).
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::True => "true",
            Grade::MostlyTrue => "mostly-true",
            Grade::HalfTrue => "half-true",
            Grade::MostlyFalse => "mostly-false",
            Grade::False => "false",
            Grade::Unverifiable => "unverifiable",
        }
    }

    /// 5 (true) to 1 (false); `None` for unverifiable.
    pub fn rating(self) -> Option<u8> {
        match self {
            Grade::True => Some(5),
            Grade::MostlyTrue => Some(4),
            Grade::HalfTrue => Some(3),
            Grade::MostlyFalse => Some(2),
            Grade::False => Some(1),
            Grade::Unverifiable => None,
        }
    }

    /// True when this grade is `threshold` or worse (unverifiable only matches itself).
    pub fn at_or_below(self, threshold: Grade) -> bool {
        match (self.rating(), threshold.rating()) {
            (Some(a), Some(b)) => a <= b,
            _ => self == threshold,
        }
    }

    /// The worse of two grades (unverifiable counts as worst).
    pub fn worst(self, other: Grade) -> Grade {
        let key = |g: Grade| g.rating().unwrap_or(0);
        if key(other) < key(self) {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Grade {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                let names: Vec<_> = Grade::ALL.iter().map(|g| g.as_str()).collect();
                format!("unknown grade {s:?}; one of: {}", names.join(", "))
            })
    }
}

/// A value for one year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearValue {
    /// Year.
    pub year: i32,
    /// Value.
    pub value: f64,
}

/// One economy in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    /// ISO3.
    pub iso3: String,
    /// Name.
    pub name: String,
    /// Value.
    pub value: f64,
}

/// Where the claimed country stands in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEvidence {
    /// Its rank (1 = first in `order`).
    pub rank: usize,
    /// Economies with data in the ranking.
    pub of: usize,
    /// Ranking order.
    pub order: Order,
    /// The first five of the ranking.
    pub leaders: Vec<RankEntry>,
}

/// Why a claim is `unverifiable`. A source that cannot be reached is no verdict at all: the
/// job is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unverifiable {
    /// No series answers the statistic.
    NoSeries,
    /// The series has no value for the year (or years) the claim needs.
    NoData,
    /// The sentence could not be read as a claim (kept from an article scan).
    NotUnderstood,
}

/// What a verdict rests on, enough for a colleague to redo the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Evidence {
    /// Source name.
    pub source: String,
    /// Indicator code.
    pub indicator: Option<String>,
    /// Indicator name.
    pub indicator_name: Option<String>,
    /// ISO3 of the country.
    pub country: Option<String>,
    /// Country name.
    pub country_name: Option<String>,
    /// Years the verdict used.
    pub years: Vec<i32>,
    /// Values the verdict used.
    pub values: Vec<YearValue>,
    /// The claimed number.
    pub claimed: Option<f64>,
    /// The number the data gives (end value, sum, mean).
    pub actual: Option<f64>,
    /// `(claimed - actual) / |actual|`.
    pub deviation: Option<f64>,
    /// The band the claim was read as, `[low, high]`; `None` for an unbounded end
    /// ("more than 40,400" has no upper end). JSON cannot hold infinities.
    pub band: Option<(Option<f64>, Option<f64>)>,
    /// Ranking details for rank claims.
    pub rank: Option<RankEvidence>,
    /// Why an `unverifiable` verdict could not be more: kept apart because each asks for a
    /// different next step (find the series, wait for the data, rephrase the sentence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<Unverifiable>,
    /// The exact request URL.
    pub source_url: Option<String>,
    /// Data vintage (`lastupdated`).
    pub vintage: Option<String>,
    /// When the data was retrieved.
    #[serde(default, deserialize_with = "crate::timestamp::optional")]
    pub retrieved_at: Option<DateTime<Utc>>,
    /// The page a reader can open (World Bank indicator page, OWID chart) for the country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    /// The other source's reading of the same statistic (`verify --corroborate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corroboration: Option<crate::corroborate::Corroboration>,
}

/// A grade with its evidence and a sentence a reader understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The grade.
    pub grade: Grade,
    /// One plain sentence (or two) saying why.
    pub explanation: String,
    /// What it rests on.
    pub evidence: Evidence,
}

impl Verdict {
    /// True when `other` found exactly this (grade, explanation, evidence), apart from when
    /// the data was retrieved.
    pub fn same_finding(&self, other: &Verdict) -> bool {
        let mut mine = self.evidence.clone();
        mine.retrieved_at = other.evidence.retrieved_at;
        self.grade == other.grade && self.explanation == other.explanation && mine == other.evidence
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_parse_order_and_serialize() {
        assert_eq!("mostly-false".parse::<Grade>(), Ok(Grade::MostlyFalse));
        assert!("nope".parse::<Grade>().is_err());
        assert!(Grade::False.at_or_below(Grade::MostlyFalse));
        assert!(!Grade::MostlyTrue.at_or_below(Grade::MostlyFalse));
        assert!(!Grade::Unverifiable.at_or_below(Grade::False));
        assert!(Grade::Unverifiable.at_or_below(Grade::Unverifiable));
        assert_eq!(Grade::True.worst(Grade::HalfTrue), Grade::HalfTrue);
        assert_eq!(
            serde_json::to_string(&Grade::MostlyTrue).unwrap(),
            "\"mostly-true\""
        );
    }
}
