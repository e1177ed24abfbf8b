//! Dashboard sessions and one-time app-portal codes.
//!
//! A session is a random token in an `HttpOnly`, `SameSite=Strict` cookie; only its hash
//! is kept, so a copy of the storage opens nothing. Each session has its own CSRF token,
//! which every form carries and which is compared in constant time. A session ends at its
//! expiry or at sign-out, whichever is first.
//!
//! App-portal links carry a one-time code in the URL's fragment (never sent to a server,
//! so never in an access log or a `Referer`); the portal page posts it once and gets a
//! session scoped to one application with the capabilities the link was issued with.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::api::caps::Caps;
use crate::store::{Millis, Result};

/// A signed-in browser.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: String,
    /// `None`: the admin dashboard; else the one application an app portal sees.
    pub app_id: Option<String>,
    pub caps: Caps,
    /// The token forms must echo (not a credential on its own: it is useless without the
    /// cookie, which a cross-site page can neither read nor send here).
    pub csrf: String,
    pub expires_at: Millis,
}

/// What a one-time app-portal code grants.
#[derive(Clone, Debug, PartialEq)]
pub struct PortalGrant {
    pub app_id: String,
    pub caps: Caps,
    /// The code is refused after this, and the session it opens ends by then.
    pub expires_at: Millis,
}

/// Where sessions and portal codes are kept, by the hash of their secret text.
#[async_trait]
pub trait Sessions: Send + Sync + 'static {
    async fn create_session(&self, hash: &str, session: &Session) -> Result<()>;
    /// The session, if it exists and has not expired at `now`.
    async fn session(&self, hash: &str, now: Millis) -> Result<Option<Session>>;
    async fn delete_session(&self, hash: &str) -> Result<()>;
    async fn create_portal_code(&self, hash: &str, grant: &PortalGrant) -> Result<()>;
    /// Takes the code: it works once, and not after its expiry.
    async fn take_portal_code(&self, hash: &str, now: Millis) -> Result<Option<PortalGrant>>;
    /// Forgets what expired before `now`.
    async fn purge_sessions(&self, now: Millis) -> Result<u64>;
}

/// Sessions in this process's memory: lost on restart (everyone signs in again) and not
/// shared between nodes. Bounded: past `MAX_ENTRIES` the oldest-expiring entries go first.
#[derive(Default)]
pub struct MemorySessions {
    // A std mutex: held for a map operation only, never across an await.
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    codes: HashMap<String, PortalGrant>,
}

const MAX_ENTRIES: usize = 100_000;

impl MemorySessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a map half-changed (each operation
        // is one insert or remove), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn evict_to_fit<V>(map: &mut HashMap<String, V>, expires: impl Fn(&V) -> Millis) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    if let Some(oldest) = map
        .iter()
        .min_by_key(|(_, v)| expires(v))
        .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
}

#[async_trait]
impl Sessions for MemorySessions {
    async fn create_session(&self, hash: &str, session: &Session) -> Result<()> {
        let mut inner = self.lock();
        evict_to_fit(&mut inner.sessions, |s| s.expires_at);
        inner.sessions.insert(hash.to_owned(), session.clone());
        Ok(())
    }

    async fn session(&self, hash: &str, now: Millis) -> Result<Option<Session>> {
        Ok(self
            .lock()
            .sessions
            .get(hash)
            .filter(|s| s.expires_at > now)
            .cloned())
    }

    async fn delete_session(&self, hash: &str) -> Result<()> {
        self.lock().sessions.remove(hash);
        Ok(())
    }

    async fn create_portal_code(&self, hash: &str, grant: &PortalGrant) -> Result<()> {
        let mut inner = self.lock();
        evict_to_fit(&mut inner.codes, |g| g.expires_at);
        inner.codes.insert(hash.to_owned(), grant.clone());
        Ok(())
    }

    async fn take_portal_code(&self, hash: &str, now: Millis) -> Result<Option<PortalGrant>> {
        Ok(self
            .lock()
            .codes
            .remove(hash)
            .filter(|g| g.expires_at > now))
    }

    async fn purge_sessions(&self, now: Millis) -> Result<u64> {
        let mut inner = self.lock();
        let before = inner.sessions.len() + inner.codes.len();
        inner.sessions.retain(|_, s| s.expires_at > now);
        inner.codes.retain(|_, g| g.expires_at > now);
        Ok((before - inner.sessions.len() - inner.codes.len()) as u64)
    }
}

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

    fn session(expires_at: Millis) -> Session {
        Session {
            id: "s".into(),
            app_id: None,
            caps: Caps::ALL,
            csrf: "c".into(),
            expires_at,
        }
    }

    #[tokio::test]
    async fn sessions_end_at_expiry_or_sign_out() {
        let s = MemorySessions::default();
        s.create_session("h", &session(100)).await.expect("create");
        assert!(s.session("h", 99).await.expect("read").is_some());
        assert!(s.session("h", 100).await.expect("read").is_none());
        s.delete_session("h").await.expect("delete");
        assert!(s.session("h", 0).await.expect("read").is_none());
        s.create_session("h2", &session(10)).await.expect("create");
        assert_eq!(s.purge_sessions(50).await.expect("purge"), 1);
    }

    #[tokio::test]
    async fn portal_codes_work_once_and_not_late() {
        let s = MemorySessions::default();
        let grant = PortalGrant {
            app_id: "app_1".into(),
            caps: Caps::VIEW,
            expires_at: 100,
        };
        s.create_portal_code("c", &grant).await.expect("create");
        assert_eq!(
            s.take_portal_code("c", 1).await.expect("take"),
            Some(grant.clone())
        );
        assert_eq!(s.take_portal_code("c", 1).await.expect("take"), None);
        s.create_portal_code("late", &grant).await.expect("create");
        assert_eq!(s.take_portal_code("late", 100).await.expect("take"), None);
    }

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
