//! claimcheck: checks statistical claims against public data (the World Bank Indicators API)
//! and keeps verdicts with their evidence and history in an embedded sled database.
//!
//! # Layout
//!
//! One flow, one way through:
//!
//! ```text
//!  claim file ─┐                          ┌─ CLI (no daemon: calls app directly)
//!  sentence  ──┼─► Claim (validated) ─► app ◄─┤
//!  API body  ──┘                          └─ API handlers (thin) ◄─ CLI via the socket
//!                         │
//!        queue: enqueue → take (lease) → worker step → finish (verdict + job, one transaction)
//!                         │
//!        check: plan → source::fetch (once per series) → verify::rules (pure)
//!                         │
//!                 store (trait; sled embedded)
//! ```
//!
//! - [`claim`]: the claim model, claim files, sentences, countries, numbers.
//! - [`verify`]: bands, grades, the pure verdict rules, the fetch plan.
//! - [`source`]: the `Source` trait, the World Bank and Our World in Data clients, the shared
//!   HTTP client.
//! - [`catalogue`]: the WDI series table (every World Bank indicator by name and code).
//! - [`check`]: judges a batch of claims (plan, fetch, rules); writes nothing.
//! - [`corroborate`]: the twins table; the other source's reading of the same statistic.
//! - [`inputs`]: what a verdict was judged from, so `verify` settles at once a request a
//!   check could not answer differently.
//! - [`store`]: the [`store::Storage`] trait and its sled backend.
//! - [`queue`]: the queue's contract over the store, schedules, and the worker step.
//! - [`app`]: one function per operation; every surface calls these.
//! - [`api`]: request/response types shared by server and client, routes, the client.
//! - [`daemon`]: worker, scheduler, API servers, webhooks, graceful shutdown.
//! - [`report`]: text and JSON for people and scripts.
//! - [`scan`]: an article's checkable sentences, as claims or refusals with reasons.
//! - [`site`]: the static HTML report and its SVG charts; [`export`]: ClaimReview, CSV,
//!   Markdown; [`backup`]: the backup file; [`metrics`]: Prometheus text; [`demo`]: the
//!   offline stand-in.
//! - [`cli`]: argument definitions apart from one module per command.
//! - [`config`]: the config file, environment overrides, defaults (data only).

pub mod api;
pub mod app;
pub mod backup;
pub mod cache;
pub mod catalogue;
pub mod check;
pub mod claim;
pub mod cli;
pub mod config;
pub mod corroborate;
pub mod daemon;
pub mod demo;
pub mod export;
pub mod inputs;
pub mod metrics;
pub mod queue;
pub mod report;
pub mod scan;
pub mod site;
pub mod source;
pub mod store;
mod timestamp;
pub mod verify;
