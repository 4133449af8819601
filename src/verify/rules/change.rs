//! Change claims: how the data moved between two years (computed), each claimed part
//! compared with it (direction, end value, start value, percentage), and the sentence.

use super::{Judge, Outcome};
use crate::claim::{
    Assertion, ChangeAmount, ChangeClaim, ChangeMeasure, ChangeSpan, Direction, Period, Relation,
};
use crate::source::Series;
use crate::verify::band::{compare, Comparison};
use crate::verify::{Grade, YearValue};

/// The data's values at both ends of a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Movement {
    /// Value in the first year.
    pub start: f64,
    /// Value in the last year.
    pub end: f64,
}

impl Movement {
    /// The change in percent of the start value.
    pub fn pct(self) -> f64 {
        (self.end - self.start) / self.start.abs() * 100.0
    }

    /// "a fall", "a rise" or "no change".
    fn went(self) -> &'static str {
        if self.end < self.start {
            "a fall"
        } else if self.end > self.start {
            "a rise"
        } else {
            "no change"
        }
    }

    /// True when the data moved the claimed way.
    pub fn goes(self, direction: Direction) -> bool {
        match direction {
            Direction::Decrease => self.end < self.start,
            Direction::Increase => self.end > self.start,
        }
    }
}

/// The values at both ends, or the years that have none.
pub(super) fn movement(series: &Series, iso3: &str, period: Period) -> Result<Movement, Vec<i32>> {
    let values = (
        series.value(iso3, period.from),
        series.value(iso3, period.to),
    );
    match values {
        (Some(start), Some(end)) => Ok(Movement { start, end }),
        (start, end) => Err([(period.from, start), (period.to, end)]
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(y, _)| *y)
            .collect()),
    }
}

impl Judge<'_> {
    /// A change over named years, or up to the latest year with data (said in the sentence).
    pub(super) fn change_over(&mut self, span: ChangeSpan, change: &ChangeClaim) -> Outcome {
        let (period, note) = match span {
            ChangeSpan::Years(period) => (period, String::new()),
            ChangeSpan::Since(from) => {
                let (to, note) = self.year(None)?;
                (Period { from, to }, note)
            }
            ChangeSpan::Last(n) => {
                let (to, note) = self.year(None)?;
                let from = to - i32::try_from(n).unwrap_or(i32::MAX / 2);
                (Period { from, to }, note)
            }
        };
        if period.from >= period.to {
            return Err(format!(
                "the latest year with data for {} is {}, not after {}: no change to check{note}.",
                self.name, period.to, period.from
            ));
        }
        let (grade, sentence) = self.change(period, change)?;
        Ok((grade, format!("{sentence}{}", note_sentence(&note))))
    }

    pub(super) fn change(&mut self, period: Period, change: &ChangeClaim) -> Outcome {
        let Period { from, to } = period;
        self.evidence.years = vec![from, to];
        let moved = movement(self.ctx.series, &self.iso3, period)
            .map_err(|missing| self.no_value(&missing))?;
        self.evidence.values = vec![
            YearValue {
                year: from,
                value: moved.start,
            },
            YearValue {
                year: to,
                value: moved.end,
            },
        ];
        self.evidence.actual = Some(moved.end);
        let mut sentence = format!(
            "{} {} for {} in {from} and {} in {to} {}, {} of {:.1}%",
            self.reports(),
            self.fmt(moved.start),
            self.name,
            self.fmt(moved.end),
            self.vintage(),
            moved.went(),
            moved.pct().abs()
        );
        let mut grade = Grade::True;
        if let Some(direction) = change.direction.filter(|d| !moved.goes(*d)) {
            grade = Grade::False;
            let claimed = match direction {
                Direction::Decrease => "fall",
                Direction::Increase => "rise",
            };
            sentence.push_str(&format!("; the claimed {claimed} did not happen"));
        }
        let parts = self.claimed_parts(period, change, moved, &mut grade);
        if !parts.is_empty() {
            sentence.push_str("; ");
            sentence.push_str(&parts.join("; "));
        }
        sentence.push('.');
        Ok((grade, sentence))
    }

    /// Each claimed number of the change against the data, worsening `grade` as needed.
    fn claimed_parts(
        &mut self,
        period: Period,
        change: &ChangeClaim,
        moved: Movement,
        grade: &mut Grade,
    ) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(claimed) = &change.end {
            let c = compare(claimed, moved.end, self.ctx.grading);
            self.record(claimed.value, moved.end, &c);
            *grade = grade.worst(c.grade);
            let what = format!("the claimed {} value", period.to);
            parts.push(self.comparison_phrase(&what, claimed, &c));
        }
        if let Some(claimed) = change.from_value {
            let c = self.compare_plain(claimed, Relation::Eq, moved.start, change);
            *grade = grade.worst(c.grade);
            let verdict = if c.holds {
                "matches".to_string()
            } else {
                format!("is {:.1}% off", c.deviation.abs() * 100.0)
            };
            parts.push(format!(
                "the claimed {} value {} {verdict}",
                period.from,
                self.fmt(claimed)
            ));
        }
        if let Some(amount) = &change.amount {
            let (c, phrase) = self.amount(amount, moved);
            *grade = grade.worst(c.grade);
            parts.push(phrase);
        }
        parts
    }

    /// The claimed size of the change against the data's. A percentage or factor stated
    /// without a hedge or bound ("grew 30%", "doubled") is read at ±5% (the approx band):
    /// such round statements of change are not meant to the last digit.
    fn amount(&self, amount: &ChangeAmount, moved: Movement) -> (Comparison, String) {
        let mut claimed = amount.claimed;
        let actual = match amount.measure {
            ChangeMeasure::Percent => moved.pct(),
            ChangeMeasure::Factor => moved.end / moved.start,
            ChangeMeasure::Absolute => moved.end - moved.start,
        };
        if claimed.relation == Relation::Eq && amount.measure != ChangeMeasure::Absolute {
            claimed.relation = Relation::Approx;
        }
        if amount.measure == ChangeMeasure::Factor && claimed.tolerance.is_none() {
            // "doubled" is 1.9 to 2.1, not the ±0.5 the digit 2 would allow at its
            // precision: a +52% rise called "doubled" must not pass.
            claimed.tolerance = Some(crate::claim::Tolerance::Relative(
                self.ctx.grading.approx_band,
            ));
        }
        let c = compare(
            &shrinking_nearly(claimed, amount.measure, self.ctx.grading),
            actual,
            self.ctx.grading,
        );
        let (said, was) = match amount.measure {
            ChangeMeasure::Percent => (
                format!(
                    "change of {}{}{}%",
                    relation_words(claimed.relation),
                    if claimed.value > 0.0 { "+" } else { "" },
                    super::words::claimed_number(claimed.value)
                ),
                format!("{actual:+.1}%"),
            ),
            ChangeMeasure::Factor => (
                format!(
                    "factor of {}{}",
                    relation_words(claimed.relation),
                    super::words::claimed_number(claimed.value)
                ),
                format!("{actual:.2}×"),
            ),
            ChangeMeasure::Absolute => (
                format!(
                    "change of {}{}{}",
                    relation_words(claimed.relation),
                    if claimed.value > 0.0 { "+" } else { "" },
                    self.fmt(claimed.value)
                ),
                format!(
                    "{}{}",
                    if actual > 0.0 { "+" } else { "" },
                    self.fmt(actual)
                ),
            ),
        };
        let verdict = if c.holds {
            format!("matches ({was})")
        } else {
            format!("differs: the data give {was}")
        };
        (c, format!("the claimed {said} {verdict}"))
    }

    /// A claimed start value against the data, with the change's tolerance.
    fn compare_plain(
        &self,
        claimed: f64,
        relation: Relation,
        actual: f64,
        change: &ChangeClaim,
    ) -> Comparison {
        let assertion = Assertion {
            relation,
            value: claimed,
            value_max: None,
            tolerance: change.tolerance,
        };
        compare(&assertion, actual, self.ctx.grading)
    }
}

/// "Nearly halved", "fell by almost 50%": the size of a fall nearly reached, so the data lie
/// between the claim and a little short of it on the side of no change (a factor of 0.5 to
/// 0.525, a change of −50% to −47.5%). `nearly` on its own bounds from above, right for a
/// rise ("nearly doubled": 1.9× to 2×) and the wrong way round for a fall: "cut by almost
/// half" (−48.3%) was graded a miss.
fn shrinking_nearly(
    claimed: Assertion,
    measure: ChangeMeasure,
    grading: &crate::config::GradingConfig,
) -> Assertion {
    let shrinking = match measure {
        ChangeMeasure::Factor => claimed.value < 1.0,
        ChangeMeasure::Percent | ChangeMeasure::Absolute => claimed.value < 0.0,
    };
    if claimed.relation != Relation::Nearly || !shrinking {
        return claimed;
    }
    let (low, high, _) = crate::verify::band::band(&claimed, grading);
    Assertion {
        relation: Relation::Between,
        value: claimed.value,
        value_max: Some(claimed.value + (high - low)),
        tolerance: None,
    }
}

/// "more than ", "nearly " … before a claimed amount; nothing for a plain one.
fn relation_words(relation: Relation) -> &'static str {
    match relation {
        Relation::Eq | Relation::Approx => "",
        Relation::Nearly => "nearly ",
        Relation::Gt => "more than ",
        Relation::Gte => "at least ",
        Relation::Lt => "less than ",
        Relation::Lte => "at most ",
        Relation::Between => "between ",
    }
}

/// " (no year claimed; latest year with data: 2023)" as a sentence of its own.
fn note_sentence(note: &str) -> String {
    let inner = note.trim().trim_start_matches('(').trim_end_matches(')');
    if inner.is_empty() {
        String::new()
    } else {
        let mut chars = inner.chars();
        let first = chars
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default();
        format!(" {first}{}.", chars.as_str())
    }
}
