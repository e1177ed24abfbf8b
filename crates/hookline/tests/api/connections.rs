//! Client connections: the head, body and keep-alive deadlines, the cap, and a SIGTERM that
//! ends within its grace while clients hold half-sent requests. Raw sockets on loopback
//! play the slow and silent clients.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::{ADMIN_TOKEN, TestApp, config, fresh_dir, spawn_with};

const HALF_A_HEAD: &[u8] = b"POST /api/v1/app HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";

/// A server with short connection deadlines.
async fn spawn_short(header: f64, body: f64, idle: f64, cap: usize) -> TestApp {
    let mut c = config(&fresh_dir());
    c.header_timeout = Duration::from_secs_f64(header);
    c.body_timeout = Duration::from_secs_f64(body);
    c.keep_alive_timeout = Duration::from_secs_f64(idle);
    c.max_connections = cap;
    spawn_with(c).await
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (EOF or reset) and returns what came
/// first, or `None` if it is still open after `wait`.
async fn closed_within(socket: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// One complete response on a kept-alive connection (the health check: no token needed).
async fn health_over(socket: &mut TcpStream) -> String {
    socket
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buf))
        .await
        .expect("answered in time")
        .expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.metrics_text().await;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_half_sent_heads_do_not_block_the_api_and_are_closed_after_the_deadline() {
    let app = spawn_short(1.0, 30.0, 60.0, 1000).await;
    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..250 {
        let mut s = TcpStream::connect(addr(&app)).await.expect("connect");
        s.write_all(HALF_A_HEAD).await.expect("write");
        held.push(s);
    }
    // The API still answers, at once.
    let asked = Instant::now();
    let (status, _) = app.get("/api/v1/app").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "answered after {:?}",
        asked.elapsed()
    );
    // Open until the head deadline, closed soon after it.
    assert!(started.elapsed() < Duration::from_millis(800));
    assert!(
        closed_within(&mut held[0], Duration::from_millis(100))
            .await
            .is_none(),
        "closed before the head deadline"
    );
    for s in &mut held {
        let left = Duration::from_secs(3).saturating_sub(started.elapsed());
        assert!(
            closed_within(s, left).await.is_some(),
            "a half-sent head still open {:?} after it was sent",
            started.elapsed()
        );
    }
    assert!(
        metric(
            &app,
            "hookline_connections_timed_out_total{phase=\"headers\"}"
        )
        .await
            >= 250
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_outlives_the_head_deadline_and_closes_after_its_own() {
    let app = spawn_short(0.5, 30.0, 1.5, 1000).await;
    let mut s = TcpStream::connect(addr(&app)).await.expect("connect");
    let first = health_over(&mut s).await;
    assert!(first.starts_with("HTTP/1.1 2"), "{first}");
    // Idle for longer than the head deadline: still kept alive, and still serving.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let second = health_over(&mut s).await;
    assert!(second.starts_with("HTTP/1.1 2"), "{second}");
    let idle_since = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_millis(1200))
            .await
            .is_none(),
        "closed before the keep-alive timeout"
    );
    assert_eq!(
        closed_within(&mut s, Duration::from_secs(2)).await,
        Some(Vec::new()),
        "still open {:?} after its last response",
        idle_since.elapsed()
    );
    assert!(metric(&app, "hookline_connections_timed_out_total{phase=\"idle\"}").await >= 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_is_cut_off_at_the_body_deadline_and_nothing_is_stored() {
    let app = spawn_short(5.0, 1.0, 60.0, 1000).await;
    let body = json!({"name": "slow", "uid": "slow-body"}).to_string();
    let mut s = TcpStream::connect(addr(&app)).await.expect("connect");
    let head = format!(
        "POST /api/v1/app HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("head");
    let sent = Instant::now();
    // A byte every 100 ms: each one in time, the whole far too slow. Stop one short of
    // the end, so that the request can only end by the deadline.
    let mut cut = None;
    for b in &body.as_bytes()[..body.len() - 1] {
        if s.write_all(&[*b]).await.is_err() {
            cut = Some(sent.elapsed());
            break;
        }
        if let Some(answer) = closed_within(&mut s, Duration::from_millis(100)).await {
            assert!(answer.is_empty() || String::from_utf8_lossy(&answer).contains(" 408 "));
            cut = Some(sent.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow body was never cut off");
    assert!(
        cut >= Duration::from_millis(900) && cut < Duration::from_millis(2000),
        "cut off after {cut:?}"
    );
    let (status, _) = app.get("/api/v1/app/slow-body").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(metric(&app, "hookline_connections_timed_out_total{phase=\"body\"}").await >= 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_answered_503_at_once_and_counted() {
    let app = spawn_short(10.0, 30.0, 60.0, 20).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(addr(&app)).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..5 {
        let mut extra = TcpStream::connect(addr(&app)).await.expect("connect");
        let asked = Instant::now();
        let answer = closed_within(&mut extra, Duration::from_secs(1))
            .await
            .expect("refused at once");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
        assert!(text.contains("\"code\":\"too_many_connections\""), "{text}");
        assert!(asked.elapsed() < Duration::from_millis(500));
    }
    // A slot freed is a slot taken again.
    held.pop();
    let deadline = Instant::now() + Duration::from_secs(2);
    let refused = loop {
        let r = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await;
        if let Ok(r) = r
            && r.status() == StatusCode::OK
        {
            let text = r.text().await.expect("text");
            break text
                .lines()
                .find_map(|l| l.strip_prefix("hookline_connections_refused_total "))
                .expect("counter")
                .parse::<u64>()
                .expect("number");
        }
        assert!(Instant::now() < deadline, "no slot freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(refused >= 5, "{refused} refusals counted");
    app.stop().await;
}

/// `hookline serve` on `dir` with a 2 s shutdown grace and deadlines longer than it.
fn start_serve(dir: &std::path::Path) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookline"));
    if let Some(url) = config(dir).database_url.expose() {
        command
            .env("HOOKLINE_DATABASE_URL", url)
            .env("HOOKLINE_NODE_ID", dir.display().to_string());
    }
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--role", "api"])
        .arg("--data-dir")
        .arg(dir)
        .env("HOOKLINE_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HOOKLINE_ENCRYPTION_KEY", "5a".repeat(32))
        .env("HOOKLINE_LOG", "error")
        .env("HOOKLINE_SHUTDOWN_GRACE_SECS", "2")
        .env("HOOKLINE_HEADER_TIMEOUT_SECS", "60")
        .env("HOOKLINE_BODY_TIMEOUT_SECS", "60");
    crate::common::spawn_listening(&mut command)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_half_sent_requests_exits_within_the_grace_and_keeps_what_was_acknowledged() {
    let dir = fresh_dir();
    let (mut child, base) = start_serve(&dir);
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/app"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": "term", "uid": "term"}))
        .send()
        .await
        .expect("app");
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = client
        .post(format!("{base}/api/v1/app/term/msg"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"eventType": "before.term", "payload": {"n": 1}}))
        .send()
        .await
        .expect("message");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let acked: serde_json::Value = r.json().await.expect("json");
    let msg_id = acked["id"].as_str().expect("id").to_owned();

    // Half-sent heads, and complete heads whose bodies stop halfway.
    let host = base.trim_start_matches("http://");
    let mut held = Vec::new();
    for i in 0..200 {
        let mut s = TcpStream::connect(host).await.expect("connect");
        if i % 2 == 0 {
            s.write_all(HALF_A_HEAD).await.expect("write");
        } else {
            let head = format!(
                "POST /api/v1/app/term/msg HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"eventType\":"
            );
            s.write_all(head.as_bytes()).await.expect("write");
        }
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(6) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 6 s after SIGTERM, with a 2 s grace");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(
        took >= Duration::from_millis(1900),
        "exited after {took:?}: the grace was not given"
    );
    println!("SIGTERM with 200 half-sent requests: exited after {took:?} (grace 2 s)");
    for s in &mut held {
        assert!(closed_within(s, Duration::from_millis(500)).await.is_some());
    }

    // What was acknowledged before the signal is there after a restart.
    let (mut child, base) = start_serve(&dir);
    let r = client
        .get(format!("{base}/api/v1/app/term/msg/{msg_id}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
