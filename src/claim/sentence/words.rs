//! Words and spans: the sentence split into words with their byte offsets, and the small
//! search helpers every phase uses (phrase at a position, first and every occurrence).

use super::Span;

/// One word of the sentence: lowercase letters and digits, with its byte span.
#[derive(Debug, Clone)]
pub(super) struct Word {
    pub(super) lower: String,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) fn find_all(haystack: &[&str], needle: &[String]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return Vec::new();
    }
    (0..=haystack.len() - needle.len())
        .filter(|&i| {
            haystack[i..i + needle.len()]
                .iter()
                .zip(needle)
                .all(|(a, b)| *a == b)
        })
        .collect()
}

pub(super) fn span(field: &'static str, text: &str, start: usize, end: usize) -> Span {
    Span {
        field,
        text: text[start..end].to_string(),
        start,
        end,
    }
}

pub(super) fn inside(range: &(usize, usize), at: usize) -> bool {
    at >= range.0 && at < range.1
}

pub(super) fn split_words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push(Word {
                    lower: text[s..i].to_lowercase(),
                    start: s,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(Word {
            lower: text[s..].to_lowercase(),
            start: s,
            end: text.len(),
        });
    }
    words
}

/// True when `needle` stands in `haystack` at word `at`.
pub(super) fn matches_at(haystack: &[&str], at: usize, needle: &[String]) -> bool {
    !needle.is_empty()
        && at + needle.len() <= haystack.len()
        && haystack[at..at + needle.len()]
            .iter()
            .zip(needle)
            .all(|(a, b)| *a == b)
}

pub(super) fn find_seq(haystack: &[&str], needle: &[String]) -> Option<usize> {
    find_all(haystack, needle).into_iter().next()
}
