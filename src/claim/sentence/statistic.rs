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
        // "from 250 billion dollars to 300 billion": a count or an amount, never a share.
        let scaled = numbers.iter().any(|n| n.scaled && !n.percent);
        let fits = |unit: Unit| match unit {
            Unit::Percent => !currency && !scaled,
            Unit::Currency => !percent || currency,
            _ => !percent && !currency,
        };
        // Phrases are longest first: the first that fits the numbers' unit wins; failing
        // that, the longest at all.
        let mut first_fit = None;
        let mut first_any = None;
        let mut fit_phrase = None;
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
                fit_phrase = Some(phrase);
                break;
            }
            first_any.get_or_insert(found);
        }
        let hand = first_fit.or(first_any);
        // One phrase for two series ("exports": in dollars and as a share of GDP) that the
        // numbers do not tell apart ("exports tripled"): which was meant is not guessed. A
        // sentence naming GDP or a share speaks of the share ("a quarter of Honduras's
        // GDP", "as a share of GDP has doubled"); a percentage alone does not tell: "exports
        // grew 10%" is a change of either.
        let share = lower.iter().any(|w| matches!(*w, "gdp" | "share"));
        let open = |unit: Unit| match unit {
            Unit::Currency if share => false,
            Unit::Currency => fits(unit) || (percent && !currency),
            _ => fits(unit),
        };
        let twins: Vec<usize> = self
            .phrases
            .iter()
            .filter(|(p, i)| Some(p) == fit_phrase && open(entries[*i].unit))
            .map(|(_, i)| *i)
            .collect();
        // The one twin the sentence leaves open ("imports as a share of GDP": not the
        // dollars, though they are listed first).
        let hand = match twins[..] {
            [only] => hand.map(|(_, at, len)| (only, at, len)),
            _ => hand,
        };
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
            (None, Some((_, at, len))) if twins.len() > 1 => Err(ParseError::Ambiguous {
                what: format!(
                    "\"{}\" (write the unit: \"% of GDP\", or an amount such as \"$300 billion\")",
                    lower[at..at + len].join(" ")
                ),
                candidates: twins
                    .iter()
                    .map(|&i| format!("{} ({})", entries[i].code, entries[i].name))
                    .collect(),
            }),
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

/// Numbers written in a way whose value cannot be read for sure, or counted per another
/// denominator than the series: "6,3 million" (a decimal comma, or a slip?), "1e9", "1.08
/// per 1,000" of a series per 100,000. A verdict would compare the wrong number, so the
/// sentence is refused with the words named.
pub(super) fn written_units(text: &str, indicator: &IndicatorAlias) -> Option<String> {
    if let Some(bad) = odd_grouping(text) {
        return Some(format!(
            "\"{bad}\" is not a number written with thousands separators (a decimal comma?): write it as {}",
            bad.replace(',', ".")
        ));
    }
    if let Some(bad) = exponent(text) {
        return Some(format!(
            "\"{bad}\" is written with an exponent: write the figure in full"
        ));
    }
    let series = denominators(&indicator.name.to_ascii_lowercase());
    for (written, per) in denominators(&text.to_ascii_lowercase()) {
        if !series.iter().any(|(_, d)| *d == per) {
            let wanted = match series.first() {
                Some((name, _)) => format!("the series counts {name}"),
                None => "the series is not counted per a number of people".into(),
            };
            return Some(format!(
                "the sentence counts {written}, and {wanted} ({}): convert the figure, or name the series it comes from",
                indicator.name
            ));
        }
    }
    None
}

/// Digits grouped by commas other than in threes ("6,3", "18,4", "1,23,456").
fn odd_grouping(text: &str) -> Option<&str> {
    numeric_runs(text).find(|run| {
        let integer = run.split('.').next().unwrap_or(run);
        let mut groups = integer.split(',');
        let first = groups.next().unwrap_or("");
        integer.contains(',')
            && (first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3))
    })
}

/// A number with an exponent ("1e9", "2.5E6"): a run of digits, an "e", digits.
fn exponent(text: &str) -> Option<&str> {
    // Split on anything that cannot be part of such a number; a run that starts with a
    // digit and holds an "e" followed by digits is one ("2015e" and "G7e9" are not).
    for run in text.split_inclusive(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '+' | '-'))
    }) {
        let run = run.trim_end_matches(|c: char| {
            !(c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '+' | '-'))
        });
        if !run.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let Some(e) = run.find(['e', 'E']) else {
            continue;
        };
        let mantissa = &run[..e];
        let power = run[e + 1..].trim_start_matches(['+', '-']);
        if mantissa
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
            && power.starts_with(|c: char| c.is_ascii_digit())
        {
            return Some(run.trim_end_matches(['.', ',']));
        }
    }
    None
}

/// Runs of digits with their separators ("6,3", "100,000", "2.5").
fn numeric_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map(|run| run.trim_matches([',', '.']))
        .filter(|run| run.starts_with(|c: char| c.is_ascii_digit()))
}

/// Every "per N" of a text (lower case) and N: "per 100,000", "per 1,000 live births", "per
/// million", "per thousand". "per cent", "per capita" and "per woman" name no number.
fn denominators(lower: &str) -> Vec<(String, f64)> {
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == ','))
        .map(|w| w.trim_matches(','))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w != "per" {
            continue;
        }
        let next = words.get(i + 1).copied().unwrap_or("");
        let n = match next {
            "hundred" => Some(100.0),
            "thousand" => Some(1e3),
            "million" => Some(1e6),
            digits => digits.replace(',', "").parse::<f64>().ok(),
        };
        let Some(mut n) = n else { continue };
        let mut shown = format!("per {next}");
        // "per 100 thousand", "per 100 000"
        if let Some(scale) = words.get(i + 2).and_then(|w| match *w {
            "thousand" => Some(1e3),
            "million" => Some(1e6),
            _ => None,
        }) {
            n *= scale;
            shown = format!("{shown} {}", words[i + 2]);
        }
        out.push((shown, n));
    }
    out
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
        // "a murder rate of 107.6%", "$107.6": a percentage or money for a rate or a count.
        unit if value.percent && unit != Unit::Percent => Some(format!(
            "{} is not a percentage, and \"{written}\" is one: check the figure, or name the series in percent (`claimcheck indicators search WORDS`)",
            indicator.name
        )),
        unit if value.currency && unit != Unit::Currency => Some(format!(
            "{} is not an amount of money, and \"{written}\" is one: check the figure, or name the series in money (`claimcheck indicators search WORDS`)",
            indicator.name
        )),
        // "urban population was 5.5 million" against the urban share in percent: a count
        // for a percentage (or a rate) series was checked as the percentage.
        Unit::Percent | Unit::Rate if value.scaled => Some(format!(
            "{} is {}, and \"{written}\" is a count: name the series that counts (`claimcheck indicators search WORDS`)",
            indicator.name,
            if indicator.unit == Unit::Percent { "a percentage" } else { "a rate" }
        )),
        // "within five years", "for 12 months": a duration, not the statistic's value.
        unit if unit != Unit::Years && duration_follows(text, value) => Some(format!(
            "\"{written}\" counts time, and {} is not measured in years: a verdict would check the wrong number, so none is given",
            indicator.name
        )),
        _ => None,
    }
}
