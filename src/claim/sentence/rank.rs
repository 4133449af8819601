//! Ranks and comparisons: "the highest", "third-lowest", "among the five highest", and the
//! relation words before a number ("more than", "around", "nearly").

use super::super::{Order, Relation};
use super::lexicon::{ORDINALS, RELATION_WORDS, WORLD_SCOPE};
use super::numbers::{small_number, Number};
use super::words::{span, Word};
use super::Span;

/// "One of the highest" means a place in the top ten: the tenth of the 130-odd economies
/// with homicide data is at the top decile's edge, and "one of" rarely stretches further.
pub const ONE_OF_THE_TOP: u32 = 10;

/// Rank wording: "the (second) highest … in the world", "among the five highest".
#[derive(Debug, Clone, Copy)]
pub(super) struct Rank {
    pub(super) rank: u32,
    pub(super) order: Order,
    pub(super) within: bool,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn find_rank(lower: &[&str], words: &[Word], regional: bool) -> Option<Rank> {
    let joined = lower.join(" ");
    if !regional && !WORLD_SCOPE.iter().any(|s| joined.contains(s)) {
        return None;
    }
    for (i, w) in lower.iter().enumerate() {
        let order = match *w {
            "highest" | "largest" | "biggest" | "most" | "worst" | "greatest" | "longest" => {
                Order::Desc
            }
            "lowest" | "smallest" | "fewest" | "least" | "shortest" => Order::Asc,
            _ => continue,
        };
        let before = |k: usize| i.checked_sub(k).map(|j| lower[j]);
        // "the five highest", "among the five highest", "one of the three highest", "among
        // the world's five lowest"
        if let Some(n) = before(1).and_then(small_number) {
            if let Some(the) = the_before_count(&before) {
                let lead = if matches!(before(the + 1), Some("among") | Some("of")) {
                    the + 1
                } else {
                    the
                };
                return Some(Rank {
                    rank: n as u32,
                    order,
                    within: true,
                    start: words[i - lead].start,
                    end: words[i].end,
                });
            }
        }
        // "one of the highest", "one of the world's highest": any of the top ten.
        // "some of the worst", "among the highest": the same, with no number of places. A
        // number in between is a count of places this wording does not read: left to the
        // last pass, which refuses the sentence over it.
        if let Some(back) = (2..=5).find(|k| {
            let lead = (matches!(before(*k), Some("one" | "some")) && before(k - 1) == Some("of"))
                || (before(*k) == Some("among") && before(k - 1) == Some("the"));
            lead && !(1..*k).any(|j| before(j).is_some_and(is_count))
        }) {
            return Some(Rank {
                rank: ONE_OF_THE_TOP,
                order,
                within: true,
                start: words[i - back].start,
                end: words[i].end,
            });
        }
        let (rank, first) = match before(1) {
            Some(o) if ORDINALS.contains(&o) => {
                (ORDINALS.iter().position(|x| *x == o)? as u32 + 1, i - 1)
            }
            // "3rd", "10th"; `get` because a word may end in a multi-byte letter.
            Some(o)
                if o.len() > 2
                    && o.get(..o.len() - 2)
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                    && matches!(o.get(o.len() - 2..), Some("nd" | "rd" | "th" | "st")) =>
            {
                (o.get(..o.len() - 2)?.parse().ok()?, i - 1)
            }
            _ => (1, i),
        };
        if matches!(lower.get(first.wrapping_sub(1)), Some(&"the") | Some(&"s")) || rank == 1 {
            return Some(Rank {
                rank,
                order,
                within: false,
                start: words[first].start,
                end: words[i].end,
            });
        }
    }
    None
}

/// How far back the "the" of "the five highest" is, counted from the superlative: 2, or 2
/// plus a possessive's words ("the world's five", "the region's three").
fn the_before_count<'a>(before: &impl Fn(usize) -> Option<&'a str>) -> Option<usize> {
    if before(2) == Some("the") {
        return Some(2);
    }
    if before(2) != Some("s") {
        return None;
    }
    // "the world's", "the Caribbean's", "the continent's": one or two words owning it.
    (4..=5).find(|k| before(*k) == Some("the"))
}

/// A number of places, in digits or words ("5", "five").
fn is_count(word: &str) -> bool {
    small_number(word).is_some()
}

/// The hedge or bound written right before a number ("around 82" → approx).
/// A sign written at the number: ">35", "<45", "≥ 10", "~45", "35+", "35-plus". Dropped
/// as no word, each left the number read as exact.
fn relation_sign(text: &str, n: &Number) -> Option<(Relation, (usize, usize))> {
    let before = text[..n.start].trim_end();
    let sign_at = |sign: &str| before.len() - sign.len();
    for (sign, relation) in [
        (">=", Relation::Gte),
        ("<=", Relation::Lte),
        ("≥", Relation::Gte),
        ("≤", Relation::Lte),
        (">", Relation::Gt),
        ("<", Relation::Lt),
        ("~", Relation::Approx),
        ("≈", Relation::Approx),
    ] {
        if before.ends_with(sign) {
            return Some((relation, (sign_at(sign), before.len())));
        }
    }
    let after = &text[n.end..];
    // "45, give or take": a hedge after the number.
    let hedge = after.trim_start_matches([',', ' ']);
    if hedge.to_ascii_lowercase().starts_with("give or take") {
        let at = n.end + (after.len() - hedge.len());
        return Some((Relation::Approx, (at, at + "give or take".len())));
    }
    for suffix in ["+", "-plus", " plus"] {
        let ends = after
            .get(suffix.len()..)
            .is_none_or(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()));
        if after.starts_with(suffix) && ends {
            return Some((Relation::Gte, (n.end, n.end + suffix.len())));
        }
    }
    None
}

pub(super) fn relation_before(text: &str, n: &Number, spans: &mut Vec<Span>) -> Relation {
    if let Some((relation, at)) = relation_sign(text, n) {
        spans.push(span("relation", text, at.0, at.1));
        return relation;
    }
    let before = text[..n.start].to_ascii_lowercase();
    let words: Vec<&str> = before
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Skip "a"/"an" before fractions ("more than a third"), "$", and "the" of "under the
    // 50 mark".
    let mut words = words;
    while matches!(words.last(), Some(&"a") | Some(&"us") | Some(&"the")) {
        words.pop();
    }
    let tail = words.join(" ");
    let mut phrases: Vec<&(&str, Relation)> = RELATION_WORDS.iter().collect();
    phrases.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (phrase, relation) in phrases {
        if tail == *phrase || tail.ends_with(&format!(" {phrase}")) {
            if let Some(pos) = text.to_ascii_lowercase()[..n.start].rfind(phrase) {
                spans.push(span("relation", text, pos, pos + phrase.len()));
            }
            return *relation;
        }
    }
    Relation::Eq
}
