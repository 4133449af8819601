//! The local API: [`types`] (bodies and paths, shared by both sides), [`server`] (routes and
//! thin handlers over [`crate::app::App`]) and [`client`] (what the CLI uses when a daemon
//! runs).

pub mod client;
pub mod server;
pub mod types;
