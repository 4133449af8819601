//! `claimcheck list [--tag T] [--verdict V] [--search TEXT]`: stored claims with their latest
//! verdict.

use std::io::Write;

use anyhow::Result;

use super::output::{self, ListFilter};
use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_OK};
use crate::report;

/// Runs the command.
pub async fn run(
    ctx: &Context,
    json: bool,
    filter: &ListFilter,
    out: &mut impl Write,
) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let summaries = filter.apply(backend.list().await?);
    if json {
        for s in &summaries {
            writeln!(out, "{}", report::list_json(&s.claim, s.latest.as_ref()))?;
        }
        return Ok(EXIT_OK);
    }
    if summaries.is_empty() {
        let message = if filter.is_active() {
            "no claims match the filters"
        } else {
            "no claims yet: add some with `claimcheck import claims/`"
        };
        writeln!(out, "{message}")?;
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
    let headers = ["ID", "VERDICT", "CHECKED", "CLAIM"];
    write!(out, "{}", output::table(&headers, &rows, ctx.color))?;
    Ok(EXIT_OK)
}
