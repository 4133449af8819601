//! The operations, once each: add, list, show, remove, verify (queue and drain), results,
//! jobs, retry, changes, due. The API's handlers are thin adapters over [`App`]; the CLI calls
//! it directly when no daemon runs (and the daemon's API when one does); tests call it
//! in-process. Every store call runs on the blocking thread pool.

pub mod edit;
pub mod intake;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::api::types::{Added, ClaimDetail, ClaimSummary, JobResult, Verifying};
use crate::check::{Checker, Progress};
use crate::claim::sentence::SentenceParser;
use crate::claim::Claim;
use crate::config::Config;
use crate::inputs::StoredJudged;
use crate::queue::worker::{blocking, drain};
use crate::queue::{schedule, Enqueued, Job, JobState, Priority, Queue, QueueError, StepReport};
use crate::site::{gather, ClaimInput, Site, SiteInput};
use crate::source::routed::Routed;
use crate::source::SourceError;
use crate::store::{ChangeEvent, Store, StoreError, Upsert};

/// Why an operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No claim with that id.
    #[error("no claim with id {id:?}{hint}")]
    UnknownClaim {
        /// The id asked for.
        id: String,
        /// "; did you mean …?" or how to list ids.
        hint: String,
    },
    /// The queue (or the store under it) failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The source client could not be built.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The report's pages could not be rendered.
    #[error("cannot render the report: {0}")]
    Render(String),
    /// A claim's schedule re-checks it more often than `[queue] min_schedule_secs` allows.
    #[error(
        "claim {id:?}: schedule {schedule:?} runs as often as every {}, more often than the minimum of {} ([queue] min_schedule_secs = {min_secs}); use a coarser schedule such as \"0 6 * * 1\" (Mondays 06:00 UTC)",
        human_secs(*.every_secs),
        human_secs(*.min_secs)
    )]
    ScheduleTooFrequent {
        /// The claim's id.
        id: String,
        /// Its cron expression.
        schedule: String,
        /// The shortest time between two of its runs, seconds.
        every_secs: u64,
        /// The configured minimum, seconds.
        min_secs: u64,
    },
    /// A restore would replace claims and `--force` was not given.
    #[error("the database holds {claims} claims; pass --force to replace them with the backup")]
    NotEmpty {
        /// Claims it holds.
        claims: usize,
    },
}

/// `90` → "1 min 30 s", `3600` → "1 h".
fn human_secs(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "min"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 s".into()
    } else {
        parts.join(" ")
    }
}

/// The id to store `claim` under. A claim whose id was made from its own text (the slug of
/// a sentence, or of one of its parts: `<slug>-1`, `<slug>-2`) never replaces a stored
/// claim with another text: slugs drop signs and symbols ("fell by 5%" and "fell by -5%")
/// and stop at 60 characters, so two sentences can share one. It takes the first free (or
/// same-text) `<id>-2`, `<id>-3`, …. Any other id (a claim file's, `--id`) keeps its
/// meaning: storing under it edits that claim.
fn free_id(store: &dyn crate::store::Storage, claim: &Claim) -> Result<String, AppError> {
    let base = crate::claim::slug(&claim.text);
    let made_from_text = claim.id == base
        || claim
            .id
            .strip_prefix(&base)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|part| part.parse::<u32>().is_ok());
    if !made_from_text {
        return Ok(claim.id.clone());
    }
    let taken = |id: &str| -> Result<bool, AppError> {
        Ok(store
            .claim(id)?
            .is_some_and(|stored| stored.text != claim.text))
    };
    if !taken(&claim.id)? {
        return Ok(claim.id.clone());
    }
    let mut n = 2;
    loop {
        let id = format!("{}-{n}", claim.id);
        if !taken(&id)? {
            return Ok(id);
        }
        n += 1;
    }
}

/// Refuses claims whose schedule runs more often than `min_secs` (0: no minimum).
fn check_schedules(claims: &[Claim], min_secs: u64, now: DateTime<Utc>) -> Result<(), AppError> {
    if min_secs == 0 {
        return Ok(());
    }
    for claim in claims {
        let Some(expr) = &claim.schedule else {
            continue;
        };
        if let Some(gap) = schedule::shortest_gap(expr, now) {
            let every_secs = gap.num_seconds().max(0) as u64;
            if every_secs < min_secs {
                return Err(AppError::ScheduleTooFrequent {
                    id: claim.id.clone(),
                    schedule: expr.clone(),
                    every_secs,
                    min_secs,
                });
            }
        }
    }
    Ok(())
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        Self::Queue(QueueError::Store(e))
    }
}

/// This process's worker id, unique across machines: host, process id and a few bits of the
/// start time (process ids repeat across machines and restarts).
fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "claimcheck".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{host}-{}-{:04x}", std::process::id(), nanos & 0xffff)
}

/// The application over one store: the queue, settings, and a checker for in-process work.
#[derive(Clone)]
pub struct App {
    queue: Queue,
    config: Arc<Config>,
    checker: Arc<Checker<Routed>>,
    /// Notified when work is queued (the daemon's worker waits on it).
    wake: Arc<Notify>,
    worker_id: String,
    /// When `upkeep` last pruned finished jobs (pruning reads every succeeded job, so an
    /// idle daemon does it hourly, not at every poll).
    last_prune: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.queue.store().location())
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The application over `store`. When this process holds the store alone (sled allows
    /// one process), jobs left running by a killed process are handed back now; on a shared
    /// store only those whose lease expired.
    pub async fn start(store: Store, config: Config, now: DateTime<Utc>) -> Result<Self, AppError> {
        let checker = Checker::new(Routed::new(&config)?, config.clone());
        let queue = Queue::new(store, config.queue.clone());
        let app = Self {
            queue: queue.clone(),
            checker: Arc::new(checker),
            config: Arc::new(config),
            wake: Arc::new(Notify::new()),
            worker_id: worker_id(),
            last_prune: Arc::default(),
        };
        let rescued = app
            .run(move |queue| {
                let rescued = queue.rescue(now, true)?;
                schedule::backfill(queue, now)?;
                queue.store().flush()?;
                Ok(rescued)
            })
            .await?;
        if rescued > 0 {
            tracing::info!(
                rescued,
                "jobs left running by a stopped process were queued again"
            );
        }
        Ok(app)
    }

    /// Runs blocking queue/store work off the async runtime.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Queue) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let queue = self.queue.clone();
        blocking(move || work(&queue)).await
    }

    /// The queue.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The worker id of this process.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Notified whenever work is queued.
    pub fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }

    /// Stores validated claims; a new or changed claim gets a verify job now and its
    /// schedule continues from now, and a changed one has its edit recorded in its history
    /// ("claim edited: value 105 → 107.6"), in the same write as the new version. Flushed
    /// before returning.
    pub async fn add(
        &self,
        claims: Vec<Claim>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Added>, AppError> {
        check_schedules(&claims, self.config.queue.min_schedule_secs, now)?;
        let added = self
            .run(move |queue| {
                let store = queue.store();
                let mut added = Vec::with_capacity(claims.len());
                let mut changed = Vec::new();
                for mut claim in claims {
                    claim.id = free_id(store.as_ref(), &claim)?;
                    let (upsert, edit) = store.put_claim_edited(&claim, now, &edit::describe)?;
                    if upsert != Upsert::Unchanged {
                        schedule::advance(store.as_ref(), &claim, queue.config(), now)?;
                        changed.push((added.len(), claim.id.clone()));
                    } else if store.latest_verdict(&claim.id)?.is_none() {
                        // Stored, never checked: a crash between storing it and queueing
                        // its job left it without one, and an import again said
                        // "unchanged". Queued now (a pending job is kept, not doubled).
                        changed.push((added.len(), claim.id.clone()));
                    }
                    added.push(Added {
                        claim,
                        upsert,
                        job: None,
                        edit,
                    });
                }
                let ids: Vec<&str> = changed.iter().map(|(_, id)| id.as_str()).collect();
                let jobs = queue.enqueue_all(&ids, Priority::User, now)?;
                for ((at, _), Enqueued { job, .. }) in changed.iter().zip(jobs) {
                    added[*at].job = Some(job);
                }
                store.flush()?;
                Ok(added)
            })
            .await?;
        self.wake.notify_waiters();
        Ok(added)
    }

    /// Every claim with its newest verdict.
    pub async fn list(&self) -> Result<Vec<ClaimSummary>, AppError> {
        self.run(|queue| {
            let store = queue.store();
            let mut out = Vec::new();
            for claim in store.claims()? {
                let latest = store.latest_verdict(&claim.id)?;
                out.push(ClaimSummary { claim, latest });
            }
            Ok(out)
        })
        .await
    }

    /// A claim and its history.
    pub async fn show(&self, id: &str) -> Result<ClaimDetail, AppError> {
        let id = id.to_string();
        self.run(move |queue| {
            let store = queue.store();
            let claim = store.claim(&id)?.ok_or_else(|| unknown_claim(queue, &id))?;
            Ok(ClaimDetail {
                history: store.history(&id)?,
                edits: store.edits(&id)?,
                claim,
            })
        })
        .await
    }

    /// A claim's verdict history, newest first.
    pub async fn verdicts(&self, id: &str) -> Result<Vec<crate::store::VerdictRecord>, AppError> {
        Ok(self.show(id).await?.history)
    }

    /// Removes a claim and its history; its pending job is cancelled in the same
    /// transaction, so no verdict lands after.
    pub async fn remove(&self, id: &str, now: DateTime<Utc>) -> Result<(), AppError> {
        let id = id.to_string();
        self.run(move |queue| {
            let store = queue.store();
            if !store.remove_claim(&id, &|job| job.cancelled(now))? {
                return Err(unknown_claim(queue, &id));
            }
            store.flush()?;
            Ok(())
        })
        .await
    }

    /// Queues a verification of each claim (a claim with a pending job keeps it, run now);
    /// a request settled at once (see [`crate::inputs`]) comes with its result. Unknown ids
    /// are refused before anything is queued.
    pub async fn verify(
        &self,
        ids: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Verifying>, AppError> {
        self.verify_listed(now, move |queue| {
            for id in &ids {
                if !queue.store().has_claim(id)? {
                    return Err(unknown_claim(queue, id));
                }
            }
            Ok(ids)
        })
        .await
    }

    /// [`App::verify`] of every stored claim, listed here (by key, without reading them).
    pub async fn verify_all(&self, now: DateTime<Utc>) -> Result<Vec<Verifying>, AppError> {
        self.verify_listed(now, |queue| Ok(queue.store().claim_ids()?))
            .await
    }

    /// Verifies the claims `list` names (see [`verify_now`]), flushed before it answers,
    /// and wakes the worker.
    async fn verify_listed(
        &self,
        now: DateTime<Utc>,
        list: impl FnOnce(&Queue) -> Result<Vec<String>, AppError> + Send + 'static,
    ) -> Result<Vec<Verifying>, AppError> {
        let config = self.config.clone();
        let enqueued = self
            .run(move |queue| {
                let ids = list(queue)?;
                let out = verify_now(queue, &config, &ids, now)?;
                queue.store().flush()?;
                Ok(out)
            })
            .await?;
        self.wake.notify_waiters();
        Ok(enqueued)
    }

    /// Queues a re-check of every claim whose schedule is due, and returns every job due
    /// now (those, and earlier jobs whose retry time has come). For cron's `verify --due`.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<Job>, AppError> {
        let jobs = self
            .run(move |queue| {
                schedule::tick(queue, now)?;
                queue.store().flush()?;
                Ok(queue.store().due_jobs(now, usize::MAX)?)
            })
            .await?;
        self.wake.notify_waiters();
        Ok(jobs)
    }

    /// Hands this process's running jobs back to the queue (a graceful stop past its grace
    /// period); returns how many.
    pub async fn hand_back(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let worker = self.worker_id.clone();
        self.run(move |queue| {
            let handed = queue.hand_back(&worker, now)?;
            queue.store().flush()?;
            Ok(handed)
        })
        .await
    }

    /// Runs the worker in this process until no job is due at `now`.
    pub async fn drain(
        &self,
        now: DateTime<Utc>,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<StepReport, AppError> {
        self.drain_until(now, crate::queue::Until::NothingDue, progress)
            .await
    }

    /// The worker in this process, run until `until` holds.
    async fn drain_until(
        &self,
        now: DateTime<Utc>,
        until: crate::queue::Until<'_>,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<StepReport, AppError> {
        let (queue, checker, worker) = (&self.queue, &self.checker, &self.worker_id);
        Ok(drain(queue, checker, worker, now, until, progress).await?)
    }

    /// Runs the worker in this process until `jobs` are settled (see
    /// [`crate::queue::Until::Settled`]), and returns their results: what `verify` waits
    /// for without a daemon.
    pub async fn settle(
        &self,
        jobs: Vec<u64>,
        now: DateTime<Utc>,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Vec<JobResult>, AppError> {
        // Results first: jobs settled when queued (a re-check within the TTL) are read once,
        // and only the others are run and read again.
        let mut results = self.results(jobs).await?;
        // A job waiting to retry is run if its time has come (as it has for one a person
        // asked for again: `Job::raised`).
        let open: Vec<u64> = results
            .iter()
            .filter(|r| r.job.still_to_run(now))
            .map(|r| r.job.id)
            .collect();
        if open.is_empty() {
            return Ok(results);
        }
        let open_ids: std::collections::HashSet<u64> = open.iter().copied().collect();
        self.drain_until(now, crate::queue::Until::Settled(&open), progress)
            .await?;
        let mut fresh: HashMap<u64, JobResult> = self
            .results(open)
            .await?
            .into_iter()
            .map(|r| (r.job.id, r))
            .collect();
        // A claim removed meanwhile has no result (as `results` gives none for it).
        results.retain_mut(|r| {
            if !open_ids.contains(&r.job.id) {
                return true;
            }
            match fresh.remove(&r.job.id) {
                Some(newer) => {
                    *r = newer;
                    true
                }
                None => false,
            }
        });
        Ok(results)
    }

    /// One worker step (the daemon's loop).
    pub async fn step(&self, now: DateTime<Utc>) -> Result<StepReport, AppError> {
        let mut quiet = |_: Progress<'_>| {};
        Ok(crate::queue::step(
            &self.queue,
            &self.checker,
            &self.worker_id,
            now,
            crate::queue::Take::Due,
            &mut quiet,
        )
        .await?)
    }

    /// The jobs with their claims and, for succeeded ones, the verdict; in the order asked.
    pub async fn results(&self, job_ids: Vec<u64>) -> Result<Vec<JobResult>, AppError> {
        self.run(move |queue| {
            let store = queue.store().as_ref();
            // Reading (three records a job) is most of a large batch's wait once its checks
            // are done.
            crate::store::read_on_every_core(&job_ids, 2_000, |ids| results_of(store, ids))
        })
        .await
    }

    /// Jobs, newest first.
    pub async fn jobs(&self, state: Option<JobState>) -> Result<Vec<Job>, AppError> {
        self.run(move |queue| Ok(queue.list(state)?)).await
    }

    /// One job.
    pub async fn job(&self, id: u64) -> Result<Job, AppError> {
        self.run(move |queue| Ok(queue.get(id)?.ok_or(QueueError::UnknownJob(id))?))
            .await
    }

    /// Sends a dead job back to the queue.
    pub async fn retry(&self, id: u64, now: DateTime<Utc>) -> Result<Job, AppError> {
        let job = self
            .run(move |queue| {
                let job = queue.retry(id, now)?;
                queue.store().flush()?;
                Ok(job)
            })
            .await?;
        self.wake.notify_waiters();
        Ok(job)
    }

    /// Change events at or after `since`.
    pub async fn changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ChangeEvent>, AppError> {
        self.run(move |queue| Ok(queue.store().changes(since)?))
            .await
    }

    /// Background upkeep: enqueue due schedules, renew this worker's leases, prune old jobs.
    /// Returns how many claims came due.
    pub async fn upkeep(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let worker = self.worker_id.clone();
        let prune = {
            let mut last = self.last_prune.lock().unwrap_or_else(|e| e.into_inner());
            let due = last.is_none_or(|t| now - t >= chrono::Duration::hours(1));
            if due {
                *last = Some(now);
            }
            due
        };
        let due = self
            .run(move |queue| {
                let due = schedule::tick(queue, now)?;
                queue.renew(&worker, now)?;
                if prune {
                    queue.prune(now)?;
                }
                if due > 0 {
                    queue.store().flush()?;
                }
                Ok(due)
            })
            .await?;
        if due > 0 {
            self.wake.notify_waiters();
        }
        Ok(due)
    }

    /// Keeps a scanned article (text and findings) for the report, under its tag.
    pub async fn put_article(&self, article: crate::scan::Article) -> Result<(), AppError> {
        self.run(move |queue| {
            let store = queue.store().as_ref();
            crate::store::put_meta(store, &article_key(&article.tag), &article)?;
            Ok(store.flush()?)
        })
        .await
    }

    /// The scanned article kept under `tag`, if any.
    pub async fn article(&self, tag: &str) -> Result<Option<crate::scan::Article>, AppError> {
        let key = article_key(tag);
        self.run(move |queue| Ok(crate::store::meta_get(queue.store().as_ref(), &key)?))
            .await
    }

    /// The report site over every stored claim, rendered from the store (what `report
    /// --out` writes; the daemon serves it at `/`). Charts use the values the verdicts
    /// stored: no upstream request is made.
    pub async fn site(&self, parser: Option<Arc<SentenceParser>>) -> Result<Site, AppError> {
        self.run(move |queue| {
            let store = queue.store();
            let today = Utc::now().date_naive();
            let none = gather::SeriesMap::new();
            let mut claims = Vec::new();
            for claim in store.claims()? {
                let (history, edits) = (store.history(&claim.id)?, store.edits(&claim.id)?);
                let parser = parser.as_deref();
                claims.push(gather::claim_input(
                    claim, history, edits, parser, today, &none,
                ));
            }
            let input = SiteInput {
                title: gather::title(None),
                articles: stored_articles(store.as_ref(), &claims)?,
                claims,
                generated_at: Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            };
            crate::site::render_site(&input).map_err(|e| AppError::Render(format!("{e:#}")))
        })
        .await
    }

    /// Every record, read consistently (also while the worker writes).
    pub async fn backup(&self) -> Result<crate::backup::Backup, AppError> {
        self.run(|queue| Ok(queue.store().backup()?)).await
    }

    /// Replaces the database with a backup; refuses a database holding claims unless
    /// `force`. Returns the entries written.
    pub async fn restore(
        &self,
        backup: crate::backup::Backup,
        force: bool,
    ) -> Result<usize, AppError> {
        let written = self
            .run(move |queue| {
                let held = queue.store().claims()?.len();
                if held > 0 && !force {
                    return Err(AppError::NotEmpty { claims: held });
                }
                Ok(queue.store().restore(&backup)?)
            })
            .await?;
        // The restored cache is the record now, not the series kept in memory.
        self.checker.forget();
        Ok(written)
    }

    /// The Prometheus text for `/metrics`: the database's state and this process's
    /// upstream counters.
    pub async fn metrics(&self) -> Result<String, AppError> {
        self.run(|queue| {
            let jobs = queue.list(None)?;
            Ok(crate::metrics::render(queue.store().as_ref(), &jobs)?)
        })
        .await
    }

    /// What the response cache holds.
    pub async fn cache_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<crate::cache::CacheStats, AppError> {
        let ttl = self.config.cache.ttl_hours;
        self.run(move |queue| Ok(crate::cache::stats(queue.store().as_ref(), now, ttl)?))
            .await
    }

    /// Empties the response cache (the next checks ask the sources); returns how many
    /// series it held.
    pub async fn cache_clear(&self) -> Result<usize, AppError> {
        let removed = self
            .run(|queue| {
                let removed = crate::cache::clear(queue.store().as_ref())?;
                queue.store().flush()?;
                Ok(removed)
            })
            .await?;
        self.checker.forget();
        Ok(removed)
    }

    /// Makes every write so far durable.
    pub async fn flush(&self) -> Result<(), AppError> {
        self.run(|queue| Ok(queue.store().flush()?)).await
    }
}

/// The scanned articles kept under the claims' tags.
fn stored_articles(
    store: &dyn crate::store::Storage,
    claims: &[ClaimInput],
) -> Result<Vec<crate::scan::Article>, AppError> {
    let mut tags: Vec<&String> = claims.iter().flat_map(|c| &c.claim.tags).collect();
    tags.sort();
    tags.dedup();
    let mut out = Vec::new();
    for tag in tags {
        if let Some(article) = crate::store::meta_get(store, &article_key(tag))? {
            out.push(article);
        }
    }
    Ok(out)
}

/// The metadata key an article is kept under.
fn article_key(tag: &str) -> String {
    format!("article/{tag}")
}

/// The results of `job_ids`, in order (a job whose claim is gone is left out).
fn results_of(
    store: &dyn crate::store::Storage,
    job_ids: &[u64],
) -> Result<Vec<JobResult>, AppError> {
    let mut out = Vec::with_capacity(job_ids.len());
    for (&id, job) in job_ids.iter().zip(store.jobs_of(job_ids)?) {
        let job = job.ok_or(QueueError::UnknownJob(id))?;
        let Some(claim) = store.claim(&job.claim_id)? else {
            continue; // removed since: nothing to report on
        };
        let verdict = match job.state {
            JobState::Succeeded => store.latest_verdict(&claim.id)?,
            _ => None,
        };
        out.push(JobResult {
            claim,
            job,
            verdict,
        });
    }
    Ok(out)
}

/// `verify`'s work on the store: requests a check could not answer differently
/// ([`crate::inputs`]) are settled at once, with their results; the others are queued. One
/// answer per id, in order (an id given twice gets the same job twice).
fn verify_now(
    queue: &Queue,
    config: &Config,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Verifying>, AppError> {
    let settleable = crate::inputs::settleable(queue.store().as_ref(), config, ids, now)?;
    let mut seen = std::collections::HashSet::new();
    let requests: Vec<(&str, StoredJudged)> = ids
        .iter()
        .zip(settleable)
        .filter_map(|(id, s)| s.map(|judged| (id.as_str(), judged)))
        .filter(|(id, _)| seen.insert(*id))
        .collect();
    let settled = settle_and_show(queue, &requests, now)?;
    // Indexes, not a map of results: a result is a claim and a verdict, too big to move
    // about by the ten thousand.
    let settled_at: HashMap<&str, usize> = requests
        .iter()
        .zip(&settled)
        .enumerate()
        .filter(|(_, (_, answer))| answer.is_some())
        .map(|(at, ((id, _), _))| (*id, at))
        .collect();
    let rest: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| !settled_at.contains_key(id))
        .collect();
    let queued = queue.enqueue_all(&rest, Priority::User, now)?;
    Ok(in_order(ids, settled, &settled_at, queued))
}

/// One answer per id, in order: the settled one (`settled[settled_at[id]]`) or the next
/// queued one.
fn in_order(
    ids: &[String],
    mut settled: Vec<Option<Verifying>>,
    settled_at: &HashMap<&str, usize>,
    queued: Vec<Enqueued>,
) -> Vec<Verifying> {
    let mut queued = queued.into_iter();
    let mut out: Vec<Verifying> = Vec::with_capacity(ids.len());
    let mut first_out: HashMap<&str, usize> = HashMap::new();
    for id in ids {
        let answer = match settled_at.get(id.as_str()) {
            // Moved the first time; an id given twice gets a copy.
            Some(&at) => match settled[at].take() {
                Some(answer) => answer,
                None => out[first_out[id.as_str()]].clone(),
            },
            None => match queued.next() {
                Some(e) => Verifying {
                    job: e.job,
                    created: e.created,
                    result: None,
                },
                None => continue,
            },
        };
        first_out.entry(id).or_insert(out.len());
        out.push(answer);
    }
    out
}

/// Settles `requests` at once ([`Queue::settle_unchanged`]) with what each shows once
/// settled: its claim and the full record its "checked again" entry repeats, read first. A
/// request the transaction settles had neither changed (it checks the judged record, which
/// any edit or new verdict rewrites), so no second read after it is needed: that read was a
/// third of a re-check's time. Per request, the settled job with its result, or `None` when
/// the claim changed meanwhile.
fn settle_and_show(
    queue: &Queue,
    requests: &[(&str, StoredJudged)],
    now: DateTime<Utc>,
) -> Result<Vec<Option<Verifying>>, AppError> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<(String, u64)> = requests
        .iter()
        .map(|(id, read)| (id.to_string(), read.judged.full_seq))
        .collect();
    let store = queue.store().as_ref();
    // Read before the transaction, on every core: beside it, each read would wait for its
    // commits (sled's transactions hold off every reader), and took three times as long.
    let shown =
        crate::store::read_on_every_core(&wanted, 2_000, |part| store.claims_with_records(part))?;
    let jobs = queue.settle_unchanged(requests, Priority::User, now)?;
    Ok(jobs
        .into_iter()
        .zip(shown)
        .map(|(job, shown)| {
            job.map(|job| Verifying {
                result: shown.map(|(claim, full)| {
                    Box::new(JobResult {
                        claim,
                        job: job.clone(),
                        verdict: Some(full.repeated_at(now)),
                    })
                }),
                job,
                created: true,
            })
        })
        .collect())
}

/// The error for an unknown claim id, with the closest stored id as a hint.
fn unknown_claim(queue: &Queue, id: &str) -> AppError {
    let closest = queue
        .store()
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
    AppError::UnknownClaim {
        id: id.to_string(),
        hint,
    }
}
