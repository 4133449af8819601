//! Places: every country, aggregate, demonym or possessive the sentence names, with
//! ambiguous names ("Guinea", "Congo") refused with their candidates, and credits to
//! "Our World in Data" kept from being read as "the World".

use super::lexicon::{Mention, AMBIGUOUS, OWID_NAMES};
use super::words::{matches_at, words_of, Word};
use super::{ParseError, SentenceParser};

impl SentenceParser {
    /// Every country mentioned, in order (longest name at each place); an ambiguous name
    /// anywhere is an error.
    pub(super) fn find_countries(
        &self,
        text: &str,
        words: &[Word],
    ) -> Result<Vec<Mention>, ParseError> {
        let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
        let mut mentions = Vec::new();
        let mut i = 0;
        'words: while i < words.len() {
            // Ambiguous names, unless part of a longer name ("Papua New Guinea").
            for (name, candidates) in AMBIGUOUS {
                let name_words = words_of(name);
                if matches_at(&lower, i, &name_words) {
                    let longer = self.country_names.iter().any(|(n, _, _)| {
                        n.len() > name_words.len()
                            && (0..=i).any(|s| s + n.len() > i && matches_at(&lower, s, n))
                    });
                    if !longer {
                        return Err(ParseError::Ambiguous {
                            what: format!(
                                "\"{}\"",
                                &text[words[i].start..words[i + name_words.len() - 1].end]
                            ),
                            candidates: candidates.iter().map(|c| c.to_string()).collect(),
                        });
                    }
                }
            }
            for (name, iso3, upper_only) in &self.country_names {
                let n = name.len();
                if !matches_at(&lower, i, name) {
                    continue;
                }
                if lower.get(i + n) == Some(&"bank") {
                    continue; // "World Bank" is the source, not the world
                }
                let (start, end) = (words[i].start, words[i + n - 1].end);
                let original = &text[start..end];
                if *upper_only
                    && (original.chars().any(|c| c.is_lowercase()) || text[end..].starts_with('$'))
                {
                    continue;
                }
                if let Some(place) = inside_a_country(text, words, i, n) {
                    return Err(ParseError::Missing(format!(
                        "\"{place}\" is a place inside a country (a state, province or city), which the data do not cover: a verdict on the country's figure would check the wrong place; name the country for a national figure"
                    )));
                }
                mentions.push((iso3.clone(), (start, end)));
                i += n;
                continue 'words;
            }
            i += 1;
        }
        if !mentions.is_empty() {
            return Ok(mentions);
        }
        Err(ParseError::Missing(
            "no country or region found: name one (\"El Salvador\", \"the US\", \"Latin America\", or an ISO3 code such as SLV)".into(),
        ))
    }
}

/// "New Mexico", "Mexico City", "Northern Ireland", "Kingston, Jamaica", "In Medellín,
/// Colombia", "Brazil's northeast": a place within a country named with the country. The
/// place's words, when words `i..i + n` name the country so.
fn inside_a_country(text: &str, words: &[Word], i: usize, n: usize) -> Option<String> {
    const BEFORE: &[&str] = &["New", "Northern", "Southern", "Upper", "Lower"];
    const AFTER: &[&str] = &["city", "state", "province", "county"];
    const COMPASS: &[&str] = &[
        "north",
        "south",
        "east",
        "west",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "northern",
        "southern",
        "eastern",
        "western",
        "capital",
    ];
    let name_end = words[i + n - 1].end;
    // "Brazil's northeast had …".
    if let (Some(s), Some(part)) = (words.get(i + n), words.get(i + n + 1)) {
        if s.lower == "s" && COMPASS.contains(&part.lower.as_str()) {
            return Some(text[words[i].start..part.end].to_string());
        }
    }
    if let Some(place) = city_comma_country(text, words, i) {
        return Some(place);
    }
    if let Some(prev) = i.checked_sub(1).map(|k| &words[k]) {
        let written = &text[prev.start..prev.end];
        if BEFORE.contains(&written) && text[prev.end..words[i].start].trim().is_empty() {
            return Some(text[prev.start..name_end].to_string());
        }
    }
    let next = words.get(i + n)?;
    (AFTER.contains(&next.lower.as_str()) && text[name_end..next.start].trim().is_empty())
        .then(|| text[words[i].start..next.end].to_string())
}

/// "Kingston, Jamaica had …", "In Medellín, Colombia, …": a capitalised name and a comma
/// right before the country, the sentence's first words or after "in".
fn city_comma_country(text: &str, words: &[Word], i: usize) -> Option<String> {
    // Words that open a sentence before a comma without naming a place.
    const OPENERS: &[&str] = &[
        "today",
        "now",
        "meanwhile",
        "however",
        "still",
        "yet",
        "overall",
        "also",
        "instead",
        "indeed",
        "again",
        "then",
        "so",
        "yes",
        "no",
        "sadly",
        "fortunately",
        "unfortunately",
        "in",
        "by",
        "since",
        "last",
        "this",
        "that",
        "and",
        "but",
        "moreover",
        "likewise",
        "similarly",
        "elsewhere",
        "here",
        "there",
        "globally",
        "regionally",
        "nationally",
    ];
    let name = words.get(i.checked_sub(1)?)?;
    let between = &text[name.end..words[i].start];
    let first = name.start == words.first()?.start;
    let after_in = i >= 2 && words[i - 2].lower == "in";
    let capitalised = text[name.start..].starts_with(|c: char| c.is_uppercase());
    (between.trim() == ","
        && capitalised
        && (first || after_in)
        && !OPENERS.contains(&name.lower.as_str())
        && !name.lower.chars().all(|c| c.is_ascii_digit()))
    .then(|| text[name.start..words[i].end].to_string())
}

/// The text with every credit to Our World in Data blanked (same length, so byte offsets
/// stay valid), or the text itself when it has none.
pub(super) fn mask_source_names(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut masked = text.to_string();
    for name in OWID_NAMES {
        let mut from = 0;
        while let Some(at) = lower[from..].find(name).map(|i| i + from) {
            let end = at + name.len();
            let standalone = !lower[..at].ends_with(|c: char| c.is_alphanumeric())
                && !lower[end..].starts_with(|c: char| c.is_alphanumeric());
            if standalone {
                masked.replace_range(at..end, &" ".repeat(name.len()));
            }
            from = end;
        }
    }
    masked
}
