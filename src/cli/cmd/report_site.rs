//! `claimcheck report --out DIR`: gathers the stored claims, their histories, the series
//! around each claimed year and any scanned article, and writes the static site
//! ([`crate::site`]). Named `report_site` because `report` is the text-rendering module.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use chrono::Utc;
use clap::Args;

use crate::app::intake;
use crate::claim::{Claim, ClaimKind, Subject};
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_OK};
use crate::scan::Article;
use crate::site::gather::{self, SeriesMap};
use crate::site::{self, ClaimInput, SiteInput};
use crate::source::routed::Routed;
use crate::source::{Scope, SeriesRequest, Source};
use crate::store::{EditRecord, VerdictRecord};

/// A claim with its verdict history and edits, as read from the store.
type Gathered = (Claim, Vec<VerdictRecord>, Vec<EditRecord>);

/// `report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Only the claims with this tag (e.g. a scanned article's)
    #[arg(long, conflicts_with = "all")]
    pub tag: Option<String>,
    /// Every stored claim (the default)
    #[arg(long)]
    pub all: bool,
    /// Directory to write the site into (created if needed)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs `report`.
pub async fn run(ctx: &Context, args: &ReportArgs, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let claims = selected(&backend, args.tag.as_deref()).await?;
    let mut inputs = Vec::new();
    for claim in claims {
        let detail = backend.show(&claim.id).await?;
        inputs.push((claim, detail.history, detail.edits));
    }
    let series = fetch_series(ctx, &inputs).await;
    let parser = intake::parser(ctx.config.indicators.as_deref()).ok();
    let today = Utc::now().date_naive();
    let claims: Vec<ClaimInput> = inputs
        .into_iter()
        .map(|(claim, history, edits)| {
            gather::claim_input(claim, history, edits, parser.as_ref(), today, &series)
        })
        .collect();
    let articles = articles(&backend, &claims).await?;
    let input = SiteInput {
        title: gather::title(args.tag.as_deref()),
        claims,
        articles,
        generated_at: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    let summary = site::write_site(&args.out, &input)?;
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "wrote {}, {}, {}\nopen {}",
        count(summary.claims, "claim page"),
        count(summary.charts, "chart"),
        count(summary.articles, "article page"),
        summary.index.display()
    )?;
    Ok(EXIT_OK)
}

async fn selected(backend: &Backend, tag: Option<&str>) -> Result<Vec<Claim>> {
    let claims: Vec<Claim> = backend
        .list()
        .await?
        .into_iter()
        .map(|s| s.claim)
        .filter(|c| tag.is_none_or(|t| c.tags.iter().any(|x| x == t)))
        .collect();
    if claims.is_empty() {
        let what = tag.map_or("no claims are stored".to_string(), |t| {
            format!("no claim has the tag {t:?}")
        });
        return Err(InputError::Message(format!(
            "{what}: add some with `claimcheck scan ARTICLE` or `claimcheck import claims/`"
        ))
        .into());
    }
    Ok(claims)
}

/// One request per indicator for the claimed countries, every year; on failure the charts
/// fall back to the values the verdicts used.
async fn fetch_series(ctx: &Context, inputs: &[Gathered]) -> SeriesMap {
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (claim, _, _) in inputs
        .iter()
        .filter(|(c, _, _)| !matches!(c.kind, ClaimKind::Rank { .. }))
    {
        if let Some(Subject {
            indicator: ind,
            country: iso3,
        }) = claim.subject()
        {
            let list = wanted.entry(ind.clone()).or_default();
            if !list.contains(iso3) && list.len() < 40 {
                list.push(iso3.clone());
            }
        }
    }
    let mut map = SeriesMap::new();
    if wanted.is_empty() {
        return map;
    }
    let source = match Routed::new(&ctx.config) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("charts use only the verdicts' values: {e}");
            return map;
        }
    };
    for (indicator, countries) in wanted {
        let fetch = |countries: Vec<String>| SeriesRequest {
            indicator: indicator.clone(),
            scope: Scope::Countries(countries),
            years: None,
        };
        match source.fetch_series(&fetch(countries.clone())).await {
            Ok(series) => {
                for iso3 in countries {
                    let values = series.values_for(&iso3);
                    map.insert((indicator.clone(), iso3), values);
                }
            }
            // One country the source refuses fails the request for all: ask for each
            // alone, so only its own chart falls back.
            Err(_) if countries.len() > 1 => {
                for iso3 in countries {
                    match source.fetch_series(&fetch(vec![iso3.clone()])).await {
                        Ok(series) => {
                            let values = series.values_for(&iso3);
                            map.insert((indicator.clone(), iso3), values);
                        }
                        Err(e) => chart_warning(&indicator, Some(&iso3), &e),
                    }
                }
            }
            Err(e) => chart_warning(&indicator, countries.first(), &e),
        }
    }
    map
}

fn chart_warning(indicator: &str, iso3: Option<&String>, e: &dyn std::fmt::Display) {
    let place = iso3.map(|c| format!(" for {c}")).unwrap_or_default();
    tracing::warn!(
        "cannot fetch {indicator}{place} for the charts ({e}); they show only the values the verdicts used"
    );
}

async fn articles(backend: &Backend, claims: &[ClaimInput]) -> Result<Vec<Article>> {
    let mut tags: Vec<&String> = claims.iter().flat_map(|c| &c.claim.tags).collect();
    tags.sort();
    tags.dedup();
    let mut out = Vec::new();
    for tag in tags {
        if let Some(article) = backend.article(tag).await? {
            out.push(article);
        }
    }
    Ok(out)
}
