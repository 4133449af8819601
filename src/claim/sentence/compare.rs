//! Comparisons between places: "Colombia's murder rate was three times Chile's", "more than
//! ten times", "double Mexico's", "half that of the UK", "higher than Mexico", "below the
//! Latin American average", "Jamaica overtook Honduras". The other place must be named
//! right after the comparison words; a comparison whose other side is not a place ("higher
//! than during the war") is left for the account to refuse.

use super::lexicon::Mention;
use super::numbers::small_number;
use super::words::Word;
use crate::claim::Relation;

/// A comparison read from the sentence.
#[derive(Debug, Clone)]
pub(super) struct Comparison {
    /// The other place (ISO3 or aggregate code).
    pub(super) other: String,
    /// Higher or lower (`gt`/`lt`), or the relation of the claimed ratio.
    pub(super) relation: Relation,
    /// The claimed ratio of the subject's value to the other's ("three times": 3).
    pub(super) factor: Option<f64>,
    /// "overtook": lower the year before, higher in the year.
    pub(super) overtake: bool,
    /// The words used (the other place's name included).
    pub(super) spans: Vec<(usize, usize)>,
}

/// Comparative words and the side they put the subject on.
fn comparative(word: &str) -> Option<Relation> {
    match word {
        "higher" | "more" | "greater" | "larger" | "bigger" | "longer" | "worse" | "above"
        | "over" => Some(Relation::Gt),
        "lower" | "less" | "fewer" | "smaller" | "shorter" | "below" | "under" => {
            Some(Relation::Lt)
        }
        _ => None,
    }
}

/// "three times", "18 times", "double", "twice", "half": the ratio and the words.
fn ratio_at(lower: &[&str], i: usize) -> Option<(f64, usize, usize)> {
    let word = lower[i];
    let fixed = match word {
        "double" | "twice" => Some(2.0),
        "triple" | "treble" | "thrice" => Some(3.0),
        "half" => Some(0.5),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some((f, i, i));
    }
    if word == "times" && i > 0 {
        let n = lower[i - 1];
        let value = n
            .parse::<f64>()
            .ok()
            .or_else(|| small_number(n).map(|n| n as f64))
            .filter(|v| *v > 1.0)?;
        return Some((value, i - 1, i));
    }
    None
}

/// The hedge before a ratio: "more than ten times", "nearly four times", "about double".
fn hedge(lower: &[&str], first: usize) -> (Relation, usize) {
    let at = |k: usize| first.checked_sub(k).map(|j| lower[j]).unwrap_or("");
    match (at(2), at(1)) {
        ("more" | "over", "than") => (Relation::Gt, first - 2),
        ("less" | "fewer", "than") => (Relation::Lt, first - 2),
        (_, "nearly" | "almost") => (Relation::Nearly, first - 1),
        (_, "about" | "around" | "roughly" | "some") => (Relation::Approx, first - 1),
        (_, "over") => (Relation::Gt, first - 1),
        _ => (Relation::Eq, first),
    }
}

/// The first place named within a few words after word `after`, not the subject; "the
/// global average" is the world's. A following "average" belongs to the place's name.
fn place_after(
    words: &[Word],
    mentions: &[Mention],
    subject: &str,
    after: usize,
) -> Option<Mention> {
    let from = words[after].end;
    let window = &words[after + 1..words.len().min(after + 8)];
    let until = window.last().map_or(from, |w| w.end);
    let named = mentions
        .iter()
        .find(|(code, (start, _))| *start >= from && *start < until && code != subject)
        .cloned();
    let (code, (start, mut end)) = named.or_else(|| {
        let global = window.iter().position(|w| w.lower == "global")?;
        let w = &window[global];
        (subject != "WLD").then(|| ("WLD".to_string(), (w.start, w.end)))
    })?;
    if let Some(next) = words.iter().find(|w| w.start >= end) {
        if matches!(next.lower.as_str(), "average" | "rate" | "level" | "s") {
            end = next.end;
        }
    }
    Some((code, (start, end)))
}

/// The comparison of the subject with another place, if the sentence makes one.
pub(super) fn find(words: &[Word], mentions: &[Mention], subject: &str) -> Option<Comparison> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    // A ratio first: in "more than double the world average" the "more" is its hedge.
    ratio(words, &lower, mentions, subject).or_else(|| side(words, &lower, mentions, subject))
}

/// "three times Chile's", "double the EU average", "half that of the UK".
fn ratio(
    words: &[Word],
    lower: &[&str],
    mentions: &[Mention],
    subject: &str,
) -> Option<Comparison> {
    for i in 0..lower.len() {
        let Some((factor, first, last)) = ratio_at(lower, i) else {
            continue;
        };
        let Some((other, at)) = place_after(words, mentions, subject, last) else {
            continue;
        };
        let (relation, start) = hedge(lower, first);
        // "double that of", "three times as high as": the words up to the other place.
        let end = words.iter().rposition(|w| w.end <= at.0).unwrap_or(last);
        return Some(Comparison {
            other,
            relation,
            factor: Some(factor),
            overtake: false,
            spans: vec![(words[start].start, words[end.max(last)].end), at],
        });
    }
    None
}

/// Words that may stand between a comparative and the other place: "higher than the
/// United States'", "below that of Chile". Anything else ("more than a fifth of the EU's")
/// is no comparison of the two places' values.
const BETWEEN: &[&str] = &["than", "the", "that", "those", "of", "in"];

/// "higher than Mexico('s)", "below the Latin American average", "overtook Honduras".
fn side(words: &[Word], lower: &[&str], mentions: &[Mention], subject: &str) -> Option<Comparison> {
    for i in 0..lower.len() {
        let span = |a: usize, b: usize| (words[a].start, words[b].end);
        if matches!(
            lower[i],
            "overtook" | "overtaken" | "overtakes" | "surpassed"
        ) {
            let (other, at) = place_after(words, mentions, subject, i)?;
            return Some(Comparison {
                other,
                relation: Relation::Gt,
                factor: None,
                overtake: true,
                spans: vec![span(i, i), at],
            });
        }
        if let Some(relation) = comparative(lower[i]) {
            // "higher than Mexico('s)", "below the Latin American average".
            let than = lower.get(i + 1) == Some(&"than");
            let next_is_number = lower
                .get(i + 1 + usize::from(than))
                .copied()
                .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
            if next_is_number {
                continue;
            }
            let Some((other, at)) = place_after(words, mentions, subject, i) else {
                continue;
            };
            let end = words.iter().rposition(|w| w.end <= at.0).unwrap_or(i);
            if !lower[i + 1..=end.max(i)]
                .iter()
                .all(|w| BETWEEN.contains(w))
            {
                continue;
            }
            return Some(Comparison {
                other,
                relation,
                factor: None,
                overtake: false,
                spans: vec![span(i, end.max(i)), at],
            });
        }
    }
    None
}
