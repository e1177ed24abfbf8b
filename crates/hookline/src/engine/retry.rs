//! When to try a delivery again. A pure function of what happened, how many attempts were
//! made, the time and a random draw, so every rule is tested without a clock or a network.

use std::time::Duration;

use crate::store::Millis;

/// What one attempt ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered.
    Response {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No usable answer: timeout, connection refused, DNS, TLS, body too large.
    Transport,
    /// Refused before connecting (the SSRF guard): retrying changes nothing.
    Refused,
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Delivered,
    RetryAt(Millis),
    /// No attempts left, or a failure no retry can fix.
    GiveUp,
    /// 410 Gone: the endpoint asked to be switched off.
    DisableEndpoint,
}

/// The retry schedule and its limits.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Delay before each retry; the first attempt is immediate. Its length is the number of
    /// retries.
    pub schedule: Vec<Duration>,
    /// Each delay is spread by ± this fraction, so endpoints that failed together do not
    /// all retry in the same second.
    pub jitter: f64,
    /// The longest `Retry-After` honoured (and at least the scheduled delay is waited).
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    /// Standard Webhooks' schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
    fn default() -> Self {
        let s = Duration::from_secs;
        RetryPolicy {
            schedule: vec![
                s(5),
                s(300),
                s(1_800),
                s(7_200),
                s(18_000),
                s(36_000),
                s(50_400),
                s(72_000),
                s(86_400),
            ],
            jitter: 0.2,
            retry_after_cap: Duration::from_secs(3_600),
        }
    }
}

impl RetryPolicy {
    /// `attempts` is how many attempts have been made, this one included (at least 1);
    /// `draw` is uniform in [0, 1).
    pub fn decide(&self, outcome: &Outcome, attempts: u32, now: Millis, draw: f64) -> Decision {
        let retry_after = match outcome {
            Outcome::Response { status, .. } if (200..300).contains(status) => {
                return Decision::Delivered;
            }
            Outcome::Response { status: 410, .. } => return Decision::DisableEndpoint,
            Outcome::Refused => return Decision::GiveUp,
            Outcome::Response {
                status: 429 | 503,
                retry_after,
            } => *retry_after,
            _ => None,
        };
        let Some(base) = usize::try_from(attempts)
            .ok()
            .and_then(|n| self.schedule.get(n.saturating_sub(1)))
        else {
            return Decision::GiveUp;
        };
        let spread = (draw.clamp(0.0, 1.0) * 2.0 - 1.0) * self.jitter;
        let jittered = base.as_secs_f64() * (1.0 + spread);
        let wait = match retry_after {
            Some(ra) => jittered.max(ra.min(self.retry_after_cap).as_secs_f64()),
            None => jittered,
        };
        Decision::RetryAt(now + (wait * 1000.0) as i64)
    }
}

/// A `Retry-After` value: delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: Millis) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::format_description::well_known::Rfc2822;
    let at = time::OffsetDateTime::parse(v, &format).ok()?;
    let ms = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()? - now;
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16) -> Outcome {
        Outcome::Response {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn follows_the_schedule_then_gives_up() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.decide(&resp(500), 1, 0, 0.5), Decision::RetryAt(5_000));
        assert_eq!(p.decide(&resp(500), 2, 0, 0.5), Decision::RetryAt(300_000));
        assert_eq!(
            p.decide(&Outcome::Transport, 9, 1_000, 0.5),
            Decision::RetryAt(1_000 + 86_400_000)
        );
        assert_eq!(
            p.decide(&resp(500), 10, 0, 0.5),
            Decision::GiveUp,
            "ten attempts in all"
        );
    }

    #[test]
    fn success_gone_and_refusal() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(&resp(204), 1, 0, 0.0), Decision::Delivered);
        assert_eq!(p.decide(&resp(410), 1, 0, 0.0), Decision::DisableEndpoint);
        assert_eq!(p.decide(&Outcome::Refused, 1, 0, 0.0), Decision::GiveUp);
        // Redirects are not followed: a 3xx is a failure, retried like one.
        assert!(matches!(
            p.decide(&resp(301), 1, 0, 0.0),
            Decision::RetryAt(_)
        ));
    }

    #[test]
    fn jitter_stays_within_its_band() {
        let p = RetryPolicy::default();
        for draw in [0.0, 0.25, 0.5, 0.999] {
            let Decision::RetryAt(at) = p.decide(&resp(500), 2, 0, draw) else {
                panic!("retry")
            };
            assert!((240_000..=360_000).contains(&at), "{at}");
        }
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        let ra = |s| Outcome::Response {
            status: 429,
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            p.decide(&ra(60), 1, 0, 0.5),
            Decision::RetryAt(60_000),
            "longer than the 5 s step"
        );
        assert_eq!(
            p.decide(&ra(1), 1, 0, 0.5),
            Decision::RetryAt(5_000),
            "never sooner than the schedule"
        );
        assert_eq!(
            p.decide(&ra(86_400), 1, 0, 0.5),
            Decision::RetryAt(3_600_000),
            "capped"
        );
        let ignored = Outcome::Response {
            status: 500,
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            p.decide(&ignored, 1, 0, 0.5),
            Decision::RetryAt(5_000),
            "only on 429 and 503"
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
        let now = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
