//! `claimcheck add`: one claim from a sentence (parsed and shown) or from flags (validated),
//! stored and verified at once; or the claims of a file (as `import`).

use std::io::Write;

use anyhow::Result;
use chrono::Utc;

use super::verify::{print_results, settle, Waiting};
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
    if args.text.is_none() {
        return Err(InputError::Message(format!(
            "nothing to add: give a sentence, --file, or --text with the claim's flags\n\n{}",
            crate::cli::args::ADD_FORMS
        ))
        .into());
    }
    let claim = args
        .to_spec()
        .validate(&Countries::embedded())
        .map_err(|e| InputError::Message(format!("cannot add claim: {e}")))?;
    if args.json {
        writeln!(out, "{}", report::claim_json(&claim))?;
    }
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let claims = kept_labels(&backend, vec![claim]).await;
    store_and_verify(&backend, claims, args.json, out).await
}

/// The claims with the labels (tags, schedule, note) of the stored claim of the same id
/// where none was given: adding a claim again, to correct a word, is no reason to drop its
/// tags (a trial's claim left `export --tag seed-article` that way). Labels given replace
/// the stored ones; `edit` removes them.
async fn kept_labels(
    backend: &Backend,
    mut claims: Vec<crate::claim::Claim>,
) -> Vec<crate::claim::Claim> {
    for claim in &mut claims {
        let Ok(stored) = backend.show(&claim.id).await else {
            continue; // a new claim (or the store says why at storing)
        };
        let stored = stored.claim;
        if claim.tags.is_empty() {
            claim.tags = stored.tags;
        }
        if claim.schedule.is_none() {
            claim.schedule = stored.schedule;
        }
        if claim.note.is_none() {
            claim.note = stored.note;
        }
    }
    claims
}

/// Stores the claims (the parts of one sentence, or one claim) and, for those new or
/// changed, waits for their verification (here, or by the daemon) and prints the recorded
/// edits and the verdicts.
pub(super) async fn store_and_verify(
    backend: &Backend,
    claims: Vec<crate::claim::Claim>,
    json: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let added = backend.add(claims).await?;
    let mut jobs = Waiting::default();
    for added in &added {
        let Some(job) = &added.job else {
            if !json {
                writeln!(
                    out,
                    "unchanged {}: already stored as it is; `claimcheck verify {}` checks it again",
                    added.claim.id, added.claim.id
                )?;
            }
            continue;
        };
        jobs.job(job.id);
        if !json {
            writeln!(out, "{} {}", added.upsert.as_str(), added.claim.id)?;
            if let Some(edit) = &added.edit {
                writeln!(out, "  {}", edit.change)?;
            }
        }
    }
    if jobs.is_empty() {
        return Ok(EXIT_OK);
    }
    let results = settle(backend, jobs).await?;
    if json {
        return Ok(EXIT_OK);
    }
    writeln!(out)?;
    print_results(&results, false, None, out)
}

/// `add "sentence"`: parse, show what was understood (each claim of the sentence), store and
/// verify them. Labels (`--id`, `--tag`, `--schedule`, `--note`) apply as they do to a
/// sentence sent to the API; flags that state the claim itself are refused, never dropped.
async fn add_sentence(
    ctx: &Context,
    sentence: &str,
    args: &AddArgs,
    out: &mut impl Write,
) -> Result<u8> {
    let mut body = args.to_spec();
    body.text = sentence.to_string();
    body.id = args.id.clone().unwrap_or_default();
    let structural = intake::structural_keys(&body);
    if !structural.is_empty() {
        let flags: Vec<String> = structural
            .iter()
            .map(|key| format!("--{}", key.trim_matches('`').replace('_', "-")))
            .collect();
        return Err(InputError::Message(format!(
            "{} cannot be combined with a sentence: say it in the sentence, or give --text with --indicator and --country to state the claim flag by flag",
            flags.join(", ")
        ))
        .into());
    }
    let parser = intake::parser(ctx.config.indicators.as_deref()).map_err(InputError::cause)?;
    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let mut parts = match parser.parse_all(sentence, as_of) {
        Ok(parts) => parts,
        Err(e) => {
            // Scripts read stdout: the refusal and the words it names, as JSON.
            if args.json {
                writeln!(out, "{}", report::refusal_json(sentence, &e))?;
            }
            let message = format!("cannot turn this sentence into a claim: {e}");
            return Err(InputError::Message(message).into());
        }
    };
    let claims = parts.iter().map(|p| p.claim.clone()).collect();
    let claims = intake::labelled(claims, &body, &Countries::embedded())
        .map_err(|e| InputError::Message(format!("cannot add claim: {e}")))?;
    for (parsed, claim) in parts.iter_mut().zip(&claims) {
        parsed.claim = claim.clone();
    }
    if parts.len() > 1 && !args.json {
        writeln!(
            out,
            "This sentence makes {} claims; each is checked, and the sentence is as good as its worst part.\n",
            parts.len()
        )?;
    }
    for parsed in &parts {
        if args.json {
            let mut value = report::claim_json(&parsed.claim);
            value["spans"] = serde_json::to_value(&parsed.spans)?;
            value["notes"] = serde_json::to_value(&parsed.notes)?;
            writeln!(out, "{value}")?;
        } else {
            write!(out, "{}", report::parse_text(parsed))?;
        }
    }
    if args.dry_run {
        return Ok(EXIT_OK);
    }
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let claims = kept_labels(&backend, claims).await;
    store_and_verify(&backend, claims, args.json, out).await
}
