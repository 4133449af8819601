//! `claimcheck cache stats|clear`: what the response cache holds, and emptying it.

use std::io::Write;

use anyhow::Result;

use crate::cli::args::CacheAction;
use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_OK};

/// Runs the command.
pub async fn run(ctx: &Context, action: &CacheAction, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    match action {
        CacheAction::Stats { json: true } => {
            writeln!(
                out,
                "{}",
                serde_json::to_string(&backend.cache_stats().await?)?
            )?;
        }
        CacheAction::Stats { json: false } => {
            let s = backend.cache_stats().await?;
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            };
            writeln!(
                out,
                "{} series cached ({} fresh for {} h, {} KB); oldest fetch {}, newest {}",
                s.entries,
                s.fresh,
                s.ttl_hours,
                s.bytes.div_ceil(1024),
                when(s.oldest),
                when(s.newest)
            )?;
        }
        CacheAction::Clear => {
            let removed = backend.cache_clear().await?;
            writeln!(
                out,
                "removed {removed} cached series; the next checks ask the sources"
            )?;
        }
    }
    Ok(EXIT_OK)
}
