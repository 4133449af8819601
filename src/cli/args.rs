//! The command line's definitions: every command, flag and help text, apart from the code
//! that runs them (`cli::cmd`). `--help` is generated from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use super::cmd::demo::DemoArgs;
pub use super::cmd::export::ExportArgs;
pub use super::cmd::output::ColorChoice;
pub use super::cmd::report_site::ReportArgs;
pub use super::cmd::scan::ScanArgs;
use crate::claim::{number, ClaimSpec, Direction, Kind, Order, Relation, Tolerance};
use crate::queue::JobState;
use crate::verify::Grade;

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
  claimcheck edit sv-homicide-2015 --schedule \"0 6 * * 1\"
                                            change a key (here: re-check every Monday at
                                            06:00 UTC); the edit is kept in the history

Exit codes: 0 ok, 1 a verdict failed --fail-on, 2 bad usage or input, 3 could not finish
(database in use, source unreachable after retries).
Environment: CLAIMCHECK_DB (database dir or postgres:// URL), CLAIMCHECK_WORLDBANK_URL and
CLAIMCHECK_OWID_URL (the sources' base URLs, e.g. a local stand-in), RUST_LOG (log filter,
e.g. claimcheck=debug).";

pub(crate) const ADD_FORMS: &str = "\
Two forms:
  claimcheck add \"El Salvador homicide rate 105 per 100,000 in 2015\"
      a sentence as news writes it: parsed, shown, stored and verified (--dry-run: parse only)
  claimcheck add --text \"Honduras had 9.9 million people in 2022\" --indicator SP.POP.TOTL \\
                 --country Honduras --year 2022 --value \"9.9 million\"
      the claim-file keys as flags: stored and verified
  claimcheck add --file claims/seed-article.toml   the claims of a file

Sentences it reads (every number, negation and time phrase must be used, or it refuses and
names the words it could not place):
  \"Jamaica's murder rate was 49 per 100,000 in 2023\"                 a value
  \"Guatemala's population grew by 10% from 2000 to 2022\"            a change (also doubled)
  \"Since 2011 Honduras has more than halved its murder rate\"        a change to the latest year
  \"In 2015 Honduras had one of the highest murder rates in the world\"   a rank (one of = top ten)
  \"Brazil's murder rate is at its lowest since 1994\"                a record
  \"Colombia's homicide rate was three times Chile's in 2015\"        a comparison (or overtook)
  \"India is home to a sixth of humanity\"                            a share of a total
  \"El Salvador's murder rate fell for seven years in a row\"         a streak (\"is rising\": a trend)
  \"Mexico's murder rate did not fall in 2017\"                       a denial
  \"Ecuador has 18 million people and a murder rate of 90 per 100,000\"   two linked claims
--as-of dates \"now\", \"still\", \"last year\" and \"two years ago\" (the latest data up to then).";

/// Check statistical claims against public data and keep verdicts with evidence and history.
#[derive(Debug, Parser)]
#[command(name = "claimcheck", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Config file [default: config/claimcheck.toml when present, else
    /// ~/.config/claimcheck/claimcheck.toml ($XDG_CONFIG_HOME) when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: a directory (sled) or a postgres://USER@HOST/DB[?schema=NAME] URL
    /// [default: ~/.local/share/claimcheck]
    #[arg(long, global = true, env = "CLAIMCHECK_DB", value_name = "DIR|URL")]
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
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
    /// Change a stored claim's keys; the edit is recorded in its history and it is re-checked
    #[command(arg_required_else_help = true)]
    Edit(Box<EditArgs>),
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
    /// Search the World Bank's WDI catalogue offline, or show one series' definition
    Indicators {
        /// search TEXT | show CODE
        #[command(subcommand)]
        action: IndicatorsAction,
    },
    /// Refresh the WDI catalogue from the World Bank API
    Catalogue {
        /// update
        #[command(subcommand)]
        action: CatalogueAction,
    },
    /// Find the checkable sentences of an article, store and verify their claims
    Scan(ScanArgs),
    /// Write a static HTML report: index, one page per claim with chart, scanned articles
    Report(ReportArgs),
    /// Print the latest verdicts as ClaimReview JSON-LD, JSON lines, CSV or Markdown
    Export(ExportArgs),
    /// Try claimcheck offline: a built-in World Bank stand-in, the seed article, a report
    Demo(DemoArgs),
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
    /// The response cache of fetched series: `cache stats`, `cache clear`
    Cache {
        /// stats | clear
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Apply pending schema migrations to a PostgreSQL database (opening it does too)
    Migrate,
    /// Copy a sled database (claims, history, jobs, schedules, metadata) into an empty
    /// PostgreSQL database, then check every record arrived
    MigrateStore {
        /// The sled database directory
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The PostgreSQL URL (postgres://USER@HOST/DB[?schema=NAME])
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Run the daemon: worker, scheduler and local API (stop with SIGINT/SIGTERM)
    Daemon {
        /// Also serve the API on TCP at ADDR, e.g. 127.0.0.1:7878 or localhost:7878 (loopback
        /// unless [daemon] token is set)
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
    #[arg(long, ignore_case = true, value_parser = job_states())]
    pub state: Option<JobState>,
    /// Only the newest N jobs (a `verify --all` of 10,000 claims adds 10,000)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// One JSON object per job: id, claim_id, state, attempts, last_error, …
    #[arg(long, global = true)]
    pub json: bool,
}

/// The job states as values clap lists (in `--help`, errors and shell completions).
fn job_states() -> impl clap::builder::TypedValueParser<Value = JobState> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(JobState::ALL.map(JobState::as_str))
        .map(|state| state.parse::<JobState>().expect("one of JobState::ALL"))
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
    /// Answer from cached series alone, asking no source; claims whose series was never
    /// fetched are named as not checked. Without a daemon this run does it
    #[arg(long)]
    pub offline: bool,
    /// Exit 1 when any verdict is this grade or worse (true, mostly-true, half-true,
    /// mostly-false, false; `unverifiable` matches only unverifiable)
    #[arg(long, value_name = "GRADE")]
    pub fail_on: Option<Grade>,
    /// Also fetch the other source for statistics both publish (homicide rate, population,
    /// life expectancy, GDP per capita PPP, CO2 per capita) and note where they disagree.
    /// Without a daemon this run does it; a daemon follows `corroborate` in its config
    #[arg(long)]
    pub corroborate: bool,
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
    // Not `required_unless_present_any`: with CLAIMCHECK_DB set, clap then reported a
    // missing --text instead of showing the forms; `add` checks it itself.
    #[arg(long)]
    pub text: Option<String>,
    /// Id [default: a slug of the text]
    #[arg(long)]
    pub id: Option<String>,
    /// World Bank indicator code (VC.IHR.PSRC.P5), or with --source owid a chart slug
    /// (homicide-rate-unodc)
    #[arg(long)]
    pub indicator: Option<String>,
    /// Data source: worldbank or owid (Our World in Data)
    #[arg(long, default_value = "worldbank", conflicts_with = "file")]
    pub source: String,
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

/// `edit` options: the claim's id and the claim-file keys to change (the others are kept).
#[derive(Debug, Args)]
pub struct EditArgs {
    /// Id of the stored claim
    pub id: String,
    /// The claim as written
    #[arg(long)]
    pub text: Option<String>,
    /// Indicator code, or with --source owid a chart slug
    #[arg(long)]
    pub indicator: Option<String>,
    /// Data source: worldbank or owid
    #[arg(long)]
    pub source: Option<String>,
    /// Country: ISO3, World Bank 2-letter code or name
    #[arg(long)]
    pub country: Option<String>,
    /// Year
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
    #[arg(long, value_enum)]
    pub relation: Option<RelationArg>,
    /// value, rank, change, sum, mean
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Tolerance: "2%" (relative) or "0.5" (absolute)
    #[arg(long, value_parser = parse_tolerance)]
    pub tolerance: Option<Tolerance>,
    /// Claimed rank (1 = first)
    #[arg(long)]
    pub rank: Option<u32>,
    /// Rank order: desc or asc
    #[arg(long, value_enum)]
    pub order: Option<OrderArg>,
    /// Peer set for a rank, comma-separated codes (replaces the stored set)
    #[arg(long, value_delimiter = ',')]
    pub among: Option<Vec<String>>,
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
    /// Tag (repeatable; replaces the stored tags)
    #[arg(long = "tag")]
    pub tags: Option<Vec<String>>,
    /// Note for readers
    #[arg(long)]
    pub note: Option<String>,
    /// Print the stored claim as JSON
    #[arg(long)]
    pub json: bool,
}

impl EditArgs {
    /// Applies the given flags to `spec`; false when that changes nothing.
    pub(crate) fn apply(&self, spec: &mut ClaimSpec) -> bool {
        let before = spec.clone();
        set(&mut spec.text, self.text.clone());
        set(&mut spec.source, self.source.clone());
        set_some(&mut spec.indicator, self.indicator.clone());
        set_some(&mut spec.country, self.country.clone());
        set_some(&mut spec.year, self.year);
        set_some(&mut spec.from_year, self.from_year);
        set_some(&mut spec.value, self.value);
        set_some(&mut spec.value_max, self.value_max);
        set(&mut spec.relation, self.relation.map(Into::into));
        set(&mut spec.kind, self.kind.map(Into::into));
        set_some(&mut spec.tolerance, self.tolerance);
        set_some(&mut spec.rank, self.rank);
        set_some(&mut spec.order, self.order.map(Into::into));
        set(&mut spec.among, self.among.clone());
        set_some(&mut spec.direction, self.direction.map(Into::into));
        set_some(&mut spec.from_value, self.from_value);
        set_some(&mut spec.change_pct, self.change_pct);
        set_some(&mut spec.schedule, self.schedule.clone());
        set(&mut spec.tags, self.tags.clone());
        set_some(&mut spec.note, self.note.clone());
        *spec != before
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn set_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
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
    /// The claim the flags describe, before validation.
    pub(crate) fn to_spec(&self) -> ClaimSpec {
        let text = self.text.clone().unwrap_or_default();
        let mut claim = ClaimSpec::new(
            self.id.clone().unwrap_or_else(|| crate::claim::slug(&text)),
            text,
        );
        claim.indicator = self.indicator.clone();
        claim.source = self.source.clone();
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

/// `indicators` subcommands.
#[derive(Debug, Subcommand)]
pub enum IndicatorsAction {
    /// List WDI series whose code or name holds every word (like wbgapi's series.info(q=…))
    Search(SearchArgs),
    /// Print one series: name, unit, topic, source and definition
    Show {
        /// Indicator code, e.g. NY.GNP.PCAP.PP.CD
        code: String,
        /// One JSON object
        #[arg(long)]
        json: bool,
    },
}

/// `indicators search` options.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words of the name ("gni per capita ppp") or a code
    #[arg(required = true)]
    pub text: Vec<String>,
    /// Show at most this many series
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per series: code, name, unit, unit_family, topic, source
    #[arg(long)]
    pub json: bool,
}

/// `catalogue` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogueAction {
    /// Fetch every WDI series from the World Bank API (/v2/indicator?source=2) and keep it
    /// beside the database; `indicators` and sentence parsing then use it
    Update {
        /// Write here instead of <db>/catalogue/wdi_series.tsv
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the result as one JSON object
        #[arg(long)]
        json: bool,
    },
}

/// `cache` subcommands.
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Cached series: how many, how many fresh, bytes, oldest and newest fetch
    Stats {
        /// One JSON object
        #[arg(long)]
        json: bool,
    },
    /// Empty the cache: the next checks ask the sources
    Clear,
}
