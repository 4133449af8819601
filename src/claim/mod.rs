//! The `Claim` model: one checkable statement, parsed once at the edge (claim file, CLI flags)
//! and used as this typed value everywhere after.
//!
//! Submodules: [`file`] reads `claims/*.toml`, [`country`] resolves names and codes to ISO3,
//! [`number`] reads numbers as written ("40,400", "6.2 million").

pub mod country;
pub mod file;
pub mod indicator;
pub mod number;
pub mod sentence;

use serde::{Deserialize, Serialize};

/// The only data source so far; also the default of `source`.
pub const WORLD_BANK: &str = "worldbank";

/// What a claim asserts about its number(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One value for one country and year.
    #[default]
    Value,
    /// A position in a ranking of economies ("the highest in the world").
    Rank,
    /// A change between two years ("dropped to around 82 by 2016").
    Change,
    /// The total over `from_year..=year`.
    Sum,
    /// The average over `from_year..=year`.
    Mean,
}

/// How the claimed number relates to the true one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// Equal at the stated precision ("105" means 104.5 to 105.5).
    #[default]
    Eq,
    /// Hedged ("around 82"): a wider band.
    Approx,
    /// "nearly"/"almost": a bit below the claimed number.
    Nearly,
    /// More than.
    Gt,
    /// At least.
    Gte,
    /// Less than.
    Lt,
    /// At most.
    Lte,
    /// Between `value` and `value_max`.
    Between,
}

/// Ranking direction: `desc` means 1 is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Rank 1 is the highest value.
    #[default]
    Desc,
    /// Rank 1 is the lowest value.
    Asc,
}

/// Direction of a change claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The value went down.
    Decrease,
    /// The value went up.
    Increase,
}

/// An explicit tolerance around the claimed value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// A fraction of the claimed value (`"2%"` is 0.02).
    Relative(f64),
    /// An absolute amount in the indicator's unit.
    Absolute(f64),
}

impl Tolerance {
    /// Reads `"2%"` (relative) or `"0.5"` (absolute).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let tolerance = match text.strip_suffix('%') {
            Some(pct) => Self::Relative(pct.trim().parse::<f64>().ok()? / 100.0),
            None => Self::Absolute(text.parse().ok()?),
        };
        match tolerance {
            Self::Relative(x) | Self::Absolute(x) if x.is_finite() && x >= 0.0 => Some(tolerance),
            _ => None,
        }
    }

    /// Half-width of the band around `value`.
    pub fn half_width(self, value: f64) -> f64 {
        match self {
            Self::Relative(r) => (value * r).abs(),
            Self::Absolute(a) => a,
        }
    }
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Relative(r) => write!(f, "{}%", number::trim_float(r * 100.0)),
            Self::Absolute(a) => write!(f, "{}", number::trim_float(*a)),
        }
    }
}

impl Serialize for Tolerance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) if n >= 0.0 => Ok(Self::Absolute(n)),
            Raw::Text(t) => Self::parse(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "tolerance {t:?} is not \"N%\" (relative) or a number (absolute)"
                ))
            }),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "tolerance must not be negative, got {n}"
            ))),
        }
    }
}

/// One checkable claim, with the keys of the claim file format. As JSON (the API) every key
/// but `text` may be left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Claim {
    /// Stable identifier (given, or a slug of the text).
    pub id: String,
    /// The claim as written by the fact-checker or the article.
    pub text: String,
    /// Data source; only `worldbank` so far.
    pub source: String,
    /// Indicator code (e.g. `VC.IHR.PSRC.P5`); `None` when no series can answer the claim.
    pub indicator: Option<String>,
    /// ISO3 code of the country or World Bank aggregate.
    pub country: Option<String>,
    /// The year claimed; `None` means the latest year with data.
    pub year: Option<i32>,
    /// First year of a change, sum or mean.
    pub from_year: Option<i32>,
    /// What is asserted.
    pub kind: Kind,
    /// How the claimed number relates to the data.
    pub relation: Relation,
    /// The claimed number (for `change`: the end value).
    pub value: Option<f64>,
    /// Upper bound for `relation = "between"`.
    pub value_max: Option<f64>,
    /// Explicit tolerance, replacing the band read from the number's precision.
    pub tolerance: Option<Tolerance>,
    /// Claimed rank (1 = first) for `kind = "rank"`.
    pub rank: Option<u32>,
    /// Ranking order for `kind = "rank"`.
    pub order: Option<Order>,
    /// Peer set (ISO3) a rank is taken among; empty means all economies.
    pub among: Vec<String>,
    /// Claimed direction of a change.
    pub direction: Option<Direction>,
    /// Claimed start value of a change.
    pub from_value: Option<f64>,
    /// Claimed change in percent (negative for a fall).
    pub change_pct: Option<f64>,
    /// Cron expression for scheduled re-checks.
    pub schedule: Option<String>,
    /// Free labels.
    pub tags: Vec<String>,
    /// A note for readers, e.g. why no World Bank series answers the claim.
    pub note: Option<String>,
}

/// What is wrong with a claim, in words a fact-checker can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClaimError {
    /// A required key is missing for this kind of claim.
    #[error("{0}")]
    Missing(String),
    /// A key has a value that cannot be right.
    #[error("{0}")]
    Invalid(String),
    /// The country could not be resolved.
    #[error("{0}")]
    Country(#[from] country::CountryError),
}

impl Default for Claim {
    fn default() -> Self {
        Self::new(String::new(), String::new())
    }
}

impl Claim {
    /// A claim with only `id` and `text` set and everything else at its default.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            text: text.into(),
            source: WORLD_BANK.into(),
            indicator: None,
            country: None,
            year: None,
            from_year: None,
            kind: Kind::Value,
            relation: Relation::Eq,
            value: None,
            value_max: None,
            tolerance: None,
            rank: None,
            order: None,
            among: Vec::new(),
            direction: None,
            from_value: None,
            change_pct: None,
            schedule: None,
            tags: Vec::new(),
            note: None,
        }
    }

    /// Checks that the keys fit together for the claim's kind; resolves country names to ISO3.
    ///
    /// This is the one gate every claim passes, whatever edge it came from.
    pub fn validate(mut self, countries: &country::Countries) -> Result<Self, ClaimError> {
        use ClaimError::{Invalid, Missing};
        if self.id.is_empty() {
            self.id = slug(&self.text);
        }
        if !self.id.chars().all(is_id_char) {
            return Err(Invalid(format!(
                "id {:?} may only hold letters, digits, '-', '_' and '.'",
                self.id
            )));
        }
        if self.text.trim().is_empty() {
            return Err(Missing("`text` is required: the claim as written".into()));
        }
        if self.source != WORLD_BANK {
            return Err(Invalid(format!(
                "unknown source {:?}; known sources: {WORLD_BANK}",
                self.source
            )));
        }
        if let Some(schedule) = &self.schedule {
            schedule.parse::<croner::Cron>().map_err(|e| {
                Invalid(format!(
                    "schedule {schedule:?} is not a cron expression ({e}); example: \"0 6 * * 1\" (Mondays 06:00)"
                ))
            })?;
        }
        for value in [self.value, self.value_max, self.from_value, self.change_pct]
            .into_iter()
            .flatten()
        {
            if !value.is_finite() {
                return Err(Invalid(format!("{value} is not a finite number")));
            }
        }
        if let Some(country) = &self.country {
            self.country = Some(countries.resolve(country)?.to_string());
        }
        let Some(indicator) = &self.indicator else {
            // No series answers it: stored so it is listed, verified as unverifiable.
            return Ok(self);
        };
        if indicator.is_empty()
            || !indicator
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            return Err(Invalid(format!(
                "indicator {indicator:?} is not a World Bank indicator code such as \"VC.IHR.PSRC.P5\""
            )));
        }
        if self.country.is_none() {
            return Err(Missing(
                "`country` is required when `indicator` is set (ISO3, e.g. \"SLV\")".into(),
            ));
        }
        self.among = self
            .among
            .iter()
            .map(|c| countries.resolve(c).map(str::to_string))
            .collect::<Result<_, _>>()?;
        if let (Some(from), Some(to)) = (self.from_year, self.year) {
            if from >= to {
                return Err(Invalid(format!(
                    "from_year {from} must be before year {to}"
                )));
            }
        }
        for year in [self.year, self.from_year].into_iter().flatten() {
            if !(1900..=2100).contains(&year) {
                return Err(Invalid(format!("year {year} is out of range")));
            }
        }
        self.check_kind_keys()?;
        Ok(self)
    }

    fn check_kind_keys(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        match self.kind {
            Kind::Value if self.value.is_none() => {
                return Err(Missing("`value` is required for kind = \"value\"".into()))
            }
            Kind::Rank if self.rank == Some(0) => {
                return Err(Invalid("rank counts from 1 (the first)".into()))
            }
            Kind::Change => {
                if self.from_year.is_none() || self.year.is_none() {
                    return Err(Missing(
                        "kind = \"change\" needs `from_year` and `year`".into(),
                    ));
                }
                if self.direction.is_none()
                    && self.value.is_none()
                    && self.from_value.is_none()
                    && self.change_pct.is_none()
                {
                    return Err(Missing(
                        "kind = \"change\" needs at least one of `direction`, `value`, `from_value`, `change_pct`".into(),
                    ));
                }
            }
            Kind::Sum | Kind::Mean
                if self.from_year.is_none() || self.year.is_none() || self.value.is_none() =>
            {
                return Err(Missing(format!(
                    "kind = \"{}\" needs `from_year`, `year` and `value`",
                    self.kind_name()
                )));
            }
            _ => {}
        }
        if self.relation == Relation::Between {
            match (self.value, self.value_max) {
                (Some(lo), Some(hi)) if lo <= hi => {}
                (Some(_), Some(_)) => {
                    return Err(Invalid("`value` must not exceed `value_max`".into()))
                }
                _ => {
                    return Err(Missing(
                        "relation = \"between\" needs `value` and `value_max`".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The kind as written in claim files.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Value => "value",
            Kind::Rank => "rank",
            Kind::Change => "change",
            Kind::Sum => "sum",
            Kind::Mean => "mean",
        }
    }
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A stable id from claim text: lowercase ASCII words joined by `-`, at most 60 characters.
pub fn slug(text: &str) -> String {
    let mut slug = String::new();
    // Accented letters keep their base letter: "Côte d'Ivoire" → `cote-d-ivoire`.
    let text = deunicode::deunicode(text);
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if !slug.is_empty() && slug.len() + word.len() + 1 > 60 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.extend(word.chars().filter(|c| c.is_ascii_alphanumeric()));
    }
    if slug.is_empty() {
        "claim".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_is_stable_and_short() {
        assert_eq!(
            slug("El Salvador's murder rate was 105 per 100,000 in 2015"),
            "el-salvador-s-murder-rate-was-105-per-100-000-in-2015"
        );
        assert!(slug(&"word ".repeat(40)).len() <= 60);
        assert_eq!(slug("¿?"), "claim");
        assert_eq!(
            slug("Côte d'Ivoire grew 6.5% in São Tomé"),
            "cote-d-ivoire-grew-6-5-in-sao-tome"
        );
    }

    #[test]
    fn tolerance_reads_relative_and_absolute() {
        assert_eq!(Tolerance::parse("2%"), Some(Tolerance::Relative(0.02)));
        assert_eq!(Tolerance::parse("0.5"), Some(Tolerance::Absolute(0.5)));
        assert_eq!(Tolerance::parse("-1"), None);
        assert_eq!(Tolerance::parse("x%"), None);
        assert_eq!(Tolerance::Relative(0.02).to_string(), "2%");
    }

    #[test]
    fn validate_requires_keys_per_kind() {
        let countries = country::Countries::embedded();
        let mut claim = Claim::new("a", "text");
        claim.indicator = Some("VC.IHR.PSRC.P5".into());
        claim.country = Some("El Salvador".into());
        let err = claim.clone().validate(&countries).unwrap_err();
        assert!(err.to_string().contains("`value` is required"), "{err}");
        claim.value = Some(105.0);
        let ok = claim.clone().validate(&countries).unwrap();
        assert_eq!(ok.country.as_deref(), Some("SLV"));
        claim.kind = Kind::Change;
        claim.from_year = Some(2016);
        claim.year = Some(2015);
        let err = claim.validate(&countries).unwrap_err();
        assert!(err.to_string().contains("before year"), "{err}");
    }

    #[test]
    fn validate_rejects_path_like_indicator_and_bad_cron() {
        let countries = country::Countries::embedded();
        let mut claim = Claim::new("a", "text");
        claim.indicator = Some("../../evil?x=1".into());
        claim.country = Some("SLV".into());
        claim.value = Some(1.0);
        assert!(claim.clone().validate(&countries).is_err());
        claim.indicator = Some("SP.POP.TOTL".into());
        claim.schedule = Some("every tuesday".into());
        let err = claim.validate(&countries).unwrap_err();
        assert!(err.to_string().contains("cron"), "{err}");
    }
}
