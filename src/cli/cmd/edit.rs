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
    let mut spec = backend.show(&args.id).await?.claim.spec();
    if !args.apply(&mut spec) {
        return Err(InputError::Message(format!(
            "nothing to change in {}: give the keys to change as flags, e.g. `claimcheck edit {} --value 107.6` (`claimcheck edit --help` lists them)",
            args.id, args.id
        ))
        .into());
    }
    let claim = spec
        .validate(&Countries::embedded())
        .map_err(|e| InputError::Message(format!("cannot edit claim {}: {e}", args.id)))?;
    if args.json {
        writeln!(out, "{}", report::claim_json(&claim))?;
    }
    store_and_verify(&backend, vec![claim], args.json, out).await
}
