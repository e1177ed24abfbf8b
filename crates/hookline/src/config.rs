//! Configuration, in layers: defaults, then `hookline.toml` (or `--config FILE`), then
//! `HOOKLINE_*` environment variables, then command-line flags. Checked once at start; a bad
//! value fails with a message naming its key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

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
    /// `HOOKLINE_ADMIN_TOKEN`: use this admin token instead of generating one.
    pub admin_token: Secret,
    /// `HOOKLINE_ENCRYPTION_KEY`: the key secrets are sealed with, instead of the key file.
    pub encryption_key: Secret,
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
            admin_token: Secret::default(),
            encryption_key: Secret::default(),
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
}

/// Values given on the command line (highest precedence).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log_format: Option<String>,
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
        Ok(())
    }

    fn check(&self) -> anyhow::Result<()> {
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
        Ok(())
    }
}

fn parse_listen(key: &str, v: &str) -> anyhow::Result<SocketAddr> {
    v.parse().map_err(|_| {
        anyhow::anyhow!("{key}: expected an address such as 127.0.0.1:8071, got {v:?}")
    })
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
        let c = Config::load(&flags, env(&[])).expect("loads");
        assert_eq!(c.listen.port(), 9000);
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
