//! `claimcheck backup FILE` (works while the daemon runs: it reads the database for us) and
//! `claimcheck restore FILE` (the daemon must be stopped: restore replaces everything).

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::backend::Backend;
use super::{App, InputError, EXIT_OK};
use crate::backup::{self, Backup};

/// Runs `backup FILE`.
pub(super) async fn backup(app: &App, file: &Path, out: &mut impl Write) -> Result<u8> {
    let backend = app.backend().await?;
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
pub(super) async fn restore(
    app: &App,
    file: &Path,
    force: bool,
    out: &mut impl Write,
) -> Result<u8> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| InputError(format!("cannot read {}: {e}", file.display())))?;
    let parsed = Backup::from_json_lines(&text)
        .map_err(|e| InputError(format!("{}: {e}", file.display())))?;
    let backend = app.backend().await?;
    let Backend::Local { store, .. } = &backend else {
        return Err(InputError(
            "a claimcheck daemon holds this database: stop it first (restore replaces the whole database)".into(),
        )
        .into());
    };
    let existing = store.claims()?.len();
    if existing > 0 && !force {
        return Err(InputError(format!(
            "the database at {} holds {existing} claims; pass --force to replace them with the backup",
            app.db_path.display()
        ))
        .into());
    }
    let written = backup::restore(store.sled_db(), &parsed)?;
    writeln!(
        out,
        "restored {written} entries from {} (taken {})",
        file.display(),
        parsed.header.created_at.format("%Y-%m-%d %H:%M UTC")
    )?;
    Ok(EXIT_OK)
}
