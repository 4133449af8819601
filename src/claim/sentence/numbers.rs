//! Numbers as news writes them: digits with separators, currency markers and scale words
//! ("$1.5bn", "6.2 million", "94.8%"), written numbers and fractions ("one in five",
//! "a third"), years, and which numbers are denominators ("per 100,000").

use super::lexicon::{RELATION_WORDS, SMALL_NUMBERS};
use super::words::Word;

/// A number written in the sentence.
#[derive(Debug, Clone)]
pub(super) struct Number {
    pub(super) value: f64,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) percent: bool,
    pub(super) currency: bool,
    pub(super) scaled: bool,
    /// A bare 4-digit year-like integer.
    pub(super) year_like: bool,
    pub(super) fraction: bool,
}

pub(super) fn small_number(word: &str) -> Option<usize> {
    SMALL_NUMBERS
        .iter()
        .position(|w| *w == word)
        .or_else(|| word.parse().ok())
}

/// Finds the numbers written in the text: digits with separators, decimals, currency, scale
/// words and percent signs; written numbers up to twenty; and fractions ("one in five",
/// "half", "a third") as percentages.
pub(super) fn scan_numbers(text: &str, words: &[Word]) -> Vec<Number> {
    let bytes = text.as_bytes();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let starts_number = c.is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.');
        if !starts_number {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len()
            && (bytes[end].is_ascii_digit()
                || (matches!(bytes[end], b',' | b'.')
                    && end + 1 < bytes.len()
                    && bytes[end + 1].is_ascii_digit()))
        {
            end += 1;
        }
        let digits = &text[i..end];
        let plain = !digits.contains([',', '.']);
        let mut value: f64 = digits.replace(',', "").parse().unwrap_or(f64::NAN);
        let mut start = i;
        let before = text[..i].to_ascii_lowercase();
        let before_trim = before.trim_end();
        // "$48", "US$38" or "USD 48": the marker belongs to the number's span.
        let marker_len = if before.ends_with("us$") {
            Some(3)
        } else if before.ends_with('$') {
            Some(1)
        } else if before_trim.ends_with("usd") {
            Some(before.len() - before_trim.len() + 3)
        } else {
            None
        };
        let currency = marker_len.is_some();
        if let Some(len) = marker_len {
            start = i - len;
        }
        if start > 0
            && matches!(text[..start].chars().last(), Some('-') | Some('−'))
            && text[..start].chars().rev().nth(1).is_none_or(|c| c == ' ')
        {
            value = -value;
            start -= text[..start].chars().last().map_or(1, char::len_utf8);
        }
        // Scale: "million", "bn", "m", "tn", "k".
        let rest = &text[end..];
        let rest_lower = rest.to_ascii_lowercase();
        let mut scaled = false;
        let mut stop = end;
        for &(word, scale) in crate::claim::number::SCALES {
            let spaced = rest_lower
                .strip_prefix(' ')
                .filter(|_| word.len() > 2)
                .unwrap_or(&rest_lower);
            let offset = rest_lower.len() - spaced.len();
            if spaced.starts_with(word)
                && !spaced[word.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            {
                value *= scale;
                scaled = true;
                stop = end + offset + word.len();
                break;
            }
        }
        let after = text[stop..].to_ascii_lowercase();
        let percent = after.starts_with('%')
            || after.starts_with(" percent")
            || after.starts_with(" per cent")
            || after.starts_with(" pc");
        if after.starts_with('%') {
            stop += 1;
        }
        let year_like = plain
            && !currency
            && !scaled
            && !percent
            && digits.len() == 4
            && (1900.0..=2100.0).contains(&value);
        if value.is_finite() {
            numbers.push(Number {
                value,
                start,
                end: stop,
                percent,
                currency,
                scaled,
                year_like,
                fraction: false,
            });
        }
        i = stop.max(end);
    }
    // Written numbers and fractions.
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let mut k = 0;
    while k < words.len() {
        let w = lower[k];
        // "one in five", "two in three"
        if let (Some(a), Some("in"), Some(b)) = (
            small_number_word(w),
            lower.get(k + 1).copied(),
            lower.get(k + 2).copied().and_then(small_number_word),
        ) {
            if b > 0 && a < b {
                numbers.push(fraction(
                    100.0 * a as f64 / b as f64,
                    words[k].start,
                    words[k + 2].end,
                ));
                k += 3;
                continue;
            }
        }
        let frac = match (lower.get(k.wrapping_sub(1)).copied(), w) {
            (_, "half") => Some(50.0),
            (Some("a") | Some("one"), "third") => Some(100.0 / 3.0),
            (Some("two"), "thirds") => Some(200.0 / 3.0),
            (Some("a") | Some("one"), "quarter") => Some(25.0),
            (Some("three"), "quarters") => Some(75.0),
            _ => None,
        };
        if let Some(f) = frac {
            let start = if w == "half" {
                words[k].start
            } else {
                words[k - 1].start
            };
            let by_half = lower.get(k.wrapping_sub(1)) == Some(&"by")
                || lower.get(k.wrapping_sub(2)) == Some(&"by");
            if !by_half {
                numbers.push(fraction(f, start, words[k].end));
            }
            k += 1;
            continue;
        }
        if let Some(n) =
            small_number_word(w).filter(|_| w != "one" || lower.get(k + 1) != Some(&"of"))
        {
            let unit = lower.get(k + 1).copied().unwrap_or("");
            let percent = unit == "percent" || (unit == "per" && lower.get(k + 2) == Some(&"cent"));
            if percent
                || matches!(
                    unit,
                    "births" | "children" | "years" | "million" | "billion" | "tonnes" | "doctors"
                )
            {
                let mut value = n as f64;
                if unit == "million" {
                    value *= 1e6;
                } else if unit == "billion" {
                    value *= 1e9;
                }
                numbers.push(Number {
                    value,
                    start: words[k].start,
                    end: words[k].end,
                    percent,
                    currency: false,
                    scaled: matches!(unit, "million" | "billion"),
                    year_like: false,
                    fraction: false,
                });
            }
        }
        k += 1;
    }
    numbers.sort_by_key(|n| n.start);
    numbers
}

pub(super) fn fraction(value: f64, start: usize, end: usize) -> Number {
    Number {
        value,
        start,
        end,
        percent: true,
        currency: false,
        scaled: false,
        year_like: false,
        fraction: true,
    }
}

pub(super) fn small_number_word(word: &str) -> Option<usize> {
    SMALL_NUMBERS.iter().position(|w| *w == word)
}

/// "per 100,000" and "per 1,000 live births" name the unit, not the claimed value.
pub(super) fn is_denominator(text: &str, n: &Number) -> bool {
    text[..n.start]
        .to_ascii_lowercase()
        .trim_end()
        .ends_with("per")
}

pub(super) fn preceded_by(text: &str, n: &Number, options: &[&str]) -> bool {
    let before = text[..n.start].to_ascii_lowercase();
    let words: Vec<&str> = before
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // "to 82", "to around 82", "to below 1%": the word may stand one or two words back.
    for back in 1..=3 {
        let Some(w) = words.len().checked_sub(back).map(|i| words[i]) else {
            break;
        };
        if options.contains(&w) {
            let between = words[words.len() - back + 1..].join(" ");
            return between.is_empty() || RELATION_WORDS.iter().any(|(h, _)| *h == between);
        }
    }
    false
}

/// True when the word at `at` follows "per <number>" ("per 100,000 residents").
pub(super) fn after_denominator(lower: &[&str], at: usize) -> bool {
    let mut i = at;
    while i > 0 && lower[i - 1].chars().all(|c| c.is_ascii_digit()) {
        i -= 1;
    }
    i < at && i > 0 && lower[i - 1] == "per"
}
