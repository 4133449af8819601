//! `claimcheck scan FILE`: finds the checkable sentences of an article, stores their claims
//! tagged with the article, verifies them and prints a summary (`--dry-run`: find only).

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use chrono::Utc;
use clap::Args;

use super::verify::{jobs_for, settle, summary};
use crate::app::intake;
use crate::claim::indicator::IndicatorTable;
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK, EXIT_RUNTIME};
use crate::report;
use crate::scan::{tag_for_path, Scan, Scanner};

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

/// Builds the scanner from the config's indicator table.
pub fn scanner(ctx: &Context) -> Result<Scanner> {
    let indicators = ctx.config.indicators.as_deref();
    let parser = intake::parser(indicators).map_err(InputError::cause)?;
    let path = indicators.map_or_else(|| PathBuf::from(intake::INDICATORS_PATH), Path::to_path_buf);
    let table = IndicatorTable::load(&path).map_err(InputError::cause)?;
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
        .map_err(|e| InputError::Message(format!("cannot read {}: {e}", path.display())).into())
}

/// Runs `scan`.
pub async fn run(ctx: &Context, args: &ScanArgs, out: &mut impl Write) -> Result<u8> {
    let text = read_article(&args.file)?;
    let tag = args.tag.clone().unwrap_or_else(|| tag_for_path(&args.file));
    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let scan = scanner(ctx)?.scan(&text, &tag, as_of);
    if args.dry_run {
        print_scan(&scan, args.json, out)?;
        return Ok(EXIT_OK);
    }
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let added = backend.add(scan.claims.clone()).await?;
    backend.put_article(scan.article.clone()).await?;
    let results = settle(&backend, jobs_for(&backend, &added).await?).await?;
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
        if results.is_empty() {
            writeln!(
                out,
                "nothing to check: no sentence with a statistic was found"
            )?;
        } else {
            writeln!(out, "{}", summary(&results))?;
            writeln!(
                out,
                "make a report: claimcheck report --tag {tag} --out report/"
            )?;
        }
    }
    Ok(if results.iter().any(|r| r.outcome().is_err()) {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    })
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
                .map(|c| c.spec().kind_name());
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
        .any(|c| ids.contains(&c.id) && c.subject().is_some())
}
