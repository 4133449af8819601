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
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
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
