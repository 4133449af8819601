//! `claimcheck remove ID…`: remove claims and their history (their pending jobs are
//! cancelled).

use std::io::Write;

use anyhow::Result;

use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK};

/// Runs the command: every id is looked up first, and unless all are stored nothing is
/// removed (a typo in a list of ids must not half-apply it); the unknown ones are reported
/// together.
pub async fn run(ctx: &Context, ids: &[String], out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let mut missing = Vec::new();
    for id in ids {
        match backend.show(id).await {
            Ok(_) => {}
            Err(e) if e.is::<InputError>() => missing.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    if !missing.is_empty() {
        missing.push("nothing was removed".into());
        return Err(InputError::Message(missing.join("\n")).into());
    }
    for id in ids {
        backend.remove(id).await?;
        writeln!(out, "removed {id}")?;
    }
    Ok(EXIT_OK)
}
