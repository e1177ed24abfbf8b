//! Several nodes on one PostgreSQL database, one of them killed mid-run. Runs when the suite
//! runs on PostgreSQL (`HOOKLINE_TEST_POSTGRES`, as `.ci/run` sets it); on SQLite there is
//! only ever one node, and the test says so and passes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{ADMIN_TOKEN, config, fresh_dir};
use crate::receiver::Receiver;
use crate::resilience::start_node;

/// The PostgreSQL server a test's configuration points at; `None`, saying so, on a SQLite
/// run, where these tests have nothing to do.
fn shared_database(c: &hookline::config::Config, test: &str) -> Option<String> {
    let url = c.database_url.expose().map(str::to_owned);
    if url.is_none() {
        println!("{test} test: SQLite run, nothing to do (set HOOKLINE_TEST_POSTGRES)");
    }
    url
}

const MESSAGES: usize = 10_000;
const RECEIVERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_one_killed_lose_no_acknowledged_message() {
    let first_dir = fresh_dir();
    let Some(url) = shared_database(&config(&first_dir), "multi-node") else {
        return;
    };
    let mut nodes = Nodes(Vec::new());
    let mut bases = Vec::new();
    for i in 0..3 {
        let dir = if i == 0 {
            first_dir.clone()
        } else {
            fresh_dir()
        };
        let (child, base) = start_node(&dir, Some(&url));
        nodes.0.push(child);
        bases.push(base);
    }
    let client = reqwest::Client::new();

    // One application, one endpoint per receiver, each taking one event type.
    let mut receivers = Vec::new();
    let r = client
        .post(format!("{}/api/v1/app", bases[0]))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": "multi", "uid": "multi"}))
        .send()
        .await
        .expect("app");
    assert_eq!(r.status(), StatusCode::CREATED);
    for i in 0..RECEIVERS {
        let rx = Receiver::start(&[]).await;
        let r = client
            .post(format!("{}/api/v1/app/multi/endpoint", bases[i % 3]))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"url": rx.url, "filterTypes": [format!("t{i}")]}))
            .send()
            .await
            .expect("endpoint");
        assert_eq!(r.status(), StatusCode::CREATED);
        receivers.push(rx);
    }

    // Sixteen clients send through all three nodes, round robin; node 2 is killed with
    // SIGKILL once a third of the messages are in. A request that fails (to the dead node)
    // is sent again through another, as a client of a load balancer would.
    let acknowledged = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let (client, bases, acked, killed) = (
            client.clone(),
            bases.clone(),
            acknowledged.clone(),
            killed.clone(),
        );
        tasks.spawn(async move {
            for n in (worker..MESSAGES).step_by(16) {
                let body = json!({"eventType": format!("t{}", n % RECEIVERS), "payload": {"n": n}});
                let mut node = n % 3;
                loop {
                    if node == 2 && killed.load(std::sync::atomic::Ordering::Acquire) {
                        node = n % 2;
                    }
                    let sent = client
                        .post(format!("{}/api/v1/app/multi/msg", bases[node]))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == StatusCode::ACCEPTED => {
                            let v: serde_json::Value = r.json().await.expect("json");
                            let id = v["id"].as_str().expect("id").to_owned();
                            acked.lock().expect("lock").insert(id, n % RECEIVERS);
                            break;
                        }
                        Ok(r) => panic!("node {node} answered {}", r.status()),
                        Err(_) => node = n % 2,
                    }
                }
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < MESSAGES / 3 {
        assert!(Instant::now() < deadline, "the nodes stopped accepting");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut victim = nodes.0.remove(2);
    killed.store(true, std::sync::atomic::Ordering::Release);
    victim.kill().expect("SIGKILL");
    victim.wait().expect("reaped");
    let at_kill = acknowledged.lock().expect("lock").len();
    while let Some(t) = tasks.join_next().await {
        t.expect("client task");
    }
    let acked = acknowledged.lock().expect("lock").clone();
    assert_eq!(acked.len(), MESSAGES, "every message acknowledged once");

    // Every acknowledged message reaches its receiver; leases of the dead node run out (10 s)
    // and the other nodes take its claims.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    loop {
        let mut missing = 0;
        let mut duplicates = 0;
        for (i, rx) in receivers.iter().enumerate() {
            let got = rx.received();
            let ids: HashSet<String> = got
                .iter()
                .filter_map(|r| r.header("svix-id").map(str::to_owned))
                .collect();
            duplicates += got.len() - ids.len();
            missing += acked
                .iter()
                .filter(|(id, r)| **r == i && !ids.contains(*id))
                .count();
        }
        if missing == 0 {
            println!(
                "multi-node test: {MESSAGES} acknowledged by 3 nodes ({at_kill} when node 2 was killed), all delivered to {RECEIVERS} receivers; {duplicates} delivered twice (claimed by the killed node)"
            );
            // Only what the dead node held can go out twice: at most its claims in hand,
            // twice its concurrency (256 by default).
            assert!(duplicates <= 512, "{duplicates} duplicates");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} acknowledged messages were never delivered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(nodes);
}

/// The node processes, stopped (SIGTERM, then reaped) however the test ends.
struct Nodes(Vec<std::process::Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// The database drops every connection of the server (as on a failover or a restart of
/// PostgreSQL): the server stays up, answers again, and delivers what it accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_its_database_connections_dropping() {
    let dir = fresh_dir();
    let mut c = config(&dir);
    let Some(url) = shared_database(&c, "connection-drop") else {
        return;
    };
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.role = hookline::config::Role::All;
    let app = crate::common::spawn_with(c).await;
    let rx = Receiver::start(&[]).await;
    let app_id = app.create_app("drop", None).await;
    crate::delivery::endpoint(&app, &app_id, json!({"url": rx.url})).await;

    let database = url.rsplit('/').next().expect("name").to_owned();
    let server = url.trim_end_matches(&format!("/{database}")).to_owned();
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{server}/postgres"))
            .await
            .expect("admin connection");
    for round in 0..3 {
        let killed: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&database)
        .fetch_all(&mut admin)
        .await
        .expect("terminate");
        assert!(!killed.is_empty(), "the server had connections open");
        // At most a few requests fail while the pool finds its connections dead; then the
        // server answers again, without a restart.
        let mut accepted = false;
        for _ in 0..50 {
            let (s, _) = app
                .post(
                    &format!("/api/v1/app/{app_id}/msg"),
                    json!({"eventType": "t", "payload": {"round": round}}),
                )
                .await;
            if s == StatusCode::ACCEPTED {
                accepted = true;
                break;
            }
            assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(accepted, "the server answers again after round {round}");
        rx.wait_for(round + 1).await;
    }
    app.stop().await;
}

/// A database that cannot be reached stops the start with a message that says so (and
/// does not show the password).
#[tokio::test]
async fn an_unreachable_database_fails_the_start_clearly() {
    // Port 9 (discard) on loopback: nothing listens there.
    let mut c = config(&fresh_dir());
    c.database_url = hookline::config::Secret::new(Some(
        "postgres://postgres:hunter2@127.0.0.1:9/hookline".into(),
    ));
    c.database_connect_timeout = Duration::from_secs(2);
    let err = hookline::server::Application::build(&c)
        .await
        .err()
        .expect("refuses to start");
    let text = format!("{err:#}");
    assert!(text.contains("connecting to PostgreSQL at"), "{text}");
    assert!(text.contains("127.0.0.1:9"), "{text}");
    assert!(!text.contains("hunter2"), "the password is shown: {text}");
}

/// A message accepted by an API node reaches an idle worker on another node through
/// `LISTEN/NOTIFY` at once, not at the worker's next poll (every 500 ms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_on_another_node_is_woken_at_once() {
    let mut api = config(&fresh_dir());
    let Some(url) = shared_database(&api, "wake-up") else {
        return;
    };
    let key = hookline::config::Secret::new(Some("6b".repeat(32)));
    api.encryption_key = key.clone();
    let mut worker = config(&fresh_dir());
    worker.database_url = hookline::config::Secret::new(Some(url));
    worker.encryption_key = key;
    worker.role = hookline::config::Role::Worker;
    worker.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    let api = crate::common::spawn_with(api).await;
    let worker = crate::common::spawn_with(worker).await;
    let rx = Receiver::start(&[]).await;
    let app_id = api.create_app("wake", None).await;
    crate::delivery::endpoint(&api, &app_id, json!({"url": rx.url})).await;
    let mut latencies = Vec::new();
    for i in 0..10 {
        // Each message goes out just after the worker went idle again.
        let sent = Instant::now();
        let (s, _) = api
            .post(
                &format!("/api/v1/app/{app_id}/msg"),
                json!({"eventType": "t", "payload": {"i": i}}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        while rx.received().len() < i + 1 {
            assert!(sent.elapsed() < Duration::from_secs(10), "never delivered");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort_unstable();
    println!(
        "wake-up test: accept-to-receipt across nodes, median {:?}, max {:?}",
        latencies[5], latencies[9]
    );
    // By polling alone the median would be most of the 500 ms interval.
    assert!(latencies[5] < Duration::from_millis(200), "{latencies:?}");
    worker.stop().await;
    api.stop().await;
}

/// A node's configuration on the shared database `url`: delivering to loopback, with the
/// key every node shares.
fn node_config(url: &str, role: hookline::config::Role) -> hookline::config::Config {
    let mut c = config(&fresh_dir());
    c.database_url = hookline::config::Secret::new(Some(url.to_owned()));
    c.encryption_key = hookline::config::Secret::new(Some("7c".repeat(32)));
    c.role = role;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(200); 5];
    c
}

/// An endpoint's `throttleRate` holds for all nodes together, not for each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_rate_holds_across_three_nodes() {
    let Some(url) = shared_database(&config(&fresh_dir()), "throttle") else {
        return;
    };
    // One delivery at a time per node for the endpoint, so that all three nodes share
    // the work rather than the first to claim taking it all.
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let mut c = node_config(&url, hookline::config::Role::All);
        c.delivery_per_endpoint = 1;
        nodes.push(crate::common::spawn_with(c).await);
    }
    let rx = Receiver::start(&[]).await;
    let app_id = nodes[0].create_app("throttled", None).await;
    crate::delivery::endpoint(
        &nodes[1],
        &app_id,
        json!({"url": rx.url, "throttleRate": 10}),
    )
    .await;
    // 30 messages through the three nodes: at 10/s for the endpoint they take about 3 s;
    // a throttle per node would let 30/s through and take about one.
    for i in 0..30 {
        let (s, _) = nodes[i % 3]
            .post(
                &format!("/api/v1/app/{app_id}/msg"),
                json!({"eventType": "t", "payload": {"i": i}}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let got = rx.wait_for(30).await;
    let mut at: Vec<Instant> = got.iter().map(|r| r.at).collect();
    at.sort_unstable();
    let span = at[29] - at[0];
    let busiest = (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .take_while(|t| **t - at[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    println!(
        "throttle test: 30 deliveries at 10/s through 3 nodes took {span:?}; at most {busiest} in any second"
    );
    assert!(span >= Duration::from_millis(2_600), "{span:?}");
    assert!(busiest <= 12, "{busiest} deliveries within one second");
    for n in nodes {
        n.stop().await;
    }
}

/// When one node's circuit breaker opens, another node does not send to the endpoint
/// either until the open period ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_circuit_holds_for_a_node_that_saw_no_failure() {
    let Some(url) = shared_database(&config(&fresh_dir()), "circuit") else {
        return;
    };
    let mut first = node_config(&url, hookline::config::Role::All);
    first.breaker_threshold = 3;
    first.breaker_open = Duration::from_secs(60);
    let first = crate::common::spawn_with(first).await;
    let rx = Receiver::start(&[500; 100]).await;
    let app_id = first.create_app("failing", None).await;
    crate::delivery::endpoint(&first, &app_id, json!({"url": rx.url})).await;
    let path = format!("/api/v1/app/{app_id}/msg");
    // The first node alone: three failures open its breaker.
    for i in 0..3 {
        assert_eq!(
            first
                .post(&path, json!({"eventType": "t", "payload": {"i": i}}))
                .await
                .0,
            StatusCode::ACCEPTED
        );
        rx.wait_for(i + 1).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let opened_at = rx.received().len();
    // A second node, whose own breaker has seen nothing, starts; more messages come, and
    // the first three are due for their retries (200 ms).
    let second = crate::common::spawn_with(node_config(&url, hookline::config::Role::Worker)).await;
    for i in 3..13 {
        assert_eq!(
            first
                .post(&path, json!({"eventType": "t", "payload": {"i": i}}))
                .await
                .0,
            StatusCode::ACCEPTED
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = rx.received().len();
    println!(
        "circuit test: {opened_at} attempts opened the circuit; {} more in the 2 s after, with a second node",
        later - opened_at
    );
    assert_eq!(
        later, opened_at,
        "a node sent to an endpoint whose circuit is open"
    );
    second.stop().await;
    first.stop().await;
}
