//! A small read-through cache for the hot lookups of every request and every delivery
//! (tokens, applications, endpoints), so the common case does not go to the database.
//!
//! An entry serves for a fixed time at most, and not at all once the store's generation
//! has moved on (this process changed an application or endpoint; see
//! `EndpointStore::generation`). So a change made here is seen at once, and so is one made
//! by another node on the same PostgreSQL database, which announces it (`LISTEN/NOTIFY`);
//! should an announcement be lost, within the time to live.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries by key, each with when it was read and the generation it was read at.
pub struct Cache<V> {
    ttl: Duration,
    /// Most entries kept; past it the cache starts over (a bound, not an eviction policy:
    /// the working set of a busy server is far smaller).
    max: usize,
    entries: Mutex<HashMap<String, (Instant, u64, V)>>,
}

impl<V: Clone> Cache<V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Cache {
            ttl,
            max,
            entries: Mutex::default(),
        }
    }

    /// The entry for `key`, if it was read at `generation` less than the time to live ago.
    pub fn get(&self, key: &str, generation: u64, now: Instant) -> Option<V> {
        let entries = self.lock();
        let (at, g, v) = entries.get(key)?;
        (*g == generation && now.saturating_duration_since(*at) < self.ttl).then(|| v.clone())
    }

    pub fn put(&self, key: &str, generation: u64, now: Instant, value: V) {
        let mut entries = self.lock();
        if entries.len() >= self.max {
            entries.clear();
        }
        entries.insert(key.to_owned(), (now, generation, value));
    }

    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u64, V)>> {
        // Only whole entries are inserted or removed under this lock.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_with_time_and_with_the_generation() {
        let cache = Cache::new(Duration::from_secs(1), 10);
        let t0 = Instant::now();
        cache.put("a", 7, t0, 1);
        assert_eq!(cache.get("a", 7, t0 + Duration::from_millis(999)), Some(1));
        assert_eq!(cache.get("a", 7, t0 + Duration::from_secs(1)), None);
        assert_eq!(cache.get("a", 8, t0), None);
        cache.remove("a");
        assert_eq!(cache.get("a", 7, t0), None);
    }

    #[test]
    fn it_stays_within_its_bound() {
        let cache = Cache::new(Duration::from_secs(1), 3);
        let t0 = Instant::now();
        for (i, k) in ["a", "b", "c", "d"].into_iter().enumerate() {
            cache.put(k, 0, t0, i);
        }
        assert_eq!(cache.lock().len(), 1);
        assert_eq!(cache.get("d", 0, t0), Some(3));
    }
}
