//! Claims from plain sentences: "El Salvador homicide rate 105 per 100,000 in 2015" becomes
//! a structured [`Claim`]. Rule-based and explainable: every field comes with the span of
//! text it was read from, and when something is missing or ambiguous the parse fails with
//! what to add, never with a silent guess.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::country::Countries;
use super::indicator::{IndicatorAlias, IndicatorTable, Unit};
use super::wdi_match::{WdiMatch, WdiNames};
use super::{slug, Claim, ClaimSpec, Direction, Kind, Order, Relation};

/// A piece of the sentence a field was read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// The field it gave (`country`, `indicator`, `year`, `value`, `relation`, `kind`, …).
    pub field: &'static str,
    /// The text.
    pub text: String,
    /// Byte offsets in the sentence.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
}

/// A parsed sentence: the claim and where each part came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    /// The structured claim (validated).
    pub claim: Claim,
    /// The indicator's name, from the alias table.
    pub indicator_name: String,
    /// The spans used.
    pub spans: Vec<Span>,
    /// Assumptions and things left out, in words.
    pub notes: Vec<String>,
}

/// Why a sentence could not be turned into a claim.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Something the claim needs is not in the sentence.
    #[error("{0}")]
    Missing(String),
    /// A name matches several things.
    #[error("{what} is ambiguous: it could be {}; name one of them", .candidates.join(", "))]
    Ambiguous {
        /// The ambiguous words.
        what: String,
        /// What they could mean.
        candidates: Vec<String>,
    },
}

/// Names that match several countries: a sentence must say which.
const AMBIGUOUS: &[(&str, &[&str])] = &[
    (
        "guinea",
        &[
            "Guinea",
            "Guinea-Bissau",
            "Equatorial Guinea",
            "Papua New Guinea",
        ],
    ),
    (
        "congo",
        &[
            "Congo, Dem. Rep. (DR Congo)",
            "Congo, Rep. (Congo-Brazzaville)",
        ],
    ),
    (
        "the congo",
        &[
            "Congo, Dem. Rep. (DR Congo)",
            "Congo, Rep. (Congo-Brazzaville)",
        ],
    ),
];

/// A country named in the sentence: ISO3 and byte span.
type Mention = (String, (usize, usize));

/// People and adjectives for countries.
const DEMONYMS: &[(&str, &str)] = &[
    ("salvadoran", "SLV"),
    ("honduran", "HND"),
    ("guatemalan", "GTM"),
    ("mexican", "MEX"),
    ("nicaraguan", "NIC"),
    ("costa rican", "CRI"),
    ("panamanian", "PAN"),
    ("belizean", "BLZ"),
    ("jamaican", "JAM"),
    ("haitian", "HTI"),
    ("cuban", "CUB"),
    ("dominican", "DOM"),
    ("bahamian", "BHS"),
    ("trinidadian", "TTO"),
    ("puerto rican", "PRI"),
    ("colombian", "COL"),
    ("venezuelan", "VEN"),
    ("brazilian", "BRA"),
    ("argentine", "ARG"),
    ("argentinian", "ARG"),
    ("chilean", "CHL"),
    ("peruvian", "PER"),
    ("bolivian", "BOL"),
    ("ecuadorian", "ECU"),
    ("uruguayan", "URY"),
    ("paraguayan", "PRY"),
    ("american", "USA"),
    ("canadian", "CAN"),
    ("british", "GBR"),
    ("briton", "GBR"),
    ("irish", "IRL"),
    ("french", "FRA"),
    ("german", "DEU"),
    ("italian", "ITA"),
    ("spanish", "ESP"),
    ("spaniard", "ESP"),
    ("portuguese", "PRT"),
    ("dutch", "NLD"),
    ("belgian", "BEL"),
    ("swiss", "CHE"),
    ("austrian", "AUT"),
    ("danish", "DNK"),
    ("dane", "DNK"),
    ("swedish", "SWE"),
    ("swede", "SWE"),
    ("norwegian", "NOR"),
    ("finnish", "FIN"),
    ("finn", "FIN"),
    ("icelander", "ISL"),
    ("icelandic", "ISL"),
    ("polish", "POL"),
    ("greek", "GRC"),
    ("russian", "RUS"),
    ("ukrainian", "UKR"),
    ("turkish", "TUR"),
    ("israeli", "ISR"),
    ("lebanese", "LBN"),
    ("jordanian", "JOR"),
    ("syrian", "SYR"),
    ("iraqi", "IRQ"),
    ("iranian", "IRN"),
    ("saudi", "SAU"),
    ("qatari", "QAT"),
    ("emirati", "ARE"),
    ("kuwaiti", "KWT"),
    ("yemeni", "YEM"),
    ("egyptian", "EGY"),
    ("moroccan", "MAR"),
    ("algerian", "DZA"),
    ("tunisian", "TUN"),
    ("libyan", "LBY"),
    ("sudanese", "SDN"),
    ("ethiopian", "ETH"),
    ("somali", "SOM"),
    ("kenyan", "KEN"),
    ("ugandan", "UGA"),
    ("rwandan", "RWA"),
    ("burundian", "BDI"),
    ("tanzanian", "TZA"),
    ("nigerian", "NGA"),
    ("nigerien", "NER"),
    ("ghanaian", "GHA"),
    ("senegalese", "SEN"),
    ("malian", "MLI"),
    ("chadian", "TCD"),
    ("liberian", "LBR"),
    ("cameroonian", "CMR"),
    ("south african", "ZAF"),
    ("zimbabwean", "ZWE"),
    ("zambian", "ZMB"),
    ("malawian", "MWI"),
    ("mozambican", "MOZ"),
    ("angolan", "AGO"),
    ("afghan", "AFG"),
    ("pakistani", "PAK"),
    ("indian", "IND"),
    ("bangladeshi", "BGD"),
    ("sri lankan", "LKA"),
    ("nepali", "NPL"),
    ("chinese", "CHN"),
    ("japanese", "JPN"),
    ("south korean", "KOR"),
    ("north korean", "PRK"),
    ("vietnamese", "VNM"),
    ("thai", "THA"),
    ("filipino", "PHL"),
    ("indonesian", "IDN"),
    ("malaysian", "MYS"),
    ("singaporean", "SGP"),
    ("cambodian", "KHM"),
    ("burmese", "MMR"),
    ("australian", "AUS"),
    ("new zealander", "NZL"),
];

/// Words that hedge or bound the number right after them (matched longest first).
const RELATION_WORDS: &[(&str, Relation)] = &[
    ("in excess of", Relation::Gt),
    ("upwards of", Relation::Gt),
    ("more than", Relation::Gt),
    ("greater than", Relation::Gt),
    ("higher than", Relation::Gt),
    ("exceeded", Relation::Gt),
    ("exceeds", Relation::Gt),
    ("exceeding", Relation::Gt),
    ("topped", Relation::Gt),
    ("surpassed", Relation::Gt),
    ("above", Relation::Gt),
    ("over", Relation::Gt),
    ("at least", Relation::Gte),
    ("no less than", Relation::Gte),
    ("no fewer than", Relation::Gte),
    ("less than", Relation::Lt),
    ("fewer than", Relation::Lt),
    ("lower than", Relation::Lt),
    ("below", Relation::Lt),
    ("under", Relation::Lt),
    ("no more than", Relation::Lte),
    ("at most", Relation::Lte),
    ("up to", Relation::Lte),
    ("as low as", Relation::Eq),
    ("as high as", Relation::Eq),
    ("just under", Relation::Nearly),
    ("just shy of", Relation::Nearly),
    ("nearly", Relation::Nearly),
    ("almost", Relation::Nearly),
    ("an estimated", Relation::Approx),
    ("estimated", Relation::Approx),
    ("approximately", Relation::Approx),
    ("close to", Relation::Approx),
    ("roughly", Relation::Approx),
    ("around", Relation::Approx),
    ("about", Relation::Approx),
    ("some", Relation::Approx),
    ("circa", Relation::Approx),
];

const DECREASE: &[&str] = &[
    "fell",
    "fall",
    "falling",
    "dropped",
    "drop",
    "declined",
    "decline",
    "decreased",
    "plunged",
    "plummeted",
    "shrank",
    "shrunk",
    "halved",
    "slumped",
    "sank",
    "down",
];
const INCREASE: &[&str] = &[
    "rose",
    "rise",
    "rising",
    "increased",
    "increase",
    "grew",
    "climbed",
    "jumped",
    "soared",
    "doubled",
    "tripled",
    "surged",
    "up",
    "growing",
];
const MEAN_WORDS: &[&str] = &[
    "average",
    "averaged",
    "averaging",
    "a year",
    "per year",
    "annually",
];
const SUM_WORDS: &[&str] = &[
    "total",
    "totalled",
    "totaled",
    "a total of",
    "in total",
    "added up to",
    "cumulative",
    "combined",
];
const WORLD_SCOPE: &[&str] = &[
    "in the world",
    "on the planet",
    "worldwide",
    "globally",
    "of any country",
    "world s",
    "on earth",
];

const SMALL_NUMBERS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];
const ORDINALS: &[&str] = &[
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
];

/// One word of the sentence: lowercase letters and digits, with its byte span.
#[derive(Debug, Clone)]
struct Word {
    lower: String,
    start: usize,
    end: usize,
}

/// A number written in the sentence.
#[derive(Debug, Clone)]
struct Number {
    value: f64,
    start: usize,
    end: usize,
    percent: bool,
    currency: bool,
    scaled: bool,
    /// A bare 4-digit year-like integer.
    year_like: bool,
    fraction: bool,
}

/// Turns sentences into claims with a country table and an indicator table.
pub struct SentenceParser {
    countries: Countries,
    /// (words of a country name, ISO3, needs upper case in the text)
    country_names: Vec<(Vec<String>, String, bool)>,
    indicators: IndicatorTable,
    /// (phrase words, index into the indicator table)
    phrases: Vec<(Vec<String>, usize)>,
    /// Official WDI names from the catalogue.
    wdi: &'static WdiNames,
}

fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl SentenceParser {
    /// A parser over the given tables.
    pub fn new(countries: &Countries, indicators: IndicatorTable) -> Self {
        let mut country_names: Vec<(Vec<String>, String, bool)> = countries
            .keys()
            .map(|(key, iso3)| {
                let letters = key.chars().filter(|c| c.is_alphanumeric()).count();
                (words_of(key), iso3.to_string(), letters <= 3)
            })
            .collect();
        for (demonym, iso3) in DEMONYMS {
            country_names.push((words_of(demonym), iso3.to_string(), false));
            let plural = if demonym.ends_with("ese")
                || demonym.ends_with("ish")
                || demonym.ends_with("ch")
                || demonym.ends_with("ss")
            {
                None
            } else {
                Some(format!("{demonym}s"))
            };
            if let Some(plural) = plural {
                country_names.push((words_of(&plural), iso3.to_string(), false));
            }
        }
        // Longest names first, so "South Sudan" wins over "Sudan".
        country_names.sort_by_key(|(words, _, _)| std::cmp::Reverse(words.len()));
        let mut phrases: Vec<(Vec<String>, usize)> = indicators
            .entries()
            .iter()
            .enumerate()
            .flat_map(|(i, entry)| entry.phrases.iter().map(move |p| (words_of(p), i)))
            .collect();
        phrases.sort_by_key(|(words, _)| {
            std::cmp::Reverse(words.iter().map(String::len).sum::<usize>() + words.len())
        });
        Self {
            countries: countries.clone(),
            country_names,
            indicators,
            phrases,
            wdi: WdiNames::embedded(),
        }
    }

    /// Parses one sentence; `as_of` dates it for "last year".
    pub fn parse(&self, text: &str, as_of: NaiveDate) -> Result<Parsed, ParseError> {
        let words = split_words(text);
        let mut spans = Vec::new();
        let mut notes = Vec::new();

        // Countries: the first mentioned is the subject.
        // "Our World in Data" names a source, not the world.
        let masked = mask_source_names(text);
        let mentions = self.find_countries(&masked, &split_words(&masked))?;
        // A World Bank region or income group after "in" or "among" ("highest in Latin
        // America", "among upper-middle-income countries") scopes a rank when another
        // country is the subject.
        let scope = mentions.iter().find(|(code, (start, _))| {
            self.countries.is_group(code)
                && matches!(
                    text[..*start]
                        .to_ascii_lowercase()
                        .split(|c: char| !c.is_alphanumeric())
                        .rfind(|w| !w.is_empty()),
                    Some("in" | "among")
                )
                && mentions.iter().any(|(other, _)| other != code)
        });
        let (iso3, country_span) = mentions
            .iter()
            .find(|m| Some(*m) != scope)
            .cloned()
            .expect("find_countries returns at least one mention");
        spans.push(span("country", text, country_span.0, country_span.1));

        // Numbers and years.
        let mut numbers = scan_numbers(text, &words);
        let years: Vec<(i32, usize, usize)> = numbers
            .iter()
            .filter(|n| n.year_like)
            .map(|n| (n.value as i32, n.start, n.end))
            .collect();
        numbers.retain(|n| {
            !n.year_like && !is_denominator(text, n) && !inside(&country_span, n.start)
        });
        let mut year_values: Vec<i32> = years.iter().map(|y| y.0).collect();
        for y in &years {
            spans.push(span("year", text, y.1, y.2));
        }
        for (i, w) in words.iter().enumerate() {
            let next = words.get(i + 1).map(|w| w.lower.as_str());
            if next == Some("year") && matches!(w.lower.as_str(), "last" | "this") {
                let year = if w.lower == "last" {
                    as_of.year() - 1
                } else {
                    as_of.year()
                };
                year_values.push(year);
                spans.push(span("year", text, w.start, words[i + 1].end));
                notes.push(format!(
                    "\"{} year\" read as {year} (dated {as_of})",
                    w.lower
                ));
            }
        }
        year_values.sort();
        year_values.dedup();

        // The statistic.
        let lower_words: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
        let rank = find_rank(&lower_words, &words, scope.is_some());
        if let Some(r) = &rank {
            numbers.retain(|n| n.end <= r.start || n.start >= r.end);
        }
        let (indicator, indicator_span) = self.find_indicator(&lower_words, &words, &numbers)?;
        let indicator = &indicator;
        spans.push(span("indicator", text, indicator_span.0, indicator_span.1));
        numbers.retain(|n| !inside(&indicator_span, n.start));
        // Years inside an official name ("Consumer price index (2010 = 100)") are not the
        // claim's years.
        let named_years: Vec<i32> = years
            .iter()
            .filter(|y| inside(&indicator_span, y.1))
            .map(|y| y.0)
            .collect();
        year_values.retain(|v| {
            !named_years.contains(v)
                || years
                    .iter()
                    .any(|y| y.0 == *v && !inside(&indicator_span, y.1))
        });
        spans.retain(|s| !(s.field == "year" && inside(&indicator_span, s.start)));
        if indicator.unit != Unit::Percent {
            numbers.retain(|n| !n.fraction);
        }

        let mut claim = ClaimSpec::new(slug(text), text.trim());
        claim.indicator = Some(indicator.code.clone());
        claim.source = indicator.source.clone();
        claim.country = Some(iso3);
        if masked != text && claim.source != crate::source::owid::NAME {
            prefer_owid(&mut claim, &indicator.code, &mut notes);
        }

        let decrease = DECREASE.iter().any(|w| lower_words.contains(w));
        let increase = INCREASE.iter().any(|w| lower_words.contains(w))
            && !indicator_phrase_has_verb(&lower_words, indicator_span, &words);
        let since = lower_words.iter().position(|w| *w == "since");
        let two_years = year_values.len() >= 2 || (since.is_some() && !year_values.is_empty());
        let (from_year, year) = match year_values.as_slice() {
            [] => (None, None),
            [only] if since.is_some() => (Some(*only), Some(*only)),
            [only] => (None, Some(*only)),
            [first, .., last] => (Some(*first), Some(*last)),
        };
        claim.year = year;

        if let Some(r) = rank.filter(|_| numbers.is_empty()) {
            claim.kind = Kind::Rank;
            claim.rank = Some(r.rank);
            claim.order = Some(r.order);
            if let Some((region, (start, end))) = scope {
                claim.among = vec![region.clone()];
                spans.push(span("among", text, *start, *end));
            }
            claim.relation = if r.within {
                Relation::Lte
            } else {
                Relation::Eq
            };
            spans.push(span("kind", text, r.start, r.end));
            return self.finish(claim, &indicator.name, spans, notes);
        } else if rank.is_some() {
            notes.push(
                "the sentence also claims a rank; add it as a separate claim to check it".into(),
            );
        }

        // "total" in a name ("(% of total population)") is not a claimed total.
        let outside: Vec<&str> = words
            .iter()
            .zip(&lower_words)
            .map(|(w, l)| {
                if inside(&indicator_span, w.start) {
                    ""
                } else {
                    *l
                }
            })
            .collect();
        let has_outside = |phrase: &str| find_seq(&outside, &words_of(phrase)).is_some();
        let mean = MEAN_WORDS.iter().any(|w| has_outside(w));
        let sum = SUM_WORDS.iter().any(|w| has_outside(w));
        if two_years && (decrease || increase) && !mean && !sum {
            claim.kind = Kind::Change;
            claim.from_year = from_year.filter(|f| Some(*f) != year);
            if claim.from_year.is_none() {
                return Err(ParseError::Missing(
                    "a change needs a start year and an end year (\"from 2015 to 2016\")".into(),
                ));
            }
            claim.direction = Some(if decrease {
                Direction::Decrease
            } else {
                Direction::Increase
            });
            // The end value follows "to"; a start value follows "from".
            if let Some(end) = numbers.iter().find(|n| preceded_by(text, n, &["to"])) {
                claim.value = Some(end.value);
                claim.relation = relation_before(text, end, &mut spans);
                spans.push(span("value", text, end.start, end.end));
            }
            if let Some(start) = numbers.iter().find(|n| preceded_by(text, n, &["from"])) {
                claim.from_value = Some(start.value);
                spans.push(span("from_value", text, start.start, start.end));
            }
            return self.finish(claim, &indicator.name, spans, notes);
        }

        let Some(value) = numbers.first().cloned() else {
            return Err(ParseError::Missing(format!(
                "no number to check for {}: write the figure (\"… was 105 in 2015\")",
                indicator.name
            )));
        };
        if indicator.unit == Unit::Count && !value.scaled && value.value.abs() < 1000.0 {
            return Err(ParseError::Missing(format!(
                "{} is a count, and \"{}\" would be {} people or things: write the scale (\"{} million\")",
                indicator.name,
                &text[value.start..value.end],
                value.value,
                &text[value.start..value.end]
            )));
        }
        if let Some(problem) = unit_mismatch(indicator, &value, text) {
            return Err(ParseError::Missing(problem));
        }
        claim.value = Some(value.value);
        claim.relation = relation_before(text, &value, &mut spans);
        spans.push(span("value", text, value.start, value.end));
        if two_years {
            claim.from_year = from_year;
            claim.kind = if mean {
                Kind::Mean
            } else if sum || indicator.unit.is_additive() {
                Kind::Sum
            } else {
                Kind::Mean
            };
        }
        self.finish(claim, &indicator.name, spans, notes)
    }

    fn finish(
        &self,
        claim: ClaimSpec,
        indicator_name: &str,
        mut spans: Vec<Span>,
        notes: Vec<String>,
    ) -> Result<Parsed, ParseError> {
        spans.sort_by_key(|s| s.start);
        let claim = claim
            .validate(&self.countries)
            .map_err(|e| ParseError::Missing(e.to_string()))?;
        Ok(Parsed {
            claim,
            indicator_name: indicator_name.to_string(),
            spans,
            notes,
        })
    }

    /// Every country mentioned, in order (longest name at each place); an ambiguous name
    /// anywhere is an error.
    fn find_countries(&self, text: &str, words: &[Word]) -> Result<Vec<Mention>, ParseError> {
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

    fn find_indicator(
        &self,
        lower: &[&str],
        words: &[Word],
        numbers: &[Number],
    ) -> Result<(IndicatorAlias, (usize, usize)), ParseError> {
        let entries = self.indicators.entries();
        let percent = numbers.iter().any(|n| n.percent || n.fraction);
        let currency = numbers.iter().any(|n| n.currency);
        let fits = |unit: Unit| match unit {
            Unit::Percent => !currency,
            Unit::Currency => !percent || currency,
            _ => !percent && !currency,
        };
        // Phrases are longest first: the first that fits the numbers' unit wins; failing
        // that, the longest at all.
        let mut first_fit = None;
        let mut first_any = None;
        for (phrase, index) in &self.phrases {
            let Some(at) = find_all(lower, phrase)
                .into_iter()
                .find(|&at| !after_denominator(lower, at))
            else {
                continue;
            };
            let found = (*index, at, phrase.len());
            if fits(entries[*index].unit) {
                first_fit = Some(found);
                break;
            }
            first_any.get_or_insert(found);
        }
        let hand = first_fit.or(first_any);
        // An official WDI name longer than the hand-written phrase is more specific
        // ("GDP per capita (constant 2015 US$)" over "gdp per capita"); otherwise the
        // hand-written phrasing wins.
        let official = self
            .wdi
            .find(lower, fits)
            .filter(|m| hand.is_none_or(|(_, _, len)| m.len() > len));
        match (official, hand) {
            (Some(WdiMatch::Series { code, name, unit, start, end }), _) => Ok((
                IndicatorAlias {
                    code,
                    name,
                    unit,
                    phrases: Vec::new(),
                    source: super::WORLD_BANK.into(),
                },
                (words[start].start, words[end - 1].end),
            )),
            (Some(WdiMatch::Ambiguous { start, end, candidates }), _) => {
                Err(ParseError::Ambiguous {
                    what: format!(
                        "\"{}\" (write the unit in parentheses as the World Bank names it)",
                        lower[start..end].join(" ")
                    ),
                    candidates,
                })
            }
            (None, Some((index, at, len))) => Ok((
                entries[index].clone(),
                (words[at].start, words[at + len - 1].end),
            )),
            (None, None) => Err(ParseError::Missing(
                "no known statistic found (such as \"murder rate\", \"population\", \"GDP per capita\", \"inflation\", or a World Bank indicator name: `claimcheck indicators search WORDS`); add the phrasing to config/indicators.toml".into(),
            )),
        }
    }
}

/// Ways a sentence credits Our World in Data.
const OWID_NAMES: &[&str] = &["our world in data", "ourworldindata", "owid"];

/// The text with every credit to Our World in Data blanked (same length, so byte offsets
/// stay valid), or the text itself when it has none.
fn mask_source_names(text: &str) -> String {
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

/// A sentence crediting Our World in Data is checked against its chart when it publishes the
/// statistic (the twins table); otherwise a note says the World Bank is used.
fn prefer_owid(claim: &mut ClaimSpec, code: &str, notes: &mut Vec<String>) {
    match crate::corroborate::twin_of(super::WORLD_BANK, code) {
        Some((_, source, slug)) => {
            claim.source = source.to_string();
            claim.indicator = Some(slug.to_string());
            notes.push(format!(
                "credited to Our World in Data: checked against its chart {slug}"
            ));
        }
        None => notes.push(format!(
            "credited to Our World in Data, which claimcheck knows no chart of {code} for: checked against the World Bank"
        )),
    }
}

/// Why the number cannot be a value of the indicator: money for a percentage, a percentage
/// for money.
fn unit_mismatch(indicator: &IndicatorAlias, value: &Number, text: &str) -> Option<String> {
    let written = &text[value.start..value.end];
    match indicator.unit {
        Unit::Percent if value.currency => Some(format!(
            "{} is a percentage, and \"{written}\" is an amount of money: check the figure, or name the series in money (`claimcheck indicators search WORDS`)",
            indicator.name
        )),
        Unit::Currency if value.percent => Some(format!(
            "{} is an amount of money, and \"{written}\" is a percentage: check the figure, or name the series in percent (`claimcheck indicators search WORDS`)",
            indicator.name
        )),
        _ => None,
    }
}

/// True when the word at `at` follows "per <number>" ("per 100,000 residents").
fn after_denominator(lower: &[&str], at: usize) -> bool {
    let mut i = at;
    while i > 0 && lower[i - 1].chars().all(|c| c.is_ascii_digit()) {
        i -= 1;
    }
    i < at && i > 0 && lower[i - 1] == "per"
}

fn find_all(haystack: &[&str], needle: &[String]) -> Vec<usize> {
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

fn span(field: &'static str, text: &str, start: usize, end: usize) -> Span {
    Span {
        field,
        text: text[start..end].to_string(),
        start,
        end,
    }
}

fn inside(range: &(usize, usize), at: usize) -> bool {
    at >= range.0 && at < range.1
}

fn split_words(text: &str) -> Vec<Word> {
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
fn matches_at(haystack: &[&str], at: usize, needle: &[String]) -> bool {
    !needle.is_empty()
        && at + needle.len() <= haystack.len()
        && haystack[at..at + needle.len()]
            .iter()
            .zip(needle)
            .all(|(a, b)| *a == b)
}

fn find_seq(haystack: &[&str], needle: &[String]) -> Option<usize> {
    find_all(haystack, needle).into_iter().next()
}

/// True when the indicator phrase itself holds the verb ("economy grew"), which then is not
/// a change.
fn indicator_phrase_has_verb(lower: &[&str], span: (usize, usize), words: &[Word]) -> bool {
    words
        .iter()
        .zip(lower)
        .filter(|(w, _)| w.start >= span.0 && w.end <= span.1)
        .any(|(_, l)| INCREASE.contains(l) || DECREASE.contains(l))
        && !lower.iter().any(|w| *w == "to" || *w == "from")
}

/// Rank wording: "the (second) highest … in the world", "among the five highest".
#[derive(Debug, Clone, Copy)]
struct Rank {
    rank: u32,
    order: Order,
    within: bool,
    start: usize,
    end: usize,
}

fn find_rank(lower: &[&str], words: &[Word], regional: bool) -> Option<Rank> {
    let joined = lower.join(" ");
    if !regional && !WORLD_SCOPE.iter().any(|s| joined.contains(s)) {
        return None;
    }
    for (i, w) in lower.iter().enumerate() {
        let order = match *w {
            "highest" | "largest" | "biggest" | "most" | "worst" | "greatest" => Order::Desc,
            "lowest" | "smallest" | "fewest" | "least" => Order::Asc,
            _ => continue,
        };
        let before = |k: usize| i.checked_sub(k).map(|j| lower[j]);
        // "the five highest", "among the five highest", "one of the three highest"
        if let (Some(n), Some("the")) = (before(1).and_then(small_number), before(2)) {
            let lead = if matches!(before(3), Some("among") | Some("of")) {
                3
            } else {
                2
            };
            return Some(Rank {
                rank: n as u32,
                order,
                within: true,
                start: words[i - lead].start,
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

fn small_number(word: &str) -> Option<usize> {
    SMALL_NUMBERS
        .iter()
        .position(|w| *w == word)
        .or_else(|| word.parse().ok())
}

/// Finds the numbers written in the text: digits with separators, decimals, currency, scale
/// words and percent signs; written numbers up to twenty; and fractions ("one in five",
/// "half", "a third") as percentages.
fn scan_numbers(text: &str, words: &[Word]) -> Vec<Number> {
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
        for &(word, scale) in super::number::SCALES {
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

fn fraction(value: f64, start: usize, end: usize) -> Number {
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

fn small_number_word(word: &str) -> Option<usize> {
    SMALL_NUMBERS.iter().position(|w| *w == word)
}

/// "per 100,000" and "per 1,000 live births" name the unit, not the claimed value.
fn is_denominator(text: &str, n: &Number) -> bool {
    text[..n.start]
        .to_ascii_lowercase()
        .trim_end()
        .ends_with("per")
}

fn preceded_by(text: &str, n: &Number, options: &[&str]) -> bool {
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

/// The hedge or bound written right before a number ("around 82" → approx).
fn relation_before(text: &str, n: &Number, spans: &mut Vec<Span>) -> Relation {
    let before = text[..n.start].to_ascii_lowercase();
    let words: Vec<&str> = before
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Skip "a"/"an" before fractions ("more than a third") and "$".
    let mut words = words;
    while matches!(words.last(), Some(&"a") | Some(&"us")) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> SentenceParser {
        SentenceParser::new(&Countries::embedded(), IndicatorTable::embedded())
    }

    fn parse(text: &str) -> Result<Parsed, ParseError> {
        parser().parse(text, NaiveDate::from_ymd_opt(2019, 2, 1).unwrap())
    }

    #[test]
    fn the_issue_example() {
        let p = parse("El Salvador homicide rate 105 per 100,000 in 2015").unwrap();
        assert_eq!(p.claim.spec().country.as_deref(), Some("SLV"));
        assert_eq!(p.claim.spec().indicator.as_deref(), Some("VC.IHR.PSRC.P5"));
        assert_eq!(
            (
                p.claim.spec().year,
                p.claim.spec().value,
                p.claim.spec().relation
            ),
            (Some(2015), Some(105.0), Relation::Eq)
        );
        let fields: Vec<_> = p.spans.iter().map(|s| (s.field, s.text.as_str())).collect();
        assert!(fields.contains(&("country", "El Salvador")));
        assert!(fields.contains(&("indicator", "homicide rate")));
        assert!(fields.contains(&("value", "105")));
    }

    #[test]
    fn ambiguous_countries_list_candidates() {
        let err = parse("Guinea's population was 13.9 million in 2022.").unwrap_err();
        assert!(
            err.to_string()
                .contains("Guinea-Bissau, Equatorial Guinea, Papua New Guinea"),
            "{err}"
        );
        assert!(parse("Papua New Guinea's population was 10 million in 2022.").is_ok());
    }

    #[test]
    fn scale_is_checked_against_the_unit() {
        let err = parse("Honduras's population was 10.4 in 2022.").unwrap_err();
        assert!(err.to_string().contains("write the scale"), "{err}");
    }

    #[test]
    fn last_year_uses_the_date() {
        let p = parse("Inflation in Turkey hit 72% last year.").unwrap();
        assert_eq!(p.claim.spec().year, Some(2018));
        assert!(p.notes[0].contains("read as 2018"));
    }
}
