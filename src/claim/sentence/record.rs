//! Records in a country's own series: "the highest in 30 years", "a 41-year high", "the
//! lowest since 1994", "a record low", "the highest on record", "its lowest level in three
//! decades", "the lowest since records began". A change verb that leads into the record
//! ("fell to its lowest in 20 years") belongs to it, and must point the same way.

use super::numbers::count_in;
use super::words::Word;
use crate::claim::{Direction, Extreme, RecordWindow};

/// A record phrase and where it stands (byte offsets, the leading verb included).
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordPhrase {
    pub(super) extreme: Extreme,
    pub(super) window: RecordWindow,
    pub(super) start: usize,
    pub(super) end: usize,
    /// A change verb that led into it ("fell to"), and whether it points the other way.
    pub(super) verb: Option<(usize, usize)>,
    pub(super) contradicts: bool,
}

/// The end of the series a word names. "worst" and "best" are left out on purpose: which
/// end is worst depends on the statistic (inflation versus growth).
fn extreme(word: &str) -> Option<Extreme> {
    match word {
        "highest" | "high" | "fastest" | "largest" | "biggest" => Some(Extreme::Max),
        "lowest" | "low" | "slowest" | "smallest" => Some(Extreme::Min),
        _ => None,
    }
}

/// A count of years written as digits or a small number word.
fn count(word: &str) -> Option<u32> {
    count_in(word, 1..=200)
}

/// The window after the extreme word, from word `i` on: (window, index of its last word).
fn window_after(lower: &[&str], i: usize) -> Option<(RecordWindow, usize)> {
    let at = |k: usize| lower.get(k).copied().unwrap_or("");
    match (at(i), at(i + 1), at(i + 2)) {
        ("in" | "for", n, "years") if count(n).is_some() => {
            Some((RecordWindow::Years(count(n)?), i + 2))
        }
        ("in" | "for", n, "decades") if count(n).is_some() => {
            Some((RecordWindow::Years(10 * count(n)?), i + 2))
        }
        ("in" | "for", "a" | "one", "decade") => Some((RecordWindow::Years(10), i + 2)),
        ("in" | "for", "a" | "one", "century") => Some((RecordWindow::Years(100), i + 2)),
        ("in" | "for", "a", "quarter") if at(i + 3) == "of" && at(i + 5) == "century" => {
            Some((RecordWindow::Years(25), i + 5))
        }
        ("since", "records", "began") => Some((RecordWindow::All, i + 2)),
        ("since", y, _) if y.len() == 4 && y.parse::<i32>().is_ok() => {
            Some((RecordWindow::Since(y.parse().ok()?), i + 1))
        }
        ("on", "record", _) => Some((RecordWindow::All, i + 1)),
        ("ever", "recorded", _) => Some((RecordWindow::All, i + 1)),
        ("ever", _, _) => Some((RecordWindow::All, i)),
        ("in", "its" | "the" | "their", "history") => Some((RecordWindow::All, i + 2)),
        _ => None,
    }
}

/// The first record phrase of the sentence.
pub(super) fn find_record(words: &[Word]) -> Option<RecordPhrase> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let at = |i: usize| lower.get(i).copied().unwrap_or("");
    for (i, word) in lower.iter().enumerate() {
        let Some(ext) = extreme(word) else { continue };
        let before = |k: usize| i.checked_sub(k).map(at).unwrap_or("");
        let (window, first, last) = if let (Some(n), "year") = (count(before(2)), before(1)) {
            // "a 20-year high", "41-year low"
            (RecordWindow::Years(n), i - 2, i)
        } else if before(1) == "record" {
            (RecordWindow::All, i - 1, i)
        } else if (before(2), before(1)) == ("all", "time") {
            (RecordWindow::All, i - 2, i)
        } else {
            // "the lowest (level) in 30 years"
            let skip = usize::from(matches!(at(i + 1), "level" | "point" | "rate" | "mark"));
            match window_after(&lower, i + 1 + skip) {
                Some((window, last)) => (window, i, last),
                None => continue,
            }
        };
        let mut phrase = RecordPhrase {
            extreme: ext,
            window,
            start: words[first].start,
            end: words[last].end,
            verb: None,
            contradicts: false,
        };
        lead_verb(words, first, &mut phrase);
        return Some(phrase);
    }
    None
}

/// "fell to its lowest …", "rose to a record high", "hit a 20-year high": the verb before.
fn lead_verb(words: &[Word], first: usize, phrase: &mut RecordPhrase) {
    let mut k = first;
    while k > 0
        && matches!(
            words[k - 1].lower.as_str(),
            "its" | "a" | "the" | "their" | "to"
        )
    {
        k -= 1;
    }
    let Some(verb) = k.checked_sub(1).map(|k| &words[k]) else {
        return;
    };
    let direction = super::change::direction_of(&verb.lower);
    let neutral = matches!(
        verb.lower.as_str(),
        "hit" | "hits" | "reached" | "reach" | "reaches" | "touched" | "at" | "posted"
    );
    if direction.is_none() && !neutral {
        return;
    }
    phrase.verb = Some((verb.start, verb.end));
    phrase.contradicts = matches!(
        (direction, phrase.extreme),
        (Some(Direction::Decrease), Extreme::Max) | (Some(Direction::Increase), Extreme::Min)
    );
}
