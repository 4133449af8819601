//! `verify --corroborate`: statistics both sources publish (a table of twins) are fetched from
//! the other source too. The verdict stands on the claim's own source; the evidence adds the
//! other source's value for the same country and year, and a note when the two differ by
//! more than the claim's precision ("UNODC via the World Bank: 49.4; UNODC via Our World in
//! Data: 49.3: the sources disagree by 0.3%").

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::claim::{Claim, ClaimKind, WORLD_BANK};
use crate::source::{links, owid, Scope, Series, SeriesRequest, Source, SourceError};
use crate::verify::Verdict;

/// One statistic published by both sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twin {
    /// What it measures.
    pub statistic: &'static str,
    /// World Bank indicator code.
    pub worldbank: &'static str,
    /// Who the World Bank has it from.
    pub worldbank_label: &'static str,
    /// Our World in Data chart slug.
    pub owid: &'static str,
    /// Who Our World in Data has it from.
    pub owid_label: &'static str,
}

/// The twins table (documented in the README).
pub const TWINS: &[Twin] = &[
    Twin {
        statistic: "Homicide rate (per 100,000 people)",
        worldbank: "VC.IHR.PSRC.P5",
        worldbank_label: "UNODC via the World Bank",
        owid: "homicide-rate-unodc",
        owid_label: "UNODC via Our World in Data",
    },
    Twin {
        statistic: "Population",
        worldbank: "SP.POP.TOTL",
        worldbank_label: "UN WPP and national statistics via the World Bank",
        owid: "population",
        owid_label: "UN WPP, HYDE and Gapminder via Our World in Data",
    },
    Twin {
        statistic: "Life expectancy at birth (years)",
        worldbank: "SP.DYN.LE00.IN",
        worldbank_label: "UN WPP and national statistics via the World Bank",
        owid: "life-expectancy",
        owid_label: "UN WPP and HMD via Our World in Data",
    },
    Twin {
        statistic: "GDP per capita, PPP (constant 2021 international $)",
        worldbank: "NY.GDP.PCAP.PP.KD",
        worldbank_label: "the World Bank (ICP)",
        owid: "gdp-per-capita-worldbank",
        owid_label: "the World Bank via Our World in Data",
    },
    Twin {
        statistic: "CO2 emissions per capita (tonnes)",
        worldbank: "EN.GHG.CO2.PC.CE.AR5",
        worldbank_label: "EDGAR via the World Bank",
        owid: "co-emissions-per-capita",
        owid_label: "Global Carbon Project via Our World in Data",
    },
];

/// The twin of a claim's series: (twin, other source, other indicator).
pub fn twin_of(
    source: &str,
    indicator: &str,
) -> Option<(&'static Twin, &'static str, &'static str)> {
    TWINS.iter().find_map(|t| {
        if source == WORLD_BANK && t.worldbank.eq_ignore_ascii_case(indicator) {
            Some((t, owid::NAME, t.owid))
        } else if source == owid::NAME && t.owid == indicator {
            Some((t, WORLD_BANK, t.worldbank))
        } else {
            None
        }
    })
}

/// The other source's reading, kept in the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corroboration {
    /// The other source (`owid` or `worldbank`).
    pub source: String,
    /// Its indicator (chart slug or code).
    pub indicator: String,
    /// Its value for the claim's country and year, if it has one.
    pub value: Option<f64>,
    /// The year compared.
    pub year: Option<i32>,
    /// `(other - ours) / |ours|`.
    pub difference: Option<f64>,
    /// False when the sources differ by more than the claim's precision.
    pub agrees: Option<bool>,
    /// Its request URL.
    pub source_url: Option<String>,
    /// Its page for the country.
    pub page_url: Option<String>,
    /// Its data vintage.
    pub vintage: Option<String>,
    /// One sentence for the reader.
    pub note: String,
}

/// Series of the other source already fetched in this batch, by (indicator, country).
pub type Fetched = HashMap<(String, String), Result<Series, SourceError>>;

/// True when [`corroborate`] may add the other source's reading to this claim's verdict:
/// a value or change claim about a statistic both sources publish.
pub fn applies_to(claim: &Claim) -> bool {
    let twinned = claim
        .subject()
        .is_some_and(|s| twin_of(&claim.source, &s.indicator).is_some());
    twinned
        && matches!(
            claim.kind,
            ClaimKind::Value { .. } | ClaimKind::Change { .. }
        )
}

/// Adds the twin's reading to a verdict of a value or change claim (the checker calls this
/// for every verdict when corroboration is on). A failing twin fetch is a note, never a
/// failure.
pub async fn corroborate<O: Source>(
    claim: &Claim,
    verdict: &mut Verdict,
    other: &O,
    fetched: &mut Fetched,
) {
    let evidence = &verdict.evidence;
    let (Some(subject), Some(iso3)) = (claim.subject(), &evidence.country) else {
        return;
    };
    let indicator = &subject.indicator;
    let Some((twin, other_source, other_indicator)) = twin_of(&claim.source, indicator) else {
        return;
    };
    let (Some(ours), Some(&year)) = (evidence.actual, evidence.years.last()) else {
        return;
    };
    if !applies_to(claim) {
        return;
    }
    let key = (other_indicator.to_string(), iso3.clone());
    if !fetched.contains_key(&key) {
        let request = SeriesRequest {
            indicator: other_indicator.to_string(),
            scope: Scope::Countries(vec![iso3.clone()]),
            years: None,
        };
        let series = other.fetch_series(&request).await;
        fetched.insert(key.clone(), series);
    }
    let labels = if claim.source == WORLD_BANK {
        (twin.worldbank_label, twin.owid_label)
    } else {
        (twin.owid_label, twin.worldbank_label)
    };
    let band = evidence.band;
    let reading = match &fetched[&key] {
        Ok(series) => compare(series, iso3, year, ours, band, labels),
        Err(e) => Corroboration {
            source: other_source.into(),
            indicator: other_indicator.into(),
            value: None,
            year: Some(year),
            difference: None,
            agrees: None,
            source_url: None,
            page_url: None,
            vintage: None,
            note: format!("{} could not be checked: {e}.", labels.1),
        },
    };
    verdict.explanation.push(' ');
    verdict.explanation.push_str(&reading.note);
    verdict.evidence.corroboration = Some(reading);
}

/// The other series' value against ours, with the claim's band as the precision.
fn compare(
    series: &Series,
    iso3: &str,
    year: i32,
    ours: f64,
    band: Option<(Option<f64>, Option<f64>)>,
    (our_label, their_label): (&str, &str),
) -> Corroboration {
    let theirs = series.value(iso3, year);
    let difference = theirs.map(|t| (t - ours) / ours.abs().max(f64::MIN_POSITIVE));
    // The claim's precision: half its band, relative; a claim without a band gets 0.5%.
    let tolerance = match band {
        Some((Some(low), Some(high))) if high > low => {
            (high - low) / 2.0 / ours.abs().max(f64::MIN_POSITIVE)
        }
        _ => 0.005,
    };
    let agrees = difference.map(|d| d.abs() <= tolerance);
    let name = series.country_name(iso3).unwrap_or(iso3);
    let note = match (theirs, difference, agrees) {
        (Some(t), Some(d), Some(false)) => format!(
            "{our_label}: {}; {their_label}: {}: the sources disagree by {:.1}%.",
            round(ours),
            round(t),
            d.abs() * 100.0
        ),
        (Some(t), _, _) => format!(
            "{their_label} agrees: {} for {year}, within the claim's precision.",
            round(t)
        ),
        _ => format!("{their_label} has no value for {name} in {year}."),
    };
    Corroboration {
        source: series.source.clone(),
        indicator: series.indicator.clone(),
        value: theirs,
        year: Some(year),
        difference,
        agrees,
        source_url: Some(series.url.clone()),
        page_url: links::page_url(&series.source, &series.indicator, iso3, None),
        vintage: series.vintage.clone(),
        note,
    }
}

/// A value as a reader reads it: one decimal below 1,000, whole numbers above.
fn round(value: f64) -> String {
    if value.abs() >= 1000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Observation;
    use chrono::Utc;

    #[test]
    fn twins_go_both_ways() {
        let (_, source, slug) = twin_of("worldbank", "vc.ihr.psrc.p5").unwrap();
        assert_eq!((source, slug), ("owid", "homicide-rate-unodc"));
        let (_, source, code) = twin_of("owid", "life-expectancy").unwrap();
        assert_eq!((source, code), ("worldbank", "SP.DYN.LE00.IN"));
        assert!(twin_of("worldbank", "NY.GDP.MKTP.CD").is_none());
        assert_eq!(TWINS.len(), 5);
    }

    fn series(value: Option<f64>) -> Series {
        Series {
            source: "owid".into(),
            indicator: "homicide-rate-unodc".into(),
            indicator_name: None,
            url: "u".into(),
            vintage: Some("2025-05-28".into()),
            retrieved_at: Utc::now(),
            observations: vec![Observation {
                iso3: "JAM".into(),
                country_id: "JAM".into(),
                country_name: "Jamaica".into(),
                year: 2023,
                value,
            }],
        }
    }

    #[test]
    fn a_gap_beyond_the_claims_precision_is_a_disagreement() {
        let labels = ("UNODC via the World Bank", "UNODC via Our World in Data");
        let band = Some((Some(49.35), Some(49.45)));
        let c = compare(
            &series(Some(49.299488)),
            "JAM",
            2023,
            49.440345,
            band,
            labels,
        );
        assert_eq!(c.agrees, Some(false));
        assert_eq!(
            c.note,
            "UNODC via the World Bank: 49.4; UNODC via Our World in Data: 49.3: the sources disagree by 0.3%."
        );
        let wide = Some((Some(47.0), Some(52.0)));
        let c = compare(
            &series(Some(49.299488)),
            "JAM",
            2023,
            49.440345,
            wide,
            labels,
        );
        assert_eq!(c.agrees, Some(true));
        let c = compare(&series(None), "JAM", 2023, 49.44, band, labels);
        assert_eq!(c.agrees, None);
        assert!(
            c.note.contains("has no value for Jamaica in 2023"),
            "{}",
            c.note
        );
    }
}
