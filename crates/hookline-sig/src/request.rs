//! The parts of a request that a scheme reads, and how a value is looked up in them.

use std::borrow::Cow;

use serde_json::Value;

use crate::error::VerifyError;
use crate::headers::Headers;
use crate::scheme::Source;
use crate::signature::Parsed;

/// A received request, as the verifier sees it.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The request headers.
    pub headers: &'a dyn Headers,
    /// The raw body, byte for byte as it came off the wire: never a re-serialization.
    pub body: &'a [u8],
    /// The full URL the sender posted to, for schemes that sign it (Twilio, Square).
    pub url: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request with headers and a body.
    pub fn new(headers: &'a dyn Headers, body: &'a [u8]) -> Self {
        Request {
            headers,
            body,
            url: None,
        }
    }

    /// The same request, with the URL the sender posted to.
    #[must_use]
    pub fn with_url(mut self, url: &'a str) -> Self {
        self.url = Some(url);
        self
    }
}

/// The body parsed as JSON on first need, at most once.
pub(crate) struct BodyJson<'a> {
    body: &'a [u8],
    parsed: Option<Result<Value, String>>,
}

impl<'a> BodyJson<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Self {
        BodyJson { body, parsed: None }
    }

    fn field(&mut self, pointer: &str) -> Result<Option<String>, VerifyError> {
        let body = self.body;
        let parsed = self
            .parsed
            .get_or_insert_with(|| serde_json::from_slice(body).map_err(|e| e.to_string()));
        let value = match parsed {
            Ok(v) => v,
            Err(e) => {
                return Err(VerifyError::Malformed {
                    what: "body".into(),
                    reason: format!("not JSON ({e})"),
                });
            }
        };
        match value.pointer(pointer) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(VerifyError::Malformed {
                what: format!("body field `{pointer}`"),
                reason: "expected a string or a number".into(),
            }),
        }
    }
}

/// Reads `source`; `Ok(None)` when it is absent.
pub(crate) fn read<'r>(
    source: &Source,
    req: &Request<'r>,
    json: &mut BodyJson<'_>,
    params: &Parsed<'r>,
) -> Result<Option<Cow<'r, str>>, VerifyError> {
    Ok(match source {
        Source::Header(name) => req.headers.get_key(name).map(Cow::Borrowed),
        Source::SignatureParam(key) => params.param(key).map(Cow::Borrowed),
        Source::BodyField(pointer) => json.field(pointer)?.map(Cow::Owned),
    })
}

/// Reads an informative `source` after the MAC has passed: a body that is not JSON, or a
/// field of the wrong type, reads as absent rather than failing an authentic request.
pub(crate) fn read_optional<'r>(
    source: &Source,
    req: &Request<'r>,
    json: &mut BodyJson<'_>,
    params: &Parsed<'r>,
) -> Option<Cow<'r, str>> {
    read(source, req, json, params).ok().flatten()
}

/// Reads `source`, which must be present.
pub(crate) fn require<'r>(
    source: &Source,
    signature_header: &str,
    req: &Request<'r>,
    json: &mut BodyJson<'_>,
    params: &Parsed<'r>,
) -> Result<Cow<'r, str>, VerifyError> {
    read(source, req, json, params)?.ok_or_else(|| missing(source, signature_header))
}

pub(crate) fn missing(source: &Source, signature_header: &str) -> VerifyError {
    match source {
        Source::Header(name) => VerifyError::MissingHeader(name.to_string()),
        Source::BodyField(pointer) => VerifyError::MissingBodyField(pointer.clone()),
        Source::SignatureParam(param) => VerifyError::MissingParam {
            header: signature_header.to_owned(),
            param: param.clone(),
        },
    }
}

/// How a source is named in messages.
pub(crate) fn describe(source: &Source) -> String {
    match source {
        Source::Header(name) => format!("header `{name}`"),
        Source::BodyField(pointer) => format!("body field `{pointer}`"),
        Source::SignatureParam(param) => format!("`{param}=` item"),
    }
}

/// The value of query parameter `name` in `url`.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The URL as given, then (when asked) with its port removed, or the scheme's default port
/// added: what Twilio's SDKs try, since a proxy often changes just that.
pub(crate) fn url_variants(url: &str, ports: bool) -> Vec<Cow<'_, str>> {
    let mut out = vec![Cow::Borrowed(url)];
    if !ports {
        return out;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    // An IPv6 literal holds colons of its own: the port, if any, follows the `]`.
    let port_colon = match hostport.rfind(']') {
        Some(b) => hostport[b..].find(':').map(|i| b + i),
        None => hostport.rfind(':'),
    };
    let rebuilt = |host: &str| match userinfo {
        Some(u) => format!("{scheme}://{u}@{host}{tail}"),
        None => format!("{scheme}://{host}{tail}"),
    };
    match port_colon {
        Some(i) => out.push(Cow::Owned(rebuilt(&hostport[..i]))),
        None => {
            let port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            out.push(Cow::Owned(rebuilt(&format!("{hostport}:{port}"))));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_variants_add_and_remove() {
        let v = url_variants("https://example.com/myapp?x=1", true);
        assert_eq!(v[1], "https://example.com:443/myapp?x=1");
        let v = url_variants("http://u:p@example.com:8080/a", true);
        assert_eq!(v[1], "http://u:p@example.com/a");
        let v = url_variants("https://[::1]:8443", true);
        assert_eq!(v[1], "https://[::1]");
        let v = url_variants("https://[::1]/x", true);
        assert_eq!(v[1], "https://[::1]:443/x");
        assert_eq!(url_variants("https://a/b", false).len(), 1);
        assert_eq!(url_variants("not a url", true).len(), 1);
    }

    #[test]
    fn query_param_decodes() {
        assert_eq!(
            query_param("https://a/b?x=1&bodySHA256=ab%20c#frag", "bodySHA256").as_deref(),
            Some("ab c")
        );
        assert_eq!(query_param("https://a/b", "x"), None);
    }
}
