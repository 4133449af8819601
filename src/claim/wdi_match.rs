//! Finds a WDI series in a sentence by its official name ("GNI per capita, PPP (current
//! international $)") or a clear part of it ("Mortality rate, infant"), using the catalogue.
//!
//! A name matches as a run of words (punctuation and symbols ignored, so "(% of GDP)" reads
//! "of gdp"). The longest run wins. When the run is a name without its unit in parentheses
//! and several series share it (GDP per capita in current US$, constant US$, PPP…), the
//! numbers' unit ("%" or "$") and the unit words elsewhere in the sentence ("of GDP", "per
//! 1,000") choose; what is still tied is refused with the candidates.

use std::collections::HashMap;

use crate::catalogue::Catalogue;
use crate::claim::indicator::Unit;

/// Bare names shorter than this many words are too generic to match ("Expense").
const MIN_BARE_WORDS: usize = 2;

/// Unit words that say nothing about which series is meant.
const STOP: &[&str] = &["of", "the", "and", "per", "total", "a", "in", "current"];

/// One catalogue series, as words.
#[derive(Debug, Clone)]
struct Entry {
    code: String,
    name: String,
    unit: Unit,
    /// The whole name.
    full: Vec<String>,
    /// The name without its trailing parenthesised parts ("GNI per capita, PPP").
    bare: Vec<String>,
    /// Telling words of the parenthesised parts ("gdp", "ppp", "international").
    unit_words: Vec<String>,
}

/// What the catalogue found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum WdiMatch {
    /// One series: code, official name, unit, and the matched words `[start, end)`.
    Series {
        /// Indicator code.
        code: String,
        /// Official name.
        name: String,
        /// Unit family.
        unit: Unit,
        /// First matched word.
        start: usize,
        /// One past the last matched word.
        end: usize,
    },
    /// Several series fit equally well.
    Ambiguous {
        /// First matched word.
        start: usize,
        /// One past the last matched word.
        end: usize,
        /// "CODE (name)" of each candidate.
        candidates: Vec<String>,
    },
}

impl WdiMatch {
    /// Number of sentence words matched.
    pub fn len(&self) -> usize {
        match self {
            WdiMatch::Series { start, end, .. } | WdiMatch::Ambiguous { start, end, .. } => {
                end - start
            }
        }
    }

    /// True when no word is matched (never, for a found match).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The catalogue indexed by each name's first word.
#[derive(Debug, Clone, Default)]
pub struct WdiNames {
    entries: Vec<Entry>,
    /// First word of a full or bare name → (entry, is_full).
    by_first: HashMap<String, Vec<(usize, bool)>>,
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| fold_plural(w).to_string())
        .collect()
}

/// "households" and "household" read alike: the World Bank spells one name both ways.
fn fold_plural(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem,
        _ => word,
    }
}

/// The name without trailing "(…)" groups: "Unemployment, total (% of …) (national estimate)"
/// → "Unemployment, total".
fn bare_name(name: &str) -> &str {
    let mut rest = name.trim_end();
    while let Some(inner) = rest.strip_suffix(')') {
        let Some(open) = inner.rfind('(') else {
            break;
        };
        rest = inner[..open].trim_end();
    }
    rest
}

impl WdiNames {
    /// The embedded catalogue, indexed once per process.
    pub fn embedded() -> &'static WdiNames {
        static NAMES: std::sync::OnceLock<WdiNames> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| WdiNames::new(Catalogue::embedded()))
    }

    /// Indexes a catalogue.
    pub fn new(catalogue: &Catalogue) -> Self {
        let mut names = WdiNames::default();
        for series in catalogue.all() {
            let full = words(&series.name);
            let bare_text = bare_name(&series.name);
            let bare = words(bare_text);
            let unit_words = words(&series.name[bare_text.len()..])
                .into_iter()
                // Numbers in a unit ("constant 2015 US$") would match the claim's year.
                .filter(|w| !STOP.contains(&w.as_str()) && !w.chars().all(|c| c.is_ascii_digit()))
                .collect();
            let index = names.entries.len();
            if let Some(first) = full.first() {
                names
                    .by_first
                    .entry(first.clone())
                    .or_default()
                    .push((index, true));
            }
            if bare.len() >= MIN_BARE_WORDS && bare != full {
                names
                    .by_first
                    .entry(bare[0].clone())
                    .or_default()
                    .push((index, false));
            }
            names.entries.push(Entry {
                code: series.code.clone(),
                name: series.name.clone(),
                unit: series.unit(),
                full,
                bare,
                unit_words,
            });
        }
        names
    }

    /// The longest series name in `lower` (the sentence's lowercase words); `fits` says
    /// whether a unit suits the sentence's numbers.
    pub fn find(&self, lower: &[&str], fits: impl Fn(Unit) -> bool) -> Option<WdiMatch> {
        let folded: Vec<&str> = lower.iter().map(|w| fold_plural(w)).collect();
        let lower = folded.as_slice();
        // (start, length) of the longest run, with every entry matching it and how.
        let mut best: Option<(usize, usize)> = None;
        let mut hits: Vec<(usize, bool)> = Vec::new();
        for (at, word) in lower.iter().enumerate() {
            let Some(candidates) = self.by_first.get(*word) else {
                continue;
            };
            for &(index, full) in candidates {
                let entry = &self.entries[index];
                let name = if full { &entry.full } else { &entry.bare };
                if !matches_at(lower, at, name) {
                    continue;
                }
                let run = (at, name.len());
                match best {
                    Some((_, len)) if len > run.1 => {}
                    Some(b) if b == run => hits.push((index, full)),
                    _ => {
                        best = Some(run);
                        hits = vec![(index, full)];
                    }
                }
            }
        }
        let (start, len) = best?;
        let chosen = self.choose(&hits, lower, &fits);
        Some(match chosen.as_slice() {
            [one] => {
                let entry = &self.entries[*one];
                WdiMatch::Series {
                    code: entry.code.clone(),
                    name: entry.name.clone(),
                    unit: entry.unit,
                    start,
                    end: start + len,
                }
            }
            many => WdiMatch::Ambiguous {
                start,
                end: start + len,
                candidates: many
                    .iter()
                    .map(|&i| format!("{} ({})", self.entries[i].code, self.entries[i].name))
                    .collect(),
            },
        })
    }

    /// Narrows equally long matches: full names first, then series whose unit suits the
    /// numbers, then those whose unit words the sentence also uses.
    fn choose(
        &self,
        hits: &[(usize, bool)],
        lower: &[&str],
        fits: &dyn Fn(Unit) -> bool,
    ) -> Vec<usize> {
        let mut chosen: Vec<usize> = if hits.iter().any(|h| h.1) {
            hits.iter().filter(|h| h.1).map(|h| h.0).collect()
        } else {
            hits.iter().map(|h| h.0).collect()
        };
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.len() > 1 {
            let fitting: Vec<usize> = chosen
                .iter()
                .copied()
                .filter(|&i| fits(self.entries[i].unit))
                .collect();
            if !fitting.is_empty() {
                chosen = fitting;
            }
        }
        if chosen.len() > 1 {
            let score = |i: usize| {
                let unit_words = &self.entries[i].unit_words;
                unit_words
                    .iter()
                    .filter(|w| lower.contains(&w.as_str()))
                    .count()
            };
            let top = chosen.iter().map(|&i| score(i)).max().unwrap_or(0);
            chosen.retain(|&i| score(i) == top);
        }
        chosen
    }
}

fn matches_at(haystack: &[&str], at: usize, needle: &[String]) -> bool {
    !needle.is_empty()
        && at + needle.len() <= haystack.len()
        && haystack[at..at + needle.len()]
            .iter()
            .zip(needle)
            .all(|(a, b)| *a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str, percent: bool, currency: bool) -> Option<WdiMatch> {
        let names = WdiNames::new(Catalogue::embedded());
        let lower = words(text);
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        names.find(&lower, |unit| match unit {
            Unit::Percent => !currency,
            Unit::Currency => !percent || currency,
            _ => !percent && !currency,
        })
    }

    fn code(m: Option<WdiMatch>) -> String {
        match m {
            Some(WdiMatch::Series { code, .. }) => code,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn bare_names_drop_every_trailing_unit() {
        assert_eq!(
            bare_name("Unemployment, total (% of total labor force) (national estimate)"),
            "Unemployment, total"
        );
        assert_eq!(bare_name("GDP (current US$)"), "GDP");
        assert_eq!(bare_name("Population, total"), "Population, total");
    }

    #[test]
    fn the_unit_in_parentheses_picks_the_series() {
        let ppp = find(
            "GNI per capita, PPP (current international $) in Chile",
            false,
            false,
        );
        assert_eq!(code(ppp), "NY.GNP.PCAP.PP.CD");
        let atlas = find(
            "GNI per capita, Atlas method (current US$) in Ghana",
            false,
            false,
        );
        assert_eq!(code(atlas), "NY.GNP.PCAP.CD");
    }

    #[test]
    fn a_bare_name_is_narrowed_by_the_number_or_refused() {
        let share = find(
            "Manufacturing, value added in Germany was 18.5% of GDP",
            true,
            false,
        );
        assert_eq!(code(share), "NV.IND.MANF.ZS");
        match find("GNI per capita, PPP in Chile was 24,170", false, false) {
            Some(WdiMatch::Ambiguous { candidates, .. }) => {
                assert!(candidates
                    .iter()
                    .any(|c| c.starts_with("NY.GNP.PCAP.PP.CD")));
                assert!(candidates
                    .iter()
                    .any(|c| c.starts_with("NY.GNP.PCAP.PP.KD")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(find("El Salvador was dangerous", false, false), None);
    }
}
