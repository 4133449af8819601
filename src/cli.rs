//! The command line: clap definitions and one function per command. Commands open the sled
//! store directly (a later issue routes them through the daemon's API when one runs).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::check::{describe_request, Checker, ClaimResult, Progress};
use crate::claim::country::Countries;
use crate::claim::{file, number, Claim, Direction, Kind, Order, Relation, Tolerance};
use crate::config::Config;
use crate::report;
use crate::source::worldbank::WorldBank;
use crate::store::{Store, Upsert};
use crate::verify::Grade;

/// Exit code: every check passed the `--fail-on` gate.
pub const EXIT_OK: u8 = 0;
/// Exit code: `verify --fail-on` found a verdict at or below the threshold.
pub const EXIT_FAILED_GATE: u8 = 1;
/// Exit code: bad usage or input (malformed claim file, unknown id).
pub const EXIT_INPUT: u8 = 2;
/// Exit code: the work could not be done (database, network after retries).
pub const EXIT_RUNTIME: u8 = 3;

/// An error caused by the user's input; exits with code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

const AFTER_HELP: &str = "\
Examples:
  claimcheck import claims/                 store every claim in claims/*.toml
  claimcheck verify --all                   check every stored claim against the World Bank
  claimcheck verify sv-homicide-2015 --json one JSON object per claim, for scripts
  claimcheck verify claims/ --fail-on mostly-false
                                            exit 1 if any claim is mostly-false or worse
  claimcheck show sv-homicide-2015          the verdict, its evidence and its history
  claimcheck add --text \"Honduras rate 56 in 2015\" --indicator VC.IHR.PSRC.P5 \\
                 --country HND --year 2015 --value 56

Exit codes: 0 ok, 1 a verdict failed --fail-on, 2 bad usage or input, 3 could not finish
(database in use, source unreachable after retries).
Environment: CLAIMCHECK_DB (database dir), CLAIMCHECK_WORLDBANK_URL (API base URL),
RUST_LOG (log filter, e.g. claimcheck=debug).";

/// Check statistical claims against public data and keep verdicts with evidence and history.
#[derive(Debug, Parser)]
#[command(name = "claimcheck", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Config file [default: config/claimcheck.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database directory [default: ~/.local/share/claimcheck]
    #[arg(long, global = true, env = "CLAIMCHECK_DB", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Log format on stderr
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add one claim from flags, or the claims of a file
    Add(Box<AddArgs>),
    /// Store the claims of claim files or directories (idempotent by id)
    Import {
        /// Claim files (*.toml) or directories of them
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print one JSON object per stored claim
        #[arg(long)]
        json: bool,
    },
    /// List stored claims with their latest verdict
    List {
        /// One JSON object per claim: id, text, verdict, checked_at
        #[arg(long)]
        json: bool,
    },
    /// Show a claim, its latest verdict with evidence, and its history
    Show {
        /// Claim id
        id: String,
        /// The claim and its history as one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Check claims against the data and store the verdicts
    Verify(VerifyArgs),
    /// Remove claims and their history
    Remove {
        /// Claim ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// `verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Claim ids, or claim files/directories (imported first)
    pub targets: Vec<PathBuf>,
    /// Check every stored claim
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,
    /// One JSON object per claim per line
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when any verdict is this grade or worse (true, mostly-true, half-true,
    /// mostly-false, false; `unverifiable` matches only unverifiable)
    #[arg(long, value_name = "GRADE")]
    pub fail_on: Option<Grade>,
}

/// `add` options: the claim-file keys as flags.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Add the claims of this claim file instead of one from flags
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "indicator"])]
    pub file: Option<PathBuf>,
    /// The claim as written
    #[arg(long, required_unless_present = "file")]
    pub text: Option<String>,
    /// Id [default: a slug of the text]
    #[arg(long)]
    pub id: Option<String>,
    /// World Bank indicator code, e.g. VC.IHR.PSRC.P5
    #[arg(long)]
    pub indicator: Option<String>,
    /// Country: ISO3, World Bank 2-letter code or name
    #[arg(long)]
    pub country: Option<String>,
    /// Year [default: latest with data]
    #[arg(long)]
    pub year: Option<i32>,
    /// First year of a change, sum or mean
    #[arg(long)]
    pub from_year: Option<i32>,
    /// Claimed number, as written ("105", "40,400", "6.2 million")
    #[arg(long, value_parser = parse_number)]
    pub value: Option<f64>,
    /// Upper bound for --relation between
    #[arg(long, value_parser = parse_number)]
    pub value_max: Option<f64>,
    /// eq, approx, nearly, gt, gte, lt, lte, between
    #[arg(long, value_enum, default_value_t = RelationArg::Eq)]
    pub relation: RelationArg,
    /// value, rank, change, sum, mean
    #[arg(long, value_enum, default_value_t = KindArg::Value)]
    pub kind: KindArg,
    /// Tolerance: "2%" (relative) or "0.5" (absolute)
    #[arg(long, value_parser = parse_tolerance)]
    pub tolerance: Option<Tolerance>,
    /// Claimed rank (1 = first) for --kind rank
    #[arg(long)]
    pub rank: Option<u32>,
    /// Rank order: desc (1 = highest) or asc
    #[arg(long, value_enum)]
    pub order: Option<OrderArg>,
    /// Peer set for a rank, comma-separated codes
    #[arg(long, value_delimiter = ',')]
    pub among: Vec<String>,
    /// Direction of a change: decrease or increase
    #[arg(long, value_enum)]
    pub direction: Option<DirectionArg>,
    /// Claimed start value of a change
    #[arg(long, value_parser = parse_number)]
    pub from_value: Option<f64>,
    /// Claimed change in percent
    #[arg(long, allow_hyphen_values = true)]
    pub change_pct: Option<f64>,
    /// Cron expression for scheduled re-checks
    #[arg(long)]
    pub schedule: Option<String>,
    /// Tag (repeatable)
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Note for readers
    #[arg(long)]
    pub note: Option<String>,
    /// Print the stored claim(s) as JSON
    #[arg(long)]
    pub json: bool,
}

macro_rules! arg_enum {
    ($arg:ident => $target:ident { $($variant:ident),* }) => {
        #[doc = concat!("CLI spelling of [`", stringify!($target), "`].")]
        #[derive(Debug, Clone, Copy, ValueEnum)]
        #[allow(missing_docs)]
        pub enum $arg { $($variant),* }
        impl From<$arg> for $target {
            fn from(a: $arg) -> Self { match a { $($arg::$variant => $target::$variant),* } }
        }
    };
}
arg_enum!(RelationArg => Relation { Eq, Approx, Nearly, Gt, Gte, Lt, Lte, Between });
arg_enum!(KindArg => Kind { Value, Rank, Change, Sum, Mean });
arg_enum!(OrderArg => Order { Desc, Asc });
arg_enum!(DirectionArg => Direction { Decrease, Increase });

fn parse_number(text: &str) -> Result<f64, String> {
    number::parse(text)
        .ok_or_else(|| format!("{text:?} is not a number (examples: 105, 40,400, 6.2 million)"))
}

fn parse_tolerance(text: &str) -> Result<Tolerance, String> {
    Tolerance::parse(text).ok_or_else(|| format!("{text:?} is not \"N%\" or a number"))
}

impl AddArgs {
    fn to_claim(&self) -> Claim {
        let text = self.text.clone().unwrap_or_default();
        let mut claim = Claim::new(
            self.id.clone().unwrap_or_else(|| crate::claim::slug(&text)),
            text,
        );
        claim.indicator = self.indicator.clone();
        claim.country = self.country.clone();
        claim.year = self.year;
        claim.from_year = self.from_year;
        claim.value = self.value;
        claim.value_max = self.value_max;
        claim.relation = self.relation.into();
        claim.kind = self.kind.into();
        claim.tolerance = self.tolerance;
        claim.rank = self.rank;
        claim.order = self.order.map(Into::into);
        claim.among = self.among.clone();
        claim.direction = self.direction.map(Into::into);
        claim.from_value = self.from_value;
        claim.change_pct = self.change_pct;
        claim.schedule = self.schedule.clone();
        claim.tags = self.tags.clone();
        claim.note = self.note.clone();
        claim
    }
}

/// Everything a command needs: settings and the path of the store.
struct App {
    config: Config,
    db_path: PathBuf,
}

impl App {
    fn open_store(&self) -> Result<Store> {
        Ok(Store::open(&self.db_path)?)
    }
}

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> Result<u8> {
    let config = Config::load(cli.config.as_deref()).map_err(|e| InputError(e.to_string()))?;
    let db_path = cli
        .db
        .clone()
        .or_else(|| config.db.clone())
        .or_else(|| dirs::data_dir().map(|d| d.join("claimcheck")))
        .context("no database directory: pass --db DIR or set CLAIMCHECK_DB")?;
    let app = App { config, db_path };
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Add(args) => add(&app, &args, &mut out).await,
        Command::Import { paths, json } => import(&app, &paths, json, &mut out).await,
        Command::List { json } => list(&app, json, &mut out),
        Command::Show { id, json } => show(&app, &id, json, &mut out),
        Command::Verify(args) => verify(&app, &args, &mut out).await,
        Command::Remove { ids } => remove(&app, &ids, &mut out).await,
    }
}

async fn add(app: &App, args: &AddArgs, out: &mut impl Write) -> Result<u8> {
    if let Some(path) = &args.file {
        return import(app, std::slice::from_ref(path), args.json, out).await;
    }
    let claim = args
        .to_claim()
        .validate(&Countries::embedded())
        .map_err(|e| InputError(format!("cannot add claim: {e}")))?;
    let store = app.open_store()?;
    let upsert = store.put_claim(&claim)?;
    store.flush().await?;
    if args.json {
        writeln!(out, "{}", report::claim_json(&claim))?;
    } else {
        writeln!(out, "{} {}", upsert_word(upsert), claim.id)?;
        writeln!(out, "verify it with: claimcheck verify {}", claim.id)?;
    }
    Ok(EXIT_OK)
}

fn upsert_word(upsert: Upsert) -> &'static str {
    match upsert {
        Upsert::Added => "added",
        Upsert::Updated => "updated",
        Upsert::Unchanged => "unchanged",
    }
}

/// Reads claim files; stores the good claims; reports every bad one on stderr.
async fn load_files(store: &Store, paths: &[PathBuf]) -> Result<(Vec<(Claim, Upsert)>, usize)> {
    let files = file::collect_paths(paths).map_err(|e| InputError(e.to_string()))?;
    let countries = Countries::embedded();
    let mut stored = Vec::new();
    let mut errors = 0;
    for path in &files {
        let parsed = file::read(path, &countries);
        for error in &parsed.errors {
            eprintln!("error: {error}");
        }
        errors += parsed.errors.len();
        for claim in parsed.claims {
            let upsert = store.put_claim(&claim)?;
            stored.push((claim, upsert));
        }
    }
    store.flush().await?;
    Ok((stored, errors))
}

async fn import(app: &App, paths: &[PathBuf], json: bool, out: &mut impl Write) -> Result<u8> {
    let store = app.open_store()?;
    let (stored, errors) = load_files(&store, paths).await?;
    if json {
        for (claim, _) in &stored {
            writeln!(out, "{}", report::claim_json(claim))?;
        }
    } else {
        let count = |u: Upsert| stored.iter().filter(|(_, x)| *x == u).count();
        writeln!(
            out,
            "{} {}: {} added, {} updated, {} unchanged{}",
            stored.len(),
            if stored.len() == 1 { "claim" } else { "claims" },
            count(Upsert::Added),
            count(Upsert::Updated),
            count(Upsert::Unchanged),
            if errors > 0 {
                format!("; {errors} rejected (see errors above)")
            } else {
                String::new()
            }
        )?;
    }
    Ok(if errors > 0 { EXIT_INPUT } else { EXIT_OK })
}

fn list(app: &App, json: bool, out: &mut impl Write) -> Result<u8> {
    let store = app.open_store()?;
    let claims = store.claims()?;
    let mut rows = Vec::new();
    for claim in &claims {
        let latest = store.latest_verdict(&claim.id)?;
        if json {
            writeln!(out, "{}", report::list_json(claim, latest.as_ref()))?;
        } else {
            rows.push(vec![
                claim.id.clone(),
                latest
                    .as_ref()
                    .map_or("-".into(), |r| r.verdict.grade.to_string()),
                latest.as_ref().map_or("never".into(), |r| {
                    r.checked_at.format("%Y-%m-%d %H:%M").to_string()
                }),
                report::truncate(&claim.text, 70),
            ]);
        }
    }
    if !json {
        if claims.is_empty() {
            writeln!(
                out,
                "no claims yet: add some with `claimcheck import claims/`"
            )?;
        } else {
            write!(
                out,
                "{}",
                report::table(&["ID", "VERDICT", "CHECKED", "CLAIM"], &rows)
            )?;
        }
    }
    Ok(EXIT_OK)
}

fn show(app: &App, id: &str, json: bool, out: &mut impl Write) -> Result<u8> {
    let store = app.open_store()?;
    let claim = store.claim(id)?.ok_or_else(|| unknown_id(&store, id))?;
    let history = store.history(id)?;
    if json {
        let history: Vec<_> = history
            .iter()
            .map(|r| report::verdict_json(&claim, r))
            .collect();
        let value = serde_json::json!({ "claim": report::claim_json(&claim), "history": history });
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{}", report::show_text(&claim, &history))?;
    }
    Ok(EXIT_OK)
}

fn unknown_id(store: &Store, id: &str) -> anyhow::Error {
    let closest = store
        .claims()
        .unwrap_or_default()
        .into_iter()
        .map(|c| (strsim::jaro_winkler(id, &c.id), c.id))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match closest {
        Some((_, near)) => format!("; did you mean {near:?}?"),
        None => "; `claimcheck list` shows the stored ids".into(),
    };
    InputError(format!("no claim with id {id:?}{hint}")).into()
}

async fn verify(app: &App, args: &VerifyArgs, out: &mut impl Write) -> Result<u8> {
    let store = app.open_store()?;
    let claims = select_claims(&store, args).await?;
    if claims.is_empty() {
        return Err(
            InputError("nothing to verify: name claim ids or files, or pass --all".into()).into(),
        );
    }
    let source = WorldBank::new(&app.config.worldbank)?;
    let checker = Checker::new(source, app.config.clone());
    let bar = progress_bar(claims.len());
    let results = checker
        .check(&store, &claims, Utc::now(), |event| match event {
            Progress::Fetching(request) => {
                bar.set_message(format!("fetching {}", describe_request(request)))
            }
            Progress::Checked(_) => bar.inc(1),
        })
        .await?;
    bar.finish_and_clear();
    for result in &results {
        if args.json {
            writeln!(out, "{}", report::result_json(result))?;
        } else {
            writeln!(out, "{}\n", report::result_text(result))?;
        }
    }
    if !args.json {
        writeln!(out, "{}", summary(&results))?;
    }
    let gate_failed = args.fail_on.is_some_and(|threshold| {
        results
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .any(|r| r.verdict.grade.at_or_below(threshold))
    });
    let any_failed = results.iter().any(|r| r.outcome.is_err());
    Ok(if gate_failed {
        EXIT_FAILED_GATE
    } else if any_failed {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    })
}

async fn select_claims(store: &Store, args: &VerifyArgs) -> Result<Vec<Claim>> {
    if args.all {
        return Ok(store.claims()?);
    }
    let (paths, ids): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.targets.iter().partition(|t| t.exists());
    let mut claims = Vec::new();
    for id in ids {
        let id = id.to_string_lossy();
        claims.push(store.claim(&id)?.ok_or_else(|| unknown_id(store, &id))?);
    }
    if !paths.is_empty() {
        let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
        let (stored, errors) = load_files(store, &paths).await?;
        if errors > 0 {
            return Err(InputError(format!(
                "{errors} claim(s) rejected; fix the errors above and run again"
            ))
            .into());
        }
        claims.extend(stored.into_iter().map(|(c, _)| c));
    }
    Ok(claims)
}

fn summary(results: &[ClaimResult]) -> String {
    let mut counts: Vec<(String, usize)> = Grade::ALL
        .iter()
        .map(|g| {
            let n = results
                .iter()
                .filter(|r| r.outcome.as_ref().is_ok_and(|rec| rec.verdict.grade == *g))
                .count();
            (g.to_string(), n)
        })
        .collect();
    counts.push((
        "not checked".into(),
        results.iter().filter(|r| r.outcome.is_err()).count(),
    ));
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(g, n)| format!("{n} {g}"))
        .collect();
    let noun = if results.len() == 1 {
        "claim"
    } else {
        "claims"
    };
    format!("{} {noun} checked: {}", results.len(), parts.join(", "))
}

fn progress_bar(len: usize) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} claims  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

async fn remove(app: &App, ids: &[String], out: &mut impl Write) -> Result<u8> {
    let store = app.open_store()?;
    let mut missing = Vec::new();
    for id in ids {
        if store.remove_claim(id)? {
            writeln!(out, "removed {id}")?;
        } else {
            missing.push(id.as_str());
        }
    }
    store.flush().await?;
    if missing.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(InputError(format!("no claim with id {}", missing.join(", "))).into())
    }
}
