//! Changes as politicians state them: the direction words ("fell", "rose", "cut"), and the
//! size of the change in any of its three forms: a percentage ("grew by 10%", "a 10% rise"),
//! a multiplier ("doubled", "more than halved", "by half", "cut in half") or an amount in the
//! statistic's unit ("rose by 4 years", "added 20 million people", "down 20 percentage
//! points").

use super::lexicon::{DECREASE, INCREASE};
use super::numbers::{preceded_by, Number};
use super::rank::relation_before;
use super::words::{inside, Word};
use super::Span;
use crate::claim::{ClaimSpec, Direction, Relation};

/// Verbs of change beyond the lexicon's, read the same way.
const MORE_DECREASE: &[&str] = &["cut", "fallen", "shrink", "lost", "contracted", "reduced"];
const MORE_INCREASE: &[&str] = &["risen", "grown", "added", "gained", "shot", "increasing"];

/// The direction words outside the statistic's name, with their spans.
pub(super) fn direction_words(
    words: &[Word],
    statistic: (usize, usize),
) -> Vec<(Direction, usize, usize)> {
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| !inside(&statistic, w.start) && !made_up(words, w))
        .filter_map(|(i, w)| {
            let direction = direction_of(&w.lower).or_else(|| {
                base_multiplier(words, i).map(|f| {
                    if f < 1.0 {
                        Direction::Decrease
                    } else {
                        Direction::Increase
                    }
                })
            });
            direction.map(|d| (d, w.start, w.end))
        })
        .collect()
}

/// The direction a change verb states ("fell", "rose"), if it is one.
pub(super) fn direction_of(word: &str) -> Option<Direction> {
    if DECREASE.contains(&word) || MORE_DECREASE.contains(&word) {
        Some(Direction::Decrease)
    } else if INCREASE.contains(&word) || MORE_INCREASE.contains(&word) {
        Some(Direction::Increase)
    } else {
        None
    }
}

/// A claimed size of a change, where it was written.
pub(super) struct Amount {
    pub(super) key: AmountKey,
    pub(super) value: f64,
    pub(super) relation: Relation,
    pub(super) span: (usize, usize),
}

/// Which key of the claim the amount fills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum AmountKey {
    Pct,
    Factor,
    Abs,
}

impl Amount {
    /// Writes the amount into the claim.
    pub(super) fn fill(&self, claim: &mut ClaimSpec) {
        let slot = match self.key {
            AmountKey::Pct => &mut claim.change_pct,
            AmountKey::Factor => &mut claim.factor,
            AmountKey::Abs => &mut claim.change_abs,
        };
        *slot = Some(self.value);
        if claim.value.is_none() {
            claim.relation = self.relation;
        }
    }
}

/// Multiplier verbs and the factor they state.
const MULTIPLIER_VERBS: &[(&str, f64)] = &[
    ("doubled", 2.0),
    ("tripled", 3.0),
    ("trebled", 3.0),
    ("quadrupled", 4.0),
    ("quintupled", 5.0),
    ("halved", 0.5),
];

/// The multiplier verbs' base forms, read only after "did" ("didn't halve", "did not
/// double", "it did triple"). Anywhere else "double" is an adjective or a comparison ("double
/// Mexico's rate"), and "will halve" is a forecast (refused for its "will").
const BASE_MULTIPLIERS: &[(&str, f64)] = &[
    ("double", 2.0),
    ("triple", 3.0),
    ("treble", 3.0),
    ("quadruple", 4.0),
    ("halve", 0.5),
];

/// The factor of a base-form multiplier verb at word `i` that follows "did", "did not" or
/// "didn't" (split by the apostrophe into "didn" and "t").
fn base_multiplier(words: &[Word], i: usize) -> Option<f64> {
    let at = |k: usize| {
        i.checked_sub(k)
            .and_then(|j| words.get(j))
            .map(|w| w.lower.as_str())
    };
    let after_did = matches!(
        (at(2), at(1)),
        (_, Some("did")) | (Some("did"), Some("not")) | (Some("didn"), Some("t"))
    );
    let word = words.get(i)?.lower.as_str();
    BASE_MULTIPLIERS
        .iter()
        .find(|(v, _)| *v == word)
        .filter(|_| after_did)
        .map(|(_, f)| *f)
}

/// The first multiplier verb of the sentence ("doubled", or "double" after "did"), if any.
pub(super) fn multiplier_word(words: &[Word]) -> Option<&Word> {
    words.iter().enumerate().find_map(|(i, w)| {
        let verb = MULTIPLIER_VERBS.iter().any(|(v, _)| *v == w.lower);
        (verb || base_multiplier(words, i).is_some()).then_some(w)
    })
}

/// "by half", "by a third", "by two thirds", "by a quarter": the fraction and the words.
fn by_fraction(words: &[Word], i: usize) -> Option<(f64, usize)> {
    let at = |k: usize| words.get(k).map(|w| w.lower.as_str());
    let (fraction, last) = match (at(i), at(i + 1)) {
        (Some("half"), _) => (0.5, i),
        (Some("a" | "one"), Some("third")) => (1.0 / 3.0, i + 1),
        (Some("two"), Some("thirds")) => (2.0 / 3.0, i + 1),
        (Some("a" | "one"), Some("quarter")) => (0.25, i + 1),
        (Some("three"), Some("quarters")) => (0.75, i + 1),
        _ => return None,
    };
    Some((fraction, last))
}

/// The relation of hedge words just before word `i` ("more than", "nearly") and where
/// they start.
fn hedge_before(words: &[Word], i: usize) -> (Relation, usize) {
    let at = |k: usize| {
        i.checked_sub(k)
            .and_then(|j| words.get(j))
            .map(|w| w.lower.as_str())
    };
    match (at(2), at(1)) {
        (Some("more" | "greater"), Some("than")) => (Relation::Gt, words[i - 2].start),
        (Some("less" | "fewer"), Some("than")) => (Relation::Lt, words[i - 2].start),
        (Some("at"), Some("least")) => (Relation::Gte, words[i - 2].start),
        (_, Some("nearly" | "almost")) => (Relation::Nearly, words[i - 1].start),
        (_, Some("about" | "around" | "roughly" | "some")) => {
            (Relation::Approx, words[i - 1].start)
        }
        _ => (Relation::Eq, words[i].start),
    }
}

/// For a fall stated by its size ("cut by more than 90%"), "more than" bounds the size of
/// the fall: the signed change is below -90.
fn signed(relation: Relation, decrease: bool) -> Relation {
    match (decrease, relation) {
        (true, Relation::Gt) => Relation::Lt,
        (true, Relation::Gte) => Relation::Lte,
        (true, Relation::Lt) => Relation::Gt,
        (true, Relation::Lte) => Relation::Gte,
        (_, r) => r,
    }
}

/// The size of the change, if the sentence states one. `numbers` are the figures not used
/// as the start or end value.
pub(super) fn amount(
    text: &str,
    words: &[Word],
    numbers: &[Number],
    decrease: bool,
    percent_unit: bool,
    spans: &mut Vec<Span>,
) -> Option<Amount> {
    for (i, w) in words.iter().enumerate() {
        let factor = MULTIPLIER_VERBS
            .iter()
            .find(|(v, _)| *v == w.lower)
            .map(|(_, f)| *f)
            // "fell fivefold" is to a fifth.
            .or_else(|| fold(&w.lower).map(|f| if decrease { 1.0 / f } else { f }))
            .or_else(|| base_multiplier(words, i));
        if let Some(factor) = factor {
            let (relation, start) = hedge_before(words, i);
            // "more than halved": a smaller factor than a half.
            let relation = signed(relation, factor < 1.0);
            return Some(Amount {
                key: AmountKey::Factor,
                value: factor,
                relation,
                span: (start, w.end),
            });
        }
        // "cut in half", "cut its murder rate in half": "halved", said with more words (the
        // development set reads it as exactly that). Only with a fall: nothing else grows
        // "in half".
        if w.lower == "in" && decrease && words.get(i + 1).is_some_and(|n| n.lower == "half") {
            return Some(Amount {
                key: AmountKey::Factor,
                value: 0.5,
                relation: Relation::Eq,
                span: (w.start, words[i + 1].end),
            });
        }
        if w.lower == "by" {
            let (relation, skip) = match words.get(i + 1).map(|w| w.lower.as_str()) {
                Some("more" | "less") if words.get(i + 2).is_some_and(|w| w.lower == "than") => {
                    (hedge_before(words, i + 3).0, 3)
                }
                Some("nearly" | "almost" | "about" | "around" | "roughly") => {
                    (hedge_before(words, i + 2).0, 2)
                }
                _ => (Relation::Eq, 1),
            };
            if let Some((fraction, last)) = by_fraction(words, i + skip) {
                // A fraction in words is a round figure: "by two-thirds" is about 67%.
                let relation = match signed(relation, decrease) {
                    Relation::Eq => Relation::Approx,
                    r => r,
                };
                let (key, value) = if decrease && fraction == 0.5 {
                    (AmountKey::Factor, 0.5)
                } else if decrease {
                    (AmountKey::Pct, -fraction * 100.0)
                } else {
                    (AmountKey::Pct, fraction * 100.0)
                };
                return Some(Amount {
                    key,
                    value,
                    relation,
                    span: (w.start, words[last].end),
                });
            }
        }
    }
    let sign = if decrease { -1.0 } else { 1.0 };
    // "fell 80%", "by 4 years", "added 20 million": a size. "fell below 40": a level.
    let after_change_word = |n: &Number| {
        let mut verbs: Vec<&str> = DECREASE.to_vec();
        verbs.extend(INCREASE);
        verbs.extend(MORE_DECREASE);
        verbs.extend(MORE_INCREASE);
        (n.percent && preceded_by(text, n, &verbs))
            || preceded_by(text, n, &["by", "added", "gained", "lost"])
    };
    let before_change_noun = |n: &Number| {
        let rest = text[n.end..].trim_start().to_ascii_lowercase();
        let rest = rest.trim_start_matches(['%', ' ']);
        let rest = rest.strip_prefix("percent").unwrap_or(rest).trim_start();
        [
            "rise",
            "fall",
            "increase",
            "drop",
            "decline",
            "jump",
            "cut",
            "reduction",
            "growth",
        ]
        .iter()
        .any(|noun| rest.starts_with(noun))
    };
    let n = numbers
        .iter()
        .find(|n| after_change_word(n) || before_change_noun(n))?;
    let rest = text[n.end..].trim_start().to_ascii_lowercase();
    let points = rest.starts_with("percentage point") || rest.starts_with("points");
    if rest.starts_with("percentage point") && !percent_unit {
        // Points of a percentage, said of a statistic that is none (a rate per 100,000): no
        // reading is sure, and reading them as percent checked "down 92.7 percentage points"
        // as a 92.7% fall. The number stays unused, so the sentence is refused.
        return None;
    }
    let key = if n.percent && !(percent_unit && points) {
        AmountKey::Pct
    } else if n.percent || points || !n.fraction {
        AmountKey::Abs
    } else {
        return None;
    };
    let relation = signed(relation_before(text, n, spans), decrease);
    Some(Amount {
        key,
        value: sign * n.value,
        relation,
        span: (n.start, n.end),
    })
}

/// A minus sign beside a change word ("fell by -5%", "rose -3%"): a fall of 5%, or a rise
/// written the other way round? Either reading could be the writer's, so none is chosen.
pub(super) fn signed_against_direction(text: &str, numbers: &[Number]) -> Option<String> {
    numbers.iter().find_map(|n| {
        let before = text[..n.start].to_ascii_lowercase();
        let words: Vec<&str> = before
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .rev()
            .take(3)
            .collect();
        let near_verb = words.iter().any(|w| direction_of(w).is_some());
        (n.value < 0.0 && near_verb).then(|| {
            format!(
                "\"{}\" is signed beside a change word: write the size of the change (\"fell by 5%\") or the sign alone (\"changed by -5%\")",
                &text[n.start..n.end]
            )
        })
    })
}

/// Verbs of a move that name no direction: "went from 11.2 in 2010 to 17.2 in 2023". Not
/// "ranged" or "varied" ("ranged from 11 to 17" gives the lowest and highest, not the start
/// and end).
const MOVE_VERBS: &[&str] = &["went", "gone", "go", "goes", "moved", "changed", "shifted"];

/// A move between two stated values with a verb that names no direction ("went from 11.2
/// in 2010 to 17.2 in 2023"): the way the values say it went, and the verb's span. `None`
/// when there is no such verb right before "from", no "from" or "to" number after it, the
/// two numbers are equal, or the end is hedged ("to over 40%" is read as two values, which
/// claimcheck does not join).
pub(super) fn stated_move(
    text: &str,
    words: &[Word],
    numbers: &[Number],
) -> Option<(Direction, usize, usize)> {
    let (verb, _) = words
        .windows(2)
        .map(|pair| (&pair[0], &pair[1]))
        .find(|(verb, from)| MOVE_VERBS.contains(&verb.lower.as_str()) && from.lower == "from")?;
    let after = |options: &[&str]| {
        numbers
            .iter()
            .find(|n| n.start > verb.end && preceded_by(text, n, options))
    };
    let (start, end) = (after(&["from"])?, after(&["to"])?);
    if relation_before(text, end, &mut Vec::new()) != Relation::Eq {
        return None;
    }
    let direction = if end.value > start.value {
        Direction::Increase
    } else if end.value < start.value {
        Direction::Decrease
    } else {
        return None;
    };
    Some((direction, verb.start, verb.end))
}

/// "made up", "add up to": an "up" that is no rise.
pub(super) fn made_up(words: &[Word], w: &Word) -> bool {
    w.lower == "up"
        && words
            .iter()
            .rev()
            .find(|x| x.end <= w.start)
            .is_some_and(|x| {
                matches!(
                    x.lower.as_str(),
                    "made" | "make" | "makes" | "added" | "adds" | "add"
                )
            })
}

/// "fivefold", "tenfold": the factor a one-word multiplier states.
pub(super) fn fold(word: &str) -> Option<f64> {
    let n = word.strip_suffix("fold")?;
    super::numbers::small_number(n)
        .filter(|n| *n >= 2)
        .map(|n| n as f64)
}
