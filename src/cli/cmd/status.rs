//! `claimcheck status`: the state of the database for a person — who holds it (a daemon or
//! nobody), claims and their latest verdicts, jobs by state, dead jobs, the last check.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_OK};
use crate::queue::JobState;
use crate::verify::Grade;

/// Runs `status`.
pub async fn run(ctx: &Context, as_json: bool, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    let summaries = backend.list().await?;
    let jobs = backend.jobs(None).await?;
    let grades: Vec<(Grade, usize)> = Grade::ALL
        .iter()
        .map(|g| {
            let n = summaries
                .iter()
                .filter(|s| s.latest.as_ref().is_some_and(|r| r.verdict.grade == *g))
                .count();
            (*g, n)
        })
        .collect();
    let never = summaries.iter().filter(|s| s.latest.is_none()).count();
    let states = [
        JobState::Queued,
        JobState::Running,
        JobState::Retrying,
        JobState::Dead,
        JobState::Succeeded,
    ];
    let job_counts: Vec<(String, usize)> = states
        .iter()
        .map(|s| {
            let name = s.to_string();
            (name, jobs.iter().filter(|j| j.state == *s).count())
        })
        .collect();
    let last = summaries
        .iter()
        .filter_map(|s| s.latest.as_ref())
        .max_by_key(|r| r.checked_at);
    let held_by = if backend.is_daemon() {
        "a running daemon serves it"
    } else if crate::store::is_url(&ctx.db_path) {
        // Any number of daemons share a PostgreSQL database; this process cannot see them.
        "shared: opened directly; daemons on other processes may serve it too"
    } else {
        "no daemon runs; opened directly"
    };
    if as_json {
        let value = json!({
            "db": crate::store::display_location(&ctx.db_path),
            "daemon": backend.is_daemon(),
            "claims": summaries.len(),
            "verdicts": grades.iter().map(|(g, n)| (g.to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            "never_checked": never,
            "jobs": job_counts.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "last_check": last.map(|r| json!({"at": r.checked_at, "claim_id": r.claim_id})),
        });
        writeln!(out, "{value}")?;
        return Ok(EXIT_OK);
    }
    let verdicts: Vec<String> = grades
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(g, n)| format!("{n} {g}"))
        .collect();
    let db = crate::store::display_location(&ctx.db_path);
    writeln!(out, "database    {db} ({held_by})")?;
    writeln!(
        out,
        "claims      {} (latest verdicts: {}; {never} never checked)",
        summaries.len(),
        if verdicts.is_empty() {
            "none".into()
        } else {
            verdicts.join(", ")
        }
    )?;
    let jobs_line: Vec<String> = job_counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    writeln!(out, "jobs        {}", jobs_line.join(", "))?;
    match last {
        Some(r) => writeln!(
            out,
            "last check  {} ({})",
            r.checked_at.format("%Y-%m-%d %H:%M UTC"),
            r.claim_id
        )?,
        None => writeln!(out, "last check  never")?,
    }
    let dead = crate::metrics::dead_of_stored_claims(
        &jobs,
        summaries
            .iter()
            .map(|s| (s.claim.id.as_str(), s.latest.as_ref().map(|r| r.checked_at))),
    );
    if dead > 0 {
        writeln!(
            out,
            "\n{dead} dead job(s): `claimcheck jobs --state dead` shows why; `claimcheck jobs retry ID` sends one back"
        )?;
    }
    Ok(EXIT_OK)
}
