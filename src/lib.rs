//! claimcheck: checks statistical claims against public data (the World Bank Indicators API)
//! and keeps verdicts with their evidence and history in an embedded sled database.
//!
//! Flow: claim files or flags → [`claim::Claim`] → [`store`] → [`check`] (plan, [`source`]
//! fetch, [`verify`] rules) → verdict history in [`store`] → [`report`] / [`cli`].

pub mod backup;
pub mod check;
pub mod claim;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod export;
pub mod metrics;
pub mod queue;
pub mod report;
pub mod scan;
pub mod site;
pub mod source;
pub mod store;
pub mod verify;
