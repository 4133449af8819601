//! The static report site: an index of claims with verdict counts and filters, one page per
//! claim (sentence with its parsed parts, verdict, chart, evidence with human links, history)
//! and, for scanned articles, the article with each checked sentence marked. HTML comes from
//! the minijinja templates in `templates/`; it works offline from the files.

pub mod chart;
pub mod gather;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context as _, Result};
use minijinja::{context, Environment};
use serde::Serialize;

use crate::claim::sentence::Span;
use crate::claim::{Claim, ClaimSpec};
use crate::scan::Article;
use crate::store::{EditRecord, VerdictRecord};
use crate::verify::Grade;

/// Everything known about one claim for its page.
#[derive(Debug, Clone)]
pub struct ClaimInput {
    /// The claim.
    pub claim: Claim,
    /// Its verdict history, newest first.
    pub history: Vec<VerdictRecord>,
    /// Its recorded edits, newest first (shown in the history with the checks).
    pub edits: Vec<EditRecord>,
    /// The series around the claimed year (from the source, or the verdict's values).
    pub series: Vec<(i32, f64)>,
    /// Where each parsed part sits in the claim text (empty when it was not a sentence).
    pub spans: Vec<Span>,
}

/// What the report is built from.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    /// Report title.
    pub title: String,
    /// The claims.
    pub claims: Vec<ClaimInput>,
    /// Scanned articles whose claims are in the report.
    pub articles: Vec<Article>,
    /// Generation time, shown in the footer.
    pub generated_at: String,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    /// The index page.
    pub index: std::path::PathBuf,
    /// Claim pages written.
    pub claims: usize,
    /// Charts drawn.
    pub charts: usize,
    /// Article pages written.
    pub articles: usize,
}

#[derive(Serialize)]
struct GradeView {
    name: &'static str,
    label: &'static str,
    symbol: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct Segment {
    text: String,
    mark: Option<String>,
    link: Option<String>,
    /// Symbol and words of the verdict, shown after a marked sentence.
    label: Option<String>,
}

#[derive(Serialize)]
struct ClaimView {
    id: String,
    text: String,
    grade: String,
    label: String,
    symbol: String,
    checked_at: String,
    explanation: String,
    tags: Vec<String>,
    note: Option<String>,
    segments: Vec<Segment>,
    chart: Option<String>,
    chart_caption: String,
    evidence: Vec<(String, String)>,
    api_url: Option<String>,
    human_url: Option<String>,
    history: Vec<HistoryView>,
}

#[derive(Serialize)]
struct HistoryView {
    checked_at: String,
    grade: String,
    label: String,
    symbol: String,
    actual: String,
    vintage: String,
    change: String,
}

/// Label and symbol per grade: the symbol and words carry the meaning, colour only helps.
pub fn grade_look(grade: Option<Grade>) -> (&'static str, &'static str, &'static str) {
    match grade {
        Some(Grade::True) => ("true", "True", "✔"),
        Some(Grade::MostlyTrue) => ("mostly-true", "Mostly true", "✓"),
        Some(Grade::HalfTrue) => ("half-true", "Half true", "◐"),
        Some(Grade::MostlyFalse) => ("mostly-false", "Mostly false", "✗"),
        Some(Grade::False) => ("false", "False", "✖"),
        Some(Grade::Unverifiable) => ("unverifiable", "Unverifiable", "?"),
        None => ("unchecked", "Not checked yet", "…"),
    }
}

fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_formatter(html_formatter);
    for (name, source) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("index.html", include_str!("../../templates/index.html")),
        ("claim.html", include_str!("../../templates/claim.html")),
        ("article.html", include_str!("../../templates/article.html")),
    ] {
        env.add_template(name, source)
            .with_context(|| format!("template {name}"))?;
    }
    Ok(env)
}

/// Escapes `&<>"'` in strings (minijinja's default also escapes `/`, which makes every
/// link in the pages unreadable); other values as minijinja writes them.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if !value.is_safe() && state.auto_escape() == minijinja::AutoEscape::Html => out
            .write_str(&html_escape(text))
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `&<>"'` as entities.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One file of the site: its path under the site's root (`index.html`,
/// `claims/<id>.html`, …) and its content.
#[derive(Debug, Clone)]
pub struct Page {
    /// Path under the root, with `/` separators.
    pub path: String,
    /// The content (HTML, SVG or CSS).
    pub body: String,
}

impl Page {
    /// The `Content-Type` to serve it with.
    pub fn content_type(&self) -> &'static str {
        content_type(&self.path)
    }
}

/// The `Content-Type` of a site path, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("svg") => "image/svg+xml",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/html; charset=utf-8",
    }
}

/// The whole site in memory: what `report --out` writes and the daemon serves at `/`.
#[derive(Debug, Clone)]
pub struct Site {
    /// Every file, the index first.
    pub pages: Vec<Page>,
    /// Claim pages.
    pub claims: usize,
    /// Charts drawn.
    pub charts: usize,
    /// Article pages.
    pub articles: usize,
}

impl Site {
    /// The page at `path` (under the root; `""` is the index).
    pub fn page(&self, path: &str) -> Option<&Page> {
        let path = path.trim_start_matches('/');
        let path = if path.is_empty() { "index.html" } else { path };
        self.pages.iter().find(|p| p.path == path)
    }
}

/// Renders every page of the site.
pub fn render_site(input: &SiteInput) -> Result<Site> {
    let env = environment()?;
    let views: Vec<ClaimView> = input.claims.iter().map(claim_view).collect();
    let mut pages = vec![render_index(&env, input, &views)?];
    pages.push(Page {
        path: "style.css".into(),
        body: include_str!("../../templates/style.css").into(),
    });
    let template = env.get_template("claim.html")?;
    for view in &views {
        let body = template.render(context! {
            title => input.title, root => "../", c => view, generated_at => input.generated_at,
        })?;
        pages.push(Page {
            path: format!("claims/{}.html", view.id),
            body,
        });
        if let Some(svg) = &view.chart {
            pages.push(Page {
                path: format!("claims/{}.svg", view.id),
                body: svg.clone(),
            });
        }
    }
    pages.extend(render_articles(&env, input, &views)?);
    Ok(Site {
        pages,
        claims: views.len(),
        charts: views.iter().filter(|v| v.chart.is_some()).count(),
        articles: input.articles.len(),
    })
}

fn render_index(env: &Environment<'_>, input: &SiteInput, views: &[ClaimView]) -> Result<Page> {
    let grades = grade_counts(views);
    let mut tags: Vec<String> = views.iter().flat_map(|v| v.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    let articles: Vec<_> = input
        .articles
        .iter()
        .map(|a| (a.tag.clone(), a.title.clone()))
        .collect();
    let body = env.get_template("index.html")?.render(context! {
        title => input.title, root => "", claims => views, grades => grades, tags => tags,
        articles => articles, generated_at => input.generated_at, total => views.len(),
    })?;
    Ok(Page {
        path: "index.html".into(),
        body,
    })
}

fn render_articles(
    env: &Environment<'_>,
    input: &SiteInput,
    views: &[ClaimView],
) -> Result<Vec<Page>> {
    let grade_of: HashMap<&str, &ClaimView> = views.iter().map(|v| (v.id.as_str(), v)).collect();
    let template = env.get_template("article.html")?;
    input
        .articles
        .iter()
        .map(|article| {
            let body = template.render(context! {
                title => input.title, root => "../", article_title => article.title, tag => article.tag,
                segments => article_segments(article, &grade_of), generated_at => input.generated_at,
                findings => article.findings.len(),
            })?;
            Ok(Page {
                path: format!("articles/{}.html", article.tag),
                body,
            })
        })
        .collect()
}

/// Writes the site into `out` (created if needed).
pub fn write_site(out: &Path, input: &SiteInput) -> Result<SiteSummary> {
    let site = render_site(input)?;
    for dir in [out.to_path_buf(), out.join("claims"), out.join("articles")] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for page in &site.pages {
        write(&out.join(&page.path), &page.body)?;
    }
    Ok(SiteSummary {
        index: out.join("index.html"),
        claims: site.claims,
        charts: site.charts,
        articles: site.articles,
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn grade_counts(views: &[ClaimView]) -> Vec<GradeView> {
    let mut grades: Vec<Option<Grade>> = Grade::ALL.iter().copied().map(Some).collect();
    grades.push(None);
    grades
        .into_iter()
        .map(|g| {
            let (name, label, symbol) = grade_look(g);
            let count = views.iter().filter(|v| v.grade == name).count();
            GradeView {
                name,
                label,
                symbol,
                count,
            }
        })
        .filter(|g| g.count > 0 || g.name != "unchecked")
        .collect()
}

fn claim_view(input: &ClaimInput) -> ClaimView {
    let claim = &input.claim;
    let latest = input.history.first();
    let (grade, label, symbol) = grade_look(latest.map(|r| r.verdict.grade));
    let chart = latest.and_then(|r| chart::claim_chart(claim, &r.verdict, &input.series));
    let ev = latest.map(|r| &r.verdict.evidence);
    ClaimView {
        id: claim.id.clone(),
        text: claim.text.clone(),
        grade: grade.into(),
        label: label.into(),
        symbol: symbol.into(),
        checked_at: latest.map_or("never".into(), |r| {
            r.checked_at.format("%Y-%m-%d %H:%M UTC").to_string()
        }),
        explanation: latest.map_or(String::new(), |r| r.verdict.explanation.clone()),
        tags: claim.tags.clone(),
        note: claim.note.clone(),
        segments: span_segments(&claim.text, &input.spans),
        chart,
        chart_caption: chart_caption(claim),
        evidence: latest.map_or_else(Vec::new, |r| evidence_rows(claim, r)),
        api_url: ev.and_then(|e| e.source_url.clone()),
        human_url: human_url(&claim.spec()),
        history: history_views(input),
    }
}

/// What the chart shows, in words (its text alternative).
fn chart_caption(claim: &Claim) -> String {
    let claim = &claim.spec();
    use crate::claim::{Kind, Relation};
    if claim.kind == Kind::Rank {
        return "The leading economies that year, highest first; the claimed country's bar in orange-red, the others in blue.".into();
    }
    let mark = match claim.relation {
        Relation::Gt | Relation::Gte | Relation::Lt | Relation::Lte | Relation::Between => {
            "the claimed threshold as an orange-red line, the values it allows shaded"
        }
        Relation::Approx | Relation::Nearly => {
            "the claimed value as an orange-red cross, the band its hedge allows shaded"
        }
        Relation::Eq => "the claimed value as an orange-red cross",
    };
    format!("The data series (blue line and dots) around the claimed year; {mark}.")
}

/// Checks and edits, newest first.
fn history_views(input: &ClaimInput) -> Vec<HistoryView> {
    crate::report::timeline(&input.history, &input.edits)
        .into_iter()
        .map(|entry| match entry {
            crate::report::HistoryEntry::Check(r) => history_view(r),
            crate::report::HistoryEntry::Edit(e) => edit_view(e),
        })
        .collect()
}

fn edit_view(e: &EditRecord) -> HistoryView {
    HistoryView {
        checked_at: e.at.format("%Y-%m-%d %H:%M").to_string(),
        grade: "edit".into(),
        label: "Claim edited".into(),
        symbol: "✎".into(),
        actual: "–".into(),
        vintage: "–".into(),
        change: e.change.clone(),
    }
}

fn history_view(r: &VerdictRecord) -> HistoryView {
    let (grade, label, symbol) = grade_look(Some(r.verdict.grade));
    HistoryView {
        checked_at: r.checked_at.format("%Y-%m-%d %H:%M").to_string(),
        grade: grade.into(),
        label: label.into(),
        symbol: symbol.into(),
        actual: r.verdict.evidence.actual.map_or("–".into(), fmt_number),
        vintage: r
            .verdict
            .evidence
            .vintage
            .clone()
            .unwrap_or_else(|| "–".into()),
        change: r
            .change
            .clone()
            .unwrap_or_else(|| "first check or no change".into()),
    }
}

/// Plain number with thousands separators, at most 3 decimals.
pub fn fmt_number(v: f64) -> String {
    let text = format!("{:.3}", v);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let (int, frac) = text.split_once('.').map_or((text, ""), |(i, f)| (i, f));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

fn evidence_rows(claim: &Claim, r: &VerdictRecord) -> Vec<(String, String)> {
    let claim = &claim.spec();
    let e = &r.verdict.evidence;
    let mut rows = vec![("Source".to_string(), e.source.clone())];
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            rows.push((k.to_string(), v));
        }
    };
    push(
        "Indicator",
        e.indicator.as_ref().map(|code| match &e.indicator_name {
            Some(name) => format!("{name} ({code})"),
            None => code.clone(),
        }),
    );
    push(
        "Country",
        e.country_name.clone().or_else(|| claim.country.clone()),
    );
    match &e.rank {
        // A rank claims a place, not a value: place beside place, the value after it (it
        // read "Claimed 1 · Data says 107.638").
        Some(rank) => {
            let end = match rank.order {
                crate::claim::Order::Desc => "highest",
                crate::claim::Order::Asc => "lowest",
            };
            push(
                "Claimed",
                e.claimed.map(|c| format!("place {c} ({end} first)")),
            );
            push(
                "Data says",
                Some(format!(
                    "place {} of {}{}",
                    rank.rank,
                    rank.of,
                    e.actual
                        .map(|v| format!(", at {}", fmt_number(v)))
                        .unwrap_or_default()
                )),
            );
        }
        None => {
            push("Claimed", e.claimed.map(fmt_number));
            push("Data says", e.actual.map(fmt_number));
        }
    }
    let values: Vec<String> = e
        .values
        .iter()
        .map(|v| format!("{}: {}", v.year, fmt_number(v.value)))
        .collect();
    push("Values used", Some(values.join(", ")));
    push(
        "Deviation",
        e.deviation.map(|d| format!("{:+.1}%", d * 100.0)),
    );
    push("Claim read as", e.band.map(|(lo, hi)| band_text(lo, hi)));
    push(
        "Ranking",
        e.rank
            .as_ref()
            .map(|k| format!("{} of {} economies with data", k.rank, k.of)),
    );
    push("Data vintage", e.vintage.clone());
    push(
        "Retrieved",
        e.retrieved_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
    );
    rows
}

fn band_text(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) => format!("{} to {}", fmt_number(l), fmt_number(h)),
        (Some(l), None) => format!("{} or more", fmt_number(l)),
        (None, Some(h)) => format!("up to {}", fmt_number(h)),
        (None, None) => "any value".into(),
    }
}

/// The page a reader can open: data.worldbank.org/indicator/{code}?locations={iso2}.
pub fn human_url(claim: &ClaimSpec) -> Option<String> {
    let code = claim.indicator.as_ref()?;
    let mut url = format!("https://data.worldbank.org/indicator/{code}");
    if let Some(iso2) = claim.country.as_deref().and_then(iso2_of) {
        url.push_str(&format!("?locations={iso2}"));
    }
    Some(url)
}

/// The World Bank's 2-letter code for an ISO3 code, from `config/countries.tsv`.
pub fn iso2_of(iso3: &str) -> Option<String> {
    include_str!("../../config/countries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t'))
        .find_map(|mut cols| {
            let code = cols.next()?;
            let iso2 = cols.next()?;
            (code.eq_ignore_ascii_case(iso3) && !iso2.is_empty()).then(|| iso2.to_string())
        })
}

/// The text cut at the spans (non-overlapping, in order), each part marked with its field.
fn span_segments(text: &str, spans: &[Span]) -> Vec<Segment> {
    let marks: Vec<(usize, usize, String, Option<String>)> = spans
        .iter()
        .map(|s| (s.start, s.end, s.field.to_string(), None))
        .collect();
    segments(text, marks)
}

fn segments(text: &str, mut marks: Vec<(usize, usize, String, Option<String>)>) -> Vec<Segment> {
    marks.sort_by_key(|m| (m.0, std::cmp::Reverse(m.1)));
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, mark, link) in marks {
        let valid = start >= at && end <= text.len() && start < end;
        if !valid || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            out.push(Segment {
                text: text[at..start].into(),
                mark: None,
                link: None,
                label: None,
            });
        }
        out.push(Segment {
            text: text[start..end].into(),
            label: link.as_ref().map(|_| label_for(&mark)),
            mark: Some(mark),
            link,
        });
        at = end;
    }
    if at < text.len() {
        out.push(Segment {
            text: text[at..].into(),
            mark: None,
            link: None,
            label: None,
        });
    }
    out
}

fn article_segments(article: &Article, views: &HashMap<&str, &ClaimView>) -> Vec<Segment> {
    let marks = article
        .findings
        .iter()
        .map(|f| {
            let first = f.claim_ids.iter().find_map(|id| views.get(id.as_str()));
            let grade = worst_grade(f.claim_ids.iter().filter_map(|id| views.get(id.as_str())));
            let link = first.map(|v| format!("../claims/{}.html", v.id));
            (f.start, f.end, grade, link)
        })
        .collect();
    segments(&article.text, marks)
}

/// "✓ Mostly true" for a grade name.
fn label_for(name: &str) -> String {
    let mut grades: Vec<Option<Grade>> = Grade::ALL.iter().copied().map(Some).collect();
    grades.push(None);
    let (_, label, symbol) = grades
        .into_iter()
        .map(grade_look)
        .find(|(n, _, _)| *n == name)
        .unwrap_or(grade_look(None));
    format!("{symbol} {label}")
}

/// The worst latest grade among a sentence's claims (its mark colour).
fn worst_grade<'a>(views: impl Iterator<Item = &'a &'a ClaimView>) -> String {
    let order: BTreeMap<&str, usize> = [
        "false",
        "mostly-false",
        "half-true",
        "mostly-true",
        "true",
        "unverifiable",
        "unchecked",
    ]
    .iter()
    .enumerate()
    .map(|(i, g)| (*g, i))
    .collect();
    views
        .map(|v| v.grade.as_str())
        .min_by_key(|g| order.get(g).copied().unwrap_or(99))
        .unwrap_or("unchecked")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_links() {
        assert_eq!(fmt_number(107.638231), "107.638");
        assert_eq!(fmt_number(40400.0), "40,400");
        assert_eq!(fmt_number(-1234567.5), "-1,234,567.5");
        let mut claim = ClaimSpec::new("x", "x");
        claim.indicator = Some("VC.IHR.PSRC.P5".into());
        claim.country = Some("SLV".into());
        assert_eq!(
            human_url(&claim).unwrap(),
            "https://data.worldbank.org/indicator/VC.IHR.PSRC.P5?locations=SV"
        );
    }

    #[test]
    fn segments_skip_overlaps() {
        let marks = vec![
            (0, 5, "a".to_string(), None),
            (3, 7, "b".to_string(), None),
            (8, 10, "c".to_string(), None),
        ];
        let segs = segments("0123456789", marks);
        let texts: Vec<_> = segs
            .iter()
            .map(|s| (s.text.as_str(), s.mark.as_deref()))
            .collect();
        assert_eq!(
            texts,
            vec![("01234", Some("a")), ("567", None), ("89", Some("c"))]
        );
    }
}
