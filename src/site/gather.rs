//! Builds a claim's [`ClaimInput`] from what is stored (its history and edits), the parsed
//! parts of its text and the series around its claimed year. `report --out` passes the
//! series it fetched; the daemon's `/` passes none, so its charts use the values the
//! verdicts stored (no upstream request per page).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::ClaimInput;
use crate::claim::sentence::{SentenceParser, Span};
use crate::claim::Claim;
use crate::store::{EditRecord, VerdictRecord};

/// The series fetched for the charts: (indicator, ISO3) → (year, value), every year.
pub type SeriesMap = BTreeMap<(String, String), Vec<(i32, f64)>>;

/// Years shown before and after the claimed year.
const BEFORE: i32 = 8;
const AFTER: i32 = 3;

/// One claim's page input.
pub fn claim_input(
    claim: Claim,
    history: Vec<VerdictRecord>,
    edits: Vec<EditRecord>,
    parser: Option<&SentenceParser>,
    today: NaiveDate,
    series: &SeriesMap,
) -> ClaimInput {
    let spans = parser
        .map(|p| spans_for(p, &claim, today))
        .unwrap_or_default();
    let series = series_for(&claim, &history, series);
    ClaimInput {
        claim,
        history,
        edits,
        series,
        spans,
    }
}

/// The report's title for a tag (or every claim).
pub fn title(tag: Option<&str>) -> String {
    match tag {
        Some(tag) => format!("claimcheck report: {tag}"),
        None => "claimcheck report".to_string(),
    }
}

/// The fetched series around the claimed year, or else the values the latest verdict used.
fn series_for(claim: &Claim, history: &[VerdictRecord], map: &SeriesMap) -> Vec<(i32, f64)> {
    let used: Vec<(i32, f64)> = history
        .first()
        .map(|r| {
            r.verdict
                .evidence
                .values
                .iter()
                .map(|v| (v.year, v.value))
                .collect()
        })
        .unwrap_or_default();
    let spec = claim.spec();
    let key = (
        spec.indicator.clone().unwrap_or_default(),
        spec.country.clone().unwrap_or_default(),
    );
    let Some(all) = map.get(&key).filter(|v| !v.is_empty()) else {
        return used;
    };
    let last = spec
        .year
        .or_else(|| used.last().map(|u| u.0))
        .unwrap_or_else(|| all.last().map_or(0, |v| v.0));
    let first = spec.from_year.unwrap_or(last).min(last) - BEFORE;
    all.iter()
        .copied()
        .filter(|(y, _)| (first..=last + AFTER).contains(y))
        .collect()
}

/// The parsed parts of the claim text, when the sentence parser reads the same claim.
fn spans_for(parser: &SentenceParser, claim: &Claim, today: NaiveDate) -> Vec<Span> {
    match parser.parse(&claim.text, today) {
        Ok(p) if p.claim.subject() == claim.subject() => p.spans,
        _ => Vec::new(),
    }
}
