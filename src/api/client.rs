//! The API client the CLI uses when a daemon serves the database: one method per operation,
//! with the server's own request and response types and paths. Large imports are sent in
//! chunks that stay under the server's body limit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::types::{
    paths, Added, ClaimDetail, ClaimSummary, ErrorBody, Health, JobResult, ResultsRequest,
    VerifyRequest, Verifying,
};
use crate::claim::Claim;
use crate::queue::{Job, JobState};
use crate::store::{ChangeEvent, VerdictRecord};

/// Claims per `POST /claims` at most.
const CLAIMS_PER_REQUEST: usize = 500;

/// Bytes of claims per `POST /claims` at most: under the API's 1 MiB body limit with room
/// for the wrapper (claims with long notes went over it at 500 a request).
const BYTES_PER_REQUEST: usize = crate::api::server::MAX_BODY_BYTES * 7 / 8;

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The daemon did not answer.
    #[error("the daemon on {socket} did not answer: {source}")]
    Unreachable {
        /// The socket.
        socket: PathBuf,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The daemon refused the request.
    #[error("{}", .body.message)]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// The answer is not what this version expects.
    #[error("the daemon's answer to {path} is not what this version of claimcheck expects (is the daemon another version?): {detail}")]
    Unexpected {
        /// The path asked.
        path: String,
        /// What did not fit.
        detail: String,
    },
}

/// The claims in runs of at most [`CLAIMS_PER_REQUEST`] claims and [`BYTES_PER_REQUEST`]
/// bytes of JSON; a claim larger than that alone is refused, naming it.
fn chunks(claims: &[Claim]) -> Result<Vec<&[Claim]>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (at, claim) in claims.iter().enumerate() {
        let size = serde_json::to_vec(claim).map_or(0, |v| v.len()) + 1;
        if size > BYTES_PER_REQUEST {
            return Err(ClientError::Refused {
                status: 413,
                body: ErrorBody {
                    error: "too_large".into(),
                    message: format!(
                        "claim {} is {size} bytes as JSON, more than one request to the daemon carries ({BYTES_PER_REQUEST}): shorten its text or note",
                        claim.id
                    ),
                },
            });
        }
        if at > start && (at - start == CLAIMS_PER_REQUEST || bytes + size > BYTES_PER_REQUEST) {
            out.push(&claims[start..at]);
            (start, bytes) = (at, 0);
        }
        bytes += size;
    }
    if start < claims.len() {
        out.push(&claims[start..]);
    }
    Ok(out)
}

impl ClientError {
    /// True when the request itself was at fault (4xx): the user's input.
    pub fn is_input(&self) -> bool {
        matches!(self, Self::Refused { status, .. } if (400..500).contains(status))
    }
}

type Result<T> = std::result::Result<T, ClientError>;

/// An HTTP client for the daemon's Unix socket.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    socket: PathBuf,
}

impl Client {
    /// A client for the daemon on `socket`.
    pub fn new(socket: &Path) -> std::result::Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .unix_socket(socket.to_path_buf())
            .timeout(Duration::from_secs(120))
            // A new connection per request (cheap on a Unix socket): never reuse one the
            // daemon is closing for idleness ([daemon] header_timeout_secs).
            .pool_max_idle_per_host(0)
            .build()?;
        Ok(Self {
            http,
            socket: socket.to_path_buf(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T> {
        let bytes = self.call_bytes(method, path, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Unexpected {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    /// The body of a successful answer, as sent; an error answer is [`ClientError::Refused`].
    async fn call_bytes(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<Vec<u8>> {
        let mut request = self
            .http
            .request(method, format!("http://claimcheck{path}"));
        if let Some(body) = body {
            request = request.json(body);
        }
        let unreachable = |source| ClientError::Unreachable {
            socket: self.socket.clone(),
            source,
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let body = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
                error: "unknown".into(),
                message: format!("{status}: {}", String::from_utf8_lossy(&bytes)),
            });
            return Err(ClientError::Refused {
                status: status.as_u16(),
                body,
            });
        }
        Ok(bytes.to_vec())
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(Method::GET, path, None::<&()>).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health> {
        self.get(paths::HEALTH).await
    }

    /// `GET /healthz`, given up after `limit`: a daemon that is stopped (SIGSTOP) or stuck
    /// kept every command waiting for the 120 s request timeout.
    pub async fn health_within(&self, limit: Duration) -> Result<Health> {
        match tokio::time::timeout(limit, self.health()).await {
            Ok(answer) => answer,
            Err(_) => Err(ClientError::Unexpected {
                path: paths::HEALTH.into(),
                detail: format!("no answer within {} s", limit.as_secs()),
            }),
        }
    }

    /// Adds claims that are already claims (never re-read as sentences), in chunks under
    /// the body limit.
    pub async fn add(&self, claims: &[Claim]) -> Result<Vec<Added>> {
        let mut added = Vec::with_capacity(claims.len());
        let path = format!("{}?sentences=false", paths::CLAIMS);
        for chunk in chunks(claims)? {
            let body = serde_json::json!({ "claims": chunk });
            added.extend(self.post::<Vec<Added>>(&path, &body).await?);
        }
        Ok(added)
    }

    /// Every claim with its newest verdict.
    pub async fn list(&self) -> Result<Vec<ClaimSummary>> {
        self.get(paths::CLAIMS).await
    }

    /// A claim and its history.
    pub async fn show(&self, id: &str) -> Result<ClaimDetail> {
        self.get(&paths::with_id(paths::CLAIM, id)).await
    }

    /// A claim's verdicts, newest first.
    pub async fn verdicts(&self, id: &str) -> Result<Vec<VerdictRecord>> {
        self.get(&paths::with_id(paths::CLAIM_VERDICTS, id)).await
    }

    /// Removes a claim.
    pub async fn remove(&self, id: &str) -> Result<()> {
        let path = paths::with_id(paths::CLAIM, id);
        self.call::<serde_json::Value>(Method::DELETE, &path, None::<&()>)
            .await
            .map(|_| ())
    }

    /// Queues verifications.
    pub async fn verify(&self, ids: &[String]) -> Result<Vec<Verifying>> {
        let body = VerifyRequest {
            claims: ids.to_vec(),
            all: false,
        };
        self.post(paths::JOBS, &body).await
    }

    /// Queues a verification of every stored claim (the daemon lists them itself).
    pub async fn verify_all(&self) -> Result<Vec<Verifying>> {
        let body = VerifyRequest {
            claims: Vec::new(),
            all: true,
        };
        self.post(paths::JOBS, &body).await
    }

    /// Queues due schedules; returns every due job.
    pub async fn due(&self) -> Result<Vec<Job>> {
        self.post(paths::DUE, &serde_json::json!({})).await
    }

    /// The jobs' results.
    pub async fn results(&self, jobs: &[u64]) -> Result<Vec<JobResult>> {
        let body = ResultsRequest {
            jobs: jobs.to_vec(),
        };
        self.post(paths::RESULTS, &body).await
    }

    /// Jobs, newest first.
    pub async fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>> {
        let query = state.map(|s| format!("?state={s}")).unwrap_or_default();
        self.get(&format!("{}{query}", paths::JOBS)).await
    }

    /// Sends a dead job back to the queue.
    pub async fn retry(&self, id: u64) -> Result<Job> {
        let path = paths::with_id(paths::JOB_RETRY, &id.to_string());
        self.post(&path, &serde_json::json!({})).await
    }

    /// Change events at or after `since`.
    pub async fn changes(&self, since: Option<DateTime<Utc>>) -> Result<Vec<ChangeEvent>> {
        let query = since
            .map(|s| {
                let time = s.to_rfc3339_opts(SecondsFormat::Secs, true);
                format!("?since={}", time.replace('+', "%2B"))
            })
            .unwrap_or_default();
        self.get(&format!("{}{query}", paths::CHANGES)).await
    }

    /// Keeps a scanned article.
    pub async fn put_article(&self, article: &crate::scan::Article) -> Result<()> {
        self.post::<serde_json::Value>(paths::ARTICLES, article)
            .await
            .map(|_| ())
    }

    /// The scanned article kept under `tag`.
    pub async fn article(&self, tag: &str) -> Result<Option<crate::scan::Article>> {
        match self.get(&paths::with_id(paths::ARTICLE, tag)).await {
            Ok(article) => Ok(Some(article)),
            Err(e) if Self::is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The whole database, read by the daemon.
    pub async fn backup(&self) -> Result<crate::backup::Backup> {
        let bytes = self
            .call_bytes(Method::GET, paths::BACKUP, None::<&()>)
            .await?;
        let unexpected = |detail: String| ClientError::Unexpected {
            path: paths::BACKUP.to_string(),
            detail,
        };
        let text = std::str::from_utf8(&bytes).map_err(|e| unexpected(e.to_string()))?;
        crate::backup::Backup::from_json_lines(text).map_err(unexpected)
    }

    /// The response cache's statistics.
    pub async fn cache_stats(&self) -> Result<crate::cache::CacheStats> {
        self.get(paths::CACHE).await
    }

    /// Empties the response cache; returns how many series it held.
    pub async fn cache_clear(&self) -> Result<usize> {
        let answer: serde_json::Value =
            self.call(Method::DELETE, paths::CACHE, None::<&()>).await?;
        Ok(answer["removed"].as_u64().unwrap_or(0) as usize)
    }

    /// True when the error is the daemon's "not found".
    pub fn is_not_found(error: &ClientError) -> bool {
        matches!(error, ClientError::Refused { status, .. } if *status == StatusCode::NOT_FOUND.as_u16())
    }
}
