//! Fuzzing with proptest, in CI instead of cargo-fuzz (which needs nightly): the sentence
//! parser, the claim-file reader, number parsing and the API's JSON claim bodies, fed with
//! the test sentences (`tests/fixtures/claim_text/*.toml`) and the seed claims, mutated
//! (non-ASCII letters next to known words, random unicode, cuts, long inputs), plus random
//! text.
//!
//! Properties: nothing panics; every refusal is a clear, non-empty error; a number read is
//! finite. The slowest parse of a sentence of at least 1 KB is printed (not asserted).
//!
//! Size: `CLAIMCHECK_FUZZ_CASES` cases per target (default 300, enough for `cargo test`), or
//! `CLAIMCHECK_FUZZ_SECS` seconds per target (what `.ci/run` sets). The regression tests at
//! the end are inputs the fuzzer found.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use claimcheck::claim::country::Countries;
use claimcheck::claim::sentence::SentenceParser;
use claimcheck::claim::{file, number};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};

fn parser() -> &'static SentenceParser {
    static PARSER: OnceLock<SentenceParser> = OnceLock::new();
    PARSER.get_or_init(|| claimcheck::app::intake::parser(None).unwrap())
}

fn countries() -> &'static Countries {
    static COUNTRIES: OnceLock<Countries> = OnceLock::new();
    COUNTRIES.get_or_init(Countries::embedded)
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
}

/// The test sentences of both sets.
fn sentences() -> &'static [String] {
    static SENTENCES: OnceLock<Vec<String>> = OnceLock::new();
    SENTENCES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claim_text");
        let mut out = Vec::new();
        for name in ["sentences.toml", "holdout.toml"] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            let doc: toml::Table = toml::from_str(&text).unwrap();
            for case in doc["case"].as_array().unwrap() {
                out.push(case["text"].as_str().unwrap().to_string());
            }
        }
        assert!(out.len() > 250, "seed sentences found: {}", out.len());
        out
    })
}

/// The repository's claim files, as seeds for the file reader.
fn claim_files() -> &'static [String] {
    static FILES: OnceLock<Vec<String>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("claims");
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        out.push(
            "[[claim]]\nid = \"x\"\ntext = \"Honduras had 9.9 million people in 2022\"\n\
             indicator = \"SP.POP.TOTL\"\ncountry = \"Honduras\"\nyear = 2022\nvalue = \"9.9 million\"\n"
                .into(),
        );
        out
    })
}

/// Characters the mutations insert: letters of other scripts, marks, spaces, digits, and
/// the punctuation the scanner looks at.
const NASTY: &[char] = &[
    'é', 'ñ', 'ü', 'ß', 'ø', 'İ', 'ı', 'Σ', 'ж', '中', '日', 'ا', 'ה', '😀', '\u{301}', '\u{200b}',
    '\u{feff}', '\u{a0}', '\u{2009}', '−', '–', '—', '’', '“', '%', '$', '€', '£', ',', '.', '-',
    '0', '1', '9', ' ', '\n', '\t', '\0',
];

/// One mutation: (kind, position seed, character).
type Mutation = (u8, usize, char);

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        0u8..7,
        any::<usize>(),
        prop_oneof![3 => prop::sample::select(NASTY), 1 => any::<char>()],
    )
}

/// Applies mutations to `text` at char boundaries, preferring word edges.
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(kind, seed, c) in mutations {
        let len = chars.len();
        let at = if len == 0 { 0 } else { seed % (len + 1) };
        // Word edges: the nearest position where a letter meets a non-letter.
        let edge = (at..=len)
            .find(|&i| {
                i == len || i == 0 || chars[i - 1].is_alphanumeric() != chars[i].is_alphanumeric()
            })
            .unwrap_or(at);
        match kind {
            0 => chars.insert(at, c),
            1 => chars.insert(edge, c),
            2 if at < len => chars[at] = c,
            3 if at < len => {
                let end = (at + 1 + seed % 8).min(len);
                chars.drain(at..end);
            }
            4 => {
                // A long input: the text repeated past 1 KB.
                let copy = chars.clone();
                while chars.len() < 1100 {
                    chars.push(' ');
                    chars.extend(&copy);
                    if copy.is_empty() {
                        chars.push(c);
                    }
                }
            }
            5 => {
                let upper: String = chars[at.min(len)..]
                    .iter()
                    .collect::<String>()
                    .to_uppercase();
                chars.truncate(at.min(len));
                chars.extend(upper.chars());
            }
            _ => chars.insert(edge, c),
        }
    }
    chars.into_iter().collect()
}

/// Cases per target, and an optional time budget per target.
fn budget() -> (u32, Option<Duration>) {
    let cases = std::env::var("CLAIMCHECK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let secs = std::env::var("CLAIMCHECK_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_secs);
    (cases, secs)
}

/// Runs `check` on values of `strategy` for the budget; panics with the smallest failing
/// input proptest finds.
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let (cases, secs) = budget();
    let started = Instant::now();
    let batch = if secs.is_some() { 2_000 } else { cases };
    let mut total = 0u64;
    loop {
        let mut runner = TestRunner::new(RunnerConfig {
            cases: batch,
            failure_persistence: None,
            max_shrink_iters: 2_000,
            ..RunnerConfig::default()
        });
        if let Err(e) = runner.run(&strategy, &check) {
            panic!("fuzz target {name} failed after {total} cases: {e}");
        }
        total += u64::from(batch);
        match secs {
            Some(limit) if started.elapsed() < limit => continue,
            _ => break,
        }
    }
    println!(
        "fuzz {name}: {total} cases in {:.1}s, 0 failures",
        started.elapsed().as_secs_f64()
    );
}

fn clear(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "an empty error message");
    prop_assert!(!message.contains("panicked"), "{message}");
    Ok(())
}

/// A seed sentence with mutations, or random text.
fn sentence_input() -> impl Strategy<Value = String> {
    let seeds = sentences().len();
    prop_oneof![
        6 => (0..seeds, prop::collection::vec(mutation(), 0..6))
            .prop_map(|(i, m)| mutate(&sentences()[i], &m)),
        1 => any::<String>(),
        1 => prop::collection::vec(prop::sample::select(NASTY), 0..200)
            .prop_map(|c| c.into_iter().collect()),
    ]
}

#[test]
fn fuzz_sentence_parser() {
    let slowest = Mutex::new((Duration::ZERO, String::new()));
    let long_inputs = AtomicU64::new(0);
    let parser = parser();
    fuzz("sentence parser", sentence_input(), |text| {
        let started = Instant::now();
        // parse_all: the path every surface takes (one claim per clause).
        let result = parser.parse_all(&text, as_of());
        let took = started.elapsed();
        if text.len() >= 1024 {
            long_inputs.fetch_add(1, Ordering::Relaxed);
            let mut slowest = slowest.lock().unwrap();
            if took > slowest.0 {
                *slowest = (took, text.clone());
            }
        }
        match result {
            Ok(parts) => {
                for span in parts.iter().flat_map(|p| &p.spans) {
                    prop_assert!(text.get(span.start..span.end).is_some(), "{span:?}");
                }
            }
            Err(e) => clear(&e.to_string())?,
        }
        Ok(())
    });
    // The slowest long input, timed again (best of three) to tell cost from noise.
    let (took, text) = slowest.into_inner().unwrap();
    let again = (0..3)
        .map(|_| {
            let started = Instant::now();
            let _ = parser.parse_all(&text, as_of());
            started.elapsed()
        })
        .min()
        .unwrap_or_default();
    println!(
        "sentence parser: {} inputs of 1 KB or more; slowest {:.2} ms in the run, {:.2} ms timed again, {} bytes",
        long_inputs.load(Ordering::Relaxed),
        took.as_secs_f64() * 1000.0,
        again.as_secs_f64() * 1000.0,
        text.len()
    );
}

/// A claim file: a seed file or a generated one, mutated.
fn claim_file_input() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "id",
        "text",
        "source",
        "indicator",
        "country",
        "year",
        "value",
        "value_max",
        "relation",
        "tolerance",
        "kind",
        "schedule",
        "tags",
        "note",
        "rank",
        "order",
        "among",
        "from_year",
        "from_value",
        "direction",
        "change_pct",
        "indicatr",
    ]);
    let values = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        "[a-zA-Z0-9 ,.%$é中-]{0,20}".prop_map(|s| format!("{s:?}")),
        Just("[\"SLV\", \"LCN\"]".to_string()),
        Just("true".to_string()),
        Just("\"1e400\"".to_string()),
        Just("\"* * * * * *\"".to_string()),
    ];
    let generated = prop::collection::vec(prop::collection::vec((keys, values), 0..10), 0..4)
        .prop_map(|claims| {
            claims
                .into_iter()
                .map(|fields| {
                    let body: String = fields
                        .into_iter()
                        .map(|(k, v)| format!("{k} = {v}\n"))
                        .collect();
                    format!("[[claim]]\n{body}")
                })
                .collect::<String>()
        });
    let files = claim_files().len();
    prop_oneof![
        2 => (0..files, prop::collection::vec(mutation(), 0..8))
            .prop_map(|(i, m)| mutate(&claim_files()[i], &m)),
        2 => generated,
        1 => any::<String>(),
    ]
}

#[test]
fn fuzz_claim_file_reader() {
    let path = Path::new("fuzz.toml");
    fuzz("claim file reader", claim_file_input(), |text| {
        let parsed = file::parse(path, &text, countries());
        for error in &parsed.errors {
            let shown = error.to_string();
            prop_assert!(shown.starts_with("fuzz.toml"), "{shown}");
            clear(&error.message)?;
        }
        for claim in &parsed.claims {
            prop_assert!(!claim.id.is_empty());
        }
        Ok(())
    });
}

/// Numbers as written, mutated, and random text.
fn number_input() -> impl Strategy<Value = String> {
    let written = (
        any::<f64>(),
        prop::sample::select(vec!["", " million", "bn", " trillion", "k", "m", "tn"]),
        prop::sample::select(vec!["", "$", "€", "-", ","]),
    )
        .prop_map(|(n, scale, prefix)| format!("{prefix}{n}{scale}"));
    prop_oneof![
        3 => written,
        1 => "[0-9,._ e+-]{0,30}( ?(million|billion|bn|k|m|tn))?",
        1 => any::<String>(),
        1 => Just("1e300 trillion".to_string()),
    ]
}

#[test]
fn fuzz_number_parsing() {
    fuzz("number parsing", number_input(), |text| {
        if let Some(value) = number::parse(&text) {
            prop_assert!(value.is_finite(), "{text:?} read as {value}");
            let step = number::stated_step(value);
            prop_assert!(!step.is_nan(), "{text:?}: step {step}");
        }
        Ok(())
    });
}

/// API claim bodies: one claim, `{"claims": [...]}`, or `{"text": …}`, with random fields.
fn json_input() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(
            |f| serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into)
        ),
        sentence_input().prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "SLV",
            "VC.IHR.PSRC.P5",
            "eq",
            "rank",
            "2015",
            "0 6 * * 1",
            "Guinea"
        ])
        .prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(serde_json::Value::from)
    });
    let keys = prop::sample::select(vec![
        "id",
        "text",
        "indicator",
        "country",
        "year",
        "value",
        "relation",
        "kind",
        "rank",
        "among",
        "from_year",
        "schedule",
        "tags",
        "note",
        "tolerance",
        "extra",
    ]);
    let object = prop::collection::btree_map(keys, value, 0..6).prop_map(|m| {
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    });
    prop_oneof![
        3 => object.clone().prop_map(|o| o.to_string()),
        1 => prop::collection::vec(object, 0..3)
            .prop_map(|claims| serde_json::json!({ "claims": claims }).to_string()),
        1 => sentence_input().prop_map(|t| serde_json::json!({ "text": t }).to_string()),
        1 => any::<String>(),
    ]
}

#[test]
fn fuzz_json_claim_bodies() {
    use claimcheck::api::types::NewClaims;
    use claimcheck::app::intake::claim_from_body;
    fuzz("JSON claim bodies", json_input(), |body| {
        // The API's path: deserialize, then a sentence is parsed or a claim validated.
        let claims = match NewClaims::from_json(body.as_bytes()) {
            Ok(claims) => claims.into_vec(),
            Err(e) => return clear(&e),
        };
        for claim in claims {
            if let Err(e) = claim_from_body(claim, parser(), countries(), as_of()) {
                clear(&e.to_string())?;
            }
        }
        Ok(())
    });
}

/// Inputs the fuzzer found that panicked before the fix (byte slicing after a multi-byte
/// letter in rank wording, `src/claim/sentence.rs`).
#[test]
fn found_inputs_parse_without_panicking() {
    let found = [
        "El Salvador had the éa highest murder rate in the world in 2015",
        "El Salvador had the x中 highest murder rate in the world in 2015",
        "Honduras has the 2中 lowest homicide rate in the world",
        "the ña largest population in the world",
        "Brazil's éé most people in the world in 2020",
        // Lowercasing "İ" adds a byte: clause cuts found in the lowered text cut a letter.
        "İİİ, ééé",
        "İstanbul's İİ population, and ééé in 2015, Σ 3",
    ];
    let seen = Mutex::new(Vec::new());
    for text in found {
        match parser().parse_all(text, as_of()) {
            Ok(parts) => seen
                .lock()
                .unwrap()
                .push(format!("ok {}", parts[0].claim.id)),
            Err(e) => {
                assert!(!e.to_string().trim().is_empty(), "{text}");
                seen.lock().unwrap().push(format!("refused: {e}"));
            }
        }
    }
    println!("{:#?}", seen.lock().unwrap());
}

/// The time to parse a 1 KB sentence: every test sentence repeated to 1 KB, best of three
/// runs each (printed, not asserted; run with `--release` for figures that mean something).
#[test]
fn one_kilobyte_sentences_parse_time() {
    let mut slowest = (Duration::ZERO, String::new());
    let mut total = Duration::ZERO;
    for seed in sentences() {
        let mut text = seed.clone();
        while text.len() < 1024 {
            text.push(' ');
            text.push_str(seed);
        }
        let cut = (1024..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text.truncate(cut);
        let parser = parser();
        // Best of three, so a scheduler hiccup on a shared machine is not the figure.
        let took = (0..3)
            .map(|_| {
                let started = Instant::now();
                let _ = parser.parse(&text, as_of());
                started.elapsed()
            })
            .min()
            .unwrap_or_default();
        total += took;
        if took > slowest.0 {
            slowest = (took, seed.clone());
        }
    }
    println!(
        "1 KB sentences: {} parsed, mean {:.2} ms, slowest {:.2} ms ({:?})",
        sentences().len(),
        total.as_secs_f64() * 1000.0 / sentences().len() as f64,
        slowest.0.as_secs_f64() * 1000.0,
        slowest.1
    );
}
