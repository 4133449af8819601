//! The verdict rules for each claim kind: value, rank, change, sum and mean. Pure functions
//! of the claim, the fetched series and the country list. Value, sum and mean live here;
//! `rank` and `change` compute apart from the sentence they word; `words` holds the
//! wording shared by all.

mod change;
mod compare;
mod rank;
mod streak;

pub use self::streak::TREND_MOVES;
mod record;
mod words;

use self::words::{relation_words, source_label, source_name};
use super::band::{compare, Assertion, Comparison};
use super::{Evidence, Grade, Unverifiable, Verdict, YearValue};
use crate::claim::country::CountryList;
use crate::claim::number::human;
use crate::claim::{Claim, ClaimKind, Period, Relation};
use crate::config::GradingConfig;
use crate::source::Series;

/// Added to near misses: published figures are revised with every data edition.
const REVISION_NOTE: &str = " Figures are revised with every data edition, so a gap this small may be a revision since the claim was made.";

/// Everything a claim is judged against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The series holding the claim's country (all countries for rank claims).
    pub series: &'a Series,
    /// The source's country list (tells economies from aggregates).
    pub countries: &'a CountryList,
    /// Grade thresholds and bands.
    pub grading: &'a GradingConfig,
}

/// How the note of a claim kept from a scanned sentence that could not be read begins.
pub const NOT_UNDERSTOOD: &str = "Found in the article but not checkable";

/// The verdict for a claim that no series can answer (no indicator given).
pub fn without_series(claim: &Claim) -> Verdict {
    let understood = !claim
        .note
        .as_deref()
        .is_some_and(|n| n.starts_with(NOT_UNDERSTOOD));
    // A sentence the parser could not read was never matched to a series: saying no series
    // answers it would be a finding claimcheck did not make.
    let mut explanation = if understood {
        format!(
            "No {} series answers this claim, so it cannot be checked against the data.",
            source_name(&claim.source)
        )
    } else {
        "Not checked: claimcheck could not read this sentence as a claim, so no series was looked up.".to_string()
    };
    if let Some(note) = &claim.note {
        explanation.push(' ');
        explanation.push_str(note.trim());
    }
    Verdict {
        grade: Grade::Unverifiable,
        explanation,
        evidence: Evidence {
            source: claim.source.clone(),
            claimed: claim.claimed_value(),
            unverifiable: Some(if understood {
                Unverifiable::NoSeries
            } else {
                Unverifiable::NotUnderstood
            }),
            ..Evidence::default()
        },
    }
}

/// Judges a claim against its series.
pub fn evaluate(claim: &Claim, ctx: Context<'_>) -> Verdict {
    let Some(subject) = claim.subject() else {
        return without_series(claim);
    };
    let iso3 = subject.country.clone();
    let mut judge = Judge {
        claim,
        ctx,
        name: ctx
            .countries
            .get(&iso3)
            .map(|c| c.name.clone())
            .or_else(|| ctx.series.country_name(&iso3).map(str::to_string))
            .unwrap_or_else(|| iso3.clone()),
        evidence: Evidence {
            source: ctx.series.source.clone(),
            indicator: Some(ctx.series.indicator.clone()),
            indicator_name: ctx.series.indicator_name.clone(),
            country: Some(iso3.clone()),
            source_url: Some(ctx.series.url.clone()),
            page_url: crate::source::links::page_url(
                &ctx.series.source,
                &ctx.series.indicator,
                &iso3,
                ctx.countries.get(&iso3).map(|c| c.iso2.as_str()),
            ),
            vintage: ctx.series.vintage.clone(),
            retrieved_at: Some(ctx.series.retrieved_at),
            claimed: claim.claimed_value(),
            ..Evidence::default()
        },
        iso3,
    };
    judge.evidence.country_name = Some(judge.name.clone());
    let outcome = match &claim.kind {
        ClaimKind::Unanswered { .. } => unreachable!("handled above: no subject"),
        ClaimKind::Value { year, claimed, .. } => judge.value(*year, claimed),
        ClaimKind::Rank { year, ranking, .. } => judge.rank(*year, ranking),
        ClaimKind::Change { period, change, .. } => judge.change_over(*period, change),
        ClaimKind::Sum {
            period, claimed, ..
        } => judge.aggregate(*period, claimed, false),
        ClaimKind::Mean {
            period, claimed, ..
        } => judge.aggregate(*period, claimed, true),
        ClaimKind::Record {
            year,
            extreme,
            window,
            ..
        } => judge.own_record(*year, *extreme, *window),
        ClaimKind::Compare {
            other,
            year,
            versus,
            ..
        } => judge.versus(other, *year, *versus),
        ClaimKind::Streak {
            year,
            direction,
            length,
            ..
        } => judge.streak(*year, *direction, *length),
        ClaimKind::Trend {
            year, direction, ..
        } => judge.trend(*year, *direction),
        ClaimKind::Share {
            of, year, claimed, ..
        } => judge.share(of, *year, claimed),
    };
    let (grade, explanation) = match outcome {
        Ok(judged) if claim.negated => denied(judged, holds_or_not(&claim.kind)),
        Ok(judged) => judged,
        Err(missing) => {
            judge.evidence.unverifiable = Some(Unverifiable::NoData);
            (Grade::Unverifiable, missing)
        }
    };
    Verdict {
        grade,
        explanation,
        evidence: judge.evidence,
    }
}

/// Claims that hold or do not: a bound ("above 28"), a range, a rank, a record, a side of a
/// comparison, a streak. Their near-miss grades say how far from holding the claim was,
/// but it does not hold, so its denial does ("not above 28" at 27.2 is simply true).
fn holds_or_not(kind: &ClaimKind) -> bool {
    let bound = |a: &crate::claim::Assertion| {
        matches!(
            a.relation,
            Relation::Gt | Relation::Gte | Relation::Lt | Relation::Lte | Relation::Between
        )
    };
    match kind {
        ClaimKind::Value { claimed, .. } => bound(claimed),
        ClaimKind::Rank { .. } | ClaimKind::Record { .. } | ClaimKind::Streak { .. } => true,
        ClaimKind::Compare { versus, .. } => match versus {
            crate::claim::Versus::Side(_) | crate::claim::Versus::Overtake => true,
            crate::claim::Versus::Ratio(claimed) => bound(claimed),
        },
        _ => false,
    }
}

/// The verdict on a sentence that denies the claim ("did not fall"). A claim that holds or
/// not ([`holds_or_not`]): its denial is true when it does not hold and false when it does.
/// Any other claim's grade is turned over, true for false and mostly-true for mostly-false;
/// a half-true stays half-true. (Turning a bound's near miss over graded the true "was not
/// above 28", at 27.2, mostly-false.)
fn denied((grade, explanation): (Grade, String), holds_or_not: bool) -> (Grade, String) {
    let turned = match grade {
        Grade::True => Grade::False,
        Grade::Unverifiable => Grade::Unverifiable,
        _ if holds_or_not => Grade::True,
        Grade::False => Grade::True,
        Grade::MostlyTrue => Grade::MostlyFalse,
        Grade::MostlyFalse => Grade::MostlyTrue,
        other => other,
    };
    (
        turned,
        format!(
            "The sentence denies the claim, which on its own would be {}: {explanation}",
            grade.as_str()
        ),
    )
}

/// Judging state for one claim; methods return `(grade, sentence)` or the reason it is
/// unverifiable.
struct Judge<'a> {
    claim: &'a Claim,
    ctx: Context<'a>,
    iso3: String,
    name: String,
    evidence: Evidence,
}

type Outcome = Result<(Grade, String), String>;

impl Judge<'_> {
    /// "The World Bank reports" plus the data-vintage phrase.
    fn reports(&self) -> String {
        source_label(&self.ctx.series.source).to_string() + " reports"
    }

    fn vintage(&self) -> String {
        match &self.ctx.series.vintage {
            Some(v) => format!("(data of {v})"),
            None => "(data vintage not stated)".into(),
        }
    }

    /// The value for `year`, or the unverifiable sentence naming the nearest years.
    fn value_in(&mut self, year: i32) -> Result<f64, String> {
        let value = self.ctx.series.value(&self.iso3, year);
        match value {
            Some(v) => {
                self.evidence.values.push(YearValue { year, value: v });
                Ok(v)
            }
            None => Err(self.no_value(&[year])),
        }
    }

    fn no_value(&self, years: &[i32]) -> String {
        let known = self.ctx.series.values_for(&self.iso3);
        let listed: Vec<String> = years.iter().map(i32::to_string).collect();
        let mut text = format!(
            "{} has no value for {} in {} {}",
            source_label(&self.ctx.series.source),
            self.name,
            listed.join(", "),
            self.vintage()
        );
        let first = years.iter().min().copied().unwrap_or(0);
        let last = years.iter().max().copied().unwrap_or(0);
        let before = known.iter().rev().find(|(y, _)| *y < first);
        let after = known.iter().find(|(y, _)| *y > last);
        let nearest: Vec<String> = before
            .into_iter()
            .chain(after)
            .map(|(y, v)| format!("{y}: {}", self.fmt(*v)))
            .collect();
        if known.is_empty() {
            text.push_str("; it has no data for this country at all");
        } else if !nearest.is_empty() {
            text.push_str(&format!("; nearest years {}", nearest.join(", ")));
        }
        text.push_str(". The claim is not checked against another year.");
        text
    }

    /// The year to use: the claimed one, or the latest with data (said in the sentence).
    fn year(&self, claimed: Option<i32>) -> Result<(i32, String), String> {
        if let Some(year) = claimed {
            return Ok((year, String::new()));
        }
        let by = self.claim.latest_by;
        let latest = self
            .ctx
            .series
            .values_for(&self.iso3)
            .into_iter()
            .rfind(|(y, _)| by.is_none_or(|by| *y <= by));
        match latest {
            Some((year, _)) => Ok((
                year,
                match by {
                    Some(by) => format!(
                        " (no year claimed; latest year with data up to {by}, the last full year before the claim was made: {year})"
                    ),
                    None => format!(" (no year claimed; latest year with data: {year})"),
                },
            )),
            None => Err(format!(
                "{} has no data for {} in this series {}.",
                source_label(&self.ctx.series.source),
                self.name,
                self.vintage()
            )),
        }
    }

    fn fmt(&self, value: f64) -> String {
        let claimed_decimals = self
            .claim
            .claimed_value()
            .map(crate::claim::number::trim_float)
            .and_then(|t| t.split_once('.').map(|(_, d)| d.len()))
            .unwrap_or(0);
        let decimals = if value.abs() >= 10_000.0 {
            0
        } else {
            claimed_decimals.max(1)
        };
        human(value, decimals)
    }

    fn record(&mut self, claimed: f64, actual: f64, comparison: &Comparison) {
        self.evidence.claimed = Some(claimed);
        self.evidence.actual = Some(actual);
        let finite = |x: f64| x.is_finite().then_some(x);
        self.evidence.deviation = finite(comparison.deviation);
        self.evidence.band = Some((finite(comparison.band.0), finite(comparison.band.1)));
    }

    /// "the claimed 105 is 2.5% lower" / "matches at its stated precision".
    fn comparison_phrase(&self, what: &str, claimed: &Assertion, c: &Comparison) -> String {
        let said = format!(
            "{what} {}{}",
            relation_words(claimed.relation),
            self.fmt(claimed.value)
        );
        let said = match (claimed.relation, claimed.value_max) {
            (Relation::Between, Some(max)) => format!("{said} to {}", self.fmt(max)),
            _ => said,
        };
        if c.holds {
            match claimed.relation {
                Relation::Eq if claimed.tolerance.is_none() => {
                    format!("{said} matches at its stated precision")
                }
                Relation::Eq | Relation::Approx | Relation::Nearly => {
                    format!(
                        "{said} is within its band ({} to {})",
                        self.fmt(c.band.0),
                        self.fmt(c.band.1)
                    )
                }
                _ => format!("{said} holds"),
            }
        } else {
            let pct = format!("{:.1}%", c.deviation.abs() * 100.0);
            let side = if c.deviation < 0.0 { "lower" } else { "higher" };
            match claimed.relation {
                Relation::Eq | Relation::Approx | Relation::Nearly => {
                    format!("{said} is {pct} {side}")
                }
                _ => format!("{said} does not hold (the bound is {pct} {side} than the data)"),
            }
        }
    }

    fn value(&mut self, year: Option<i32>, claimed: &Assertion) -> Outcome {
        let (year, year_note) = self.year(year)?;
        self.evidence.years = vec![year];
        let actual = self.value_in(year)?;
        let c = compare(claimed, actual, self.ctx.grading);
        self.record(claimed.value, actual, &c);
        let mut sentence = format!(
            "{} {} for {} in {year}{year_note} {}; {}.",
            self.reports(),
            self.fmt(actual),
            self.name,
            self.vintage(),
            self.comparison_phrase("the claimed", claimed, &c)
        );
        if c.grade == Grade::MostlyTrue {
            sentence.push_str(REVISION_NOTE);
        }
        Ok((c.grade, sentence))
    }

    fn aggregate(&mut self, period: Period, claimed: &Assertion, mean: bool) -> Outcome {
        let Period { from, to } = period;
        let years: Vec<i32> = (from..=to).collect();
        self.evidence.years = years.clone();
        let missing: Vec<i32> = years
            .iter()
            .copied()
            .filter(|y| self.ctx.series.value(&self.iso3, *y).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(self.no_value(&missing));
        }
        for year in &years {
            self.value_in(*year)?;
        }
        let total: f64 = self.evidence.values.iter().map(|v| v.value).sum();
        let (actual, what) = if mean {
            (total / years.len() as f64, "an average")
        } else {
            (total, "a total")
        };
        let c = compare(claimed, actual, self.ctx.grading);
        self.record(claimed.value, actual, &c);
        Ok((
            c.grade,
            format!(
                "{} {what} of {} for {} over {from}–{to} {}; {}.",
                self.reports(),
                self.fmt(actual),
                self.name,
                self.vintage(),
                self.comparison_phrase("the claimed", claimed, &c)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::country::{Countries, CountryInfo};
    use crate::claim::{ClaimSpec, Direction, Kind, Order, Relation};
    use crate::source::Observation;
    use chrono::{TimeZone, Utc};

    pub(super) fn series(rows: &[(&str, i32, Option<f64>)]) -> Series {
        Series {
            source: "worldbank".into(),
            indicator: "VC.IHR.PSRC.P5".into(),
            indicator_name: Some("Intentional homicides (per 100,000 people)".into()),
            url: "http://wb/v2/country/all/indicator/VC.IHR.PSRC.P5?format=json".into(),
            vintage: Some("2025-07-01".into()),
            retrieved_at: Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap(),
            observations: rows
                .iter()
                .map(|(iso3, year, value)| Observation {
                    iso3: iso3.to_string(),
                    country_id: iso3[..2].to_string(),
                    country_name: name(iso3).into(),
                    year: *year,
                    value: *value,
                })
                .collect(),
        }
    }

    fn name(iso3: &str) -> &'static str {
        match iso3 {
            "SLV" => "El Salvador",
            "HND" => "Honduras",
            "VEN" => "Venezuela, RB",
            "GTM" => "Guatemala",
            "LCN" => "Latin America & Caribbean",
            _ => "Other",
        }
    }

    pub(super) fn countries() -> CountryList {
        CountryList::new(
            ["SLV", "HND", "VEN", "GTM", "LCN"]
                .iter()
                .map(|iso3| CountryInfo {
                    iso3: iso3.to_string(),
                    iso2: iso3[..2].into(),
                    name: name(iso3).into(),
                    region: if *iso3 == "LCN" {
                        "Aggregates".into()
                    } else {
                        "Latin America & Caribbean".into()
                    },
                    aggregate: *iso3 == "LCN",
                })
                .collect(),
        )
    }

    fn data() -> Series {
        series(&[
            ("SLV", 2014, Some(62.0)),
            ("SLV", 2015, Some(107.638231)),
            ("SLV", 2016, Some(85.085802)),
            ("HND", 2015, Some(55.73)),
            ("VEN", 2015, Some(51.2)),
            ("GTM", 2014, Some(33.5)),
            ("GTM", 2015, None),
            ("GTM", 2017, Some(32.8)),
            ("LCN", 2015, Some(200.0)),
        ])
    }

    pub(super) fn claim(kind: Kind) -> ClaimSpec {
        let mut c = ClaimSpec::new("c", "claim text");
        c.indicator = Some("VC.IHR.PSRC.P5".into());
        c.country = Some("SLV".into());
        c.kind = kind;
        c
    }

    /// The typed claim a spec describes (the spec must be valid).
    pub(super) fn typed(c: &ClaimSpec) -> Claim {
        c.clone().validate(Countries::shared()).unwrap()
    }

    /// Judges `c` against `series` with the country list `list`, default grading.
    fn judge_in(c: &ClaimSpec, series: &Series, list: &CountryList) -> Verdict {
        evaluate(
            &typed(c),
            Context {
                series,
                countries: list,
                grading: &GradingConfig::default(),
            },
        )
    }

    fn judge(c: &ClaimSpec) -> Verdict {
        judge_on(&data(), c)
    }

    /// The verdict on `c` against `series`, with the test country list and default grading.
    pub(super) fn judge_on(series: &Series, c: &ClaimSpec) -> Verdict {
        let list = countries();
        evaluate(
            &typed(c),
            Context {
                series,
                countries: &list,
                grading: &GradingConfig::default(),
            },
        )
    }

    #[test]
    fn seed_value_claim_explains_the_revision() {
        let mut c = claim(Kind::Value);
        c.year = Some(2015);
        c.value = Some(105.0);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::MostlyTrue);
        assert_eq!(
            v.explanation,
            "The World Bank reports 107.6 for El Salvador in 2015 (data of 2025-07-01); the claimed 105 is 2.5% lower. Figures are revised with every data edition, so a gap this small may be a revision since the claim was made."
        );
        assert_eq!(v.evidence.vintage.as_deref(), Some("2025-07-01"));
        assert_eq!(v.evidence.actual, Some(107.638231));
        assert!(v.evidence.source_url.unwrap().contains("VC.IHR.PSRC.P5"));
    }

    #[test]
    fn missing_year_is_unverifiable_with_nearest_years() {
        let mut c = claim(Kind::Value);
        c.country = Some("GTM".into());
        c.year = Some(2015);
        c.value = Some(30.0);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::Unverifiable);
        assert!(
            v.explanation.contains("no value for Guatemala in 2015"),
            "{}",
            v.explanation
        );
        assert!(
            v.explanation
                .contains("nearest years 2014: 33.5, 2017: 32.8"),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn no_year_uses_latest_and_says_so() {
        let mut c = claim(Kind::Value);
        c.value = Some(85.0);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True);
        assert!(
            v.explanation.contains("latest year with data: 2016"),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn rank_excludes_aggregates_and_counts_economies() {
        let mut c = claim(Kind::Rank);
        c.year = Some(2015);
        c.rank = Some(1);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        let rank = v.evidence.rank.unwrap();
        assert_eq!(
            (rank.rank, rank.of),
            (1, 3),
            "LCN is an aggregate; GTM has no 2015 value"
        );
        assert!(
            v.explanation.contains("the highest of 3 economies"),
            "{}",
            v.explanation
        );

        // Second at about half the leader's value: plainly false, whatever the places.
        c.country = Some("HND".into());
        let v = judge(&c);
        assert_eq!(v.grade, Grade::False, "{}", v.explanation);
        assert!(v.explanation.contains("needed 107.6"), "{}", v.explanation);
        // "The second highest", but third at 51.2 against second's 55.7 (8.1%): a near miss.
        c.country = Some("VEN".into());
        c.rank = Some(2);
        assert_eq!(judge(&c).grade, Grade::MostlyFalse);
        c.rank = Some(1);
        assert_eq!(judge(&c).grade, Grade::False);
        c.relation = Relation::Lte;
        c.rank = Some(3);
        assert_eq!(judge(&c).grade, Grade::True, "among the three highest");
        c.order = Some(Order::Asc);
        c.rank = Some(1);
        c.relation = Relation::Eq;
        assert_eq!(judge(&c).grade, Grade::True, "lowest");
    }

    #[test]
    fn rank_within_a_region_uses_its_economies() {
        let s = series(&[
            ("SLV", 2015, Some(107.6)),
            ("HND", 2015, Some(55.7)),
            ("USA", 2015, Some(5.0)),
        ]);
        let mut list: Vec<CountryInfo> = countries().all().to_vec();
        list.push(CountryInfo {
            iso3: "USA".into(),
            iso2: "US".into(),
            name: "United States".into(),
            region: "North America".into(),
            aggregate: false,
        });
        list.push(CountryInfo {
            iso3: "NAC".into(),
            iso2: "XU".into(),
            name: "North America".into(),
            region: "Aggregates".into(),
            aggregate: true,
        });
        let list = CountryList::new(list);
        let judge = |c: &ClaimSpec| judge_in(c, &s, &list);
        let mut c = claim(Kind::Rank);
        c.country = Some("USA".into());
        c.year = Some(2015);
        c.rank = Some(1);
        c.among = vec!["NAC".into()];
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert_eq!(v.evidence.rank.as_ref().unwrap().of, 1);
        assert!(
            v.explanation.contains("economies of North America"),
            "{}",
            v.explanation
        );
        c.among = vec!["LCN".into()];
        c.country = Some("HND".into());
        let v = judge(&c);
        assert_eq!((v.grade, v.evidence.rank.unwrap().rank), (Grade::False, 2));
    }

    /// A place that holds among the few economies reporting is not shown to hold among all
    /// (a new user's "one of the highest" was true at 7th of 7); one that fails among them
    /// fails among all.
    #[test]
    fn a_rank_needs_half_the_economies_reporting() {
        let s = series(&[("SLV", 2015, Some(107.6)), ("HND", 2015, Some(55.7))]);
        let mut list: Vec<CountryInfo> = countries().all().to_vec();
        for (iso3, iso2) in [("CRI", "CR"), ("PAN", "PA"), ("NIC", "NI")] {
            list.push(CountryInfo {
                iso3: iso3.into(),
                iso2: iso2.into(),
                name: iso3.into(),
                region: "Elsewhere".into(),
                aggregate: false,
            });
        }
        let list = CountryList::new(list);
        let economies = list.all().iter().filter(|c| !c.aggregate).count();
        let judge = |c: &ClaimSpec| judge_in(c, &s, &list);
        let mut c = claim(Kind::Rank);
        c.year = Some(2015);
        c.rank = Some(1);
        // 2 of the list's economies report: first among them says nothing of the rest.
        let v = judge(&c);
        assert_eq!(v.grade, Grade::Unverifiable, "{}", v.explanation);
        assert!(
            v.explanation.contains(&format!(
                "{} of the {economies} report no value",
                economies - 2
            )),
            "{}",
            v.explanation
        );
        c.relation = Relation::Lte;
        c.rank = Some(10);
        assert_eq!(
            judge(&c).grade,
            Grade::Unverifiable,
            "among the ten: 2nd of 2"
        );
        // Second at half the leader's value among those reporting: false among all.
        c.country = Some("HND".into());
        c.relation = Relation::Eq;
        c.rank = Some(1);
        assert_eq!(judge(&c).grade, Grade::False);
        // First among those reporting, claimed third: economies with no value could place
        // two above it, so "false" is not shown (a trial's "third highest" was false at 1st
        // of 12 reporting).
        c.country = Some("SLV".into());
        c.rank = Some(3);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::Unverifiable, "{}", v.explanation);
        c.rank = Some(1);
        // Peers named one by one must all report.
        c.among = vec!["SLV".into(), "CRI".into()];
        c.country = Some("SLV".into());
        assert_eq!(judge(&c).grade, Grade::Unverifiable);
        c.among = vec!["HND".into()];
        assert_eq!(judge(&c).grade, Grade::True);
    }

    #[test]
    fn rank_among_peers() {
        let mut c = claim(Kind::Rank);
        c.country = Some("HND".into());
        c.year = Some(2015);
        c.rank = Some(1);
        c.among = vec!["VEN".into()];
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert_eq!(v.evidence.rank.unwrap().of, 2);
    }

    #[test]
    fn change_checks_direction_and_end_value() {
        let mut c = claim(Kind::Change);
        c.from_year = Some(2015);
        c.year = Some(2016);
        c.direction = Some(Direction::Decrease);
        c.value = Some(82.0);
        c.relation = Relation::Approx;
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert!(
            v.explanation.contains("a fall of 21.0%"),
            "{}",
            v.explanation
        );

        c.direction = Some(Direction::Increase);
        assert_eq!(judge(&c).grade, Grade::False);

        c.direction = None;
        c.value = None;
        c.change_pct = Some(-21.0);
        assert_eq!(judge(&c).grade, Grade::True);
        c.change_pct = Some(-40.0);
        assert_eq!(judge(&c).grade, Grade::False);
    }

    /// "Fell by almost 21.5%", "nearly a 0.78 factor": a fall nearly as large as claimed,
    /// so the data lie between the claim and 5% short of it (the band was mirrored the
    /// other way: "cut by almost half" at −48.3% was graded a miss).
    #[test]
    fn nearly_on_a_fall_is_a_fall_nearly_as_large() {
        // SLV 107.6 in 2015 to 85.1 in 2016: −20.9%, 0.791×.
        let mut c = claim(Kind::Change);
        (c.from_year, c.year) = (Some(2015), Some(2016));
        c.relation = Relation::Nearly;
        c.change_pct = Some(-21.5);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        c.change_pct = Some(-20.0);
        assert_ne!(judge(&c).grade, Grade::True, "it fell more than nearly 20%");
        c.change_pct = None;
        c.factor = Some(0.78);
        assert_eq!(judge(&c).grade, Grade::True, "nearly down to 0.78×");
        c.factor = Some(0.8);
        assert_ne!(
            judge(&c).grade,
            Grade::True,
            "below 0.8×, not nearly down to it"
        );
    }

    #[test]
    fn doubled_means_within_five_percent_of_two() {
        // SLV 62 in 2014 to 107.6 in 2015: 1.74×. The digit 2 alone would allow ±0.5.
        let mut c = claim(Kind::Change);
        (c.from_year, c.year) = (Some(2014), Some(2015));
        c.factor = Some(2.0);
        let v = judge(&c);
        assert_ne!(v.grade, Grade::True, "{}", v.explanation);
        assert!(v.explanation.contains("1.74×"), "{}", v.explanation);
        c.factor = Some(1.75);
        assert_eq!(judge(&c).grade, Grade::True, "1.75 is within 5% of 1.74");
        // "nearly doubled": up to 5% under 2, so 1.74 is not it either.
        (c.factor, c.relation) = (Some(2.0), Relation::Nearly);
        assert_ne!(judge(&c).grade, Grade::True);
    }

    #[test]
    fn unverifiable_verdicts_keep_their_reasons_apart() {
        let mut c = claim(Kind::Value);
        (c.year, c.value) = (Some(2015), Some(33.0));
        c.country = Some("GTM".into());
        let v = judge(&c);
        assert_eq!(
            (v.grade, v.evidence.unverifiable),
            (Grade::Unverifiable, Some(Unverifiable::NoData))
        );
        let mut none = ClaimSpec::new("n", "Deportations were 40,400");
        none.note = Some("no series counts deportations".into());
        let v = without_series(&typed(&none));
        assert_eq!(v.evidence.unverifiable, Some(Unverifiable::NoSeries));
        assert!(v.explanation.starts_with("No World Bank series answers"));
        none.note = Some(format!("{NOT_UNDERSTOOD}: no country or region found"));
        let v = without_series(&typed(&none));
        assert_eq!(v.evidence.unverifiable, Some(Unverifiable::NotUnderstood));
        assert!(
            v.explanation
                .starts_with("Not checked: claimcheck could not read this sentence"),
            "{}",
            v.explanation
        );
        // A verdict that is one has no such reason.
        c.country = Some("SLV".into());
        assert_eq!(judge(&c).evidence.unverifiable, None);
    }

    #[test]
    fn a_denied_claim_gets_the_opposite_grade() {
        // "El Salvador's murder rate did not fall in 2016": it fell, 107.6 to 85.1.
        let mut c = claim(Kind::Change);
        (c.from_year, c.year) = (Some(2015), Some(2016));
        c.direction = Some(Direction::Decrease);
        c.negated = true;
        let v = judge(&c);
        assert_eq!(v.grade, Grade::False, "{}", v.explanation);
        assert!(
            v.explanation
                .starts_with("The sentence denies the claim, which on its own would be true"),
            "{}",
            v.explanation
        );
        // "did not rise in 2016": true.
        c.direction = Some(Direction::Increase);
        assert_eq!(judge(&c).grade, Grade::True);
        // No data stays unverifiable, whatever the wording.
        (c.from_year, c.year) = (Some(2019), Some(2020));
        assert_eq!(judge(&c).grade, Grade::Unverifiable);
    }

    /// A bound that misses by a little does not hold, so its denial is simply true: "was not
    /// above 108" at 107.6 was graded mostly-false (the bound's near miss, turned over).
    #[test]
    fn a_denied_bound_is_true_when_the_bound_does_not_hold() {
        let mut c = claim(Kind::Value);
        c.year = Some(2015);
        c.negated = true;
        for (relation, value, want) in [
            (Relation::Gt, 108.0, Grade::True),  // 107.6 is not above 108
            (Relation::Gt, 100.0, Grade::False), // it is above 100
            (Relation::Lt, 107.0, Grade::True),  // not below 107
            (Relation::Lt, 110.0, Grade::False), // it is below 110
        ] {
            (c.relation, c.value) = (relation, Some(value));
            let v = judge(&c);
            assert_eq!(v.grade, want, "not {relation:?} {value}: {}", v.explanation);
        }
    }

    #[test]
    fn an_exact_value_cannot_be_denied() {
        let mut c = claim(Kind::Value);
        c.year = Some(2015);
        c.value = Some(105.0);
        c.negated = true;
        let err = c.clone().validate(Countries::shared()).unwrap_err();
        assert!(err.to_string().contains("`negated`"), "{err}");
        c.relation = Relation::Gt;
        assert!(c.validate(Countries::shared()).is_ok());
    }

    #[test]
    fn open_changes_run_to_the_latest_year_with_data() {
        // "has risen since 2014": SLV 62 in 2014, 85.1 in 2016 (the latest).
        let mut c = claim(Kind::Change);
        c.from_year = Some(2014);
        c.direction = Some(Direction::Increase);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert!(
            v.explanation.contains("latest year with data: 2016"),
            "{}",
            v.explanation
        );
        assert_eq!(v.evidence.years, vec![2014, 2016]);
        // "fell over the past year": 107.6 in 2015 to 85.1 in 2016.
        c.from_year = None;
        c.span_years = Some(1);
        c.direction = Some(Direction::Decrease);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert_eq!(v.evidence.years, vec![2015, 2016]);
        // A claim made in 2015 means the data up to 2015: 2014 to 2015.
        c.latest_by = Some(2015);
        assert_eq!(judge(&c).evidence.years, vec![2014, 2015]);
    }

    #[test]
    fn change_with_missing_year_names_it() {
        let mut c = claim(Kind::Change);
        c.from_year = Some(2013);
        c.year = Some(2016);
        c.direction = Some(Direction::Increase);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::Unverifiable);
        assert!(v.explanation.contains("in 2013"), "{}", v.explanation);
    }

    #[test]
    fn sum_and_mean_over_years() {
        let mut c = claim(Kind::Sum);
        c.from_year = Some(2014);
        c.year = Some(2016);
        c.relation = Relation::Gt;
        c.value = Some(250.0);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::True, "{}", v.explanation);
        assert!((v.evidence.actual.unwrap() - 254.724033).abs() < 1e-6);
        c.kind = Kind::Mean;
        c.relation = Relation::Approx;
        c.value = Some(85.0);
        assert_eq!(judge(&c).grade, Grade::True);
        c.from_year = Some(2012);
        let v = judge(&c);
        assert_eq!(v.grade, Grade::Unverifiable);
        assert!(v.explanation.contains("2012, 2013"), "{}", v.explanation);
    }

    #[test]
    fn claim_without_series_is_unverifiable_with_its_note() {
        let mut c = ClaimSpec::new("d", "more than 40,400 deportations");
        c.note = Some("The figure comes from The Washington Post.".into());
        let v = without_series(&typed(&c));
        assert_eq!(v.grade, Grade::Unverifiable);
        assert!(v
            .explanation
            .ends_with("The figure comes from The Washington Post."));
    }
}
