//! Numbers as news writes them: digits with separators, currency markers and scale words
//! ("$1.5bn", "6.2 million", "94.8%"), written numbers and fractions ("one in five",
//! "a third"), years, and which numbers are denominators ("per 100,000").

use super::lexicon::{ORDINALS, RELATION_WORDS, SMALL_NUMBERS};
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

/// A count written as digits or a small number word ("30", "thirty"), within `range`: how
/// many years a record, streak or span covers.
pub(super) fn count_in(word: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    small_number(word)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| range.contains(n))
}

/// Finds the numbers written in the text: digits with separators, decimals, currency, scale
/// words and percent signs; written numbers up to twenty; and fractions ("one in five",
/// "half", "a third") as percentages.
pub(super) fn scan_numbers(text: &str, words: &[Word]) -> Vec<Number> {
    let mut numbers = digit_numbers(text);
    numbers.extend(word_numbers(words));
    numbers.sort_by_key(|n| n.start);
    numbers
}

/// Numbers written with digits, each with its currency marker, sign, scale and percent sign.
fn digit_numbers(text: &str) -> Vec<Number> {
    let bytes = text.as_bytes();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.');
        if !starts_number {
            i += 1;
            continue;
        }
        let (number, next) = read_digits(text, i);
        numbers.extend(number);
        i = next;
    }
    numbers
}

/// The number whose digits start at `i`, and where reading goes on.
fn read_digits(text: &str, i: usize) -> (Option<Number>, usize) {
    let bytes = text.as_bytes();
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
    let (mut start, currency) = match currency_marker(&text[..i]) {
        Some(len) => (i - len, true),
        None => (i, false),
    };
    if start > 0
        && matches!(text[..start].chars().last(), Some('-') | Some('−'))
        && text[..start].chars().rev().nth(1).is_none_or(|c| c == ' ')
    {
        value = -value;
        start -= text[..start].chars().last().map_or(1, char::len_utf8);
    }
    let (scale, mut stop) = scale_after(text, end);
    let scaled = scale.is_some();
    value *= scale.unwrap_or(1.0);
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
    if let (true, Some(len)) = (year_like, decade_suffix(&text[stop..])) {
        // "the 1990s": ten years, which no claim kind reads as one (it was read as 1990).
        // No number: the words check refuses the sentence for it (`account::decade`).
        return (None, stop + len);
    }
    let number = value.is_finite().then_some(Number {
        value,
        start,
        end: stop,
        percent,
        currency,
        scaled,
        year_like,
        fraction: false,
    });
    (number, stop.max(end))
}

/// The length of a decade's "s" or "'s" right after a year ("1990s", "1990's"), when the
/// word ends there.
pub(super) fn decade_suffix(after: &str) -> Option<usize> {
    let len = if after.starts_with("s") {
        1
    } else if after.starts_with("'s") || after.starts_with("’s") {
        after.find('s')? + 1
    } else {
        return None;
    };
    let ends = after[len..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric());
    ends.then_some(len)
}

/// The length of a currency marker just before a number ("$48", "US$38", "USD 48").
fn currency_marker(before: &str) -> Option<usize> {
    let before = before.to_ascii_lowercase();
    let trimmed = before.trim_end();
    if before.ends_with("us$") {
        Some(3)
    } else if before.ends_with('$') {
        Some(1)
    } else if trimmed.ends_with("usd") {
        Some(before.len() - trimmed.len() + 3)
    } else {
        None
    }
}

/// A scale word right after the digits ending at `end` ("million", "bn", "m", "tn", "k"):
/// its factor and where it ends.
fn scale_after(text: &str, end: usize) -> (Option<f64>, usize) {
    let rest_lower = text[end..].to_ascii_lowercase();
    for &(word, scale) in crate::claim::number::SCALES {
        let spaced = rest_lower
            .strip_prefix(' ')
            .filter(|_| word.len() > 2)
            .unwrap_or(&rest_lower);
        let offset = rest_lower.len() - spaced.len();
        if spaced.starts_with(word)
            && !spaced[word.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return (Some(scale), end + offset + word.len());
        }
    }
    (None, end)
}

/// Numbers and fractions written in words: "one in five", "a third", "half", "two years".
fn word_numbers(words: &[Word]) -> Vec<Number> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let mut numbers = Vec::new();
    let mut k = 0;
    while k < words.len() {
        if let Some((number, used)) = spelled(&lower, words, k) {
            numbers.push(number);
            k += used;
            continue;
        }
        if let Some(ratio) = one_in(&lower, words, k) {
            numbers.push(ratio);
            k += 3;
            continue;
        }
        if let Some(f) = fraction_word(&lower, k) {
            let by = lower.get(k.wrapping_sub(1)) == Some(&"by")
                || lower.get(k.wrapping_sub(2)) == Some(&"by");
            let start = if lower[k] == "half" {
                words[k].start
            } else {
                words[k - 1].start
            };
            if !by {
                numbers.push(fraction(f, start, words[k].end));
            }
        } else if let Some(number) = counted_word(&lower, words, k) {
            numbers.push(number);
        }
        k += 1;
    }
    numbers
}

/// Tens in words.
const TENS: &[(&str, u32)] = &[
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

/// Scale words after a number in words.
const SCALE_WORDS: &[(&str, f64)] = &[
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
    ("trillion", 1e12),
];

/// A number spelled out beyond one small word, at `k`, and how many words it takes:
/// "thirty", "twenty-one", "seventeen point eight", "ten and a half million", "one hundred
/// and five", "fifty million". A lone small word ("five", "two years") is left to the
/// narrower readings below, which ask what it counts. Not before an ordinal or "century"
/// ("the twenty-first century" holds no figure), nor after "top" or "bottom" ("in the top
/// twenty" is a rank, which a value of 20 would misread).
fn spelled(lower: &[&str], words: &[Word], k: usize) -> Option<(Number, usize)> {
    if k > 0 && matches!(lower[k - 1], "top" | "bottom") {
        return None;
    }
    let (mut whole, used, mut rich) = match lower[k] {
        "a" if lower.get(k + 1) == Some(&"hundred") => (1, 1, false),
        _ => below_hundred(lower, k)?,
    };
    let mut i = k + used;
    if lower.get(i) == Some(&"hundred") && (1..10).contains(&whole) {
        whole *= 100;
        i += 1;
        rich = true;
        let after_and = if lower.get(i) == Some(&"and") {
            i + 1
        } else {
            i
        };
        if let Some((n, used, _)) = below_hundred(lower, after_and).filter(|(n, ..)| *n > 0) {
            whole += n;
            i = after_and + used;
        }
    }
    let mut value = f64::from(whole);
    if lower.get(i) == Some(&"point") {
        let digits: String = lower[i + 1..]
            .iter()
            .map_while(|w| ones_word(w).filter(|d| *d < 10))
            .map(|d| char::from_digit(d, 10).unwrap_or('0'))
            .collect();
        if digits.is_empty() {
            return None;
        }
        value = format!("{whole}.{digits}").parse().ok()?;
        i += 1 + digits.len();
        rich = true;
    } else if lower.get(i..i + 3) == Some(&["and", "a", "half"][..]) {
        value += 0.5;
        i += 3;
        rich = true;
    }
    let scale = lower
        .get(i)
        .and_then(|w| SCALE_WORDS.iter().find(|(name, _)| name == w));
    if let Some((_, scale)) = scale {
        value *= scale;
        i += 1;
        rich = true;
    }
    let next = lower.get(i).copied().unwrap_or("");
    if !rich || ORDINALS.contains(&next) || next.starts_with("centur") {
        return None;
    }
    let percent = next == "percent" || (next == "per" && lower.get(i + 1) == Some(&"cent"));
    let number = Number {
        value,
        start: words[k].start,
        end: words[i - 1].end,
        percent,
        currency: false,
        scaled: scale.is_some(),
        year_like: false,
        fraction: false,
    };
    Some((number, i - k))
}

/// A number below a hundred in words at `i` ("seven", "thirty", "twenty-one"), how many
/// words it takes, and whether it has a tens word.
fn below_hundred(lower: &[&str], i: usize) -> Option<(u32, usize, bool)> {
    let w = *lower.get(i)?;
    if let Some(&(_, tens)) = TENS.iter().find(|(t, _)| *t == w) {
        let unit = lower
            .get(i + 1)
            .and_then(|n| ones_word(n))
            .filter(|o| (1..10).contains(o));
        return Some(match unit {
            Some(unit) => (tens + unit, 2, true),
            None => (tens, 1, true),
        });
    }
    ones_word(w).map(|o| (o, 1, false))
}

/// "zero" to "nineteen".
fn ones_word(word: &str) -> Option<u32> {
    small_number_word(word)
        .filter(|n| *n < 20)
        .and_then(|n| u32::try_from(n).ok())
}

/// "one in five", "two in three": a share in percent over the three words at `k`.
fn one_in(lower: &[&str], words: &[Word], k: usize) -> Option<Number> {
    let a = small_number_word(lower[k])?;
    (lower.get(k + 1) == Some(&"in")).then_some(())?;
    let b = lower.get(k + 2).copied().and_then(small_number_word)?;
    (b > 0 && a < b).then(|| {
        fraction(
            100.0 * a as f64 / b as f64,
            words[k].start,
            words[k + 2].end,
        )
    })
}

/// "half", "a third", "two thirds", "a quarter", "three quarters" ending at `k`, in percent.
fn fraction_word(lower: &[&str], k: usize) -> Option<f64> {
    match (lower.get(k.wrapping_sub(1)).copied(), lower[k]) {
        (_, "half") => Some(50.0),
        (Some("a") | Some("one"), "third") => Some(100.0 / 3.0),
        (Some("two"), "thirds") => Some(200.0 / 3.0),
        (Some("a") | Some("one"), "quarter") => Some(25.0),
        (Some("three"), "quarters") => Some(75.0),
        _ => None,
    }
}

/// A small number in words followed by what it counts ("five percent", "two million").
fn counted_word(lower: &[&str], words: &[Word], k: usize) -> Option<Number> {
    let w = lower[k];
    let n = small_number_word(w).filter(|_| w != "one" || lower.get(k + 1) != Some(&"of"))?;
    let unit = lower.get(k + 1).copied().unwrap_or("");
    let percent = unit == "percent" || (unit == "per" && lower.get(k + 2) == Some(&"cent"));
    let counted = matches!(
        unit,
        "births" | "children" | "years" | "million" | "billion" | "tonnes" | "doctors"
    );
    if !(percent || counted) {
        return None;
    }
    let scale = match unit {
        "million" => 1e6,
        "billion" => 1e9,
        _ => 1.0,
    };
    Some(Number {
        value: n as f64 * scale,
        start: words[k].start,
        end: words[k].end,
        percent,
        currency: false,
        scaled: matches!(unit, "million" | "billion"),
        year_like: false,
        fraction: false,
    })
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
