//! The environment layer: every `HOOKLINE_*` variable, laid over the defaults and the file.
//! The lookup is injected (`env`), so tests never touch the process environment.

use std::path::PathBuf;
use std::time::Duration;

use super::values::{durations, parse_listen, parse_log_format, parse_role, subnets};
use super::{Config, Secret};

impl Config {
    /// Applies every `HOOKLINE_*` variable `env` knows; a bad value fails naming its variable.
    pub(super) fn apply_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<()> {
        if let Some(v) = env("HOOKLINE_LISTEN") {
            self.listen = parse_listen("HOOKLINE_LISTEN", &v)?;
        }
        if let Some(v) = env("HOOKLINE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("HOOKLINE_MAX_BODY_BYTES") {
            self.max_body_bytes = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_MAX_BODY_BYTES: expected a number of bytes, got {v:?}")
            })?;
        }
        if let Some(v) = env("HOOKLINE_LOG_FORMAT") {
            self.log_format = parse_log_format("HOOKLINE_LOG_FORMAT", &v)?;
        }
        if let Some(v) = env("HOOKLINE_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = env("HOOKLINE_ROLE") {
            self.role = parse_role("HOOKLINE_ROLE", &v)?;
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
            self.retry_schedule = durations("HOOKLINE_RETRY_SCHEDULE", &secs)?;
        }
        if let Some(v) = env("HOOKLINE_DELIVERY_TIMEOUT") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DELIVERY_TIMEOUT: expected seconds, got {v:?}")
            })?;
            self.delivery_timeout = durations("HOOKLINE_DELIVERY_TIMEOUT", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_BREAKER_THRESHOLD") {
            self.breaker_threshold = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_BREAKER_THRESHOLD: expected a whole number, got {v:?}")
            })?;
        }
        if let Some(v) = env("HOOKLINE_BREAKER_OPEN_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_BREAKER_OPEN_SECS: expected seconds, got {v:?}")
            })?;
            self.breaker_open = durations("HOOKLINE_BREAKER_OPEN_SECS", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_OPERATIONAL_WEBHOOK_URL") {
            self.operational_webhook_url = Some(v);
        }
        self.operational_webhook_secret = Secret::new(env("HOOKLINE_OPERATIONAL_WEBHOOK_SECRET"));
        if let Some(v) = env("HOOKLINE_DISABLE_AFTER_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DISABLE_AFTER_SECS: expected seconds, got {v:?}")
            })?;
            self.disable_after = durations("HOOKLINE_DISABLE_AFTER_SECS", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_SSRF_ALLOW") {
            self.ssrf_allow = subnets(
                "HOOKLINE_SSRF_ALLOW",
                v.split(',').filter(|s| !s.trim().is_empty()),
            )?;
        }
        if let Some(v) = env("HOOKLINE_DATABASE_MAX_CONNECTIONS") {
            self.database_max_connections = v.parse().map_err(|_| {
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
            self.database_connect_timeout =
                durations("HOOKLINE_DATABASE_CONNECT_TIMEOUT_SECS", &[secs])?[0];
        }
        if let Some(v) = env("HOOKLINE_DELIVERY_LEASE_SECS") {
            let secs: f64 = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DELIVERY_LEASE_SECS: expected seconds, got {v:?}")
            })?;
            self.delivery_lease = durations("HOOKLINE_DELIVERY_LEASE_SECS", &[secs])?[0];
        }
        self.apply_connection_env(env)?;
        self.dashboard.apply_env(env)?;
        if let Some(v) = env("HOOKLINE_NODE_ID").filter(|v| !v.is_empty()) {
            self.node_id = Some(v);
        }
        if let Some(v) = env("HOOKLINE_DATABASE_URL") {
            self.database_url = Secret::new(Some(v));
        }
        self.admin_token = Secret::new(env("HOOKLINE_ADMIN_TOKEN"));
        self.encryption_key = Secret::new(env("HOOKLINE_ENCRYPTION_KEY"));
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
}
