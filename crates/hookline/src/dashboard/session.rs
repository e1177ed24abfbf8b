//! Dashboard sessions and one-time app-portal codes (kept by the store, `SessionStore`,
//! so they survive a restart and work on every node), cookies and CSRF comparison.
//!
//! A session is a random token in an `HttpOnly`, `SameSite=Strict` cookie; only its hash
//! is kept, so a copy of the storage opens nothing. Each session has its own CSRF token,
//! which every form carries and which is compared in constant time. A session ends at its
//! expiry or at sign-out, whichever is first.
//!
//! App-portal links carry a one-time code in the URL's fragment (never sent to a server,
//! so never in an access log or a `Referer`); the portal page posts it once and gets a
//! session scoped to one application with the capabilities the link was issued with.

pub use crate::store::{DashboardSession as Session, PortalGrant};

/// Whether `given` is `expected`, in time that does not depend on where they differ.
pub fn same_secret(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: never readable by scripts, never sent from another site, only over
/// TLS when the server is reached over TLS. `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "cookie",
            "a=1; hl_session=xyz; hl_session_x=2".parse().expect("v"),
        );
        assert_eq!(cookie(&h, "hl_session"), Some("xyz"));
        assert_eq!(cookie(&h, "hl"), None);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
        assert!(set_cookie("n", "v", 5, true).ends_with("; Secure"));
    }
}
