//! The daemon's local HTTP API (JSON): claims, verdicts, jobs and change events. Served on a
//! Unix socket (mode 0600, no token) and optionally on TCP, where a configured bearer token
//! is required. Bodies are limited to [`MAX_BODY_BYTES`]; errors are `{"error": "…"}`.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;

use crate::claim::country::Countries;
use crate::claim::sentence::SentenceParser;
use crate::claim::Claim;
use crate::config::Config;
use crate::queue::{schedule, Enqueued, Job, JobState, Priority, Queue, QueueError};
use crate::store::{StoreError, Upsert, VerdictRecord};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    queue: Queue,
    config: Arc<Config>,
    wake: Arc<Notify>,
    countries: Arc<Countries>,
    parser: Arc<SentenceParser>,
}

impl AppState {
    /// State for a daemon's queue; `wake` is notified when work is enqueued.
    pub fn new(queue: Queue, config: Config, wake: Arc<Notify>, parser: SentenceParser) -> Self {
        Self {
            queue,
            config: Arc::new(config),
            wake,
            countries: Arc::new(Countries::embedded()),
            parser: Arc::new(parser),
        }
    }
}

/// An API error as a status and a message.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        let status = match e {
            QueueError::UnknownJob(_) => StatusCode::NOT_FOUND,
            QueueError::Conflict(_) => StatusCode::CONFLICT,
            QueueError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, e.to_string())
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn not_found(id: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("no claim with id {id:?}"))
}

/// The routes, without authentication.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/claims", get(list_claims).post(add_claims))
        .route("/claims/{id}", get(get_claim).delete(delete_claim))
        .route("/claims/{id}/verify", post(verify_claim))
        .route("/claims/{id}/verdicts", get(verdicts))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{id}", get(get_job))
        .route("/jobs/{id}/retry", post(retry_job))
        .route("/changes", get(changes))
        .route("/metrics", get(metrics))
        .route("/backup", get(backup))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the API on the Unix socket until `shutdown`.
pub async fn serve_unix(
    listener: tokio::net::UnixListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    if let Err(e) = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "API (unix socket) stopped");
    }
}

/// Serves the API on TCP until `shutdown`, requiring the bearer token when one is set.
pub async fn serve_tcp(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let token = state.config.daemon.token.clone();
    let app = router(state).layer(middleware::from_fn(move |request: Request, next: Next| {
        let token = token.clone();
        async move { require_token(token.as_deref(), request, next).await }
    }));
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "API (tcp) stopped");
    }
}

async fn require_token(token: Option<&str>, request: Request, next: Next) -> Response {
    let Some(token) = token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given == Some(token) {
        next.run(request).await
    } else {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".into(),
        )
        .into_response()
    }
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "db": state.queue.store().path(),
    }))
}

/// `GET /backup`: the whole database, read consistently ([`crate::backup`]).
async fn backup(State(state): State<AppState>) -> ApiResult<Json<crate::backup::Backup>> {
    crate::backup::dump(state.queue.store().sled_db())
        .map(Json)
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// `GET /metrics`: Prometheus text ([`crate::metrics`]).
async fn metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let jobs = state.queue.list(None)?;
    let text = crate::metrics::render(state.queue.store(), &jobs)?;
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// A claim with its newest verdict, as `GET /claims` lists it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClaimSummary {
    /// The claim.
    pub claim: Claim,
    /// Its newest verdict.
    pub latest: Option<VerdictRecord>,
}

async fn list_claims(State(state): State<AppState>) -> ApiResult<Json<Vec<ClaimSummary>>> {
    let store = state.queue.store();
    let mut out = Vec::new();
    for claim in store.claims()? {
        let latest = store.latest_verdict(&claim.id)?;
        out.push(ClaimSummary { claim, latest });
    }
    Ok(Json(out))
}

/// `POST /claims` body: one claim, or `{"claims": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum NewClaims {
    /// Several claims.
    Many {
        /// The claims.
        claims: Vec<Claim>,
    },
    /// One claim.
    One(Box<Claim>),
}

/// One stored claim in the answer to `POST /claims`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Added {
    /// The claim as stored (id filled in, country as ISO3).
    pub claim: Claim,
    /// Added, updated or unchanged.
    pub upsert: Upsert,
    /// The verify job queued for a new or changed claim; `None` when the claim was already
    /// stored unchanged.
    pub job: Option<Job>,
}

async fn add_claims(
    State(state): State<AppState>,
    Json(body): Json<NewClaims>,
) -> ApiResult<(StatusCode, Json<Vec<Added>>)> {
    let claims = match body {
        NewClaims::Many { claims } => claims,
        NewClaims::One(claim) => vec![*claim],
    };
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (i, claim) in claims.into_iter().enumerate() {
        let label = if claim.id.is_empty() {
            format!("claim {}", i + 1)
        } else {
            format!("claim {:?}", claim.id)
        };
        if is_sentence_only(&claim) {
            match state.parser.parse(&claim.text, Utc::now().date_naive()) {
                Ok(parsed) => valid.push(parsed.claim),
                Err(e) => errors.push(format!("{label}: cannot turn the text into a claim: {e}")),
            }
            continue;
        }
        match claim.validate(&state.countries) {
            Ok(claim) => valid.push(claim),
            Err(e) => errors.push(format!("{label}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.join("; "),
        ));
    }
    let store = state.queue.store();
    let now = Utc::now();
    let mut added = Vec::new();
    for claim in valid {
        let upsert = store.put_claim(&claim)?;
        let job = if upsert == Upsert::Unchanged {
            None
        } else {
            let Enqueued { job, .. } = state.queue.enqueue(&claim.id, Priority::User, now)?;
            // This job is the claim's run for now; the schedule continues from here.
            schedule::advance(store, &claim, &state.config.queue, now)?;
            Some(job)
        };
        added.push(Added { claim, upsert, job });
    }
    store.flush().await?;
    state.wake.notify_waiters();
    Ok((StatusCode::CREATED, Json(added)))
}

/// True for `{"text": "…"}` alone: the text is parsed as a sentence.
fn is_sentence_only(claim: &Claim) -> bool {
    claim.indicator.is_none()
        && claim.country.is_none()
        && claim.value.is_none()
        && claim.note.is_none()
}

/// A claim with its verdict history, newest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClaimDetail {
    /// The claim.
    pub claim: Claim,
    /// Its verdicts, newest first.
    pub history: Vec<VerdictRecord>,
}

async fn get_claim(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ClaimDetail>> {
    let store = state.queue.store();
    let claim = store.claim(&id)?.ok_or_else(|| not_found(&id))?;
    Ok(Json(ClaimDetail {
        claim,
        history: store.history(&id)?,
    }))
}

async fn delete_claim(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let store = state.queue.store();
    if !store.remove_claim(&id)? {
        return Err(not_found(&id));
    }
    store.flush().await?;
    Ok(Json(json!({ "removed": id })))
}

async fn verify_claim(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Enqueued>)> {
    if state.queue.store().claim(&id)?.is_none() {
        return Err(not_found(&id));
    }
    let enqueued = state.queue.enqueue(&id, Priority::User, Utc::now())?;
    state.queue.store().flush().await?;
    state.wake.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(enqueued)))
}

async fn verdicts(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<VerdictRecord>>> {
    let store = state.queue.store();
    if store.claim(&id)?.is_none() {
        return Err(not_found(&id));
    }
    Ok(Json(store.history(&id)?))
}

#[derive(Debug, Deserialize)]
struct JobsQuery {
    state: Option<String>,
}

async fn list_jobs(
    State(state): State<AppState>,
    Query(q): Query<JobsQuery>,
) -> ApiResult<Json<Vec<Job>>> {
    let filter = q
        .state
        .map(|s| s.parse::<JobState>())
        .transpose()
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(state.queue.list(filter)?))
}

async fn get_job(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Json<Job>> {
    state.queue.get(id)?.map(Json).ok_or(ApiError(
        StatusCode::NOT_FOUND,
        format!("no job with id {id}"),
    ))
}

async fn retry_job(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Json<Job>> {
    let job = state.queue.retry(id, Utc::now())?;
    state.queue.store().flush().await?;
    state.wake.notify_waiters();
    Ok(Json(job))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    since: Option<String>,
}

async fn changes(
    State(state): State<AppState>,
    Query(q): Query<ChangesQuery>,
) -> ApiResult<Json<Vec<crate::store::ChangeEvent>>> {
    let since = q
        .since
        .as_deref()
        .map(parse_since)
        .transpose()
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(state.queue.store().changes(since)?))
}

/// Reads `2026-01-31` or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        .map_err(|_| format!("{text:?} is not a date (2026-01-31) or an RFC 3339 time"))
}
