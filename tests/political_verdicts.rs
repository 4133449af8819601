//! Verdicts on political claims (`tests/fixtures/claim_text/political/`): every sentence of
//! both sets that has an expected verdict and that the parser answers is checked end to end
//! (the real queue and checker against the World Bank stand-in), and its grade compared with
//! the one worked out by hand from the stand-in's data. A wrong grade is the worst outcome
//! the tool has; the development set must have none.

mod common;

#[path = "common/political.rs"]
mod political;

use common::{check, TestApp};

/// Checks every answered case of a set with a verdict; returns (answered, wrong lines).
async fn verdicts(file: &str) -> Scored {
    let parser = political::parser();
    let cases: Vec<political::Case> = political::cases(file)
        .into_iter()
        .filter(|c| c.verdict.is_some())
        .collect();
    let mut claims = Vec::new();
    let mut wanted = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let Ok(mut parts) = parser.parse_all(&case.text, case.as_of()) else {
            continue;
        };
        for (k, part) in parts.iter_mut().enumerate() {
            part.claim.id = format!("case-{i}-{k}");
        }
        wanted.push((case, parts.len()));
        claims.extend(parts.into_iter().map(|p| p.claim));
    }
    let app = TestApp::start().await;
    let results = check(&app.app().await, claims, chrono::Utc::now()).await;
    let mut results = results.into_iter();
    let mut wrong = Vec::new();
    let mut silent = Vec::new();
    let mut agree = 0;
    for (case, parts) in &wanted {
        // The sentence's grade is the worst of its parts'.
        let grades: Vec<_> = results
            .by_ref()
            .take(*parts)
            .map(|r| r.verdict.expect("every job settles with a verdict"))
            .collect();
        let worst = grades
            .iter()
            .map(|v| v.verdict.grade)
            .reduce(|a, b| a.worst(b))
            .unwrap();
        let got = serde_json::to_value(worst).unwrap();
        let line = |got: &serde_json::Value| {
            format!(
                "{}\n    want {}, got {got}: {}",
                case.text,
                case.verdict.as_deref().unwrap(),
                grades
                    .iter()
                    .map(|v| v.verdict.explanation.clone())
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        if got.as_str() == case.verdict.as_deref() {
            agree += 1;
        } else if got == "unverifiable" {
            // Silent where the set's writer saw a grade: a cost, not a wrong verdict.
            silent.push(line(&got));
        } else {
            wrong.push(line(&got));
        }
    }
    Scored {
        answered: wanted.len(),
        agree,
        silent,
        wrong,
    }
}

/// How a set's verdicts came out: sentences answered (parsed), the same grade as the set
/// says, `unverifiable` where the set has a grade (silent), and another grade (wrong).
struct Scored {
    answered: usize,
    agree: usize,
    silent: Vec<String>,
    wrong: Vec<String>,
}

fn report(name: &str, total: usize, scored: &Scored) {
    for line in &scored.silent {
        eprintln!("SILENT {line}");
    }
    for line in &scored.wrong {
        eprintln!("WRONG {line}");
    }
    eprintln!(
        "{name}: {total} sentences with a verdict; answered {}, same grade {}, unverifiable {}, other grade {}",
        scored.answered,
        scored.agree,
        scored.silent.len(),
        scored.wrong.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn development_verdicts_are_right_or_absent() {
    let total = political::cases("political_dev.toml")
        .iter()
        .filter(|c| c.verdict.is_some())
        .count();
    let result = verdicts("political_dev.toml").await;
    report("development", total, &result);
    assert!(result.answered >= 20, "too few answered to mean anything");
    assert!(
        result.wrong.is_empty(),
        "{} wrong verdicts",
        result.wrong.len()
    );
}

/// Scores a held-out set: printed, never tuned on; only the counts must add up.
async fn score_held_out(file: &str, name: &str) {
    let total = political::cases(file)
        .iter()
        .filter(|c| c.verdict.is_some())
        .count();
    let result = verdicts(file).await;
    report(name, total, &result);
    assert_eq!(
        result.answered,
        result.agree + result.silent.len() + result.wrong.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn held_out_verdicts_are_scored() {
    score_held_out("political_holdout.toml", "held-out").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn second_held_out_verdicts_are_scored() {
    score_held_out("political_holdout2.toml", "held-out 2").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn third_held_out_verdicts_are_scored() {
    score_held_out("political_holdout3.toml", "held-out 3").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fourth_held_out_verdicts_are_scored() {
    score_held_out("political_holdout4.toml", "held-out 4").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifth_held_out_verdicts_are_scored() {
    score_held_out("political_holdout5.toml", "held-out 5").await;
}
