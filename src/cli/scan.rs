//! `claimcheck scan FILE`: finds the checkable sentences of an article, stores their claims
//! tagged with the article, verifies them and prints a summary (`--dry-run`: find only).

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use chrono::Utc;
use clap::Args;

use super::backend::Backend;
use super::{run_checks, summary, App, InputError, EXIT_OK, EXIT_RUNTIME};
use crate::claim::indicator::IndicatorTable;
use crate::report;
use crate::scan::{tag_for_path, Article, Scan, Scanner};

/// `scan` options.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The article as plain text (`-` reads stdin)
    pub file: PathBuf,
    /// Date the article was written, for "last year" [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Tag for the article's claims [default: the file name without extension]
    #[arg(long)]
    pub tag: Option<String>,
    /// List what was found without storing or verifying
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object: the findings, the claims and the verdicts
    #[arg(long)]
    pub json: bool,
}

/// The metadata key an article is kept under.
pub fn article_key(tag: &str) -> String {
    format!("article/{tag}")
}

/// Builds the scanner from the config's indicator table.
pub(super) fn scanner(app: &App) -> Result<Scanner> {
    let parser = app
        .config
        .sentence_parser()
        .map_err(|e| InputError(e.to_string()))?;
    let path = app
        .config
        .indicators
        .clone()
        .unwrap_or_else(|| PathBuf::from("config/indicators.toml"));
    let table = IndicatorTable::load(&path).map_err(|e| InputError(e.to_string()))?;
    Ok(Scanner::new(parser, &table))
}

fn read_article(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the article from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())).into())
}

/// Runs `scan`.
pub(super) async fn run(app: &App, args: &ScanArgs, out: &mut impl Write) -> Result<u8> {
    let text = read_article(&args.file)?;
    let tag = args.tag.clone().unwrap_or_else(|| tag_for_path(&args.file));
    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let scan = scanner(app)?.scan(&text, &tag, as_of);
    if args.dry_run {
        print_scan(&scan, args.json, out)?;
        return Ok(EXIT_OK);
    }
    let backend = app.backend().await?;
    backend.put_claims(scan.claims.clone()).await?;
    keep_article(&backend, &scan.article).await?;
    let results = run_checks(&backend, &scan.claims).await?;
    if args.json {
        let mut value = scan_json(&scan);
        value["results"] = results.iter().map(report::result_json).collect();
        writeln!(out, "{value}")?;
    } else {
        print_scan(&scan, false, out)?;
        writeln!(out)?;
        for result in &results {
            writeln!(out, "{}\n", report::result_text(result))?;
        }
        writeln!(out, "{}", summary(&results))?;
        writeln!(
            out,
            "make a report: claimcheck report --tag {tag} --out report/"
        )?;
    }
    Ok(if results.iter().any(|r| r.outcome.is_err()) {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    })
}

/// Keeps the article text and findings for the report (on the database directly; a running
/// daemon's API has no place for it yet, so the report then shows the claims only).
async fn keep_article(backend: &Backend, article: &Article) -> Result<()> {
    match backend {
        Backend::Local { store, .. } => {
            store.put_meta(&article_key(&article.tag), article)?;
            store.flush().await?;
        }
        Backend::Daemon(_) => tracing::warn!(
            "a daemon holds the database: the article text is not kept, the report lists its claims only"
        ),
    }
    Ok(())
}

fn scan_json(scan: &Scan) -> serde_json::Value {
    serde_json::json!({
        "tag": scan.article.tag,
        "title": scan.article.title,
        "sentences": scan.article.sentences,
        "findings": scan.article.findings,
        "claims": scan.claims.iter().map(report::claim_json).collect::<Vec<_>>(),
    })
}

fn print_scan(scan: &Scan, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        writeln!(out, "{}", scan_json(scan))?;
        return Ok(());
    }
    let a = &scan.article;
    let (checkable, refused): (Vec<_>, Vec<_>) = a
        .findings
        .iter()
        .partition(|f| f.not_checkable.is_empty() || has_indicator(scan, &f.claim_ids));
    writeln!(
        out,
        "{} sentences, {} with a checkable statistic: {} turned into claims, {} found but not checkable",
        a.sentences,
        a.findings.len(),
        checkable.len(),
        refused.len()
    )?;
    for f in &checkable {
        writeln!(out, "\n  checkable: {}", report::truncate(&f.text, 110))?;
        for id in &f.claim_ids {
            let kind = scan
                .claims
                .iter()
                .find(|c| &c.id == id)
                .map(|c| c.kind_name());
            writeln!(out, "    → {id} ({})", kind.unwrap_or("value"))?;
        }
        for why in &f.not_checkable {
            writeln!(out, "    (part not checkable: {why})")?;
        }
    }
    for f in &refused {
        writeln!(out, "\n  not checkable: {}", report::truncate(&f.text, 110))?;
        writeln!(out, "    why: {}", f.not_checkable.join("; "))?;
    }
    Ok(())
}

fn has_indicator(scan: &Scan, ids: &[String]) -> bool {
    scan.claims
        .iter()
        .any(|c| ids.contains(&c.id) && c.indicator.is_some())
}
