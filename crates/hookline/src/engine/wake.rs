//! How the engine learns of new work, and how much of the queue it must read to find it.
//!
//! The API announces the deliveries it has just committed with their due time; the engine
//! then claims from that time on only, so new work is found at once without reading a
//! backlog that waits behind a busy endpoint (which could be millions of rows long). Anything
//! else that may have made work due (a notification without a time, the poll interval
//! running out) asks for a look at the whole queue.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use tokio::sync::Notify;

use crate::store::Millis;

/// Shared by whoever queues deliveries and the engine that claims them.
pub struct Wake {
    notify: Notify,
    /// The earliest due time of the deliveries announced since the engine last looked
    /// (`Millis::MAX`: none).
    since: AtomicI64,
    /// Whether something asked for a look at the whole queue.
    everything: AtomicBool,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            notify: Notify::new(),
            since: AtomicI64::new(Millis::MAX),
            everything: AtomicBool::new(false),
        }
    }
}

/// What the engine should read of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    /// Nothing was announced.
    Nothing,
    /// Deliveries due from this time on.
    Since(Millis),
    /// The whole queue.
    Everything,
}

impl Look {
    /// Both looks in one: the whole queue if either is, else from the earlier time.
    #[must_use]
    pub fn and(self, other: Look) -> Look {
        match (self, other) {
            (Look::Everything, _) | (_, Look::Everything) => Look::Everything,
            (Look::Since(a), Look::Since(b)) => Look::Since(a.min(b)),
            (Look::Since(t), Look::Nothing) | (Look::Nothing, Look::Since(t)) => Look::Since(t),
            (Look::Nothing, Look::Nothing) => Look::Nothing,
        }
    }

    /// The due time to claim from, if anything is to be looked at.
    pub fn since(self) -> Option<Millis> {
        match self {
            Look::Nothing => None,
            Look::Since(t) => Some(t),
            Look::Everything => Some(Millis::MIN),
        }
    }
}

impl Wake {
    /// Deliveries due at `at` or later were committed. Call after the commit: the engine's
    /// next look then sees them.
    pub fn queued(&self, at: Millis) {
        self.since.fetch_min(at, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Work may be due anywhere in the queue.
    pub fn anything(&self) {
        self.everything.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// What was announced since the last call, forgetting it.
    pub(crate) fn take(&self) -> Look {
        let since = self.since.swap(Millis::MAX, Ordering::SeqCst);
        if self.everything.swap(false, Ordering::SeqCst) {
            Look::Everything
        } else if since == Millis::MAX {
            Look::Nothing
        } else {
            Look::Since(since)
        }
    }

    /// Waits for an announcement.
    pub(crate) async fn notified(&self) {
        self.notify.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_announcement_wins_and_is_taken_once() {
        let w = Wake::default();
        assert_eq!(w.take(), Look::Nothing);
        w.queued(20);
        w.queued(10);
        w.queued(30);
        assert_eq!(w.take(), Look::Since(10));
        assert_eq!(w.take(), Look::Nothing);
    }

    #[test]
    fn looks_combine_to_cover_both() {
        assert_eq!(Look::Since(5).and(Look::Since(3)), Look::Since(3));
        assert_eq!(Look::Nothing.and(Look::Since(3)), Look::Since(3));
        assert_eq!(Look::Since(3).and(Look::Everything), Look::Everything);
        assert_eq!(Look::Nothing.and(Look::Nothing), Look::Nothing);
        assert_eq!(Look::Everything.since(), Some(Millis::MIN));
        assert_eq!(Look::Nothing.since(), None);
    }

    #[test]
    fn a_look_at_everything_covers_any_time() {
        let w = Wake::default();
        w.queued(10);
        w.anything();
        assert_eq!(w.take(), Look::Everything);
        assert_eq!(w.take(), Look::Nothing);
    }
}
