//! `indicators search|show` (the WDI catalogue, offline) and `catalogue update` (refresh it
//! from the World Bank API). The updated copy lives beside the database, in
//! `<db>/catalogue/wdi_series.tsv`; without it the catalogue built into the binary answers.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::catalogue::{self, Catalogue, SeriesInfo};
use crate::cli::args::{CatalogueAction, IndicatorsAction, SearchArgs};
use crate::cli::{InputError, EXIT_OK};
use crate::config::Config;

/// Where `catalogue update` writes and the catalogue commands read: beside a sled
/// database; for a PostgreSQL database (no directory) in this machine's data directory.
pub fn catalogue_path(db_path: &Path) -> PathBuf {
    let base = if crate::store::is_url(db_path) {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("claimcheck")
    } else {
        db_path.to_path_buf()
    };
    base.join("catalogue").join("wdi_series.tsv")
}

/// Runs an `indicators` subcommand.
pub fn indicators(db_path: &Path, action: &IndicatorsAction, out: &mut impl Write) -> Result<u8> {
    let catalogue = Catalogue::load(&catalogue_path(db_path))?;
    match action {
        IndicatorsAction::Search(args) => search(&catalogue, args, out),
        IndicatorsAction::Show { code, json } => show(&catalogue, code, *json, out),
    }
}

fn search(catalogue: &Catalogue, args: &SearchArgs, out: &mut impl Write) -> Result<u8> {
    let query = args.text.join(" ");
    let hits = catalogue.search(&query);
    if hits.is_empty() {
        return Err(InputError::Message(format!(
            "no WDI series matches {query:?}; try fewer or shorter words (\"gdp per capita\")"
        ))
        .into());
    }
    for series in hits.iter().take(args.limit) {
        if args.json {
            writeln!(out, "{}", summary(series))?;
        } else {
            writeln!(out, "{:<22} {}", series.code, series.name)?;
            writeln!(
                out,
                "{:<22} unit: {}; source: {}",
                "",
                series.unit_words(),
                short_source(&series.source)
            )?;
        }
    }
    if !args.json {
        let shown = hits.len().min(args.limit);
        writeln!(out, "{shown} of {} series matching {query:?}", hits.len())?;
    }
    Ok(EXIT_OK)
}

fn show(catalogue: &Catalogue, code: &str, as_json: bool, out: &mut impl Write) -> Result<u8> {
    let Some(series) = catalogue.get(code) else {
        let near_code = catalogue
            .all()
            .iter()
            .map(|s| (strsim::jaro_winkler(&s.code, &code.to_uppercase()), s))
            .filter(|(score, _)| *score > 0.9)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, s)| s);
        let hint = match near_code.or_else(|| catalogue.search(code).first().copied()) {
            Some(near) => format!("; did you mean {} ({})?", near.code, near.name),
            None => "; `claimcheck indicators search WORDS` finds a code by name".into(),
        };
        return Err(InputError::Message(format!("no WDI series {code:?}{hint}")).into());
    };
    if as_json {
        let mut object = summary(series);
        object["definition"] = json!(series.definition);
        writeln!(out, "{object}")?;
        return Ok(EXIT_OK);
    }
    writeln!(out, "{}  {}", series.code, series.name)?;
    writeln!(out, "unit        {}", series.unit_words())?;
    writeln!(out, "topic       {}", series.topic)?;
    writeln!(out, "source      {}", series.source)?;
    writeln!(
        out,
        "data        https://data.worldbank.org/indicator/{}",
        series.code
    )?;
    writeln!(out, "\n{}", series.definition)?;
    Ok(EXIT_OK)
}

fn summary(series: &SeriesInfo) -> serde_json::Value {
    json!({
        "code": series.code,
        "name": series.name,
        "unit": series.unit_label(),
        "unit_family": catalogue::unit_family(series.unit()),
        "topic": series.topic,
        "source": series.source,
    })
}

/// The first organisation of a source line ("A | B | C" → "A"), for one-line listings.
fn short_source(source: &str) -> &str {
    source.split(" | ").next().unwrap_or(source).trim()
}

/// Runs a `catalogue` subcommand.
pub async fn catalogue(
    config: &Config,
    db_path: &Path,
    action: &CatalogueAction,
    out: &mut impl Write,
) -> Result<u8> {
    let CatalogueAction::Update { out: target, json } = action;
    let path = target.clone().unwrap_or_else(|| catalogue_path(db_path));
    let before = Catalogue::load(&path).map(|c| c.len()).unwrap_or(0);
    let fetched = catalogue::fetch(&config.worldbank).await.with_context(|| {
        format!(
            "could not fetch the indicator list from {}; the catalogue was not changed",
            catalogue::list_url(&config.worldbank.base_url)
        )
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Write then rename, so a reader never sees half a file.
    let partial = path.with_extension("tsv.partial");
    std::fs::write(&partial, fetched.to_tsv())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    if *json {
        let object = json!({"path": path, "series": fetched.len(), "previous": before});
        writeln!(out, "{object}")?;
    } else {
        writeln!(
            out,
            "{} WDI series written to {} (was {before})",
            fetched.len(),
            path.display()
        )?;
    }
    Ok(EXIT_OK)
}
