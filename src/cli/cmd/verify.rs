//! `claimcheck verify`: queue verifications of claims (ids, files, `--all`) or of whatever is
//! due (`--due`, for cron), run them to a settled state (here, or by the daemon) and print
//! the verdicts. There is no other way a verdict is made.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use super::load_files;
use crate::api::types::{Added, JobResult, Verifying};
use crate::check::{describe_request, Progress};
use crate::cli::args::VerifyArgs;
use crate::cli::backend::Backend;
use crate::cli::{Context, InputError, EXIT_FAILED_GATE, EXIT_OK, EXIT_RUNTIME};
use crate::report;
use crate::verify::Grade;

/// Runs the command.
pub async fn run(ctx: &Context, args: &VerifyArgs, out: &mut impl Write) -> Result<u8> {
    // Claim files named are stored first, so they may make the database; ids, --all and
    // --due only read what is there.
    let backend = if args.targets.iter().any(|t| t.exists()) {
        Backend::connect(&ctx.config, &ctx.db_path).await?
    } else {
        Backend::existing(&ctx.config, &ctx.db_path).await?
    };
    if backend.is_daemon() && (args.offline || args.corroborate) {
        // The daemon checks by its own settings: the flag would be ignored in silence, and
        // --offline would ask the source after all.
        let message = if args.offline {
            "--offline does not reach the running daemon, which always asks its sources: stop the daemon to verify here with --offline"
        } else {
            "--corroborate does not reach the running daemon, which corroborates only when its config says `corroborate = true`: set that and restart it, or stop the daemon to verify here with --corroborate"
        };
        return Err(InputError::Message(message.into()).into());
    }
    let mut waiting = Waiting::default();
    if args.due {
        let due = backend.due().await?;
        if due.is_empty() {
            if !args.json {
                writeln!(out, "no claims are due")?;
            }
            return Ok(EXIT_OK);
        }
        due.iter().for_each(|j| waiting.job(j.id));
    } else {
        let ids = select_claims(&backend, args, &mut waiting).await?;
        if !ids.is_empty() {
            waiting.verifying(backend.verify(ids).await?);
        }
    }
    let results = settle(&backend, waiting).await?;
    print_results(&results, args.json, args.fail_on, out)
}

/// The jobs a command waits for, in order and once each, with the results of those settled
/// when they were asked for (a re-check that could find nothing new: no need to read them
/// back).
#[derive(Default)]
pub(super) struct Waiting {
    jobs: Vec<u64>,
    seen: HashSet<u64>,
    known: HashMap<u64, JobResult>,
}

impl Waiting {
    /// Waits for job `id` too (once).
    pub(super) fn job(&mut self, id: u64) {
        if self.seen.insert(id) {
            self.jobs.push(id);
        }
    }

    /// Waits for the jobs `verify` answered, keeping the results it gave.
    pub(super) fn verifying(&mut self, answers: Vec<Verifying>) {
        for answer in answers {
            self.job(answer.job.id);
            if let Some(result) = answer.result {
                self.known.insert(answer.job.id, *result);
            }
        }
    }

    /// True when there is nothing to wait for.
    pub(super) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

/// What waits on freshly stored claims: the jobs storing them queued, and new ones for
/// claims that were stored unchanged (each claim once).
pub(super) async fn jobs_for(backend: &Backend, added: &[Added]) -> Result<Waiting> {
    let mut waiting = Waiting::default();
    added
        .iter()
        .filter_map(|a| a.job.as_ref())
        .for_each(|j| waiting.job(j.id));
    let unchanged: Vec<String> = added
        .iter()
        .filter(|a| a.job.is_none())
        .map(|a| a.claim.id.clone())
        .collect();
    if !unchanged.is_empty() {
        waiting.verifying(backend.verify(unchanged).await?);
    }
    Ok(waiting)
}

/// Runs the awaited jobs to a settled state with a progress bar on stderr; their results,
/// in order.
pub(super) async fn settle(backend: &Backend, waiting: Waiting) -> Result<Vec<JobResult>> {
    let Waiting {
        jobs, mut known, ..
    } = waiting;
    let open: Vec<u64> = jobs
        .iter()
        .filter(|id| !known.contains_key(id))
        .copied()
        .collect();
    let mut fresh: HashMap<u64, JobResult> = HashMap::new();
    if !open.is_empty() {
        let bar = progress_bar(open.len());
        let mut progress = |event: Progress<'_>| match event {
            Progress::Fetching(request) => {
                bar.set_message(format!("fetching {}", describe_request(request)))
            }
            Progress::Checked(_) => bar.inc(1),
        };
        let results = backend.settle(&open, &mut progress).await?;
        bar.finish_and_clear();
        fresh.extend(results.into_iter().map(|r| (r.job.id, r)));
    }
    // A job whose claim was removed meanwhile has no result (as `results` gives none).
    Ok(jobs
        .iter()
        .filter_map(|id| known.remove(id).or_else(|| fresh.remove(id)))
        .collect())
}

/// The claims to verify: the ids to queue (named; once each, in order) are returned; the
/// jobs already queued go into `waiting`: every claim's, for `--all`, and those that storing
/// the claims of the named files queued (not queued twice, so a daemon that starts on them
/// at once does not check them twice).
async fn select_claims(
    backend: &Backend,
    args: &VerifyArgs,
    waiting: &mut Waiting,
) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    if args.all {
        // One request: the store lists its own ids (through a daemon, no claim list is sent).
        waiting.verifying(backend.verify_all().await?);
    }
    let (paths, named): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.targets.iter().partition(|t| t.exists());
    ids.extend(named.iter().map(|id| id.to_string_lossy().into_owned()));
    if !paths.is_empty() {
        let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
        let (stored, errors) = load_files(backend, &paths).await?;
        if errors > 0 {
            return Err(InputError::Message(format!(
                "{errors} claim(s) rejected; fix the errors above and run again"
            ))
            .into());
        }
        for added in stored {
            match added.job {
                Some(job) => waiting.job(job.id),
                None => ids.push(added.claim.id),
            }
        }
    }
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() && waiting.is_empty() {
        let message = if args.all {
            "nothing to verify: no claims are stored yet; add some with `claimcheck import claims/`"
        } else {
            "nothing to verify: name claim ids or files, or pass --all"
        };
        return Err(InputError::Message(message.into()).into());
    }
    Ok(ids)
}

/// Prints each result and a summary; returns the exit code (`--fail-on` gate, failures).
pub(super) fn print_results(
    results: &[JobResult],
    json: bool,
    fail_on: Option<Grade>,
    out: &mut impl Write,
) -> Result<u8> {
    for result in results {
        if json {
            writeln!(out, "{}", report::result_json(result))?;
        } else {
            writeln!(out, "{}\n", report::result_text(result))?;
        }
    }
    if !json {
        writeln!(out, "{}", summary(results))?;
    }
    let gate_failed = fail_on.is_some_and(|threshold| {
        results
            .iter()
            .filter_map(|r| r.outcome().ok())
            .any(|r| r.verdict.grade.at_or_below(threshold))
    });
    let any_failed = results.iter().any(|r| r.outcome().is_err());
    Ok(if gate_failed {
        EXIT_FAILED_GATE
    } else if any_failed {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    })
}

pub(super) fn summary(results: &[JobResult]) -> String {
    let mut counts: Vec<(String, usize)> = Grade::ALL
        .iter()
        .map(|g| {
            let n = results
                .iter()
                .filter(|r| r.outcome().is_ok_and(|rec| rec.verdict.grade == *g))
                .count();
            (g.to_string(), n)
        })
        .collect();
    counts.push((
        "not checked".into(),
        results.iter().filter(|r| r.outcome().is_err()).count(),
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
    let settled = results
        .iter()
        .filter(|r| r.job.was_settled_at_once())
        .count();
    let settled = match settled {
        0 => String::new(),
        n => format!(
            "; {n} settled at once (unchanged since their last check: same claim, code, grading and cached data)"
        ),
    };
    format!(
        "{} {noun} checked: {}{settled}",
        results.len(),
        parts.join(", ")
    )
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
