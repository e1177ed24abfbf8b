//! The file `hookline login` writes: the server and token the client commands fall back to.
//! It holds a token, so its directory is 0700 and the file 0600 (`hookline::data_dir`).
//!
//! Where: `$XDG_CONFIG_HOME/hookline/config.toml`, else `$HOME/.config/hookline/config.toml`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// What is stored.
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct Stored {
    pub(crate) server: String,
    pub(crate) token: String,
}

/// The file's path, from the environment.
pub(crate) fn path() -> anyhow::Result<PathBuf> {
    path_from(|k| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

fn path_from(var: impl Fn(&str) -> Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = match (var("XDG_CONFIG_HOME"), var("HOME")) {
        (Some(xdg), _) if xdg.is_absolute() => xdg,
        (_, Some(home)) => home.join(".config"),
        _ => bail!("neither XDG_CONFIG_HOME nor HOME is set: give --server and --token"),
    };
    Ok(dir.join("hookline").join("config.toml"))
}

/// The stored server and token, `None` when nothing was stored. A file that exists but cannot
/// be read or parsed is an error: silently ignoring it would send requests to the wrong place.
pub(crate) fn load() -> anyhow::Result<Option<Stored>> {
    let Ok(path) = path() else { return Ok(None) };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let stored = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    Ok(Some(stored))
}

/// Writes `stored`, the directory 0700 and the file 0600 (tightened if they were open).
pub(crate) fn save(stored: &Stored) -> anyhow::Result<PathBuf> {
    let path = path()?;
    let dir = path.parent().context("config path has a parent")?;
    hookline::data_dir::prepare(dir).with_context(|| format!("creating {}", dir.display()))?;
    hookline::data_dir::prepare_file(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let text = toml::to_string(stored).context("writing TOML")?;
    let text =
        format!("# Written by `hookline login`. Holds an API token: keep it private.\n{text}");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_first_then_home() {
        let env = |xdg: Option<&str>, home: Option<&str>| {
            let (xdg, home) = (xdg.map(PathBuf::from), home.map(PathBuf::from));
            path_from(move |k| match k {
                "XDG_CONFIG_HOME" => xdg.clone(),
                "HOME" => home.clone(),
                _ => None,
            })
        };
        assert_eq!(
            env(Some("/x"), Some("/h")).expect("path"),
            PathBuf::from("/x/hookline/config.toml")
        );
        // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        assert_eq!(
            env(Some("rel"), Some("/h")).expect("path"),
            PathBuf::from("/h/.config/hookline/config.toml")
        );
        assert!(env(None, None).is_err());
    }
}
