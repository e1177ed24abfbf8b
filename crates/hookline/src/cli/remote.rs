//! The management API as seen from the command line: which server and token (flags, then
//! `HOOKLINE_SERVER`/`HOOKLINE_TOKEN`, then the file `hookline login` wrote), one HTTP client,
//! and the API's errors as a typed value the exit code is chosen from.

use std::fmt;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::config_file;

/// `--server` and `--token`, shared by every command that talks to a server.
#[derive(Clone, Debug, Args)]
pub(crate) struct ServerArgs {
    /// The Hookline server's base URL (default: the one `hookline login` stored).
    #[arg(long, env = "HOOKLINE_SERVER", value_name = "URL", global = true)]
    server: Option<String>,
    /// An API token (default: the one `hookline login` stored). Prefer the environment
    /// variable: a flag stays in shell history.
    #[arg(
        long,
        env = "HOOKLINE_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        global = true
    )]
    token: Option<String>,
}

impl ServerArgs {
    /// The client for the server and token given, or else stored by `hookline login`.
    pub(crate) fn client(&self) -> anyhow::Result<Client> {
        let (server, token) = self.resolve()?;
        Client::new(&server, &token)
    }

    /// The server's base URL and the token: given, or else stored by `hookline login`.
    pub(crate) fn resolve(&self) -> anyhow::Result<(String, String)> {
        let stored = config_file::load()?;
        let server = self
            .server
            .clone()
            .or_else(|| stored.as_ref().map(|c| c.server.clone()))
            .context("no server: give --server URL or HOOKLINE_SERVER, or run `hookline login`")?;
        let token = self
            .token
            .clone()
            .or_else(|| stored.map(|c| c.token))
            .context("no token: give --token or HOOKLINE_TOKEN, or run `hookline login`")?;
        Ok((server, token))
    }
}

/// A client of one server's `/api/v1`.
#[derive(Clone)]
pub(crate) struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    pub(crate) fn new(server: &str, token: &str) -> anyhow::Result<Client> {
        let base = server.trim_end_matches('/');
        let parsed = url::Url::parse(base).with_context(|| format!("server URL {base:?}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            anyhow::bail!("server URL {base:?}: expected http:// or https://");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("hookline-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Client {
            base: base.to_owned(),
            token: token.to_owned(),
            http,
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// `method /api/v1{path}` with an optional JSON body: the answer's JSON (`null` for an
    /// empty body, as a 204 has), or [`RemoteError`].
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, RemoteError> {
        let url = format!("{}/api/v1{path}", self.base);
        let what = format!("{method} {path}");
        let mut req = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| RemoteError::Unreachable {
            what: what.clone(),
            reason: error_chain(&e),
        })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| RemoteError::Unreachable {
            what: what.clone(),
            reason: error_chain(&e),
        })?;
        let json = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            Ok(json)
        } else {
            Err(RemoteError::Api {
                what,
                status,
                body: json,
            })
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Value, RemoteError> {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, RemoteError> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Result<Value, RemoteError> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<Value, RemoteError> {
        self.call(Method::DELETE, path, None).await
    }

    /// `GET path`, `None` on a 404.
    pub(crate) async fn find(&self, path: &str) -> Result<Option<Value>, RemoteError> {
        match self.get(path).await {
            Ok(v) => Ok(Some(v)),
            Err(RemoteError::Api { status, .. }) if status == StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every item of a list, following the cursor (`query` is the path's query without
    /// `iterator`); `progress` is told the count after each page.
    pub(crate) async fn list_all(
        &self,
        path: &str,
        query: &[(String, String)],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Value>, RemoteError> {
        let mut out = Vec::new();
        let mut iterator: Option<String> = None;
        loop {
            let mut q = query.to_vec();
            if !q.iter().any(|(k, _)| k == "limit") {
                q.push(("limit".into(), "250".into()));
            }
            if let Some(it) = &iterator {
                q.push(("iterator".into(), it.clone()));
            }
            let page = self.get(&with_query(path, &q)).await?;
            let (items, next) = page_parts(&page);
            out.extend(items);
            progress(out.len());
            match next {
                // A server that hands back the cursor it was given would loop forever.
                Some(n) if iterator.as_deref() != Some(n.as_str()) => iterator = Some(n),
                _ => return Ok(out),
            }
        }
    }
}

/// A page's items and the cursor of the next page (`None` when `done`).
pub(crate) fn page_parts(page: &Value) -> (Vec<Value>, Option<String>) {
    let items = page["data"].as_array().cloned().unwrap_or_default();
    let done = page["done"].as_bool().unwrap_or(true);
    let next = page["iterator"].as_str().map(str::to_owned);
    (items, if done { None } else { next })
}

/// `path?k=v&...`, the values escaped.
pub(crate) fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let mut enc = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        enc.append_pair(k, v);
    }
    format!("{path}?{}", enc.finish())
}

/// One path segment, escaped (ids and uids are safe already; names typed by hand may not be).
pub(crate) fn seg(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// What went wrong talking to a server.
#[derive(Debug)]
pub(crate) enum RemoteError {
    /// The server answered with an error status; `body` is its JSON (Svix's `{code,
    /// detail}`, or a 422's `{detail: [{loc, msg, type}]}`).
    Api {
        what: String,
        status: StatusCode,
        body: Value,
    },
    /// No answer: refused, reset, timed out, TLS failed.
    Unreachable { what: String, reason: String },
}

impl RemoteError {
    /// The exit code for this failure (see the policy in `cli/mod.rs`).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            RemoteError::Api { .. } => super::EXIT_API_ERROR,
            RemoteError::Unreachable { .. } => super::EXIT_UNREACHABLE,
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::Unreachable { what, reason } => {
                write!(f, "{what}: no answer from the server: {reason}")
            }
            RemoteError::Api { what, status, body } => {
                write!(f, "{what}: {status}")?;
                if let Some(code) = body["code"].as_str() {
                    write!(f, " {code}")?;
                }
                match &body["detail"] {
                    Value::String(d) => write!(f, ": {d}"),
                    Value::Array(items) => {
                        for item in items {
                            let loc = item["loc"]
                                .as_array()
                                .map(|l| {
                                    l.iter()
                                        .map(|p| match p {
                                            Value::String(s) => s.clone(),
                                            other => other.to_string(),
                                        })
                                        .collect::<Vec<_>>()
                                        .join(".")
                                })
                                .unwrap_or_default();
                            let msg = item["msg"].as_str().unwrap_or("invalid");
                            write!(f, "\n  {loc}: {msg}")?;
                        }
                        Ok(())
                    }
                    Value::Null => match body {
                        Value::String(text) => write!(f, ": {text}"),
                        _ => Ok(()),
                    },
                    other => write!(f, ": {other}"),
                }
            }
        }
    }
}

impl std::error::Error for RemoteError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_422_names_its_fields() {
        let e = RemoteError::Api {
            what: "POST /app".into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: serde_json::json!({"detail": [
                {"loc": ["body", "name"], "msg": "field required", "type": "value_error"},
                {"loc": ["body", "uid", 0], "msg": "bad", "type": "value_error"}
            ]}),
        };
        let text = e.to_string();
        assert!(
            text.starts_with("POST /app: 422 Unprocessable Entity"),
            "{text}"
        );
        assert!(text.contains("\n  body.name: field required"), "{text}");
        assert!(text.contains("\n  body.uid.0: bad"), "{text}");
        assert_eq!(e.exit_code(), crate::cli::EXIT_API_ERROR);
    }

    #[test]
    fn other_errors_show_code_and_detail() {
        let e = RemoteError::Api {
            what: "GET /app/x".into(),
            status: StatusCode::NOT_FOUND,
            body: serde_json::json!({"code": "not_found", "detail": "application not found"}),
        };
        assert_eq!(
            e.to_string(),
            "GET /app/x: 404 Not Found not_found: application not found"
        );
    }

    #[test]
    fn pages_stop_when_done() {
        let page = serde_json::json!({"data": [1, 2], "iterator": "it", "done": true});
        assert_eq!(page_parts(&page).1, None);
        let page = serde_json::json!({"data": [1], "iterator": "it", "done": false});
        assert_eq!(
            page_parts(&page),
            (vec![serde_json::json!(1)], Some("it".into()))
        );
    }

    #[test]
    fn queries_and_segments_are_escaped() {
        assert_eq!(
            with_query("/app", &[("a".into(), "x y&z".into())]),
            "/app?a=x+y%26z"
        );
        assert_eq!(seg("user.created"), "user.created");
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
    }
}
