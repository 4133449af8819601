//! `claimcheck edit ID --value 107.6 …`: changes the given claim-file keys of a stored
//! claim, keeps the others, stores the new version (the app records the edit in the claim's
//! history) and re-checks it.

use std::io::Write;

use anyhow::Result;

use super::add::store_and_verify;
use crate::claim::country::Countries;
use crate::cli::args::EditArgs;
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError};
use crate::report;

/// Runs the command.
pub async fn run(ctx: &Context, args: &EditArgs, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let stored = backend.show(&args.id).await?.claim.spec();
    let mut spec = stored.clone();
    if !args.apply(&mut spec) {
        // Flags given that match what is stored are no edit either, but say so.
        let mut blank = crate::claim::ClaimSpec::new(String::new(), String::new());
        let message = if args.apply(&mut blank) {
            format!(
                "nothing to change in {}: it already has the values given (`claimcheck show {}` lists them)",
                args.id, args.id
            )
        } else {
            format!(
                "nothing to change in {}: give the keys to change as flags, e.g. `claimcheck edit {} --value 107.6` (`claimcheck edit --help` lists them)",
                args.id, args.id
            )
        };
        return Err(InputError::Message(message).into());
    }
    let disagree = text_disagrees(ctx, &spec, &stored)?;
    if !disagree.is_empty() {
        let hint = if spec.text == stored.text {
            "give the new wording with --text too"
        } else {
            "give the keys the new text states too (flags such as --value), or `claimcheck add` the new sentence as a claim of its own"
        };
        return Err(InputError::Message(format!(
            "cannot edit claim {}: its text \"{}\" reads as another claim than its keys would state ({}); a verdict on the keys would be published beside words it did not check: {hint}",
            args.id,
            spec.text,
            disagree.join("; ")
        ))
        .into());
    }
    let mut statement = spec.clone();
    statement.tags = stored.tags.clone();
    statement.schedule = stored.schedule.clone();
    statement.note = stored.note.clone();
    if spec.text == stored.text && statement != stored && !args.json {
        // The keys now say something else than before; the text still says the old thing.
        writeln!(
            out,
            "note: the text is unchanged (\"{}\"); give --text too if it no longer says what the keys say",
            spec.text
        )?;
    }
    let claim = spec
        .validate(&Countries::embedded())
        .map_err(|e| InputError::Message(format!("cannot edit claim {}: {e}", args.id)))?;
    if args.json {
        writeln!(out, "{}", report::claim_json(&claim))?;
    }
    store_and_verify(&backend, vec![claim], args.json, out).await
}

/// The keys a claim states that its text, read as a sentence, states otherwise, each as
/// "value: the text says 105, the keys 107.6"; none when the text is no sentence the parser
/// reads (a label), or reads as several claims. Only the keys this edit changed are
/// compared, or every key when it changed the text: a README example once changed the value
/// and left "105" in the text, and the export published the text as true.
fn text_disagrees(
    ctx: &Context,
    spec: &crate::claim::ClaimSpec,
    stored: &crate::claim::ClaimSpec,
) -> Result<Vec<String>> {
    // Every claim-file key that states the claim (not a label of it).
    const LABELS: &[&str] = &["id", "text", "tags", "schedule", "note", "latest_by"];
    let keys = crate::claim::file::CLAIM_KEYS
        .iter()
        .filter(|key| !LABELS.contains(key));
    let parser =
        crate::app::intake::parser(ctx.config.indicators.as_deref()).map_err(InputError::cause)?;
    let as_of = match spec.latest_by {
        Some(year) => chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1),
        None => None,
    }
    .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let read = match parser.parse_all(&spec.text, as_of) {
        Ok(parts) if parts.len() == 1 => parts[0].claim.spec(),
        _ => return Ok(Vec::new()),
    };
    let json = |s: &crate::claim::ClaimSpec| serde_json::to_value(s).unwrap_or_default();
    let (read, edited, before) = (json(&read), json(spec), json(stored));
    let text_changed = spec.text != stored.text;
    let shown = |key: &str, v: &serde_json::Value| match (key, v) {
        ("negated", v) if v.as_bool() == Some(true) => "it is denied".to_string(),
        ("negated", _) => "it is asserted".to_string(),
        (_, serde_json::Value::Null) => "nothing".to_string(),
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, v) => match v.as_f64() {
            Some(number) => number.to_string(),
            None => v.to_string(),
        },
    };
    Ok(keys
        .filter(|key| text_changed || edited[**key] != before[**key])
        .filter(|key| read[**key] != edited[**key])
        .map(|key| {
            format!(
                "{key}: the text says {}, the keys {}",
                shown(key, &read[*key]),
                shown(key, &edited[*key])
            )
        })
        .collect())
}
