//! The local API's routes and handlers: thin adapters from HTTP to [`App`]. Served on a Unix
//! socket (mode 0600, no token) and optionally on TCP, where a configured bearer token is
//! required and checked, in constant time, before any body is read. Every error is JSON
//! ([`ErrorBody`]) with a stable code, including the framework's own (404, 405, 413, 415).
//!
//! [`serve`] bounds what a client can hold: a connection limit per listener (a semaphore
//! taken before `accept`, so further clients wait in the kernel's backlog), a header read
//! timeout (hyper's own, which also covers idle kept-alive connections) and a body read
//! timeout (the whole body, when a handler reads it).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::de::DeserializeOwned;

use super::types::{
    parse_since, paths, AddQuery, Added, ChangesQuery, ErrorBody, Health, JobsQuery, NewClaims,
    ResultsRequest, VerifyRequest,
};
use crate::app::intake::claim_from_body;
use crate::app::{App, AppError};
use crate::claim::country::Countries;
use crate::claim::sentence::SentenceParser;
use crate::config::{DaemonConfig, Secret};
use crate::queue::{JobState, QueueError};
use crate::store::StoreError;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What one client may hold of the API: see [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers (from the connection's start or the previous
    /// answer); then the connection is closed.
    pub header_timeout: Duration,
    /// Time to send a request's whole body; then 408 `body_timeout`.
    pub body_timeout: Duration,
    /// Connections served at once by one listener.
    pub max_connections: usize,
}

impl Limits {
    /// The `[daemon]` settings.
    pub fn from_config(daemon: &DaemonConfig) -> Self {
        Self {
            header_timeout: Duration::from_secs(daemon.header_timeout_secs),
            body_timeout: Duration::from_secs(daemon.body_timeout_secs),
            max_connections: daemon.max_connections.max(1),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::from_config(&DaemonConfig::default())
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct ApiState {
    app: App,
    countries: Arc<Countries>,
    parser: Arc<SentenceParser>,
    body_timeout: Duration,
    /// The served report, rendered once for every request within [`SITE_FRESH`]. Each page
    /// request rendered the whole site: with 10k claims 22 s and ~500 MB each, and a dozen
    /// at once took a daemon past 5 GB. One render at a time; requests that arrive during it
    /// wait for it and share it.
    site: Arc<tokio::sync::Mutex<Option<Rendered>>>,
}

/// A rendered report site and when it was rendered.
type Rendered = (std::time::Instant, Arc<crate::site::Site>);

/// How long a rendered report is served before the next request renders it again.
pub const SITE_FRESH: Duration = Duration::from_secs(60);

impl ApiState {
    /// State over `app`, reading sentences with `parser`, with the default body timeout.
    pub fn new(app: App, parser: SentenceParser) -> Self {
        Self {
            app,
            countries: Arc::new(Countries::embedded()),
            parser: Arc::new(parser),
            body_timeout: Limits::default().body_timeout,
            site: Arc::default(),
        }
    }

    /// The report site: the one rendered within [`SITE_FRESH`], else a new one.
    async fn site(&self) -> Result<Arc<crate::site::Site>, AppError> {
        let mut cached = self.site.lock().await;
        if let Some((at, site)) = cached.as_ref() {
            if at.elapsed() < SITE_FRESH {
                return Ok(site.clone());
            }
        }
        *cached = None; // the old one is let go before the new one is built
        let site = Arc::new(self.app.site(Some(self.parser.clone())).await?);
        *cached = Some((std::time::Instant::now(), site.clone()));
        Ok(site)
    }

    /// The same state, reading bodies within `limits.body_timeout`.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.body_timeout = limits.body_timeout;
        self
    }
}

/// An API error: status, stable code and message.
#[derive(Debug)]
pub struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.1.into(),
            message: self.2,
        };
        (self.0, Json(body)).into_response()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let (status, code) = match &e {
            AppError::UnknownClaim { .. } | AppError::Queue(QueueError::UnknownJob(_)) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            AppError::Queue(QueueError::NotDead { .. })
            | AppError::NotEmpty { .. }
            | AppError::Queue(QueueError::Store(StoreError::SlotTaken { .. })) => {
                (StatusCode::CONFLICT, "conflict")
            }
            AppError::ScheduleTooFrequent { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_claim")
            }
            AppError::Queue(QueueError::Store(_)) | AppError::Source(_) | AppError::Render(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        Self(status, code, e.to_string())
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, code, message.into())
}

/// The routes, without authentication.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(paths::REPORT, get(report_page))
        .route(paths::REPORT_INDEX, get(report_page))
        .route(paths::REPORT_STYLE, get(report_page))
        .route(paths::HEALTH, get(healthz))
        .route(paths::CLAIMS, get(list_claims).post(add_claims))
        .route(paths::CLAIM, get(get_claim).delete(delete_claim))
        .route(paths::CLAIM_VERIFY, post(verify_claim))
        .route(paths::CLAIM_VERDICTS, get(verdicts))
        .route(paths::JOBS, get(list_jobs).post(verify_claims))
        .route(paths::JOB, get(get_job))
        .route(paths::JOB_RETRY, post(retry_job))
        .route(paths::RESULTS, post(results))
        .route(paths::DUE, post(due))
        .route(paths::CHANGES, get(changes))
        .route(paths::ARTICLES, post(put_article))
        .route(paths::ARTICLE, get(get_article))
        .route(paths::BACKUP, get(backup))
        .route(paths::METRICS, get(metrics))
        .route(paths::CACHE, get(cache_stats).delete(cache_clear))
        .fallback(|| async {
            ApiError(
                StatusCode::NOT_FOUND,
                "no_route",
                "no such endpoint; the README's API table lists them".into(),
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; the README's API table lists them".into(),
            )
        })
        .with_state(state)
}

/// The routes behind the bearer-token check (TCP).
pub fn router_with_token(state: ApiState, token: Option<Secret>) -> Router {
    router(state).layer(middleware::from_fn(move |request: Request, next: Next| {
        let token = token.clone();
        async move { require_token(token.as_ref(), request, next).await }
    }))
}

/// Serves `app` on `listener` until `shutdown`, within `limits`: at most
/// `max_connections` at once (the next `accept` waits for a free slot, so the rest wait in
/// the listen backlog rather than holding file descriptors), and connections that do not
/// send their headers within `header_timeout` are closed. On shutdown, stops accepting and
/// lets open requests finish (5 s at most).
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (io, _addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "API connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("API connections still open 5 s after shutdown; closing them");
    }
}

async fn require_token(token: Option<&Secret>, request: Request, next: Next) -> Response {
    let Some(token) = token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme name is case-insensitive (RFC 7235): "bearer x" is "Bearer x".
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credentials)| credentials.trim());
    if given.is_some_and(|g| token.matches(g)) {
        next.run(request).await
    } else {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token: send `Authorization: Bearer <[daemon] token>`".into(),
        )
        .into_response()
    }
}

/// Reads a JSON body within [`MAX_BODY_BYTES`] and the state's body timeout; errors name
/// the field at fault.
async fn json_body<T: DeserializeOwned>(
    state: &ApiState,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<T> {
    let bytes = body_bytes(state, headers, body).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
            format!("the body does not fit this endpoint: {e}"),
        )
    })
}

/// A JSON body's bytes, read within [`MAX_BODY_BYTES`] and the state's body timeout.
async fn body_bytes(
    state: &ApiState,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<axum::body::Bytes> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`".into(),
        ));
    }
    let read = tokio::time::timeout(
        state.body_timeout,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    .map_err(|_| {
        ApiError(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!(
                "the body did not arrive within {} s ([daemon] body_timeout_secs)",
                state.body_timeout.as_secs_f64()
            ),
        )
    })?;
    let bytes = read.map_err(|_| {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the body is over {MAX_BODY_BYTES} bytes; send claims in smaller batches (the CLI does this by itself)"
            ),
        )
    })?;
    Ok(bytes)
}

async fn healthz(State(state): State<ApiState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        db: state.app.queue().store().location(),
    })
}

async fn list_claims(State(state): State<ApiState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(state.app.list().await?))
}

async fn add_claims(
    State(state): State<ApiState>,
    Query(query): Query<AddQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Vec<Added>>)> {
    let sentences = query.sentences.unwrap_or(true);
    let body = body_bytes(&state, &headers, body).await?;
    let claims = NewClaims::from_json(&body)
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json", e))?
        .into_vec();
    let today = Utc::now().date_naive();
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (i, claim) in claims.into_iter().enumerate() {
        let label = if claim.id.is_empty() {
            format!("claim {}", i + 1)
        } else {
            format!("claim {:?}", claim.id)
        };
        let claims = if sentences {
            claim_from_body(claim, &state.parser, &state.countries, today)
        } else {
            claim
                .validate(&state.countries)
                .map(|c| vec![c])
                .map_err(Into::into)
        };
        match claims {
            Ok(claims) => valid.extend(claims),
            Err(e) => errors.push(format!("{label}: {e}")),
        }
    }
    if !errors.is_empty() {
        let code = "invalid_claim";
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            errors.join("; "),
        ));
    }
    let added = state.app.add(valid, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// `GET /claims/{id}`: the claim as JSON; `/claims/<id>.html` and `.svg` (when no claim has
/// that very id) are its report page and chart.
async fn get_claim(State(state): State<ApiState>, Path(id): Path<String>) -> ApiResult<Response> {
    match state.app.show(&id).await {
        Ok(detail) => Ok(Json(detail).into_response()),
        Err(AppError::UnknownClaim { .. }) if is_page(&id) => {
            serve_page(&state, &format!("claims/{id}")).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /`, `/index.html`, `/style.css`: the report site ([`crate::site`]), rendered from
/// the store on request.
async fn report_page(State(state): State<ApiState>, uri: axum::http::Uri) -> ApiResult<Response> {
    serve_page(&state, uri.path()).await
}

/// A report page or chart name (`….html`, `….svg`).
fn is_page(name: &str) -> bool {
    name.ends_with(".html") || name.ends_with(".svg")
}

/// Renders the site and answers the page at `path` (under the site's root).
async fn serve_page(state: &ApiState, path: &str) -> ApiResult<Response> {
    let site = state.site().await?;
    let Some(page) = site.page(path) else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no report page at {path:?}; the index at `/` links every page"),
        ));
    };
    let content_type = page.content_type();
    Ok(([(header::CONTENT_TYPE, content_type)], page.body.clone()).into_response())
}

async fn delete_claim(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    state.app.remove(&id, Utc::now()).await?;
    Ok(Json(serde_json::json!({ "removed": id })))
}

async fn verify_claim(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let mut enqueued = state.app.verify(vec![id], Utc::now()).await?;
    Ok((StatusCode::ACCEPTED, Json(enqueued.remove(0))))
}

async fn verify_claims(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let request: VerifyRequest = json_body(&state, &headers, body).await?;
    let enqueued = match (request.all, request.claims.is_empty()) {
        (true, true) => state.app.verify_all(Utc::now()).await?,
        (false, _) => state.app.verify(request.claims, Utc::now()).await?,
        (true, false) => {
            return Err(bad_request(
                "invalid_body",
                "give either \"all\": true or \"claims\", not both",
            ))
        }
    };
    Ok((StatusCode::ACCEPTED, Json(enqueued)))
}

async fn verdicts(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(state.app.verdicts(&id).await?))
}

async fn list_jobs(
    State(state): State<ApiState>,
    Query(q): Query<JobsQuery>,
) -> ApiResult<impl IntoResponse> {
    let filter = q
        .state
        .map(|s| s.parse::<JobState>())
        .transpose()
        .map_err(|e| bad_request("invalid_state", format!("`state`: {e}")))?;
    Ok(Json(state.app.jobs(filter).await?))
}

async fn get_job(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(state.app.job(job_id(&id)?).await?))
}

async fn retry_job(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(state.app.retry(job_id(&id)?, Utc::now()).await?))
}

/// A job id from the path, refused as JSON like every other error (axum's own rejection of
/// `Path<u64>` answered in plain text).
fn job_id(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        bad_request(
            "invalid_job_id",
            format!("job ids are whole numbers, not {text:?}"),
        )
    })
}

async fn results(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let request: ResultsRequest = json_body(&state, &headers, body).await?;
    Ok(Json(state.app.results(request.jobs).await?))
}

async fn due(State(state): State<ApiState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(state.app.due(Utc::now()).await?))
}

async fn changes(
    State(state): State<ApiState>,
    Query(q): Query<ChangesQuery>,
) -> ApiResult<impl IntoResponse> {
    let since = q
        .since
        .as_deref()
        .map(parse_since)
        .transpose()
        .map_err(|e| bad_request("invalid_since", format!("`since`: {e}")))?;
    Ok(Json(state.app.changes(since).await?))
}

async fn put_article(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let article: crate::scan::Article = json_body(&state, &headers, body).await?;
    let tag = article.tag.clone();
    state.app.put_article(article).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "stored": tag })),
    ))
}

/// `GET /articles/{tag}`: the scanned article as JSON; `/articles/<tag>.html` (when no
/// article has that very tag) is its report page.
async fn get_article(
    State(state): State<ApiState>,
    Path(tag): Path<String>,
) -> ApiResult<Response> {
    match state.app.article(&tag).await? {
        Some(article) => Ok(Json(article).into_response()),
        None if is_page(&tag) => serve_page(&state, &format!("articles/{tag}")).await,
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no scanned article with tag {tag:?}"),
        )),
    }
}

/// `GET /backup`: the whole database, read consistently ([`crate::backup`]), as the JSON
/// lines `claimcheck backup` writes, so a download restores as it is (it was one JSON
/// object, which `restore` refused).
async fn backup(State(state): State<ApiState>) -> ApiResult<impl IntoResponse> {
    let lines = state.app.backup().await?.to_json_lines();
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], lines))
}

/// `GET /metrics`: Prometheus text ([`crate::metrics`]).
async fn metrics(State(state): State<ApiState>) -> ApiResult<Response> {
    let text = state.app.metrics().await?;
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

async fn cache_stats(State(state): State<ApiState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(state.app.cache_stats(Utc::now()).await?))
}

async fn cache_clear(State(state): State<ApiState>) -> ApiResult<impl IntoResponse> {
    let removed = state.app.cache_clear().await?;
    Ok(Json(serde_json::json!({ "removed": removed })))
}
