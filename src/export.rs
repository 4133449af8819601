//! Publishing formats for checked claims: ClaimReview JSON-LD (schema.org, as Google's
//! fact-check documentation describes it), JSON lines, CSV and a Markdown table. Pure: the
//! CLI's `export` gathers claims and latest verdicts and prints what these return.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::claim::Claim;
use crate::report;
use crate::site::{fmt_number, grade_look, human_url};
use crate::store::VerdictRecord;

/// `[publisher]`: who publishes the fact-checks (ClaimReview `author`) and where the report
/// pages live (ClaimReview `url` is `{url}/claims/{id}.html`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PublisherConfig {
    /// Organisation name, e.g. "Example Fact Check".
    pub name: Option<String>,
    /// Base URL the report is published at, e.g. "https://factcheck.example.org/reports".
    pub url: Option<String>,
}

/// Where the claims appeared, when known (the same for every exported claim).
#[derive(Debug, Clone, Default)]
pub struct Appearance {
    /// URL of the article or speech.
    pub url: Option<String>,
    /// Who made the claim.
    pub author: Option<String>,
    /// When it was published (YYYY-MM-DD).
    pub date: Option<String>,
}

/// Whether the record is of a sentence kept from a scan that could not be read as a claim.
fn not_understood(record: &VerdictRecord) -> bool {
    record.verdict.evidence.unverifiable == Some(crate::verify::Unverifiable::NotUnderstood)
}

/// One claim with its latest verdict.
pub type Row<'a> = (&'a Claim, Option<&'a VerdictRecord>);

/// A ClaimReview object for a checked claim. Unverifiable claims get a textual rating
/// only (`alternateName`), no number.
pub fn claim_review(
    claim: &Claim,
    record: &VerdictRecord,
    publisher: &PublisherConfig,
    appearance: &Appearance,
) -> Value {
    let grade = record.verdict.grade;
    let (_, label, _) = grade_look(Some(grade));
    let mut rating = json!({
        "@type": "Rating",
        "alternateName": label,
        "ratingExplanation": record.verdict.explanation,
    });
    if let Some(value) = grade.rating() {
        rating["ratingValue"] = json!(value);
        rating["bestRating"] = json!(5);
        rating["worstRating"] = json!(1);
    }
    let mut review = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim.text,
        "datePublished": record.checked_at.format("%Y-%m-%d").to_string(),
        "reviewRating": rating,
        "itemReviewed": item_reviewed(appearance),
    });
    if let Some(name) = &publisher.name {
        let mut author = json!({ "@type": "Organization", "name": name });
        if let Some(url) = &publisher.url {
            author["url"] = json!(url);
        }
        review["author"] = author;
    }
    if let Some(base) = &publisher.url {
        review["url"] = json!(format!(
            "{}/claims/{}.html",
            base.trim_end_matches('/'),
            claim.id
        ));
    }
    review
}

fn item_reviewed(appearance: &Appearance) -> Value {
    let mut item = json!({ "@type": "Claim" });
    if let Some(url) = &appearance.url {
        item["appearance"] = json!([{ "@type": "CreativeWork", "url": url }]);
    }
    if let Some(author) = &appearance.author {
        item["author"] = json!({ "@type": "Organization", "name": author });
    }
    if let Some(date) = &appearance.date {
        item["datePublished"] = json!(date);
    }
    item
}

/// ClaimReview JSON-LD for every checked row, as one array (fits a
/// `<script type="application/ld+json">`).
pub fn claim_reviews(
    rows: &[Row<'_>],
    publisher: &PublisherConfig,
    appearance: &Appearance,
) -> Value {
    Value::Array(
        rows.iter()
            // A sentence the scan could not read was never checked: no review of it.
            .filter(|(_, r)| r.is_some_and(|r| !not_understood(r)))
            .filter_map(|(c, r)| r.map(|r| claim_review(c, r, publisher, appearance)))
            .collect(),
    )
}

/// One JSON object per claim: the claim (claim-file keys) and its latest verdict or null.
pub fn json_lines(rows: &[Row<'_>]) -> String {
    rows.iter()
        .map(|(c, r)| {
            let latest = r.map_or(Value::Null, |r| report::verdict_json(c, r));
            format!(
                "{}\n",
                json!({ "claim": report::claim_json(c), "latest": latest })
            )
        })
        .collect()
}

const CSV_HEADER: [&str; 15] = [
    "id",
    "text",
    "verdict",
    "rating",
    "claimed",
    "actual",
    "year",
    "country",
    "indicator",
    "vintage",
    "checked_at",
    "explanation",
    "source_url",
    "data_url",
    "tags",
];

/// CSV with a header row; one row per claim.
pub fn csv(rows: &[Row<'_>]) -> anyhow::Result<String> {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_HEADER)?;
    for (claim, record) in rows {
        out.write_record(csv_row(claim, *record))?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

fn csv_row(claim: &Claim, record: Option<&VerdictRecord>) -> Vec<String> {
    let claim = &claim.spec();
    let ev = record.map(|r| &r.verdict.evidence);
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        text_cell(&claim.id),
        text_cell(&claim.text),
        opt(record.map(|r| r.verdict.grade.to_string())),
        opt(record
            .and_then(|r| r.verdict.grade.rating())
            .map(|n| n.to_string())),
        opt(ev.and_then(|e| e.claimed).map(|v| v.to_string())),
        // For a rank, `claimed` is a place: `actual` is the place found (the value is in
        // the explanation), so the two columns compare like with like.
        opt(ev.and_then(|e| match &e.rank {
            Some(rank) => Some(rank.rank.to_string()),
            None => e.actual.map(|v| v.to_string()),
        })),
        // A claim with no year ("is still above 30") was checked on a year: that one.
        opt(claim
            .year
            .or_else(|| ev.and_then(|e| e.years.last().copied()))
            .map(|y| y.to_string())),
        opt(claim.country.clone()),
        opt(claim.indicator.clone()),
        opt(ev.and_then(|e| e.vintage.clone())),
        opt(record.map(|r| r.checked_at.to_rfc3339())),
        opt(record.map(|r| text_cell(&r.verdict.explanation))),
        opt(ev.and_then(|e| e.source_url.clone())),
        opt(human_url(claim)),
        text_cell(&claim.tags.join(";")),
    ]
}

/// A free-text cell as spreadsheets will not run it: text from articles and the API that
/// starts like a formula (`=HYPERLINK(…)`, `+`, `-`, `@`) gets a leading apostrophe.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A Markdown table (verdict, claim, what the data says) and the explanations below it.
pub fn markdown(rows: &[Row<'_>]) -> String {
    let mut out = String::from("| Verdict | Claim | Data says | Data |\n|---|---|---|---|\n");
    for (claim, record) in rows {
        let (_, label, symbol) = grade_look(record.map(|r| r.verdict.grade));
        let actual = record
            .and_then(|r| r.verdict.evidence.actual)
            .map_or("–".into(), fmt_number);
        let link = human_url(&claim.spec()).map_or("–".into(), |u| format!("[World Bank]({u})"));
        out.push_str(&format!(
            "| {symbol} {label} | {} | {actual} | {link} |\n",
            md_cell(&claim.text)
        ));
    }
    out.push('\n');
    for (claim, record) in rows {
        if let Some(r) = record {
            out.push_str(&format!(
                "- **{}**: {}\n",
                claim.id,
                md_cell(&r.verdict.explanation)
            ));
        }
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_pipes() {
        let claim = crate::claim::ClaimSpec::new("a", "x | y")
            .validate(crate::claim::country::Countries::shared())
            .unwrap();
        let md = markdown(&[(&claim, None)]);
        assert!(md.contains("x \\| y"), "{md}");
        assert!(md.contains("Not checked yet"));
    }
}
