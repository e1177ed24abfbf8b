//! Per-endpoint circuit breakers and throttles: pure state machines with time passed in.
//!
//! A breaker opens after `threshold` consecutive failed attempts. While open, the endpoint
//! gets nothing; when the open period ends, one probe goes through (half-open). A success
//! closes the breaker; a failure opens it again for twice as long, up to a ceiling. The
//! deliveries meanwhile wait in the database, due, and go out once it closes.

use std::time::{Duration, Instant};

/// Breaker settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerPolicy {
    pub threshold: u32,
    pub open_for: Duration,
    pub max_open_for: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            threshold: 5,
            open_for: Duration::from_secs(30),
            max_open_for: Duration::from_secs(600),
        }
    }
}

/// One endpoint's breaker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    open_for: Option<Duration>,
    probing: bool,
}

impl Breaker {
    /// Whether a delivery may start now; a half-open breaker lets exactly one through.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.open_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) if self.probing => false,
            Some(_) => {
                self.probing = true;
                true
            }
        }
    }

    /// Whether nothing may start now (for leaving the endpoint out of claims).
    pub fn blocked(&self, now: Instant) -> bool {
        match self.open_until {
            None => false,
            Some(until) => now < until || self.probing,
        }
    }

    pub fn is_open(&self) -> bool {
        self.open_until.is_some()
    }

    /// Until when it is open, if it is.
    pub fn open_until(&self) -> Option<Instant> {
        self.open_until
    }

    pub fn success(&mut self) {
        *self = Breaker::default();
    }

    pub fn failure(&mut self, now: Instant, policy: &BreakerPolicy) {
        self.failures += 1;
        let reopen =
            self.probing || (self.open_until.is_none() && self.failures >= policy.threshold);
        if reopen {
            let open_for = match self.open_for {
                Some(d) if self.probing => (d * 2).min(policy.max_open_for),
                _ => policy.open_for,
            };
            self.open_for = Some(open_for);
            self.open_until = Some(now + open_for);
            self.probing = false;
        }
    }
}

/// A throttle: at most `rate` deliveries a second, spaced evenly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Throttle {
    next: Option<Instant>,
}

impl Throttle {
    /// The time the next delivery may start at, taking that slot.
    pub fn take(&mut self, now: Instant, rate: u16) -> Instant {
        let slot = self.next.map_or(now, |n| n.max(now));
        self.next = Some(slot + Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_probes_then_closes() {
        let p = BreakerPolicy {
            threshold: 3,
            open_for: Duration::from_secs(10),
            max_open_for: Duration::from_secs(25),
        };
        let t0 = Instant::now();
        let mut b = Breaker::default();
        for _ in 0..2 {
            b.failure(t0, &p);
        }
        assert!(b.allow(t0), "below the threshold");
        b.failure(t0, &p);
        assert!(!b.allow(t0 + Duration::from_secs(9)) && b.blocked(t0 + Duration::from_secs(9)));
        let t1 = t0 + Duration::from_secs(10);
        assert!(b.allow(t1), "one probe");
        assert!(!b.allow(t1), "only one");
        b.failure(t1, &p);
        assert!(!b.allow(t1 + Duration::from_secs(19)), "open twice as long");
        let t2 = t1 + Duration::from_secs(20);
        assert!(b.allow(t2));
        b.failure(t2, &p);
        assert!(b.allow(t2 + Duration::from_secs(25)), "capped at 25 s");
        b.success();
        assert!(!b.is_open() && b.allow(t2 + Duration::from_secs(26)));
    }

    #[test]
    fn successes_reset_the_count() {
        let p = BreakerPolicy {
            threshold: 2,
            ..BreakerPolicy::default()
        };
        let t = Instant::now();
        let mut b = Breaker::default();
        b.failure(t, &p);
        b.success();
        b.failure(t, &p);
        assert!(!b.is_open());
    }

    #[test]
    fn throttle_spaces_slots() {
        let t = Instant::now();
        let mut th = Throttle::default();
        assert_eq!(th.take(t, 4), t);
        assert_eq!(th.take(t, 4), t + Duration::from_millis(250));
        assert_eq!(th.take(t, 4), t + Duration::from_millis(500));
        let later = t + Duration::from_secs(5);
        assert_eq!(th.take(later, 4), later, "no credit builds up while idle");
    }
}
