//! Streaks and trends. A streak of N years ending in year Y holds when each of the N annual
//! moves up to Y (from Y−N to Y) went the claimed way; a shorter run is `false` (the
//! sentence states the count), and the verdict gives the actual run. A trend ("is
//! rising") is read over the last three annual moves with data: `true` when both the
//! three-year change and the last move go the claimed way, `false` when both go the other
//! way, `half-true` when they disagree (a mixed picture), and the years are named.

use super::{Judge, Outcome};
use crate::claim::{Direction, StreakLength};
use crate::verify::{Grade, YearValue};

/// How many annual moves a trend is read over.
pub const TREND_MOVES: i32 = 3;

impl Judge<'_> {
    pub(super) fn streak(
        &mut self,
        year: Option<i32>,
        direction: Direction,
        length: StreakLength,
    ) -> Outcome {
        let (year, note) = self.year(year)?;
        let (claimed, more, from) = match length {
            StreakLength::Moves { n, more } => {
                let n = i32::try_from(n).unwrap_or(i32::MAX / 2);
                (n, more, year - n)
            }
            StreakLength::Since(from) => (year - from, false, from),
        };
        let values = self.values_between(from, year)?;
        let run = run_length(&values, direction);
        let word = moved(direction);
        let stated = format!(
            "{} {} for {} {from}–{year}{note} {}: {}",
            self.reports(),
            self.name_values(&values),
            self.name,
            self.vintage(),
            if run >= claimed {
                format!("it {word} in each of the {claimed} years to {year}")
            } else {
                format!("it {word} in the last {run} of those years only")
            }
        );
        let grade = if run >= claimed {
            // "for more than ten years": ten alone is not more than ten.
            let longer = run > claimed || !more;
            if longer || self.moved_before(from, direction) {
                Grade::True
            } else {
                Grade::MostlyTrue
            }
        } else {
            Grade::False
        };
        Ok((grade, format!("{stated}.")))
    }

    pub(super) fn trend(&mut self, year: Option<i32>, direction: Direction) -> Outcome {
        let (year, note) = self.year(year)?;
        let values = self.values_between(year - TREND_MOVES, year)?;
        let (first, last) = (values[0].1, values[values.len() - 1].1);
        let before_last = values[values.len() - 2].1;
        let goes = |a: f64, b: f64| match direction {
            Direction::Increase => b > a,
            Direction::Decrease => b < a,
        };
        let (overall, latest) = (goes(first, last), goes(before_last, last));
        let against = |a: f64, b: f64| a != b && !goes(a, b);
        let grade = match (overall, latest) {
            (true, true) => Grade::True,
            _ if against(first, last) && against(before_last, last) => Grade::False,
            _ => Grade::HalfTrue,
        };
        let picture = match grade {
            Grade::True => format!(
                "it {} over those years and in the last one",
                moved(direction)
            ),
            Grade::False => "it went the other way over those years and in the last one".into(),
            _ => "a mixed picture: the three-year change and the last year disagree".into(),
        };
        Ok((
            grade,
            format!(
                "{} {} for {} in the latest years with data, {}–{year}{note} {}: {picture}.",
                self.reports(),
                self.name_values(&values),
                self.name,
                year - TREND_MOVES,
                self.vintage()
            ),
        ))
    }

    /// Every year's value from `from` to `to`, or the years missing.
    fn values_between(&mut self, from: i32, to: i32) -> Result<Vec<(i32, f64)>, String> {
        let values: Vec<(i32, Option<f64>)> = (from..=to)
            .map(|y| (y, self.ctx.series.value(&self.iso3, y)))
            .collect();
        let missing: Vec<i32> = values
            .iter()
            .filter(|v| v.1.is_none())
            .map(|v| v.0)
            .collect();
        if !missing.is_empty() {
            return Err(self.no_value(&missing));
        }
        let values: Vec<(i32, f64)> = values
            .into_iter()
            .map(|(y, v)| (y, v.unwrap_or_default()))
            .collect();
        self.evidence.years = values.iter().map(|v| v.0).collect();
        self.evidence.values = values
            .iter()
            .map(|&(year, value)| YearValue { year, value })
            .collect();
        self.evidence.actual = values.last().map(|v| v.1);
        Ok(values)
    }

    /// Whether the year before the window moved the same way too (the streak is longer).
    fn moved_before(&self, from: i32, direction: Direction) -> bool {
        let series = self.ctx.series;
        match (
            series.value(&self.iso3, from - 1),
            series.value(&self.iso3, from),
        ) {
            (Some(a), Some(b)) => run_length(&[(from - 1, a), (from, b)], direction) == 1,
            _ => false,
        }
    }

    fn name_values(&self, values: &[(i32, f64)]) -> String {
        values
            .iter()
            .map(|(y, v)| format!("{y}: {}", self.fmt(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The number of moves the claimed way at the end of the values, counting back.
fn run_length(values: &[(i32, f64)], direction: Direction) -> i32 {
    let mut run = 0;
    for pair in values.windows(2).rev() {
        let up = pair[1].1 > pair[0].1;
        let down = pair[1].1 < pair[0].1;
        let ok = match direction {
            Direction::Increase => up,
            Direction::Decrease => down,
        };
        if !ok {
            break;
        }
        run += 1;
    }
    run
}

fn moved(direction: Direction) -> &'static str {
    match direction {
        Direction::Increase => "rose",
        Direction::Decrease => "fell",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{claim, judge_on, series};
    use crate::claim::{ClaimSpec, Direction, Kind, Relation};
    use crate::verify::{Grade, Verdict};

    /// HND 2005–2011: down in 2006, then up five years in a row.
    fn judge(c: &ClaimSpec) -> Verdict {
        let s = series(&[
            ("HND", 2005, Some(43.0)),
            ("HND", 2006, Some(40.7)),
            ("HND", 2007, Some(45.8)),
            ("HND", 2008, Some(55.6)),
            ("HND", 2009, Some(64.5)),
            ("HND", 2010, Some(74.5)),
            ("HND", 2011, Some(83.2)),
        ]);
        judge_on(&s, c)
    }

    fn streak(n: u32, year: i32, direction: Direction) -> ClaimSpec {
        let mut c = claim(Kind::Streak);
        c.country = Some("HND".into());
        (c.years, c.year, c.direction) = (Some(n), Some(year), Some(direction));
        c
    }

    #[test]
    fn a_streak_holds_only_for_its_whole_length() {
        let table = [
            (streak(5, 2011, Direction::Increase), Grade::True),
            (streak(6, 2011, Direction::Increase), Grade::False),
            (streak(3, 2010, Direction::Increase), Grade::True),
            (streak(2, 2011, Direction::Decrease), Grade::False),
            // Data only from 2005: a streak reaching 2003 cannot be checked.
            (streak(8, 2011, Direction::Increase), Grade::Unverifiable),
        ];
        for (c, want) in table {
            let v = judge(&c);
            assert_eq!(
                v.grade, want,
                "{:?} {:?}: {}",
                c.years, c.year, v.explanation
            );
        }
        let v = judge(&streak(6, 2011, Direction::Increase));
        assert!(
            v.explanation.contains("last 5 of those years"),
            "{}",
            v.explanation
        );
        // "for more than four years": five moves hold it.
        let mut more = streak(4, 2011, Direction::Increase);
        more.relation = Relation::Gt;
        assert_eq!(judge(&more).grade, Grade::True);
        // "every year since 2006": 2006 to 2011, five moves up.
        let mut since = claim(Kind::Streak);
        since.country = Some("HND".into());
        (since.from_year, since.direction) = (Some(2006), Some(Direction::Increase));
        assert_eq!(judge(&since).grade, Grade::True);
    }

    #[test]
    fn a_trend_reads_the_last_three_moves() {
        let mut c = claim(Kind::Trend);
        c.country = Some("HND".into());
        c.direction = Some(Direction::Increase);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert!(v.explanation.contains("2008–2011"), "{}", v.explanation);
        c.direction = Some(Direction::Decrease);
        assert_eq!(judge(&c).grade, Grade::False);
        // A trend ending in 2007 needs 2004, which the data lack.
        c.year = Some(2007);
        assert_eq!(judge(&c).grade, Grade::Unverifiable);
        // 2005–2008: up over the three years, and up in the last: rising. Ending in 2009
        // with the direction "decrease": against on both counts.
        c.year = Some(2008);
        assert_eq!(judge(&c).grade, Grade::False);
    }
}
