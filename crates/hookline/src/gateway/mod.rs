//! The inbound gateway: providers' webhooks received at `POST /in/{source}`, verified with
//! `hookline-sig`, de-duplicated on their event id, acknowledged only once committed, and
//! forwarded as messages of the source's application by the delivery engine.
//!
//! # Layout
//!
//! - [`model`]: sources, received requests, what a forwarded message carries.
//! - [`scheme`]: a source's scheme and keys, resolved into a `hookline-sig` verifier.
//! - [`resolved`]: sources resolved for receiving, cached on each node.
//! - [`ingest`]: the `/in/{source}` handlers (events and the providers' handshakes).
//! - [`forward`]: which of a provider's headers travel with a forwarded message.
//!
//! The management API (`/api/v1/source...`) is in `api::source` and `api::source_request`.

pub mod forward;
pub mod ingest;
pub mod model;
pub mod resolved;
pub mod scheme;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long a rejected request is kept by default (seconds): long enough to debug a
/// misconfigured provider, short enough that forgeries do not pile up.
pub const REJECTED_KEEP_SECS: u64 = 3600;
/// How many rejected requests are kept per source at most.
pub const REJECTED_PER_SOURCE: usize = 1000;
/// How much of a rejected request's body is kept (bytes); the rest is cut.
pub const REJECTED_BODY_BYTES: usize = 64 * 1024;
/// Rejections recorded per second at most, over all sources: a flood of forgeries is
/// answered at full speed but only this many a second reach the disk (the rest are counted).
pub const REJECTIONS_PER_SEC: u64 = 200;
/// Default de-duplication window: 7 days.
pub const DEDUPE_WINDOW_SECS: u32 = 7 * 24 * 3600;
/// Requests being received at once on this node; beyond it, `429` with `Retry-After`.
pub const MAX_IN_FLIGHT: usize = 2048;

/// The gateway's shared state on one node.
pub struct Gateway {
    /// Requests in progress (see [`MAX_IN_FLIGHT`]).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The rejection log's budget for the current second: `(second << 20) | count`.
    reject_budget: AtomicU64,
    /// Rejections answered but not recorded (over budget), for `/metrics`.
    pub rejections_unrecorded: AtomicU64,
    pub rejected_keep_secs: u64,
    /// Sources as recently resolved (see [`resolved`]).
    pub sources: resolved::Sources,
}

impl Default for Gateway {
    fn default() -> Self {
        Gateway {
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            reject_budget: AtomicU64::new(0),
            rejections_unrecorded: AtomicU64::new(0),
            rejected_keep_secs: REJECTED_KEEP_SECS,
            sources: resolved::Sources::default(),
        }
    }
}

impl Gateway {
    /// Whether one more rejection may be written at `now_ms`.
    pub fn take_reject_slot(&self, now_ms: i64) -> bool {
        let second = u64::try_from(now_ms / 1000).unwrap_or(0);
        let granted = self
            .reject_budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                let (s, n) = (v >> 20, v & 0xF_FFFF);
                if s != second {
                    Some((second << 20) | 1)
                } else if n < REJECTIONS_PER_SEC {
                    Some(v + 1)
                } else {
                    None
                }
            })
            .is_ok();
        if !granted {
            self.rejections_unrecorded.fetch_add(1, Ordering::Relaxed);
        }
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rejection_budget_refills_each_second() {
        let g = Gateway::default();
        let granted = (0..REJECTIONS_PER_SEC + 50)
            .filter(|_| g.take_reject_slot(5_000))
            .count();
        assert_eq!(granted as u64, REJECTIONS_PER_SEC);
        assert_eq!(g.rejections_unrecorded.load(Ordering::Relaxed), 50);
        assert!(g.take_reject_slot(6_000));
    }
}
