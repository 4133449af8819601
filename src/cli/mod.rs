//! The command line: clap definitions and one function per command. Commands go through a
//! running daemon's API when one answers, and open the database directly otherwise.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

mod backend;
mod backup;
mod completions;
pub mod demo;
pub mod export;
pub mod output;
pub mod report_site;
pub mod scan;
mod status;

use crate::check::{describe_request, ClaimResult, Progress};
use crate::claim::country::Countries;
use crate::claim::{file, number, Claim, Direction, Kind, Order, Relation, Tolerance};
use crate::config::Config;
use crate::daemon::api::parse_since;
use crate::queue::{schedule, JobState};
use crate::report;
use crate::store::Upsert;
use crate::verify::Grade;
use backend::Backend;

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
  claimcheck add \"El Salvador homicide rate 105 per 100,000 in 2015\"
                                            parse a sentence, store and verify it
  claimcheck add \"…\" --dry-run --json      show the parse only, as claim-file keys

Exit codes: 0 ok, 1 a verdict failed --fail-on, 2 bad usage or input, 3 could not finish
(database in use, source unreachable after retries).
Environment: CLAIMCHECK_DB (database dir), CLAIMCHECK_WORLDBANK_URL (API base URL),
RUST_LOG (log filter, e.g. claimcheck=debug).";

const ADD_FORMS: &str = "\
Two forms:
  claimcheck add \"El Salvador homicide rate 105 per 100,000 in 2015\"
      a sentence as news writes it: parsed, shown, stored and verified (--dry-run: parse only)
  claimcheck add --text \"Honduras had 9.9 million people in 2022\" --indicator SP.POP.TOTL \\
                 --country Honduras --year 2022 --value \"9.9 million\"
      the claim-file keys as flags
  claimcheck add --file claims/seed-article.toml   the claims of a file";

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
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in logs and tables (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, global = true, value_enum, default_value_t = output::ColorChoice::Auto)]
    pub color: output::ColorChoice,
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
    /// Add one claim from a sentence or from flags, or the claims of a file
    #[command(arg_required_else_help = true, after_help = ADD_FORMS)]
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
        /// Only claims with this tag
        #[arg(long)]
        tag: Option<String>,
        /// Only claims whose latest verdict is this grade
        #[arg(long, value_name = "GRADE")]
        verdict: Option<Grade>,
        /// Only claims whose id or text contains this (case-insensitive)
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
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
    /// Show the job queue, or retry a dead job (`jobs retry ID`)
    Jobs(JobsArgs),
    /// List change events: verdicts that changed, data that was revised
    Changes {
        /// Only events at or after this date (2026-01-31) or RFC 3339 time
        #[arg(long)]
        since: Option<String>,
        /// One JSON object per event
        #[arg(long)]
        json: bool,
    },
    /// Find the checkable sentences of an article, store and verify their claims
    Scan(scan::ScanArgs),
    /// Write a static HTML report: index, one page per claim with chart, scanned articles
    Report(report_site::ReportArgs),
    /// Print the latest verdicts as ClaimReview JSON-LD, JSON lines, CSV or Markdown
    Export(export::ExportArgs),
    /// Try claimcheck offline: a built-in World Bank stand-in, the seed article, a report
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): claimcheck man > claimcheck.1
    Man,
    /// Write the whole database (claims, history, jobs) to FILE, also while the daemon runs
    Backup {
        /// The backup file (JSON lines)
        file: PathBuf,
    },
    /// Replace the database with a backup (stop the daemon first)
    Restore {
        /// A file written by `claimcheck backup`
        file: PathBuf,
        /// Replace a database that already holds claims
        #[arg(long)]
        force: bool,
    },
    /// The state of the database: daemon, claims and verdicts, jobs, last check
    Status {
        /// One JSON object
        #[arg(long)]
        json: bool,
    },
    /// Run the daemon: worker, scheduler and local API (stop with SIGINT/SIGTERM)
    Daemon {
        /// Also serve the API on TCP (loopback unless [daemon] token is set)
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
}

/// `jobs` options.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// retry: send a dead job back to the queue
    #[command(subcommand)]
    pub action: Option<JobsAction>,
    /// Only jobs in this state: queued, running, succeeded, retrying, dead
    #[arg(long)]
    pub state: Option<JobState>,
    /// One JSON object per job: id, claim_id, state, attempts, last_error, …
    #[arg(long, global = true)]
    pub json: bool,
}

/// `jobs` subcommands.
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Queue a dead job again with fresh attempts
    Retry {
        /// Job id
        id: u64,
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
    /// Check only the claims whose schedule is due, then exit (for system cron)
    #[arg(long, conflicts_with_all = ["targets", "all"])]
    pub due: bool,
    /// One JSON object per claim per line
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when any verdict is this grade or worse (true, mostly-true, half-true,
    /// mostly-false, false; `unverifiable` matches only unverifiable)
    #[arg(long, value_name = "GRADE")]
    pub fail_on: Option<Grade>,
}

/// `add` options: a sentence, or the claim-file keys as flags.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The claim as a sentence, e.g. "El Salvador homicide rate 105 per 100,000 in 2015"
    #[arg(value_name = "SENTENCE", conflicts_with_all = ["file", "text", "indicator"])]
    pub sentence: Option<String>,
    /// Show how the sentence is understood without storing it
    #[arg(long, requires = "sentence")]
    pub dry_run: bool,
    /// Date the sentence was written, for "last year" [default: today]
    #[arg(long, value_name = "YYYY-MM-DD", requires = "sentence")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Add the claims of this claim file instead of one from flags
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "indicator"])]
    pub file: Option<PathBuf>,
    /// The claim as written (with the flags below)
    #[arg(long, required_unless_present_any = ["file", "sentence"])]
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

/// Everything a command needs: settings and the database path.
struct App {
    config: Config,
    db_path: PathBuf,
    /// Colour tables on stdout.
    color: bool,
}

impl App {
    async fn backend(&self) -> Result<Backend> {
        Backend::connect(&self.config, &self.db_path).await
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
    let color = output::use_color(
        cli.color,
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
    );
    let app = App {
        config,
        db_path,
        color,
    };
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Add(args) => add(&app, &args, &mut out).await,
        Command::Import { paths, json } => import(&app, &paths, json, &mut out).await,
        Command::List {
            json,
            tag,
            verdict,
            search,
        } => {
            let filter = output::ListFilter {
                tag,
                verdict,
                search,
            };
            list(&app, json, &filter, &mut out).await
        }
        Command::Show { id, json } => show(&app, &id, json, &mut out).await,
        Command::Verify(args) => verify(&app, &args, &mut out).await,
        Command::Remove { ids } => remove(&app, &ids, &mut out).await,
        Command::Jobs(args) => jobs(&app, &args, &mut out).await,
        Command::Changes { since, json } => changes(&app, since.as_deref(), json, &mut out).await,
        Command::Scan(args) => scan::run(&app, &args, &mut out).await,
        Command::Report(args) => report_site::run(&app, &args, &mut out).await,
        Command::Export(args) => export::run(&app, &args, &mut out).await,
        Command::Demo(args) => demo::run(&app, &args, &mut out).await,
        Command::Completions { shell } => completions::completions(shell, &mut out),
        Command::Man => completions::man(&mut out),
        Command::Status { json } => status::run(&app, json, &mut out).await,
        Command::Backup { file } => backup::backup(&app, &file, &mut out).await,
        Command::Restore { file, force } => backup::restore(&app, &file, force, &mut out).await,
        Command::Daemon { listen } => daemon(app, listen).await,
    }
}

async fn add(app: &App, args: &AddArgs, out: &mut impl Write) -> Result<u8> {
    if let Some(path) = &args.file {
        return import(app, std::slice::from_ref(path), args.json, out).await;
    }
    if let Some(sentence) = &args.sentence {
        return add_sentence(app, sentence, args, out).await;
    }
    let claim = args
        .to_claim()
        .validate(&Countries::embedded())
        .map_err(|e| InputError(format!("cannot add claim: {e}")))?;
    let backend = app.backend().await?;
    let (claim, upsert) = backend.put_claims(vec![claim]).await?.remove(0);
    if args.json {
        writeln!(out, "{}", report::claim_json(&claim))?;
    } else {
        writeln!(out, "{} {}", upsert_word(upsert), claim.id)?;
        if backend.is_daemon() {
            writeln!(
                out,
                "the daemon is verifying it: claimcheck show {}",
                claim.id
            )?;
        } else {
            writeln!(out, "verify it with: claimcheck verify {}", claim.id)?;
        }
    }
    Ok(EXIT_OK)
}

/// `add "sentence"`: parse, show what was understood, store and verify.
async fn add_sentence(
    app: &App,
    sentence: &str,
    args: &AddArgs,
    out: &mut impl Write,
) -> Result<u8> {
    let parser = app
        .config
        .sentence_parser()
        .map_err(|e| InputError(e.to_string()))?;
    let as_of = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let parsed = parser
        .parse(sentence, as_of)
        .map_err(|e| InputError(format!("cannot turn this sentence into a claim: {e}")))?;
    if args.json {
        let mut value = report::claim_json(&parsed.claim);
        value["spans"] = serde_json::to_value(&parsed.spans)?;
        value["notes"] = serde_json::to_value(&parsed.notes)?;
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{}", report::parse_text(&parsed))?;
    }
    if args.dry_run {
        return Ok(EXIT_OK);
    }
    let backend = app.backend().await?;
    let (claim, upsert) = backend.put_claims(vec![parsed.claim]).await?.remove(0);
    let results = run_checks(&backend, std::slice::from_ref(&claim)).await?;
    if !args.json {
        writeln!(out, "{} {}\n", upsert_word(upsert), claim.id)?;
        for result in &results {
            writeln!(out, "{}", report::result_text(result))?;
        }
    }
    Ok(if results.iter().any(|r| r.outcome.is_err()) {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    })
}

fn upsert_word(upsert: Upsert) -> &'static str {
    match upsert {
        Upsert::Added => "added",
        Upsert::Updated => "updated",
        Upsert::Unchanged => "unchanged",
    }
}

/// Reads claim files and stores the good claims; reports every bad one on stderr.
async fn load_files(backend: &Backend, paths: &[PathBuf]) -> Result<(Vec<(Claim, Upsert)>, usize)> {
    let files = file::collect_paths(paths).map_err(|e| InputError(e.to_string()))?;
    let countries = Countries::embedded();
    let mut claims = Vec::new();
    let mut errors = 0;
    for path in &files {
        let parsed = file::read(path, &countries);
        for error in &parsed.errors {
            eprintln!("error: {error}");
        }
        errors += parsed.errors.len();
        claims.extend(parsed.claims);
    }
    Ok((backend.put_claims(claims).await?, errors))
}

async fn import(app: &App, paths: &[PathBuf], json: bool, out: &mut impl Write) -> Result<u8> {
    let backend = app.backend().await?;
    let (stored, errors) = load_files(&backend, paths).await?;
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

async fn list(
    app: &App,
    json: bool,
    filter: &output::ListFilter,
    out: &mut impl Write,
) -> Result<u8> {
    let summaries = filter.apply(app.backend().await?.summaries().await?);
    if json {
        for s in &summaries {
            writeln!(out, "{}", report::list_json(&s.claim, s.latest.as_ref()))?;
        }
        return Ok(EXIT_OK);
    }
    if summaries.is_empty() && filter.is_active() {
        writeln!(out, "no claims match the filters")?;
        return Ok(EXIT_OK);
    }
    if summaries.is_empty() {
        writeln!(
            out,
            "no claims yet: add some with `claimcheck import claims/`"
        )?;
        return Ok(EXIT_OK);
    }
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| {
            vec![
                s.claim.id.clone(),
                s.latest
                    .as_ref()
                    .map_or("-".into(), |r| r.verdict.grade.to_string()),
                s.latest.as_ref().map_or("never".into(), |r| {
                    r.checked_at.format("%Y-%m-%d %H:%M").to_string()
                }),
                report::truncate(&s.claim.text, 70),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        output::table(&["ID", "VERDICT", "CHECKED", "CLAIM"], &rows, app.color)
    )?;
    Ok(EXIT_OK)
}

async fn show(app: &App, id: &str, json: bool, out: &mut impl Write) -> Result<u8> {
    let backend = app.backend().await?;
    let Some(detail) = backend.detail(id).await? else {
        return Err(unknown_id(&backend, id).await);
    };
    if json {
        let history: Vec<_> = detail
            .history
            .iter()
            .map(|r| report::verdict_json(&detail.claim, r))
            .collect();
        let value =
            serde_json::json!({ "claim": report::claim_json(&detail.claim), "history": history });
        writeln!(out, "{value}")?;
    } else {
        write!(out, "{}", report::show_text(&detail.claim, &detail.history))?;
    }
    Ok(EXIT_OK)
}

async fn unknown_id(backend: &Backend, id: &str) -> anyhow::Error {
    let closest = backend
        .summaries()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (strsim::jaro_winkler(id, &s.claim.id), s.claim.id))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match closest {
        Some((_, near)) => format!("; did you mean {near:?}?"),
        None => "; `claimcheck list` shows the stored ids".into(),
    };
    InputError(format!("no claim with id {id:?}{hint}")).into()
}

async fn verify(app: &App, args: &VerifyArgs, out: &mut impl Write) -> Result<u8> {
    let backend = app.backend().await?;
    if args.due {
        return verify_due(app, &backend, args, out).await;
    }
    let claims = select_claims(&backend, args).await?;
    if claims.is_empty() {
        return Err(
            InputError("nothing to verify: name claim ids or files, or pass --all".into()).into(),
        );
    }
    let results = run_checks(&backend, &claims).await?;
    print_results(&results, args, out)
}

/// `verify --due`: the claims whose schedule is due, checked in the foreground (for cron).
async fn verify_due(
    app: &App,
    backend: &Backend,
    args: &VerifyArgs,
    out: &mut impl Write,
) -> Result<u8> {
    let Backend::Local { store, config } = backend else {
        writeln!(
            out,
            "a claimcheck daemon is running and re-checks claims on their schedules; nothing to do"
        )?;
        return Ok(EXIT_OK);
    };
    let now = Utc::now();
    let due = schedule::due(store, &config.queue, now)?;
    if due.is_empty() {
        if !args.json {
            writeln!(out, "no claims are due")?;
        }
        return Ok(EXIT_OK);
    }
    let results = run_checks(backend, &due).await?;
    for result in results.iter().filter(|r| r.outcome.is_ok()) {
        schedule::advance(store, &result.claim, &app.config.queue, now)?;
    }
    store.flush().await?;
    print_results(&results, args, out)
}

async fn run_checks(backend: &Backend, claims: &[Claim]) -> Result<Vec<ClaimResult>> {
    let bar = progress_bar(claims.len());
    let results = backend
        .verify(claims, |event| match event {
            Progress::Fetching(request) => {
                bar.set_message(format!("fetching {}", describe_request(request)))
            }
            Progress::Checked(_) => bar.inc(1),
        })
        .await?;
    bar.finish_and_clear();
    Ok(results)
}

fn print_results(results: &[ClaimResult], args: &VerifyArgs, out: &mut impl Write) -> Result<u8> {
    for result in results {
        if args.json {
            writeln!(out, "{}", report::result_json(result))?;
        } else {
            writeln!(out, "{}\n", report::result_text(result))?;
        }
    }
    if !args.json {
        writeln!(out, "{}", summary(results))?;
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

async fn select_claims(backend: &Backend, args: &VerifyArgs) -> Result<Vec<Claim>> {
    if args.all {
        return Ok(backend
            .summaries()
            .await?
            .into_iter()
            .map(|s| s.claim)
            .collect());
    }
    let (paths, ids): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.targets.iter().partition(|t| t.exists());
    let mut claims = Vec::new();
    for id in ids {
        let id = id.to_string_lossy();
        match backend.detail(&id).await? {
            Some(detail) => claims.push(detail.claim),
            None => return Err(unknown_id(backend, &id).await),
        }
    }
    if !paths.is_empty() {
        let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
        let (stored, errors) = load_files(backend, &paths).await?;
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
    let backend = app.backend().await?;
    let mut missing = Vec::new();
    for id in ids {
        if backend.remove(id).await? {
            writeln!(out, "removed {id}")?;
        } else {
            missing.push(id.as_str());
        }
    }
    if missing.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(InputError(format!("no claim with id {}", missing.join(", "))).into())
    }
}

async fn jobs(app: &App, args: &JobsArgs, out: &mut impl Write) -> Result<u8> {
    let backend = app.backend().await?;
    if let Some(JobsAction::Retry { id }) = args.action {
        let job = backend.retry_job(id).await?;
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&job)?)?;
        } else {
            writeln!(out, "job {} for {} is queued again", job.id, job.claim_id)?;
        }
        return Ok(EXIT_OK);
    }
    let jobs = backend.jobs(args.state).await?;
    if args.json {
        for job in &jobs {
            writeln!(out, "{}", serde_json::to_string(job)?)?;
        }
        return Ok(EXIT_OK);
    }
    if jobs.is_empty() {
        writeln!(out, "no jobs")?;
        return Ok(EXIT_OK);
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.id.to_string(),
                format!("{:?}", j.state).to_lowercase(),
                j.claim_id.clone(),
                j.attempts.to_string(),
                j.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                j.last_error
                    .as_deref()
                    .map(|e| report::truncate(e, 80))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        report::table(
            &["JOB", "STATE", "CLAIM", "ATTEMPTS", "UPDATED", "LAST ERROR"],
            &rows
        )
    )?;
    Ok(EXIT_OK)
}

async fn changes(app: &App, since: Option<&str>, json: bool, out: &mut impl Write) -> Result<u8> {
    let since = since.map(parse_since).transpose().map_err(InputError)?;
    let events = app.backend().await?.changes(since).await?;
    for event in &events {
        if json {
            writeln!(out, "{}", serde_json::to_string(event)?)?;
        } else {
            writeln!(
                out,
                "{}  {:<28} {}",
                event.at.format("%Y-%m-%d %H:%M"),
                event.claim_id,
                event.change
            )?;
        }
    }
    if events.is_empty() && !json {
        writeln!(out, "no changes")?;
    }
    Ok(EXIT_OK)
}

async fn daemon(app: App, listen: Option<String>) -> Result<u8> {
    let mut config = app.config;
    if listen.is_some() {
        config.daemon.listen = listen;
    }
    crate::daemon::run(config, app.db_path, shutdown_signal()).await?;
    Ok(EXIT_OK)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
