//! `claimcheck export --format claimreview|json|csv|markdown [--tag T | ID…]`: the latest
//! verdicts in publishing formats ([`crate::export`]), on stdout.

use std::io::Write;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK};
use crate::export::{self, Appearance};

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// schema.org ClaimReview JSON-LD (one array)
    Claimreview,
    /// One JSON object per claim: claim and latest verdict
    Json,
    /// A header row and one row per claim
    Csv,
    /// A table and the explanations
    Markdown,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format
    #[arg(long, value_enum)]
    pub format: Format,
    /// Only the claims with this tag
    #[arg(long, conflicts_with = "ids")]
    pub tag: Option<String>,
    /// Claim ids [default: every stored claim]
    pub ids: Vec<String>,
    /// ClaimReview: URL where the claims appeared (the article)
    #[arg(long, value_name = "URL")]
    pub appearance: Option<String>,
    /// ClaimReview: who made the claims
    #[arg(long, value_name = "NAME")]
    pub claim_author: Option<String>,
    /// ClaimReview: when the claims were published
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub claim_date: Option<chrono::NaiveDate>,
}

/// Runs `export`.
pub async fn run(ctx: &Context, args: &ExportArgs, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let summaries = backend.list().await?;
    for id in &args.ids {
        if !summaries.iter().any(|s| &s.claim.id == id) {
            return Err(InputError::Message(format!(
                "no claim with id {id:?}; `claimcheck list` shows the stored ids"
            ))
            .into());
        }
    }
    let chosen: Vec<_> = summaries
        .iter()
        .filter(|s| args.ids.is_empty() || args.ids.contains(&s.claim.id))
        .filter(|s| args.tag.as_ref().is_none_or(|t| s.claim.tags.contains(t)))
        .collect();
    let rows: Vec<export::Row<'_>> = chosen
        .iter()
        .map(|s| (&s.claim, s.latest.as_ref()))
        .collect();
    match args.format {
        Format::Claimreview => claimreview(ctx, args, &rows, out)?,
        Format::Json => write!(out, "{}", export::json_lines(&rows))?,
        Format::Csv => write!(out, "{}", export::csv(&rows)?)?,
        Format::Markdown => write!(out, "{}", export::markdown(&rows))?,
    }
    Ok(EXIT_OK)
}

fn claimreview(
    ctx: &Context,
    args: &ExportArgs,
    rows: &[export::Row<'_>],
    out: &mut impl Write,
) -> Result<()> {
    let publisher = &ctx.config.publisher;
    if publisher.name.is_none() || publisher.url.is_none() {
        let _ = writeln!(std::io::stderr(), "warning: set [publisher] name and url in the config file: Google needs a ClaimReview's author and url");
    }
    let unchecked = rows.iter().filter(|(_, r)| r.is_none()).count();
    if unchecked > 0 {
        let _ = writeln!(std::io::stderr(), "note: {unchecked} claim(s) never checked are left out; run `claimcheck verify --all` first");
    }
    let appearance = Appearance {
        url: args.appearance.clone(),
        author: args.claim_author.clone(),
        date: args.claim_date.map(|d| d.to_string()),
    };
    let reviews = export::claim_reviews(rows, publisher, &appearance);
    writeln!(out, "{}", serde_json::to_string_pretty(&reviews)?)?;
    Ok(())
}
