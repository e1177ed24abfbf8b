//! Listener endpoints: an endpoint whose deliveries a connected `hookline listen` takes over
//! a streaming request (`api/listen.rs`) instead of a worker sending them over HTTP. They are
//! ordinary endpoints otherwise (filters, secrets, retries, the attempt log), marked by their
//! URL's host, under `.invalid` (RFC 6761: it never resolves, so nothing can be sent there
//! by mistake). Deliveries waiting while no listener is connected stay pending and go out
//! in order when one connects.
//!
//! Workers leave these endpoints out of their claims: the list is read from the store every
//! [`REFRESH`] and passed with the busy endpoints; one claimed in the moment before a new
//! listener endpoint is on the list is given back at once, untouched (`deliver`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::Store;

/// The host that marks a listener endpoint: `https://listener.hookline.invalid/<name>`.
pub const LISTENER_HOST: &str = "listener.hookline.invalid";

/// How often workers re-read which endpoints are listeners.
const REFRESH: Duration = Duration::from_secs(2);

/// The URL of the listener endpoint named `name`.
pub fn listener_url(name: &str) -> String {
    format!("https://{LISTENER_HOST}/{name}")
}

/// The prefix every listener endpoint's URL starts with (stored URLs are normalized).
pub fn listener_prefix() -> String {
    format!("https://{LISTENER_HOST}/")
}

/// Whether `url` is a listener endpoint's.
pub fn is_listener_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| u.host_str() == Some(LISTENER_HOST))
}

/// The listener endpoints' ids as last read.
#[derive(Default)]
pub(super) struct Listeners {
    /// When the list was read, at which store generation, and the ids.
    read: Mutex<Option<(Instant, u64, Vec<String>)>>,
}

impl Listeners {
    /// The ids, re-read when an endpoint changed (the store's generation moved on: at once
    /// for a listener endpoint created through any node) or the last read is older than
    /// [`REFRESH`]. A failed read keeps the last list (a listener endpoint claimed meanwhile
    /// is given back by `deliver`).
    pub(super) async fn ids(&self, store: &dyn Store) -> Vec<String> {
        let now = Instant::now();
        let generation = store.generation();
        if let Some((at, g, ids)) = &*self.lock()
            && *g == generation
            && now.duration_since(*at) < REFRESH
        {
            return ids.clone();
        }
        match store.listener_endpoints(&listener_prefix()).await {
            Ok(ids) => {
                *self.lock() = Some((now, generation, ids.clone()));
                ids
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the listener endpoints");
                self.lock()
                    .as_ref()
                    .map(|(_, _, ids)| ids.clone())
                    .unwrap_or_default()
            }
        }
    }

    /// Drops the list, so the next claim reads it again (a worker met a listener endpoint
    /// the list did not have).
    pub(super) fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, u64, Vec<String>)>> {
        // Poisoned only if a holder panicked; the list is still a valid list.
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listener_host_marks_a_listener() {
        assert!(is_listener_url(&listener_url("laptop")));
        assert!(is_listener_url("https://LISTENER.hookline.invalid/x"));
        for other in [
            "https://example.com/listener.hookline.invalid/",
            "https://listener.hookline.invalid.example.com/",
            "https://x.listener.hookline.invalid/",
            "not a url",
        ] {
            assert!(!is_listener_url(other), "{other}");
        }
        assert!(listener_url("a").starts_with(&listener_prefix()));
    }
}
