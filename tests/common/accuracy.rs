//! Scores the sentence parser on `tests/fixtures/claim_text/sentences.toml`: a sentence is
//! right when country, indicator, year, from_year, value, relation and kind all match (or,
//! for sentences marked `error`, when the parser refuses them with that kind of error).

use chrono::NaiveDate;
use claimcheck::claim::country::Countries;
use claimcheck::claim::indicator::IndicatorTable;
use claimcheck::claim::sentence::{ParseError, SentenceParser};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    text: String,
    as_of: Option<String>,
    expect: Option<Expect>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Expect {
    country: String,
    indicator: String,
    year: Option<i32>,
    from_year: Option<i32>,
    value: Option<f64>,
    relation: String,
    kind: String,
    rank: Option<u32>,
    order: Option<String>,
    among: Option<Vec<String>>,
}

/// The score and the misses, each as "sentence: what differed".
pub struct Report {
    pub total: usize,
    pub right: usize,
    pub misses: Vec<String>,
}

impl Report {
    pub fn accuracy(&self) -> f64 {
        self.right as f64 / self.total as f64
    }
}

/// Scores one case file of `tests/fixtures/claim_text/`.
pub fn run(file_name: &str) -> Report {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claim_text")
        .join(file_name);
    #[derive(Deserialize)]
    struct File {
        case: Vec<Case>,
    }
    let file: File = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let parser = SentenceParser::new(&Countries::embedded(), IndicatorTable::embedded());
    let mut report = Report {
        total: file.case.len(),
        right: 0,
        misses: Vec::new(),
    };
    for case in &file.case {
        let as_of = case
            .as_of
            .as_deref()
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
            .unwrap_or(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        let result = parser.parse(&case.text, as_of);
        let verdict = match (&case.expect, &case.error, result) {
            (_, Some(kind), Err(e)) => {
                let got = match e {
                    ParseError::Ambiguous { .. } => "ambiguous",
                    ParseError::Missing(_)
                    | ParseError::Invalid(_)
                    | ParseError::Unaccounted(_) => "missing",
                };
                (got == kind)
                    .then_some(())
                    .ok_or(format!("refused as {got}, expected {kind}: {e}"))
            }
            (_, Some(kind), Ok(p)) => {
                Err(format!("expected refusal ({kind}), parsed {:?}", p.claim))
            }
            (Some(_), None, Err(e)) => Err(format!("refused: {e}")),
            (Some(expect), None, Ok(p)) => {
                let c = &p.claim.spec();
                let mut diffs = Vec::new();
                let mut check = |field: &str, got: String, want: String| {
                    if got != want {
                        diffs.push(format!("{field}: got {got}, want {want}"));
                    }
                };
                check(
                    "country",
                    format!("{:?}", c.country.as_deref()),
                    format!("{:?}", Some(expect.country.as_str())),
                );
                check(
                    "indicator",
                    format!("{:?}", c.indicator.as_deref()),
                    format!("{:?}", Some(expect.indicator.as_str())),
                );
                check(
                    "year",
                    format!("{:?}", c.year),
                    format!("{:?}", expect.year),
                );
                check(
                    "from_year",
                    format!("{:?}", c.from_year),
                    format!("{:?}", expect.from_year),
                );
                let value_ok = match (c.value, expect.value) {
                    (Some(a), Some(b)) => (a - b).abs() <= 1e-3 * b.abs().max(1.0),
                    (None, None) => true,
                    _ => false,
                };
                if !value_ok {
                    check(
                        "value",
                        format!("{:?}", c.value),
                        format!("{:?}", expect.value),
                    );
                }
                check(
                    "relation",
                    serde_json::to_value(c.relation)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string(),
                    expect.relation.clone(),
                );
                check("kind", c.kind_name().to_string(), expect.kind.clone());
                if let Some(among) = &expect.among {
                    check("among", format!("{:?}", c.among), format!("{among:?}"));
                }
                if let Some(order) = &expect.order {
                    let got = c.order.map(|o| format!("{o:?}").to_lowercase());
                    check("order", format!("{got:?}"), format!("{:?}", Some(order)));
                }
                if let Some(rank) = expect.rank {
                    check("rank", format!("{:?}", c.rank), format!("{:?}", Some(rank)));
                }
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(diffs.join("; "))
                }
            }
            (None, None, _) => Err("case has neither expect nor error".into()),
        };
        match verdict {
            Ok(()) => report.right += 1,
            Err(why) => report.misses.push(format!("{}\n    {why}", case.text)),
        }
    }
    report
}
