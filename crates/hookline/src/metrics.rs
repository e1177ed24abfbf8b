//! Counters for `GET /metrics`, in Prometheus' text format. Lock-free counters; the one
//! map (attempts by outcome and status class) sits behind a std mutex held for an increment.
//! The connection counters are written by `server::connections`, once per connection.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
    86_400.0,
];

#[derive(Default)]
pub struct Metrics {
    messages_accepted: AtomicU64,
    attempts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_ms: AtomicU64,
    circuits_open: AtomicU64,
    connections_open: AtomicU64,
    connections_refused: AtomicU64,
    accept_errors: AtomicU64,
    /// Connections closed for outlasting a deadline, by phase: headers, body, idle.
    connections_timed_out: [AtomicU64; 3],
    /// Requests received at `/in`, by decision: accepted, duplicate, rejected, busy (429).
    gateway_requests: [AtomicU64; 4],
}

/// Gauges read from the store when scraped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gauges {
    pub due_now: i64,
    pub scheduled_later: i64,
    pub sending: i64,
    pub disabled_endpoints: i64,
}

impl Metrics {
    pub fn set_circuits_open(&self, n: usize) {
        self.circuits_open
            .store(u64::try_from(n).unwrap_or(u64::MAX), Relaxed);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Relaxed);
    }

    /// A connection answered 503 and closed because the cap was reached.
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Relaxed);
    }

    /// `accept` failed (most likely: out of file descriptors).
    pub fn accept_error(&self) {
        self.accept_errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn connection_timed_out(&self, phase: crate::server::watchdog::Phase) {
        use crate::server::watchdog::Phase;
        let i = match phase {
            Phase::Headers => 0,
            Phase::Body => 1,
            // Handling has no deadline; counted with idle should that ever change.
            Phase::Idle | Phase::Handling => 2,
        };
        self.connections_timed_out[i].fetch_add(1, Relaxed);
    }

    /// A request received at `/in`: `accepted`, `duplicate` or `rejected`.
    pub fn gateway_received(&self, decision: &str) {
        let i = match decision {
            "accepted" => 0,
            "duplicate" => 1,
            _ => 2,
        };
        self.gateway_requests[i].fetch_add(1, Relaxed);
    }

    /// A request at `/in` answered 429.
    pub fn gateway_busy(&self) {
        self.gateway_requests[3].fetch_add(1, Relaxed);
    }

    fn render_gateway(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP hookline_gateway_requests_total Requests received at /in, by decision."
        );
        let _ = writeln!(out, "# TYPE hookline_gateway_requests_total counter");
        for (i, d) in ["accepted", "duplicate", "rejected", "busy"]
            .iter()
            .enumerate()
        {
            let _ = writeln!(
                out,
                "hookline_gateway_requests_total{{decision=\"{d}\"}} {}",
                self.gateway_requests[i].load(Relaxed)
            );
        }
    }

    pub fn message_accepted(&self) {
        self.messages_accepted.fetch_add(1, Relaxed);
    }

    /// `outcome` is `success`, `failure` or `refused`; `status` 0 when there was no response.
    pub fn attempt(&self, outcome: &'static str, status: u16) {
        let class = match status {
            0 => "none",
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let mut map = self
            .attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry((outcome, class)).or_default() += 1;
    }

    /// Time from acceptance to a 2xx.
    pub fn delivered_after(&self, millis: i64) {
        let secs = millis.max(0) as f64 / 1000.0;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.latency_buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_ms
            .fetch_add(u64::try_from(millis.max(0)).unwrap_or(0), Relaxed);
    }

    pub fn render(&self, g: Gauges) -> String {
        let mut out = String::new();
        self.render_gateway(&mut out);
        let _ = writeln!(
            out,
            "# HELP hookline_messages_accepted_total Messages accepted by the API."
        );
        let _ = writeln!(out, "# TYPE hookline_messages_accepted_total counter");
        let _ = writeln!(
            out,
            "hookline_messages_accepted_total {}",
            self.messages_accepted.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP hookline_attempts_total Delivery attempts by outcome and response status class."
        );
        let _ = writeln!(out, "# TYPE hookline_attempts_total counter");
        for ((outcome, class), n) in self
            .attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "hookline_attempts_total{{outcome=\"{outcome}\",status_class=\"{class}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP hookline_queue_depth Deliveries waiting, by state."
        );
        let _ = writeln!(out, "# TYPE hookline_queue_depth gauge");
        let _ = writeln!(out, "hookline_queue_depth{{state=\"due\"}} {}", g.due_now);
        let _ = writeln!(
            out,
            "hookline_queue_depth{{state=\"scheduled\"}} {}",
            g.scheduled_later
        );
        let _ = writeln!(
            out,
            "hookline_queue_depth{{state=\"sending\"}} {}",
            g.sending
        );
        let _ = writeln!(
            out,
            "# HELP hookline_endpoints_disabled Endpoints that are disabled."
        );
        let _ = writeln!(out, "# TYPE hookline_endpoints_disabled gauge");
        let _ = writeln!(out, "hookline_endpoints_disabled {}", g.disabled_endpoints);
        let _ = writeln!(
            out,
            "# HELP hookline_circuits_open Endpoints whose circuit breaker is open."
        );
        let _ = writeln!(out, "# TYPE hookline_circuits_open gauge");
        let _ = writeln!(
            out,
            "hookline_circuits_open {}",
            self.circuits_open.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP hookline_delivery_latency_seconds Time from acceptance to a 2xx from the endpoint."
        );
        let _ = writeln!(out, "# TYPE hookline_delivery_latency_seconds histogram");
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "hookline_delivery_latency_seconds_bucket{{le=\"{le}\"}} {}",
                self.latency_buckets[i].load(Relaxed)
            );
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(
            out,
            "hookline_delivery_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "hookline_delivery_latency_seconds_sum {}",
            self.latency_sum_ms.load(Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(out, "hookline_delivery_latency_seconds_count {count}");
        self.render_connections(&mut out);
        out
    }

    fn render_connections(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP hookline_connections_open Client connections open now."
        );
        let _ = writeln!(out, "# TYPE hookline_connections_open gauge");
        let _ = writeln!(
            out,
            "hookline_connections_open {}",
            self.connections_open.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP hookline_connections_refused_total Connections answered 503 and closed because max_connections were open."
        );
        let _ = writeln!(out, "# TYPE hookline_connections_refused_total counter");
        let _ = writeln!(
            out,
            "hookline_connections_refused_total {}",
            self.connections_refused.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP hookline_connections_timed_out_total Connections closed for outlasting a deadline, by phase."
        );
        let _ = writeln!(out, "# TYPE hookline_connections_timed_out_total counter");
        for (i, phase) in ["headers", "body", "idle"].iter().enumerate() {
            let _ = writeln!(
                out,
                "hookline_connections_timed_out_total{{phase=\"{phase}\"}} {}",
                self.connections_timed_out[i].load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP hookline_accept_errors_total Failed accepts (out of file descriptors, most likely)."
        );
        let _ = writeln!(out, "# TYPE hookline_accept_errors_total counter");
        let _ = writeln!(
            out,
            "hookline_accept_errors_total {}",
            self.accept_errors.load(Relaxed)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.message_accepted();
        m.attempt("success", 204);
        m.attempt("failure", 503);
        m.delivered_after(30);
        let text = m.render(Gauges {
            due_now: 2,
            ..Gauges::default()
        });
        assert!(text.contains("hookline_messages_accepted_total 1"));
        assert!(
            text.contains("hookline_attempts_total{outcome=\"success\",status_class=\"2xx\"} 1")
        );
        assert!(
            text.contains("hookline_attempts_total{outcome=\"failure\",status_class=\"5xx\"} 1")
        );
        assert!(text.contains("hookline_queue_depth{state=\"due\"} 2"));
        assert!(text.contains("hookline_delivery_latency_seconds_bucket{le=\"0.025\"} 0"));
        assert!(text.contains("hookline_delivery_latency_seconds_bucket{le=\"0.05\"} 1"));
        assert!(text.contains("hookline_delivery_latency_seconds_count 1"));
    }

    #[test]
    fn renders_connection_counters() {
        use crate::server::watchdog::Phase;
        let m = Metrics::default();
        m.connection_opened();
        m.connection_opened();
        m.connection_closed();
        m.connection_refused();
        m.connection_timed_out(Phase::Body);
        let text = m.render(Gauges::default());
        assert!(text.contains("hookline_connections_open 1\n"));
        assert!(text.contains("hookline_connections_refused_total 1\n"));
        assert!(text.contains("hookline_connections_timed_out_total{phase=\"body\"} 1\n"));
        assert!(text.contains("hookline_connections_timed_out_total{phase=\"headers\"} 0\n"));
    }
}
