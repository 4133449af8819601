//! Right or silent: every number, multiplier word, negation and time phrase of a sentence is
//! used by the claim read, or the sentence is refused with those words named. A dropped
//! number ("grew by 10% from 2000 to 2022" checked as a bare rise) or an ignored "not" is how
//! a misread claim gets a confident verdict; this check runs last, over the spans the other
//! phases used, so a phase that does not understand a word cannot silently skip it.

use serde::Serialize;

use super::numbers::{is_denominator, Number};
use super::words::{inside, Word};
use super::Span;

/// What kind of word was left over, in the words a refusal gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unhandled {
    /// A number the claim does not use.
    UnplacedNumber,
    /// "doubled", "three times", "half".
    Multiplier,
    /// "not", "never", "hasn't".
    Negation,
    /// A time that cannot be dated ("when the war ended"), or a relative one not supported.
    UndatableTime,
    /// A year after the claim was made ("by 2030"): the data hold no projections.
    Forecast,
    /// A record, streak or trend ("the highest in 30 years", "five years in a row").
    RecordOrStreak,
    /// A comparison with another place or an average ("than Chile's", "overtook").
    Comparison,
    /// A change word ("rose", "fell") in a claim read as one value.
    Change,
    /// A share of a total ("3% of the world's CO2").
    Share,
    /// A number of events ("3,000 murders") where the data hold a rate.
    Count,
    /// A statistic no series answers ("emigration").
    NoSeries,
    /// A condition on any or every year ("in any year", "every year").
    Quantifier,
    /// A group of people the statistic read does not cover ("young Egyptians").
    Group,
    /// Another place the claim read does not use ("half that of the UK").
    OtherPlace,
    /// How much something moved ("slightly", "sharply") beside a direction the claim reads.
    Degree,
    /// A contrast between two clauses ("but", "yet") the claim read does not tell apart.
    Contrast,
    /// A hedge on a change's start value ("from over 30"), which is checked as written.
    StartHedge,
    /// Someone else's claim, reported or rebutted ("contrary to claims that it doubled"):
    /// which words the sentence asserts is not for a parser to guess.
    Reported,
}

impl Unhandled {
    /// Why the words block a verdict, for the refusal message.
    pub fn explain(self) -> &'static str {
        match self {
            Self::UnplacedNumber => "a number the claim read does not use",
            Self::Multiplier => "a multiplier the claim read does not use",
            Self::Negation => "a negation",
            Self::UndatableTime => "a time that cannot be dated",
            Self::Forecast => "a future year or a forecast (the data hold no projections)",
            Self::RecordOrStreak => "a record, streak or trend",
            Self::Comparison => "a comparison with another place, time or average",
            Self::Change => "a change word in a claim read as one value: the value alone cannot show it fell or rose; write the value (\"was 41 in 2019\") or the change (\"fell from 45 in 2018 to 41 in 2019\")",
            Self::Share => "a share of a total",
            Self::Count => "a number of events, where the data give a rate per 100,000 people",
            Self::NoSeries => "a statistic no series of the data answers",
            Self::Quantifier => "a condition on any or every year of a period",
            Self::Group => "a group of people the statistic read does not cover",
            Self::Reported => "a claim reported or rebutted, not asserted",
            Self::Degree => "how much it moved, which the direction read does not check",
            Self::Contrast => "a contrast between two clauses, read as one claim: give each clause as a sentence of its own",
            Self::OtherPlace => "another place the claim read does not use",
            Self::StartHedge => "a hedge on the starting value, which is checked as written: give the start as one number (\"from 30 in 2017\"), or leave it out (\"fell to about 22 in 2021\")",
        }
    }
}

/// Words of the sentence no part of the claim used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unaccounted {
    /// The words as written.
    pub words: String,
    /// What they are.
    pub kind: Unhandled,
}

/// Single words that carry meaning a claim must use. Matched on whole lowercase words.
const WORDS: &[(&str, Unhandled)] = &[
    ("not", Unhandled::Negation),
    ("t", Unhandled::Negation), // "hasn't" splits into "hasn" + "t"
    ("never", Unhandled::Negation),
    ("no", Unhandled::Negation),
    ("nobody", Unhandled::Negation),
    ("none", Unhandled::Negation),
    ("neither", Unhandled::Negation),
    ("nor", Unhandled::Negation),
    ("nothing", Unhandled::Negation),
    ("without", Unhandled::Negation),
    // "far from 40", "nowhere near 40", "hardly 50": the number denied or doubted, which
    // no relation reads (each came out "true" at 40.3).
    // "didn't rise in 2020 but it did in 2021": two clauses, which a reading as one change
    // from 2020 to 2021 turned into a false claim denied.
    ("but", Unhandled::Contrast),
    ("yet", Unhandled::Contrast),
    ("whereas", Unhandled::Contrast),
    ("far", Unhandled::Negation),
    ("nowhere", Unhandled::Negation),
    ("hardly", Unhandled::Negation),
    ("scarcely", Unhandled::Negation),
    ("doubled", Unhandled::Multiplier),
    ("double", Unhandled::Multiplier),
    ("doubling", Unhandled::Multiplier),
    ("twice", Unhandled::Multiplier),
    ("tripled", Unhandled::Multiplier),
    ("triple", Unhandled::Multiplier),
    ("trebled", Unhandled::Multiplier),
    ("quadrupled", Unhandled::Multiplier),
    ("quintupled", Unhandled::Multiplier),
    ("halved", Unhandled::Multiplier),
    // The verbs' other forms: "will halve", "doubles every decade", "trebling".
    ("halve", Unhandled::Multiplier),
    ("halves", Unhandled::Multiplier),
    ("halving", Unhandled::Multiplier),
    ("doubles", Unhandled::Multiplier),
    ("triples", Unhandled::Multiplier),
    ("tripling", Unhandled::Multiplier),
    ("treble", Unhandled::Multiplier),
    ("trebles", Unhandled::Multiplier),
    ("trebling", Unhandled::Multiplier),
    ("quadruple", Unhandled::Multiplier),
    ("quadruples", Unhandled::Multiplier),
    ("times", Unhandled::Multiplier),
    ("fold", Unhandled::Multiplier),
    ("half", Unhandled::Multiplier),
    ("third", Unhandled::Multiplier),
    ("thirds", Unhandled::Multiplier),
    ("quarter", Unhandled::Multiplier),
    ("quarters", Unhandled::Multiplier),
    ("fifth", Unhandled::Multiplier),
    ("sixth", Unhandled::Multiplier),
    ("tenth", Unhandled::Multiplier),
    // A sentence about the future is a forecast, whatever its years: "will halve … within
    // five years" has no year for the data to answer.
    ("will", Unhandled::Forecast),
    ("ll", Unhandled::Forecast), // "it'll"
    ("shall", Unhandled::Forecast),
    ("projected", Unhandled::Forecast),
    ("forecast", Unhandled::Forecast),
    ("forecasts", Unhandled::Forecast),
    ("predicted", Unhandled::Forecast),
    // "contrary to claims that it doubled": the claim is someone else's, its words are not
    // the sentence's. ("Contrary to reports, … is not …" asserts its own clause: read.)
    ("claims", Unhandled::Reported),
    ("claimed", Unhandled::Reported),
    ("allegedly", Unhandled::Reported),
    ("supposedly", Unhandled::Reported),
    ("myth", Unhandled::Reported),
    // "A 2023 UN report found … 47": the year is the report's, and the figure it gave was of
    // an earlier year (checked against 2023's, 47 came out mostly-true instead of false).
    ("report", Unhandled::Reported),
    ("study", Unhandled::Reported),
    ("survey", Unhandled::Reported),
    ("interview", Unhandled::Reported),
    ("campaign", Unhandled::Reported),
    ("speech", Unhandled::Reported),
    // "It is false that …", "wrong to say …": a denial of the clause that follows, which no
    // claim kind reads (it dropped in silence, so a denied claim was checked as asserted).
    ("false", Unhandled::Negation),
    ("untrue", Unhandled::Negation),
    ("wrong", Unhandled::Negation),
    ("incorrect", Unhandled::Negation),
    ("lie", Unhandled::Negation),
    ("lies", Unhandled::Negation),
    ("fake", Unhandled::Negation),
    ("nonsense", Unhandled::Negation),
    // "rose slightly" for a 69% rise: how much it moved is a claim the direction alone does
    // not check.
    ("slightly", Unhandled::Degree),
    ("slight", Unhandled::Degree),
    ("marginally", Unhandled::Degree),
    ("marginal", Unhandled::Degree),
    ("modestly", Unhandled::Degree),
    ("modest", Unhandled::Degree),
    ("sharply", Unhandled::Degree),
    ("sharp", Unhandled::Degree),
    ("steeply", Unhandled::Degree),
    ("steep", Unhandled::Degree),
    ("dramatically", Unhandled::Degree),
    ("dramatic", Unhandled::Degree),
    ("significantly", Unhandled::Degree),
    ("significant", Unhandled::Degree),
    ("substantially", Unhandled::Degree),
    ("substantial", Unhandled::Degree),
    ("massively", Unhandled::Degree),
    ("massive", Unhandled::Degree),
    ("hugely", Unhandled::Degree),
    ("huge", Unhandled::Degree),
    ("enormously", Unhandled::Degree),
    ("considerably", Unhandled::Degree),
    ("drastically", Unhandled::Degree),
    ("somewhat", Unhandled::Degree),
    ("ago", Unhandled::UndatableTime),
    ("decade", Unhandled::UndatableTime),
    ("decades", Unhandled::UndatableTime),
    ("century", Unhandled::UndatableTime),
    ("when", Unhandled::UndatableTime),
    ("after", Unhandled::UndatableTime),
    ("before", Unhandled::UndatableTime),
    ("during", Unhandled::UndatableTime),
    ("until", Unhandled::UndatableTime),
    ("since", Unhandled::UndatableTime),
    ("past", Unhandled::UndatableTime),
    ("previous", Unhandled::UndatableTime),
    ("recent", Unhandled::UndatableTime),
    ("recently", Unhandled::UndatableTime),
    ("next", Unhandled::UndatableTime),
    ("government", Unhandled::UndatableTime),
    ("administration", Unhandled::UndatableTime),
    ("office", Unhandled::UndatableTime),
    ("pandemic", Unhandled::UndatableTime),
    ("crisis", Unhandled::UndatableTime),
    ("war", Unhandled::UndatableTime),
    ("plan", Unhandled::UndatableTime),
    ("record", Unhandled::RecordOrStreak),
    ("records", Unhandled::RecordOrStreak),
    ("ever", Unhandled::RecordOrStreak),
    ("running", Unhandled::RecordOrStreak),
    ("consecutive", Unhandled::RecordOrStreak),
    ("straight", Unhandled::RecordOrStreak),
    ("row", Unhandled::RecordOrStreak),
    ("high", Unhandled::RecordOrStreak),
    ("low", Unhandled::RecordOrStreak),
    ("trend", Unhandled::RecordOrStreak),
    // "peaked in 2011 at 23.6": the highest of a span, not one value.
    ("peak", Unhandled::RecordOrStreak),
    ("peaks", Unhandled::RecordOrStreak),
    ("peaked", Unhandled::RecordOrStreak),
    ("bottomed", Unhandled::RecordOrStreak),
    ("trough", Unhandled::RecordOrStreak),
    ("than", Unhandled::Comparison),
    ("compared", Unhandled::Comparison),
    ("versus", Unhandled::Comparison),
    ("vs", Unhandled::Comparison),
    ("overtook", Unhandled::Comparison),
    ("overtaken", Unhandled::Comparison),
    ("overtake", Unhandled::Comparison),
    ("behind", Unhandled::Comparison),
    ("ahead", Unhandled::Comparison),
    ("worse", Unhandled::Comparison),
    ("better", Unhandled::Comparison),
    // "was 2 points higher in 2019" was read as a value of 2: a comparative with nothing it
    // compares to is a change or a comparison the claim read does not make.
    ("higher", Unhandled::Comparison),
    ("lower", Unhandled::Comparison),
    ("same", Unhandled::Comparison),
    ("humanity", Unhandled::Share),
    ("fell", Unhandled::Change),
    ("fall", Unhandled::Change),
    ("falling", Unhandled::Change),
    ("fallen", Unhandled::Change),
    ("dropped", Unhandled::Change),
    ("drop", Unhandled::Change),
    ("declined", Unhandled::Change),
    ("decline", Unhandled::Change),
    ("decreased", Unhandled::Change),
    ("plunged", Unhandled::Change),
    ("plummeted", Unhandled::Change),
    ("shrank", Unhandled::Change),
    ("shrunk", Unhandled::Change),
    ("shrink", Unhandled::Change),
    ("slumped", Unhandled::Change),
    ("sank", Unhandled::Change),
    ("cut", Unhandled::Change),
    ("down", Unhandled::Change),
    ("rose", Unhandled::Change),
    ("rise", Unhandled::Change),
    ("rising", Unhandled::Change),
    ("risen", Unhandled::Change),
    ("increased", Unhandled::Change),
    ("increase", Unhandled::Change),
    ("grew", Unhandled::Change),
    ("grown", Unhandled::Change),
    ("climbed", Unhandled::Change),
    ("jumped", Unhandled::Change),
    ("soared", Unhandled::Change),
    ("surged", Unhandled::Change),
    ("added", Unhandled::Change),
    ("up", Unhandled::Change),
    ("growing", Unhandled::Change),
    ("shot", Unhandled::Change),
    ("gained", Unhandled::Change),
    ("lost", Unhandled::Change),
    // "…, adding 25 million people": how much it moved, never a level of its own.
    ("adding", Unhandled::Change),
    ("gaining", Unhandled::Change),
    ("losing", Unhandled::Change),
    ("shedding", Unhandled::Change),
    ("highest", Unhandled::RecordOrStreak),
    // "Africa's most populous country": a superlative the claim read did not use is a
    // rank or record left out.
    ("most", Unhandled::RecordOrStreak),
    ("least", Unhandled::RecordOrStreak),
    ("lowest", Unhandled::RecordOrStreak),
    ("largest", Unhandled::RecordOrStreak),
    ("smallest", Unhandled::RecordOrStreak),
    ("biggest", Unhandled::RecordOrStreak),
    ("worst", Unhandled::RecordOrStreak),
    ("best", Unhandled::RecordOrStreak),
    ("fastest", Unhandled::RecordOrStreak),
    ("slowest", Unhandled::RecordOrStreak),
    ("deadliest", Unhandled::RecordOrStreak),
    ("safest", Unhandled::RecordOrStreak),
    ("murders", Unhandled::Count),
    ("homicides", Unhandled::Count),
    ("killings", Unhandled::Count),
    ("murdered", Unhandled::Count),
    ("killed", Unhandled::Count),
    ("deaths", Unhandled::Count),
    ("victims", Unhandled::Count),
    ("emigration", Unhandled::NoSeries),
    ("emigrants", Unhandled::NoSeries),
    ("immigrants", Unhandled::NoSeries),
    ("immigration", Unhandled::NoSeries),
    ("migrants", Unhandled::NoSeries),
    ("refugees", Unhandled::NoSeries),
    ("deportations", Unhandled::NoSeries),
    ("again", Unhandled::RecordOrStreak),
    // "overtook … for the first time": a condition on every earlier year.
    ("first", Unhandled::RecordOrStreak),
    ("any", Unhandled::Quantifier),
    ("whenever", Unhandled::Quantifier),
    // "working-age population" checked as the whole population.
    ("working", Unhandled::Group),
    ("adult", Unhandled::Group),
    ("elderly", Unhandled::Group),
    ("female", Unhandled::Group),
    ("male", Unhandled::Group),
    ("young", Unhandled::Group),
    ("youth", Unhandled::Group),
    ("children", Unhandled::Group),
    ("women", Unhandled::Group),
    ("men", Unhandled::Group),
    ("girls", Unhandled::Group),
    ("boys", Unhandled::Group),
    ("rural", Unhandled::Group),
    ("urban", Unhandled::Group),
];

/// Small numbers written as words that no scan reads as a figure ("three times Chile's").
const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "thousand", "dozen",
];

/// The words of the sentence that carry meaning and are not inside any span the claim used.
/// `numbers` is every number the scan found (years included); `statistic_name` is the
/// series' full name (a group it names, such as "women", is no extra condition).
pub(super) fn unaccounted(
    text: &str,
    words: &[Word],
    numbers: &[Number],
    spans: &[Span],
    statistic_name: &str,
) -> Vec<Unaccounted> {
    let statistic_name = statistic_name.to_lowercase();
    let used = |start: usize| spans.iter().any(|s| inside(&(s.start, s.end), start));
    let mut left: Vec<(usize, Unaccounted)> = Vec::new();
    for n in numbers {
        if !used(n.start) && !is_denominator(text, n) && !after_every(text, n) && !ages(text, n) {
            left.push((
                n.start,
                Unaccounted {
                    words: text[n.start..n.end].to_string(),
                    kind: Unhandled::UnplacedNumber,
                },
            ));
        }
    }
    let in_number = |at: usize| numbers.iter().any(|n| inside(&(n.start, n.end), at));
    let rate = words
        .iter()
        .any(|w| matches!(w.lower.as_str(), "rate" | "rates" | "per" | "every"));
    for (k, w) in words.iter().enumerate() {
        // A count noun inside the statistic's name ("homicides") still says "a count".
        let count = WORDS
            .iter()
            .any(|(word, kind)| *word == w.lower && *kind == Unhandled::Count);
        if (used(w.start) && !count) || in_number(w.start) {
            continue;
        }
        let kind = WORDS
            .iter()
            .find(|(word, _)| *word == w.lower)
            .map(|(_, kind)| *kind)
            .or_else(|| super::change::fold(&w.lower).map(|_| Unhandled::Multiplier))
            .or_else(|| every_year(words, w).then_some(Unhandled::RecordOrStreak))
            .or_else(|| decade(text, w).then_some(Unhandled::UndatableTime))
            .or_else(|| {
                NUMBER_WORDS
                    .contains(&w.lower.as_str())
                    .then_some(Unhandled::UnplacedNumber)
            });
        if kind == Some(Unhandled::Count) && rate {
            continue;
        }
        // "women" in "seats held by women" is the statistic's own group.
        if kind == Some(Unhandled::Group) && statistic_name.contains(w.lower.as_str()) {
            continue;
        }
        // "the most of any country": a rank's scope, not a condition on years.
        if kind == Some(Unhandled::Quantifier) && any_country(words, w) {
            continue;
        }
        if kind == Some(Unhandled::UndatableTime) && adverb_since(words, w) {
            continue;
        }
        if kind == Some(Unhandled::Change) && super::change::made_up(words, w) {
            continue;
        }
        if let Some(kind) = kind {
            let start = contraction_start(text, words, k);
            left.push((
                start,
                Unaccounted {
                    words: text[start..w.end].to_string(),
                    kind,
                },
            ));
        }
    }
    // "Chihuahua's murder rate in Mexico": a name in the possessive right before the
    // statistic, which no place read covers, is the place the figure is about (Mexico's
    // figure was checked instead).
    for (k, w) in words.iter().enumerate() {
        let statistic_next = words.get(k + 2).is_some_and(|next| {
            spans
                .iter()
                .any(|s| s.field == "indicator" && s.start == next.start)
        });
        let possessive = words.get(k + 1).is_some_and(|s| s.lower == "s");
        let named = text[w.start..].starts_with(|c: char| c.is_uppercase());
        // A source's figure ("the World Bank's GDP per capita"), not a place's.
        let source = matches!(
            w.lower.as_str(),
            "bank" | "imf" | "un" | "who" | "oecd" | "data" | "fund" | "nations" | "eurostat"
        );
        if possessive && statistic_next && named && !source && !used(w.start) {
            left.push((
                w.start,
                Unaccounted {
                    words: text[w.start..w.end].to_string(),
                    kind: Unhandled::OtherPlace,
                },
            ));
        }
    }
    left.sort_by_key(|(at, _)| *at);
    left.into_iter().map(|(_, u)| u).collect()
}

/// Where the word `words[k]` starts as the reader wrote it: the "t" of "wasn't" is shown as
/// "wasn't" (words split at the apostrophe).
fn contraction_start(text: &str, words: &[Word], k: usize) -> usize {
    let w = &words[k];
    let Some(before) = k.checked_sub(1).and_then(|j| words.get(j)) else {
        return w.start;
    };
    let between = &text[before.end..w.start];
    if w.lower == "t" && matches!(between, "'" | "\u{2019}") {
        before.start
    } else {
        w.start
    }
}

/// "the 1990s", "the 1990's": ten years, not one.
fn decade(text: &str, w: &Word) -> bool {
    let digits = w.lower.bytes().take_while(u8::is_ascii_digit).count();
    digits == 4 && super::numbers::decade_suffix(&text[w.start + 4..]).is_some()
}

/// "for every 100,000 people", "each 1,000": the denominator of a rate.
fn after_every(text: &str, n: &Number) -> bool {
    let before = text[..n.start].to_ascii_lowercase();
    let before = before.trim_end();
    (before.ends_with("every") || before.ends_with("each") || before.ends_with("per"))
        && [1e3, 1e4, 1e5, 1e6].contains(&n.value)
}

/// "ages 15-49", "aged 65 and over": the ages a series covers, part of its name.
fn ages(text: &str, n: &Number) -> bool {
    let before = text[..n.start].to_ascii_lowercase();
    let before = before.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == ' ');
    before.ends_with("ages") || before.ends_with("aged") || before.ends_with("age")
}

/// "has since spiraled", "have since fallen": "since" as an adverb after a perfect tense,
/// which dates nothing.
fn adverb_since(words: &[Word], w: &Word) -> bool {
    let at = words.iter().position(|x| x.start == w.start).unwrap_or(0);
    w.lower == "since" && at > 0 && matches!(words[at - 1].lower.as_str(), "has" | "have" | "had")
}

/// "every year", "each year", "every single year": a streak, whatever else is read.
fn every_year(words: &[Word], w: &Word) -> bool {
    let at = words.iter().position(|x| x.start == w.start).unwrap_or(0);
    let year = |k: usize| words.get(k).is_some_and(|x| x.lower == "year");
    matches!(w.lower.as_str(), "every" | "each")
        && (year(at + 1)
            || (words.get(at + 1).is_some_and(|x| x.lower == "single") && year(at + 2)))
}

/// "of any country", "any other nation": "any" over places, part of a rank's scope.
fn any_country(words: &[Word], w: &Word) -> bool {
    let at = words.iter().position(|x| x.start == w.start).unwrap_or(0);
    words
        .get(at + 1)
        .is_some_and(|x| matches!(x.lower.as_str(), "country" | "other" | "nation" | "economy"))
}
