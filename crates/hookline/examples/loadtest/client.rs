//! The load generators: raw keep-alive HTTP/1.1 clients that POST messages as fast as they
//! can (`load`) or at a steady rate (`steady`), and the setup of the application and
//! endpoints they send to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::measure::micros;
use crate::server::TOKEN;

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
pub(crate) async fn load(base: &str, app: &str, secs: u64, clients: usize) -> u64 {
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
pub(crate) async fn setup(base: &str, endpoint_url: &str, endpoints: usize) {
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

/// Connections the steady phases send over: enough for the rates used, few enough that a
/// server falling behind makes messages wait here (their `sentAt` is when they were due,
/// so the wait counts in their latency) rather than open a connection each.
const STEADY_CONNECTIONS: usize = 64;

/// One message with `sentAt` (when it is due to go), at a steady `rate` per second for
/// `secs` seconds; returns how many were accepted.
pub(crate) async fn steady(base: &str, rate: u64, secs: u64) -> u64 {
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
