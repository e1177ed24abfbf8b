//! Case-insensitive access to a request's headers, whatever map the caller holds them in.

/// Read access to request headers. Names are compared without regard to ASCII case.
///
/// Implemented for slices and vectors of `(name, value)` pairs and, with the `http` feature,
/// for `http::HeaderMap`. When a header appears more than once, the first value is used: the
/// same value then feeds both the MAC and any freshness check, so a repeated header cannot
/// make the two disagree.
pub trait Headers {
    /// The first value of the header `name`, if present and valid UTF-8.
    fn get(&self, name: &str) -> Option<&str>;

    /// The same lookup by a name prepared once per scheme. Maps that can use the
    /// preparation (an `http::HeaderMap` skips parsing and lower-casing the name) override it.
    fn get_key(&self, key: &HeaderKey) -> Option<&str> {
        self.get(key.as_str())
    }
}

/// A header name as a scheme declares it, prepared for fast lookups.
///
/// Compares, hashes and prints as the name as written (case preserved, for signing).
#[derive(Clone)]
pub struct HeaderKey {
    name: String,
    #[cfg(feature = "http")]
    http: Option<http::HeaderName>,
}

impl HeaderKey {
    /// Prepares `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        HeaderKey {
            #[cfg(feature = "http")]
            http: http::HeaderName::from_bytes(name.as_bytes()).ok(),
            name,
        }
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

impl std::ops::Deref for HeaderKey {
    type Target = str;
    fn deref(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Debug for HeaderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.name, f)
    }
}

impl std::fmt::Display for HeaderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for HeaderKey {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for HeaderKey {}

impl std::hash::Hash for HeaderKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn get(&self, name: &str) -> Option<&str> {
        Headers::get(self.as_slice(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for &[(K, V)] {
    fn get(&self, name: &str) -> Option<&str> {
        Headers::get(*self, name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn get(&self, name: &str) -> Option<&str> {
        Headers::get(self.as_slice(), name)
    }
}

#[cfg(feature = "http")]
impl Headers for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        http::HeaderMap::get(self, name).and_then(|v| v.to_str().ok())
    }

    fn get_key(&self, key: &HeaderKey) -> Option<&str> {
        match &key.http {
            Some(name) => http::HeaderMap::get(self, name).and_then(|v| v.to_str().ok()),
            None => None,
        }
    }
}

/// A view of `base` with one header replaced: the diagnosis uses it to try a corrected value.
pub(crate) struct Overlay<'a> {
    pub(crate) base: &'a dyn Headers,
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

impl Headers for Overlay<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case(self.name) {
            Some(self.value)
        } else {
            self.base.get(name)
        }
    }

    fn get_key(&self, key: &HeaderKey) -> Option<&str> {
        if key.eq_ignore_ascii_case(self.name) {
            Some(self.value)
        } else {
            self.base.get_key(key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_takes_the_first() {
        let h = [("Webhook-Id", "a"), ("webhook-id", "b")];
        assert_eq!(h.get("WEBHOOK-ID"), Some("a"));
        assert_eq!(h.get("missing"), None);
    }

    #[test]
    fn header_map_lookups_by_prepared_key_ignore_case() {
        let mut map = http::HeaderMap::new();
        map.insert(
            "x-hub-signature-256",
            http::HeaderValue::from_static("sha256=ab"),
        );
        let key = HeaderKey::new("X-Hub-Signature-256");
        assert_eq!(map.get_key(&key), Some("sha256=ab"));
        assert_eq!(Headers::get(&map, "X-HUB-SIGNATURE-256"), Some("sha256=ab"));
        assert_eq!(map.get_key(&HeaderKey::new("X-Other")), None);
        // A name http cannot parse is simply absent, never a panic.
        assert_eq!(map.get_key(&HeaderKey::new("bad name")), None);
        assert_eq!(key.to_string(), "X-Hub-Signature-256");
    }
}
