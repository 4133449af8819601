//! Several claims in one sentence: "Ecuador has 18 million people and a murder rate of 90 per
//! 100,000", "by 2015 the murder rate in El Salvador was the highest in the world, at 105 per
//! 100,000 people". The sentence is cut at clause breaks; each clause is its own claim, and
//! the place, statistic and year a clause leaves out are the clause's before it. Every
//! clause must be read, or the sentence is refused whole, naming the clause: a sentence
//! whose second claim is dropped would be checked on half of what it says.

use chrono::NaiveDate;

use super::account::unaccounted;
use super::numbers::scan_numbers;
use super::words::split_words;
use super::{ParseError, Parsed, SentenceParser};
use crate::claim::indicator::IndicatorAlias;

/// What a clause may take from the rest of the sentence: the earlier clause's place and
/// statistic, and its year (or the one year the sentence names, for a clause before it:
/// "Honduras had 10.5 million people and a murder rate of 31 in 2023").
pub(super) struct Earlier {
    pub(super) iso3: Option<String>,
    pub(super) indicator: Option<IndicatorAlias>,
    pub(super) year: Option<i32>,
}

/// Words that put a clause in the present ("homicide numbers are still some of the worst"):
/// it does not take the earlier clause's year.
pub(super) const PRESENT: &[&str] = &[
    "still",
    "now",
    "currently",
    "today",
    "is",
    "are",
    "has",
    "have",
    "remains",
    "remain",
];

/// Breaks between clauses that each state a claim, tried first.
const STRONG: &[&str] = &[
    "; ",
    ", and ",
    ", but ",
    ", while ",
    ", whereas ",
    ", with ",
    " and ",
    " but ",
    " while ",
];
/// Weaker breaks, tried when the strong ones leave a clause unread: ", at 105 per 100,000".
const WEAK: &[&str] = &[", at ", ", ", " - ", " – ", " — "];

/// Every claim of the sentence, or the reason it cannot be read whole.
pub(super) fn parse_all(
    parser: &SentenceParser,
    text: &str,
    as_of: NaiveDate,
) -> Result<Vec<Parsed>, ParseError> {
    let whole = match parser.parse(text, as_of) {
        Ok(parsed) => return Ok(vec![parsed]),
        Err(e) => e,
    };
    let strong = STRONG.to_vec();
    let all: Vec<&str> = STRONG.iter().chain(WEAK).copied().collect();
    let mut closest: Option<ParseError> = None;
    for breaks in [strong, all] {
        let pieces = clauses(text, &breaks);
        if pieces.len() < 2 {
            continue;
        }
        match parse_clauses(parser, text, &pieces, as_of) {
            Ok(parts) => return Ok(parts),
            Err(Some(e)) => closest = closest.or(Some(e)),
            Err(None) => {}
        }
    }
    Err(closest.unwrap_or(whole))
}

/// Parses the clauses in order, each with the one before as context. `Err(None)`: the first
/// clause itself is no claim, so the cut was wrong; `Err(Some)`: a later clause could not be
/// read, named in the error.
fn parse_clauses(
    parser: &SentenceParser,
    text: &str,
    pieces: &[(usize, usize)],
    as_of: NaiveDate,
) -> Result<Vec<Parsed>, Option<ParseError>> {
    let mut parts: Vec<Parsed> = Vec::new();
    let year = sentence_year(text);
    for (k, &(start, end)) in pieces.iter().enumerate() {
        let clause = &text[start..end];
        let earlier = match parts.last() {
            Some(last) => Some(earlier_of(last, year)),
            None => year.map(|year| Earlier {
                iso3: None,
                indicator: None,
                year: Some(year),
            }),
        };
        let mut parsed = match parser.parse_in(clause, as_of, earlier.as_ref()) {
            Ok(parsed) => parsed,
            Err(_) if k == 0 => return Err(None),
            Err(e) => {
                return Err(Some(ParseError::Missing(format!(
                    "the sentence makes several claims and the part \"{clause}\" cannot be read ({e}); a verdict on the other parts alone would leave it out, so none is given"
                ))))
            }
        };
        for span in &mut parsed.spans {
            span.start += start;
            span.end += start;
        }
        parts.push(parsed);
    }
    let n = parts.len();
    let id = super::slug(text);
    for (k, part) in parts.iter_mut().enumerate() {
        part.claim.id = format!("{id}-{}", k + 1);
        part.claim.text = text.trim().to_string();
        part.notes
            .push(format!("part {} of {n} claims in this sentence", k + 1));
    }
    Ok(parts)
}

fn earlier_of(parsed: &Parsed, sentence_year: Option<i32>) -> Earlier {
    let spec = parsed.claim.spec();
    Earlier {
        iso3: spec.country.clone(),
        indicator: Some(IndicatorAlias {
            code: spec.indicator.clone().unwrap_or_default(),
            name: parsed.indicator_name.clone(),
            unit: parsed.unit,
            phrases: Vec::new(),
            source: spec.source.clone(),
        }),
        year: spec.year.or(sentence_year),
    }
}

/// The one year a sentence names (none when it names several or none).
fn sentence_year(text: &str) -> Option<i32> {
    let words = split_words(text);
    let mut years: Vec<i32> = scan_numbers(text, &words)
        .iter()
        .filter(|n| n.year_like)
        .map(|n| n.value as i32)
        .collect();
    years.dedup();
    match years.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The clauses of `text` cut at `breaks`, as byte ranges. A piece that carries nothing a
/// claim could use ("according to the World Bank") joins the clause before it; a cut inside
/// "between 2001 and 2010" or a name ("Trinidad and Tobago") is not made.
fn clauses(text: &str, breaks: &[&str]) -> Vec<(usize, usize)> {
    // ASCII lowering keeps every byte offset ("İ" lowers to three bytes): the cuts index
    // the original text.
    let lower = text.to_ascii_lowercase();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for brk in breaks {
        for (at, _) in lower.match_indices(brk) {
            let overlaps = cuts.iter().any(|&(s, e)| at < e && at + brk.len() > s);
            if !overlaps && !joins_a_pair(&lower, at, brk) {
                cuts.push((at, at + brk.len()));
            }
        }
    }
    cuts.sort_unstable();
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    for (start, end) in cuts.into_iter().chain([(text.len(), text.len())]) {
        let piece = (from, start);
        from = end;
        if piece.1 <= piece.0 {
            continue;
        }
        match pieces.last_mut() {
            Some(last) if inert(&text[piece.0..piece.1]) => last.1 = piece.1,
            _ => pieces.push(piece),
        }
    }
    // A first piece that carries nothing ("According to the World Bank, …") joins the next.
    if pieces.len() >= 2 && inert(&text[pieces[0].0..pieces[0].1]) {
        pieces[1].0 = pieces[0].0;
        pieces.remove(0);
    }
    pieces
}

/// "between 2001 and 2010", "goods and services", "Trinidad and Tobago": an "and" between
/// two words of one phrase. Only an "and" followed by a word that can start a clause (an
/// article, a possessive, a statistic word, "its") cuts.
fn joins_a_pair(lower: &str, at: usize, brk: &str) -> bool {
    if brk.trim() != "and" || brk.starts_with(',') {
        return false;
    }
    let next = lower[at + brk.len()..]
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    !matches!(
        next,
        "a" | "an"
            | "the"
            | "its"
            | "their"
            | "his"
            | "her"
            | "it"
            | "is"
            | "has"
            | "had"
            | "was"
            | "were"
            | "are"
            | "in"
            | "by"
            | "over"
            | "from"
            | "more"
            | "less"
    )
}

/// A piece with no number and no word a claim must use.
fn inert(piece: &str) -> bool {
    let words = split_words(piece);
    let numbers = scan_numbers(piece, &words);
    numbers.is_empty() && unaccounted(piece, &words, &numbers, &[], "").is_empty()
}

/// Words a clause may hold beside its number and still be about the earlier clause's
/// statistic ("at 105 per 100,000 people, according to the World Bank").
const BARE: &[&str] = &[
    // A rank or record about the same statistic: "one of the worst anywhere", "the lowest
    // on the planet", "the lowest on record".
    "one",
    "among",
    "highest",
    "lowest",
    "worst",
    "largest",
    "smallest",
    "biggest",
    "longest",
    "shortest",
    "on",
    "anywhere",
    "planet",
    "earth",
    "globally",
    "worldwide",
    "record",
    "ever",
    "second",
    "third",
    "fourth",
    "fifth",
    "a",
    "an",
    "the",
    "at",
    "of",
    "to",
    "in",
    "by",
    "per",
    "for",
    "every",
    "each",
    "people",
    "inhabitants",
    "residents",
    "persons",
    "population",
    "is",
    "was",
    "were",
    "are",
    "it",
    "its",
    "this",
    "that",
    "which",
    "and",
    "about",
    "around",
    "roughly",
    "some",
    "almost",
    "nearly",
    "just",
    "over",
    "under",
    "above",
    "below",
    "more",
    "less",
    "fewer",
    "than",
    "according",
    "world",
    "bank",
    "data",
    "figures",
    "official",
    "now",
    "then",
    "still",
    "stood",
    "standing",
    "reaching",
    "reached",
    "hitting",
    "hit",
    "with",
    "year",
    "s",
];

/// Whether a clause says nothing beyond its numbers, place and linking words, so that it
/// can only be about the earlier clause's statistic. "growth 0.2%" names a statistic the
/// parser does not know: it is not the earlier clause's.
pub(super) fn bare(
    words: &[super::words::Word],
    numbers: &[super::numbers::Number],
    places: &[super::lexicon::Mention],
) -> bool {
    use super::words::inside;
    words.iter().all(|w| {
        BARE.contains(&w.lower.as_str())
            || w.lower.chars().all(|c| c.is_ascii_digit())
            || numbers.iter().any(|n| inside(&(n.start, n.end), w.start))
            || places.iter().any(|(_, span)| inside(span, w.start))
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use crate::claim::country::Countries;
    use crate::claim::indicator::IndicatorTable;
    use crate::claim::sentence::SentenceParser;

    fn parse_all(text: &str) -> Result<Vec<crate::claim::ClaimSpec>, String> {
        let parser = SentenceParser::new(&Countries::embedded(), IndicatorTable::embedded());
        parser
            .parse_all(text, NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())
            .map(|parts| parts.iter().map(|p| p.claim.spec()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn each_clause_is_a_claim_and_shares_the_place() {
        let parts = parse_all("Ecuador has 18 million people and a murder rate of 90 per 100,000.")
            .unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].indicator.as_deref(), Some("SP.POP.TOTL"));
        assert_eq!(parts[1].indicator.as_deref(), Some("VC.IHR.PSRC.P5"));
        assert!(parts.iter().all(|p| p.country.as_deref() == Some("ECU")));
        assert_eq!((parts[0].value, parts[1].value), (Some(18e6), Some(90.0)));
        assert_ne!(parts[0].id, parts[1].id, "linked claims have their own ids");
    }

    #[test]
    fn a_bare_number_takes_the_earlier_statistic_and_year() {
        let parts = parse_all(
            "By 2015 the murder rate in El Salvador was the highest in the world, at 105 per 100,000 people.",
        )
        .unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[1].year, parts[1].value), (Some(2015), Some(105.0)));
    }

    #[test]
    fn an_unread_clause_refuses_the_sentence_and_is_named() {
        // "growth" is no statistic the parser knows: it must not become the earlier one's.
        let err = parse_all("Chile's unemployment was 8.7% in 2023, growth 0.2%.").unwrap_err();
        assert!(err.contains("growth 0.2%"), "{err}");
        let err = parse_all("Mexico's murder rate was 29 in 2019, 2 of them thanks to the army.")
            .unwrap_err();
        assert!(err.contains("2 of them"), "{err}");
    }
}
