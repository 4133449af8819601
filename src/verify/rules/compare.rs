//! Comparisons between two places on one indicator in one year: a side ("higher than
//! Mexico's"), a ratio ("three times Chile's", read at ±5% when unhedged, like a change's
//! factor), or an overtaking (below or level the year before, above in the year). With no
//! year, the latest year both places have data for (up to the year the claim was made).

use super::{Judge, Outcome};
use crate::claim::{Assertion, Relation, Tolerance, Versus};
use crate::verify::band::compare;
use crate::verify::{Grade, YearValue};

impl Judge<'_> {
    pub(super) fn versus(&mut self, other: &str, year: Option<i32>, versus: Versus) -> Outcome {
        let other_name = self.place_name(other);
        let (year, note) = self.common_year(other, &other_name, year)?;
        let (a, b) = self.both(other, &other_name, year)?;
        self.evidence.years = vec![year];
        self.evidence.actual = Some(a);
        self.evidence.values = vec![YearValue { year, value: a }];
        // Two values that round alike are shown with the digits that tell them apart.
        let (fa, fb) = match (self.fmt(a), self.fmt(b)) {
            (x, y) if x == y => (format!("{a:.3}"), format!("{b:.3}")),
            pair => pair,
        };
        let stated = format!(
            "{} {fa} for {} and {fb} for {other_name} in {year}{note} {}",
            self.reports(),
            self.name,
            self.vintage()
        );
        match versus {
            Versus::Side(relation) => Ok(self.side(relation, a, b, &stated)),
            Versus::Ratio(claimed) => Ok(self.ratio(claimed, a, b, &stated)),
            Versus::Overtake => self.overtook(other, &other_name, year, (a, b), &stated),
        }
    }

    fn place_name(&self, iso3: &str) -> String {
        self.ctx
            .countries
            .get(iso3)
            .map(|c| c.name.clone())
            .or_else(|| self.ctx.series.country_name(iso3).map(str::to_string))
            .unwrap_or_else(|| iso3.to_string())
    }

    /// The claimed year, or the latest year with data for both places.
    fn common_year(
        &self,
        other: &str,
        other_name: &str,
        year: Option<i32>,
    ) -> Result<(i32, String), String> {
        if let Some(year) = year {
            return Ok((year, String::new()));
        }
        let by = self.claim.latest_by;
        let theirs = self.ctx.series.values_for(other);
        let common = self
            .ctx
            .series
            .values_for(&self.iso3)
            .into_iter()
            .rev()
            .find(|(y, _)| by.is_none_or(|by| *y <= by) && theirs.iter().any(|(t, _)| t == y));
        match common {
            Some((y, _)) => Ok((
                y,
                format!(" (no year claimed; the latest year with data for both: {y})"),
            )),
            None => Err(format!(
                "{} has no year with data for both {} and {other_name} {}.",
                super::source_label(&self.ctx.series.source),
                self.name,
                self.vintage()
            )),
        }
    }

    /// Both places' values in `year`, or which one is missing.
    fn both(&self, other: &str, other_name: &str, year: i32) -> Result<(f64, f64), String> {
        let series = self.ctx.series;
        match (series.value(&self.iso3, year), series.value(other, year)) {
            (Some(a), Some(b)) => Ok((a, b)),
            (a, _) => Err(format!(
                "{} has no value for {} in {year} {}, so the comparison cannot be checked.",
                super::source_label(&series.source),
                if a.is_none() {
                    self.name.as_str()
                } else {
                    other_name
                },
                self.vintage()
            )),
        }
    }

    /// "higher than", "lower than": true when it holds; a near miss graded by the gap.
    fn side(&self, relation: Relation, a: f64, b: f64, stated: &str) -> (Grade, String) {
        let bound = Assertion {
            relation,
            value: b,
            value_max: None,
            tolerance: Some(Tolerance::Absolute(0.0)),
        };
        let c = compare(&bound, a, self.ctx.grading);
        let word = match relation {
            Relation::Gt | Relation::Gte => "higher",
            _ => "lower",
        };
        let verdict = if c.holds {
            format!("{stated}: {word}, as claimed.")
        } else {
            format!(
                "{stated}: not {word} ({:.1}% apart).",
                ((a - b) / b.abs() * 100.0).abs()
            )
        };
        (c.grade, verdict)
    }

    /// "three times Chile's": the ratio against the claimed one.
    fn ratio(&self, mut claimed: Assertion, a: f64, b: f64, stated: &str) -> (Grade, String) {
        if b == 0.0 {
            return (
                Grade::Unverifiable,
                format!("{stated}: a ratio to zero cannot be checked."),
            );
        }
        // A round ratio ("three times", "double") is not meant to the last digit.
        if claimed.relation == Relation::Eq {
            claimed.relation = Relation::Approx;
        }
        // "three times" is 2.85 to 3.15, not the ±0.5 the digit would allow.
        if claimed.tolerance.is_none() {
            claimed.tolerance = Some(Tolerance::Relative(self.ctx.grading.approx_band));
        }
        let actual = a / b;
        let c = compare(&claimed, actual, self.ctx.grading);
        let words = super::words::relation_words(claimed.relation);
        let verdict = if c.holds {
            format!(
                "{stated}, {actual:.2} times as much: the claimed {words}{}× holds.",
                super::words::claimed_number(claimed.value)
            )
        } else {
            format!(
                "{stated}, {actual:.2} times as much, not {words}{}× ({:+.1}%).",
                super::words::claimed_number(claimed.value),
                c.deviation * 100.0
            )
        };
        (c.grade, verdict)
    }

    /// "overtook": level or below the year before, above in the year.
    fn overtook(
        &self,
        other: &str,
        other_name: &str,
        year: i32,
        (a, b): (f64, f64),
        stated: &str,
    ) -> Outcome {
        let (pa, pb) = self.both(other, other_name, year - 1)?;
        let before = format!("{} and {} in {}", self.fmt(pa), self.fmt(pb), year - 1);
        let (grade, what) = match (pa <= pb, a > b) {
            (true, true) => (Grade::True, "it overtook then"),
            (false, true) => (Grade::False, "it was already higher the year before"),
            (_, false) => (Grade::False, "it was not higher that year"),
        };
        Ok((grade, format!("{stated}; {before}: {what}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{claim, judge_on, series};
    use crate::claim::{Event, Kind, Relation};
    use crate::verify::{Grade, Verdict};

    type Edit = Box<dyn Fn(&mut crate::claim::ClaimSpec)>;

    /// SLV against HND: HND higher in 2014, SLV higher (and about double) in 2015.
    fn judge(edit: impl Fn(&mut crate::claim::ClaimSpec)) -> Verdict {
        let s = series(&[
            ("SLV", 2014, Some(62.0)),
            ("SLV", 2015, Some(107.6)),
            ("HND", 2014, Some(66.0)),
            ("HND", 2015, Some(55.7)),
        ]);
        let mut c = claim(Kind::Compare);
        c.other = Some("HND".into());
        c.year = Some(2015);
        c.relation = Relation::Gt;
        edit(&mut c);
        judge_on(&s, &c)
    }

    #[test]
    fn sides_ratios_and_overtaking() {
        let table: Vec<(&str, Edit, Grade)> = vec![
            ("higher in 2015", Box::new(|_| {}), Grade::True),
            (
                "lower in 2015",
                Box::new(|c| c.relation = Relation::Lt),
                Grade::False,
            ),
            (
                "higher in 2014 (6% under)",
                Box::new(|c| c.year = Some(2014)),
                Grade::HalfTrue,
            ),
            // 107.6 / 55.7 = 1.93: "double" is read at ±5% (1.9..2.1).
            (
                "double",
                Box::new(|c| {
                    c.factor = Some(2.0);
                    c.relation = Relation::Eq;
                }),
                Grade::True,
            ),
            (
                "three times",
                Box::new(|c| {
                    c.factor = Some(3.0);
                    c.relation = Relation::Eq;
                }),
                Grade::False,
            ),
            (
                "more than double",
                Box::new(|c| c.factor = Some(2.0)),
                Grade::MostlyTrue,
            ),
            (
                "overtook in 2015",
                Box::new(|c| c.event = Some(Event::Overtake)),
                Grade::True,
            ),
            (
                "latest year both have: 2015",
                Box::new(|c| c.year = None),
                Grade::True,
            ),
            (
                "no data in 2016",
                Box::new(|c| c.year = Some(2016)),
                Grade::Unverifiable,
            ),
        ];
        for (what, edit, want) in table {
            let v = judge(edit);
            assert_eq!(v.grade, want, "{what}: {}", v.explanation);
        }
    }

    #[test]
    fn the_explanation_gives_both_values() {
        let v = judge(|c| c.factor = Some(3.0));
        assert!(
            v.explanation
                .contains("107.6 for El Salvador and 55.7 for Honduras"),
            "{}",
            v.explanation
        );
        assert!(v.explanation.contains("1.93 times"), "{}", v.explanation);
    }
}

impl Judge<'_> {
    /// "3% of the world's CO2": the subject's value over the whole's, in percent, against
    /// the claimed share at its stated precision.
    pub(super) fn share(&mut self, of: &str, year: Option<i32>, claimed: &Assertion) -> Outcome {
        let whole_name = self.place_name(of);
        let (year, note) = self.common_year(of, &whole_name, year)?;
        let (part, whole) = self.both(of, &whole_name, year)?;
        if whole <= 0.0 {
            return Err(format!(
                "{whole_name} has no positive total in {year}: no share to check."
            ));
        }
        let actual = part / whole * 100.0;
        self.evidence.years = vec![year];
        self.evidence.values = vec![YearValue { year, value: part }];
        self.evidence.actual = Some(actual);
        let c = compare(claimed, actual, self.ctx.grading);
        self.evidence.deviation = Some(c.deviation);
        let words = super::words::relation_words(claimed.relation);
        let verdict = format!(
            "{} {} for {} and {} for {whole_name} in {year}{note} {}: a share of {}%; the claim says {words}{}%{}.",
            self.reports(),
            self.fmt(part),
            self.name,
            self.fmt(whole),
            self.vintage(),
            share_digits(actual),
            super::words::claimed_number(claimed.value),
            if c.holds { ", which holds" } else { "" }
        );
        Ok((c.grade, verdict))
    }
}

/// A share with the digits that tell small shares apart (0.08%, 1.2%, 17.6%).
fn share_digits(share: f64) -> String {
    if share < 1.0 {
        format!("{share:.2}")
    } else {
        format!("{share:.1}")
    }
}

#[cfg(test)]
mod share_tests {
    use super::super::tests::{claim, judge_on, series};
    use crate::claim::{Kind, Relation};
    use crate::verify::Grade;

    #[test]
    fn a_share_is_the_part_over_the_whole_at_its_precision() {
        let s = series(&[("GTM", 2024, Some(18.4e6)), ("LCN", 2024, Some(660e6))]);
        let judge = |value: f64, relation: Relation| {
            let mut c = claim(Kind::Share);
            c.country = Some("GTM".into());
            c.of = Some("LCN".into());
            (c.value, c.relation) = (Some(value), relation);
            judge_on(&s, &c)
        };
        // 18.4m of 660m is 2.79%.
        let v = judge(2.8, Relation::Eq);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert!(
            v.explanation.contains("a share of 2.8%"),
            "{}",
            v.explanation
        );
        assert_eq!(judge(3.0, Relation::Lt).grade, Grade::True);
        assert_eq!(judge(2.0, Relation::Eq).grade, Grade::False);
        assert_eq!(judge(2.7, Relation::Eq).grade, Grade::MostlyTrue);
    }
}
