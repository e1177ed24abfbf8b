//! The delivery engine: claims due deliveries from the store, signs each in its endpoint's
//! scheme, sends it, records the attempt and schedules what comes next.
//!
//! Pure policy lives apart: `retry` (when to try again) and `ssrf` (where deliveries may go).
//! `http` makes one attempt; `deliver` turns a claim into an attempt record. This module is
//! the loop: claim a batch (leased, so a crashed worker's claims are taken up again when
//! their lease runs out), run each delivery as its own task under a concurrency bound so a
//! slow endpoint never holds up the rest, and sleep until woken by the API or a poll.
//!
//! Each endpoint has a cap on deliveries in flight; endpoints at their cap are left out of
//! the next claims, so a slow or black-holed endpoint holds a few workers at most and its
//! backlog waits in the database, not in front of other endpoints' work.
//!
//! Per endpoint, a throttle spaces deliveries to its `throttleRate`, and a circuit breaker
//! (`breaker`) stops sending after consecutive failures except for periodic probes. Both
//! live in this process's memory: with several nodes each enforces them for its own share.
//!
//! Not yet here (see the issue): disabling after days of failures, operational webhooks.

pub mod breaker;
mod deliver;
pub mod http;
pub mod retry;
pub mod ssrf;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::store::Store;
use retry::RetryPolicy;

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub policy: RetryPolicy,
    /// Deliveries in flight at once, across all endpoints.
    pub concurrency: usize,
    /// Deliveries in flight at once to one endpoint: a slow or black-holed endpoint can
    /// hold at most this many workers, and its queue waits in the database meanwhile.
    pub per_endpoint: usize,
    /// How long a claim is held before another worker may take it over.
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
            concurrency: 64,
            per_endpoint: 8,
            lease: Duration::from_secs(60),
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
    wake: Arc<Notify>,
    /// Claims being worked on (to give back on shutdown), and how many per endpoint (to skip
    /// endpoints at their cap). A std mutex: held for an insert or a remove, never across an
    /// await.
    in_flight: Arc<Mutex<InFlight>>,
    metrics: Arc<crate::metrics::Metrics>,
    operational: crate::operational::Operational,
}

#[derive(Default)]
struct InFlight {
    claims: HashSet<(String, String)>,
    per_endpoint: HashMap<String, usize>,
    breakers: HashMap<String, breaker::Breaker>,
    throttles: HashMap<String, breaker::Throttle>,
}

impl InFlight {
    fn add(&mut self, key: &(String, String)) {
        self.claims.insert(key.clone());
        *self.per_endpoint.entry(key.1.clone()).or_default() += 1;
    }

    fn remove(&mut self, key: &(String, String)) {
        self.claims.remove(key);
        if let Some(n) = self.per_endpoint.get_mut(&key.1) {
            *n -= 1;
            if *n == 0 {
                self.per_endpoint.remove(&key.1);
            }
        }
    }

    /// Endpoints to leave out of the next claim: at their cap, or behind an open breaker.
    fn busy(&self, cap: usize, now: std::time::Instant) -> Vec<String> {
        let mut busy: Vec<String> = self
            .per_endpoint
            .iter()
            .filter(|(_, n)| **n >= cap)
            .map(|(e, _)| e.clone())
            .collect();
        busy.extend(
            self.breakers
                .iter()
                .filter(|(_, b)| b.blocked(now))
                .map(|(e, _)| e.clone()),
        );
        busy
    }

    /// Whether a claimed delivery to `endpoint` may start now.
    fn admit(&mut self, endpoint: &str, cap: usize, now: std::time::Instant) -> bool {
        self.per_endpoint.get(endpoint).copied().unwrap_or(0) < cap
            && self.breakers.get_mut(endpoint).is_none_or(|b| b.allow(now))
    }
}

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        sender: http::Sender,
        config: EngineConfig,
        wake: Arc<Notify>,
        metrics: Arc<crate::metrics::Metrics>,
        operational: crate::operational::Operational,
    ) -> Self {
        Engine {
            store,
            sender,
            config: Arc::new(config),
            wake,
            in_flight: Arc::default(),
            metrics,
            operational,
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
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        loop {
            if *stop.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            let free = permits.available_permits();
            let claims = if free == 0 {
                Vec::new()
            } else {
                let now = crate::now_millis();
                let lease_until =
                    now + i64::try_from(self.config.lease.as_millis()).unwrap_or(60_000);
                let busy = self
                    .lock_in_flight()
                    .busy(self.config.per_endpoint.max(1), std::time::Instant::now());
                match self.store.claim_due(now, lease_until, free, &busy).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "claiming deliveries");
                        Vec::new()
                    }
                }
            };
            let idle = claims.is_empty();
            let mut over_cap = Vec::new();
            for claim in claims {
                let key = (claim.msg_id.clone(), claim.endpoint_id.clone());
                // Over the endpoint's cap (a batch can hold several for one endpoint), or behind an
                // open breaker: back to the queue.
                if !self.lock_in_flight().admit(
                    &key.1,
                    self.config.per_endpoint.max(1),
                    std::time::Instant::now(),
                ) {
                    over_cap.push(key);
                    continue;
                }
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                self.lock_in_flight().add(&key);
                let engine = self.clone();
                tasks.spawn(async move {
                    deliver::deliver(&engine, claim).await;
                    engine.lock_in_flight().remove(&key);
                    drop(permit);
                });
            }
            if !over_cap.is_empty()
                && let Err(e) = self
                    .store
                    .release_claims(&over_cap, crate::now_millis())
                    .await
            {
                tracing::error!(error = %e, "giving back claims over an endpoint's cap");
            }
            if idle || permits.available_permits() == 0 {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll) => {}
                    _ = tasks.join_next(), if !tasks.is_empty() => {}
                    _ = stop.changed() => {}
                }
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
        let unfinished: Vec<(String, String)> = self.lock_in_flight().claims.drain().collect();
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

    /// Waits for the endpoint's next throttle slot, if it has a rate.
    pub(crate) async fn throttle(&self, endpoint: &str, rate: Option<u16>) {
        let Some(rate) = rate else { return };
        let slot = self
            .lock_in_flight()
            .throttles
            .entry(endpoint.to_owned())
            .or_default()
            .take(std::time::Instant::now(), rate);
        tokio::time::sleep_until(tokio::time::Instant::from_std(slot)).await;
    }

    /// Feeds an attempt's result to the endpoint's breaker.
    pub(crate) fn record(&self, endpoint: &str, success: bool) {
        let mut state = self.lock_in_flight();
        let breaker = state.breakers.entry(endpoint.to_owned()).or_default();
        if success {
            breaker.success();
        } else {
            breaker.failure(std::time::Instant::now(), &self.config.breaker);
        }
        state
            .breakers
            .retain(|_, b| b != &breaker::Breaker::default());
        let open = state.breakers.values().filter(|b| b.is_open()).count();
        self.metrics.set_circuits_open(open);
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, InFlight> {
        // A panic while holding this lock cannot leave the set inconsistent (single inserts
        // and removes), so a poisoned lock is used as it is.
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
