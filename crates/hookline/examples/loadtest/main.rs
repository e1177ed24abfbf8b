//! A load harness (not a timed test), on embedded SQLite with durable commits, against a
//! loopback receiver, everything in one process: acceptance rate, end-to-end delivery
//! rate, acceptance-to-receipt latency at a steady 1,000 messages/s, draining a backlog,
//! and fan-out of messages to 100 endpoints.
//!
//! With `HOOKLINE_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432` the same phases run on
//! PostgreSQL (a fresh database each, dropped at the end), followed by two nodes on one
//! database: acceptance through both, and accepting and delivering on both at once.
//!
//! Run: `cargo run --release -p hookline --example loadtest -- [seconds] [clients] [phase…]`
//! (phases: accept, e2e, latency, backlog, fanout, nodes; all when none are named).
//! Results and the machine go in BENCHMARKS.md.

mod client;
mod measure;
mod receiver;
mod server;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hookline::config::Role;

use client::{load, setup, steady};
use measure::{peak_rss_mib, percentile};
use receiver::{Seen, receive_only, receiver, wait_for};
use server::{Postgres, TOKEN, fresh_store, start};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    if std::env::args().nth(1).as_deref() == Some("receive") {
        return receive_only().await;
    }
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    // Optional: the phases to run (accept, e2e, latency, backlog, fanout, nodes), e.g. to
    // profile one of them; all when none are named.
    let only: Vec<String> = args.collect();
    let want = |phase: &str| only.is_empty() || only.iter().any(|o| o == phase);
    let pg = Postgres::from_env();
    let pg = pg.as_ref();
    println!(
        "store: {}",
        if pg.is_some() {
            "PostgreSQL"
        } else {
            "embedded SQLite"
        }
    );

    if want("accept") {
        // 1. Acceptance alone (API role, one endpoint so each message also queues a delivery).
        let (base, stop, task) = start(Role::Api, None, fresh_store(pg).await).await;
        setup(&base, "http://127.0.0.1:9/unused", 1).await;
        let n = load(&base, "load", secs, clients).await;
        println!(
            "acceptance: {n} messages in {secs} s with {clients} clients = {:.0} messages/s",
            n as f64 / secs as f64
        );
        let _ = stop.send(());
        let _ = task.await;
    }

    if want("e2e") {
        // 2. Accepting and delivering at once, to a loopback receiver.
        let seen = Arc::new(Seen::default());
        let url = receiver(seen.clone()).await;
        let (base, stop, task) = start(Role::All, None, fresh_store(pg).await).await;
        setup(&base, &url, 1).await;
        let started = Instant::now();
        let n = load(&base, "load", secs, clients).await;
        let took = wait_for(&seen, n, started, Duration::from_secs(secs * 10)).await;
        let got = seen.count.load(Ordering::Relaxed);
        println!(
            "end to end: {n} accepted, {got} delivered in {took:.1} s = {:.0} deliveries/s",
            got as f64 / took
        );
        let _ = stop.send(());
        let _ = task.await;

        println!(
            "peak RSS so far (acceptance and end to end): {:.0} MiB",
            peak_rss_mib()
        );
    }

    if want("latency") {
        // 3. Acceptance-to-receipt latency at a steady 1,000 messages/s.
        let seen = Arc::new(Seen::default());
        let url = receiver(seen.clone()).await;
        let (base, stop, task) = start(Role::All, None, fresh_store(pg).await).await;
        setup(&base, &url, 1).await;
        let n = steady(&base, 1_000, secs).await;
        wait_for(&seen, n, Instant::now(), Duration::from_secs(30)).await;
        let mut l = std::mem::take(
            &mut *seen
                .latencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        l.sort_unstable();
        println!(
            "latency at 1,000 messages/s for {secs} s: {} delivered, send-to-receipt p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            l.len(),
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            percentile(&l, 1.0)
        );
        let _ = stop.send(());
        let _ = task.await;

        println!(
            "peak RSS so far (after the latency phase): {:.0} MiB",
            peak_rss_mib()
        );
    }

    if want("backlog") {
        // 4. Draining a backlog: accepted with no worker running, then delivered by a worker
        // started on the same data directory.
        let backlog = 50_000;
        let dir = std::env::temp_dir().join(hookline::ids::new_id("loadtest"));
        let seen = Arc::new(Seen::default());
        let url = receiver(seen.clone()).await;
        let db = fresh_store(pg).await;
        let (base, stop, task) = start(Role::Api, Some(dir.clone()), db.clone()).await;
        setup(&base, &url, 1).await;
        let mut queued = 0;
        while queued < backlog {
            queued += load(&base, "load", 1, clients).await;
        }
        let _ = stop.send(());
        let _ = task.await;
        let started = Instant::now();
        let (_, stop, task) = start(Role::Worker, Some(dir), db).await;
        let took = wait_for(&seen, queued, started, Duration::from_secs(600)).await;
        let got = seen.count.load(Ordering::Relaxed);
        println!(
            "backlog: {got} of {queued} delivered in {took:.1} s = {:.0} deliveries/s",
            got as f64 / took
        );
        let _ = stop.send(());
        let _ = task.await;

        println!(
            "peak RSS so far (after the backlog phase): {:.0} MiB",
            peak_rss_mib()
        );
    }

    if want("fanout") {
        // 5. Fan-out: one message to 100 endpoints; then 1,000 messages/s for a second, each
        // to all 100.
        let seen = Arc::new(Seen::default());
        let url = receiver(seen.clone()).await;
        let (base, stop, task) = start(Role::All, None, fresh_store(pg).await).await;
        setup(&base, &url, 100).await;
        let c = reqwest::Client::new();
        let started = Instant::now();
        let r = c
            .post(format!("{base}/api/v1/app/load/msg"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"eventType": "load", "payload": {"blob": "x".repeat(1000)}}))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 202);
        let one = wait_for(&seen, 100, started, Duration::from_secs(60)).await;
        let started = Instant::now();
        let n = steady(&base, 1_000, 1).await;
        let accepted_in = started.elapsed().as_secs_f64();
        let rss_accepting = peak_rss_mib();
        let expected = 100 + n * 100;
        let took = wait_for(&seen, expected, started, Duration::from_secs(600)).await;
        let got = seen.count.load(Ordering::Relaxed) - 100;
        println!(
            "fan-out to 100 endpoints: one message reached all 100 in {:.1} ms; {n} messages accepted in 1 s, {got} of {} deliveries made in {took:.1} s = {:.0} deliveries/s",
            one * 1000.0,
            n * 100,
            got as f64 / took
        );
        let _ = stop.send(());
        let _ = task.await;
        println!(
            "fan-out: the 1,000 messages were accepted {accepted_in:.2} s after the first was sent; peak RSS by then {rss_accepting:.0} MiB"
        );
        println!(
            "peak RSS of the whole process (server, clients and receiver): {:.0} MiB",
            peak_rss_mib()
        );
    }

    let Some(pg) = pg.filter(|_| want("nodes")) else {
        return;
    };

    // 6. Two nodes on one database (both in this process, on the same two cores as
    // PostgreSQL): acceptance through both; then both accepting and delivering.
    let db = pg.fresh().await;
    let (a, stop_a, task_a) = start(Role::Api, None, Some(db.clone())).await;
    let (b, stop_b, task_b) = start(Role::Api, None, Some(db)).await;
    setup(&a, "http://127.0.0.1:9/unused", 1).await;
    let (na, nb) = tokio::join!(
        load(&a, "load", secs, clients / 2),
        load(&b, "load", secs, clients / 2)
    );
    println!(
        "two nodes, acceptance: {} messages in {secs} s with {clients} clients = {:.0} messages/s",
        na + nb,
        (na + nb) as f64 / secs as f64
    );
    for (stop, task) in [(stop_a, task_a), (stop_b, task_b)] {
        let _ = stop.send(());
        let _ = task.await;
    }
    let seen = Arc::new(Seen::default());
    let url = receiver(seen.clone()).await;
    let db = pg.fresh().await;
    let (a, stop_a, task_a) = start(Role::All, None, Some(db.clone())).await;
    let (b, stop_b, task_b) = start(Role::All, None, Some(db)).await;
    setup(&a, &url, 1).await;
    let started = Instant::now();
    let (na, nb) = tokio::join!(
        load(&a, "load", secs, clients / 2),
        load(&b, "load", secs, clients / 2)
    );
    let took = wait_for(&seen, na + nb, started, Duration::from_secs(secs * 20)).await;
    let got = seen.count.load(Ordering::Relaxed);
    println!(
        "two nodes, end to end: {} accepted, {got} delivered in {took:.1} s = {:.0} deliveries/s",
        na + nb,
        got as f64 / took
    );
    for (stop, task) in [(stop_a, task_a), (stop_b, task_b)] {
        let _ = stop.send(());
        let _ = task.await;
    }
    pg.drop_all().await;
}
