//! The delivery engine: claims due deliveries from the store, signs each in its endpoint's
//! scheme, sends it, records the attempt and schedules what comes next.
//!
//! Pure policy lives apart: `retry` (when to try again) and `ssrf` (where deliveries may go).
//! `http` makes one attempt; `deliver` turns a claim into an attempt record. This module is
//! the loop: claim a batch (leased, so a crashed worker's claims are taken up again when
//! their lease runs out), run each delivery as its own task under a concurrency bound so a
//! slow endpoint never holds up the rest, and sleep until woken by the API or a poll.
//!
//! Each endpoint has a cap on deliveries in flight; a claim takes at most that many per
//! endpoint and leaves out endpoints that already hold it, so a slow or black-holed
//! endpoint holds a bounded share of the workers and its backlog waits in the database,
//! not in front of other endpoints' work. Claims are taken in batches and held here (up
//! to twice the global concurrency) until a slot frees, so attempts follow each other
//! without a database round trip in between.
//!
//! No claim reads a backlog it cannot take from: new work is claimed from the due time
//! its announcement carries (`wake`), an endpoint being drained is refilled from its own
//! rows, and only the periodic look at the whole queue (which finds retries come due and
//! expired leases) reads past the rows of endpoints at their cap.
//!
//! Per endpoint, a throttle spaces deliveries to its `throttleRate`, and a circuit breaker
//! (`breaker`) stops sending after consecutive failures except for periodic probes. On a
//! shared store (PostgreSQL, several nodes) the throttle's slots are taken from one row per
//! endpoint, so the rate holds across nodes exactly; a breaker counts failures on its own
//! node, but when it opens it says so in the store and every node leaves the endpoint out
//! of its claims until the open period ends (then the node whose breaker opened probes once;
//! the others, whose breakers never opened, send as usual until their own count opens them).
//!

pub mod breaker;
pub(crate) mod deliver;
pub mod http;
mod in_flight;
pub mod listener;
pub mod retry;
pub mod ssrf;
pub mod target;
pub mod wake;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::cache::Cache;
use crate::store::{Endpoint, Store};
use in_flight::InFlight;
use retry::RetryPolicy;
use wake::{Look, Wake};

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub policy: RetryPolicy,
    /// Deliveries in flight at once, across all endpoints.
    pub concurrency: usize,
    /// Deliveries in flight at once to one endpoint: a slow or black-holed endpoint can
    /// hold at most this many workers, and its queue waits in the database meanwhile.
    pub per_endpoint: usize,
    /// How long a claim is held before another worker may take it over. It must outlast
    /// a claim's wait here (at most one attempt's time, as claims are held up to the cap
    /// per endpoint) plus its own attempt (at most 120 s with a per-endpoint timeout).
    pub lease: Duration,
    /// How often to look for due work when nobody wakes the engine.
    pub poll: Duration,
    /// How long shutdown waits for in-flight attempts before giving them back.
    pub shutdown_grace: Duration,
    /// When an endpoint's circuit opens, and for how long.
    pub breaker: breaker::BreakerPolicy,
    /// An endpoint failing without a single success for this long is disabled.
    pub disable_after: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            policy: RetryPolicy::default(),
            concurrency: 256,
            per_endpoint: 64,
            lease: Duration::from_secs(300),
            poll: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(10),
            breaker: breaker::BreakerPolicy::default(),
            disable_after: Duration::from_secs(5 * 24 * 3600),
        }
    }
}

/// The engine. Cheap to clone into tasks.
#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    sender: http::Sender,
    config: Arc<EngineConfig>,
    /// Announcements of new work (from the API, another node or the operational
    /// webhooks).
    wake: Arc<Wake>,
    /// A slot freed: claims waiting here may start, and the endpoint may want a refill.
    freed: Arc<Notify>,
    /// Claims held here, queued or running (to give back on shutdown), and per endpoint how
    /// many (to skip endpoints at their cap), with breakers and throttles. A std mutex: held
    /// for short updates, never across an await.
    in_flight: Arc<Mutex<InFlight>>,
    metrics: Arc<crate::metrics::Metrics>,
    operational: crate::operational::Operational,
    endpoints: Arc<Cache<Arc<Endpoint>>>,
    /// The listener endpoints, left out of claims (see `listener`).
    listeners: Arc<listener::Listeners>,
}

/// An attempt's place under its endpoint's cap and under the global bound. It is given up
/// as soon as the response is in (or the delivery ends without one), so the next attempt
/// starts while this one is still being recorded; the claim itself stays held until then.
pub(crate) struct Slot {
    engine: Engine,
    endpoint: String,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.engine.lock_in_flight().slot_freed(&self.endpoint);
        self.engine.freed.notify_one();
    }
}

/// Microseconds since the Unix epoch (shared throttle slots; nodes' clocks are assumed
/// to agree, as NTP keeps them, to well under a slot).
fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Endpoints as recently read, so a busy endpoint is not read (and its secret decrypted)
/// once per delivery; see [`crate::cache`].
const ENDPOINT_CACHE_TTL: Duration = Duration::from_secs(1);

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        sender: http::Sender,
        config: EngineConfig,
        wake: Arc<Wake>,
        metrics: Arc<crate::metrics::Metrics>,
        operational: crate::operational::Operational,
    ) -> Self {
        Engine {
            store,
            sender,
            config: Arc::new(config),
            wake,
            freed: Arc::default(),
            in_flight: Arc::default(),
            metrics,
            operational,
            endpoints: Arc::new(Cache::new(ENDPOINT_CACHE_TTL, 100_000)),
            listeners: Arc::default(),
        }
    }

    /// Runs until `stop` turns true; then lets in-flight attempts finish within the grace
    /// period and gives back the rest.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        match self.store.reclaim_after_restart(crate::now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "took back deliveries claimed by a previous run"),
            Err(e) => {
                tracing::error!(error = %e, "taking back earlier claims; they will wait for their leases")
            }
        }
        let concurrency = self.config.concurrency.max(1);
        let cap = self.config.per_endpoint.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        // Three ways to find work: a look at the whole queue (at start, when asked, and
        // every poll interval, which finds retries come due and expired leases); a look at
        // what was announced as new; and refills of the endpoints being drained, each from
        // its own rows. Only the first reads past a backlog held back behind a busy endpoint,
        // so a slot freeing up (which happens per attempt) never costs a read of the backlog.
        let mut look = Look::Everything;
        let mut next_poll = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            if tokio::time::Instant::now() >= next_poll {
                look = look.and(Look::Everything);
            }
            // Claims are held here up to twice the concurrency, so that the next attempts
            // are ready when slots free up and claims come in batches, not one by one.
            let room = (2 * concurrency).saturating_sub(self.lock_in_flight().held());
            let mut full = false;
            if let Some(since) = look.since() {
                if look == Look::Everything {
                    next_poll = tokio::time::Instant::now() + self.config.poll;
                }
                // A look that cannot run now (no room, or the claim failed) stays due: it
                // runs, before any refill, as soon as a slot frees.
                if room > 0
                    && let Some(claimed) = self.claim(room, cap, since).await
                {
                    // A full batch suggests more is due: look again at once, as far back.
                    full = claimed == room;
                    if !full {
                        look = Look::Nothing;
                    }
                }
            }
            self.refill(cap).await;
            self.start(&permits, &mut tasks, cap).await;
            if !full {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = self.freed.notified() => {}
                    () = tokio::time::sleep_until(next_poll) => {}
                    _ = tasks.join_next(), if !tasks.is_empty() => {}
                    _ = stop.changed() => {}
                }
                look = look.and(self.wake.take());
            }
        }
        let drained = tokio::time::timeout(self.config.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        let unfinished = self.lock_in_flight().release_all();
        if !unfinished.is_empty() {
            tracing::info!(
                count = unfinished.len(),
                "giving back unfinished deliveries"
            );
            if let Err(e) = self
                .store
                .release_claims(&unfinished, crate::now_millis())
                .await
            {
                tracing::error!(error = %e, "releasing claims; their leases will expire instead");
            }
        }
    }

    /// Claims due deliveries from `since` on, for endpoints not at their cap; returns how
    /// many, or `None` if the claim failed.
    async fn claim(&self, room: usize, cap: usize, since: crate::store::Millis) -> Option<usize> {
        let now = crate::now_millis();
        let at = std::time::Instant::now();
        let mut busy = self.lock_in_flight().busy(cap, at);
        // Listener endpoints are taken by their connected `hookline listen`, not here.
        busy.extend(self.listeners.ids(self.store.as_ref()).await);
        match self
            .store
            .claim_since(now, self.lease_until(now), room, cap, &busy, since)
            .await
        {
            Ok(claims) => {
                let n = claims.len();
                let mut held = self.lock_in_flight();
                held.note_claimed(&claims, cap, room, &busy, at);
                for c in claims {
                    held.hold(c);
                }
                Some(n)
            }
            Err(e) => {
                tracing::error!(error = %e, "claiming deliveries");
                None
            }
        }
    }

    /// Refills the endpoints being drained whose holding here ran low.
    async fn refill(&self, cap: usize) {
        let wanted = {
            let mut held = self.lock_in_flight();
            let concurrency = self.config.concurrency.max(1);
            let room = (2 * concurrency).saturating_sub(held.held());
            held.refills(cap, room, concurrency / 2, std::time::Instant::now())
        };
        // Never a listener endpoint's (taken by its `hookline listen`, see `listener`), should
        // one have been claimed before it was known for one.
        // (Left in `wanted` for `note_refilled`, which then stops draining them.)
        let listeners = self.listeners.ids(self.store.as_ref()).await;
        let asked: Vec<(String, usize)> = wanted
            .iter()
            .filter(|(ep, _)| !listeners.contains(ep))
            .cloned()
            .collect();
        if asked.is_empty() {
            self.lock_in_flight().note_refilled(&wanted, &[]);
            return;
        }
        let now = crate::now_millis();
        match self
            .store
            .claim_for(now, self.lease_until(now), &asked)
            .await
        {
            Ok(claims) => {
                let mut held = self.lock_in_flight();
                held.note_refilled(&wanted, &claims);
                for c in claims {
                    held.hold(c);
                }
            }
            Err(e) => tracing::error!(error = %e, "refilling deliveries"),
        }
    }

    fn lease_until(&self, now: crate::store::Millis) -> crate::store::Millis {
        now + i64::try_from(self.config.lease.as_millis()).unwrap_or(60_000)
    }

    /// Starts what may start of the claims held here, as tasks under the global bound.
    async fn start(&self, permits: &Arc<Semaphore>, tasks: &mut JoinSet<()>, cap: usize) {
        let mut give_back = Vec::new();
        let ready = self.lock_in_flight().startable(
            cap,
            permits.available_permits(),
            std::time::Instant::now(),
            &mut give_back,
        );
        for claim in ready {
            let key = (claim.msg_id.clone(), claim.endpoint_id.clone());
            // `startable` took no more than the permits available, and only this loop
            // takes permits, so this does not wait.
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let engine = self.clone();
            let slot = Slot {
                engine: self.clone(),
                endpoint: key.1.clone(),
                _permit: permit,
            };
            tasks.spawn(async move {
                deliver::deliver(&engine, claim, slot).await;
                engine.lock_in_flight().finished(&key);
            });
        }
        if !give_back.is_empty()
            && let Err(e) = self
                .store
                .release_claims(&give_back, crate::now_millis())
                .await
        {
            tracing::error!(error = %e, "giving back claims behind an open circuit");
        }
    }

    /// The endpoint, from the cache when fresh.
    pub(crate) async fn endpoint(&self, id: &str) -> crate::store::Result<Option<Arc<Endpoint>>> {
        let generation = self.store.generation();
        let now = std::time::Instant::now();
        if let Some(ep) = self.endpoints.get(id, generation, now) {
            return Ok(Some(ep));
        }
        let Some(ep) = self.store.endpoint_by_id(id).await? else {
            self.endpoints.remove(id);
            return Ok(None);
        };
        let ep = Arc::new(ep);
        self.endpoints.put(id, generation, now, ep.clone());
        Ok(Some(ep))
    }

    /// Waits for the endpoint's next throttle slot, if it has a rate: a slot shared by
    /// every node when the store can share one, else this process's own.
    pub(crate) async fn throttle(&self, endpoint: &str, rate: Option<u16>) {
        let Some(rate) = rate else { return };
        let interval_us = (1_000_000 / i64::from(rate.max(1))).max(1);
        let now_us = now_micros();
        match self
            .store
            .throttle_slot(endpoint, interval_us, now_us)
            .await
        {
            Ok(Some(at)) => {
                let wait = u64::try_from(at - now_us).unwrap_or(0);
                tokio::time::sleep(Duration::from_micros(wait)).await;
                return;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "taking a shared throttle slot; spacing locally");
            }
        }
        let slot = self
            .lock_in_flight()
            .throttles
            .entry(endpoint.to_owned())
            .or_default()
            .take(std::time::Instant::now(), rate);
        tokio::time::sleep_until(tokio::time::Instant::from_std(slot)).await;
    }

    /// Feeds an attempt's result to the endpoint's breaker, and tells the other nodes
    /// (through the store) when it opens or closes.
    pub(crate) async fn record(&self, endpoint: &str, success: bool) {
        let now = std::time::Instant::now();
        let (opened_until, closed) = {
            let mut state = self.lock_in_flight();
            let breaker = state.breakers.entry(endpoint.to_owned()).or_default();
            let was_open = breaker.is_open();
            let before = breaker.open_until();
            if success {
                breaker.success();
            } else {
                breaker.failure(now, &self.config.breaker);
            }
            let after = breaker.open_until();
            let opened_until = after.filter(|_| after != before);
            let closed = was_open && !breaker.is_open();
            state
                .breakers
                .retain(|_, b| b != &breaker::Breaker::default());
            let open = state.breakers.values().filter(|b| b.is_open()).count();
            self.metrics.set_circuits_open(open);
            (opened_until, closed)
        };
        if let Some(until) = opened_until {
            let ms = i64::try_from(until.saturating_duration_since(now).as_millis()).unwrap_or(0);
            if let Err(e) = self
                .store
                .open_circuit(endpoint, crate::now_millis() + ms)
                .await
            {
                tracing::warn!(error = %e, "sharing an open circuit with other nodes");
            }
        } else if closed && let Err(e) = self.store.close_circuit(endpoint).await {
            tracing::warn!(error = %e, "sharing a closed circuit with other nodes");
        }
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, InFlight> {
        // A panic while holding this lock cannot leave the set inconsistent (single inserts
        // and removes), so a poisoned lock is used as it is.
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
