//! Record claims: the claimed year's value against the country's own series over the window
//! ("the highest in 30 years", "the lowest since 1994", "a record high"). A near miss is
//! graded by the gap to the value that would have made the claim true, as rank near misses
//! are: within the data's precision `mostly-true`, within 5% `half-true`, within 10%
//! `mostly-false`, beyond that `false`. The explanation names the year that beat it, or the
//! last time the value was as extreme before the window.

use super::{Judge, Outcome};
use crate::claim::{Extreme, RecordWindow};
use crate::verify::band::precision_half_width;
use crate::verify::Grade;

/// Grade for a record missed by `gap` (relative to the claimed year's value), `within`
/// being the data's precision.
pub(super) fn near_miss_grade(gap: f64, within: bool) -> Grade {
    if within {
        Grade::MostlyTrue
    } else if gap <= 0.05 {
        Grade::HalfTrue
    } else if gap <= 0.10 {
        Grade::MostlyFalse
    } else {
        Grade::False
    }
}

impl Judge<'_> {
    pub(super) fn own_record(
        &mut self,
        year: Option<i32>,
        extreme: Extreme,
        window: RecordWindow,
    ) -> Outcome {
        let (year, year_note) = self.year(year)?;
        let value = self.value_in(year)?;
        let series = self.ctx.series.values_for(&self.iso3);
        let first = series.first().map(|(y, _)| *y).unwrap_or(year);
        let from = match window {
            RecordWindow::All => first,
            RecordWindow::Years(n) => year - n as i32,
            RecordWindow::Since(since) => since + 1,
        };
        if from < first {
            return Err(format!(
                "{} has {} data for {} only from {first}, so a record since {from} cannot be checked {}.",
                super::source_label(&self.ctx.series.source),
                self.ctx.series.indicator_name.as_deref().unwrap_or("this series"),
                self.name,
                self.vintage()
            ));
        }
        let beats = |other: f64| match extreme {
            Extreme::Max => other > value,
            Extreme::Min => other < value,
        };
        let window_values: Vec<(i32, f64)> = series
            .iter()
            .copied()
            .filter(|(y, _)| *y >= from && *y < year)
            .collect();
        self.evidence.years = (from..=year).collect();
        let (word, most) = match extreme {
            Extreme::Max => ("highest", "higher"),
            Extreme::Min => ("lowest", "lower"),
        };
        let stated = format!(
            "{} {} for {} in {year}{year_note} {}",
            self.reports(),
            self.fmt(value),
            self.name,
            self.vintage()
        );
        let best = window_values
            .iter()
            .copied()
            .filter(|(_, v)| beats(*v))
            .reduce(|a, b| if beats_other(extreme, b.1, a.1) { b } else { a });
        let since_holds = match window {
            RecordWindow::Since(since) => self
                .ctx
                .series
                .value(&self.iso3, since)
                .map(|v| beats(v) || v == value),
            _ => Some(true),
        };
        match (best, since_holds) {
            (None, Some(true)) => {
                // A year of the window the data lack could have been lower (or higher):
                // every year the data hold agrees, but that does not show the record. Named,
                // so a reader can check them elsewhere.
                let missing: Vec<String> = (from..year)
                    .filter(|y| self.ctx.series.value(&self.iso3, *y).is_none())
                    .map(|y| y.to_string())
                    .collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "{stated}, the {word} of every year with data since {from}; but the data have no value for {}, and any of those years could have been {most}, so the record cannot be checked.",
                        missing.join(", ")
                    ));
                }
                let before = series
                    .iter()
                    .rev()
                    .find(|(y, v)| *y < from && (beats(*v) || *v == value));
                // "The last time it was as low" only when no year between is missing.
                let before = before.filter(|(y, _)| {
                    (y + 1..from).all(|k| self.ctx.series.value(&self.iso3, k).is_some())
                });
                let last = match before {
                    Some((y, v)) => format!(
                        "; the last time it was as {} or {most} was {y} ({})",
                        &word[..word.len() - 3],
                        self.fmt(*v)
                    ),
                    None => format!("; the data begin in {first}"),
                };
                Ok((
                    Grade::True,
                    format!(
                        "{stated}, the {word} since at least {from}{last}."
                    ),
                ))
            }
            (None, Some(false)) => Ok((
                Grade::False,
                format!(
                    "{stated}: every year after {from_year} was {more}, but {from_year} itself was not as {}, so \"since {from_year}\" names the wrong year.",
                    &word[..word.len() - 3],
                    from_year = from - 1,
                    more = if extreme == Extreme::Max { "lower" } else { "higher" },
                ),
            )),
            (None, None) => Err(format!(
                "{} has no {} value for {} in {}, the year the claim says the record goes back to {}.",
                super::source_label(&self.ctx.series.source),
                self.ctx.series.indicator_name.as_deref().unwrap_or("this series"),
                self.name,
                from - 1,
                self.vintage()
            )),
            (Some((y, v)), _) => {
                // The claim's own words: "since 1996" is 1997 on, and saying "since 1997"
                // misquoted it.
                let claimed = match window {
                    RecordWindow::Since(since) => format!("since {since}"),
                    _ => format!("since {from}"),
                };
                let gap = ((v - value) / value.abs()).abs();
                let within = (v - value).abs() <= precision_half_width(value, self.ctx.grading);
                let grade = near_miss_grade(gap, within);
                Ok((
                    grade,
                    format!(
                        "{stated}, not the {word} {claimed}: {y} had {} ({most}, {:.1}% apart).",
                        self.fmt(v),
                        gap * 100.0
                    ),
                ))
            }
        }
    }
}

/// True when `a` is more extreme than `b`.
fn beats_other(extreme: Extreme, a: f64, b: f64) -> bool {
    match extreme {
        Extreme::Max => a > b,
        Extreme::Min => a < b,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{claim, judge_on, series};
    use crate::claim::{Extreme, Kind};
    use crate::verify::{Grade, Verdict};

    /// Honduras 2010–2016: a peak in 2012, a low in 2016, 2010 as low as 2016.
    fn judge(year: i32, extreme: Extreme, window: (&str, i32)) -> Verdict {
        let s = series(&[
            ("HND", 2010, Some(50.0)),
            ("HND", 2011, Some(70.0)),
            ("HND", 2012, Some(80.0)),
            ("HND", 2013, Some(78.0)),
            ("HND", 2014, Some(66.0)),
            ("HND", 2015, Some(57.0)),
            ("HND", 2016, Some(50.0)),
        ]);
        let mut c = claim(Kind::Record);
        c.country = Some("HND".into());
        c.year = Some(year);
        c.extreme = Some(extreme);
        match window {
            ("years", n) => c.window_years = Some(n as u32),
            ("since", y) => c.since = Some(y),
            _ => c.window = Some(crate::claim::AllYears::All),
        }
        judge_on(&s, &c)
    }

    #[test]
    fn records_against_their_windows() {
        use Extreme::{Max, Min};
        let table: &[(i32, Extreme, (&str, i32), Grade)] = &[
            (2012, Max, ("all", 0), Grade::True),
            (2012, Max, ("years", 2), Grade::True),
            // 2013 (78) is 2.5% under 2012 (80): a near miss graded by the gap.
            (2013, Max, ("years", 3), Grade::HalfTrue),
            (2014, Max, ("all", 0), Grade::False),
            (2016, Min, ("years", 5), Grade::True),
            // "the lowest since 2010": 2010 was as low, every year between higher.
            (2016, Min, ("since", 2010), Grade::True),
            // "the lowest since 2011": 2011 (70) was not as low.
            (2016, Min, ("since", 2011), Grade::False),
            // A window reaching before the data cannot be checked.
            (2016, Min, ("years", 10), Grade::Unverifiable),
            (2016, Min, ("since", 2005), Grade::Unverifiable),
        ];
        for (year, extreme, window, want) in table {
            let v = judge(*year, *extreme, *window);
            assert_eq!(
                v.grade, *want,
                "{year} {extreme:?} {window:?}: {}",
                v.explanation
            );
        }
    }

    #[test]
    fn a_gap_in_the_window_is_named_and_leaves_the_record_unchecked() {
        let s = series(&[
            ("HND", 2010, Some(50.0)),
            ("HND", 2011, Some(70.0)),
            ("HND", 2013, Some(78.0)),
            ("HND", 2014, Some(80.0)),
        ]);
        let mut c = claim(Kind::Record);
        c.country = Some("HND".into());
        (c.year, c.extreme, c.window_years) = (Some(2014), Some(Extreme::Max), Some(4));
        let v = judge_on(&s, &c);
        // 2012 could have been higher than 80: every year with data agrees, which does not
        // show the record (a trial's "lowest since 2001" was true with two years missing).
        assert_eq!(v.grade, Grade::Unverifiable, "{}", v.explanation);
        assert!(
            v.explanation.contains("no value for 2012"),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn the_explanation_names_the_year_that_beat_it() {
        let v = judge(2013, Extreme::Max, ("years", 3));
        assert!(v.explanation.contains("2012 had 80"), "{}", v.explanation);
        let v = judge(2016, Extreme::Min, ("years", 5));
        assert!(v.explanation.contains("2010"), "{}", v.explanation);
    }
}
