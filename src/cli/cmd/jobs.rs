//! `claimcheck jobs [--state S] [--limit N]` and `jobs retry ID`: the queue, and a second chance for a
//! dead job.

use std::io::Write;

use anyhow::Result;

use crate::cli::args::{JobsAction, JobsArgs};
use crate::cli::backend::Backend;
use crate::cli::{Context, EXIT_OK};
use crate::report;

/// Runs the command.
pub async fn run(ctx: &Context, args: &JobsArgs, out: &mut impl Write) -> Result<u8> {
    let backend = Backend::existing(&ctx.config, &ctx.db_path).await?;
    if let Some(JobsAction::Retry { id }) = args.action {
        let job = backend.retry(id).await?;
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&job)?)?;
        } else {
            writeln!(out, "job {} for {} is queued again", job.id, job.claim_id)?;
        }
        return Ok(EXIT_OK);
    }
    let mut jobs = backend.jobs(args.state).await?;
    let total = jobs.len();
    jobs.truncate(args.limit.unwrap_or(usize::MAX));
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
                j.state.to_string(),
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
    let headers = ["JOB", "STATE", "CLAIM", "ATTEMPTS", "UPDATED", "LAST ERROR"];
    write!(out, "{}", report::table(&headers, &rows))?;
    if jobs.len() < total {
        writeln!(out, "the newest {} of {total} jobs", jobs.len())?;
    }
    Ok(EXIT_OK)
}
