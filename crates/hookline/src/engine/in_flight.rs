//! What one worker holds: every claim queued here or being attempted, per endpoint, with
//! the endpoints' breakers and local throttles, and which endpoints are being drained
//! (refilled from their own rows). Pure bookkeeping under the engine's mutex: no I/O.

use std::collections::{HashMap, HashSet, VecDeque};

use super::breaker;
use crate::store::Claim;

/// What this worker holds: every claim (queued here or being attempted), per endpoint.
#[derive(Default)]
pub(super) struct InFlight {
    /// Every claim held, with its lease (to give it back under that lease).
    claims: HashMap<(String, String), i64>,
    /// Attempts running, per endpoint.
    running: HashMap<String, usize>,
    /// Claims waiting here for a slot, per endpoint, oldest first.
    queued: HashMap<String, VecDeque<Claim>>,
    pub(super) breakers: HashMap<String, breaker::Breaker>,
    pub(super) throttles: HashMap<String, breaker::Throttle>,
    /// Endpoints whose last claim got all it asked for: more of their rows are likely
    /// due, and they are refilled from their own rows (`refills`) as their holding drains.
    saturated: HashSet<String>,
}

impl InFlight {
    /// Claims held (queued and running).
    pub(super) fn held(&self) -> usize {
        self.claims.len()
    }

    pub(super) fn held_for(&self, endpoint: &str) -> usize {
        self.running.get(endpoint).copied().unwrap_or(0)
            + self.queued.get(endpoint).map_or(0, VecDeque::len)
    }

    /// Takes a fresh claim in; false if it is already held here (its lease ran out while
    /// it waited, and it came back: it must not run twice).
    pub(super) fn hold(&mut self, claim: Claim) -> bool {
        let key = (claim.msg_id.clone(), claim.endpoint_id.clone());
        if self.claims.contains_key(&key) {
            return false;
        }
        self.claims.insert(key, claim.lease_until);
        self.queued
            .entry(claim.endpoint_id.clone())
            .or_default()
            .push_back(claim);
        true
    }

    /// Notes from a claim's result which endpoints likely have more due: those that got
    /// all they could (`per_endpoint`); when the claim was cut short by its `limit`, every
    /// endpoint in it; and those it left out for being at their cap (not those behind an
    /// open breaker), whose rows a look from a later time would never reach: refills take
    /// them, oldest first.
    pub(super) fn note_claimed(
        &mut self,
        claims: &[Claim],
        per_endpoint: usize,
        limit: usize,
        left_out: &[String],
        now: std::time::Instant,
    ) {
        for ep in left_out {
            if !self.breakers.get(ep).is_some_and(|b| b.blocked(now)) {
                self.saturated.insert(ep.clone());
            }
        }
        let mut got: HashMap<&str, usize> = HashMap::new();
        for c in claims {
            *got.entry(c.endpoint_id.as_str()).or_default() += 1;
        }
        let cut_short = claims.len() >= limit;
        for (ep, n) in got {
            if cut_short || n >= per_endpoint {
                self.saturated.insert(ep.to_owned());
            }
        }
    }

    /// Endpoints to refill from their own rows, and how many each: those likely to have
    /// more due whose holding here fell to the cap or below, up to twice the cap (so the
    /// next attempts are at hand as slots free). Only once `room` (what may be held
    /// beyond what is) reaches `min_room`, so refills come in batches, not one per
    /// finished attempt; the room is shared evenly, the endpoints holding least first. An
    /// endpoint whose refill comes back short has no more due and is no longer refilled.
    pub(super) fn refills(
        &mut self,
        cap: usize,
        room: usize,
        min_room: usize,
        now: std::time::Instant,
    ) -> Vec<(String, usize)> {
        if room < min_room.max(1) {
            return Vec::new();
        }
        let breakers = &self.breakers;
        self.saturated
            .retain(|ep| !breakers.get(ep).is_some_and(|b| b.blocked(now)));
        let mut needy: Vec<(String, usize)> = self
            .saturated
            .iter()
            .filter_map(|ep| {
                let held = self.held_for(ep);
                (held <= cap).then(|| (ep.clone(), 2 * cap - held))
            })
            .collect();
        // Least held first (most wanted), so that when room is short the same endpoints
        // do not always come first.
        needy.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if needy.is_empty() {
            return needy;
        }
        let share = (room / needy.len()).max(1);
        let mut left = room;
        let mut out = Vec::with_capacity(needy.len());
        for (ep, want) in needy {
            let n = want.min(share).min(left);
            if n == 0 {
                break;
            }
            left -= n;
            out.push((ep, n));
        }
        out
    }

    /// After a refill: an endpoint that got fewer than asked has no more due now. (On a
    /// shared store it may: rows another node is claiming at that instant are skipped.
    /// Those wait for the next look at the whole queue, within the poll interval. Keeping
    /// such endpoints refilled instead costs a claim per finished attempt whenever new
    /// work trickles in, which measured slower end to end.)
    pub(super) fn note_refilled(&mut self, wanted: &[(String, usize)], claims: &[Claim]) {
        for (ep, n) in wanted {
            if claims.iter().filter(|c| &c.endpoint_id == ep).count() < *n {
                self.saturated.remove(ep);
            }
        }
    }

    /// Forgets every claim held (at shutdown), returning each with its lease to give back.
    pub(super) fn release_all(&mut self) -> Vec<(String, String, i64)> {
        self.queued.clear();
        self.claims.drain().map(|((m, e), l)| (m, e, l)).collect()
    }

    /// The claim is settled (its attempt recorded, or nothing left to do).
    pub(super) fn finished(&mut self, key: &(String, String)) {
        self.claims.remove(key);
    }

    pub(super) fn slot_freed(&mut self, endpoint: &str) {
        if let Some(n) = self.running.get_mut(endpoint) {
            *n -= 1;
            if *n == 0 {
                self.running.remove(endpoint);
            }
        }
    }

    /// Endpoints to leave out of the next claim: holding their cap already, or behind an
    /// open breaker.
    pub(super) fn busy(&self, cap: usize, now: std::time::Instant) -> Vec<String> {
        let mut busy: Vec<String> = self
            .running
            .keys()
            .chain(self.queued.keys())
            .filter(|e| self.held_for(e) >= cap)
            .cloned()
            .collect();
        busy.sort_unstable();
        busy.dedup();
        busy.extend(
            self.breakers
                .iter()
                .filter(|(_, b)| b.blocked(now))
                .map(|(e, _)| e.clone()),
        );
        busy
    }

    /// Takes the queued claims that may start now, up to `free` of them: per endpoint
    /// below its cap of running attempts and past its breaker. Claims for an endpoint
    /// whose breaker is open come back in `give_back`, to wait in the database.
    pub(super) fn startable(
        &mut self,
        cap: usize,
        mut free: usize,
        now: std::time::Instant,
        give_back: &mut Vec<(String, String, i64)>,
    ) -> Vec<Claim> {
        let mut out = Vec::new();
        let endpoints: Vec<String> = self.queued.keys().cloned().collect();
        for ep in endpoints {
            let Some(mut queue) = self.queued.remove(&ep) else {
                continue;
            };
            let blocked = self.breakers.get(&ep).is_some_and(|b| b.blocked(now));
            if blocked {
                for c in queue.drain(..) {
                    let key = (c.msg_id, c.endpoint_id);
                    self.claims.remove(&key);
                    give_back.push((key.0, key.1, c.lease_until));
                }
                continue;
            }
            while free > 0 && !queue.is_empty() {
                let running = self.running.get(&ep).copied().unwrap_or(0);
                if running >= cap || !self.breakers.get_mut(&ep).is_none_or(|b| b.allow(now)) {
                    break;
                }
                if let Some(c) = queue.pop_front() {
                    *self.running.entry(ep.clone()).or_default() += 1;
                    free -= 1;
                    out.push(c);
                }
            }
            if !queue.is_empty() {
                self.queued.insert(ep, queue);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(msg: &str, ep: &str) -> Claim {
        Claim {
            msg_id: msg.into(),
            endpoint_id: ep.into(),
            attempt_count: 0,
            manual: false,
            message: None,
            lease_until: 1,
        }
    }

    fn claims(ep: &str, n: usize) -> Vec<Claim> {
        (0..n).map(|i| claim(&format!("m{i}"), ep)).collect()
    }

    #[test]
    fn a_claim_marks_who_likely_has_more() {
        let now = std::time::Instant::now();
        let mut f = InFlight::default();
        // `a` got its full share; `b` did not, and the claim was not cut short.
        let mut got = claims("a", 4);
        got.extend(claims("b", 1));
        f.note_claimed(&got, 4, 100, &["c".into()], now);
        let mut marked: Vec<_> = f.saturated.iter().cloned().collect();
        marked.sort();
        // `c` was left out at its cap: it is refilled from its own rows.
        assert_eq!(marked, ["a", "c"]);
        // Cut short by the limit: everyone in it may have more.
        f.note_claimed(&claims("d", 2), 4, 2, &[], now);
        assert!(f.saturated.contains("d"));
    }

    #[test]
    fn refills_wait_for_room_and_share_it_least_held_first() {
        let now = std::time::Instant::now();
        let mut f = InFlight::default();
        for ep in ["a", "b", "c"] {
            f.saturated.insert(ep.into());
        }
        for c in claims("a", 3) {
            f.hold(c);
        }
        for c in claims("c", 9) {
            f.hold(c);
        }
        // Too little room: no refill yet.
        assert!(f.refills(8, 10, 16, now).is_empty());
        // `c` holds more than the cap (8): left alone. `b` holds nothing and comes first;
        // the room (20) is shared evenly, each at most twice the cap less what it holds.
        assert_eq!(
            f.refills(8, 20, 16, now),
            [("b".to_owned(), 10), ("a".to_owned(), 10)]
        );
        assert_eq!(
            f.refills(8, 100, 16, now),
            [("b".to_owned(), 16), ("a".to_owned(), 13)]
        );
        // A short refill means nothing more is due: no more refills for it.
        f.note_refilled(&[("b".into(), 16), ("a".into(), 13)], &claims("a", 13));
        let left: Vec<_> = f.saturated.iter().cloned().collect();
        assert!(!left.contains(&"b".to_owned()));
        assert!(left.contains(&"a".to_owned()));
    }
}
