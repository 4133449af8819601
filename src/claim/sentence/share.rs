//! Shares of a total: "about 3% of the world's CO2", "a sixth of humanity", "more than a
//! fifth of the EU's population", "18 per cent of world GDP". A share is a percentage (or a
//! fraction in words) followed by "of" and the whole: the world ("the world's", "global",
//! "world", "humanity") or a named aggregate or country.

use super::lexicon::Mention;
use super::numbers::{scan_numbers, Number};
use super::rank::relation_before;
use super::words::Word;
use super::Span;
use crate::claim::Relation;

/// A share read from the sentence.
#[derive(Debug, Clone)]
pub(super) struct SharePhrase {
    /// The whole (ISO3 or aggregate code).
    pub(super) of: String,
    /// The claimed share in percent.
    pub(super) percent: f64,
    /// Its hedge or bound.
    pub(super) relation: Relation,
    /// The words used: the number with its hedge, "of", and the whole's name.
    pub(super) spans: Vec<(usize, usize)>,
}

/// Fractions written as words that the number scan does not read.
fn ordinal_fraction(lower: &[&str], k: usize) -> Option<f64> {
    let n = match lower[k] {
        "fifth" => 5.0,
        "sixth" => 6.0,
        "seventh" => 7.0,
        "eighth" => 8.0,
        "tenth" => 10.0,
        _ => return None,
    };
    matches!(lower.get(k.wrapping_sub(1)).copied(), Some("a" | "one")).then_some(100.0 / n)
}

/// The share of the sentence, if one is written.
pub(super) fn find(
    text: &str,
    words: &[Word],
    mentions: &[Mention],
    subject: &str,
) -> Option<SharePhrase> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let mut candidates: Vec<(Number, usize)> = Vec::new();
    for n in scan_numbers(text, words).into_iter().filter(|n| n.percent) {
        if let Some(last) = words.iter().rposition(|w| w.end <= n.end) {
            candidates.push((n, last));
        }
    }
    for k in 0..lower.len() {
        if let Some(value) = ordinal_fraction(&lower, k) {
            let start = words[k - 1].start;
            candidates.push((super::numbers::fraction(value, start, words[k].end), k));
        }
    }
    for (n, last) in candidates {
        if lower.get(last + 1) != Some(&"of") {
            continue;
        }
        let Some((of, at)) = whole_after(words, &lower, mentions, subject, last + 1) else {
            continue;
        };
        let mut spans: Vec<Span> = Vec::new();
        let mut relation = relation_before(text, &n, &mut spans);
        if n.fraction && relation == Relation::Eq {
            // "a sixth" is a round figure, not 16.67%.
            relation = Relation::Approx;
        }
        let mut used: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        used.push((n.start, words[last + 1].end));
        used.push(at);
        return Some(SharePhrase {
            of,
            percent: n.value,
            relation,
            spans: used,
        });
    }
    None
}

/// The whole after "of": "the world's", "global", "world", "humanity", or a place named.
fn whole_after(
    words: &[Word],
    lower: &[&str],
    mentions: &[Mention],
    subject: &str,
    of: usize,
) -> Option<(String, (usize, usize))> {
    let mut k = of + 1;
    if lower.get(k) == Some(&"the") {
        k += 1;
    }
    let word = words.get(k)?;
    if matches!(lower[k], "global" | "humanity" | "mankind") {
        return Some(("WLD".into(), (words[of + 1].start, word.end)));
    }
    let (code, (_, end)) = mentions
        .iter()
        .find(|(_, (start, _))| *start == word.start)?;
    if code == subject {
        return None;
    }
    // "the world's", "Latin America's": the possessive belongs to the name.
    let end = match words.get(k + 1) {
        Some(s) if s.lower == "s" && s.start <= end + 1 => s.end,
        _ => *end,
    };
    Some((code.clone(), (words[of + 1].start, end)))
}
