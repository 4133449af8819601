//! `claimcheck changes [--since DATE]`: verdicts that changed and data that was revised.

use std::io::Write;

use anyhow::Result;

use crate::api::types::parse_since;
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK};

/// Runs the command.
pub async fn run(
    ctx: &Context,
    since: Option<&str>,
    json: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let since = since
        .map(parse_since)
        .transpose()
        .map_err(InputError::Message)?;
    let events = Backend::existing(&ctx.config, &ctx.db_path)
        .await?
        .changes(since)
        .await?;
    for event in &events {
        if json {
            writeln!(out, "{}", serde_json::to_string(event)?)?;
        } else {
            writeln!(
                out,
                "{}  {:<28} {}",
                event.at.format("%Y-%m-%d %H:%M"),
                event.claim_id,
                event.change
            )?;
        }
    }
    if events.is_empty() && !json {
        writeln!(out, "no changes")?;
    }
    Ok(EXIT_OK)
}
