//! One module per command; each has a `run` that parses nothing (clap did), calls the
//! backend's operations and prints.

pub mod add;
pub mod backup;
pub mod cache;
pub mod changes;
pub mod completions;
pub mod daemon;
pub mod demo;
pub mod edit;
pub mod export;
pub mod import;
pub mod indicators;
pub mod jobs;
pub mod list;
pub mod migrate;
pub mod output;
pub mod remove;
pub mod report_site;
pub mod scan;
pub mod show;
pub mod status;
pub mod verify;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;

use super::backend::Backend;
use super::InputError;
use crate::api::types::Added;
use crate::claim::country::Countries;
use crate::claim::file;

/// Reads claim files and stores the good claims; reports every bad one on stderr. Returns
/// what was stored and how many claims were rejected.
pub(super) async fn load_files(
    backend: &Backend,
    paths: &[PathBuf],
) -> Result<(Vec<Added>, usize)> {
    let files = file::collect_paths(paths).map_err(InputError::cause)?;
    let countries = Countries::embedded();
    let mut claims = Vec::new();
    let mut errors = 0;
    for path in &files {
        let parsed = file::read(path, &countries);
        for error in &parsed.errors {
            let _ = writeln!(std::io::stderr(), "error: {error}");
        }
        errors += parsed.errors.len();
        claims.extend(parsed.claims);
    }
    Ok((backend.add(claims).await?, errors))
}
