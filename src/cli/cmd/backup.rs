//! `claimcheck backup FILE` (works while the daemon runs: it reads the database for us) and
//! `claimcheck restore FILE` (the daemon must be stopped: restore replaces everything).

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};

use crate::backup::Backup;
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK};

/// Runs `backup FILE`.
pub async fn backup(ctx: &Context, file: &Path, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let backup = backend.backup().await?;
    let partial = file.with_extension("partial");
    std::fs::write(&partial, backup.to_json_lines())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, file).with_context(|| format!("cannot write {}", file.display()))?;
    let via = if backend.is_daemon() {
        " (read by the running daemon)"
    } else {
        ""
    };
    writeln!(
        out,
        "backed up {} entries to {}{via}",
        backup.header.entries,
        file.display()
    )?;
    Ok(EXIT_OK)
}

/// Runs `restore FILE [--force]`.
pub async fn restore(ctx: &Context, file: &Path, force: bool, out: &mut impl Write) -> Result<u8> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| InputError::Message(format!("cannot read {}: {e}", file.display())))?;
    let parsed = Backup::from_json_lines(&text)
        .map_err(|e| InputError::Message(format!("{}: {e}", file.display())))?;
    let marker = ctx.db_path.join(crate::store::sled::RESTORE_MARKER);
    if force && marker.exists() {
        // An interrupted restore: this one starts again (and marks it again itself).
        std::fs::remove_file(&marker)
            .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", marker.display()))?;
    }
    let backend = Backend::connect(&ctx.config, &ctx.db_path).await?;
    let written = backend.restore(parsed.clone(), force).await?;
    writeln!(
        out,
        "restored {written} entries from {} (taken {})",
        file.display(),
        parsed.header.created_at.format("%Y-%m-%d %H:%M UTC")
    )?;
    Ok(EXIT_OK)
}
