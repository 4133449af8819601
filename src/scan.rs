//! Scanning an article for checkable sentences: split the text into sentences, keep those
//! with a number (or a rank/record word) near a known statistic or place, and turn each into
//! claims with the [`SentenceParser`]. What the parser refuses is kept, with its reason, as
//! "found but not checkable". Pure and fast (no I/O): the CLI's `scan` stores and verifies.

use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::claim::country::Countries;
use crate::claim::indicator::IndicatorTable;
use crate::claim::sentence::{ParseError, Parsed, SentenceParser};
use crate::claim::{slug, Claim, ClaimKind, ClaimSpec};

/// One sentence the scanner found worth checking, with what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Byte offsets of the sentence in the article.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
    /// The sentence.
    pub text: String,
    /// Ids of the claims read from it.
    pub claim_ids: Vec<String>,
    /// Why (parts of) it could not be turned into a claim.
    pub not_checkable: Vec<String>,
}

/// An article after scanning: its text, the findings, and the claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The tag its claims carry.
    pub tag: String,
    /// First line of the text.
    pub title: String,
    /// The full text.
    pub text: String,
    /// Number of sentences.
    pub sentences: usize,
    /// Checkable sentences, in order.
    pub findings: Vec<Finding>,
}

/// A scan's result: the article record and the claims to store.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The article with its findings.
    pub article: Article,
    /// Claims (checkable ones and, without indicator, the not-checkable sentences).
    pub claims: Vec<Claim>,
}

/// Finds and parses checkable sentences.
pub struct Scanner {
    parser: SentenceParser,
    phrases: Vec<Vec<String>>,
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "no", "gen", "gov", "sen", "rep",
    "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "approx", "est", "fig", "etc",
];
const STARTERS: &[&str] = &[
    "The",
    "But",
    "And",
    "It",
    "This",
    "That",
    "These",
    "Those",
    "He",
    "She",
    "They",
    "We",
    "In",
    "A",
    "An",
    "However",
    "According",
    "Its",
    "Their",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "dozen", "hundred",
];
const RANK_WORDS: &[&str] = &[
    "highest", "lowest", "largest", "smallest", "biggest", "worst", "best", "record", "top",
];
/// Words that state a size of change without a digit ("has doubled since 1990").
const MULTIPLIER_WORDS: &[&str] = &[
    "doubled",
    "tripled",
    "trebled",
    "quadrupled",
    "halved",
    "tenfold",
    "twofold",
    "threefold",
];
const COMPARISONS: &[&str] = &[
    "more than",
    "less than",
    "fewer than",
    "at least",
    "at most",
    "as low as",
    "as high as",
    "nearly",
    "almost",
    "around",
    "exceeded",
    "topped",
];
const CLAUSE_BREAKS: &[&str] = &[", and ", ", but ", "; ", ", while ", " — ", "—"];
const CHANGE_WORDS: &[&str] = &[
    "dropped",
    "fell",
    "rose",
    "increased",
    "decreased",
    "declined",
    "climbed",
    "grew",
];

/// Byte ranges of the sentences of `text`: paragraphs (lines) split at `.`, `!` or `?`
/// followed by a space and a capital, except after abbreviations ("U.S.", "Dr.") and
/// inside numbers ("107.6").
pub fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        split_line(line, line_start, &mut out);
        line_start += line.len();
    }
    out
}

fn split_line(line: &str, offset: usize, out: &mut Vec<Range<usize>>) {
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut j = k + 1;
        while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | '”' | '’') {
            j += 1;
        }
        let after = chars.get(j).map(|x| x.1);
        if !after.is_some_and(char::is_whitespace) {
            continue;
        }
        let rest = line[chars[j].0..].trim_start();
        let next_word = rest.split_whitespace().next().unwrap_or("");
        let starts_sentence = next_word
            .chars()
            .next()
            .is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || "\"“'$".contains(n));
        if !starts_sentence || (c == '.' && is_abbreviation(&line[..i], next_word)) {
            continue;
        }
        let end = chars.get(j).map_or(line.len(), |x| x.0);
        push_trimmed(line, offset, start..end, out);
        start = end;
    }
    push_trimmed(line, offset, start..line.len(), out);
}

fn is_abbreviation(before: &str, next_word: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let dotted = word.contains('.');
    let single = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    let listed = ABBREVIATIONS.contains(&word.to_lowercase().as_str());
    (dotted || single || listed) && !(dotted && STARTERS.contains(&next_word))
}

fn push_trimmed(line: &str, offset: usize, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let piece = &line[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        let start = offset + range.start + lead;
        out.push(start..start + trimmed.len());
    }
}

/// Words of a sentence with their byte offsets (letters, digits and `.,%$'` inside).
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let inner = c.is_alphanumeric() || matches!(c, '$' | '%' | '-' | ',' | '.');
        match (inner, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, text[s..i].trim_end_matches([',', '.', '-'])));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text[s..].trim_end_matches([',', '.', '-'])));
    }
    out.retain(|(_, t)| !t.is_empty());
    out
}

/// True when the sentence states a quantity: digits that are not a year, a date, or part
/// of a name ("MS-13", "Barrio 18"), or a number word.
pub fn has_quantity(sentence: &str) -> bool {
    let toks = tokens(sentence);
    toks.iter().enumerate().any(|(k, (_, tok))| {
        let lower = tok.to_lowercase();
        if NUMBER_WORDS.contains(&lower.as_str()) {
            return true;
        }
        is_quantity_token(tok) && !is_date_or_name(&toks, k)
    })
}

fn is_quantity_token(tok: &str) -> bool {
    let body = tok.trim_start_matches('$').trim_end_matches('%');
    let Some(first) = body.chars().next() else {
        return false;
    };
    if !first.is_ascii_digit() {
        return false;
    }
    let digits: String = body.chars().take_while(|c| c.is_ascii_digit()).collect();
    let suffix = body.trim_start_matches(|c: char| c.is_ascii_digit() || c == ',' || c == '.');
    let year_like = digits.len() == 4
        && body.len() <= 5
        && (1800..=2100).contains(&digits.parse::<i32>().unwrap_or(0))
        && !tok.starts_with('$');
    let scale = matches!(suffix, "" | "m" | "bn" | "k" | "tn" | "million" | "billion");
    !year_like && scale
}

fn is_date_or_name(toks: &[(usize, &str)], k: usize) -> bool {
    let prev = k.checked_sub(1).map(|p| toks[p].1);
    let next = toks.get(k + 1).map(|t| t.1.to_lowercase());
    let is_month = |w: &str| MONTHS.contains(&w.to_lowercase().as_str());
    if prev.is_some_and(is_month) || next.as_deref().is_some_and(is_month) {
        return true;
    }
    // "Barrio 18", "Route 66": a capitalised word (not the first) right before.
    k > 1 && prev.is_some_and(|p| p.chars().next().is_some_and(char::is_uppercase))
}

fn lower_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn contains_seq(words: &[String], seq: &[String]) -> bool {
    !seq.is_empty() && words.windows(seq.len()).any(|w| w == seq)
}

impl Scanner {
    /// A scanner using `parser` and the statistic phrases of `table`.
    pub fn new(parser: SentenceParser, table: &IndicatorTable) -> Self {
        let phrases = table
            .entries()
            .iter()
            .flat_map(|e| e.phrases.iter().map(|p| lower_words(p)))
            .collect();
        Self { parser, phrases }
    }

    fn has_statistic(&self, words: &[String]) -> bool {
        self.phrases.iter().any(|p| contains_seq(words, p))
    }

    fn has_place(&self, sentence: &str, as_of: NaiveDate) -> bool {
        !matches!(self.parser.parse(sentence, as_of),
            Err(ParseError::Missing(m)) if m.starts_with("no country"))
    }

    /// True when a sentence is worth parsing: a quantity near a place, a statistic or a
    /// comparison, or a rank, record or multiplier word ("doubled") near a statistic and a
    /// place.
    pub fn is_checkable(&self, sentence: &str, as_of: NaiveDate) -> bool {
        let words = lower_words(sentence);
        let joined = format!(" {} ", words.join(" "));
        let statistic = self.has_statistic(&words);
        if has_quantity(sentence) {
            let comparison = COMPARISONS
                .iter()
                .any(|c| joined.contains(&format!(" {c} ")));
            return statistic || comparison || self.has_place(sentence, as_of);
        }
        let wording = words
            .iter()
            .any(|w| RANK_WORDS.contains(&w.as_str()) || MULTIPLIER_WORDS.contains(&w.as_str()));
        wording && statistic && self.has_place(sentence, as_of)
    }

    /// Scans an article; its claims are tagged `tag` and dated `as_of` (for "last year").
    pub fn scan(&self, text: &str, tag: &str, as_of: NaiveDate) -> Scan {
        let ranges = split_sentences(text);
        let mut claims: Vec<Claim> = Vec::new();
        let mut findings = Vec::new();
        let mut previous: Option<Parsed> = None;
        for range in &ranges {
            let sentence = &text[range.clone()];
            // "This dropped to 7.9 by 2022.": no place or statistic of its own, but a figure
            // about the previous claim's; skipped, it was in neither list of the report.
            let follow_up = previous.is_some() && has_quantity(sentence) && has_pronoun(sentence);
            if !follow_up && !self.is_checkable(sentence, as_of) {
                continue;
            }
            let (parsed, refusals) = self.read_sentence(sentence, previous.as_ref(), as_of);
            let mut finding = Finding {
                start: range.start,
                end: range.end,
                text: sentence.to_string(),
                claim_ids: Vec::new(),
                not_checkable: refusals,
            };
            for p in &parsed {
                finding.claim_ids.push(p.claim.id.clone());
                claims.push(tagged(p.claim.clone(), tag, &p.notes));
            }
            if parsed.is_empty() {
                if let Some(claim) = not_checkable_claim(sentence, &finding.not_checkable, tag) {
                    finding.claim_ids.push(claim.id.clone());
                    claims.push(claim);
                }
            }
            // The place and statistic words of the sentence (a later clause of it may have
            // taken them from an earlier one), for "this"/"it" in the next sentence.
            let named: Vec<_> = parsed
                .iter()
                .flat_map(|p| &p.spans)
                .filter(|s| matches!(s.field, "country" | "indicator"))
                .cloned()
                .collect();
            if let Some(mut last) = parsed
                .into_iter()
                .find(|p| !matches!(p.claim.kind, ClaimKind::Rank { .. }))
            {
                for span in named {
                    if !last.spans.iter().any(|s| s.field == span.field) {
                        last.spans.push(span);
                    }
                }
                previous = Some(last);
            }
            findings.push(finding);
        }
        dedup_ids(&mut claims, &mut findings);
        let title = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let article = Article {
            tag: tag.to_string(),
            title: title.trim().to_string(),
            text: text.to_string(),
            sentences: ranges.len(),
            findings,
        };
        Scan { article, claims }
    }

    /// Claims from one sentence, and the reasons for what could not be read.
    fn read_sentence(
        &self,
        sentence: &str,
        previous: Option<&Parsed>,
        as_of: NaiveDate,
    ) -> (Vec<Parsed>, Vec<String>) {
        // Every claim of the sentence, read together ("the highest in the world, at 105").
        let first_error = match self.parse_with_context(sentence, previous, as_of) {
            Ok(parts) => return (parts, Vec::new()),
            Err(e) => e.to_string(),
        };
        let mut parsed = Vec::new();
        let mut refusals = Vec::new();
        for clause in clauses(sentence) {
            if clause.len() == sentence.len() || !self.is_checkable(clause, as_of) {
                continue;
            }
            match self.parse_with_context(clause, previous, as_of) {
                Ok(parts) => parsed.extend(parts),
                Err(e) => refusals.push(format!("\"{}\": {e}", clause.trim())),
            }
        }
        if parsed.is_empty() {
            refusals = vec![first_error];
        }
        (parsed, refusals)
    }

    /// Parses; when no country is named and the sentence says "this"/"it", reads it as the
    /// previous claim's statistic and place ("this dropped to 82 by 2016").
    fn parse_with_context(
        &self,
        sentence: &str,
        previous: Option<&Parsed>,
        as_of: NaiveDate,
    ) -> Result<Vec<Parsed>, ParseError> {
        let error = match self.parser.parse_all(sentence, as_of) {
            Ok(parts) => return Ok(parts),
            Err(e) => e,
        };
        let Some(prev) = previous else {
            return Err(error);
        };
        let Some((rewritten, subject)) = resolve_pronoun(sentence, prev) else {
            return Err(error);
        };
        let mut parts = self
            .parser
            .parse_all(&rewritten, as_of)
            .map_err(|_| error)?;
        for parsed in &mut parts {
            parsed.notes.push(format!(
                "the article's pronoun was read as \"{subject}\" from the previous sentence"
            ));
        }
        Ok(parts)
    }
}

/// The sentence with its first "this"/"it" replaced by the previous claim's statistic and
/// place (plus "from YEAR" for a change with one year); and the words put in.
fn resolve_pronoun(sentence: &str, prev: &Parsed) -> Option<(String, String)> {
    let field = |name: &str| prev.spans.iter().find(|s| s.field == name).map(|s| &s.text);
    let subject = format!("the {} in {}", field("indicator")?, field("country")?);
    let toks = tokens(sentence);
    let (at, word) = toks
        .iter()
        .find(|(_, t)| matches!(t.to_lowercase().as_str(), "this" | "it"))?;
    let words = lower_words(sentence);
    let one_year = words.iter().filter(|w| is_year_word(w)).count() == 1;
    let change = words.iter().any(|w| CHANGE_WORDS.contains(&w.as_str()));
    let mut put_in = subject.clone();
    if let (true, true, Some(year)) = (one_year, change, prev.claim.spec().year) {
        put_in.push_str(&format!(" from {year}"));
    }
    let mut rewritten = sentence.to_string();
    rewritten.replace_range(*at..at + word.len(), &put_in);
    Some((rewritten, put_in))
}

/// "this" or "it" as a word of the sentence: it may speak of the previous claim.
fn has_pronoun(sentence: &str) -> bool {
    lower_words(sentence)
        .iter()
        .any(|w| matches!(w.as_str(), "this" | "it"))
}

fn is_year_word(w: &str) -> bool {
    w.len() == 4 && w.parse::<i32>().is_ok_and(|y| (1800..=2100).contains(&y))
}

/// The parts of a sentence between clause breaks (", and ", "; ", dashes).
fn clauses(sentence: &str) -> Vec<&str> {
    let mut cuts = vec![0];
    for brk in CLAUSE_BREAKS {
        for (i, _) in sentence.match_indices(brk) {
            cuts.push(i);
            cuts.push(i + brk.len());
        }
    }
    cuts.push(sentence.len());
    cuts.sort_unstable();
    cuts.chunks(2)
        .filter_map(|c| match c {
            [a, b] if b > a => Some(sentence[*a..*b].trim()),
            _ => None,
        })
        .filter(|c| !c.is_empty())
        .collect()
}

fn tagged(mut claim: Claim, tag: &str, notes: &[String]) -> Claim {
    if !claim.tags.iter().any(|t| t == tag) {
        claim.tags.push(tag.to_string());
    }
    if !notes.is_empty() && claim.note.is_none() {
        claim.note = Some(notes.join("; "));
    }
    claim
}

/// A sentence the parser refused, kept as a claim without indicator: it verifies as
/// `unverifiable` with the reason as its note.
fn not_checkable_claim(sentence: &str, reasons: &[String], tag: &str) -> Option<Claim> {
    let mut claim = ClaimSpec::new(slug(sentence), sentence.trim());
    claim.tags = vec![tag.to_string()];
    claim.note = Some(format!(
        "{}: {}",
        crate::verify::rules::NOT_UNDERSTOOD,
        reasons.join("; ")
    ));
    // Only text, a slug id, a tag and a note: valid unless the sentence is blank.
    claim.validate(Countries::shared()).ok()
}

/// Gives repeated ids a numeric suffix (two sentences can share their first words).
fn dedup_ids(claims: &mut [Claim], findings: &mut [Finding]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut renames = Vec::new();
    for claim in claims.iter_mut() {
        let n = seen.entry(claim.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let new = format!("{}-{n}", claim.id);
            renames.push((claim.id.clone(), new.clone()));
            claim.id = new;
        }
    }
    for (old, new) in renames {
        let hit = findings
            .iter_mut()
            .flat_map(|f| f.claim_ids.iter_mut())
            .filter(|id| **id == old)
            .nth(1);
        if let Some(id) = hit {
            *id = new;
        }
    }
}

/// A tag for an article file: its file stem as a slug ("seed-article.txt" → `seed-article`).
pub fn tag_for_path(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| slug(&s.to_string_lossy()))
        .filter(|s| s != "claim")
        .unwrap_or_else(|| "article".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn splits_at_sentence_ends_not_abbreviations_or_decimals() {
        let text = "Police fled to the U.S. for safety. The rate was 107.6 in 2015! Dr. Smith said so.\nNew paragraph";
        assert_eq!(
            texts(text),
            vec![
                "Police fled to the U.S. for safety.",
                "The rate was 107.6 in 2015!",
                "Dr. Smith said so.",
                "New paragraph"
            ]
        );
    }

    #[test]
    fn splits_after_abbreviation_before_a_sentence_starter() {
        let text = "They travelled to the U.S. The Post reported it.";
        assert_eq!(
            texts(text),
            vec!["They travelled to the U.S.", "The Post reported it."]
        );
    }

    #[test]
    fn quantities_exclude_years_dates_and_names() {
        assert!(has_quantity("more than 40,400 between 2001 and 2010"));
        assert!(has_quantity("salaries as low as $300 a month"));
        assert!(has_quantity("At least nine police officers were killed"));
        assert!(has_quantity("inflation was 12%"));
        assert!(!has_quantity(
            "the attorney general in 2017 called for a law"
        ));
        assert!(!has_quantity("El Salvador, on March 4, 2013."));
        assert!(!has_quantity("Many MS-13 members and the Barrio 18 group"));
        assert!(!has_quantity("in the late 1970s and 1980s"));
    }

    #[test]
    fn clauses_split_at_breaks() {
        assert_eq!(
            clauses("Violence spiraled, and by 2015 it was 105; later 82"),
            vec!["Violence spiraled", "by 2015 it was 105", "later 82"]
        );
    }
}
