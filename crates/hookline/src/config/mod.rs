//! Configuration, in layers: defaults, then `hookline.toml` (or `--config FILE`), then
//! `HOOKLINE_*` environment variables, then command-line flags. Checked once at start; a bad
//! value fails with a message naming its key.
//!
//! This module holds the types and the order of the layers; [`Config::load`] runs them. The
//! file layer is in `file`, the environment in `env`, the final checks in `check`, and the
//! parsers of single values they share in `values`.

mod check;
mod dashboard;
mod env;
mod file;
#[cfg(test)]
mod tests;
mod values;

pub use dashboard::DashboardConfig;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::engine::retry::RetryPolicy;
use crate::engine::ssrf::Subnet;
use values::{parse_listen, parse_log_format, parse_role};

/// The default address: loopback, on Svix's port (8071), which clashes with none of the
/// usual services (PostgreSQL, MariaDB, Redis, RabbitMQ, Mosquitto, NATS).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8071";

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// What this process runs: the API and the delivery engine (default), or one of them, so
/// they can scale apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    All,
    Api,
    Worker,
}

/// A secret from the environment: `Debug` never shows it.
#[derive(Clone, Default)]
pub struct Secret(Option<String>);

impl Secret {
    pub fn new(value: Option<String>) -> Self {
        Secret(value.filter(|v| !v.is_empty()))
    }
    pub fn expose(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "[redacted]"
        } else {
            "None"
        })
    }
}

/// The server's configuration, complete and checked.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    pub log_format: LogFormat,
    pub role: Role,
    /// The base URL users reach this server at (app-portal links); default `http://<listen>`.
    pub public_url: Option<String>,
    /// `HOOKLINE_ADMIN_TOKEN`: use this admin token instead of generating one.
    pub admin_token: Secret,
    /// `HOOKLINE_ENCRYPTION_KEY`: the key secrets are sealed with, instead of the key file.
    pub encryption_key: Secret,
    /// Delays before each retry, in seconds (the first attempt is immediate).
    pub retry_schedule: Vec<Duration>,
    /// Total time allowed for one delivery attempt.
    pub delivery_timeout: Duration,
    /// Deliveries in flight at once.
    pub delivery_concurrency: usize,
    /// Deliveries in flight at once to one endpoint (at most half the concurrency, so a
    /// black-holed endpoint never holds every worker).
    pub delivery_per_endpoint: usize,
    /// Subnets deliveries may reach although the SSRF guard refuses them (for local
    /// development and tests: e.g. `127.0.0.0/8`).
    pub ssrf_allow: Vec<Subnet>,
    /// Consecutive failures that open an endpoint's circuit breaker.
    pub breaker_threshold: u32,
    /// How long a breaker stays open before its first probe (doubling after failed probes).
    pub breaker_open: Duration,
    /// An endpoint failing without a success for this long is disabled (default 5 days).
    pub disable_after: Duration,
    /// Where operational webhooks go (endpoint.disabled, message.attempt.exhausted, ...).
    pub operational_webhook_url: Option<String>,
    /// `HOOKLINE_OPERATIONAL_WEBHOOK_SECRET`: the `whsec_` secret they are signed with.
    pub operational_webhook_secret: Secret,
    /// `--database-url` / `HOOKLINE_DATABASE_URL`: a `postgres://` URL selects PostgreSQL
    /// (several nodes may share it); unset, the embedded SQLite file in `data_dir`. A
    /// secret because it may carry a password.
    pub database_url: Secret,
    /// Most connections this node opens to PostgreSQL.
    pub database_max_connections: u32,
    /// How long to wait for a PostgreSQL connection (at start, and from the pool).
    pub database_connect_timeout: Duration,
    /// How long a claimed delivery is leased to this node: after a node dies, its claims
    /// go to another node once their lease runs out.
    pub delivery_lease: Duration,
    /// `HOOKLINE_NODE_ID`: this node's name on a shared database, unique among the nodes
    /// and the same across restarts (a StatefulSet pod name, a host name): a node that
    /// restarts takes back at once the claims it made under it.
    pub node_id: Option<String>,
    /// Longest a client may take to send a request's head: from connecting, or on a
    /// kept-alive connection from the first byte of the next request.
    pub header_timeout: Duration,
    /// Longest a client may take to send a request's body, from the end of its head.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request. Longer than the
    /// usual load balancer's idle timeout (60 s), so the balancer closes first and never
    /// sends on a connection we are closing.
    pub keep_alive_timeout: Duration,
    /// Most client connections open at once; past it a new one is answered 503 and closed.
    pub max_connections: usize,
    /// After SIGTERM, how long requests in progress may take; connections still open then
    /// are dropped (their requests were not acknowledged).
    pub shutdown_grace: Duration,
    /// The dashboard and app portal (`[dashboard]`, `HOOKLINE_DASHBOARD_*`).
    pub dashboard: DashboardConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8071))),
            data_dir: PathBuf::from("hookline-data"),
            max_body_bytes: 1 << 20,
            log_format: LogFormat::Human,
            role: Role::All,
            public_url: None,
            admin_token: Secret::default(),
            encryption_key: Secret::default(),
            retry_schedule: RetryPolicy::default().schedule,
            delivery_timeout: Duration::from_secs(15),
            delivery_concurrency: 256,
            delivery_per_endpoint: 64,
            ssrf_allow: Vec::new(),
            breaker_threshold: 5,
            breaker_open: Duration::from_secs(30),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            operational_webhook_url: None,
            operational_webhook_secret: Secret::default(),
            database_url: Secret::default(),
            database_max_connections: 16,
            database_connect_timeout: Duration::from_secs(10),
            delivery_lease: Duration::from_secs(300),
            node_id: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(75),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(15),
            dashboard: DashboardConfig::default(),
        }
    }
}

/// Values given on the command line (highest precedence).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log_format: Option<String>,
    pub role: Option<String>,
    pub database_url: Option<String>,
}

impl Config {
    /// Builds the configuration from every layer. `env` looks up environment variables
    /// (injected, so tests need not touch the process environment).
    pub fn load(flags: &Overrides, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let mut c = Config::default();
        let file = flags
            .config_file
            .clone()
            .or_else(|| env("HOOKLINE_CONFIG").map(PathBuf::from));
        let (path, required) = match file {
            Some(p) => (p, true),
            None => (PathBuf::from("hookline.toml"), false),
        };
        if required || path.exists() {
            c.apply_file(&path)?;
        }
        c.apply_env(&env)?;
        if let Some(v) = &flags.listen {
            c.listen = parse_listen("--listen", v)?;
        }
        if let Some(v) = &flags.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &flags.log_format {
            c.log_format = parse_log_format("--log-format", v)?;
        }
        if let Some(v) = &flags.role {
            c.role = parse_role("--role", v)?;
        }
        if let Some(v) = &flags.database_url {
            c.database_url = Secret::new(Some(v.clone()));
        }
        c.check()?;
        Ok(c)
    }
}
