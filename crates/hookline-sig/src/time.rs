//! Points in time, timestamp formats and replay windows.
//!
//! The library never reads the clock: callers pass `now`, so tests and diagnoses can ask
//! "would this have verified at time T?" and policy stays a pure function.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, as milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    millis: i64,
}

impl UnixTime {
    /// Whole seconds since the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        UnixTime {
            millis: secs.saturating_mul(1000),
        }
    }

    /// Milliseconds since the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        UnixTime { millis }
    }

    /// Seconds since the epoch, rounded down.
    pub const fn secs(self) -> i64 {
        self.millis.div_euclid(1000)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.millis
    }
}

impl From<SystemTime> for UnixTime {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => UnixTime::from_millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => {
                UnixTime::from_millis(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX))
            }
        }
    }
}

/// How a timestamp is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TimestampFormat {
    /// Decimal seconds since the epoch: `1614265330`.
    UnixSeconds,
    /// Decimal milliseconds since the epoch: `1614265330123`.
    UnixMillis,
    /// RFC 3339: `2021-02-25T15:02:10.123Z`.
    Rfc3339,
}

impl TimestampFormat {
    /// Parses a timestamp; `None` when the text is not in this format.
    pub fn parse(self, text: &str) -> Option<UnixTime> {
        match self {
            TimestampFormat::UnixSeconds => parse_decimal(text).map(UnixTime::from_secs),
            TimestampFormat::UnixMillis => parse_decimal(text).map(UnixTime::from_millis),
            TimestampFormat::Rfc3339 => {
                let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
                i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
                    .ok()
                    .map(UnixTime::from_millis)
            }
        }
    }

    /// Writes a timestamp the way a sender of this format does.
    pub fn format(self, t: UnixTime) -> String {
        match self {
            TimestampFormat::UnixSeconds => t.secs().to_string(),
            TimestampFormat::UnixMillis => t.millis().to_string(),
            TimestampFormat::Rfc3339 => {
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
                    .ok()
                    .and_then(|d| d.format(&Rfc3339).ok())
                    // Only times beyond year 9999 fail to format; they cannot come from a real clock.
                    .unwrap_or_else(|| t.secs().to_string())
            }
        }
    }
}

/// Strict decimal: ASCII digits with an optional leading minus, nothing else (no `+`, no
/// spaces, no underscores), at most 19 digits. A lenient parser would let two different
/// header values stand for one timestamp.
fn parse_decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        let d = i64::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(d)?;
    }
    Some(if negative { -n } else { n })
}

/// The replay window: how far a timestamp may lie in the past and in the future.
///
/// `None` on a side means no limit on that side. Values are whole seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// Largest accepted age, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past: Option<u64>,
    /// Largest accepted lead of the timestamp over `now` (clock skew), in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub future: Option<u64>,
}

impl Tolerance {
    /// The same limit in both directions.
    pub const fn symmetric(secs: u64) -> Self {
        Tolerance {
            past: Some(secs),
            future: Some(secs),
        }
    }

    /// No limit: the timestamp is still read, signed and reported, but never rejected.
    pub const fn unlimited() -> Self {
        Tolerance {
            past: None,
            future: None,
        }
    }

    /// Checks `ts` against `now`.
    pub fn check(self, ts: UnixTime, now: UnixTime) -> Result<(), Skew> {
        let delta_ms = i128::from(now.millis()) - i128::from(ts.millis());
        if delta_ms > 0 {
            if let Some(past) = self.past
                && delta_ms > i128::from(past) * 1000
            {
                return Err(Skew::TooOld {
                    age: duration_from_ms(delta_ms),
                    tolerance: Duration::from_secs(past),
                });
            }
        } else if let Some(future) = self.future
            && -delta_ms > i128::from(future) * 1000
        {
            return Err(Skew::TooNew {
                ahead: duration_from_ms(-delta_ms),
                tolerance: Duration::from_secs(future),
            });
        }
        Ok(())
    }
}

fn duration_from_ms(ms: i128) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// Why a timestamp lies outside its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skew {
    /// The timestamp is older than the window allows.
    TooOld {
        /// How old it is.
        age: Duration,
        /// The limit it broke.
        tolerance: Duration,
    },
    /// The timestamp lies further in the future than the window allows.
    TooNew {
        /// How far ahead of `now` it is.
        ahead: Duration,
        /// The limit it broke.
        tolerance: Duration,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_strict() {
        let f = TimestampFormat::UnixSeconds;
        assert_eq!(f.parse("1614265330"), Some(UnixTime::from_secs(1614265330)));
        for bad in [
            "",
            "+1",
            " 1",
            "1 ",
            "1_0",
            "0x10",
            "1.5",
            "-",
            "99999999999999999999",
        ] {
            assert_eq!(f.parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_round_trips_with_millis() {
        let f = TimestampFormat::Rfc3339;
        let t = f.parse("2023-07-19T10:11:12.123456789Z").expect("parses");
        assert_eq!(t.millis(), 1_689_761_472_123);
        assert_eq!(f.parse(&f.format(t)), Some(t));
        assert_eq!(
            f.parse("2023-07-19T12:11:12+02:00").map(UnixTime::secs),
            Some(1_689_761_472)
        );
        assert_eq!(f.parse("yesterday"), None);
    }

    #[test]
    fn tolerance_sides_are_separate() {
        let now = UnixTime::from_secs(1000);
        let t = Tolerance {
            past: Some(300),
            future: None,
        };
        assert!(t.check(UnixTime::from_secs(700), now).is_ok());
        assert!(
            matches!(t.check(UnixTime::from_secs(699), now), Err(Skew::TooOld { age, .. }) if age.as_secs() == 301)
        );
        assert!(t.check(UnixTime::from_secs(1_000_000), now).is_ok());
        let s = Tolerance::symmetric(5);
        assert!(
            matches!(s.check(UnixTime::from_secs(1006), now), Err(Skew::TooNew { ahead, .. }) if ahead.as_secs() == 6)
        );
        assert!(
            Tolerance::unlimited()
                .check(UnixTime::from_secs(i64::MIN / 1000), now)
                .is_ok()
        );
    }
}
