//! `claimcheck import PATH…`: store the claims of claim files (idempotent by id); new and
//! changed claims are queued for verification.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use super::load_files;
use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_INPUT, EXIT_OK};
use crate::report;
use crate::store::Upsert;

/// Runs the command.
pub async fn run(ctx: &Context, paths: &[PathBuf], json: bool, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let (stored, errors) = load_files(&backend, paths).await?;
    if json {
        for added in &stored {
            writeln!(out, "{}", report::claim_json(&added.claim))?;
        }
    } else {
        let count = |u: Upsert| stored.iter().filter(|a| a.upsert == u).count();
        writeln!(
            out,
            "{} {}: {} added, {} updated, {} unchanged{}",
            stored.len(),
            if stored.len() == 1 { "claim" } else { "claims" },
            count(Upsert::Added),
            count(Upsert::Updated),
            count(Upsert::Unchanged),
            if errors > 0 {
                format!("; {errors} rejected (see errors above)")
            } else {
                String::new()
            }
        )?;
    }
    Ok(if errors > 0 { EXIT_INPUT } else { EXIT_OK })
}
