//! Turning what a person sends into a claim, the same way for the API and the CLI: a body
//! with only `text` (plus labels) is read as a sentence; otherwise its keys must make a
//! complete claim. Keys that cannot be combined with a sentence are refused by name, never
//! dropped.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::claim::country::Countries;
use crate::claim::indicator::{IndicatorTable, IndicatorTableError};
use crate::claim::sentence::SentenceParser;
use crate::claim::{Claim, ClaimError, ClaimSpec};

/// The default location of the indicator phrasing table.
pub const INDICATORS_PATH: &str = "config/indicators.toml";

/// The sentence parser for these settings: the indicator table at `indicators` (or the
/// default path), else the embedded one.
pub fn parser(indicators: Option<&Path>) -> Result<SentenceParser, IndicatorTableError> {
    let path = indicators.map_or_else(|| PathBuf::from(INDICATORS_PATH), Path::to_path_buf);
    let table = IndicatorTable::load(&path)?;
    Ok(SentenceParser::new(&Countries::embedded(), table))
}

/// Why a body could not become a claim.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The sentence could not be read as a claim.
    #[error("cannot turn the text into a claim: {0}")]
    Sentence(#[from] crate::claim::sentence::ParseError),
    /// The keys do not make a valid claim.
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// Keys given beside a sentence that a sentence cannot take.
    #[error("{keys} cannot be combined with a sentence in `text`: say it in the sentence, or give `indicator` and `country` to state the claim key by key")]
    MixedKeys {
        /// The offending keys, quoted and joined.
        keys: String,
    },
}

/// The claims of a body: a sentence when only `text` and labels (`id`, `tags`, `schedule`,
/// `note`) are set (one claim per clause of the sentence, linked by their ids), else the
/// keys as they are.
pub fn claim_from_body(
    body: ClaimSpec,
    parser: &SentenceParser,
    countries: &Countries,
    as_of: NaiveDate,
) -> Result<Vec<Claim>, IntakeError> {
    if body.indicator.is_some() || body.country.is_some() {
        return Ok(vec![body.validate(countries)?]);
    }
    let structural = structural_keys(&body);
    if body.value.is_none() && body.note.is_some() && structural.is_empty() {
        // A claim no series answers, kept with its note (like the seed article's).
        return Ok(vec![body.validate(countries)?]);
    }
    if !structural.is_empty() {
        return Err(IntakeError::MixedKeys {
            keys: structural.join(", "),
        });
    }
    let parts = parser.parse_all(&body.text, as_of)?;
    labelled(
        parts.into_iter().map(|p| p.claim).collect(),
        &body,
        countries,
    )
}

/// The claims read from a sentence, with the body's labels: its id (`<id>-1`, `<id>-2` for
/// the parts of a several-claim sentence; the sentence's slug when none is given), tags,
/// schedule and note. Each is validated again, since a label may be malformed.
pub fn labelled(
    parts: Vec<Claim>,
    body: &ClaimSpec,
    countries: &Countries,
) -> Result<Vec<Claim>, IntakeError> {
    let several = parts.len() > 1;
    parts
        .into_iter()
        .enumerate()
        .map(|(k, mut claim)| {
            if !body.id.is_empty() {
                claim.id = if several {
                    format!("{}-{}", body.id, k + 1)
                } else {
                    body.id.clone()
                };
            }
            claim.tags = body.tags.clone();
            claim.schedule = body.schedule.clone();
            claim.note = body.note.clone();
            Ok(claim.spec().validate(countries)?)
        })
        .collect()
}

/// The keys of `body` that state the claim itself (not labels), when set: a sentence
/// states them, so they cannot come beside one.
pub fn structural_keys(body: &ClaimSpec) -> Vec<&'static str> {
    let blank = ClaimSpec::new(String::new(), String::new());
    let checks: [(&'static str, bool); 26] = [
        ("`year`", body.year != blank.year),
        ("`from_year`", body.from_year != blank.from_year),
        ("`value`", body.value.is_some()),
        ("`value_max`", body.value_max.is_some()),
        ("`kind`", body.kind != blank.kind),
        ("`relation`", body.relation != blank.relation),
        ("`tolerance`", body.tolerance.is_some()),
        ("`rank`", body.rank.is_some()),
        ("`order`", body.order.is_some()),
        ("`among`", !body.among.is_empty()),
        ("`direction`", body.direction.is_some()),
        ("`from_value`", body.from_value.is_some()),
        ("`change_pct`", body.change_pct.is_some()),
        ("`factor`", body.factor.is_some()),
        ("`change_abs`", body.change_abs.is_some()),
        ("`extreme`", body.extreme.is_some()),
        ("`window`", body.window.is_some()),
        ("`window_years`", body.window_years.is_some()),
        ("`since`", body.since.is_some()),
        ("`other`", body.other.is_some()),
        ("`of`", body.of.is_some()),
        ("`years`", body.years.is_some()),
        ("`event`", body.event.is_some()),
        ("`span_years`", body.span_years.is_some()),
        ("`negated`", body.negated),
        ("`source`", body.source != blank.source),
    ];
    checks
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(key, _)| key)
        .collect()
}
