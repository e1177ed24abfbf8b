//! The latency summary of `hookline send --count N`: pure, over the outcomes collected.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How one request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Answered with this status.
    Status(u16),
    /// No answer: refused, reset, timed out.
    NoAnswer,
}

impl Outcome {
    pub(crate) fn is_ok(self) -> bool {
        matches!(self, Outcome::Status(s) if (200..300).contains(&s))
    }
}

/// Count, successes, failures by kind, throughput and latency percentiles.
#[derive(Debug, PartialEq)]
pub(crate) struct Summary {
    pub(crate) count: usize,
    pub(crate) ok: usize,
    /// Failures by status (`None`: no answer).
    pub(crate) failed: BTreeMap<Option<u16>, usize>,
    pub(crate) elapsed: Duration,
    pub(crate) p50: Duration,
    pub(crate) p90: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Summary {
    /// `results` is every request's outcome and latency, in any order; `elapsed` the wall
    /// time of the whole run.
    pub(crate) fn new(mut results: Vec<(Outcome, Duration)>, elapsed: Duration) -> Summary {
        results.sort_by_key(|(_, d)| *d);
        let mut failed = BTreeMap::new();
        for (o, _) in &results {
            if !o.is_ok() {
                let key = match o {
                    Outcome::Status(s) => Some(*s),
                    Outcome::NoAnswer => None,
                };
                *failed.entry(key).or_insert(0) += 1;
            }
        }
        let at = |p: f64| percentile(&results, p);
        Summary {
            count: results.len(),
            ok: results.iter().filter(|(o, _)| o.is_ok()).count(),
            failed,
            elapsed,
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            max: results.last().map_or(Duration::ZERO, |(_, d)| *d),
        }
    }

    pub(crate) fn failed_total(&self) -> usize {
        self.failed.values().sum()
    }

    pub(crate) fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.count as f64 / secs
        } else {
            0.0
        }
    }

    /// The summary as JSON (`--json`), latencies in milliseconds.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let failed: serde_json::Map<String, serde_json::Value> = self
            .failed
            .iter()
            .map(|(k, n)| {
                let key = k.map_or_else(|| "no_answer".to_owned(), |s| s.to_string());
                (key, (*n).into())
            })
            .collect();
        serde_json::json!({
            "count": self.count,
            "ok": self.ok,
            "failed": self.failed_total(),
            "failedBy": failed,
            "seconds": self.elapsed.as_secs_f64(),
            "perSecond": self.per_second(),
            "latencyMs": {
                "p50": ms(self.p50), "p90": ms(self.p90), "p99": ms(self.p99), "max": ms(self.max)
            }
        })
    }
}

/// The nearest-rank percentile of sorted latencies.
fn percentile(sorted: &[(Outcome, Duration)], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].1
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        write!(
            f,
            "requests  {} (ok {}, failed {}",
            self.count,
            self.ok,
            self.failed_total()
        )?;
        let kinds: Vec<String> = self
            .failed
            .iter()
            .map(|(k, n)| match k {
                Some(s) => format!("{s}×{n}"),
                None => format!("no answer×{n}"),
            })
            .collect();
        if !kinds.is_empty() {
            write!(f, ": {}", kinds.join(", "))?;
        }
        writeln!(f, ")")?;
        writeln!(
            f,
            "duration  {:.2} s, {:.1} req/s",
            self.elapsed.as_secs_f64(),
            self.per_second()
        )?;
        write!(
            f,
            "latency   p50 {}  p90 {}  p99 {}  max {}",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        // 1..=100 ms, shuffled order: p50 is the 50th, p90 the 90th, p99 the 99th.
        let results: Vec<_> = (1..=100)
            .rev()
            .map(|n| (Outcome::Status(200), ms(n)))
            .collect();
        let s = Summary::new(results, Duration::from_secs(2));
        assert_eq!(
            (s.p50, s.p90, s.p99, s.max),
            (ms(50), ms(90), ms(99), ms(100))
        );
        assert_eq!((s.count, s.ok, s.failed_total()), (100, 100, 0));
        assert!((s.per_second() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn failures_are_counted_by_kind() {
        let results = vec![
            (Outcome::Status(204), ms(1)),
            (Outcome::Status(500), ms(2)),
            (Outcome::Status(500), ms(3)),
            (Outcome::NoAnswer, ms(4)),
        ];
        let s = Summary::new(results, ms(10));
        assert_eq!(s.ok, 1);
        assert_eq!(s.failed.get(&Some(500)), Some(&2));
        assert_eq!(s.failed.get(&None), Some(&1));
        let text = s.to_string();
        assert!(text.contains("failed 3: no answer×1, 500×2"), "{text}");
        assert_eq!(s.to_json()["failedBy"]["no_answer"], 1);
    }

    #[test]
    fn one_and_none() {
        let s = Summary::new(vec![(Outcome::Status(200), ms(7))], ms(7));
        assert_eq!((s.p50, s.p99, s.max), (ms(7), ms(7), ms(7)));
        let s = Summary::new(Vec::new(), Duration::ZERO);
        assert_eq!((s.count, s.p50, s.per_second()), (0, Duration::ZERO, 0.0));
    }
}
