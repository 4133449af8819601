//! The request and response bodies of the local API, shared by the server's handlers and the
//! CLI's client, and the paths they live at (defined once, here).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::CheckFailure;
use crate::claim::{Claim, ClaimSpec};
use crate::queue::{Job, JobState};
use crate::store::{EditRecord, Upsert, VerdictRecord};

/// The API's paths. Routes and the client both use these.
pub mod paths {
    /// The report site's index (`GET`); its claim pages are `/claims/<id>.html` (and
    /// `.svg`), its article pages `/articles/<tag>.html`, as `report --out` lays them out.
    pub const REPORT: &str = "/";
    /// The index under its file name, as the pages link it (`GET`).
    pub const REPORT_INDEX: &str = "/index.html";
    /// The report's style sheet (`GET`).
    pub const REPORT_STYLE: &str = "/style.css";
    /// Liveness and which database the daemon serves.
    pub const HEALTH: &str = "/healthz";
    /// `GET` lists claims, `POST` adds them.
    pub const CLAIMS: &str = "/claims";
    /// One claim (`GET`, `DELETE`).
    pub const CLAIM: &str = "/claims/{id}";
    /// Queue a verification of one claim (`POST`).
    pub const CLAIM_VERIFY: &str = "/claims/{id}/verify";
    /// A claim's verdict history (`GET`).
    pub const CLAIM_VERDICTS: &str = "/claims/{id}/verdicts";
    /// `GET` lists jobs; `POST` queues verifications of several claims.
    pub const JOBS: &str = "/jobs";
    /// One job (`GET`).
    pub const JOB: &str = "/jobs/{id}";
    /// Send a dead job back to the queue (`POST`).
    pub const JOB_RETRY: &str = "/jobs/{id}/retry";
    /// The outcome of several jobs (`POST`).
    pub const RESULTS: &str = "/results";
    /// Queue every claim whose schedule is due, and every due job (`POST`).
    pub const DUE: &str = "/due";
    /// Change events (`GET`).
    pub const CHANGES: &str = "/changes";
    /// Keep a scanned article (`POST`).
    pub const ARTICLES: &str = "/articles";
    /// One scanned article by tag (`GET`).
    pub const ARTICLE: &str = "/articles/{id}";
    /// The whole database, read consistently (`GET`).
    pub const BACKUP: &str = "/backup";
    /// The response cache: `GET` its statistics, `DELETE` empties it.
    pub const CACHE: &str = "/cache";
    /// Prometheus metrics (`GET`).
    pub const METRICS: &str = "/metrics";

    /// `template` with its `{id}` filled in (percent-encoded).
    pub fn with_id(template: &str, id: &str) -> String {
        let encoded: String = id
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        template.replace("{id}", &encoded)
    }
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"`.
    pub status: String,
    /// The daemon's version.
    pub version: String,
    /// The database it serves.
    pub db: String,
}

/// A claim with its newest verdict, as `GET /claims` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimSummary {
    /// The claim.
    pub claim: Claim,
    /// Its newest verdict.
    pub latest: Option<VerdictRecord>,
}

/// A claim with its verdict history, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimDetail {
    /// The claim.
    pub claim: Claim,
    /// Its verdicts, newest first.
    pub history: Vec<VerdictRecord>,
    /// Its recorded edits, newest first.
    #[serde(default)]
    pub edits: Vec<EditRecord>,
}

/// One stored claim in the answer to `POST /claims`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Added {
    /// The claim as stored (id filled in, country as ISO3).
    pub claim: Claim,
    /// Added, updated or unchanged.
    pub upsert: Upsert,
    /// The verify job queued for a new or changed claim; `None` when the claim was already
    /// stored unchanged.
    pub job: Option<Job>,
    /// The edit recorded when an existing claim changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<EditRecord>,
}

/// `POST /claims` body: one claim, `{"claims": [...]}`, or a bare array of claims. Read by
/// [`NewClaims::from_json`], which says which of these a body is not.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum NewClaims {
    /// Several claims.
    Many {
        /// The claims.
        claims: Vec<ClaimSpec>,
    },
    /// One claim.
    One(Box<ClaimSpec>),
}

/// The shapes `POST /claims` takes, for its error messages.
const CLAIM_SHAPES: &str =
    r#"send one claim as an object such as {"text": "..."}, or several as {"claims": [...]}"#;

impl NewClaims {
    /// Reads a `POST /claims` body. An error says what the body is instead, and names the
    /// claim (`claims[2]`) and key (`text`) at fault.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON: {e}"))?;
        let mut map = match value {
            Value::Array(items) => return claims_of(items, "").map(|claims| Self::Many { claims }),
            Value::Object(map) => map,
            other => return Err(format!("the body is {}; {CLAIM_SHAPES}", kind(&other))),
        };
        if map.is_empty() {
            return Err(format!("the body is an empty object; {CLAIM_SHAPES}"));
        }
        match map.remove("claims") {
            None => claim_of(Value::Object(map)).map(|c| Self::One(Box::new(c))),
            Some(_) if !map.is_empty() => Err(format!(
                "a body with `claims` has no other keys (found `{}`); {CLAIM_SHAPES}",
                map.keys().next().map_or("", String::as_str)
            )),
            Some(Value::Array(items)) => {
                claims_of(items, "claims").map(|claims| Self::Many { claims })
            }
            Some(other) => Err(format!(
                "`claims` is {}; it must be an array of claim objects",
                kind(&other)
            )),
        }
    }

    /// The claims, in order.
    pub fn into_vec(self) -> Vec<ClaimSpec> {
        match self {
            Self::Many { claims } => claims,
            Self::One(claim) => vec![*claim],
        }
    }
}

/// `POST /claims?sentences=false`: take every claim as it is, never reading `text` as a
/// sentence (the CLI sends claims it has already read from files or sentences).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct AddQuery {
    /// False: no sentence reading. Default true.
    pub sentences: Option<bool>,
}

/// `POST /jobs`: claims to verify.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Claim ids.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Every stored claim (then `claims` must be empty).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

/// `POST /results`: jobs whose outcome is wanted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsRequest {
    /// Job ids.
    pub jobs: Vec<u64>,
}

/// `GET /jobs?state=…`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobsQuery {
    /// Only jobs in this state (`queued`, `running`, `succeeded`, `retrying`, `dead`).
    pub state: Option<String>,
}

/// `GET /changes?since=…`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangesQuery {
    /// Only events at or after this date (`2026-01-31`) or RFC 3339 time.
    pub since: Option<String>,
}

/// Reads `2026-01-31` or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{text:?} is not a date (2026-01-31) or an RFC 3339 time"))
}

/// What `verify` answers per claim: the job queued (or the claim's pending job), and for a
/// request settled at once (nothing a check could find has changed since the last one), its
/// result, so the caller need not read it back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verifying {
    /// The job.
    pub job: Job,
    /// False when the claim already had a pending job.
    pub created: bool,
    /// The result, when the request was settled at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Box<JobResult>>,
}

/// A verify job with its claim and, once it succeeded, the verdict it stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobResult {
    /// The claim.
    pub claim: Claim,
    /// The job as it is now.
    pub job: Job,
    /// The claim's newest verdict, when the job succeeded.
    pub verdict: Option<VerdictRecord>,
}

impl JobResult {
    /// True once waiting longer will not change the answer of this run (succeeded, dead, or
    /// waiting for a later retry).
    pub fn is_settled(&self) -> bool {
        !matches!(self.job.state, JobState::Queued | JobState::Running)
    }

    /// The verdict, or why there is none (yet).
    pub fn outcome(&self) -> Result<&VerdictRecord, CheckFailure> {
        if let (JobState::Succeeded, Some(record)) = (self.job.state, &self.verdict) {
            return Ok(record);
        }
        let job = &self.job;
        let reason = job
            .last_error
            .clone()
            .unwrap_or_else(|| "not checked yet".into());
        Err(match job.state {
            JobState::Retrying => CheckFailure {
                reason: format!(
                    "{reason} (job {} is retried from {}, by a running daemon or the next `claimcheck verify`)",
                    job.id,
                    job.run_at.format("%H:%M:%S UTC")
                ),
                retryable: true,
            },
            JobState::Dead => CheckFailure::permanent(reason),
            _ => CheckFailure {
                reason: format!(
                    "job {} is still {}; follow it with `claimcheck jobs`",
                    job.id, job.state
                ),
                retryable: true,
            },
        })
    }
}

/// Every error the API answers with: a stable code for scripts and a message for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code, e.g. `not_found`, `invalid_claim`, `conflict`.
    pub error: String,
    /// What is wrong and what to do, naming the field when one is at fault.
    pub message: String,
}

/// Each of `items` as a claim; errors name the item as `{prefix}[i]`.
fn claims_of(items: Vec<Value>, prefix: &str) -> Result<Vec<ClaimSpec>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            if !item.is_object() {
                return Err(format!(
                    "{prefix}[{i}] is {}, not a claim object",
                    kind(&item)
                ));
            }
            claim_of(item).map_err(|e| format!("{prefix}[{i}]: {e}"))
        })
        .collect()
}

/// One claim object; an error names the key at fault.
fn claim_of(value: Value) -> Result<ClaimSpec, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "" | "." => e.into_inner().to_string(),
            _ => format!("`{path}`: {}", e.into_inner()),
        }
    })
}

/// A JSON value's kind, with its article, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
