//! Hookline's server: a Svix-compatible management API and delivery engine on embedded
//! SQLite or PostgreSQL.
//!
//! # Layout
//!
//! - [`config`]: layered configuration (defaults, `hookline.toml`, `HOOKLINE_*`, flags).
//! - [`server`]: [`server::Application`] binds the listener; `run` serves until shutdown.
//! - [`api`]: the HTTP API, one file per resource, errors mapped to Svix's bodies.
//! - [`dashboard`]: the web dashboard and app portal, on the API's own handlers.
//! - [`store`]: the storage interface, written once for SQLite and PostgreSQL.
//! - [`crypto`]: secrets sealed at rest, token hashes. [`ids`]: time-ordered prefixed ids.
//! - [`gateway`]: the inbound gateway: providers' webhooks received at `/in/{source}`.
//! - [`data_dir`]: the data directory and database files, closed to other users.
//! - [`engine`]: the delivery engine: claims, signs, sends, retries, breaks circuits.

// An application crate: its public items exist for the binary and the integration tests,
// and the wire types are documented where clients read them, in the OpenAPI document.
// Field-by-field rustdoc would repeat it, so this one lint is relaxed here.
#![allow(missing_docs)]

pub mod api;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod dashboard;
pub mod data_dir;
pub mod engine;
pub mod gateway;
pub mod ids;
pub mod metrics;
pub mod operational;
pub mod server;
pub mod store;

/// Milliseconds since the Unix epoch, from the system clock: the one place the server reads
/// it outside tests, so handlers take time as a value.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
