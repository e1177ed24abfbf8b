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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hookline::config::{Config, Role, Secret};
use hookline::server::Application;

const TOKEN: &str = "hk_loadtest-token-0123456789abcdef";

/// Fresh PostgreSQL databases for the phases, when the harness runs on PostgreSQL.
struct Postgres {
    server: String,
    created: std::sync::Mutex<Vec<String>>,
}

impl Postgres {
    fn from_env() -> Option<Postgres> {
        let server = std::env::var("HOOKLINE_BENCH_POSTGRES").ok()?;
        Some(Postgres {
            server: server.trim_end_matches('/').to_owned(),
            created: std::sync::Mutex::default(),
        })
    }

    async fn admin(&self) -> sqlx::PgConnection {
        use sqlx::Connection as _;
        sqlx::PgConnection::connect(&format!("{}/postgres", self.server))
            .await
            .expect("HOOKLINE_BENCH_POSTGRES answers")
    }

    async fn fresh(&self) -> String {
        let name = format!(
            "hookline_bench_{}",
            hookline::ids::new_id("b").to_ascii_lowercase()
        );
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut self.admin().await)
            .await
            .expect("create database");
        self.created.lock().expect("lock").push(name.clone());
        format!("{}/{name}", self.server)
    }

    async fn drop_all(&self) {
        let names = std::mem::take(&mut *self.created.lock().expect("lock"));
        let mut admin = self.admin().await;
        for name in names {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }
}

/// Where a phase stores: a fresh database when on PostgreSQL, else a fresh SQLite file.
async fn fresh_store(pg: Option<&Postgres>) -> Option<String> {
    match pg {
        Some(pg) => Some(pg.fresh().await),
        None => None,
    }
}

async fn start(
    role: Role,
    dir: Option<std::path::PathBuf>,
    database_url: Option<String>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(hookline::ids::new_id("loadtest")));
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir,
        admin_token: Secret::new(Some(TOKEN.into())),
        role,
        ssrf_allow: vec!["127.0.0.0/8".parse().expect("subnet")],
        database_url: Secret::new(database_url),
        database_max_connections: 32,
        encryption_key: Secret::new(Some("42".repeat(32))),
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

/// When the harness started: payloads carry their send time as microseconds since then.
static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn micros() -> u64 {
    u64::try_from(EPOCH.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// What the receiver saw: a count, and each message's send-to-receipt time (µs) when its
/// payload carries `sentAt`.
#[derive(Default)]
struct Seen {
    count: AtomicU64,
    latencies: std::sync::Mutex<Vec<u64>>,
}

/// A receiver that counts what it gets.
async fn receiver(seen: Arc<Seen>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.count.fetch_add(1, Ordering::Relaxed);
                // Only the latency phase's payloads carry `sentAt`: parse only those.
                if body.windows(9).any(|w| w == b"\"sentAt\":")
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                    && let Some(sent) = v.get("sentAt").and_then(serde_json::Value::as_u64)
                {
                    let mut l = seen
                        .latencies
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    l.push(micros().saturating_sub(sent));
                }
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

/// A keep-alive HTTP/1.1 connection that POSTs one prepared request over and over, as wrk
/// does: the load generator's own cost per request stays small, so the figure is the
/// server's more than the clients'. (The server answers with a `content-length`.)
struct RawClient {
    conn: tokio::io::BufReader<tokio::net::TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl RawClient {
    async fn connect(base: &str) -> std::io::Result<RawClient> {
        let addr = base.trim_start_matches("http://");
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(RawClient {
            conn: tokio::io::BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        })
    }

    /// Sends `request` (a whole HTTP/1.1 request) and returns the response's status.
    async fn send(&mut self, request: &[u8]) -> std::io::Result<u16> {
        use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad response");
        self.conn.get_mut().write_all(request).await?;
        self.line.clear();
        self.conn.read_line(&mut self.line).await?;
        let status: u16 = self
            .line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let mut length = 0;
        loop {
            self.line.clear();
            if self.conn.read_line(&mut self.line).await? == 0 {
                return Err(bad());
            }
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|_| bad())?;
            }
        }
        self.body.resize(length, 0);
        self.conn.read_exact(&mut self.body).await?;
        Ok(status)
    }
}

/// The whole request that POSTs `body` as a message to `app`.
fn message_request(base: &str, app: &str, body: &str) -> Vec<u8> {
    let host = base.trim_start_matches("http://");
    format!(
        "POST /api/v1/app/{app}/msg HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {TOKEN}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `clients` concurrent clients POST 1 KiB messages for `secs` seconds; returns how many
/// were accepted.
async fn load(base: &str, app: &str, secs: u64, clients: usize) -> u64 {
    let accepted = Arc::new(AtomicU64::new(0));
    let body =
        serde_json::json!({"eventType": "load", "payload": {"blob": "x".repeat(1000)}}).to_string();
    let request: Arc<[u8]> = message_request(base, app, &body).into();
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (base, accepted, request) = (base.to_owned(), accepted.clone(), request.clone());
        tasks.spawn(async move {
            let mut client = RawClient::connect(&base).await.expect("connect");
            while Instant::now() < until {
                match client.send(&request).await {
                    Ok(202) => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => {
                        client = RawClient::connect(&base).await.expect("connect");
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    accepted.load(Ordering::Relaxed)
}

/// Creates the application `load` and `endpoints` endpoints on `endpoint_url`.
async fn setup(base: &str, endpoint_url: &str, endpoints: usize) {
    let c = reqwest::Client::new();
    c.post(format!("{base}/api/v1/app"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"name": "load", "uid": "load"}))
        .send()
        .await
        .expect("app");
    for i in 0..endpoints {
        let r = c
            .post(format!("{base}/api/v1/app/load/endpoint"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"url": format!("{endpoint_url}?n={i}")}))
            .send()
            .await
            .expect("endpoint");
        assert_eq!(r.status(), 201, "creating an endpoint");
    }
}

/// Waits until `seen` has counted `n` (at most `limit`); returns the time since `from`.
async fn wait_for(seen: &Seen, n: u64, from: Instant, limit: Duration) -> f64 {
    while seen.count.load(Ordering::Relaxed) < n && from.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    from.elapsed().as_secs_f64()
}

/// Connections the steady phases send over: enough for the rates used, few enough that a
/// server falling behind makes messages wait here (their `sentAt` is when they were due,
/// so the wait counts in their latency) rather than open a connection each.
const STEADY_CONNECTIONS: usize = 64;

/// One message with `sentAt` (when it is due to go), at a steady `rate` per second for
/// `secs` seconds; returns how many were accepted.
async fn steady(base: &str, rate: u64, secs: u64) -> u64 {
    let (tx, rx) = tokio::sync::mpsc::channel::<u64>(usize::try_from(rate * secs).unwrap_or(1));
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let accepted = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..STEADY_CONNECTIONS {
        let (base, rx, accepted) = (base.to_owned(), rx.clone(), accepted.clone());
        tasks.spawn(async move {
            let mut client = RawClient::connect(&base).await.expect("connect");
            loop {
                let Some(sent_at) = rx.lock().await.recv().await else {
                    break;
                };
                let body = format!(
                    "{{\"eventType\":\"load\",\"payload\":{{\"sentAt\":{sent_at},\"blob\":\"{}\"}}}}",
                    "x".repeat(900)
                );
                match client.send(&message_request(&base, "load", &body)).await {
                    Ok(202) => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => client = RawClient::connect(&base).await.expect("connect"),
                }
            }
        });
    }
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for _ in 0..rate * secs {
        tick.tick().await;
        let _ = tx.send(micros()).await;
    }
    drop(tx);
    while tasks.join_next().await.is_some() {}
    accepted.load(Ordering::Relaxed)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
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

/// `loadtest receive`: only the receiver, for `bench/acceptance.sh --deliver` (the server
/// and wrk in processes of their own). Prints its URL, then every 100 ms the count so far.
async fn receive_only() {
    let seen = Arc::new(Seen::default());
    println!("{}", receiver(seen.clone()).await);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        println!("{}", seen.count.load(Ordering::Relaxed));
    }
}

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
