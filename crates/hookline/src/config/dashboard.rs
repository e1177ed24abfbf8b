//! The dashboard's and app portal's keys: `[dashboard]` in `hookline.toml`, or
//! `HOOKLINE_DASHBOARD_*` in the environment.

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

/// Checked values.
#[derive(Clone, Debug, PartialEq)]
pub struct DashboardConfig {
    /// The CSP `frame-ancestors` sources allowed to embed the pages (the app portal in the
    /// operator's own product): `'none'` by default, e.g. `'self' https://app.example.com`.
    pub frame_ancestors: String,
    /// How long a sign-in lasts (an app-portal session ends by its link's expiry too).
    pub session_lifetime: Duration,
    /// Shown in the header instead of "Hookline".
    pub brand_name: Option<String>,
    /// An https image shown beside the name.
    pub brand_logo_url: Option<String>,
    /// `#rgb` or `#rrggbb`: links and buttons.
    pub brand_accent: Option<String>,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            frame_ancestors: "'none'".into(),
            session_lifetime: Duration::from_secs(12 * 3600),
            brand_name: None,
            brand_logo_url: None,
            brand_accent: None,
        }
    }
}

/// `[dashboard]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DashboardFile {
    frame_ancestors: Option<String>,
    session_secs: Option<u64>,
    brand_name: Option<String>,
    brand_logo_url: Option<String>,
    brand_accent: Option<String>,
}

impl DashboardConfig {
    pub(super) fn apply_file(
        &mut self,
        f: DashboardFile,
        key: &dyn Fn(&str) -> String,
    ) -> anyhow::Result<()> {
        if let Some(v) = f.frame_ancestors {
            self.frame_ancestors = frame_ancestors(&key("dashboard.frame_ancestors"), &v)?;
        }
        if let Some(v) = f.session_secs {
            self.session_lifetime = lifetime(&key("dashboard.session_secs"), v)?;
        }
        if let Some(v) = f.brand_name {
            self.brand_name = Some(v);
        }
        if let Some(v) = f.brand_logo_url {
            self.brand_logo_url = Some(logo(&key("dashboard.brand_logo_url"), &v)?);
        }
        if let Some(v) = f.brand_accent {
            self.brand_accent = Some(accent(&key("dashboard.brand_accent"), &v)?);
        }
        Ok(())
    }

    pub(super) fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("HOOKLINE_DASHBOARD_FRAME_ANCESTORS") {
            self.frame_ancestors = frame_ancestors("HOOKLINE_DASHBOARD_FRAME_ANCESTORS", &v)?;
        }
        if let Some(v) = env("HOOKLINE_DASHBOARD_SESSION_SECS") {
            let secs = v.parse().map_err(|_| {
                anyhow::anyhow!("HOOKLINE_DASHBOARD_SESSION_SECS: expected seconds, got {v:?}")
            })?;
            self.session_lifetime = lifetime("HOOKLINE_DASHBOARD_SESSION_SECS", secs)?;
        }
        if let Some(v) = env("HOOKLINE_DASHBOARD_BRAND_NAME") {
            self.brand_name = Some(v);
        }
        if let Some(v) = env("HOOKLINE_DASHBOARD_BRAND_LOGO_URL") {
            self.brand_logo_url = Some(logo("HOOKLINE_DASHBOARD_BRAND_LOGO_URL", &v)?);
        }
        if let Some(v) = env("HOOKLINE_DASHBOARD_BRAND_ACCENT") {
            self.brand_accent = Some(accent("HOOKLINE_DASHBOARD_BRAND_ACCENT", &v)?);
        }
        Ok(())
    }
}

/// CSP source expressions separated by spaces: nothing that could end the directive.
fn frame_ancestors(key: &str, v: &str) -> anyhow::Result<String> {
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty()
        || v.chars()
            .any(|c| matches!(c, ';' | ',' | '"') || c.is_control())
    {
        bail!(
            "{key}: expected CSP sources separated by spaces (e.g. 'self' https://app.example.com), got {v:?}"
        );
    }
    Ok(v)
}

fn lifetime(key: &str, secs: u64) -> anyhow::Result<Duration> {
    if !(60..=30 * 24 * 3600).contains(&secs) {
        bail!("{key}: expected from 60 seconds to 30 days, got {secs}");
    }
    Ok(Duration::from_secs(secs))
}

fn logo(key: &str, v: &str) -> anyhow::Result<String> {
    match url::Url::parse(v) {
        Ok(u) if u.scheme() == "https" => Ok(u.to_string()),
        _ => bail!("{key}: expected an https:// URL, got {v:?}"),
    }
}

fn accent(key: &str, v: &str) -> anyhow::Result<String> {
    let hex = v.strip_prefix('#').unwrap_or("");
    if !matches!(hex.len(), 3 | 6) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("{key}: expected a colour as #rgb or #rrggbb, got {v:?}");
    }
    Ok(v.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_key() {
        let env = |k: &str| (k == "HOOKLINE_DASHBOARD_BRAND_ACCENT").then(|| "red".to_owned());
        let e = DashboardConfig::default()
            .apply_env(&env)
            .expect_err("refused");
        assert!(
            e.to_string().starts_with("HOOKLINE_DASHBOARD_BRAND_ACCENT"),
            "{e}"
        );
        assert!(frame_ancestors("k", "'self'; script-src *").is_err());
        assert_eq!(
            frame_ancestors("k", " 'self'  https://a.example ").expect("ok"),
            "'self' https://a.example"
        );
        assert!(logo("k", "http://a.example/x.png").is_err());
        assert_eq!(accent("k", "#A0B").expect("ok"), "#a0b");
        assert!(lifetime("k", 10).is_err());
    }
}
