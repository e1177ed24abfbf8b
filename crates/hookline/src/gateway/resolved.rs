//! Sources resolved for receiving, cached on each node.
//!
//! Every request to `/in/{source}` needs its source's row, its keys unsealed, its scheme
//! resolved and an HMAC key (or public key) set up for each secret. Done per request, that
//! costs a database read and several allocations before the first byte is verified, and
//! it is the same work for every request of a source. So the result is kept, keyed by the
//! name in the path, and dropped when:
//! - the store's generation moves on (a source, app or endpoint changed on this node, or
//!   on another node that announced it: see `cache`);
//! - a rotated-out key's grace period ends (the verifier is built anew without it);
//! - a second has passed (the bound on an announcement lost between nodes).
//!
//! Unknown names are cached too, so a flood to a source that does not exist is answered
//! without a read per request; the cache's size bound keeps attacker-chosen names from
//! growing it without limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hookline_sig::{Scheme, Verifier};

use super::model::Source;
use super::scheme;
use crate::cache::Cache;
use crate::store::{Millis, Store};

/// A source, ready to verify.
pub struct Resolved {
    pub source: Source,
    /// What verifies its requests now.
    pub check: Check,
    /// When the set of active keys changes next (the first grace period to end).
    until: Option<Millis>,
}

/// How a source's requests are verified.
pub enum Check {
    /// Boxed: a verifier holds its scheme and prepared keys, far larger than the other cases.
    Ready(Box<Verifier>),
    /// Every key has expired: nothing can be authentic.
    NoKey,
    /// The stored scheme or a key is unusable (a bug or a downgrade, not the sender's
    /// fault): answered 500, with the reason logged.
    Broken(String),
}

impl Resolved {
    /// Resolves `source` at `now`.
    pub fn new(source: Source, now: Millis) -> Self {
        let until = source
            .secrets
            .iter()
            .filter_map(|s| s.expires_at)
            .filter(|&t| t > now)
            .min();
        let check = match scheme::scheme_of(&source) {
            Err(e) => Check::Broken(format!("source {}: {e}", source.id)),
            Ok(s) => check_for(&s, &source, now),
        };
        Resolved {
            source,
            check,
            until,
        }
    }

    /// Whether this resolution still holds at `now`.
    fn holds_at(&self, now: Millis) -> bool {
        self.until.is_none_or(|t| now < t)
    }
}

fn check_for(scheme: &Scheme, source: &Source, now: Millis) -> Check {
    match scheme::verifier(scheme, source, now) {
        Ok(Some(v)) => Check::Ready(Box::new(v)),
        Ok(None) => Check::NoKey,
        Err(e) => Check::Broken(format!("source {}: stored key unusable: {e}", source.id)),
    }
}

/// The resolved sources of one node, by the name used in the path (id or uid).
pub struct Sources {
    cache: Cache<Option<Arc<Resolved>>>,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            cache: Cache::new(Duration::from_secs(1), 10_000),
        }
    }
}

impl Sources {
    /// The source named `id_or_uid`, resolved at `now` (`None`: no such source).
    pub async fn get(
        &self,
        store: &dyn Store,
        id_or_uid: &str,
        now: Millis,
    ) -> crate::store::Result<Option<Arc<Resolved>>> {
        let generation = store.generation();
        let at = Instant::now();
        if let Some(found) = self.cache.get(id_or_uid, generation, at)
            && found.as_ref().is_none_or(|r| r.holds_at(now))
        {
            return Ok(found);
        }
        let found = store
            .source(id_or_uid)
            .await?
            .map(|s| Arc::new(Resolved::new(s, now)));
        self.cache.put(id_or_uid, generation, at, found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::model::SourceSecret;

    fn source(secrets: Vec<SourceSecret>) -> Source {
        Source {
            id: "src_1".into(),
            uid: None,
            name: "github".into(),
            scheme: "github".into(),
            scheme_definition: None,
            secrets,
            handshake: None,
            verify_token: None,
            tolerance_secs: None,
            dedupe_window_secs: 60,
            app_id: "app_1".into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn key(k: &str, expires_at: Option<Millis>) -> SourceSecret {
        SourceSecret {
            key: k.into(),
            expires_at,
        }
    }

    #[test]
    fn a_resolution_ends_with_the_first_grace_period() {
        let r = Resolved::new(
            source(vec![
                key("new", None),
                key("old", Some(5_000)),
                key("older", Some(9_000)),
            ]),
            1_000,
        );
        assert!(matches!(r.check, Check::Ready(_)));
        assert!(r.holds_at(4_999));
        assert!(!r.holds_at(5_000));
        // Resolved again after it, without the expired key, it holds until the next one.
        let again = Resolved::new(r.source.clone(), 5_000);
        assert!(again.holds_at(8_999) && !again.holds_at(9_000));
        assert!(Resolved::new(r.source, 9_000).holds_at(i64::MAX));
    }

    #[test]
    fn a_source_whose_keys_all_expired_verifies_nothing() {
        let r = Resolved::new(source(vec![key("old", Some(5_000))]), 6_000);
        assert!(matches!(r.check, Check::NoKey));
    }

    #[test]
    fn an_unusable_scheme_is_broken_not_open() {
        let mut s = source(vec![key("k", None)]);
        s.scheme = "no-such-scheme".into();
        let r = Resolved::new(s, 0);
        assert!(matches!(r.check, Check::Broken(ref why) if why.contains("no-such-scheme")));
    }
}
