//! `claimcheck show ID`: a claim, its latest verdict with evidence, and its history (checks
//! and edits, newest first).

use std::io::Write;

use anyhow::Result;

use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_OK};
use crate::report;

/// Runs the command.
pub async fn run(ctx: &Context, id: &str, json: bool, out: &mut impl Write) -> Result<u8> {
    let detail = Backend::existing(&ctx.config, &ctx.db_path)
        .await?
        .show(id)
        .await?;
    if json {
        let history: Vec<_> = detail
            .history
            .iter()
            .map(|r| report::verdict_json(&detail.claim, r))
            .collect();
        let value = serde_json::json!({
            "claim": report::claim_json(&detail.claim),
            "history": history,
            "edits": detail.edits,
            "timeline": report::timeline_json(&detail.history, &detail.edits),
        });
        writeln!(out, "{value}")?;
    } else {
        write!(
            out,
            "{}",
            report::show_text(&detail.claim, &detail.history, &detail.edits)
        )?;
    }
    Ok(EXIT_OK)
}
