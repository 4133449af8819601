//! `claimcheck completions bash|zsh|fish` (clap_complete) and `claimcheck man` (a roff man
//! page from the same clap definitions, clap_mangen).

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory as _;

use crate::cli::{Cli, EXIT_OK};

/// Prints the completion script for `shell`. Rendered into memory first: clap_complete
/// panics on a write error, and `completions bash | head` closes the pipe early.
pub fn completions(shell: clap_complete::Shell, out: &mut impl Write) -> Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "claimcheck", &mut script);
    out.write_all(&script)?;
    Ok(EXIT_OK)
}

/// Prints the man page (`claimcheck man > claimcheck.1`).
pub fn man(out: &mut impl Write) -> Result<u8> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    Ok(EXIT_OK)
}
