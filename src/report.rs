//! Rendering results for people (tables, verdict details) and for scripts (one JSON object
//! per line).

use serde_json::{json, Value};

use crate::api::types::JobResult;
use crate::claim::number::human;
use crate::claim::Claim;
use crate::store::{EditRecord, VerdictRecord};

/// The JSON line `verify --json` prints for one claim.
pub fn result_json(result: &JobResult) -> Value {
    let claim = &result.claim;
    match &result.outcome() {
        Ok(record) => {
            let mut json = verdict_json(claim, record);
            // True when nothing the last verdict stood on changed, so it was repeated
            // without judging (see `crate::inputs`).
            json["settled_at_once"] = result.job.was_settled_at_once().into();
            json
        }
        Err(failure) => json!({
            "id": claim.id,
            "text": claim.text,
            "verdict": null,
            "error": failure.reason,
            "retryable": failure.retryable,
        }),
    }
}

/// A verdict record as JSON, with the keys scripts rely on.
pub fn verdict_json(claim: &Claim, record: &VerdictRecord) -> Value {
    let e = &record.verdict.evidence;
    json!({
        "id": claim.id,
        "text": claim.text,
        "verdict": record.verdict.grade,
        "rating": record.verdict.grade.rating(),
        "claimed": e.claimed,
        "actual": e.actual,
        "year": claim.spec().year.or_else(|| e.years.last().copied()),
        "years": e.years,
        "deviation": e.deviation,
        "indicator": e.indicator,
        "indicator_name": e.indicator_name,
        "country": e.country,
        "source": e.source,
        "source_url": e.source_url,
        "page_url": e.page_url,
        "vintage": e.vintage,
        "retrieved_at": e.retrieved_at,
        "checked_at": record.checked_at,
        "explanation": record.verdict.explanation,
        "change": record.change,
        "evidence": e,
    })
}

/// The JSON object `list --json` prints for one claim.
pub fn list_json(claim: &Claim, latest: Option<&VerdictRecord>) -> Value {
    json!({
        "id": claim.id,
        "text": claim.text,
        "verdict": latest.map(|r| r.verdict.grade),
        "checked_at": latest.map(|r| r.checked_at),
    })
}

/// A sentence that could not be read, as JSON for scripts: the reason, and the words no part
/// of a claim used with what each is (empty when the reason is something else, such as no
/// statistic found).
pub fn refusal_json(text: &str, error: &crate::claim::sentence::ParseError) -> Value {
    let unhandled: Vec<Value> = match error {
        crate::claim::sentence::ParseError::Unaccounted(words) => words
            .iter()
            .map(|u| json!({"words": u.words, "kind": u.kind, "why": u.kind.explain()}))
            .collect(),
        _ => Vec::new(),
    };
    json!({"text": text, "refused": error.to_string(), "unhandled": unhandled})
}

/// A claim as JSON with the claim-file keys.
pub fn claim_json(claim: &Claim) -> Value {
    serde_json::to_value(claim).expect("claims serialize")
}

/// One result for people: grade and id, then the explanation (or the failure) indented.
pub fn result_text(result: &JobResult) -> String {
    match &result.outcome() {
        Ok(record) => {
            let mut text = format!(
                "{:<13} {}\n{}",
                record.verdict.grade.as_str(),
                result.claim.id,
                indent(&record.verdict.explanation)
            );
            if let Some(change) = &record.change {
                text.push_str(&format!(
                    "\n{}",
                    indent(&format!("Changed since last check: {change}."))
                ));
            }
            text
        }
        Err(failure) => format!(
            "{:<13} {}\n{}",
            "not checked",
            result.claim.id,
            indent(&format!(
                "{}{}",
                failure.reason,
                if failure.retryable {
                    " (temporary: try again later)"
                } else {
                    ""
                }
            ))
        ),
    }
}

/// A claim with its evidence and history, for `show`.
pub fn show_text(claim: &Claim, history: &[VerdictRecord], edits: &[EditRecord]) -> String {
    let claim = &claim.spec();
    let mut out = format!("{}\n  {}\n", claim.id, claim.text);
    out.push_str(&format!("  {}\n", claim_keys(claim).join(" · ")));
    let Some(latest) = history.first() else {
        out.push_str("\nNot verified yet: run `claimcheck verify ");
        out.push_str(&claim.id);
        out.push_str("`.\n");
        if !edits.is_empty() {
            out.push_str(&history_text(history, edits));
        }
        return out;
    };
    out.push_str(&format!(
        "\nVerdict: {}  (checked {})\n",
        latest.verdict.grade,
        latest.checked_at.format("%Y-%m-%d %H:%M UTC")
    ));
    out.push_str(&indent(&latest.verdict.explanation));
    out.push_str("\n\nEvidence\n");
    let rows = evidence_rows(&latest.verdict.evidence);
    for (key, value) in rows {
        out.push_str(&format!("  {key:<10} {value}\n"));
    }
    out.push_str(&history_text(history, edits));
    out
}

/// The claim's keys in one line: kind, indicator, country, years, value.
fn claim_keys(claim: &crate::claim::ClaimSpec) -> Vec<String> {
    let mut keys = vec![format!("kind: {}", claim.kind_name())];
    if let Some(i) = &claim.indicator {
        keys.push(format!("indicator: {i}"));
    }
    if let Some(c) = &claim.country {
        keys.push(format!("country: {c}"));
    }
    match (claim.from_year, claim.year) {
        (Some(a), Some(b)) => keys.push(format!("years: {a}–{b}")),
        (None, Some(y)) => keys.push(format!("year: {y}")),
        _ => {}
    }
    if let Some(v) = claim.value {
        keys.push(format!("value: {} ({})", human(v, 6), claim.relation));
    }
    keys
}

/// The evidence as (label, value) rows.
// Long but flat: one row per evidence field, in the order `show` prints them.
fn evidence_rows(e: &crate::verify::Evidence) -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&'static str, String)> = vec![("source", e.source.clone())];
    if let Some(i) = &e.indicator {
        let name = e
            .indicator_name
            .as_deref()
            .map(|n| format!(" — {n}"))
            .unwrap_or_default();
        rows.push(("indicator", format!("{i}{name}")));
    }
    if let Some(c) = &e.country {
        rows.push((
            "country",
            format!("{c} {}", e.country_name.as_deref().unwrap_or("")),
        ));
    }
    if !e.values.is_empty() {
        let values: Vec<String> = e
            .values
            .iter()
            .map(|v| format!("{}: {}", v.year, human(v.value, 6)))
            .collect();
        rows.push(("values", values.join(", ")));
    }
    if let Some(a) = e.actual {
        rows.push(("actual", human(a, 6)));
    }
    if let Some(c) = e.claimed {
        rows.push(("claimed", human(c, 6)));
    }
    if let Some(d) = e.deviation {
        rows.push(("deviation", format!("{:+.2}%", d * 100.0)));
    }
    if let Some((lo, hi)) = e.band {
        let end = |x: Option<f64>, open: &str| x.map_or(open.to_string(), |v| human(v, 6));
        rows.push(("band", format!("{} to {}", end(lo, "−∞"), end(hi, "∞"))));
    }
    if let Some(rank) = &e.rank {
        let leaders: Vec<String> = rank
            .leaders
            .iter()
            .map(|l| format!("{} {}", l.iso3, human(l.value, 2)))
            .collect();
        rows.push((
            "rank",
            format!(
                "{} of {} ({}); top: {}",
                rank.rank,
                rank.of,
                rank.order,
                leaders.join(", ")
            )
            .to_lowercase(),
        ));
    }
    if let Some(u) = &e.source_url {
        rows.push(("request", u.clone()));
    }
    if let Some(u) = &e.page_url {
        rows.push(("page", u.clone()));
    }
    if let Some(c) = &e.corroboration {
        let value = c.value.map_or("no value".to_string(), |v| v.to_string());
        let vintage = c.vintage.as_deref().unwrap_or("not stated");
        rows.push((
            "other",
            format!("{} {}: {value} (data of {vintage})", c.source, c.indicator),
        ));
        if let Some(u) = &c.page_url {
            rows.push(("", u.clone()));
        }
    }
    rows.push((
        "vintage",
        e.vintage.clone().unwrap_or_else(|| "not stated".into()),
    ));
    if let Some(t) = e.retrieved_at {
        rows.push(("retrieved", t.format("%Y-%m-%d %H:%M:%S UTC").to_string()));
    }
    rows
}

/// One entry of a claim's history: a check or an edit.
#[derive(Debug, Clone, Copy)]
pub enum HistoryEntry<'a> {
    /// A check and its verdict.
    Check(&'a VerdictRecord),
    /// A recorded edit of the claim.
    Edit(&'a EditRecord),
}

impl HistoryEntry<'_> {
    /// When it happened.
    pub fn at(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            Self::Check(r) => r.checked_at,
            Self::Edit(e) => e.at,
        }
    }
}

/// Checks and edits together, newest first (an edit before the check it caused).
pub fn timeline<'a>(
    history: &'a [VerdictRecord],
    edits: &'a [EditRecord],
) -> Vec<HistoryEntry<'a>> {
    let mut all: Vec<HistoryEntry<'a>> = history
        .iter()
        .map(HistoryEntry::Check)
        .chain(edits.iter().map(HistoryEntry::Edit))
        .collect();
    all.sort_by_key(|e| std::cmp::Reverse(e.at()));
    all
}

/// The history as JSON, newest first: `{"at", "event": "check"|"edit", "change", …}`.
pub fn timeline_json(history: &[VerdictRecord], edits: &[EditRecord]) -> Vec<Value> {
    timeline(history, edits)
        .into_iter()
        .map(|entry| match entry {
            HistoryEntry::Check(r) => json!({
                "at": r.checked_at, "event": "check", "verdict": r.verdict.grade.as_str(),
                "vintage": r.verdict.evidence.vintage, "change": r.change,
            }),
            HistoryEntry::Edit(e) => json!({ "at": e.at, "event": "edit", "change": e.change }),
        })
        .collect()
}

/// The "History" section of `show`: checks and edits, newest first.
fn history_text(history: &[VerdictRecord], edits: &[EditRecord]) -> String {
    let edited = match edits.len() {
        0 => String::new(),
        1 => ", 1 edit".to_string(),
        n => format!(", {n} edits"),
    };
    let checks = match history.len() {
        1 => "1 check".to_string(),
        n => format!("{n} checks"),
    };
    let mut out = format!("\nHistory ({checks}{edited}, newest first)\n");
    for entry in timeline(history, edits) {
        let line = match entry {
            HistoryEntry::Check(record) => format!(
                "  {}  {:<13} {}{}\n",
                record.checked_at.format("%Y-%m-%d %H:%M"),
                record.verdict.grade.as_str(),
                record
                    .verdict
                    .evidence
                    .vintage
                    .as_deref()
                    .map(|v| format!("data of {v}"))
                    .unwrap_or_default(),
                record
                    .change
                    .as_deref()
                    .map(|c| format!("  — {c}"))
                    .unwrap_or_default()
            ),
            HistoryEntry::Edit(edit) => {
                format!("  {}  {}\n", edit.at.format("%Y-%m-%d %H:%M"), edit.change)
            }
        };
        out.push_str(&line);
    }
    out
}

/// What the sentence parser understood, field by field with the words it used.
pub fn parse_text(parsed: &crate::claim::sentence::Parsed) -> String {
    let c = &parsed.claim.spec();
    let from = |field: &str| {
        let texts: Vec<String> = parsed
            .spans
            .iter()
            .filter(|s| s.field == field)
            .map(|s| format!("\"{}\"", s.text))
            .collect();
        if texts.is_empty() {
            String::new()
        } else {
            format!("   ← {}", texts.join(", "))
        }
    };
    let iso3 = c.country.clone().unwrap_or_default();
    let country = match crate::claim::country::Countries::embedded().name(&iso3) {
        Some(name) => format!("{iso3} ({name})"),
        None => iso3,
    };
    let indicator = format!(
        "{} ({})",
        c.indicator.clone().unwrap_or_default(),
        parsed.indicator_name
    );
    let mut rows = vec![
        ("country", country, from("country")),
        ("indicator", indicator, from("indicator")),
    ];
    let latest = match c.latest_by {
        Some(by) => format!("latest with data up to {by}"),
        None => "latest with data".into(),
    };
    match (c.from_year, c.year, c.span_years) {
        (Some(a), Some(b), _) => rows.push(("years", format!("{a}–{b}"), from("year"))),
        (Some(a), None, _) => rows.push(("years", format!("{a}–{latest}"), from("year"))),
        (None, _, Some(n)) => rows.push((
            "years",
            format!("the {n} years to the {latest}"),
            from("from_year"),
        )),
        (None, Some(y), _) => rows.push(("year", y.to_string(), from("year"))),
        _ => rows.push(("year", latest, String::new())),
    }
    rows.push(("kind", c.kind_name().to_string(), from("kind")));
    if !c.among.is_empty() {
        rows.push(("among", c.among.join(", "), from("among")));
    }
    if let Some(rank) = c.rank {
        rows.push((
            "rank",
            format!("{rank} ({})", c.order.unwrap_or_default()),
            String::new(),
        ));
    }
    if let Some(v) = c.value {
        rows.push(("value", human(v, 6), from("value")));
    }
    rows.push((
        "relation",
        serde_json::to_value(c.relation)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        from("relation"),
    ));
    if let Some(d) = c.direction {
        rows.push(("direction", d.to_string(), from("direction")));
    }
    let signed = |v: f64| format!("{}{}", if v > 0.0 { "+" } else { "" }, human(v, 6));
    let amounts = [
        ("from", c.from_value.map(|v| human(v, 6)), "from_value"),
        // "by a third" is -33.333…%: two places say it (the check uses the exact figure).
        (
            "change",
            c.change_pct
                .map(|p| format!("{}{}%", if p > 0.0 { "+" } else { "" }, human(p, 2))),
            "change_pct",
        ),
        (
            "factor",
            c.factor.map(|f| format!("×{}", human(f, 3))),
            "factor",
        ),
        ("change", c.change_abs.map(signed), "change_abs"),
    ];
    for (key, value, field) in amounts {
        if let Some(value) = value {
            rows.push((key, value, from(field)));
        }
    }
    if let Some(extreme) = c.extreme {
        let window = match (c.window_years, c.since) {
            (Some(n), _) => format!("in the {n} years before"),
            (None, Some(y)) => format!("since {y}"),
            (None, None) => "in every year with data".into(),
        };
        rows.push((
            "record",
            format!(
                "the {} {window}",
                if extreme == crate::claim::Extreme::Max {
                    "highest"
                } else {
                    "lowest"
                }
            ),
            String::new(),
        ));
    }
    if c.negated {
        rows.push((
            "negated",
            "yes: the sentence denies this claim".into(),
            from("negated"),
        ));
    }
    let mut out = format!("understood: {}\n", c.text);
    for (key, value, source) in rows {
        out.push_str(&format!("  {key:<10} {value}{source}\n"));
    }
    for note in &parsed.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    out
}

/// A plain text table with a header row; the last column is cut to keep lines short.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == cells.len() {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.clone()));
        out.push('\n');
    }
    out
}

/// Shortens text to `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
