//! A load harness (not a timed test): acceptance rate and end-to-end delivery rate on
//! embedded SQLite with durable commits, against a loopback receiver, in one process.
//!
//! Run: `cargo run --release -p hookline --example loadtest -- [seconds] [clients]`
//! Results and the machine go in BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hookline::config::{Config, Role, Secret};
use hookline::server::Application;

const TOKEN: &str = "hk_loadtest-token-0123456789abcdef";

async fn start(
    role: Role,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let dir = std::env::temp_dir().join(hookline::ids::new_id("loadtest"));
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir,
        admin_token: Secret::new(Some(TOKEN.into())),
        role,
        ssrf_allow: vec!["127.0.0.0/8".parse().expect("subnet")],
        ..Config::default()
    };
    let app = Application::build(&config).await.expect("server");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run(async move {
        let _ = rx.await;
    }));
    (base, tx, task)
}

/// A receiver that counts what it gets.
async fn receiver(count: Arc<AtomicU64>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `clients` concurrent clients POST 1 KiB messages for `secs` seconds; returns how many
/// were accepted.
async fn load(base: &str, app: &str, secs: u64, clients: usize) -> u64 {
    let accepted = Arc::new(AtomicU64::new(0));
    let payload = serde_json::json!({"blob": "x".repeat(1000)});
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (client, url, accepted, payload) = (
            reqwest::Client::new(),
            format!("{base}/api/v1/app/{app}/msg"),
            accepted.clone(),
            payload.clone(),
        );
        tasks.spawn(async move {
            while Instant::now() < until {
                let r = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .json(&serde_json::json!({"eventType": "load", "payload": payload}))
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status() == 202) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    accepted.load(Ordering::Relaxed)
}

async fn setup(base: &str, endpoint_url: Option<&str>) {
    let c = reqwest::Client::new();
    c.post(format!("{base}/api/v1/app"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"name": "load", "uid": "load"}))
        .send()
        .await
        .expect("app");
    if let Some(url) = endpoint_url {
        c.post(format!("{base}/api/v1/app/load/endpoint"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"url": url}))
            .send()
            .await
            .expect("endpoint");
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);

    // 1. Acceptance alone (API role, one endpoint so each message also queues a delivery).
    let (base, stop, task) = start(Role::Api).await;
    setup(&base, Some("http://127.0.0.1:9/unused")).await;
    let n = load(&base, "load", secs, clients).await;
    println!(
        "acceptance: {n} messages in {secs} s with {clients} clients = {:.0} messages/s",
        n as f64 / secs as f64
    );
    let _ = stop.send(());
    let _ = task.await;

    // 2. Accepting and delivering at once, to a loopback receiver.
    let received = Arc::new(AtomicU64::new(0));
    let url = receiver(received.clone()).await;
    let (base, stop, task) = start(Role::All).await;
    setup(&base, Some(&url)).await;
    let started = Instant::now();
    let n = load(&base, "load", secs, clients).await;
    while received.load(Ordering::Relaxed) < n && started.elapsed() < Duration::from_secs(secs * 10)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "end to end: {n} accepted, {} delivered in {took:.1} s = {:.0} deliveries/s",
        received.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed) as f64 / took
    );
    let _ = stop.send(());
    let _ = task.await;
    println!(
        "peak RSS of the whole process (server, clients and receiver): {:.0} MiB",
        peak_rss_mib()
    );
}
