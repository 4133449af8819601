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
mod spec;
pub mod wdi_match;

pub use spec::{AllYears, ClaimSpec};

use serde::{Deserialize, Serialize};

/// The default data source (`source`); `owid` is the other.
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
    /// The country's own highest or lowest in a window of years ("the highest in 30 years").
    Record,
    /// Two places in one year: "three times Chile's", "higher than Mexico's", "overtook".
    Compare,
    /// Moves the same way N years in a row ("fell for seven years in a row").
    Streak,
    /// Moving one way in the latest years with data ("is rising").
    Trend,
    /// A place's part of a whole, in percent ("3% of the world's CO2", "a sixth of humanity").
    Share,
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

/// The names claim files and JSON use for a claim enum's variants, for `Display`.
macro_rules! written_as {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The name claim files and JSON use.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
written_as!(Kind { Value => "value", Rank => "rank", Change => "change", Sum => "sum", Mean => "mean", Record => "record", Compare => "compare", Streak => "streak", Trend => "trend", Share => "share" });
written_as!(Event { Overtake => "overtake" });

/// Something that happened between two places, in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// Below (or level with) the other place the year before, above it in the year.
    Overtake,
}

/// How long a claimed streak is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreakLength {
    /// N annual moves in a row, ending in the claim's year; `at_least` for "more than N".
    Moves {
        /// How many.
        n: u32,
        /// "for more than ten years": a longer streak holds too, and N itself does not.
        more: bool,
    },
    /// Every annual move from this year to the claim's ("every year since 2014").
    Since(i32),
}

/// How a comparison between two places is claimed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Versus {
    /// Higher (`gt`) or lower (`lt`) than the other place.
    Side(Relation),
    /// The ratio of the two values ("three times": 3, with its relation).
    Ratio(Assertion),
    /// Overtook the other place in the year.
    Overtake,
}
written_as!(Extreme { Max => "max", Min => "min" });

/// Which end of its own series a record claim says the value reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Extreme {
    /// The highest.
    Max,
    /// The lowest.
    Min,
}

/// The years a record is set against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordWindow {
    /// Every earlier year with data ("a record", "ever", "on record").
    All,
    /// The N years before the claimed one ("the highest in 30 years").
    Years(u32),
    /// Every year after this one ("the lowest since 1994"), which itself was as extreme.
    Since(i32),
}
written_as!(Relation { Eq => "eq", Approx => "approx", Nearly => "nearly", Gt => "gt", Gte => "gte", Lt => "lt", Lte => "lte", Between => "between" });
written_as!(Order { Desc => "desc", Asc => "asc" });
written_as!(Direction { Decrease => "decrease", Increase => "increase" });

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

/// A validated claim: what it says (`kind`, with exactly the fields that kind needs) and its
/// labels. Made only by [`ClaimSpec::validate`]; stored and sent as its [`ClaimSpec`] keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ClaimSpec", try_from = "ClaimSpec")]
pub struct Claim {
    /// Stable identifier (given, or a slug of the text).
    pub id: String,
    /// The claim as written by the fact-checker or the article.
    pub text: String,
    /// Data source: `worldbank` (default) or `owid`.
    pub source: String,
    /// What is asserted.
    pub kind: ClaimKind,
    /// Cron expression for scheduled re-checks.
    pub schedule: Option<String>,
    /// Free labels.
    pub tags: Vec<String>,
    /// A note for readers, e.g. why no series answers the claim.
    pub note: Option<String>,
    /// A claim with no year, made in this year: "latest" is the latest year with data up to
    /// it.
    pub latest_by: Option<i32>,
    /// The sentence denies the claim: the verdict is the opposite.
    pub negated: bool,
}

/// The series a claim is about: one indicator for one country (or aggregate).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    /// Indicator code (e.g. `VC.IHR.PSRC.P5`).
    pub indicator: String,
    /// ISO3 code of the country or World Bank aggregate.
    pub country: String,
}

/// A span of years, `from` before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First year.
    pub from: i32,
    /// Last year.
    pub to: i32,
}

/// The years a change is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSpan {
    /// Between two named years.
    Years(Period),
    /// From a year to the latest with data ("has more than halved since 2011").
    Since(i32),
    /// Over the last N years with data ("over the past 15 years").
    Last(u32),
}

/// What the claim asserts about one number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assertion {
    /// How it relates to the data.
    pub relation: Relation,
    /// The claimed number (lower bound for `between`).
    pub value: f64,
    /// Upper bound for `between` (always set then, and not below `value`).
    pub value_max: Option<f64>,
    /// Explicit tolerance, if any.
    pub tolerance: Option<Tolerance>,
}

/// A claimed position in a ranking of economies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking {
    /// The claimed place, 1 = first.
    pub rank: u32,
    /// `desc`: 1 is the highest.
    pub order: Order,
    /// "among the N highest" (any place up to `rank`) rather than exactly `rank`.
    pub within: bool,
    /// Peer set (ISO3, regions expand to their economies); empty means every economy.
    pub among: Vec<String>,
}

/// A claimed change between two years; at least one of its parts is set.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeClaim {
    /// The claimed direction.
    pub direction: Option<Direction>,
    /// The claimed end value ("dropped to around 82").
    pub end: Option<Assertion>,
    /// The claimed start value.
    pub from_value: Option<f64>,
    /// The claimed size of the change ("by 10%", "doubled", "by 4 years").
    pub amount: Option<ChangeAmount>,
    /// Explicit tolerance for the start value and the amount.
    pub tolerance: Option<Tolerance>,
}

/// How a change's size is stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeMeasure {
    /// In percent of the start value (negative for a fall): `change_pct`.
    Percent,
    /// As the end value over the start value ("doubled" is 2): `factor`.
    Factor,
    /// In the indicator's unit (negative for a fall): `change_abs`.
    Absolute,
}

/// A claimed size of a change: the measure and the claimed number with its relation
/// (the claim's `relation` when no end value takes it, else `eq`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeAmount {
    /// How the size is stated.
    pub measure: ChangeMeasure,
    /// The claimed number.
    pub claimed: Assertion,
}

/// What a claim asserts, with the fields each kind needs and no others.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimKind {
    /// No series answers the claim: it is stored with its note and comes out unverifiable.
    Unanswered {
        /// The number it states, if any (shown as the claimed value).
        value: Option<f64>,
    },
    /// One value in one year (`None`: the latest year with data).
    Value {
        /// The series.
        subject: Subject,
        /// The year.
        year: Option<i32>,
        /// The claimed number.
        claimed: Assertion,
    },
    /// A place in a ranking in one year.
    Rank {
        /// The series.
        subject: Subject,
        /// The year (`None`: the latest with data).
        year: Option<i32>,
        /// The claimed place.
        ranking: Ranking,
    },
    /// A change between two years.
    Change {
        /// The series.
        subject: Subject,
        /// The years.
        period: ChangeSpan,
        /// What changed, as claimed.
        change: ChangeClaim,
    },
    /// The total over a period.
    Sum {
        /// The series.
        subject: Subject,
        /// The years (every year needs a value).
        period: Period,
        /// The claimed total.
        claimed: Assertion,
    },
    /// The country's own highest or lowest over a window of years.
    Record {
        /// The series.
        subject: Subject,
        /// The year (`None`: the latest with data).
        year: Option<i32>,
        /// Highest or lowest.
        extreme: Extreme,
        /// Against which years.
        window: RecordWindow,
    },
    /// The subject's value against another place's in the same year.
    Compare {
        /// The series.
        subject: Subject,
        /// The other place (ISO3 or aggregate), on the same indicator.
        other: String,
        /// The year (`None`: the latest both have data for).
        year: Option<i32>,
        /// What is claimed.
        versus: Versus,
    },
    /// The same direction every year of a streak.
    Streak {
        /// The series.
        subject: Subject,
        /// The last year (`None`: the latest with data).
        year: Option<i32>,
        /// Up or down.
        direction: Direction,
        /// How long.
        length: StreakLength,
    },
    /// A direction in the latest years with data.
    Trend {
        /// The series.
        subject: Subject,
        /// The last year (`None`: the latest with data).
        year: Option<i32>,
        /// Up or down.
        direction: Direction,
    },
    /// The subject's value as a percentage of a whole's (an aggregate's, usually the world's).
    Share {
        /// The series (additive: a count or money).
        subject: Subject,
        /// The whole (ISO3 or aggregate code).
        of: String,
        /// The year (`None`: the latest both have data for).
        year: Option<i32>,
        /// The claimed share in percent.
        claimed: Assertion,
    },
    /// The average over a period.
    Mean {
        /// The series.
        subject: Subject,
        /// The years (every year needs a value).
        period: Period,
        /// The claimed average.
        claimed: Assertion,
    },
}

/// The claimed size of a change in a checked spec (at most one of its keys is set).
fn change_amount(spec: &ClaimSpec) -> Option<ChangeAmount> {
    let (measure, value) = [
        (ChangeMeasure::Percent, spec.change_pct),
        (ChangeMeasure::Factor, spec.factor),
        (ChangeMeasure::Absolute, spec.change_abs),
    ]
    .into_iter()
    .find_map(|(measure, value)| value.map(|v| (measure, v)))?;
    let relation = if spec.value.is_none() {
        spec.relation
    } else {
        Relation::Eq
    };
    Some(ChangeAmount {
        measure,
        claimed: Assertion {
            relation,
            value,
            value_max: None,
            tolerance: spec.tolerance,
        },
    })
}

impl Claim {
    /// The claim a checked spec describes. Only [`ClaimSpec::validate`] calls this, after
    /// every key it reads here was checked, so the defaults below are never used.
    // Long but flat: one arm per claim kind, each naming the keys that kind takes.
    fn from_checked(spec: ClaimSpec) -> Self {
        let subject = match (&spec.indicator, &spec.country) {
            (Some(indicator), Some(country)) => Some(Subject {
                indicator: indicator.clone(),
                country: country.clone(),
            }),
            _ => None,
        };
        let assertion = |value: f64| Assertion {
            relation: spec.relation,
            value,
            value_max: spec.value_max,
            tolerance: spec.tolerance,
        };
        let period = Period {
            from: spec.from_year.unwrap_or_default(),
            to: spec.year.unwrap_or_default(),
        };
        let kind = match (subject, spec.kind) {
            (None, _) => ClaimKind::Unanswered { value: spec.value },
            (Some(subject), Kind::Value) => ClaimKind::Value {
                subject,
                year: spec.year,
                claimed: assertion(spec.value.unwrap_or_default()),
            },
            (Some(subject), Kind::Rank) => ClaimKind::Rank {
                subject,
                year: spec.year,
                ranking: Ranking {
                    rank: spec.rank.unwrap_or(1),
                    order: spec.order.unwrap_or_default(),
                    within: matches!(spec.relation, Relation::Lte | Relation::Lt),
                    among: spec.among.clone(),
                },
            },
            (Some(subject), Kind::Change) => ClaimKind::Change {
                subject,
                period: match (spec.from_year, spec.year, spec.span_years) {
                    (Some(_), Some(_), _) => ChangeSpan::Years(period),
                    (Some(from), None, _) => ChangeSpan::Since(from),
                    (None, _, span) => ChangeSpan::Last(span.unwrap_or(1)),
                },
                change: ChangeClaim {
                    direction: spec.direction,
                    end: spec.value.map(assertion),
                    from_value: spec.from_value,
                    amount: change_amount(&spec),
                    tolerance: spec.tolerance,
                },
            },
            (Some(subject), Kind::Sum) => ClaimKind::Sum {
                subject,
                period,
                claimed: assertion(spec.value.unwrap_or_default()),
            },
            (Some(subject), Kind::Mean) => ClaimKind::Mean {
                subject,
                period,
                claimed: assertion(spec.value.unwrap_or_default()),
            },
            (Some(subject), Kind::Compare) => ClaimKind::Compare {
                subject,
                other: spec.other.clone().unwrap_or_default(),
                year: spec.year,
                versus: match (spec.event, spec.factor) {
                    (Some(Event::Overtake), _) => Versus::Overtake,
                    (None, Some(factor)) => Versus::Ratio(assertion(factor)),
                    (None, None) => Versus::Side(spec.relation),
                },
            },
            (Some(subject), Kind::Streak) => ClaimKind::Streak {
                subject,
                year: spec.year,
                direction: spec.direction.unwrap_or(Direction::Increase),
                length: match (spec.years, spec.from_year) {
                    (Some(n), _) => StreakLength::Moves {
                        n,
                        more: matches!(spec.relation, Relation::Gt),
                    },
                    (None, from) => StreakLength::Since(from.unwrap_or_default()),
                },
            },
            (Some(subject), Kind::Share) => ClaimKind::Share {
                subject,
                of: spec.of.clone().unwrap_or_default(),
                year: spec.year,
                claimed: assertion(spec.value.unwrap_or_default()),
            },
            (Some(subject), Kind::Trend) => ClaimKind::Trend {
                subject,
                year: spec.year,
                direction: spec.direction.unwrap_or(Direction::Increase),
            },
            (Some(subject), Kind::Record) => ClaimKind::Record {
                subject,
                year: spec.year,
                extreme: spec.extreme.unwrap_or(Extreme::Max),
                window: match (spec.window_years, spec.since) {
                    (Some(n), _) => RecordWindow::Years(n),
                    (None, Some(since)) => RecordWindow::Since(since),
                    (None, None) => RecordWindow::All,
                },
            },
        };
        Self {
            id: spec.id,
            text: spec.text,
            source: spec.source,
            kind,
            schedule: spec.schedule,
            tags: spec.tags,
            note: spec.note,
            latest_by: spec.latest_by,
            negated: spec.negated,
        }
    }

    /// The series the claim is about; `None` when no series answers it.
    pub fn subject(&self) -> Option<&Subject> {
        match &self.kind {
            ClaimKind::Unanswered { .. } => None,
            ClaimKind::Value { subject, .. }
            | ClaimKind::Rank { subject, .. }
            | ClaimKind::Change { subject, .. }
            | ClaimKind::Sum { subject, .. }
            | ClaimKind::Record { subject, .. }
            | ClaimKind::Compare { subject, .. }
            | ClaimKind::Streak { subject, .. }
            | ClaimKind::Trend { subject, .. }
            | ClaimKind::Share { subject, .. }
            | ClaimKind::Mean { subject, .. } => Some(subject),
        }
    }

    /// The peer set of a rank claim (empty for other kinds).
    pub fn among(&self) -> &[String] {
        match &self.kind {
            ClaimKind::Rank { ranking, .. } => &ranking.among,
            _ => &[],
        }
    }

    /// The number the claim states first (the value, the end value, the rank), if any.
    pub fn claimed_value(&self) -> Option<f64> {
        match &self.kind {
            ClaimKind::Unanswered { value } => *value,
            ClaimKind::Value { claimed, .. }
            | ClaimKind::Share { claimed, .. }
            | ClaimKind::Sum { claimed, .. }
            | ClaimKind::Mean { claimed, .. } => Some(claimed.value),
            ClaimKind::Change { change, .. } => change.end.map(|a| a.value),
            ClaimKind::Rank { ranking, .. } => Some(f64::from(ranking.rank)),
            ClaimKind::Record { .. } | ClaimKind::Trend { .. } => None,
            ClaimKind::Streak { length, .. } => match length {
                StreakLength::Moves { n, .. } => Some(f64::from(*n)),
                StreakLength::Since(_) => None,
            },
            ClaimKind::Compare { versus, .. } => match versus {
                Versus::Ratio(ratio) => Some(ratio.value),
                _ => None,
            },
        }
    }

    /// The claim's keys as written in claim files.
    pub fn spec(&self) -> ClaimSpec {
        ClaimSpec::from(self.clone())
    }
}

// Long but flat: one arm per claim kind, the inverse of `Claim::from_checked`.
impl From<Claim> for ClaimSpec {
    fn from(claim: Claim) -> Self {
        let mut spec = ClaimSpec::new(claim.id, claim.text);
        spec.source = claim.source;
        spec.schedule = claim.schedule;
        spec.tags = claim.tags;
        spec.note = claim.note;
        spec.latest_by = claim.latest_by;
        spec.negated = claim.negated;
        let set_subject = |spec: &mut ClaimSpec, subject: Subject| {
            spec.indicator = Some(subject.indicator);
            spec.country = Some(subject.country);
        };
        let set_assertion = |spec: &mut ClaimSpec, a: Assertion| {
            spec.relation = a.relation;
            spec.value = Some(a.value);
            spec.value_max = a.value_max;
            spec.tolerance = a.tolerance;
        };
        match claim.kind {
            ClaimKind::Unanswered { value } => spec.value = value,
            ClaimKind::Value {
                subject,
                year,
                claimed,
            } => {
                set_subject(&mut spec, subject);
                spec.year = year;
                set_assertion(&mut spec, claimed);
            }
            ClaimKind::Rank {
                subject,
                year,
                ranking,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Rank;
                spec.year = year;
                spec.rank = Some(ranking.rank);
                spec.order = Some(ranking.order);
                spec.relation = if ranking.within {
                    Relation::Lte
                } else {
                    Relation::Eq
                };
                spec.among = ranking.among;
            }
            ClaimKind::Change {
                subject,
                period,
                change,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Change;
                match period {
                    ChangeSpan::Years(p) => {
                        (spec.from_year, spec.year) = (Some(p.from), Some(p.to))
                    }
                    ChangeSpan::Since(from) => spec.from_year = Some(from),
                    ChangeSpan::Last(n) => spec.span_years = Some(n),
                }
                if let Some(end) = change.end {
                    set_assertion(&mut spec, end);
                }
                spec.direction = change.direction;
                spec.from_value = change.from_value;
                if let Some(amount) = change.amount {
                    let slot = match amount.measure {
                        ChangeMeasure::Percent => &mut spec.change_pct,
                        ChangeMeasure::Factor => &mut spec.factor,
                        ChangeMeasure::Absolute => &mut spec.change_abs,
                    };
                    *slot = Some(amount.claimed.value);
                    if change.end.is_none() {
                        spec.relation = amount.claimed.relation;
                    }
                }
                spec.tolerance = change.tolerance;
            }
            ClaimKind::Sum {
                subject,
                period,
                claimed,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Sum;
                (spec.from_year, spec.year) = (Some(period.from), Some(period.to));
                set_assertion(&mut spec, claimed);
            }
            ClaimKind::Mean {
                subject,
                period,
                claimed,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Mean;
                (spec.from_year, spec.year) = (Some(period.from), Some(period.to));
                set_assertion(&mut spec, claimed);
            }
            ClaimKind::Streak {
                subject,
                year,
                direction,
                length,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Streak;
                spec.year = year;
                spec.direction = Some(direction);
                match length {
                    StreakLength::Moves { n, more } => {
                        spec.years = Some(n);
                        spec.from_year = year.map(|y| y - i32::try_from(n).unwrap_or(0) + 1);
                        spec.relation = if more { Relation::Gt } else { Relation::Eq };
                    }
                    StreakLength::Since(from) => spec.from_year = Some(from),
                }
            }
            ClaimKind::Share {
                subject,
                of,
                year,
                claimed,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Share;
                spec.of = Some(of);
                spec.year = year;
                set_assertion(&mut spec, claimed);
            }
            ClaimKind::Trend {
                subject,
                year,
                direction,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Trend;
                spec.year = year;
                spec.direction = Some(direction);
            }
            ClaimKind::Compare {
                subject,
                other,
                year,
                versus,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Compare;
                spec.other = Some(other);
                spec.year = year;
                match versus {
                    Versus::Side(relation) => spec.relation = relation,
                    Versus::Ratio(ratio) => {
                        spec.factor = Some(ratio.value);
                        spec.relation = ratio.relation;
                        spec.tolerance = ratio.tolerance;
                    }
                    Versus::Overtake => {
                        spec.event = Some(Event::Overtake);
                        spec.relation = Relation::Gt;
                    }
                }
            }
            ClaimKind::Record {
                subject,
                year,
                extreme,
                window,
            } => {
                set_subject(&mut spec, subject);
                spec.kind = Kind::Record;
                spec.year = year;
                spec.extreme = Some(extreme);
                match window {
                    RecordWindow::All => spec.window = Some(AllYears::All),
                    RecordWindow::Years(n) => spec.window_years = Some(n),
                    RecordWindow::Since(y) => spec.since = Some(y),
                }
            }
        }
        spec
    }
}

/// A stored or sent claim is read back through the same gate (its codes are already
/// resolved, so this only re-checks them).
impl TryFrom<ClaimSpec> for Claim {
    type Error = ClaimError;
    fn try_from(spec: ClaimSpec) -> Result<Self, Self::Error> {
        spec.validate(country::Countries::shared())
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

    /// A schedule that parses but never fires is refused: the claim would never be
    /// re-checked, and nothing would say so.
    #[test]
    fn a_schedule_that_never_fires_is_refused() {
        let countries = country::Countries::embedded();
        let mut claim = ClaimSpec::new("a", "text");
        claim.indicator = Some("VC.IHR.PSRC.P5".into());
        claim.country = Some("SLV".into());
        claim.value = Some(105.0);
        claim.schedule = Some("0 6 31 2 *".into());
        let err = claim.clone().validate(&countries).unwrap_err();
        assert!(err.to_string().contains("never fires"), "{err}");
        claim.schedule = Some("0 6 29 2 *".into());
        assert!(claim.validate(&countries).is_ok(), "leap days come");
    }

    #[test]
    fn validate_requires_keys_per_kind() {
        let countries = country::Countries::embedded();
        let mut claim = ClaimSpec::new("a", "text");
        claim.indicator = Some("VC.IHR.PSRC.P5".into());
        claim.country = Some("El Salvador".into());
        let err = claim.clone().validate(&countries).unwrap_err();
        assert!(err.to_string().contains("`value` is required"), "{err}");
        claim.value = Some(105.0);
        let ok = claim.clone().validate(&countries).unwrap();
        assert_eq!(ok.subject().unwrap().country, "SLV");
        assert!(matches!(ok.kind, ClaimKind::Value { .. }));
        assert_eq!(ok.spec().country.as_deref(), Some("SLV"), "round trip");
        claim.kind = Kind::Change;
        claim.from_year = Some(2016);
        claim.year = Some(2015);
        let err = claim.validate(&countries).unwrap_err();
        assert!(err.to_string().contains("before year"), "{err}");
    }

    #[test]
    fn validate_rejects_path_like_indicator_and_bad_cron() {
        let countries = country::Countries::embedded();
        let mut claim = ClaimSpec::new("a", "text");
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

#[cfg(test)]
mod round_trip {
    use super::*;

    #[test]
    fn every_kind_survives_the_wire_format() {
        let text = r#"
[[claim]]
id = "v"
text = "t"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
year = 2015
value = 105
relation = "between"
value_max = 110
tolerance = "2%"

[[claim]]
id = "r"
text = "t"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
kind = "rank"
rank = 3
relation = "lte"
order = "asc"
among = ["LCN"]

[[claim]]
id = "c"
text = "t"
indicator = "SP.POP.TOTL"
country = "SLV"
kind = "change"
from_year = 2000
year = 2010
direction = "increase"
from_value = 5
change_pct = 10

[[claim]]
id = "m"
text = "t"
indicator = "SP.POP.TOTL"
country = "SLV"
kind = "mean"
from_year = 2000
year = 2010
value = 6

[[claim]]
id = "u"
text = "t"
note = "no series"
tags = ["x"]
"#;
        let parsed = file::parse(
            std::path::Path::new("t.toml"),
            text,
            country::Countries::shared(),
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.claims.len(), 5);
        for claim in &parsed.claims {
            let json = serde_json::to_string(claim).unwrap();
            let back: Claim = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, claim, "{json}");
        }
        assert!(matches!(
            parsed.claims[1].kind,
            ClaimKind::Rank {
                ranking: Ranking {
                    rank: 3,
                    within: true,
                    order: Order::Asc,
                    ..
                },
                ..
            }
        ));
        assert!(matches!(
            parsed.claims[4].kind,
            ClaimKind::Unanswered { value: None }
        ));
    }
}
