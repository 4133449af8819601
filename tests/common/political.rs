//! Scores the sentence parser on the political-claim sets of
//! `tests/fixtures/claim_text/political/` (issue "Right or silent"): each sentence ends as
//! one of four outcomes, kept apart because they cost different things.
//! - `exact`: the claim read has every field the case expects (and no claimed number more);
//! - `refused_right`: the case must be refused (or holds a part that must be), and was;
//! - `refused`: a checkable sentence the parser declined (costs the user a minute);
//! - `misread`: a claim was read that differs from what the sentence says: the outcome that
//!   can publish a wrong verdict, and the one that must stay at zero.

#![allow(dead_code)] // each test binary uses a different part of it

use chrono::NaiveDate;
use claimcheck::claim::country::Countries;
use claimcheck::claim::indicator::IndicatorTable;
use claimcheck::claim::sentence::{Parsed, SentenceParser};
use serde::Deserialize;
use serde_json::Value;

/// One case of a political set.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub text: String,
    pub as_of: Option<String>,
    pub expect: Option<toml::Table>,
    pub refuse: Option<String>,
    pub reason: Option<String>,
    pub verdict: Option<String>,
    /// Other readings the set accepts (each overrides keys of `expect`; `"absent"` drops one).
    #[serde(default)]
    pub also: Vec<toml::Table>,
    /// A whole other reading the set accepts, of another shape (one claim where `expect`
    /// has several parts that say the same).
    pub instead: Option<toml::Table>,
}

impl Case {
    /// The date the claim was made (the sets' default is 2024-06-01).
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
            .as_deref()
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("as_of is a date"))
            .unwrap_or(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())
    }
}

/// How one sentence came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Exact,
    RefusedRight,
    Refused(String),
    Misread(String),
}

/// The counts and the details of every sentence not read exactly.
#[derive(Debug, Default)]
pub struct Report {
    pub total: usize,
    pub exact: usize,
    pub refused_right: usize,
    pub refused: Vec<String>,
    pub misread: Vec<String>,
}

impl Report {
    pub fn print(&self, name: &str) {
        for line in &self.misread {
            eprintln!("MISREAD {line}");
        }
        for line in &self.refused {
            eprintln!("REFUSED {line}");
        }
        eprintln!(
            "{name}: {} sentences: {} exact, {} refused rightly, {} refused though checkable, {} misread",
            self.total,
            self.exact,
            self.refused_right,
            self.refused.len(),
            self.misread.len()
        );
    }
}

/// The cases of one file of `tests/fixtures/claim_text/political/`.
pub fn cases(file_name: &str) -> Vec<Case> {
    #[derive(Deserialize)]
    struct File {
        case: Vec<Case>,
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claim_text/political")
        .join(file_name);
    let file: File = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file.case
}

/// The parser the product uses.
pub fn parser() -> SentenceParser {
    SentenceParser::new(&Countries::embedded(), IndicatorTable::embedded())
}

/// Scores one file.
pub fn run(file_name: &str) -> Report {
    let parser = parser();
    let mut report = Report::default();
    for case in cases(file_name) {
        report.total += 1;
        let result = parser.parse_all(&case.text, case.as_of());
        match outcome(&case, result.map_err(|e| e.to_string())) {
            Outcome::Exact => report.exact += 1,
            Outcome::RefusedRight => report.refused_right += 1,
            Outcome::Refused(why) => report.refused.push(format!("{}\n    {why}", case.text)),
            Outcome::Misread(why) => report.misread.push(format!("{}\n    {why}", case.text)),
        }
    }
    report
}

/// Whether a case (or one of its parts) must be refused.
fn must_refuse(case: &Case) -> bool {
    case.refuse.is_some()
        || case
            .expect
            .as_ref()
            .and_then(|e| e.get("parts"))
            .and_then(|p| p.as_array())
            .is_some_and(|parts| parts.iter().any(|p| p.get("refuse").is_some()))
}

/// The outcome of a parse for a case.
pub fn outcome(case: &Case, result: Result<Vec<Parsed>, String>) -> Outcome {
    let refuse = must_refuse(case);
    let parsed = match result {
        Err(_) if refuse => return Outcome::RefusedRight,
        Err(why) => return Outcome::Refused(why),
        Ok(parsed) => parsed,
    };
    if refuse {
        return Outcome::Misread(format!(
            "must be refused ({}: {:?}), read {}",
            case.reason.as_deref().unwrap_or("a part"),
            case.refuse.as_deref().unwrap_or(""),
            specs(&parsed)
        ));
    }
    let expect = case
        .expect
        .as_ref()
        .expect("a case expects a claim or a refusal");
    if let Some(instead) = &case.instead {
        let alternative = Case {
            expect: Some(instead.clone()),
            instead: None,
            also: Vec::new(),
            ..case.clone()
        };
        if matches!(outcome(&alternative, Ok(parsed.clone())), Outcome::Exact) {
            return Outcome::Exact;
        }
    }
    let wanted: Vec<toml::Table> = match expect.get("parts").and_then(|p| p.as_array()) {
        Some(parts) => parts.iter().filter_map(|p| p.as_table().cloned()).collect(),
        None => vec![expect.clone()],
    };
    if wanted.len() != parsed.len() {
        return Outcome::Misread(format!(
            "{} part(s) expected, read {}",
            wanted.len(),
            specs(&parsed)
        ));
    }
    let diffs_for = |wanted: &[toml::Table]| {
        let mut diffs = Vec::new();
        for (want, got) in wanted.iter().zip(&parsed) {
            let spec = serde_json::to_value(got.claim.spec()).unwrap();
            diffs.extend(compare(want, &spec));
        }
        diffs
    };
    let diffs = diffs_for(&wanted);
    let accepted = case.also.iter().any(|other| {
        let mut want = wanted[0].clone();
        want.extend(other.clone());
        // `key = "absent"`: the other reading leaves that key out.
        want.retain(|_, v| v.as_str() != Some("absent"));
        wanted.len() == 1 && diffs_for(&[want]).is_empty()
    });
    if diffs.is_empty() || accepted {
        Outcome::Exact
    } else {
        Outcome::Misread(format!("{}; read {}", diffs.join("; "), specs(&parsed)))
    }
}

fn specs(parsed: &[Parsed]) -> String {
    parsed
        .iter()
        .map(|p| {
            let mut v = serde_json::to_value(p.claim.spec()).unwrap();
            let o = v.as_object_mut().unwrap();
            o.retain(|k, v| {
                !matches!(k.as_str(), "id" | "text" | "source" | "tags" | "note")
                    && !v.is_null()
                    && v.as_array().is_none_or(|a| !a.is_empty())
            });
            v.to_string()
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Keys a claim states a number or a condition with: set in the reading but not in the case,
/// they are a misread too (a claimed number the sentence does not have).
const CLAIMING: &[&str] = &[
    "value",
    "value_max",
    "from_value",
    "change_pct",
    "change_abs",
    "factor",
    "rank",
    "direction",
    "other",
    "of",
    "extreme",
    "window",
    "window_years",
    "since",
    "years",
    "negated",
    "span_years",
    "threshold",
];

/// The differences between an expected claim and the spec read.
fn compare(want: &toml::Table, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let json = |v: &toml::Value| serde_json::to_value(v).unwrap();
    let get = |k: &str| got.get(k).cloned().unwrap_or(Value::Null);
    let mut differ = |field: &str, want: Value, got: Value| {
        if !same(&want, &got) {
            diffs.push(format!("{field}: want {want}, read {got}"));
        }
    };
    let year = want.get("year");
    let latest = year.and_then(|y| y.as_str()) == Some("latest");
    for (key, value) in want {
        match key.as_str() {
            "statistic" | "fraction" | "note" | "unit" | "parts" => {}
            "indicator" if value.as_str() == Some("?") => {}
            "year" if latest => differ("year", Value::Null, get("year")),
            "span_years" if !latest => {
                let from = year.and_then(|y| y.as_integer()).unwrap() - value.as_integer().unwrap();
                differ("from_year", Value::from(from), get("from_year"));
            }
            "top_n" => {
                differ("rank", json(value), get("rank"));
            }
            "among" | "exclude" => {
                let sorted = |v: Value| {
                    let mut items: Vec<String> = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    items.sort();
                    Value::from(items)
                };
                differ(key, sorted(json(value)), sorted(get(key)));
            }
            _ => differ(key, json(value), get(key)),
        }
    }
    for key in CLAIMING {
        let set = !get(key).is_null() && get(key) != Value::Bool(false);
        let expected = want.contains_key(*key)
            || (*key == "rank" && want.contains_key("top_n"))
            || (*key == "from_year" && want.contains_key("span_years"))
            || (*key == "direction" && implied_direction(want, &get(key)));
        if set && !expected {
            diffs.push(format!("{key}: not in the sentence, read {}", get(key)));
        }
    }
    diffs
}

/// A direction the expected start and end values give ("went from 11.2 to 17.2" is a rise):
/// it adds nothing to what the sentence states, so reading it is no misread.
fn implied_direction(want: &toml::Table, read: &Value) -> bool {
    let number = |k: &str| {
        want.get(k)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    };
    let (Some(from), Some(to)) = (number("from_value"), number("value")) else {
        return false;
    };
    let implied = if to > from {
        "increase"
    } else if to < from {
        "decrease"
    } else {
        return false;
    };
    read.as_str() == Some(implied)
}

/// Equal, numbers within 0.1% (the sets write "18.4 million" as 18400000).
fn same(want: &Value, got: &Value) -> bool {
    match (want.as_f64(), got.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-3 * a.abs().max(1e-9),
        _ => want == got,
    }
}
