//! `claimcheck demo`: the first five minutes without internet. Starts the World Bank
//! stand-in in-process, scans the seed article and imports the seed claims into a fresh
//! demo database, verifies them against the stand-in and writes the HTML report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use super::report_site::{self, ReportArgs};
use super::scan::{self, ScanArgs};
use super::{import, verify};
use crate::cli::args::VerifyArgs;
use crate::cli::{Context, EXIT_OK};
use crate::demo;

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the demo's database, article, claims and report (emptied first)
    /// [default: <temp dir>/claimcheck-demo]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Runs `demo`.
pub async fn run(ctx: &Context, args: &DemoArgs, out: &mut impl Write) -> Result<u8> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("claimcheck-demo"));
    if dir.join("db").exists() {
        std::fs::remove_dir_all(dir.join("db")).context("cannot empty the demo database")?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let article = dir.join("seed-article.txt");
    let claims = dir.join("seed-article.toml");
    std::fs::write(&article, demo::SEED_ARTICLE)?;
    std::fs::write(&claims, demo::SEED_CLAIMS)?;

    let server = demo::start_standin().await?;
    let mut config = ctx.config.clone();
    config.worldbank.base_url = format!("{}/v2", server.uri());
    let demo_app = Context {
        config,
        db_path: dir.join("db"),
        color: ctx.color,
    };
    writeln!(
        out,
        "World Bank stand-in at {}/v2 (offline: {})\n",
        server.uri(),
        demo::COVERAGE
    )?;
    writeln!(
        out,
        "$ claimcheck scan {} --as-of 2019-02-01",
        article.display()
    )?;
    let scan_args = ScanArgs {
        file: article,
        as_of: chrono::NaiveDate::from_ymd_opt(2019, 2, 1),
        tag: Some("seed-article".into()),
        dry_run: false,
        json: false,
    };
    scan::run(&demo_app, &scan_args, out).await?;
    writeln!(out, "\n$ claimcheck import {}", claims.display())?;
    import::run(&demo_app, &[claims], false, out).await?;
    writeln!(out, "\n$ claimcheck verify --all")?;
    let verify_args = VerifyArgs {
        targets: Vec::new(),
        all: true,
        due: false,
        json: false,
        fail_on: None,
        corroborate: false,
        offline: false,
    };
    verify::run(&demo_app, &verify_args, out).await?;
    let report = dir.join("report");
    writeln!(out, "\n$ claimcheck report --out {}", report.display())?;
    let report_args = ReportArgs {
        tag: None,
        all: true,
        out: report.clone(),
    };
    report_site::run(&demo_app, &report_args, out).await?;
    writeln!(
        out,
        "\nreport: {}\nthe demo database is {} (use it with --db {} or CLAIMCHECK_DB)",
        report.join("index.html").display(),
        dir.join("db").display(),
        dir.join("db").display()
    )?;
    Ok(EXIT_OK)
}
