//! Delivery URLs: the one parser both the API (when an endpoint is created or changed) and
//! the sender (before every attempt) use, so a URL accepted at creation never turns out
//! unparseable at delivery. It is the WHATWG parser of the `url` crate, the one reqwest
//! itself uses, so what it accepts is exactly what the client can send to: international
//! host names are mapped to their ASCII form (`ⅻ27.0.0.1` becomes `xii27.0.0.1`, which ends
//! in a number and so must be an IPv4 address, and is not: refused), and IPv4 literals in
//! any of the forms browsers accept (`0x7f.1`, `2130706433`) come out as the address they
//! mean, which the SSRF guard then judges.

use std::net::IpAddr;

use url::{Host, Url};

/// The longest URL an endpoint may have (Svix's limit).
pub const MAX_URL_LEN: usize = 65_536;

/// A URL deliveries can be sent to: `http` or `https`, with a host, no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryUrl(Url);

impl DeliveryUrl {
    /// Parses `s`, or says in words why it is not a delivery URL (a whole phrase, shown as
    /// it is in API errors).
    pub fn parse(s: &str) -> Result<DeliveryUrl, String> {
        if s.len() > MAX_URL_LEN {
            return Err(format!("the URL is longer than {MAX_URL_LEN} bytes"));
        }
        // The WHATWG parser strips leading and trailing spaces and drops tabs and newlines
        // inside; a stored URL should be what is sent, so such input is refused instead.
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the URL must not contain whitespace or control characters".into());
        }
        // The parser also takes `http:host` and `http:///host`; the text must say plainly
        // where it goes, so the authority follows `://` at once.
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        let rest = match (
            lower.strip_prefix("https://"),
            lower.strip_prefix("http://"),
        ) {
            (Some(_), _) => &s[8..],
            (None, Some(_)) => &s[7..],
            (None, None) => return Err("expected an absolute http:// or https:// URL".into()),
        };
        if rest.starts_with(['/', '\\']) {
            return Err("the URL has no host".into());
        }
        let url = Url::parse(s).map_err(|e| format!("not a valid URL: {e}"))?;
        match url.host() {
            None => return Err("the URL has no host".into()),
            Some(Host::Domain("")) => return Err("the URL has an empty host".into()),
            Some(_) => {}
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Credentials in a URL end up in logs and in the attempt's request line; headers
            // (`/headers`) are the place for them.
            return Err(
                "the URL must not carry a user name or password; use endpoint headers".into(),
            );
        }
        Ok(DeliveryUrl(url))
    }

    /// The host when it is an IP literal, which never reaches the resolver and so is
    /// checked against the SSRF guard directly.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        match self.0.host()? {
            Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            Host::Domain(_) => None,
        }
    }

    pub fn into_url(self) -> Url {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_the_client_can_send_to() {
        for (input, literal) in [
            ("https://example.com/hook", None),
            ("http://example.com:8080/a?b=c#d", None),
            ("https://bücher.example/x", None),
            ("http://127.0.0.1:9/x", Some("127.0.0.1")),
            ("http://0x7f.1/", Some("127.0.0.1")),
            ("http://2130706433/", Some("127.0.0.1")),
            ("http://[::ffff:0:7f00:1]/", Some("::ffff:0:7f00:1")),
        ] {
            let url = DeliveryUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                url.ip_literal(),
                literal.map(|l| l.parse().expect("ip")),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_what_the_client_cannot_send_to() {
        for bad in [
            "http://ⅻ27.0.0.1",
            "http://1.2.3.4.5/",
            "http://999.1.1.1/",
            "ftp://example.com/",
            "https://",
            "http:///x",
            "example.com",
            "https://a b",
            " https://example.com",
            "https://example.com/\n",
            "https://user:pw@example.com/",
            "https://[::1/",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            assert!(
                DeliveryUrl::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(DeliveryUrl::parse(&long).is_err());
    }
}
