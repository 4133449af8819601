//! Precision bands: how wide a claimed number is read ("105" → [104.5, 105.5), "around 82"
//! → ±5%), and how a deviation outside the band becomes a grade.

use serde::{Deserialize, Serialize};

use super::Grade;
use crate::claim::{number, Relation};
use crate::config::GradingConfig;

pub use crate::claim::Assertion;

/// The outcome of comparing one claimed number with the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The grade.
    pub grade: Grade,
    /// `(claimed - actual) / |actual|`, the claimed bound for comparisons.
    pub deviation: f64,
    /// The interval of true values the claim allows (`low`, `high`).
    pub band: (f64, f64),
    /// True when the data lies in the band.
    pub holds: bool,
}

/// Half-width of the band a number's own precision gives: half its last digit's step,
/// capped for round numbers ("6 million") at `round_band_cap` of the value.
pub fn precision_half_width(value: f64, grading: &GradingConfig) -> f64 {
    let half = number::stated_step(value) / 2.0;
    if half > 0.5 {
        half.min((value.abs() * grading.round_band_cap).max(0.5))
    } else {
        half
    }
}

/// The band of true values an assertion allows; the flag says whether `high` is included.
pub fn band(assertion: &Assertion, grading: &GradingConfig) -> (f64, f64, bool) {
    let v = assertion.value;
    let precision = precision_half_width(v, grading);
    let explicit = assertion.tolerance.map(|t| t.half_width(v));
    let hedged = explicit.unwrap_or_else(|| precision.max(v.abs() * grading.approx_band));
    match assertion.relation {
        Relation::Eq => match explicit {
            Some(half) => (v - half, v + half, true),
            None => (v - precision, v + precision, false),
        },
        Relation::Approx => (v - hedged, v + hedged, true),
        Relation::Nearly => (v - hedged, v, true),
        Relation::Gt | Relation::Gte => (v, f64::INFINITY, true),
        Relation::Lt | Relation::Lte => (f64::NEG_INFINITY, v, true),
        Relation::Between => (v, assertion.value_max.unwrap_or(v), true),
    }
}

/// Compares an assertion with the actual number and grades it.
pub fn compare(assertion: &Assertion, actual: f64, grading: &GradingConfig) -> Comparison {
    let (low, high, high_included) = band(assertion, grading);
    let holds = match assertion.relation {
        Relation::Gt => actual > low,
        Relation::Lt => actual < high,
        // The claimed number itself always matches (its band may be below float resolution).
        _ => {
            actual == assertion.value
                || (actual >= low && (actual < high || (high_included && actual == high)))
        }
    };
    // The claimed number nearest to the truth: the violated bound for ranges and comparisons.
    let claimed = match assertion.relation {
        Relation::Between if actual > high => high,
        _ => assertion.value,
    };
    let deviation = relative_deviation(claimed, actual);
    let grade = if holds {
        Grade::True
    } else {
        grade_for_deviation(deviation, grading)
    };
    Comparison {
        grade,
        deviation,
        band: (low, high),
        holds,
    }
}

/// `(claimed - actual) / |actual|`; infinite when the truth is 0 and the claim is not.
pub fn relative_deviation(claimed: f64, actual: f64) -> f64 {
    if actual == 0.0 {
        if claimed == 0.0 {
            0.0
        } else {
            f64::INFINITY.copysign(claimed)
        }
    } else {
        (claimed - actual) / actual.abs()
    }
}

/// The grade for a claim outside its band, by the size of its relative deviation.
pub fn grade_for_deviation(deviation: f64, grading: &GradingConfig) -> Grade {
    let d = deviation.abs();
    if d <= grading.mostly_true {
        Grade::MostlyTrue
    } else if d <= grading.half_true {
        Grade::HalfTrue
    } else if d <= grading.mostly_false {
        Grade::MostlyFalse
    } else {
        Grade::False
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::Tolerance;
    use proptest::prelude::*;

    fn eq(value: f64) -> Assertion {
        Assertion {
            relation: Relation::Eq,
            value,
            value_max: None,
            tolerance: None,
        }
    }

    fn with(relation: Relation, value: f64) -> Assertion {
        Assertion {
            relation,
            ..eq(value)
        }
    }

    const G: GradingConfig = GradingConfig {
        mostly_true: 0.05,
        half_true: 0.10,
        mostly_false: 0.25,
        approx_band: 0.05,
        round_band_cap: 0.05,
    };

    #[test]
    fn exact_number_is_read_at_its_precision() {
        assert_eq!(band(&eq(105.0), &G), (104.5, 105.5, false));
        assert!(compare(&eq(105.0), 104.5, &G).holds);
        assert!(compare(&eq(105.0), 105.49, &G).holds);
        assert!(!compare(&eq(105.0), 105.5, &G).holds, "upper edge is open");
        let (lo, hi, _) = band(&eq(107.6), &G);
        assert!((lo - 107.55).abs() < 1e-9 && (hi - 107.65).abs() < 1e-9);
    }

    #[test]
    fn round_numbers_get_a_capped_band() {
        assert_eq!(band(&eq(40_400.0), &G), (40_350.0, 40_450.0, false));
        let (lo, hi, _) = band(&eq(6_000_000.0), &G);
        assert_eq!((lo, hi), (5_700_000.0, 6_300_000.0));
    }

    #[test]
    fn seed_article_2015_rate_is_mostly_true() {
        let c = compare(&eq(105.0), 107.638231, &G);
        assert_eq!(c.grade, Grade::MostlyTrue);
        assert!((c.deviation + 0.0245).abs() < 0.001, "{}", c.deviation);
    }

    #[test]
    fn hedged_numbers_get_wider_bands() {
        assert_eq!(
            compare(&with(Relation::Approx, 82.0), 85.09, &G).grade,
            Grade::True
        );
        assert_eq!(
            compare(&with(Relation::Eq, 82.0), 85.09, &G).grade,
            Grade::MostlyTrue
        );
        // "nearly 6 million" is below 6 million.
        assert_eq!(
            compare(&with(Relation::Nearly, 6e6), 5.8e6, &G).grade,
            Grade::True
        );
        assert_ne!(
            compare(&with(Relation::Nearly, 6e6), 6.1e6, &G).grade,
            Grade::True
        );
    }

    #[test]
    fn comparisons_hold_or_grade_the_near_miss() {
        assert_eq!(
            compare(&with(Relation::Gt, 40_400.0), 41_000.0, &G).grade,
            Grade::True
        );
        assert_eq!(
            compare(&with(Relation::Gt, 40_400.0), 40_400.0, &G).grade,
            Grade::MostlyTrue
        );
        assert_eq!(
            compare(&with(Relation::Gte, 40_400.0), 40_400.0, &G).grade,
            Grade::True
        );
        assert_eq!(
            compare(&with(Relation::Lt, 10.0), 10.8, &G).grade,
            Grade::HalfTrue
        );
        assert_eq!(
            compare(&with(Relation::Lte, 10.0), 20.0, &G).grade,
            Grade::False
        );
        let between = Assertion {
            value_max: Some(20.0),
            ..with(Relation::Between, 10.0)
        };
        assert_eq!(compare(&between, 15.0, &G).grade, Grade::True);
        assert_eq!(compare(&between, 21.0, &G).grade, Grade::MostlyTrue);
    }

    #[test]
    fn every_grade_is_reachable_by_deviation() {
        // 101 is read as [100.5, 101.5); deviation is relative to the data.
        let grades: Vec<Grade> = [101.2, 104.0, 110.0, 125.0, 150.0]
            .iter()
            .map(|actual| compare(&eq(101.0), *actual, &G).grade)
            .collect();
        assert_eq!(
            grades,
            [
                Grade::True,
                Grade::MostlyTrue,
                Grade::HalfTrue,
                Grade::MostlyFalse,
                Grade::False
            ]
        );
        // A round 100 gets the capped round-number band (±5).
        assert_eq!(compare(&eq(100.0), 104.0, &G).grade, Grade::True);
    }

    #[test]
    fn explicit_tolerance_replaces_precision() {
        let a = Assertion {
            tolerance: Some(Tolerance::Relative(0.03)),
            ..eq(105.0)
        };
        assert_eq!(compare(&a, 107.6, &G).grade, Grade::True);
        let a = Assertion {
            tolerance: Some(Tolerance::Absolute(0.5)),
            ..eq(105.0)
        };
        assert_eq!(compare(&a, 106.0, &G).grade, Grade::MostlyTrue);
    }

    proptest! {
        #[test]
        fn a_claim_always_matches_its_own_value(v in -1e9f64..1e9, rel in 0usize..6) {
            let relation = [Relation::Eq, Relation::Approx, Relation::Nearly, Relation::Gte, Relation::Lte, Relation::Between][rel];
            let a = Assertion { relation, value: v, value_max: Some(v), tolerance: None };
            prop_assert_eq!(compare(&a, v, &G).grade, Grade::True);
        }

        #[test]
        fn grade_never_improves_as_the_truth_moves_away(v in 1.0f64..1e6, d1 in 0.0f64..1.0, d2 in 0.0f64..1.0) {
            let (near, far) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
            let a = eq(v);
            let g_near = compare(&a, v * (1.0 + near), &G).grade;
            let g_far = compare(&a, v * (1.0 + far), &G).grade;
            prop_assert!(g_near.rating() >= g_far.rating(), "{g_near} vs {g_far}");
        }
    }
}
