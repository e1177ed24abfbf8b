//! The `hookline.toml` layer: the keys the file may set, and how they are laid over the
//! defaults. Unknown keys are refused, so a misspelt key fails at start instead of being
//! ignored.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use super::values::{durations, parse_listen, subnets};
use super::{Config, LogFormat, Role};

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
    dashboard: Option<super::dashboard::DashboardFile>,
}

impl Config {
    pub(super) fn apply_file(&mut self, path: &Path) -> anyhow::Result<()> {
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
}
