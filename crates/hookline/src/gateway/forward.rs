//! Which of a provider's request headers travel with a forwarded message.
//!
//! The destination should see the request as the provider sent it, so that the provider's
//! own library verifies it there: every header is kept except the hop-by-hop ones (RFC 9110
//! section 7.6.1), `host` and `content-length` (they describe this hop, and the sender
//! sets them again), and credentials meant for Hookline (`authorization`, `cookie`).

/// Headers never forwarded.
const DROPPED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-type",
    "expect",
    "authorization",
    "cookie",
];

/// The headers to forward, in order, from the request's `(name, value)` pairs. A header
/// named in `Connection` is hop-by-hop too. `content-type` travels separately.
pub fn provider_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let named: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    headers
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !DROPPED.contains(&k.as_str()) && !named.contains(&k)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_this_hop_headers_are_dropped() {
        let h = [
            ("Host", "hookline"),
            ("Content-Length", "3"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"),
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", "sha256=ab"),
            ("Authorization", "Bearer t"),
        ];
        let h: Vec<(String, String)> = h.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let kept = provider_headers(&h);
        assert_eq!(
            kept,
            vec![
                ("X-GitHub-Event".to_owned(), "push".to_owned()),
                ("X-Hub-Signature-256".to_owned(), "sha256=ab".to_owned()),
            ]
        );
    }
}
