//! Parsers for single values, shared by the file, environment and flag layers: each takes
//! the key it reads, so its error names where the bad value came from.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::bail;

use super::{LogFormat, Role};
use crate::engine::ssrf::Subnet;

pub(super) fn durations(key: &str, secs: &[f64]) -> anyhow::Result<Vec<Duration>> {
    secs.iter()
        .map(|s| {
            Duration::try_from_secs_f64(*s)
                .map_err(|_| anyhow::anyhow!("{key}: {s} is not a number of seconds"))
        })
        .collect()
}

pub(super) fn subnets<'a>(
    key: &str,
    items: impl Iterator<Item = &'a str>,
) -> anyhow::Result<Vec<Subnet>> {
    items
        .map(|s| {
            s.trim()
                .parse::<Subnet>()
                .map_err(|e| anyhow::anyhow!("{key}: {e}"))
        })
        .collect()
}

pub(super) fn parse_listen(key: &str, v: &str) -> anyhow::Result<SocketAddr> {
    v.parse().map_err(|_| {
        anyhow::anyhow!("{key}: expected an address such as 127.0.0.1:8071, got {v:?}")
    })
}

pub(super) fn parse_role(key: &str, v: &str) -> anyhow::Result<Role> {
    match v {
        "all" => Ok(Role::All),
        "api" => Ok(Role::Api),
        "worker" => Ok(Role::Worker),
        _ => bail!("{key}: expected `all`, `api` or `worker`, got {v:?}"),
    }
}

pub(super) fn parse_log_format(key: &str, v: &str) -> anyhow::Result<LogFormat> {
    match v {
        "human" => Ok(LogFormat::Human),
        "json" => Ok(LogFormat::Json),
        _ => bail!("{key}: expected `human` or `json`, got {v:?}"),
    }
}
