//! Where `hookline listen` forwards each event: `--forward EVENT_PATTERN=URL` routes in
//! order (the first match wins; `invoice.*` matches by prefix, `*` everything), then
//! `--forward-to`. Pure, so it is tested without a server.

use anyhow::{Context as _, bail};

/// Where events go: routes in order, then the default.
#[derive(Debug)]
pub(crate) struct Routes {
    routes: Vec<(String, String)>,
    default: Option<String>,
}

impl Routes {
    pub(crate) fn parse(forward: &[String], default: Option<String>) -> anyhow::Result<Routes> {
        let mut routes = Vec::new();
        for f in forward {
            let Some((pattern, url)) = f.split_once('=') else {
                bail!("--forward {f}: expected EVENT_PATTERN=URL");
            };
            check_url(url).with_context(|| format!("--forward {f}"))?;
            routes.push((pattern.trim().to_owned(), url.trim().to_owned()));
        }
        if let Some(d) = &default {
            check_url(d).context("--forward-to")?;
        }
        if routes.is_empty() && default.is_none() {
            bail!("say where to forward: --forward-to URL and/or --forward EVENT_PATTERN=URL");
        }
        Ok(Routes { routes, default })
    }

    /// The URL for an event type.
    pub(crate) fn target(&self, event_type: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|(p, _)| matches(p, event_type))
            .map(|(_, u)| u.as_str())
            .or(self.default.as_deref())
    }
}

/// `*` matches everything, `invoice.*` every type starting `invoice.`, anything else itself.
fn matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

fn check_url(url: &str) -> anyhow::Result<()> {
    let u = url::Url::parse(url.trim()).context("not a URL")?;
    if !matches!(u.scheme(), "http" | "https") {
        bail!("not an http(s) URL");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_take_the_first_match_then_the_default() {
        let r = Routes::parse(
            &[
                "invoice.*=http://localhost:3001/i".into(),
                "user.created=http://localhost:3002/u".into(),
            ],
            Some("http://localhost:3000/all".into()),
        )
        .expect("routes");
        assert_eq!(r.target("invoice.paid"), Some("http://localhost:3001/i"));
        assert_eq!(r.target("user.created"), Some("http://localhost:3002/u"));
        assert_eq!(r.target("user.deleted"), Some("http://localhost:3000/all"));
        let only = Routes::parse(&["*=http://x.test/".into()], None).expect("routes");
        assert_eq!(only.target("anything"), Some("http://x.test/"));
        let none = Routes::parse(&["a.*=http://x.test/".into()], None).expect("routes");
        assert_eq!(none.target("b"), None);
    }

    #[test]
    fn bad_routes_are_refused() {
        assert!(Routes::parse(&[], None).is_err());
        assert!(Routes::parse(&["no-equals".into()], None).is_err());
        assert!(Routes::parse(&["a=ftp://x/".into()], None).is_err());
        assert!(Routes::parse(&[], Some("not a url".into())).is_err());
    }
}
