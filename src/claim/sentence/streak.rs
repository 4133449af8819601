//! Streaks and trends: "fell for seven years in a row", "five years running", "ten straight
//! years of falling murders", "eight consecutive years", "every year since 2014"; and, with
//! no number and no year, a trend in the present: "is rising", "keeps growing", "is on the
//! rise", "is coming down".

use super::numbers::count_in;
use super::words::Word;
use crate::claim::{Direction, Relation};

/// A streak phrase: how many annual moves, or since which year, and where it is written.
#[derive(Debug, Clone, Copy)]
pub(super) struct StreakPhrase {
    pub(super) length: Length,
    pub(super) relation: Relation,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// How long the claimed streak is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Length {
    /// N annual moves in a row.
    Moves(u32),
    /// Every year from this one on ("every year since 2014").
    Since(i32),
}

fn count(word: &str) -> Option<u32> {
    count_in(word, 2..=100)
}

/// The streak phrase of the sentence, if any.
pub(super) fn find_streak(words: &[Word]) -> Option<StreakPhrase> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let at = |k: usize| lower.get(k).copied().unwrap_or("");
    for i in 0..lower.len() {
        let span = |a: usize, b: usize| (words[a].start, words[b].end);
        // "every (single) year since 2014"
        if matches!(at(i), "every" | "each") {
            let year = if at(i + 1) == "single" { i + 2 } else { i + 1 };
            if at(year) == "year" && at(year + 1) == "since" {
                if let Ok(from) = at(year + 2).parse::<i32>() {
                    let (start, end) = span(i, year + 2);
                    return Some(phrase(Length::Since(from), Relation::Eq, start, end));
                }
            }
        }
        // "(for) N years in a row", "N years running", "N straight/consecutive years"
        let Some(n) = count(at(i)) else { continue };
        let (first, relation) = hedge(&lower, i);
        let last = match (at(i + 1), at(i + 2), at(i + 3), at(i + 4)) {
            ("years", "in", "a", "row") => i + 4,
            ("years", "running" | "straight", _, _) => i + 2,
            ("straight" | "consecutive" | "successive", "years", _, _) => i + 2,
            _ => continue,
        };
        let (start, end) = span(first, last);
        return Some(phrase(Length::Moves(n), relation, start, end));
    }
    // "for over a decade in a row"
    for i in 0..lower.len() {
        if (at(i), at(i + 1), at(i + 2), at(i + 3), at(i + 4)) == ("a", "decade", "in", "a", "row")
        {
            let (first, relation) = hedge(&lower, i);
            return Some(phrase(
                Length::Moves(10),
                relation,
                words[first].start,
                words[i + 4].end,
            ));
        }
    }
    None
}

fn phrase(length: Length, relation: Relation, start: usize, end: usize) -> StreakPhrase {
    StreakPhrase {
        length,
        relation,
        start,
        end,
    }
}

/// "for more than ten years", "over a decade": the hedge before the count, and where the
/// phrase starts ("for" included).
fn hedge(lower: &[&str], i: usize) -> (usize, Relation) {
    let at = |k: usize| i.checked_sub(k).map(|j| lower[j]).unwrap_or("");
    let (back, relation) = match (at(2), at(1)) {
        ("more", "than") => (2, Relation::Gt),
        (_, "over") => (1, Relation::Gt),
        _ => (0, Relation::Eq),
    };
    let back = if at(back + 1) == "for" {
        back + 1
    } else {
        back
    };
    (i - back, relation)
}

/// Present-tense movement with no number: "is rising", "keeps growing", "is on the rise",
/// "is coming down": the direction and the words.
pub(super) fn find_trend(words: &[Word]) -> Option<(Direction, usize, usize)> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let at = |k: usize| lower.get(k).copied().unwrap_or("");
    for i in 0..lower.len() {
        let present = matches!(
            at(i),
            "is" | "are" | "keep" | "keeps" | "continues" | "continue"
        );
        if !present {
            continue;
        }
        // "is now shrinking", "is still falling"
        let j = if matches!(at(i + 1), "now" | "still") {
            i + 1
        } else {
            i
        };
        let (direction, last) = match (at(j + 1), at(j + 2), at(j + 3)) {
            ("rising" | "climbing" | "growing" | "increasing", _, _) => {
                (Direction::Increase, j + 1)
            }
            ("falling" | "shrinking" | "declining" | "decreasing" | "dropping", _, _) => {
                (Direction::Decrease, j + 1)
            }
            ("on", "the", "rise") => (Direction::Increase, j + 3),
            ("going" | "coming", "up", _) => (Direction::Increase, j + 2),
            ("going" | "coming", "down", _) => (Direction::Decrease, j + 2),
            ("on", "the", "decline") => (Direction::Decrease, j + 3),
            _ => continue,
        };
        return Some((direction, words[i].start, words[last].end));
    }
    None
}
