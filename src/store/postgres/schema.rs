//! Versioned migrations of the PostgreSQL schema, applied in order on open (and by
//! `claimcheck migrate`) under an advisory lock, so daemons starting together apply each
//! once. Records are kept as the same JSON the sled backend stores (a `data` column), with
//! the columns the queries filter and sort on beside it; the JSON is the truth, the columns
//! are rewritten with it in the same statement.

/// The migrations, by version. Append; never edit a released one.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2)];

/// Serialises migrations across processes (an arbitrary constant: "claimche").
pub const MIGRATION_LOCK: i64 = 0x636c_6169_6d63_6865;
/// Serialises writers of change events, so their sequence numbers commit in order and a
/// webhook cursor never skips one committed late.
pub const CHANGES_LOCK: i64 = 0x636c_6169_6d63_6866;

/// What each claim's latest verdict was judged from (`crate::inputs::Judged`), so `verify`
/// can settle at once a request a check could not answer differently.
const V2: &str = r#"
CREATE TABLE judged (claim_id text PRIMARY KEY, data text NOT NULL);
"#;

const V1: &str = r#"
CREATE SEQUENCE ids;
CREATE SEQUENCE change_seq;
CREATE TABLE claims (id text PRIMARY KEY, data text NOT NULL);
CREATE TABLE verdicts (
    claim_id text NOT NULL,
    seq bigint NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (claim_id, seq)
);
CREATE TABLE edits (
    claim_id text NOT NULL,
    seq bigint NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (claim_id, seq)
);
CREATE TABLE changes (seq bigint PRIMARY KEY, at timestamptz NOT NULL, data text NOT NULL);
CREATE INDEX changes_at ON changes (at);
CREATE TABLE jobs (
    id bigint PRIMARY KEY,
    claim_id text NOT NULL,
    state text NOT NULL,
    priority smallint NOT NULL,
    run_at timestamptz NOT NULL,
    lease_until timestamptz,
    -- The last worker that took the job, kept after it finishes (the record clears it):
    -- which daemon did what.
    worker text,
    data text NOT NULL
);
-- One pending job per claim, whatever process writes it.
CREATE UNIQUE INDEX jobs_one_pending_per_claim ON jobs (claim_id)
    WHERE state IN ('queued', 'running', 'retrying');
-- The worker's query: due jobs, best priority then oldest run_at.
CREATE INDEX jobs_due ON jobs (priority, run_at, id) WHERE state IN ('queued', 'retrying');
-- The rescuer's and the renewer's query: leases ending by a time.
CREATE INDEX jobs_leases ON jobs (lease_until, id) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs (state, id);
CREATE TABLE schedules (claim_id text PRIMARY KEY, at timestamptz NOT NULL, data text NOT NULL);
CREATE INDEX schedules_at ON schedules (at);
CREATE TABLE meta (key text PRIMARY KEY, value bytea NOT NULL);
-- Named leases: which daemon of a cluster does a singleton task (webhook delivery).
CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, until timestamptz NOT NULL);
"#;
