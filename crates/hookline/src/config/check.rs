//! The checks run once on the finished configuration, after every layer: ranges and
//! combinations no single layer can judge alone (a lease longer than twice the timeout, at
//! most half the workers on one endpoint). Each failure names its key.

use std::time::Duration;

use anyhow::bail;

use super::Config;

impl Config {
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

    pub(super) fn check(&self) -> anyhow::Result<()> {
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
