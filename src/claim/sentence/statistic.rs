//! The statistic: the indicator a sentence names, by the hand-written phrasings of
//! `config/indicators.toml` or by the World Bank's official name, chosen by the number's unit;
//! the unit check of the claimed number; and the choice of Our World in Data for sentences
//! that credit it.

use super::super::indicator::{IndicatorAlias, Unit};
use super::super::wdi_match::WdiMatch;
use super::super::ClaimSpec;
use super::numbers::{after_denominator, Number};
use super::words::{find_all, Word};
use super::{ParseError, SentenceParser};

impl SentenceParser {
    pub(super) fn find_indicator(
        &self,
        lower: &[&str],
        words: &[Word],
        numbers: &[Number],
    ) -> Result<(IndicatorAlias, (usize, usize)), ParseError> {
        let entries = self.indicators.entries();
        let percent = numbers.iter().any(|n| n.percent || n.fraction);
        let currency = numbers.iter().any(|n| n.currency);
        let fits = |unit: Unit| match unit {
            Unit::Percent => !currency,
            Unit::Currency => !percent || currency,
            _ => !percent && !currency,
        };
        // Phrases are longest first: the first that fits the numbers' unit wins; failing
        // that, the longest at all.
        let mut first_fit = None;
        let mut first_any = None;
        for (phrase, index) in &self.phrases {
            let Some(at) = find_all(lower, phrase)
                .into_iter()
                .find(|&at| !after_denominator(lower, at))
            else {
                continue;
            };
            let found = (*index, at, phrase.len());
            if fits(entries[*index].unit) {
                first_fit = Some(found);
                break;
            }
            first_any.get_or_insert(found);
        }
        let hand = first_fit.or(first_any);
        // An official WDI name longer than the hand-written phrase is more specific
        // ("GDP per capita (constant 2015 US$)" over "gdp per capita"); otherwise the
        // hand-written phrasing wins.
        let official = self
            .wdi
            .find(lower, fits)
            .filter(|m| hand.is_none_or(|(_, _, len)| m.len() > len));
        match (official, hand) {
            (Some(WdiMatch::Series { code, name, unit, start, end }), _) => Ok((
                IndicatorAlias {
                    code,
                    name,
                    unit,
                    phrases: Vec::new(),
                    source: crate::claim::WORLD_BANK.into(),
                },
                (words[start].start, words[end - 1].end),
            )),
            (Some(WdiMatch::Ambiguous { start, end, candidates }), _) => {
                Err(ParseError::Ambiguous {
                    what: format!(
                        "\"{}\" (write the unit in parentheses as the World Bank names it)",
                        lower[start..end].join(" ")
                    ),
                    candidates,
                })
            }
            (None, Some((index, at, len))) => Ok((
                entries[index].clone(),
                (words[at].start, words[at + len - 1].end),
            )),
            (None, None) => Err(ParseError::Missing(
                "no known statistic found (such as \"murder rate\", \"population\", \"GDP per capita\", \"inflation\", or a World Bank indicator name: `claimcheck indicators search WORDS`); add the phrasing to config/indicators.toml".into(),
            )),
        }
    }
}

/// A sentence crediting Our World in Data is checked against its chart when it publishes the
/// statistic (the twins table); otherwise a note says the World Bank is used.
pub(super) fn prefer_owid(claim: &mut ClaimSpec, code: &str, notes: &mut Vec<String>) {
    match crate::corroborate::twin_of(crate::claim::WORLD_BANK, code) {
        Some((_, source, slug)) => {
            claim.source = source.to_string();
            claim.indicator = Some(slug.to_string());
            notes.push(format!(
                "credited to Our World in Data: checked against its chart {slug}"
            ));
        }
        None => notes.push(format!(
            "credited to Our World in Data, which claimcheck knows no chart of {code} for: checked against the World Bank"
        )),
    }
}

/// Whether a unit of time follows the number ("five years", "12 months").
fn duration_follows(text: &str, value: &Number) -> bool {
    let next = text[value.end..]
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        next.as_str(),
        "year"
            | "years"
            | "month"
            | "months"
            | "week"
            | "weeks"
            | "day"
            | "days"
            | "decade"
            | "decades"
    )
}

/// Why the number cannot be a value of the indicator: money for a percentage, a percentage
/// for money, a duration for anything not counted in years.
pub(super) fn unit_mismatch(
    indicator: &IndicatorAlias,
    value: &Number,
    text: &str,
) -> Option<String> {
    let written = &text[value.start..value.end];
    match indicator.unit {
        Unit::Percent if value.currency => Some(format!(
            "{} is a percentage, and \"{written}\" is an amount of money: check the figure, or name the series in money (`claimcheck indicators search WORDS`)",
            indicator.name
        )),
        Unit::Currency if value.percent => Some(format!(
            "{} is an amount of money, and \"{written}\" is a percentage: check the figure, or name the series in percent (`claimcheck indicators search WORDS`)",
            indicator.name
        )),
        // "within five years", "for 12 months": a duration, not the statistic's value.
        unit if unit != Unit::Years && duration_follows(text, value) => Some(format!(
            "\"{written}\" counts time, and {} is not measured in years: a verdict would check the wrong number, so none is given",
            indicator.name
        )),
        _ => None,
    }
}
