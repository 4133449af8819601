//! Claims from plain sentences: "El Salvador homicide rate 105 per 100,000 in 2015" becomes
//! a structured [`Claim`]. Rule-based and explainable: every field comes with the span of
//! text it was read from, and when something is missing or ambiguous the parse fails with
//! what to add, never with a silent guess.
//!
//! By phase: `words` splits the sentence, `places` finds the countries, `numbers` the
//! figures and years, `statistic` the indicator, `rank` ranks and relation words; this
//! module assembles the claim from them. `lexicon` holds the words they know.

mod account;
mod change;
mod clauses;
mod compare;
mod lexicon;
mod numbers;
mod places;
mod rank;
mod record;
mod share;
mod statistic;
mod streak;
mod words;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

pub use self::account::{Unaccounted, Unhandled};

use self::clauses::Earlier;
use self::lexicon::{Mention, DEMONYMS, MEAN_WORDS, SUM_WORDS};
use self::numbers::{is_denominator, preceded_by, scan_numbers, Number};
use self::places::mask_source_names;
use self::rank::{find_rank, relation_before, Rank};
use self::statistic::{prefer_owid, unit_mismatch, written_units};
use self::words::{find_all, find_seq, inside, span, split_words, words_of, Word};
use super::country::Countries;
use super::indicator::{IndicatorAlias, IndicatorTable, Unit};
use super::wdi_match::WdiNames;
use super::{slug, Claim, ClaimSpec, Direction, Kind, Relation};

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
    /// The indicator's unit (a later clause of the sentence may share the statistic).
    #[serde(skip)]
    pub unit: Unit,
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
    /// What was read does not make a valid claim.
    #[error(transparent)]
    Invalid(#[from] super::ClaimError),
    /// Words of the sentence the claim read does not use: a verdict would ignore them.
    #[error("{}", refusal(.0))]
    Unaccounted(Vec<Unaccounted>),
    /// A name matches several things.
    #[error("{what} is ambiguous: it could be {}; name one of them", .candidates.join(", "))]
    Ambiguous {
        /// The ambiguous words.
        what: String,
        /// What they could mean.
        candidates: Vec<String>,
    },
}

/// The longest sentence read, in characters: claims are a line or two, and reading time grows
/// faster than length (a 300 KB "sentence" took minutes), so one API request must not tie
/// the daemon up.
pub const MAX_SENTENCE_CHARS: usize = 1_000;

fn too_long(text: &str) -> Result<(), ParseError> {
    let chars = text.chars().count();
    if chars > MAX_SENTENCE_CHARS {
        return Err(ParseError::Missing(format!(
            "the sentence is {chars} characters long, longer than a claim needs (at most {MAX_SENTENCE_CHARS}): give the one sentence that makes the claim, or `scan` the article"
        )));
    }
    Ok(())
}

/// The refusal message for words left over.
fn refusal(left: &[Unaccounted]) -> String {
    let words: Vec<String> = left
        .iter()
        .map(|u| format!("\"{}\" ({})", u.words, u.kind.explain()))
        .collect();
    format!(
        "could not handle {}: a verdict would ignore these words, so none is given; \
         check each part as its own simple claim (country, statistic, year, number), or write \
         the claim in a claim file",
        words.join(", ")
    )
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

    /// Parses a sentence into every claim it makes (one per clause: "Ecuador has 18 million
    /// people and a murder rate of 90 per 100,000"), or refuses it whole.
    pub fn parse_all(&self, text: &str, as_of: NaiveDate) -> Result<Vec<Parsed>, ParseError> {
        too_long(text)?;
        clauses::parse_all(self, text, as_of)
    }

    /// Parses one sentence as one claim; `as_of` dates it for "last year".
    pub fn parse(&self, text: &str, as_of: NaiveDate) -> Result<Parsed, ParseError> {
        too_long(text)?;
        self.parse_in(text, as_of, None)
    }

    /// Parses one clause; the place, statistic and year it leaves out come from `earlier`,
    /// the claim of the sentence's clause before it.
    fn parse_in(
        &self,
        text: &str,
        as_of: NaiveDate,
        earlier: Option<&clauses::Earlier>,
    ) -> Result<Parsed, ParseError> {
        let mut reading = Reading::new(text);
        // "Our World in Data" names a source, not the world.
        let masked = mask_source_names(text);
        let place = self.place(&mut reading, &masked, earlier)?;
        let mut figures = read_figures(&mut reading, &place, as_of);
        let statistic = match (
            self.statistic(&mut reading, &mut figures, place.scope.is_some()),
            earlier,
        ) {
            (
                Err(ParseError::Missing(_)),
                Some(Earlier {
                    indicator: Some(earlier),
                    ..
                }),
            ) if clauses::bare(&reading.words, &figures.numbers, &reading.places) => {
                reading.notes.push(format!(
                    "the statistic, {}, is the earlier clause's",
                    earlier.name
                ));
                let lower: Vec<&str> = reading.words.iter().map(|w| w.lower.as_str()).collect();
                Statistic {
                    rank: find_rank(&lower, &reading.words, place.scope.is_some()),
                    indicator: earlier.clone(),
                    span: (0, 0),
                }
            }
            (result, _) => result?,
        };
        let present = reading
            .words
            .iter()
            .any(|w| clauses::PRESENT.contains(&w.lower.as_str()));
        if let (true, false, Some(year)) = (
            figures.year_values.is_empty(),
            present,
            earlier.and_then(|e| e.year),
        ) {
            figures.year_values.push(year);
            reading.notes.push(format!(
                "the year, {year}, is named elsewhere in the sentence"
            ));
        }
        let indicator = &statistic.indicator;

        let mut claim = ClaimSpec::new(slug(text), text.trim());
        claim.indicator = Some(indicator.code.clone());
        claim.source = indicator.source.clone();
        claim.country = Some(place.iso3.clone());
        if masked != text && claim.source != crate::source::owid::NAME {
            prefer_owid(&mut claim, &indicator.code, &mut reading.notes);
        }
        if let Some(share) = share::find(text, &reading.words, &reading.places, &place.iso3) {
            for at in &share.spans {
                figures.take_inside(*at);
            }
            let years = Years::read(&figures.year_values, false);
            share_claim(&mut claim, share, &years, indicator, &mut reading)?;
            return self.finish(claim, indicator, reading, as_of);
        }
        if let Some(comparison) = compare::find(&reading.words, &reading.places, &place.iso3) {
            for at in &comparison.spans {
                figures.take_inside(*at);
            }
            let years = Years::read(&figures.year_values, false);
            compare_claim(&mut claim, comparison, &years, &mut reading)?;
            return self.finish(claim, indicator, reading, as_of);
        }
        if let Some(phrase) = streak::find_streak(&reading.words) {
            figures.take_inside((phrase.start, phrase.end));
            let years = Years::read(&figures.year_values, false);
            let directions = change::direction_words(&reading.words, statistic.span);
            streak_claim(&mut claim, phrase, &years, &directions, &mut reading)?;
            return self.finish(claim, indicator, reading, as_of);
        }
        if figures.numbers.is_empty() && figures.year_values.is_empty() {
            if let Some((direction, start, end)) = streak::find_trend(&reading.words) {
                claim.kind = Kind::Trend;
                claim.direction = Some(direction);
                reading.add_span("kind", (start, end));
                reading.notes.push(format!(
                    "a trend with no years is read over the last {} annual moves with data",
                    crate::verify::rules::TREND_MOVES
                ));
                return self.finish(claim, indicator, reading, as_of);
            }
        }
        let record = record::find_record(&reading.words);
        if let Some(phrase) = &record {
            figures.take_inside((phrase.start, phrase.end));
        }
        let years = Years::read(
            &figures.year_values,
            reading.since_year() && record.is_none(),
        );
        claim.year = years.year;
        if let Some(phrase) = record {
            record_claim(&mut claim, phrase, &years, &mut reading)?;
            return self.finish(claim, indicator, reading, as_of);
        }

        if let Some(rank) = statistic
            .rank
            .as_ref()
            .filter(|_| figures.numbers.is_empty())
        {
            rank_claim(&mut claim, rank, place.scope.as_ref(), &mut reading);
            return self.finish(claim, indicator, reading, as_of);
        } else if statistic.rank.is_some() {
            reading.notes.push(
                "the sentence also claims a rank; add it as a separate claim to check it".into(),
            );
        }
        let (mean, sum) = reading.aggregate_words(statistic.span);
        let mut directions = change::direction_words(&reading.words, statistic.span);
        // "went from 11.2 in 2010 to 17.2 in 2023": a change whose numbers give its way.
        let stated_move = directions.is_empty() && {
            let stated = change::stated_move(text, &reading.words, &figures.numbers);
            directions.extend(stated);
            stated.is_some()
        };
        let decrease = directions.iter().any(|d| d.0 == Direction::Decrease);
        let increase = directions.iter().any(|d| d.0 == Direction::Increase);
        // A growth or inflation rate is itself a change: "shrank 0.3% in 2023" is its value.
        let growth = indicator.code.ends_with(".ZG");
        let moved = (decrease || increase) && !mean && !sum && !(decrease && increase);
        let span = relative_span(&reading.words, figures.year_values.is_empty());
        let named = &text[statistic.span.0..statistic.span.1];
        if moved && indicator.unit == Unit::Currency && named.to_lowercase().contains("economy") {
            // "The economy grew 3%" speaks of real growth; the dollar value of GDP moves with
            // prices and exchange rates, so checking it would misread the claim.
            return Err(ParseError::Missing(format!(
                "\"{named}\" growing or shrinking means real GDP growth, not the dollar value of GDP: write \"GDP growth\" with the year (\"GDP growth was 2.1% in 2019\")"
            )));
        }
        if moved && (years.two || years.year.is_some() || span.is_some()) {
            let direction = if decrease {
                Direction::Decrease
            } else {
                Direction::Increase
            };
            let read = change_claim(
                &mut claim,
                (&years, span),
                (direction, growth),
                indicator,
                &figures.numbers,
                &mut reading,
            )?;
            if read && stated_move {
                // The verb names no way: the direction is what the two numbers give, which
                // adds nothing to them, so no word is shown as stating it.
                reading
                    .notes
                    .push("the direction is the one the start and end values give".into());
                return self.finish(claim, indicator, reading, as_of);
            }
            if read {
                for (_, start, end) in &directions {
                    reading.add_span("direction", (*start, *end));
                }
                return self.finish(claim, indicator, reading, as_of);
            }
            claim = ClaimSpec {
                kind: Kind::Value,
                from_year: None,
                direction: None,
                ..claim
            };
        }
        value_claim(&mut claim, indicator, &figures.numbers, &mut reading)?;
        if !(decrease && increase) {
            // Inside the statistic's name too: "the economy shrank 0.3%".
            let every = change::direction_words(&reading.words, (0, 0));
            reading.reached_by(&mut claim, &every, growth);
        }
        if let (true, None, Some(from)) = (years.two, years.year, years.from) {
            // "has not been above 50 since 2019": a condition on every year since, which is
            // not one of the claim kinds.
            return Err(ParseError::Missing(format!(
                "\"since {from}\" with a number is a condition on every year since {from}, which claimcheck does not check: name one year (\"in 2023\"), or a change (\"fell by 20% since {from}\")"
            )));
        }
        if years.two {
            claim.from_year = years.from;
            claim.kind = match (mean, sum) {
                (true, _) => Kind::Mean,
                (false, true) => Kind::Sum,
                // Two years and one number, with no word saying what joins them: a guess
                // between a total, an average and a change would be a misread.
                (false, false) => {
                    let from_to = from_and_to(text, &figures.numbers);
                    return Err(ParseError::Missing(two_years_refusal(&years, from_to)));
                }
            };
            reading.aggregate_spans(statistic.span);
        }
        self.finish(claim, indicator, reading, as_of)
    }

    /// The subject country and, when a region or income group follows "in"/"among" beside
    /// another country ("highest in Latin America"), the scope of a rank.
    fn place(
        &self,
        reading: &mut Reading<'_>,
        masked: &str,
        earlier: Option<&clauses::Earlier>,
    ) -> Result<Place, ParseError> {
        let text = reading.text;
        let earlier_place = earlier.and_then(|e| e.iso3.clone());
        let mentions = match (
            self.find_countries(masked, &split_words(masked)),
            &earlier_place,
        ) {
            (Err(ParseError::Missing(_)), Some(_)) => Vec::new(),
            (found, _) => found?,
        };
        let scope = mentions
            .iter()
            .find(|(code, (start, _))| {
                self.countries.is_group(code)
                    && (matches!(
                        text[..*start]
                            .to_ascii_lowercase()
                            .split(|c: char| !c.is_alphanumeric())
                            .rfind(|w| !w.is_empty()),
                        Some("in" | "among")
                    ) || possessive_scope(text, *start))
                    && (earlier_place.is_some() || mentions.iter().any(|(other, _)| other != code))
            })
            .cloned();
        // "…, the highest in the world": in a later clause the world is the rank's scope,
        // and the place is the earlier clause's (it was read as a claim about the World
        // aggregate). A rank claim's "world" is no place of its own (see `left_over`).
        let world_only =
            earlier_place.is_some() && mentions.iter().all(|(code, _)| code == "WLD") && {
                let lower: Vec<&str> = reading.words.iter().map(|w| w.lower.as_str()).collect();
                find_rank(&lower, &reading.words, false).is_some()
            };
        let Some((iso3, country_span)) = mentions
            .iter()
            .find(|m| Some(*m) != scope.as_ref() && !world_only)
            .cloned()
        else {
            if let Some(iso3) = earlier_place {
                reading.places = mentions;
                reading
                    .notes
                    .push(format!("the place, {iso3}, is the earlier clause's"));
                return Ok(Place {
                    iso3,
                    span: (0, 0),
                    scope,
                });
            }
            return Err(ParseError::Missing(
                "no country or region named: say which (\"in El Salvador\")".into(),
            ));
        };
        reading.add_span("country", country_span);
        reading.places = mentions;
        Ok(Place {
            iso3,
            span: country_span,
            scope,
        })
    }

    /// The statistic named, with any rank wording; numbers and years inside the
    /// statistic's own name ("(2010 = 100)") or the rank phrase are not the claim's.
    fn statistic(
        &self,
        reading: &mut Reading<'_>,
        figures: &mut Figures,
        scoped: bool,
    ) -> Result<Statistic, ParseError> {
        let lower: Vec<&str> = reading.words.iter().map(|w| w.lower.as_str()).collect();
        let rank = find_rank(&lower, &reading.words, scoped);
        if let Some(r) = &rank {
            figures
                .numbers
                .retain(|n| n.end <= r.start || n.start >= r.end);
        }
        let (indicator, span) = self.find_indicator(&lower, &reading.words, &figures.numbers)?;
        reading.add_span("indicator", span);
        figures.numbers.retain(|n| !inside(&span, n.start));
        figures.drop_years_inside(span);
        reading
            .spans
            .retain(|s| !(s.field == "year" && inside(&span, s.start)));
        if indicator.unit != Unit::Percent {
            figures.numbers.retain(|n| !n.fraction);
        }
        Ok(Statistic {
            indicator,
            span,
            rank,
        })
    }

    fn finish(
        &self,
        claim: ClaimSpec,
        indicator: &IndicatorAlias,
        reading: Reading<'_>,
        as_of: NaiveDate,
    ) -> Result<Parsed, ParseError> {
        let indicator_name = indicator.name.as_str();
        // Every number as written, for the sign check and the last pass alike.
        let numbers = scan_numbers(reading.text, &reading.words);
        if let Some(problem) = written_units(reading.text, indicator)
            .or_else(|| change::signed_against_direction(reading.text, &numbers))
        {
            return Err(ParseError::Missing(problem));
        }
        let mut reading = reading;
        let claim = deny(claim, &mut reading)?;
        let left = reading.left_over(&claim, indicator_name, &numbers, as_of);
        if !left.is_empty() {
            return Err(ParseError::Unaccounted(left));
        }
        let Reading {
            mut spans, notes, ..
        } = reading;
        spans.sort_by_key(|s| s.start);
        let mut claim = claim;
        if claim.year.is_none() {
            // "still", "now": the latest data when the sentence was written. A year's
            // figure is published after the year ends, so a sentence of March 2016 speaks of
            // 2015 at the latest (judging it on 2016's figure, which did not exist yet, found
            // a true claim false).
            claim.latest_by = Some(as_of.year() - 1);
        }
        let claim = claim.validate(&self.countries)?;
        Ok(Parsed {
            claim,
            indicator_name: indicator_name.to_string(),
            unit: indicator.unit,
            spans,
            notes,
        })
    }
}

/// A sentence being read: its words, and the spans and notes gathered so far.
struct Reading<'t> {
    text: &'t str,
    /// Every place the sentence names; those no span uses are left over.
    places: Vec<Mention>,
    words: Vec<Word>,
    spans: Vec<Span>,
    notes: Vec<String>,
}

impl<'t> Reading<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            places: Vec::new(),
            words: split_words(text),
            spans: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn add_span(&mut self, field: &'static str, (start, end): (usize, usize)) {
        self.spans.push(span(field, self.text, start, end));
    }

    /// The words no part of the claim used, a year after the claim was made, and a past
    /// tense with no year (which the latest data would answer wrongly).
    fn left_over(
        &self,
        claim: &ClaimSpec,
        statistic: &str,
        numbers: &[Number],
        as_of: NaiveDate,
    ) -> Vec<Unaccounted> {
        let mut left =
            account::unaccounted(self.text, &self.words, numbers, &self.spans, statistic);
        for (code, (start, end)) in &self.places {
            // "in the world" scopes a rank; it is no second place.
            let scope = code == "WLD" && claim.kind == Kind::Rank;
            if !scope && !self.spans.iter().any(|s| inside(&(s.start, s.end), *start)) {
                left.push(Unaccounted {
                    words: self.text[*start..*end].to_string(),
                    kind: Unhandled::OtherPlace,
                });
            }
        }
        let year_span = |year: i32| {
            self.spans
                .iter()
                .find(|s| s.field == "year" && s.text.contains(&year.to_string()))
                .map(|s| s.text.clone())
                .unwrap_or_else(|| year.to_string())
        };
        for year in [claim.year, claim.from_year].into_iter().flatten() {
            if year > as_of.year() {
                left.push(Unaccounted {
                    words: year_span(year),
                    kind: Unhandled::Forecast,
                });
            }
        }
        if claim.year.is_none() {
            let statistic_span = self
                .spans
                .iter()
                .find(|s| s.field == "indicator")
                .map(|s| (s.start, s.end))
                .unwrap_or_default();
            if let Some(w) = self.words.iter().find(|w| {
                matches!(w.lower.as_str(), "was" | "were" | "had" | "did")
                    && !inside(&statistic_span, w.start)
            }) {
                left.push(Unaccounted {
                    words: format!("{} (past tense with no year: which year?)", w.lower),
                    kind: Unhandled::UndatableTime,
                });
            }
        }
        left
    }

    /// "since 2012": a "since" that starts a span of years (not "has since spiraled").
    fn since_year(&self) -> bool {
        self.words.windows(2).any(|w| {
            w[0].lower == "since" && w[1].lower.len() == 4 && w[1].lower.parse::<i32>().is_ok()
        })
    }

    /// The lowercase words, with those inside `blank` (the statistic's name) left empty:
    /// "total" in "(% of total population)" is not a claimed total.
    fn words_outside(&self, blank: (usize, usize)) -> Vec<&str> {
        self.words
            .iter()
            .map(|w| {
                if inside(&blank, w.start) {
                    ""
                } else {
                    w.lower.as_str()
                }
            })
            .collect()
    }

    /// Marks the words that made the claim a total or an average as used.
    fn aggregate_spans(&mut self, statistic: (usize, usize)) {
        let outside: Vec<String> = self
            .words_outside(statistic)
            .into_iter()
            .map(String::from)
            .collect();
        let outside: Vec<&str> = outside.iter().map(String::as_str).collect();
        for phrase in MEAN_WORDS.iter().chain(SUM_WORDS) {
            let needle = words_of(phrase);
            for at in find_all(&outside, &needle) {
                let (start, end) = (self.words[at].start, self.words[at + needle.len() - 1].end);
                self.add_span("kind", (start, end));
            }
        }
    }

    /// Whether the sentence claims an average or a total (outside the statistic's name).
    fn aggregate_words(&self, statistic: (usize, usize)) -> (bool, bool) {
        let outside = self.words_outside(statistic);
        let has = |phrase: &str| find_seq(&outside, &words_of(phrase)).is_some();
        (
            MEAN_WORDS.iter().any(|w| has(w)),
            SUM_WORDS.iter().any(|w| has(w)),
        )
    }

    /// A growth or inflation rate reached by a change ("shrank 0.3%", "fell to -2%"): the
    /// direction word right before the value is its sign. Any other value reached by a
    /// change ("fell to 41 in 2019", "climbed to 17.4 million") also says it fell or rose,
    /// which one value cannot show (a rise to 41 would pass): the direction word is left
    /// unused, so the sentence is refused.
    fn reached_by(
        &mut self,
        claim: &mut ClaimSpec,
        directions: &[(Direction, usize, usize)],
        growth: bool,
    ) {
        let Some(value) = self.spans.iter().find(|s| s.field == "value").cloned() else {
            return;
        };
        if !growth {
            return;
        }
        for (direction, start, end) in directions {
            if *end > value.start {
                continue;
            }
            // Only "to", "by" and the value's hedge ("fell below 40") may stand between.
            let relation = self
                .spans
                .iter()
                .find(|s| s.field == "relation" && s.start >= *end && s.end <= value.start);
            let joins = self
                .words
                .iter()
                .filter(|w| w.start >= *end && w.end <= value.start)
                .all(|w| {
                    matches!(w.lower.as_str(), "to" | "by")
                        || relation.is_some_and(|r| inside(&(r.start, r.end), w.start))
                });
            // "fell 3 points", "rose by 4": the size of a change, not the level reached; only a
            // growth rate's "shrank 0.3%" is its value.
            let reaches = relation.is_some()
                || self
                    .words
                    .iter()
                    .any(|w| w.start >= *end && w.end <= value.start && w.lower == "to");
            if !joins || !(growth || reaches) {
                continue;
            }
            self.add_span("direction", (*start, *end));
            // "shrank 0.3%": the fall is the rate, -0.3. "inflation fell to 20%", "did not
            // drop below 50%": a level the rate reached or stayed above, written as it is.
            if growth && *direction == Direction::Decrease && !reaches {
                claim.value = claim.value.map(|v| -v.abs());
            }
        }
    }
}

/// "Latin America's highest", "one of Europe's lowest": a group named in the possessive
/// right before a superlative scopes the rank.
fn possessive_scope(text: &str, start: usize) -> bool {
    let after: Vec<String> = text[start..]
        .to_ascii_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    // The group's own words, then "s", then the superlative.
    after.windows(2).take(4).any(|pair| {
        pair[0] == "s"
            && matches!(
                pair[1].as_str(),
                "highest"
                    | "lowest"
                    | "largest"
                    | "smallest"
                    | "biggest"
                    | "worst"
                    | "longest"
                    | "shortest"
            )
    })
}

/// The subject of the claim and the scope of a rank.
struct Place {
    iso3: String,
    span: (usize, usize),
    scope: Option<Mention>,
}

/// The statistic named, where, and any rank wording.
struct Statistic {
    indicator: IndicatorAlias,
    span: (usize, usize),
    rank: Option<Rank>,
}

/// The numbers and years of the sentence.
struct Figures {
    numbers: Vec<Number>,
    /// Years written as numbers, with their spans.
    years: Vec<(i32, usize, usize)>,
    /// Every year meant (also "last year"), sorted, once each.
    year_values: Vec<i32>,
}

impl Figures {
    /// Removes the numbers and years written inside `span` (a phrase that used them).
    fn take_inside(&mut self, span: (usize, usize)) {
        self.numbers.retain(|n| !inside(&span, n.start));
        let taken: Vec<i32> = self
            .years
            .iter()
            .filter(|y| inside(&span, y.1))
            .map(|y| y.0)
            .collect();
        let years = &self.years;
        self.year_values.retain(|v| {
            !taken.contains(v) || years.iter().any(|y| y.0 == *v && !inside(&span, y.1))
        });
    }

    /// Drops the years written inside `span`, unless the same year is also written outside.
    fn drop_years_inside(&mut self, span: (usize, usize)) {
        let named: Vec<i32> = self
            .years
            .iter()
            .filter(|y| inside(&span, y.1))
            .map(|y| y.0)
            .collect();
        let years = &self.years;
        self.year_values.retain(|v| {
            !named.contains(v) || years.iter().any(|y| y.0 == *v && !inside(&span, y.1))
        });
    }
}

/// Numbers and years: written years, "last year"/"this year" dated by `as_of`, and the
/// figures that are neither years, denominators ("per 100,000") nor part of a country name.
fn read_figures(reading: &mut Reading<'_>, place: &Place, as_of: NaiveDate) -> Figures {
    let text = reading.text;
    let mut numbers = scan_numbers(text, &reading.words);
    let years: Vec<(i32, usize, usize)> = numbers
        .iter()
        .filter(|n| n.year_like)
        .map(|n| (n.value as i32, n.start, n.end))
        .collect();
    numbers.retain(|n| !n.year_like && !is_denominator(text, n) && !inside(&place.span, n.start));
    let mut year_values: Vec<i32> = years.iter().map(|y| y.0).collect();
    for y in &years {
        reading.add_span("year", (y.1, y.2));
    }
    year_values.extend(relative_years(reading, as_of));
    // "two years ago": the "two" dates the claim; it is no figure.
    let dated: Vec<(usize, usize)> = reading
        .spans
        .iter()
        .filter(|s| s.field == "year")
        .map(|s| (s.start, s.end))
        .collect();
    numbers.retain(|n| !dated.iter().any(|d| inside(d, n.start)));
    year_values.sort();
    year_values.dedup();
    Figures {
        numbers,
        years,
        year_values,
    }
}

/// "last year" and "this year", "two years ago", "a decade ago", read against the date the
/// sentence was written.
fn relative_years(reading: &mut Reading<'_>, as_of: NaiveDate) -> Vec<i32> {
    let mut found = years_ago(reading, as_of);
    for i in 0..reading.words.len() {
        let word = reading.words[i].lower.clone();
        let next = reading.words.get(i + 1).map(|w| w.lower.as_str());
        if next != Some("year") || !matches!(word.as_str(), "last" | "this") {
            continue;
        }
        let year = if word == "last" {
            as_of.year() - 1
        } else {
            as_of.year()
        };
        found.push(year);
        let at = (reading.words[i].start, reading.words[i + 1].end);
        reading.add_span("year", at);
        reading
            .notes
            .push(format!("\"{word} year\" read as {year} (dated {as_of})"));
    }
    found
}

/// "two years ago", "a decade ago", "15 years ago": the calendar year that many years before
/// the sentence was written.
fn years_ago(reading: &mut Reading<'_>, as_of: NaiveDate) -> Vec<i32> {
    let lower: Vec<String> = reading.words.iter().map(|w| w.lower.clone()).collect();
    let mut found = Vec::new();
    for i in 2..lower.len() {
        if lower[i] != "ago" {
            continue;
        }
        let n = match (lower[i - 2].as_str(), lower[i - 1].as_str()) {
            ("a" | "one", "year" | "decade") => Some(if lower[i - 1] == "decade" { 10 } else { 1 }),
            (n, "years") => numbers::count_in(n, 1..=100).map(|n| n as i32),
            (n, "decades") => numbers::count_in(n, 1..=10).map(|n| 10 * n as i32),
            _ => None,
        };
        let Some(n) = n else { continue };
        let year = as_of.year() - n;
        let at = (reading.words[i - 2].start, reading.words[i].end);
        let words = reading.text[at.0..at.1].to_string();
        reading.add_span("year", at);
        reading
            .notes
            .push(format!("\"{words}\" read as {year} (dated {as_of})"));
        found.push(year);
    }
    found
}

/// The claimed year, the first year of a span, and whether two years (or "since") make a
/// change, a total or an average.
struct Years {
    from: Option<i32>,
    year: Option<i32>,
    two: bool,
}

impl Years {
    fn read(values: &[i32], since: bool) -> Self {
        let (from, year) = match values {
            [] => (None, None),
            // "has halved since 2011": from then to the latest year with data.
            [only] if since => (Some(*only), None),
            [only] => (None, Some(*only)),
            [first, .., last] => (Some(*first), Some(*last)),
        };
        Self {
            from,
            year,
            two: values.len() >= 2 || (since && !values.is_empty()),
        }
    }
}

/// A rank claim: the place, the order, "among the N", and the region it is scoped to.
fn rank_claim(
    claim: &mut ClaimSpec,
    rank: &Rank,
    scope: Option<&Mention>,
    reading: &mut Reading<'_>,
) {
    claim.kind = Kind::Rank;
    claim.rank = Some(rank.rank);
    claim.order = Some(rank.order);
    if let Some((region, at)) = scope {
        claim.among = vec![region.clone()];
        reading.add_span("among", *at);
    }
    claim.relation = if rank.within {
        Relation::Lte
    } else {
        Relation::Eq
    };
    reading.add_span("kind", (rank.start, rank.end));
}

/// A sentence that denies its claim ("did not fall in 2017", "hasn't been above 10%"):
/// the claim is marked negated when its kind can be denied (a change, record, rank or
/// bound); otherwise the "not" stays unused and the sentence is refused for it.
fn deny(mut claim: ClaimSpec, reading: &mut Reading<'_>) -> Result<ClaimSpec, ParseError> {
    let Some(at) = negation(&reading.words) else {
        return Ok(claim);
    };
    if claim.kind == Kind::Record && this_low(&reading.words) {
        // "hasn't been this low since 1990" asserts a record, it does not deny one: read as
        // a denial it was graded true where the record was false.
        return Err(ParseError::Missing(
            "\"has not been this low (high) since …\" says the latest value is a record, not that it is not one: write \"is the lowest (highest) since …\"".into(),
        ));
    }
    if claim.deniable() {
        claim.negated = true;
        reading.add_span("negated", at);
        at_least(&mut claim, reading);
    }
    Ok(claim)
}

/// "this low", "so high": the latest value compared with the past, in a record sentence.
fn this_low(words: &[Word]) -> bool {
    words.windows(2).any(|pair| {
        matches!(pair[0].lower.as_str(), "this" | "so")
            && matches!(pair[1].lower.as_str(), "low" | "high" | "bad" | "good")
    })
}

/// A denied size of a change is a denial that it went at least that far: "did not double"
/// is false for a rise of 2.7×, which did double (read as exactly 2× and denied, it was
/// graded true).
fn at_least(claim: &mut ClaimSpec, reading: &mut Reading<'_>) {
    // Approx too: a fraction in words is read as round ("fell by half"), and "has not fallen
    // by half" is as false for a 63% fall.
    let exact = matches!(claim.relation, Relation::Eq | Relation::Approx);
    if claim.kind != Kind::Change || !exact || claim.value.is_some() {
        return;
    }
    let size = match (claim.factor, claim.change_pct, claim.change_abs) {
        (Some(factor), _, _) => factor - 1.0,
        (_, Some(size), _) | (_, _, Some(size)) => size,
        _ => return,
    };
    claim.relation = if size > 0.0 {
        Relation::Gte
    } else if size < 0.0 {
        Relation::Lte
    } else {
        return;
    };
    reading
        .notes
        .push("a denied change is read as denying it went at least that far".into());
}

/// The one negated verb of the sentence ("did not", "hasn't", "is not"), where it is
/// written; none when the sentence has no negation or more than one (a double negative is
/// not guessed at).
fn negation(words: &[Word]) -> Option<(usize, usize)> {
    const AUX: &[&str] = &[
        "did", "does", "do", "has", "have", "had", "is", "was", "were", "are",
    ];
    let negations = words
        .iter()
        .filter(|w| {
            matches!(
                w.lower.as_str(),
                "not" | "t" | "never" | "no" | "nor" | "neither"
            )
        })
        .count();
    if negations != 1 {
        return None;
    }
    words.windows(2).find_map(|pair| {
        let (aux, not) = (pair[0].lower.as_str(), pair[1].lower.as_str());
        let contracted = not == "t"
            && aux
                .strip_suffix('n')
                .is_some_and(|a| AUX.contains(&a) || a == "don");
        let full = not == "not" && AUX.contains(&aux);
        (contracted || full).then_some((pair[0].start, pair[1].end))
    })
}

/// "over the past 15 years", "in the last decade": a change over the last N years with
/// data, and where it is written.
#[derive(Debug, Clone, Copy)]
struct RelativeSpan {
    years: u32,
    start: usize,
    end: usize,
}

/// The relative span of a sentence naming no year. "in eight years" counts only in a
/// sentence with no future word ("will", "would"): otherwise it is a forecast.
fn relative_span(words: &[Word], no_year: bool) -> Option<RelativeSpan> {
    if !no_year {
        return None;
    }
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let at = |k: usize| lower.get(k).copied().unwrap_or("");
    let future = lower
        .iter()
        .any(|w| matches!(*w, "will" | "would" | "ll" | "next"));
    let count = |w: &str| numbers::count_in(w, 1..=100);
    for i in 0..lower.len() {
        if !matches!(at(i), "over" | "in" | "during" | "within" | "for") {
            continue;
        }
        let (years, last) = match (at(i + 1), at(i + 2), at(i + 3), at(i + 4)) {
            ("the", "past" | "last", n, "years") if count(n).is_some() => (count(n)?, i + 4),
            ("the", "past" | "last", "decade", _) => (10, i + 3),
            ("the", "past" | "last", n, "decades") if count(n).is_some() => (10 * count(n)?, i + 4),
            ("a" | "one", "decade", _, _) if !future => (10, i + 2),
            (n, "years", _, _) if !future && at(i) == "in" && count(n).is_some() => {
                (count(n)?, i + 2)
            }
            _ => continue,
        };
        return Some(RelativeSpan {
            years,
            start: words[i].start,
            end: words[last].end,
        });
    }
    None
}

/// Records, shares and comparisons are claimed for one year (or the latest).
fn one_year(years: &Years, what: &str) -> Result<(), ParseError> {
    if years.two {
        return Err(ParseError::Missing(format!(
            "{what} is checked in one year; the sentence names two: say which"
        )));
    }
    Ok(())
}

/// A share of a whole, for a statistic that adds up (people, money, tonnes).
fn share_claim(
    claim: &mut ClaimSpec,
    share: share::SharePhrase,
    years: &Years,
    indicator: &IndicatorAlias,
    reading: &mut Reading<'_>,
) -> Result<(), ParseError> {
    if !indicator.unit.is_additive() {
        return Err(ParseError::Missing(format!(
            "a share of a total needs a statistic that adds up across places (population, GDP in dollars); {} does not",
            indicator.name
        )));
    }
    one_year(years, "a share")?;
    claim.kind = Kind::Share;
    claim.year = years.year;
    claim.of = Some(share.of);
    claim.value = Some(share.percent);
    claim.relation = share.relation;
    for at in share.spans {
        reading.add_span("value", at);
    }
    Ok(())
}

/// A comparison with another place in one year (or the latest both have).
fn compare_claim(
    claim: &mut ClaimSpec,
    comparison: compare::Comparison,
    years: &Years,
    reading: &mut Reading<'_>,
) -> Result<(), ParseError> {
    // A number the comparison does not use is named by the account pass in `finish`.
    one_year(years, "a comparison between two places")?;
    claim.kind = Kind::Compare;
    claim.year = years.year;
    claim.other = Some(comparison.other);
    claim.relation = comparison.relation;
    claim.factor = comparison.factor;
    if comparison.overtake {
        claim.event = Some(crate::claim::Event::Overtake);
    }
    for at in comparison.spans {
        reading.add_span("kind", at);
    }
    Ok(())
}

/// A streak: the direction it moved every year, and how long.
fn streak_claim(
    claim: &mut ClaimSpec,
    phrase: streak::StreakPhrase,
    years: &Years,
    directions: &[(Direction, usize, usize)],
    reading: &mut Reading<'_>,
) -> Result<(), ParseError> {
    let ways: Vec<Direction> = directions.iter().map(|d| d.0).collect();
    let Some(&direction) = ways.first().filter(|d| ways.iter().all(|w| w == *d)) else {
        return Err(ParseError::Missing(
            "a streak needs one way it moved (\"fell for five years in a row\"): the sentence names none, or both".into(),
        ));
    };
    claim.kind = Kind::Streak;
    claim.direction = Some(direction);
    claim.year = years.year;
    match phrase.length {
        streak::Length::Moves(n) => {
            claim.years = Some(n);
            claim.relation = phrase.relation;
            if years.two {
                claim.from_year = years.from;
            }
        }
        streak::Length::Since(from) => claim.from_year = Some(from),
    }
    reading.add_span("kind", (phrase.start, phrase.end));
    for (_, start, end) in directions {
        reading.add_span("direction", (*start, *end));
    }
    Ok(())
}

/// A record in the country's own series, in one year (or the latest).
fn record_claim(
    claim: &mut ClaimSpec,
    phrase: record::RecordPhrase,
    years: &Years,
    reading: &mut Reading<'_>,
) -> Result<(), ParseError> {
    one_year(years, "a record")?;
    if phrase.contradicts {
        return Err(ParseError::Missing(format!(
            "\"{}\" moves one way and names the other end of the series: say whether the value was the highest or the lowest",
            &reading.text[phrase.verb.map_or(phrase.start, |v| v.0)..phrase.end]
        )));
    }
    if let Some(verb) = phrase.verb {
        reading.add_span("kind", verb);
    }
    claim.kind = Kind::Record;
    claim.extreme = Some(phrase.extreme);
    match phrase.window {
        crate::claim::RecordWindow::All => claim.window = Some(crate::claim::AllYears::All),
        crate::claim::RecordWindow::Years(n) => claim.window_years = Some(n),
        crate::claim::RecordWindow::Since(y) => claim.since = Some(y),
    }
    reading.add_span("kind", (phrase.start, phrase.end));
    if claim.year.is_none() {
        reading
            .notes
            .push("no year named: the record is checked in the latest year with data".into());
    }
    Ok(())
}

/// When a number follows "from" and another "to": the hedge before the second, if any
/// ("to over 40%").
fn from_and_to(text: &str, numbers: &[Number]) -> Option<Option<String>> {
    let after = |word: &str| numbers.iter().find(|n| preceded_by(text, n, &[word]));
    let (_, end) = (after("from")?, after("to")?);
    let mut hedge = Vec::new();
    relation_before(text, end, &mut hedge);
    Some(hedge.into_iter().next().map(|span| span.text))
}

/// Why two years and a number are no claim read: nothing says whether the number is a total,
/// an average or a change; or, with numbers "from … to …" (`from_to`, see [`from_and_to`]),
/// no verb joins them as a start and an end, or one that names no way has a hedged end.
fn two_years_refusal(years: &Years, from_to: Option<Option<String>>) -> String {
    let (from, to) = (
        years.from.unwrap_or_default(),
        years.year.unwrap_or_default(),
    );
    match from_to {
        None => format!(
            "the sentence names {from} and {to} but does not say whether its number is a total (\"a total of\"), an average (\"on average\") or a change (\"from … to …\"): say which"
        ),
        Some(Some(hedge)) => format!(
            "the sentence moves \"from … to {hedge} …\" between {from} and {to} with a verb that names no way, and a hedged end is two values, which claimcheck does not join: say which way it moved (\"rose from 7.5% in 2010 to over 40% in 2020\"), or give each year's value as a sentence of its own"
        ),
        Some(None) => format!(
            "the sentence names {from} and {to} with numbers \"from … to …\", but not as where the statistic started and ended (a move between two different numbers): write \"went from 11.2 in 2010 to 17.2 in 2023\" (or \"rose\", \"fell\"); \"ranged\" or \"varied from … to …\" gives a lowest and a highest, which claimcheck does not check"
        ),
    }
}

/// A change: the direction, the end value after "to", the start value after "from", and
/// the size of the change in any form. With one year only, a change needs a stated size
/// ("jumped 30% in 2020": from the year before); false when the sentence is no change.
fn change_claim(
    claim: &mut ClaimSpec,
    (years, span): (&Years, Option<RelativeSpan>),
    (direction, growth): (Direction, bool),
    indicator: &IndicatorAlias,
    numbers: &[Number],
    reading: &mut Reading<'_>,
) -> Result<bool, ParseError> {
    let text = reading.text;
    let end = numbers.iter().find(|n| preceded_by(text, n, &["to"]));
    let start = numbers.iter().find(|n| preceded_by(text, n, &["from"]));
    let rest: Vec<Number> = numbers
        .iter()
        .filter(|n| {
            Some(n.start) != end.map(|e| e.start) && Some(n.start) != start.map(|s| s.start)
        })
        .cloned()
        .collect();
    let mut spans = Vec::new();
    let amount = change::amount(
        text,
        &reading.words,
        &rest,
        direction == Direction::Decrease,
        indicator.unit == Unit::Percent,
        &mut spans,
    );
    claim.from_year = years.from.filter(|f| Some(*f) != years.year);
    if let Some(span) = span {
        claim.span_years = Some(span.years);
        reading.add_span("from_year", (span.start, span.end));
    } else if !years.two {
        // A growth rate's one-year "fell 2%" is its value; "fell 20 points" is a change.
        let single = amount
            .as_ref()
            .is_some_and(|a| !growth || a.key == change::AmountKey::Abs);
        // "rose in 2016": the direction alone, from the year before; not for a growth rate
        // ("shrank in 2020" is growth below zero) nor a dollar series (a nominal fall is
        // no shrinking economy).
        let direction_only =
            amount.is_none() && numbers.is_empty() && !growth && indicator.unit != Unit::Currency;
        if !(single || direction_only) || end.is_some() || start.is_some() {
            return Ok(false);
        }
        claim.from_year = claim.year.map(|y| y - 1);
        reading
            .notes
            .push("a change stated for one year is read from the year before".into());
    }
    if claim.from_year.is_none() && claim.span_years.is_none() {
        return Err(ParseError::Missing(
            "a change needs a start year and an end year (\"from 2015 to 2016\")".into(),
        ));
    }
    if claim.year.is_none() {
        reading
            .notes
            .push("no end year named: the change runs to the latest year with data".into());
    }
    claim.kind = Kind::Change;
    claim.direction = Some(direction);
    if let Some(end) = end {
        claim.value = Some(end.value);
        claim.relation = relation_before(text, end, &mut reading.spans);
        reading.add_span("value", (end.start, end.end));
    }
    if let Some(start) = start {
        // A start value is checked as written: "from over 30", "from about 47" would be
        // checked as exactly 30 or 47, so the hedge is refused, not dropped.
        let mut hedge = Vec::new();
        if relation_before(text, start, &mut hedge) != Relation::Eq {
            return Err(ParseError::Unaccounted(
                hedge
                    .into_iter()
                    .map(|h| Unaccounted {
                        words: h.text,
                        kind: Unhandled::StartHedge,
                    })
                    .collect(),
            ));
        }
        claim.from_value = Some(start.value);
        reading.add_span("from_value", (start.start, start.end));
    }
    if let Some(amount) = amount {
        let bound = !matches!(
            amount.relation,
            Relation::Eq | Relation::Approx | Relation::Nearly
        );
        if claim.value.is_some() && bound && amount.relation != claim.relation {
            // A claim has one relation: "more than halved, from 83 … to 31" checked the end
            // value as written and the factor as exactly a half, graded false. (A hedge of
            // precision, "roughly tripled, to about 20%", is one relation for both.)
            let hedged = &text[amount.span.0..amount.span.1];
            return Err(ParseError::Missing(format!(
                "the sentence hedges its change (\"{hedged}\") and states where it ended: claimcheck checks one relation per claim, so give the values alone (\"fell from 83 in 2011 to 31 in 2023\") or the hedged change alone (\"more than halved between 2011 and 2023\")"
            )));
        }
        amount.fill(claim);
        reading.spans.extend(spans);
        let field = match amount.key {
            change::AmountKey::Pct => "change_pct",
            change::AmountKey::Factor => "factor",
            change::AmountKey::Abs => "change_abs",
        };
        reading.add_span(field, amount.span);
    }
    if let Some(since) = reading.words.iter().find(|w| w.lower == "since") {
        let at = (since.start, since.end);
        reading.add_span("from_year", at);
    }
    Ok(true)
}

/// One value: the first number, checked against the statistic's unit and scale.
fn value_claim(
    claim: &mut ClaimSpec,
    indicator: &IndicatorAlias,
    numbers: &[Number],
    reading: &mut Reading<'_>,
) -> Result<(), ParseError> {
    let text = reading.text;
    let Some(value) = numbers.first() else {
        // "the highest … in the Caribbean": a rank whose scope is no known region reads as
        // a value without a number; say what is wrong with it instead.
        if let Some(word) = reading.words.iter().find(|w| {
            matches!(
                w.lower.as_str(),
                "highest" | "lowest" | "largest" | "smallest" | "biggest" | "worst" | "best"
            )
        }) {
            return Err(ParseError::Missing(format!(
                "\"{}\" ranks against others, but the sentence names no group claimcheck can rank within: say \"in the world\", a World Bank region (\"in Latin America\", \"in sub-Saharan Africa\") or an income group (\"among upper-middle-income countries\")",
                &text[word.start..word.end]
            )));
        }
        // "inflation doubled" (in 2022): a change whose span is not given reads as a value
        // without a number; say what the change lacks instead.
        if let Some(word) = change::multiplier_word(&reading.words) {
            let written = &text[word.start..word.end];
            // The examples in the past tense: "did not double" → "doubled".
            let past = if written.ends_with('d') {
                written.to_string()
            } else {
                format!("{written}d")
            };
            return Err(ParseError::Missing(format!(
                "\"{written}\" is a change, and a change needs the years it spans: write both (\"{past} between 2019 and 2022\") or its start (\"has {past} since 2015\")"
            )));
        }
        return Err(ParseError::Missing(format!(
            "no number to check for {}: write the figure (\"… was 105 in 2015\")",
            indicator.name
        )));
    };
    let written = &text[value.start..value.end];
    if indicator.unit == Unit::Count && !value.scaled && value.value.abs() < 1000.0 {
        return Err(ParseError::Missing(format!(
            "{} is a count, and \"{written}\" would be {} people or things: write the scale (\"{written} million\")",
            indicator.name, value.value,
        )));
    }
    if let Some(problem) = unit_mismatch(indicator, value, text) {
        return Err(ParseError::Missing(problem));
    }
    claim.value = Some(value.value);
    if let Some((between, upper)) = range_end(text, value, numbers.get(1)) {
        claim.relation = Relation::Between;
        claim.value_max = Some(upper.value);
        reading.add_span("relation", between);
        reading.add_span("value", (value.start, value.end));
        reading.add_span("value_max", (upper.start, upper.end));
        return Ok(());
    }
    claim.relation = relation_before(text, value, &mut reading.spans);
    reading.add_span("value", (value.start, value.end));
    Ok(())
}

/// "between 30 and 35 per 100,000": the word "between" (its span) and the range's upper
/// number, when both numbers are written alike (a scale on one side only, as in "between 6
/// and 7 million", is not guessed for the other: the sentence is refused) and the second is
/// the larger.
fn range_end<'n>(
    text: &str,
    first: &Number,
    second: Option<&'n Number>,
) -> Option<((usize, usize), &'n Number)> {
    let second = second?;
    let before = text[..first.start].trim_end();
    let word_start = before.len().checked_sub("between".len())?;
    // `get`: the byte `word_start` may fall inside a character of other text.
    let is_word = before
        .get(word_start..)
        .is_some_and(|w| w.eq_ignore_ascii_case("between"))
        && !before[..word_start].ends_with(|c: char| c.is_alphanumeric());
    let joined = text
        .get(first.end..second.start)?
        .trim()
        .eq_ignore_ascii_case("and");
    let alike = (first.percent, first.currency, first.scaled)
        == (second.percent, second.currency, second.scaled)
        && !second.year_like;
    (is_word && joined && alike && second.value > first.value)
        .then_some(((word_start, word_start + "between".len()), second))
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

    /// Sentences a trial (2026-12-06) and the fifth held-out set saw read wrongly, each
    /// checked as a claim it does not make; each must now be refused naming the words.
    #[test]
    fn words_that_changed_the_claim_are_refused() {
        for (text, words) in [
            // A level reached by a change: a rise to 41 passed "fell to 41".
            ("Honduras's murder rate fell to 41 in 2019", "\"fell\""),
            ("El Salvador's murder rate rose to 85 in 2016", "\"rose\""),
            // A denial of the clause that follows.
            (
                "It is false that Honduras's murder rate was 55 in 2015",
                "\"false\"",
            ),
            (
                "It is wrong to say South Africa's murder rate didn't drop in 2018.",
                "\"wrong\"",
            ),
            // The highest of a span, read as one value.
            (
                "Mexico's murder rate peaked in 2011 at 23.6 per 100,000",
                "\"peaked\"",
            ),
            // How much it moved: "slightly" for a 69% rise.
            (
                "El Salvador's murder rate rose slightly in 2015",
                "\"slightly\"",
            ),
            // Points of a percentage, of a rate that is none: read as a 92.7% fall.
            (
                "El Salvador's murder rate was down 92.7 percentage points from 2015 to 2018",
                "\"92.7\"",
            ),
            // A decade, read as its first year.
            (
                "In the 1990s Colombia's murder rate topped 80 per 100,000.",
                "\"1990s\"",
            ),
            // Places inside a country (or another), read as the country.
            (
                "In New Mexico, the murder rate was 17 per 100,000 in 2015",
                "\"New Mexico\"",
            ),
            (
                "Mexico City's murder rate was 17 per 100,000 in 2015",
                "\"Mexico City\"",
            ),
            (
                "Northern Ireland's murder rate was 1.5 in 2015",
                "\"Northern Ireland\"",
            ),
            (
                "Kingston, Jamaica had a homicide rate of 50 per 100,000 in 2015.",
                "\"Kingston, Jamaica\"",
            ),
            (
                "In Medellín, Colombia, the homicide rate was 25 per 100,000 in 2017.",
                "\"Medellín, Colombia\"",
            ),
            (
                "Brazil's northeast had a homicide rate of 31 per 100,000 in 2017.",
                "\"Brazil's northeast\"",
            ),
            (
                "Chihuahua's murder rate in Mexico was 60 per 100,000 in 2016.",
                "\"Chihuahua\"",
            ),
            // A group, and a report's year taken for the data's.
            (
                "Honduras's working-age population was 6 million in 2015.",
                "\"working\"",
            ),
            (
                "A 2017 UN report found Jamaica's homicide rate at 47 per 100,000.",
                "\"report\"",
            ),
            // Two clauses read as one change, then denied.
            (
                "Colombia's murder rate didn't rise in 2016 but it did in 2017.",
                "\"but\"",
            ),
        ] {
            let message = match parse(text) {
                Ok(p) => panic!("{text:?} was read as {:?}", p.claim.spec()),
                Err(e) => e.to_string(),
            };
            assert!(message.contains(words), "{text:?}: {message}");
        }
        // Bounds written as signs or as words once dropped (the number read as exact).
        for (text, relation) in [
            (
                "Honduras's murder rate was >35 per 100,000 in 2017.",
                Relation::Gt,
            ),
            (
                "Honduras's murder rate was 35+ per 100,000 in 2017.",
                Relation::Gte,
            ),
            (
                "Honduras's murder rate was 35-plus per 100,000 in 2017.",
                Relation::Gte,
            ),
            ("Honduras's murder rate was ~45 in 2017", Relation::Approx),
            (
                "Honduras's murder rate was 45, give or take, in 2017",
                Relation::Approx,
            ),
            (
                "Colombia's murder rate was south of 30 per 100,000 in 2017.",
                Relation::Lt,
            ),
            (
                "Colombia's murder rate was north of 20 per 100,000 in 2017.",
                Relation::Gt,
            ),
            (
                "Honduras's murder rate stayed beneath 50 per 100,000 in 2017.",
                Relation::Lt,
            ),
            (
                "Honduras's murder rate was under the 50 mark in 2017.",
                Relation::Lt,
            ),
        ] {
            let read = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(read.claim.spec().relation, relation, "{text:?}");
        }
        for text in [
            "Honduras's murder rate was far from 40 per 100,000 in 2017.",
            "Honduras's murder rate was nowhere near 40 per 100,000 in 2017.",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        // A range whose ends are written alike is read; one that is not is refused.
        let range = parse("El Salvador's homicide rate was between 100 and 110 in 2015").unwrap();
        let spec = range.claim.spec();
        assert_eq!(
            (spec.relation, spec.value, spec.value_max),
            (Relation::Between, Some(100.0), Some(110.0))
        );
        for text in [
            "El Salvador's homicide rate was between 110 and 100 in 2015",
            "Honduras had between 9 and 10 million people in 2015",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        // What stays readable: a growth rate's sign, a hedge, a longer country name.
        for text in [
            "Nigeria's economy shrank 1.6% in 2016",
            "Mexico's murder rate was slightly below 24 in 2011",
            "New Zealand's population was 4.6 million in 2015",
            "Meanwhile, Colombia's homicide rate was 27 per 100,000 in 2015.",
            "In 2015, Colombia's homicide rate was 27 per 100,000.",
            "Papua New Guinea's population was 8 million in 2015",
        ] {
            assert!(parse(text).is_ok(), "{text:?}: {:?}", parse(text).err());
        }
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
        assert!(parse("Papua New Guinea's population was 8 million in 2018.").is_ok());
    }

    /// A contraction left unread is named as written, not as its split-off "t".
    #[test]
    fn an_unread_contraction_is_named_whole() {
        for (text, word) in [
            (
                "Brazil's unemployment rate wasn't 20% in 2020.",
                "\"wasn't\"",
            ),
            (
                "Mexico\u{2019}s population didn\u{2019}t reach 130 million in 2020.",
                "\"didn\u{2019}t\"",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(word) && !err.contains("\"t\""), "{err}");
        }
    }

    /// General forms of the misreads the second held-out set found (its own sentences stay
    /// in the set): each is read right or refused with the words named.
    #[test]
    fn held_out_misreads_stay_fixed() {
        let spec = parse("In 2016 Japan's murder rate was among the world's three lowest.")
            .unwrap()
            .claim
            .spec();
        assert_eq!((spec.rank, spec.relation), (Some(3), Relation::Lte));
        // A number inside "among the … lowest" that the wording does not read refuses.
        let err =
            parse("In 2016 Japan's murder rate was among the 3 lowest in the world, well below 5.");
        assert!(err.is_err(), "{err:?}");
        // A future tense is a forecast, even with a year the data hold.
        let err = parse("Honduras will halve its murder rate to 30 in 2018.")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"will\"") && err.contains("\"halve\""),
            "{err}"
        );
        // A duration is not the value.
        let err = parse("Jamaica's murder rate will fall within five years.")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"five\" counts time"), "{err}");
        let err =
            parse("Contrary to claims that it doubled, Brazil's murder rate did not rise in 2019.")
                .unwrap_err()
                .to_string();
        assert!(err.contains("\"claims\""), "{err}");
        assert!(parse("Contrary to reports, Brazil's murder rate did not rise in 2019.").is_ok());
        // A duration is a value where the statistic is counted in years.
        assert!(parse("Life expectancy in Chile was 81 years in 2019.").is_ok());
    }

    /// A figure whose value or unit cannot be read for sure is refused, never compared as
    /// if it were the series' (each was a wrong verdict: 1.08 per 1,000 is 108 per 100,000).
    #[test]
    fn figures_in_another_unit_are_refused() {
        for (text, words) in [
            (
                "El Salvador's murder rate was 1.08 per 1,000 in 2015.",
                "per 1,000",
            ),
            (
                "El Salvador's murder rate was 1,076 per million people in 2015.",
                "per million",
            ),
            ("El Salvador's murder rate was 0.1% in 2015.", "0.1%"),
            ("El Salvador's murder rate was 107.6% in 2015.", "107.6%"),
            ("El Salvador's murder rate was $107.6 in 2015.", "$107.6"),
            ("El Salvador's population was 6,3 million in 2015.", "6,3"),
            ("Guatemala had 18,4 million people in 2024.", "18,4"),
            (
                "El Salvador's murder rate was 1e9 per 100,000 in 2015.",
                "1e9",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(words), "{text}: {err}");
        }
        for text in [
            "El Salvador's murder rate was 107.6 per 100,000 people in 2015.",
            "Infant mortality in Pakistan was 52.8 per 1,000 live births in 2018.",
            "Honduras's population was 9,432,860 in 2017.",
            "Chile's GDP per capita was $16,000 in 2019.",
        ] {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text).err());
        }
    }

    /// "Is 108" said in February 2019 speaks of the latest figure published by then: 2018's
    /// at best, never 2019's (a new user's true claim came out false on a later year).
    #[test]
    fn no_year_means_a_year_before_the_sentence() {
        let spec = parse("El Salvador's murder rate is 50 per 100,000.")
            .unwrap()
            .claim
            .spec();
        assert_eq!((spec.year, spec.latest_by), (None, Some(2018)));
    }

    /// A later clause's "the highest in the world" ranks the earlier clause's place (it was
    /// read as a rank of the World aggregate); a later clause about the world's own value
    /// is still about the world.
    #[test]
    fn the_world_as_a_later_clauses_scope() {
        let parts = parser()
            .parse_all(
                "El Salvador had a murder rate of 105 per 100,000 people in 2015, the highest in the world.",
                NaiveDate::from_ymd_opt(2019, 2, 1).unwrap(),
            )
            .unwrap();
        let rank = parts[1].claim.spec();
        assert_eq!(
            (rank.country.as_deref(), rank.kind, rank.rank),
            (Some("SLV"), Kind::Rank, Some(1))
        );
        let parts = parser()
            .parse_all(
                "El Salvador's murder rate in 2015 was 105, and the world's was 6.",
                NaiveDate::from_ymd_opt(2019, 2, 1).unwrap(),
            )
            .unwrap();
        assert_eq!(parts[1].claim.spec().country.as_deref(), Some("WLD"));
    }

    /// A "sentence" far longer than a claim is refused at once (reading one of 300 KB took
    /// minutes, and the API takes bodies of 1 MiB).
    #[test]
    fn overlong_sentences_are_refused_at_once() {
        let long = "El Salvador's murder rate was 105 per 100,000 in 2015, and ".repeat(5000);
        let err = parser()
            .parse_all(&long, NaiveDate::from_ymd_opt(2019, 2, 1).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("at most 1000"), "{err}");
        assert!(parse(&long).is_err());
    }

    /// A rank within a group the country list does not know says so (it said "no number").
    #[test]
    fn a_rank_in_an_unknown_group_names_the_problem() {
        let err = parse("Jamaica had the highest murder rate in the Caribbean in 2015.")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"highest\" ranks against others"), "{err}");
    }

    /// A multiplier without the years it spans is refused for that (it said "no number"),
    /// with examples in the past tense even for "did not double".
    #[test]
    fn a_change_without_its_years_says_so() {
        for (text, word, past) in [
            ("Chile's inflation doubled.", "doubled", "doubled"),
            ("Chile's inflation doubled in 2022.", "doubled", "doubled"),
            ("Chile's inflation did not double.", "double", "doubled"),
            ("Kenya's poverty rate halved.", "halved", "halved"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(
                err.contains(&format!("\"{word}\" is a change")),
                "{text}: {err}"
            );
            assert!(
                err.contains(&format!("has {past} since 2015")),
                "{text}: {err}"
            );
        }
        assert!(parse("Chile's inflation has doubled since 2015.").is_ok());
    }

    /// Found by the fourth held-out set: "a little under" is close below, not any number
    /// below; "just over" reads as around; "Georgia" may be the US state.
    #[test]
    fn close_bounds_and_georgia() {
        let relation = |text: &str| parse(text).unwrap().claim.spec().relation;
        assert_eq!(
            relation("Honduras's murder rate was a little under 40 per 100,000 in 2017."),
            Relation::Nearly
        );
        assert_eq!(
            relation("Honduras's murder rate was just over 40 per 100,000 in 2017."),
            Relation::Approx
        );
        assert_eq!(
            relation("Honduras's murder rate was over 40 per 100,000 in 2017."),
            Relation::Gt
        );
        let err = parse("Georgia's murder rate was about 2 per 100,000 in 2015.")
            .unwrap_err()
            .to_string();
        assert!(err.contains("US state"), "{err}");
        assert!(parse("GEO's murder rate was about 2 per 100,000 in 2015.").is_ok());
    }

    #[test]
    fn scale_is_checked_against_the_unit() {
        let err = parse("Honduras's population was 10.4 in 2022.").unwrap_err();
        assert!(err.to_string().contains("write the scale"), "{err}");
    }

    #[test]
    fn a_denied_change_is_negated_and_a_double_negative_refused() {
        let p = parse("Mexico's murder rate did not fall in 2017.").unwrap();
        let spec = p.claim.spec();
        assert!(spec.negated);
        assert_eq!((spec.from_year, spec.year), (Some(2016), Some(2017)));
        assert!(
            parse("Brazil's murder rate didn't rise in 2018.")
                .unwrap()
                .claim
                .spec()
                .negated
        );
        // Two negations: nothing is guessed.
        assert!(parse("Mexico's murder rate did not fail to fall in 2017, not at all.").is_err());
        // "not" before an exact value cannot be denied: refused, not dropped.
        let err = parse("Mexico's murder rate was not 29 in 2017.").unwrap_err();
        assert!(err.to_string().contains("\"not\""), "{err}");
    }

    #[test]
    fn a_multiplier_verb_after_did_is_read_in_its_base_form() {
        for (text, factor, negated) in [
            (
                "Honduras's murder rate didn't halve between 2011 and 2015.",
                0.5,
                true,
            ),
            (
                "Honduras\u{2019}s murder rate didn\u{2019}t halve between 2011 and 2015.",
                0.5,
                true,
            ),
            (
                "Brazil's population did not double between 1970 and 2010.",
                2.0,
                true,
            ),
            (
                "Brazil's population did double between 1970 and 2010.",
                2.0,
                false,
            ),
        ] {
            let spec = parse(text).unwrap().claim.spec();
            assert_eq!(spec.factor, Some(factor), "{text}");
            assert_eq!(spec.negated, negated, "{text}");
            assert_eq!(
                (spec.from_year, spec.year),
                (Some(text_year(text, 0)), Some(text_year(text, 1)))
            );
        }
        // Without "did", the base form is no past change: refused, never read.
        assert!(parse("Honduras's murder rate does not halve in 2015.").is_err());
        assert!(parse("Brazil's population may double between 1970 and 2010.").is_err());
    }

    #[test]
    fn a_count_or_an_amount_picks_the_series_that_counts() {
        // "urban population" is the urban share in config/indicators.toml; a count is the
        // World Bank's "Urban population", in people.
        let spec = parse("Honduras's urban population was 5.5 million in 2015.")
            .unwrap()
            .claim
            .spec();
        assert_eq!(spec.indicator.as_deref(), Some("SP.URB.TOTL"));
        assert_eq!(spec.value, Some(5_500_000.0));
        // "GDP grew" is growth in percent; from one amount to another it is GDP's level.
        for text in [
            "Colombia's GDP grew from 250 billion dollars in 2005 to 300 billion in 2015.",
            "Colombia's GDP grew from 250 billion in 2005 to 300 billion in 2015.",
        ] {
            let spec = parse(text).unwrap().claim.spec();
            assert_eq!(spec.indicator.as_deref(), Some("NY.GDP.MKTP.CD"), "{text}");
            assert_eq!(
                (spec.from_value, spec.value),
                (Some(250e9), Some(300e9)),
                "{text}"
            );
        }
        let spec = parse("Colombia's GDP grew 3% in 2015.")
            .unwrap()
            .claim
            .spec();
        assert_eq!(spec.indicator.as_deref(), Some("NY.GDP.MKTP.KD.ZG"));
    }

    #[test]
    fn a_phrase_of_two_series_is_refused_unless_the_sentence_tells_which() {
        // "exports" is a series in dollars and one in % of GDP.
        for (text, words) in [
            (
                "Vietnam's exports tripled between 2005 and 2015.",
                "\"exports\"",
            ),
            ("Vietnam's exports grew 10% in 2015.", "\"exports\""),
            (
                "Russia's military spending rose 30% between 2010 and 2015.",
                "\"military spending\"",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(words) && err.contains("ambiguous"), "{err}");
        }
        for (text, code) in [
            (
                "Vietnam's exports were 93% of GDP in 2015.",
                "NE.EXP.GNFS.ZS",
            ),
            (
                "Vietnam's exports were 370 billion dollars in 2015.",
                "NE.EXP.GNFS.CD",
            ),
            (
                "Poland's military spending as a share of GDP doubled between 2005 and 2015.",
                "MS.MIL.XPND.GD.ZS",
            ),
            // The dollars are the first "imports" in config/indicators.toml.
            (
                "Kenya's imports as a share of GDP doubled between 2005 and 2015.",
                "NE.IMP.GNFS.ZS",
            ),
        ] {
            let spec = parse(text).unwrap().claim.spec();
            assert_eq!(spec.indicator.as_deref(), Some(code), "{text}");
        }
    }

    #[test]
    fn how_much_a_clause_adds_is_not_read_as_a_level() {
        // Read as its own claim, "adding 20 million people" was Egypt's population at 20
        // million in 2015: false, about a claim nobody made.
        let err = parse(
            "Egypt's population grew from 72 million in 2005 to 92 million in 2015, adding 20 million people.",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"adding\""), "{err}");
    }

    #[test]
    fn a_rate_that_fell_to_a_level_keeps_its_sign() {
        // A growth rate's fall is its value ("shrank 3.5%" is -3.5), but a level it fell to
        // or below is written as it is: "fell to 20%" was read as -20.
        for (text, value) in [
            ("Turkey's inflation fell to 20% in 2015.", 20.0),
            ("Turkey's inflation did not drop below 50% in 2015.", 50.0),
            ("Brazil's GDP growth fell to 1.1% in 2015.", 1.1),
            ("Brazil's economy shrank 3.5% in 2015.", -3.5),
            ("Argentina's economy contracted by 2.5% in 2015.", -2.5),
        ] {
            let spec = parse(text).unwrap().claim.spec();
            assert_eq!(spec.value, Some(value), "{text}");
        }
    }

    /// "went from 11.2 in 2010 to 17.2 in 2023" states a start and an end: read as that
    /// change, its direction the one the numbers give (the verb names none). "ranged from …
    /// to …" gives a lowest and a highest: refused, with a message that says why (it was told
    /// to write "from … to …", which it had). A hedged end is not joined to the start.
    #[test]
    fn a_move_between_two_stated_values_is_a_change_and_a_range_is_not() {
        for (text, from, to, direction) in [
            (
                "Costa Rica's murder rate went from 11.2 per 100,000 in 2010 to 17.2 in 2019.",
                11.2,
                17.2,
                Direction::Increase,
            ),
            (
                "Colombia's unemployment rate moved from 12% in 2001 to 9.5% in 2019.",
                12.0,
                9.5,
                Direction::Decrease,
            ),
        ] {
            let spec = parse(text).unwrap().claim.spec();
            assert_eq!(spec.kind, Kind::Change, "{text}");
            assert_eq!(spec.direction, Some(direction), "{text}");
            assert_eq!(
                (spec.from_value, spec.value),
                (Some(from), Some(to)),
                "{text}"
            );
            assert_eq!(spec.relation, Relation::Eq, "{text}");
            assert!(!spec.negated, "{text}");
        }
        let spec = parse("Costa Rica's murder rate didn't go from 11.2 in 2010 to 17.2 in 2019.")
            .unwrap()
            .claim
            .spec();
        assert!(spec.negated && spec.kind == Kind::Change);
        for text in [
            "Costa Rica's murder rate ranged from 11.2 in 2010 to 17.2 in 2019.",
            "Costa Rica's murder rate went from 11.2 in 2010 to 11.2 in 2019.",
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains("\"ranged\""), "{text}: {err}");
        }
        let err = parse("Internet use in India went from 7.5% in 2010 to over 40% in 2020.")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("to over") && err.contains("which way"),
            "{err}"
        );
    }

    /// Numbers spelled out beyond one small word are read as figures; "the top twenty" and
    /// "the twenty-first century" are not figures.
    #[test]
    fn numbers_in_words_are_read_and_ranks_and_centuries_are_not() {
        for (text, value) in [
            (
                "Twenty-one point five per 100,000: that was El Salvador's murder rate in 2017.",
                21.5,
            ),
            (
                "In 2017 Honduras had ten and a half million inhabitants.",
                10.5e6,
            ),
            (
                "Guatemala had seventeen point eight million people in 2017.",
                17.8e6,
            ),
            (
                "Mexico's murder rate was thirty-one per 100,000 in 2019.",
                31.0,
            ),
            (
                "Japan had a population of one hundred and twenty-five million in 2017.",
                125e6,
            ),
            ("Nigeria's inflation reached twenty percent in 2017.", 20.0),
        ] {
            let spec = parse(text).unwrap().claim.spec();
            assert_eq!(spec.value, Some(value), "{text}");
            assert_eq!(spec.kind, Kind::Value, "{text}");
        }
        // A rank, not a value of 20: refused as before, for want of a number.
        assert!(parse("Honduras was in the top twenty for murder in 2015.").is_err());
        let err = parse(
            "Twenty-eight years after apartheid ended, South Africa's murder rate was 45 in 2017.",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("Twenty-eight"), "{err}");
        assert!(
            parse("The twenty-first century began with Brazil's murder rate at 26 in 2001.")
                .is_err_and(|e| e.to_string().contains("twenty"))
        );
    }

    #[test]
    fn a_hedged_start_value_is_refused_not_dropped() {
        // The start is checked as written: "from over 30" was checked as exactly 30.
        for (text, hedge) in [
            (
                "Brazil's murder rate fell from over 30 per 100,000 in 2010 to roughly 22 in 2015.",
                "\"over\"",
            ),
            (
                "Life expectancy in Ethiopia rose from about 47 years in 1990 to nearly 65 years in 2015.",
                "\"about\"",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(hedge) && err.contains("starting value"), "{err}");
        }
        let spec = parse(
            "Life expectancy in Ethiopia rose from 47 years in 1990 to nearly 65 years in 2015.",
        )
        .unwrap()
        .claim
        .spec();
        assert_eq!(spec.from_value, Some(47.0));
    }

    /// The `k`th four-digit year written in `text`.
    fn text_year(text: &str, k: usize) -> i32 {
        text.split(|c: char| !c.is_ascii_digit())
            .filter(|w| w.len() == 4)
            .nth(k)
            .and_then(|y| y.parse().ok())
            .expect("a year")
    }

    #[test]
    fn comparisons_name_the_other_place() {
        let spec = parse("Colombia's homicide rate was three times Chile's in 2015.")
            .unwrap()
            .claim
            .spec();
        assert_eq!(
            (spec.kind, spec.other.as_deref(), spec.factor, spec.year),
            (Kind::Compare, Some("CHL"), Some(3.0), Some(2015))
        );
        let spec = parse(
            "Sub-Saharan Africa's fertility rate was more than double the world average in 2015.",
        )
        .unwrap()
        .claim
        .spec();
        assert_eq!(
            (spec.other.as_deref(), spec.factor, spec.relation),
            (Some("WLD"), Some(2.0), Relation::Gt)
        );
        let spec = parse("Jamaica overtook Honduras' murder rate in 2017.")
            .unwrap()
            .claim
            .spec();
        assert_eq!(
            (spec.event, spec.year),
            (Some(crate::claim::Event::Overtake), Some(2017))
        );
        // "more than a fifth of the EU's" is a share, not a comparison of two values.
        let spec = parse("Germany makes up more than a fifth of the EU's population.")
            .unwrap()
            .claim
            .spec();
        assert_eq!((spec.kind, spec.other), (Kind::Share, None));
    }

    #[test]
    fn shares_name_the_whole() {
        let spec = parse("India is home to a sixth of humanity in 2018.")
            .unwrap()
            .claim
            .spec();
        assert_eq!(
            (spec.kind, spec.of.as_deref(), spec.relation),
            (Kind::Share, Some("WLD"), Relation::Approx)
        );
        assert!((spec.value.unwrap() - 100.0 / 6.0).abs() < 1e-9);
        let spec = parse("Germany makes up more than a fifth of the EU's population in 2018.")
            .unwrap()
            .claim
            .spec();
        assert_eq!(
            (spec.of.as_deref(), spec.value, spec.relation),
            (Some("EUU"), Some(20.0), Relation::Gt)
        );
        // A rate does not add up across places: no share of it.
        assert!(parse("Brazil has 20% of the world's homicide rate in 2018.").is_err());
    }

    #[test]
    fn last_year_uses_the_date() {
        let p = parse("Inflation in Turkey hit 72% last year.").unwrap();
        assert_eq!(p.claim.spec().year, Some(2018));
        assert!(p.notes[0].contains("read as 2018"));
    }
}
