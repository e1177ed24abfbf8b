//! Configuration, in layers: defaults, then `hookline.toml` (or `--config FILE`), then
//! `HOOKLINE_*` environment variables, then command-line flags. Checked once at start; a bad
//! value fails with a message naming its key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;

use crate::engine::retry::RetryPolicy;
use crate::engine::ssrf::Subnet;

mod dashboard;
pub use dashboard::DashboardConfig;

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

/// The keys `hookline.toml` may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    log_format: Option<LogFormat>,
    role: Option<Role>,
    public_url: Option<String>,
    retry_schedule: Option<Vec<f64>>,
    delivery_timeout_secs: Option<f64>,
    delivery_concurrency: Option<usize>,
    delivery_per_endpoint: Option<usize>,
    ssrf_allow: Option<Vec<String>>,
    breaker_threshold: Option<u32>,
    breaker_open_secs: Option<f64>,
    disable_after_secs: Option<f64>,
    operational_webhook_url: Option<String>,
    database_max_connections: Option<u32>,
    database_connect_timeout_secs: Option<f64>,
    delivery_lease_secs: Option<f64>,
    header_timeout_secs: Option<f64>,
    body_timeout_secs: Option<f64>,
    keep_alive_timeout_secs: Option<f64>,
    max_connections: Option<usize>,
    shutdown_grace_secs: Option<f64>,
    dashboard: Option<dashboard::DashboardFile>,
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
        if let Some(v) = env("HOOKLINE_LISTEN") {
            c.listen = parse_listen("HOOKLINE_LISTEN", &v)?;
        }
        if let Some(v) = env("HOOKLINE_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("HOOKLINE_MAX_BODY_BYTES") {
            c.max_body_bytes = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_MAX_BODY_BYTES: expected a number of bytes, got {v:?}")
            })?;
        }
        if let Some(v) = env("HOOKLINE_LOG_FORMAT") {
            c.log_format = parse_log_format("HOOKLINE_LOG_FORMAT", &v)?;
        }
        if let Some(v) = env("HOOKLINE_PUBLIC_URL") {
            c.public_url = Some(v);
        }
        if let Some(v) = env("HOOKLINE_ROLE") {
            c.role = parse_role("HOOKLINE_ROLE", &v)?;
        }
        if let Some(v) = env("HOOKLINE_RETRY_SCHEDULE") {
            let secs: Vec<f64> = v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    anyhow::anyhow!(
                        "HOOKLINE_RETRY_SCHEDULE: expected seconds separated by commas, got {v:?}"
                    )
                })?;
            c.retry_schedule = durations("HOOKLINE_RETRY_SCHEDULE", &secs)?;
        }
        if let Some(v) = env("HOOKLINE_DELIVERY_TIMEOUT") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DELIVERY_TIMEOUT: expected seconds, got {v:?}")
            })?;
            c.delivery_timeout = durations("HOOKLINE_DELIVERY_TIMEOUT", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_BREAKER_THRESHOLD") {
            c.breaker_threshold = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_BREAKER_THRESHOLD: expected a whole number, got {v:?}")
            })?;
        }
        if let Some(v) = env("HOOKLINE_BREAKER_OPEN_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_BREAKER_OPEN_SECS: expected seconds, got {v:?}")
            })?;
            c.breaker_open = durations("HOOKLINE_BREAKER_OPEN_SECS", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_OPERATIONAL_WEBHOOK_URL") {
            c.operational_webhook_url = Some(v);
        }
        c.operational_webhook_secret = Secret::new(env("HOOKLINE_OPERATIONAL_WEBHOOK_SECRET"));
        if let Some(v) = env("HOOKLINE_DISABLE_AFTER_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DISABLE_AFTER_SECS: expected seconds, got {v:?}")
            })?;
            c.disable_after = durations("HOOKLINE_DISABLE_AFTER_SECS", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_SSRF_ALLOW") {
            c.ssrf_allow = subnets(
                "HOOKLINE_SSRF_ALLOW",
                v.split(',').filter(|s| !s.trim().is_empty()),
            )?;
        }
        if let Some(v) = env("HOOKLINE_DATABASE_MAX_CONNECTIONS") {
            c.database_max_connections = v.parse().map_err(|_| {
                anyhow::anyhow!(
                    "HOOKLINE_DATABASE_MAX_CONNECTIONS: expected a whole number, got {v:?}"
                )
            })?;
        }
        if let Some(v) = env("HOOKLINE_DATABASE_CONNECT_TIMEOUT_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!(
                    "HOOKLINE_DATABASE_CONNECT_TIMEOUT_SECS: expected seconds, got {v:?}"
                )
            })?;
            c.database_connect_timeout =
                durations("HOOKLINE_DATABASE_CONNECT_TIMEOUT_SECS", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_DELIVERY_LEASE_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DELIVERY_LEASE_SECS: expected seconds, got {v:?}")
            })?;
            c.delivery_lease = durations("HOOKLINE_DELIVERY_LEASE_SECS", &[secs])?[0];
        }
        c.apply_connection_env(&env)?;
        c.dashboard.apply_env(&env)?;
        if let Some(v) = env("HOOKLINE_NODE_ID").filter(|v| !v.is_empty()) {
            c.node_id = Some(v);
        }
        if let Some(v) = env("HOOKLINE_DATABASE_URL") {
            c.database_url = Secret::new(Some(v));
        }
        c.admin_token = Secret::new(env("HOOKLINE_ADMIN_TOKEN"));
        c.encryption_key = Secret::new(env("HOOKLINE_ENCRYPTION_KEY"));
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

    fn apply_file(&mut self, path: &Path) -> anyhow::Result<()> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let f: FileConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        if let Some(v) = f.listen {
            self.listen = parse_listen(&format!("{}: listen", path.display()), &v)?;
        }
        if let Some(v) = f.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = f.max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = f.log_format {
            self.log_format = v;
        }
        if let Some(v) = f.role {
            self.role = v;
        }
        if let Some(v) = f.public_url {
            self.public_url = Some(v);
        }
        let key = |k: &str| format!("{}: {k}", path.display());
        if let Some(d) = f.dashboard {
            self.dashboard.apply_file(d, &key)?;
        }
        if let Some(v) = f.retry_schedule {
            self.retry_schedule = durations(&key("retry_schedule"), &v)?;
        }
        if let Some(v) = f.delivery_timeout_secs {
            self.delivery_timeout = durations(&key("delivery_timeout_secs"), &[v])?[0];
        }
        if let Some(v) = f.delivery_concurrency {
            self.delivery_concurrency = v;
        }
        if let Some(v) = f.delivery_per_endpoint {
            self.delivery_per_endpoint = v;
        }
        if let Some(v) = f.breaker_threshold {
            self.breaker_threshold = v;
        }
        if let Some(v) = f.breaker_open_secs {
            self.breaker_open = durations(&key("breaker_open_secs"), &[v])?[0];
        }
        if let Some(v) = f.operational_webhook_url {
            self.operational_webhook_url = Some(v);
        }
        if let Some(v) = f.disable_after_secs {
            self.disable_after = durations(&key("disable_after_secs"), &[v])?[0];
        }
        if let Some(v) = f.ssrf_allow {
            self.ssrf_allow = subnets(&key("ssrf_allow"), v.iter().map(String::as_str))?;
        }
        if let Some(v) = f.database_max_connections {
            self.database_max_connections = v;
        }
        if let Some(v) = f.database_connect_timeout_secs {
            self.database_connect_timeout =
                durations(&key("database_connect_timeout_secs"), &[v])?[0];
        }
        if let Some(v) = f.delivery_lease_secs {
            self.delivery_lease = durations(&key("delivery_lease_secs"), &[v])?[0];
        }
        let secs = |k: &str, v: Option<f64>, to: &mut Duration| -> anyhow::Result<()> {
            if let Some(v) = v {
                *to = durations(&key(k), &[v])?[0];
            }
            Ok(())
        };
        secs(
            "header_timeout_secs",
            f.header_timeout_secs,
            &mut self.header_timeout,
        )?;
        secs(
            "body_timeout_secs",
            f.body_timeout_secs,
            &mut self.body_timeout,
        )?;
        secs(
            "keep_alive_timeout_secs",
            f.keep_alive_timeout_secs,
            &mut self.keep_alive_timeout,
        )?;
        secs(
            "shutdown_grace_secs",
            f.shutdown_grace_secs,
            &mut self.shutdown_grace,
        )?;
        if let Some(v) = f.max_connections {
            self.max_connections = v;
        }
        Ok(())
    }

    /// The client-connection keys from the environment.
    fn apply_connection_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<()> {
        let secs = |k: &str, to: &mut Duration| -> anyhow::Result<()> {
            if let Some(v) = env(k) {
                let s: f64 = v
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{k}: expected seconds, got {v:?}"))?;
                *to = durations(k, &[s])?[0];
            }
            Ok(())
        };
        secs("HOOKLINE_HEADER_TIMEOUT_SECS", &mut self.header_timeout)?;
        secs("HOOKLINE_BODY_TIMEOUT_SECS", &mut self.body_timeout)?;
        secs(
            "HOOKLINE_KEEP_ALIVE_TIMEOUT_SECS",
            &mut self.keep_alive_timeout,
        )?;
        secs("HOOKLINE_SHUTDOWN_GRACE_SECS", &mut self.shutdown_grace)?;
        if let Some(v) = env("HOOKLINE_MAX_CONNECTIONS") {
            self.max_connections = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_MAX_CONNECTIONS: expected a whole number, got {v:?}")
            })?;
        }
        Ok(())
    }

    /// The client-connection keys: every deadline from 10 ms to a day (a timer past that
    /// would overflow the clock, and none should be that long), the cap from 1 to 1,000,000.
    fn check_connections(&self) -> anyhow::Result<()> {
        for (key, d) in [
            ("header_timeout_secs", self.header_timeout),
            ("body_timeout_secs", self.body_timeout),
            ("keep_alive_timeout_secs", self.keep_alive_timeout),
            ("shutdown_grace_secs", self.shutdown_grace),
        ] {
            if d < Duration::from_millis(10) || d > Duration::from_secs(86_400) {
                bail!("{key}: must be from 0.01 to 86400 seconds, got {d:?}");
            }
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            bail!(
                "max_connections: must be from 1 to 1000000, got {}",
                self.max_connections
            );
        }
        Ok(())
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.breaker_threshold == 0 {
            bail!("breaker_threshold: must be at least 1");
        }
        if self.delivery_concurrency < 2 {
            bail!("delivery_concurrency: must be at least 2");
        }
        if self.delivery_per_endpoint == 0
            || self.delivery_per_endpoint > self.delivery_concurrency / 2
        {
            bail!(
                "delivery_per_endpoint: must be from 1 to half of delivery_concurrency ({}), got {}",
                self.delivery_concurrency / 2,
                self.delivery_per_endpoint
            );
        }
        if let Some(url) = self.database_url.expose()
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!(
                "database_url: expected a postgres:// URL (without one, Hookline uses its embedded SQLite file)"
            );
        }
        if self.database_max_connections < 2 {
            bail!(
                "database_max_connections: must be at least 2, got {}",
                self.database_max_connections
            );
        }
        // A claim may wait for one attempt before its own starts: the lease must outlast
        // both, or another node could take the claim over while it is still being sent.
        // (Per-endpoint timeouts are cut to half the lease by the engine.)
        if self.delivery_lease < Duration::from_secs(5)
            || self.delivery_lease <= self.delivery_timeout * 2
        {
            bail!(
                "delivery_lease_secs: must be at least 5 seconds and more than twice the delivery timeout ({:?}), got {:?}",
                self.delivery_timeout,
                self.delivery_lease
            );
        }
        if self.max_body_bytes < 1024 {
            bail!(
                "max_body_bytes: must be at least 1024, got {}",
                self.max_body_bytes
            );
        }
        if let Some(t) = self.admin_token.expose()
            && t.len() < 24
        {
            bail!("HOOKLINE_ADMIN_TOKEN: must be at least 24 characters");
        }
        self.check_connections()
    }
}

fn durations(key: &str, secs: &[f64]) -> anyhow::Result<Vec<Duration>> {
    secs.iter()
        .map(|s| {
            Duration::try_from_secs_f64(*s)
                .map_err(|_| anyhow::anyhow!("{key}: {s} is not a number of seconds"))
        })
        .collect()
}

fn subnets<'a>(key: &str, items: impl Iterator<Item = &'a str>) -> anyhow::Result<Vec<Subnet>> {
    items
        .map(|s| {
            s.trim()
                .parse::<Subnet>()
                .map_err(|e| anyhow::anyhow!("{key}: {e}"))
        })
        .collect()
}

fn parse_listen(key: &str, v: &str) -> anyhow::Result<SocketAddr> {
    v.parse().map_err(|_| {
        anyhow::anyhow!("{key}: expected an address such as 127.0.0.1:8071, got {v:?}")
    })
}

fn parse_role(key: &str, v: &str) -> anyhow::Result<Role> {
    match v {
        "all" => Ok(Role::All),
        "api" => Ok(Role::Api),
        "worker" => Ok(Role::Worker),
        _ => bail!("{key}: expected `all`, `api` or `worker`, got {v:?}"),
    }
}

fn parse_log_format(key: &str, v: &str) -> anyhow::Result<LogFormat> {
    match v {
        "human" => Ok(LogFormat::Human),
        "json" => Ok(LogFormat::Json),
        _ => bail!("{key}: expected `human` or `json`, got {v:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(crate::ids::new_id("cfg"));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("h.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 4096\nlog_format = \"json\"\n",
        )
        .expect("write");
        let flags = Overrides {
            config_file: Some(file),
            ..Default::default()
        };
        let c = Config::load(
            &flags,
            env(&[
                ("HOOKLINE_SSRF_ALLOW", "127.0.0.0/8, ::1"),
                ("HOOKLINE_RETRY_SCHEDULE", "0.5,2"),
            ]),
        )
        .expect("loads");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.ssrf_allow.len(), 2);
        assert_eq!(
            c.retry_schedule,
            [Duration::from_millis(500), Duration::from_secs(2)]
        );
        assert_eq!(c.max_body_bytes, 4096);
        let c = Config::load(&flags, env(&[("HOOKLINE_LISTEN", "127.0.0.1:9001")])).expect("loads");
        assert_eq!(c.listen.port(), 9001);
        let flags = Overrides {
            listen: Some("127.0.0.1:9002".into()),
            ..flags
        };
        let c = Config::load(
            &flags,
            env(&[
                ("HOOKLINE_LISTEN", "127.0.0.1:9001"),
                ("HOOKLINE_ADMIN_TOKEN", "a-token-that-is-long-enough"),
            ]),
        )
        .expect("loads");
        assert_eq!(c.listen.port(), 9002);
        assert_eq!(format!("{:?}", c.admin_token), "[redacted]");
    }

    #[test]
    fn connection_limits_have_defaults_and_come_from_file_and_env() {
        let c = Config::load(&Overrides::default(), env(&[])).expect("loads");
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.max_connections, 4096);
        let dir = std::env::temp_dir().join(crate::ids::new_id("cfg"));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("h.toml");
        std::fs::write(
            &file,
            "header_timeout_secs = 2.5\nbody_timeout_secs = 4\nkeep_alive_timeout_secs = 90\nmax_connections = 100\nshutdown_grace_secs = 3\n",
        )
        .expect("write");
        let flags = Overrides {
            config_file: Some(file),
            ..Default::default()
        };
        let c = Config::load(&flags, env(&[("HOOKLINE_MAX_CONNECTIONS", "200")])).expect("loads");
        assert_eq!(c.header_timeout, Duration::from_millis(2500));
        assert_eq!(c.body_timeout, Duration::from_secs(4));
        assert_eq!(c.keep_alive_timeout, Duration::from_secs(90));
        assert_eq!(c.shutdown_grace, Duration::from_secs(3));
        assert_eq!(c.max_connections, 200);
        let err = |e: &[(&str, &str)]| {
            Config::load(&Overrides::default(), env(e))
                .expect_err("fails")
                .to_string()
        };
        assert!(err(&[("HOOKLINE_HEADER_TIMEOUT_SECS", "0")]).contains("header_timeout_secs"));
        assert!(
            err(&[("HOOKLINE_BODY_TIMEOUT_SECS", "soon")]).contains("HOOKLINE_BODY_TIMEOUT_SECS")
        );
        assert!(err(&[("HOOKLINE_SHUTDOWN_GRACE_SECS", "1e12")]).contains("shutdown_grace_secs"));
        assert!(err(&[("HOOKLINE_MAX_CONNECTIONS", "0")]).contains("max_connections"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = |flags: Overrides, e: &[(&str, &str)]| {
            Config::load(&flags, env(e)).expect_err("fails").to_string()
        };
        assert!(
            err(Overrides::default(), &[("HOOKLINE_LISTEN", "nope")]).contains("HOOKLINE_LISTEN")
        );
        assert!(
            err(Overrides::default(), &[("HOOKLINE_MAX_BODY_BYTES", "x")])
                .contains("HOOKLINE_MAX_BODY_BYTES")
        );
        assert!(
            err(
                Overrides {
                    log_format: Some("xml".into()),
                    ..Default::default()
                },
                &[]
            )
            .contains("--log-format")
        );
        assert!(
            err(Overrides::default(), &[("HOOKLINE_ADMIN_TOKEN", "short")])
                .contains("HOOKLINE_ADMIN_TOKEN")
        );
        let dir = std::env::temp_dir().join(crate::ids::new_id("cfg"));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("h.toml");
        std::fs::write(&file, "lisen = \"x\"\n").expect("write");
        assert!(
            err(
                Overrides {
                    config_file: Some(file.clone()),
                    ..Default::default()
                },
                &[]
            )
            .contains("lisen")
        );
        std::fs::write(&file, "listen = \"x\"\n").expect("write");
        assert!(
            err(
                Overrides {
                    config_file: Some(file),
                    ..Default::default()
                },
                &[]
            )
            .contains("listen")
        );
        assert!(
            err(
                Overrides {
                    config_file: Some("/nonexistent/h.toml".into()),
                    ..Default::default()
                },
                &[]
            )
            .contains("/nonexistent/h.toml")
        );
    }
}
