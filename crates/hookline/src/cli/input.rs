//! Inputs shared by the commands: schemes, secrets, bodies, headers, time.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use clap::Args;
use hookline_sig::{Scheme, SchemeDef, UnixTime, presets};

/// Where keys come from: flags or environment variables (which stay out of shell history).
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// A secret (or, for asymmetric schemes, a key). Repeat for several (rotation).
    #[arg(long = "secret", value_name = "SECRET")]
    pub(crate) secrets: Vec<String>,
    /// Read a secret from this environment variable. Repeatable.
    #[arg(long = "secret-env", value_name = "NAME")]
    pub(crate) secret_envs: Vec<String>,
}

impl KeyArgs {
    pub(crate) fn collect(&self) -> anyhow::Result<Vec<String>> {
        let mut keys = self.secrets.clone();
        for name in &self.secret_envs {
            let value = std::env::var(name).with_context(|| {
                format!("--secret-env {name}: the environment variable is not set")
            })?;
            keys.push(value);
        }
        if keys.is_empty() {
            bail!("give a secret with --secret or --secret-env");
        }
        Ok(keys)
    }
}

/// Which scheme: a preset by name, or a custom one from a file.
#[derive(Debug, Args)]
pub(crate) struct SchemeArgs {
    /// A built-in scheme (see `hookline schemes`); for `verify`, also `auto`: detect it from
    /// the headers.
    #[arg(long = "scheme", required_unless_present = "scheme_file")]
    name: Option<String>,
    /// A custom scheme, in TOML (or JSON with a .json name).
    #[arg(long, value_name = "FILE")]
    scheme_file: Option<PathBuf>,
}

impl SchemeArgs {
    pub(crate) fn is_auto(&self) -> bool {
        self.name.as_deref() == Some("auto") && self.scheme_file.is_none()
    }

    pub(crate) fn load(&self) -> anyhow::Result<Scheme> {
        load_scheme(self.name.as_deref(), self.scheme_file.as_deref())
    }
}

/// A preset by name, or a custom scheme from a TOML (or JSON) file.
pub(crate) fn load_scheme(name: Option<&str>, file: Option<&Path>) -> anyhow::Result<Scheme> {
    match (name, file) {
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--scheme-file {}", path.display()))?;
            let def: SchemeDef = if path.extension().is_some_and(|e| e == "json") {
                serde_json::from_str(&text)
                    .with_context(|| format!("--scheme-file {}", path.display()))?
            } else {
                toml::from_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "--scheme-file {}: {}",
                        path.display(),
                        e.to_string().trim_end()
                    )
                })?
            };
            Ok(Scheme::try_from(def)?)
        }
        (Some(name), None) => presets::by_name(name).cloned().with_context(|| {
            format!(
                "unknown scheme `{name}` (known: {}; or give --scheme-file)",
                presets::names().join(", ")
            )
        }),
        (None, None) => bail!("give --scheme NAME or --scheme-file FILE"),
    }
}

/// The body from a file, or from standard input.
pub(crate) fn read_body(file: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    match file {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).with_context(|| format!("--body-file {}", p.display()))
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading the body from standard input")?;
            Ok(buf)
        }
    }
}

/// `--now`/`--timestamp`, or the clock: the one place the CLI reads it.
pub(crate) fn time_or_now(secs: Option<i64>) -> UnixTime {
    secs.map_or_else(|| UnixTime::from(SystemTime::now()), UnixTime::from_secs)
}

/// Parses `Name: value`.
pub(crate) fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("expected `Name: value`, got {text:?}"))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("bad header name {name:?}"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}
