//! `claimcheck list`: stored claims with their latest verdict.

use std::io::Write;

use anyhow::Result;

use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_OK};
use crate::report;

/// Runs the command.
pub async fn run(ctx: &Context, json: bool, out: &mut impl Write) -> Result<u8> {
    let summaries = Backend::connect(&ctx.config, &ctx.db_path)
        .await?
        .list()
        .await?;
    if json {
        for s in &summaries {
            writeln!(out, "{}", report::list_json(&s.claim, s.latest.as_ref()))?;
        }
        return Ok(EXIT_OK);
    }
    if summaries.is_empty() {
        writeln!(
            out,
            "no claims yet: add some with `claimcheck import claims/`"
        )?;
        return Ok(EXIT_OK);
    }
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| {
            vec![
                s.claim.id.clone(),
                s.latest
                    .as_ref()
                    .map_or("-".into(), |r| r.verdict.grade.to_string()),
                s.latest.as_ref().map_or("never".into(), |r| {
                    r.checked_at.format("%Y-%m-%d %H:%M").to_string()
                }),
                report::truncate(&s.claim.text, 70),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        report::table(&["ID", "VERDICT", "CHECKED", "CLAIM"], &rows)
    )?;
    Ok(EXIT_OK)
}
