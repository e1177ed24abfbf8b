//! One HTTP attempt: a pooled client (keep-alive, HTTP/1.1 and HTTP/2, rustls), no
//! redirects, connect and total timeouts, a capped response body, and the SSRF guard both
//! on IP literals and on every address a host name resolves to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::retry::{Outcome, parse_retry_after};
use super::ssrf::Guard;

/// What an attempt produced, for the attempt log.
#[derive(Clone, Debug)]
pub struct Sent {
    pub outcome: Outcome,
    /// The status code, or 0 when there was no response.
    pub status_code: u16,
    /// The response body (up to the cap, lossily decoded), or the error in words.
    pub response: String,
    pub duration: Duration,
    /// Why it failed, in words, when it did.
    pub failure_reason: Option<String>,
}

/// Resolves with the system resolver, then drops every address the guard refuses; the
/// client connects only to what remains.
struct GuardedResolver {
    guard: Arc<Guard>,
}

#[derive(Debug, thiserror::Error)]
#[error("refused by the SSRF guard: {0}")]
struct Refused(String);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match guard.check(a.ip()) {
                    Ok(()) => true,
                    Err(why) => {
                        refused = Some(why);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refused.unwrap_or_else(|| format!("{host} has no address"));
                return Err(Box::new(Refused(format!("{host}: {why}")))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// What deliveries say they come from.
const USER_AGENT: &str = concat!("Hookline/", env!("CARGO_PKG_VERSION"));

/// The headers the client adds to a request that has none of the name (reqwest's defaults:
/// its `user-agent`, as set below, and `accept`), for the attempt record.
pub(crate) const CLIENT_HEADERS: [(&str, &str); 2] =
    [("user-agent", USER_AGENT), ("accept", "*/*")];

/// A header as `send` sends it, or `None` when it is not a valid one (then it is left out).
pub(crate) fn header_pair(k: &str, v: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_bytes(k.as_bytes()).ok()?,
        HeaderValue::from_str(v).ok()?,
    ))
}

/// Sends deliveries.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    guard: Arc<Guard>,
    max_response_bytes: usize,
}

impl Sender {
    pub fn new(
        guard: Guard,
        connect_timeout: Duration,
        timeout: Duration,
        max_response_bytes: usize,
    ) -> anyhow::Result<Self> {
        let guard = Arc::new(guard);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(USER_AGENT)
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .build()?;
        Ok(Sender {
            client,
            guard,
            max_response_bytes,
        })
    }

    /// POSTs `body` to `url` with `headers`. Never fails: every failure is an outcome.
    pub async fn send(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
        now_ms: i64,
        timeout: Option<Duration>,
    ) -> Sent {
        let started = Instant::now();
        let failed = |outcome: Outcome, reason: String, started: Instant| Sent {
            outcome,
            status_code: 0,
            response: reason.clone(),
            duration: started.elapsed(),
            failure_reason: Some(reason),
        };
        let parsed = match super::target::DeliveryUrl::parse(url) {
            Ok(u) => u,
            Err(e) => return failed(Outcome::Refused, format!("invalid URL: {e}"), started),
        };
        // IP literals never reach the resolver: check them here.
        if let Some(Err(why)) = parsed.ip_literal().map(|ip| self.guard.check(ip)) {
            return failed(
                Outcome::Refused,
                format!("refused by the SSRF guard: {why}"),
                started,
            );
        }
        let parsed = parsed.into_url();
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            if let Some((k, v)) = header_pair(k, v) {
                map.append(k, v);
            }
        }
        let mut request = self.client.post(parsed).headers(map).body(body);
        if let Some(t) = timeout {
            request = request.timeout(t);
        }
        let resp = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let (outcome, reason) = describe(&e);
                return failed(outcome, reason, started);
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now_ms));
        // The status has arrived: a body cut short (or over the cap) does not change what
        // the endpoint said, so it is kept as far as it went.
        let (text, _cut_short) = read_capped(resp, self.max_response_bytes).await;
        let outcome = Outcome::Response {
            status,
            retry_after,
        };
        let failure_reason = match status {
            200..=299 => None,
            300..=399 => Some(format!("status {status}: redirects are not followed")),
            _ => Some(format!("status {status}")),
        };
        Sent {
            outcome,
            status_code: status,
            response: text,
            duration: started.elapsed(),
            failure_reason,
        }
    }
}

/// Reads up to `cap` bytes of the body; more is dropped, and the connection with it.
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> (String, Option<String>) {
    let mut buf = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if buf.len() >= cap {
                    return (stored_text(&buf), Some("response body truncated".into()));
                }
            }
            Ok(None) => return (stored_text(&buf), None),
            Err(e) => {
                return (stored_text(&buf), Some(e.to_string()));
            }
        }
    }
}

/// A transport error in words a person understands.
fn describe(e: &reqwest::Error) -> (Outcome, String) {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return (Outcome::Refused, r.to_string());
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return (Outcome::Transport, "connection refused".into());
                }
                std::io::ErrorKind::ConnectionReset => {
                    return (
                        Outcome::Transport,
                        "connection reset by the endpoint".into(),
                    );
                }
                _ => {}
            }
        }
        source = s.source();
    }
    let text = format!("{e:#}").to_lowercase();
    let reason = if e.is_timeout() {
        "timeout".to_owned()
    } else if text.contains("dns") || text.contains("lookup") || text.contains("resolve") {
        format!("DNS failure: {e}")
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        format!("TLS error: {e}")
    } else if e.is_connect() {
        format!("connection failed: {e}")
    } else {
        format!("request failed: {e}")
    };
    (Outcome::Transport, reason)
}

/// A response body as it is stored: invalid UTF-8 and NUL bytes (which PostgreSQL's text
/// cannot hold) become U+FFFD, so an odd body can never stop its attempt being recorded.
fn stored_text(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_bodies_hold_no_nul_and_only_utf8() {
        assert_eq!(super::stored_text(b"ok"), "ok");
        assert_eq!(super::stored_text(b"a\0b\xff"), "a\u{FFFD}b\u{FFFD}");
    }
}
