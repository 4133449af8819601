//! Judging a batch of claims: the country list (cached in the store), the fetch plan, one
//! fetch per planned series, and the verdict rules. Writes no verdicts: the queue's worker
//! ([`crate::queue::step`]) calls it and finishes each job with its outcome.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use crate::cache;
use crate::claim::country::CountryList;
use crate::claim::{Claim, ClaimKind};
use crate::config::Config;
use crate::inputs::{claim_digest, rules_digest, Inputs};
use crate::queue::worker::blocking;
use crate::source::{Observation, Scope, Series, SeriesRequest, Source, SourceError};
use crate::store::{self, CachedCountries, Store, StoreError};
use crate::verify::{plan, rules, Verdict};

/// Why a claim got no verdict this time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct CheckFailure {
    /// What went wrong, for the user.
    pub reason: String,
    /// True when trying later may succeed (network, throttling, 5xx).
    pub retryable: bool,
}

impl CheckFailure {
    /// A failure that trying again will not mend.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retryable: false,
        }
    }
}

impl From<&SourceError> for CheckFailure {
    fn from(error: &SourceError) -> Self {
        let reason = match error {
            SourceError::Api { code, message, .. } if code == "120" => format!(
                "{error}. The indicator code or a country code is not known to the World Bank: check `indicator` and `country`"
            ),
            SourceError::Api { code, .. } if code == "175" => format!(
                "{error}. The indicator was deleted or archived: find its successor in the World Bank data catalog"
            ),
            SourceError::Network { .. } | SourceError::Unreachable { .. } => format!(
                "{error}. Without internet access, `claimcheck demo` runs offline, or point CLAIMCHECK_WORLDBANK_URL at a stand-in (README, section \"Without internet access\")"
            ),
            _ => error.to_string(),
        };
        Self {
            reason,
            retryable: error.is_retryable(),
        }
    }
}

/// Progress of a batch, for progress bars and logs.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A series request is about to be made.
    Fetching(&'a SeriesRequest),
    /// A claim is done.
    Checked(&'a str),
}

/// Checks claims against one source.
#[derive(Debug)]
pub struct Checker<S> {
    source: S,
    config: Config,
    /// [`rules_digest`] of this code and `config`, recorded with every verdict.
    rules: String,
    memo: Mutex<Memo>,
}

/// A claim's outcome, and what its verdict was judged from (`None` when it is not a verdict
/// from one series alone: a failure, a claim needing no data, a second source's reading).
#[derive(Debug, Clone)]
pub struct Judgement {
    /// The verdict, or why there is none this time.
    pub outcome: Result<Verdict, CheckFailure>,
    /// What the verdict was judged from.
    pub inputs: Option<Inputs>,
}

/// Rows the memo holds at most (a series counts twice: whole and split by country), about
/// 60 MB; beyond it series are read from the store each step, as without the memo.
const MEMO_ROWS: usize = 500_000;

/// Series ready to judge, kept in memory between the steps of one backlog (by cache key), so
/// a backlog of many steps reads and splits each series once, not once per step. The store's
/// cache stays the record: an entry here is used under the same freshness rule, and the memo
/// is dropped when a step finds no work, when the cache is cleared and on restore.
#[derive(Debug, Default)]
struct Memo {
    ready: HashMap<String, Arc<Ready>>,
    rows: usize,
}

/// A series ready to judge: ISO3 codes filled in, split by country, with its fetch time.
#[derive(Debug)]
struct Ready {
    fetched_at: DateTime<Utc>,
    full: Series,
    parts: HashMap<String, Series>,
}

impl Ready {
    fn new(mut series: Series, countries: &CountryList, fetched_at: DateTime<Utc>) -> Self {
        fill_iso3(&mut series, countries);
        let parts = by_country(&series);
        Self {
            fetched_at,
            full: series,
            parts,
        }
    }
}

impl<S: Source> Checker<S> {
    /// A checker for `source` with the grading and cache settings of `config`.
    pub fn new(source: S, config: Config) -> Self {
        Self {
            source,
            rules: rules_digest(&config),
            config,
            memo: Mutex::default(),
        }
    }

    /// Lets go of the series kept in memory for a backlog: called when a step finds no work,
    /// when the response cache is cleared and after a restore.
    pub fn forget(&self) {
        *self.memo.lock().unwrap_or_else(|e| e.into_inner()) = Memo::default();
    }

    fn remembered(&self, key: &str) -> Option<Arc<Ready>> {
        let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        memo.ready.get(key).cloned()
    }

    fn remember(&self, key: String, ready: Arc<Ready>) {
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        let rows = 2 * ready.full.observations.len();
        if memo.rows + rows <= MEMO_ROWS {
            memo.rows += rows;
            if let Some(old) = memo.ready.insert(key, ready) {
                memo.rows -= 2 * old.full.observations.len();
            }
        }
    }

    /// True when a series fetched at `fetched_at` may answer now (always, offline).
    fn usable(&self, fetched_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.config.offline
            || now - fetched_at < Duration::hours(self.config.cache.ttl_hours as i64)
    }

    /// Judges `claims` without writing their history (the store only caches the country
    /// list). Outcomes come in the order of `claims`.
    pub async fn evaluate(
        &self,
        store: &Store,
        claims: &[Claim],
        now: DateTime<Utc>,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Vec<Result<Verdict, CheckFailure>>, StoreError> {
        let judged = self.judge(store, claims, now, progress).await?;
        Ok(judged.into_iter().map(|j| j.outcome).collect())
    }

    /// [`Checker::evaluate`], with what each verdict was judged from: the worker keeps that
    /// beside the history, so a later `verify` can tell when judging again cannot differ.
    pub async fn judge(
        &self,
        store: &Store,
        claims: &[Claim],
        now: DateTime<Utc>,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Vec<Judgement>, StoreError> {
        // A source marked down in an earlier batch is tried again.
        self.source.begin_batch();
        let needs_data = claims.iter().any(|c| c.subject().is_some());
        let countries = if needs_data {
            self.countries(store, now).await?
        } else {
            Ok((CountryList::default(), None))
        };
        let (countries, countries_at) = match countries {
            Ok((list, at)) => (Ok(list), at),
            Err(e) => (Err(e), None),
        };
        let (mut outcomes, checkable) = settle_without_data(claims, &countries, progress);
        let countries = countries.unwrap_or_default();
        let batch = Batch {
            store,
            countries: &countries,
            countries_at,
            now,
        };
        let mut inputs = self
            .judge_with_data(&checkable, &batch, &mut outcomes, progress)
            .await;
        if self.config.corroborate {
            self.corroborate(claims, &mut outcomes).await;
            // A verdict that may carry a second source's reading stands on more than one
            // series: it is always checked in full.
            for claim in claims.iter().filter(|c| crate::corroborate::applies_to(c)) {
                inputs.remove(&claim.id);
            }
        }
        // A claim id given twice is judged once and answered twice.
        Ok(claims
            .iter()
            .map(|claim| match outcomes.get(&claim.id) {
                Some(outcome) => Judgement {
                    inputs: outcome
                        .is_ok()
                        .then(|| inputs.get(&claim.id).cloned())
                        .flatten(),
                    outcome: outcome.clone(),
                },
                None => Judgement {
                    outcome: Err(CheckFailure::permanent(format!(
                        "claim {} was not judged (a bug: please report it)",
                        claim.id
                    ))),
                    inputs: None,
                },
            })
            .collect())
    }

    /// Fetches each planned series once and judges every claim against its series; returns
    /// what each verdict was judged from, by claim id.
    async fn judge_with_data(
        &self,
        checkable: &[Claim],
        batch: &Batch<'_>,
        outcomes: &mut Outcomes,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> HashMap<String, Inputs> {
        let mut inputs = HashMap::new();
        let countries = batch.countries;
        let plan = plan::plan(checkable, self.config.worldbank.countries_per_request);
        let fetched = self.fetch_all(&plan.requests, batch, progress).await;
        for claim in checkable {
            let Some(index) = plan.request_for(&claim.id) else {
                continue; // planned claims all have a request; the caller reports the gap
            };
            let outcome = fetched[index].as_ref().map_err(Clone::clone).map(|ready| {
                let ctx = rules::Context {
                    series: rows_for(claim, ready),
                    countries,
                    grading: &self.config.grading,
                };
                inputs.insert(
                    claim.id.clone(),
                    Inputs {
                        claim: claim_digest(&store::encode(claim)),
                        rules: self.rules.clone(),
                        series: cache::key(&plan.requests[index]),
                        fetched_at: ready.fetched_at,
                        countries_at: batch.countries_at,
                    },
                );
                rules::evaluate(claim, ctx)
            });
            tracing::info!(claim = %claim.id, ok = outcome.is_ok(), "checked");
            progress(Progress::Checked(&claim.id));
            outcomes.insert(claim.id.clone(), outcome);
        }
        inputs
    }

    /// Every planned series, in plan order, fetched up to `[worldbank] concurrency` at a
    /// time (the HTTP client bounds the requests per source too; this bounds the cache reads
    /// and answers held at once).
    async fn fetch_all(
        &self,
        requests: &[SeriesRequest],
        batch: &Batch<'_>,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Vec<Result<Arc<Ready>, CheckFailure>> {
        for request in requests {
            progress(Progress::Fetching(request));
        }
        let width = self.config.worldbank.concurrency.max(1);
        // The futures are made first, so the stream holds no closure (whose lifetimes the
        // daemon's `Send` check cannot see through).
        let fetches: Vec<_> = requests
            .iter()
            .map(|request| self.fetch(request, batch))
            .collect();
        futures_util::stream::iter(fetches)
            .buffered(width)
            .collect()
            .await
    }

    /// One series, ready to judge: from the memo or the store's cache while it is fresh (or
    /// always, offline), else from the source (and then cached).
    async fn fetch(
        &self,
        request: &SeriesRequest,
        batch: &Batch<'_>,
    ) -> Result<Arc<Ready>, CheckFailure> {
        let key = cache::key(request);
        if let Some(ready) = self.remembered(&key) {
            if self.usable(ready.fetched_at, batch.now) {
                crate::metrics::record_cache_hit();
                return Ok(ready);
            }
        }
        let cached = {
            let (store, request) = (batch.store.clone(), request.clone());
            blocking(move || cache::get(store.as_ref(), &request)).await
        };
        let cached = cached.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the response cache; asking the source");
            None
        });
        let (series, fetched_at) = match cached {
            Some(c) if self.usable(c.fetched_at, batch.now) => {
                crate::metrics::record_cache_hit();
                (c.series, c.fetched_at)
            }
            _ if self.config.offline => return Err(not_cached(request)),
            _ => match self.fetch_and_keep(request, batch).await {
                Ok(series) => (series, batch.now),
                Err(e) => return Err(CheckFailure::from(&e)),
            },
        };
        let ready = Arc::new(Ready::new(series, batch.countries, fetched_at));
        self.remember(key, ready.clone());
        Ok(ready)
    }

    /// Asks the source and keeps a good answer in the cache.
    async fn fetch_and_keep(
        &self,
        request: &SeriesRequest,
        batch: &Batch<'_>,
    ) -> Result<Series, SourceError> {
        let series = self.source.fetch_series(request).await;
        match &series {
            Err(e) => tracing::info!(indicator = %request.indicator, error = %e, "fetch failed"),
            Ok(fetched) => {
                let (store, request, fetched) =
                    (batch.store.clone(), request.clone(), fetched.clone());
                let now = batch.now;
                let kept = blocking(move || cache::put(store.as_ref(), &request, &fetched, now));
                if let Err(e) = kept.await {
                    tracing::warn!(error = %e, "cannot keep the series in the response cache");
                }
            }
        }
        series
    }

    /// Adds the other source's reading to every verdict whose statistic both sources
    /// publish (`corroborate` on); each twin series is fetched once per batch.
    async fn corroborate(&self, claims: &[Claim], outcomes: &mut Outcomes) {
        let mut fetched = crate::corroborate::Fetched::new();
        for claim in claims {
            if let Some(Ok(verdict)) = outcomes.get_mut(&claim.id) {
                crate::corroborate::corroborate(claim, verdict, &self.source, &mut fetched).await;
            }
        }
    }

    /// The country list: cached when fresh, else fetched and cached; a stale cache is used
    /// (with a warning) when the fetch fails.
    async fn countries(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<Result<(CountryList, Option<DateTime<Utc>>), CheckFailure>, StoreError> {
        let cached = {
            let store = store.clone();
            blocking(move || store::countries(store.as_ref())).await?
        };
        let max_age = Duration::hours(self.config.worldbank.country_cache_hours as i64);
        if let Some(cached) = &cached {
            if self.config.offline || now - cached.fetched_at < max_age {
                crate::metrics::record_cache_hit();
                return Ok(Ok((
                    CountryList::new(cached.countries.clone()),
                    Some(cached.fetched_at),
                )));
            }
        }
        if self.config.offline {
            return Ok(Err(CheckFailure {
                reason: "the country list is not in the cache, and --offline asks no source: verify online once".into(),
                retryable: true,
            }));
        }
        match self.source.fetch_countries().await {
            Ok(countries) => {
                let cached = CachedCountries {
                    fetched_at: now,
                    countries: countries.clone(),
                };
                let store = store.clone();
                blocking(move || store::put_countries(store.as_ref(), &cached)).await?;
                Ok(Ok((CountryList::new(countries), Some(now))))
            }
            Err(e) => match cached {
                Some(stale) => {
                    tracing::warn!(error = %e, fetched_at = %stale.fetched_at, "using a stale country list");
                    Ok(Ok((
                        CountryList::new(stale.countries),
                        Some(stale.fetched_at),
                    )))
                }
                None => {
                    let mut failure = CheckFailure::from(&e);
                    failure.reason = format!("cannot load the country list: {}", failure.reason);
                    Ok(Err(failure))
                }
            },
        }
    }
}

/// Outcomes by claim id.
type Outcomes = HashMap<String, Result<Verdict, CheckFailure>>;

/// What every fetch of a batch shares.
struct Batch<'a> {
    store: &'a Store,
    countries: &'a CountryList,
    /// When the country list was fetched (`None`: no claim needed it).
    countries_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

/// The failure of an offline check whose series was never fetched.
fn not_cached(request: &SeriesRequest) -> CheckFailure {
    CheckFailure {
        reason: format!(
            "{} is not in the response cache, and --offline asks no source: verify it online once (`claimcheck cache stats` shows what is cached)",
            describe_request(request)
        ),
        retryable: true,
    }
}

/// Settles the claims that need no data (no series answers them; the country list could not
/// be had; a country the source does not list) and returns the rest to check.
fn settle_without_data(
    claims: &[Claim],
    countries: &Result<CountryList, CheckFailure>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> (Outcomes, Vec<Claim>) {
    let mut outcomes = Outcomes::new();
    let mut checkable = Vec::new();
    for claim in claims {
        let outcome = match (countries, claim.subject()) {
            (_, None) => Some(Ok(rules::without_series(claim))),
            (Err(e), _) => Some(Err(e.clone())),
            (Ok(list), Some(_)) => unknown_country(claim, list).map(Err),
        };
        match outcome {
            Some(outcome) => {
                progress(Progress::Checked(&claim.id));
                outcomes.insert(claim.id.clone(), outcome);
            }
            None => checkable.push(claim.clone()),
        }
    }
    (outcomes, checkable)
}

/// A series split by country: each country's rows with the series' metadata.
fn by_country(series: &Series) -> HashMap<String, Series> {
    let mut rows: HashMap<&str, Vec<Observation>> = HashMap::new();
    for row in &series.observations {
        rows.entry(&row.iso3).or_default().push(row.clone());
    }
    rows.into_iter()
        .map(|(iso3, observations)| {
            let part = Series {
                source: series.source.clone(),
                indicator: series.indicator.clone(),
                indicator_name: series.indicator_name.clone(),
                url: series.url.clone(),
                vintage: series.vintage.clone(),
                retrieved_at: series.retrieved_at,
                observations,
            };
            (iso3.to_string(), part)
        })
        .collect()
}

/// The rows a claim is judged against: a claim about one country (every kind but rank) reads
/// only its country's rows, so it gets those alone and its rules do not scan a
/// `country/all` series of every economy per claim (10,000 claims over 6,000-row series
/// were judged at 31,000/s that way); a rank needs every country, a comparison or share two.
fn rows_for<'a>(claim: &Claim, ready: &'a Ready) -> &'a Series {
    match (&claim.kind, claim.subject()) {
        // A rank needs every country; a comparison or a share needs a second place.
        (ClaimKind::Rank { .. } | ClaimKind::Compare { .. } | ClaimKind::Share { .. }, _)
        | (_, None) => &ready.full,
        (_, Some(subject)) => ready.parts.get(&subject.country).unwrap_or(&ready.full),
    }
}

/// Gives rows without an ISO3 code the one their 2-letter code maps to in the country list.
fn fill_iso3(series: &mut Series, countries: &CountryList) {
    for row in series.observations.iter_mut().filter(|o| o.iso3.is_empty()) {
        if let Some(country) = countries.get(&row.country_id) {
            row.iso3 = country.iso3.clone();
        }
    }
}

/// A failure when the claim names a country (or peer) the source does not list.
fn unknown_country(claim: &Claim, list: &CountryList) -> Option<CheckFailure> {
    let scope = claim
        .subject()
        .map(|s| &s.country)
        .into_iter()
        .chain(claim.among());
    let unknown: Vec<&str> = scope
        .filter(|code| list.get(code).is_none())
        .map(String::as_str)
        .collect();
    (!unknown.is_empty()).then(|| CheckFailure {
        reason: format!(
            "the World Bank does not list country {}: check `country`/`among`",
            unknown.join(", ")
        ),
        retryable: false,
    })
}

/// A short label for a request, for progress messages.
pub fn describe_request(request: &SeriesRequest) -> String {
    match &request.scope {
        Scope::All => format!("{} (all countries)", request.indicator),
        Scope::Countries(codes) => format!("{} ({})", request.indicator, codes.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::country::Countries;
    use crate::claim::{ClaimSpec, Kind};
    use crate::config::GradingConfig;

    /// Three countries × 2010..=2016, 2013 missing for El Salvador.
    fn series() -> Series {
        let mut observations = Vec::new();
        for (c, iso3) in ["HND", "SLV", "GTM"].iter().enumerate() {
            for year in 2010..=2016 {
                let value = (year != 2013 || *iso3 != "SLV")
                    .then(|| 10.0 + c as f64 * 40.0 + (year - 2010) as f64 * 1.5);
                observations.push(Observation {
                    iso3: iso3.to_string(),
                    country_id: String::new(),
                    country_name: format!("Country {iso3}"),
                    year,
                    value,
                });
            }
        }
        Series {
            source: "worldbank".into(),
            indicator: "VC.IHR.PSRC.P5".into(),
            indicator_name: Some("Homicides".into()),
            url: "http://stand-in/v2/country/all/indicator/VC.IHR.PSRC.P5".into(),
            vintage: Some("2025-07-01".into()),
            retrieved_at: Utc::now(),
            observations,
        }
    }

    fn claim(kind: Kind, edit: impl FnOnce(&mut ClaimSpec)) -> Claim {
        let mut spec = ClaimSpec::new("c", "a claim");
        spec.indicator = Some("VC.IHR.PSRC.P5".into());
        spec.country = Some("SLV".into());
        spec.kind = kind;
        edit(&mut spec);
        spec.validate(Countries::shared()).unwrap()
    }

    /// The memo keeps series until told to forget, and never more rows than its bound.
    #[test]
    fn the_memo_is_bounded_and_forgets() {
        let config = Config::default();
        let source = crate::source::routed::Routed::new(&config).unwrap();
        let checker = Checker::new(source, config);
        let ready = |rows: usize| {
            let mut series = series();
            series.observations = series.observations.into_iter().cycle().take(rows).collect();
            Arc::new(Ready::new(series, &CountryList::default(), Utc::now()))
        };
        checker.remember("small".into(), ready(21));
        checker.remember("too big".into(), ready(MEMO_ROWS / 2 + 1));
        assert!(checker.remembered("small").is_some());
        assert!(checker.remembered("too big").is_none());
        checker.forget();
        assert!(checker.remembered("small").is_none());
    }

    /// Every kind but rank reads only its country's rows, so judging against them alone
    /// gives the same verdict (this fails if a rule starts reading other countries' rows
    /// for those kinds: `rows_for` would then have to pass the full series).
    #[test]
    fn claims_about_one_country_are_judged_alike_on_its_rows_alone() {
        let ready = Ready::new(series(), &CountryList::default(), Utc::now());
        assert_eq!(ready.parts["SLV"].observations.len(), 7);
        let claims = [
            claim(Kind::Value, |s| {
                (s.year, s.value) = (Some(2015), Some(57.5))
            }),
            claim(Kind::Value, |s| {
                (s.year, s.value) = (Some(2013), Some(54.0))
            }),
            claim(Kind::Value, |s| s.value = Some(59.0)),
            claim(Kind::Change, |s| {
                (s.from_year, s.year, s.change_pct) = (Some(2010), Some(2016), Some(18.0))
            }),
            claim(Kind::Mean, |s| {
                (s.from_year, s.year, s.value) = (Some(2010), Some(2012), Some(51.5))
            }),
            claim(Kind::Sum, |s| {
                (s.from_year, s.year, s.value) = (Some(2012), Some(2016), Some(200.0))
            }),
        ];
        let grading = GradingConfig::default();
        let countries = CountryList::default();
        let judge = |claim: &Claim, series: &Series| {
            rules::evaluate(
                claim,
                rules::Context {
                    series,
                    countries: &countries,
                    grading: &grading,
                },
            )
        };
        for claim in &claims {
            let narrowed = rows_for(claim, &ready);
            assert_eq!(narrowed.observations.len(), 7, "{claim:?}");
            assert_eq!(
                judge(claim, narrowed),
                judge(claim, &ready.full),
                "{claim:?}"
            );
        }
        let rank = claim(Kind::Rank, |s| (s.year, s.rank) = (Some(2015), Some(1)));
        assert_eq!(rows_for(&rank, &ready).observations.len(), 21);
    }
}
