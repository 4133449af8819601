//! `claimcheck add`: one claim from a sentence (parsed, shown, stored and verified), from
//! flags (validated and stored; its verification is queued), or the claims of a file.

use std::io::Write;

use anyhow::Result;
use chrono::Utc;

use super::verify::{print_results, settle};
use crate::app::intake;
use crate::claim::country::Countries;
use crate::cli::args::AddArgs;
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK};
use crate::report;

/// Runs the command.
pub async fn run(ctx: &Context, args: &AddArgs, out: &mut impl Write) -> Result<u8> {
    if let Some(path) = &args.file {
        return super::import::run(ctx, std::slice::from_ref(path), args.json, out).await;
    }
    if let Some(sentence) = &args.sentence {
        return add_sentence(ctx, sentence, args, out).await;
    }
    let claim = args
        .to_claim()
        .validate(&Countries::embedded())
        .map_err(|e| InputError(format!("cannot add claim: {e}")))?;
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let added = backend.add(vec![claim]).await?.remove(0);
    if args.json {
        writeln!(out, "{}", report::claim_json(&added.claim))?;
        return Ok(EXIT_OK);
    }
    write!(out, "{} {}", added.upsert.as_str(), added.claim.id)?;
    match &added.job {
        Some(job) => writeln!(
            out,
            ": verification queued as job {}; `claimcheck verify {}` checks it now",
            job.id, added.claim.id
        )?,
        None => writeln!(out, " (already stored as it is)")?,
    }
    Ok(EXIT_OK)
}

/// `add "sentence"`: parse, show what was understood, store and verify.
async fn add_sentence(
    ctx: &Context,
    sentence: &str,
    args: &AddArgs,
    out: &mut impl Write,
) -> Result<u8> {
    let parser =
        intake::parser(ctx.config.indicators.as_deref()).map_err(|e| InputError(e.to_string()))?;
    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let parsed = parser
        .parse(sentence, as_of)
        .map_err(|e| InputError(format!("cannot turn this sentence into a claim: {e}")))?;
    if args.json {
        let mut value = report::claim_json(&parsed.claim);
        value["spans"] = serde_json::to_value(&parsed.spans)?;
        value["notes"] = serde_json::to_value(&parsed.notes)?;
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{}", report::parse_text(&parsed))?;
    }
    if args.dry_run {
        return Ok(EXIT_OK);
    }
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let added = backend.add(vec![parsed.claim]).await?.remove(0);
    let enqueued = backend.verify(vec![added.claim.id.clone()]).await?;
    let jobs: Vec<u64> = enqueued.iter().map(|e| e.job.id).collect();
    let results = settle(&backend, &jobs).await?;
    if args.json {
        return Ok(EXIT_OK);
    }
    writeln!(out, "{} {}\n", added.upsert.as_str(), added.claim.id)?;
    print_results(&results, false, None, out)
}
