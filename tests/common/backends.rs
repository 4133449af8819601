//! The storage backends a test runs against: sled in the test's temp directory, and
//! PostgreSQL in a fresh schema of `CLAIMCHECK_TEST_POSTGRES_URL` dropped after the test.
//! Without the variable the PostgreSQL half is skipped, saying so.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable naming the PostgreSQL database tests may create schemas in.
pub const POSTGRES_URL_VAR: &str = "CLAIMCHECK_TEST_POSTGRES_URL";

/// A backend for one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// sled, in the test's temp directory.
    Sled,
    /// PostgreSQL, in a schema of its own.
    Postgres,
}

/// Where a test's database lives, and the schema to drop afterwards.
pub struct TestDb {
    /// The `--db` value: a directory or a `postgres://…?schema=…` URL.
    pub location: PathBuf,
    schema_url: Option<String>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(url) = &self.schema_url {
            if let Err(e) = claimcheck::store::postgres::drop_schema(url) {
                eprintln!("could not drop the test schema: {e}");
            }
        }
    }
}

/// The PostgreSQL URL tests use, or `None` after printing why the test is skipped.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            eprintln!(
                "SKIPPED {test} on PostgreSQL: {POSTGRES_URL_VAR} is not set \
                 (set it to e.g. postgres://postgres@127.0.0.1:5432/test; .ci/run does)"
            );
            None
        }
    }
}

/// A database for `test` on `backend` (sled under `dir`); `None` when PostgreSQL is not
/// configured (the skip is printed).
pub fn test_db(backend: Backend, dir: &std::path::Path, test: &str) -> Option<TestDb> {
    match backend {
        Backend::Sled => Some(TestDb {
            location: dir.join("db"),
            schema_url: None,
        }),
        Backend::Postgres => {
            let url = postgres_url(test)?;
            let url = schema_url(&url, &fresh_schema(test));
            Some(TestDb {
                location: PathBuf::from(&url),
                schema_url: Some(url),
            })
        }
    }
}

/// `url` with `?schema=NAME` added.
pub fn schema_url(url: &str, schema: &str) -> String {
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}schema={schema}")
}

/// A schema name no other test (or test run) uses.
pub fn fresh_schema(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let short: String = test
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    format!(
        "t_{}_{}_{}_{nanos:x}",
        short.to_ascii_lowercase(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Runs a test function once per backend: `both!(name, name2, …)` makes `on_sled::name` and
/// `on_postgres::name`, each calling `name(Backend::…)`; the PostgreSQL one is skipped (and says
/// so) without `CLAIMCHECK_TEST_POSTGRES_URL`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod on_sled {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::backends::Backend::Sled).await
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if super::common::backends::postgres_url(stringify!($name)).is_some() {
                        super::$name(super::common::backends::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}
