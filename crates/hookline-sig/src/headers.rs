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
}
