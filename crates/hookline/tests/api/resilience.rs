//! No head-of-line blocking, and no acknowledged message lost to a SIGKILL.

use std::collections::HashSet;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{ADMIN_TOKEN, config, fresh_dir, spawn_with};
use crate::receiver::Receiver;

/// Accepts connections and never answers.
async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_endpoint_does_not_delay_healthy_ones() {
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.delivery_timeout = Duration::from_secs(60);
    let app = spawn_with(c).await;
    let app_id = app.create_app("a", None).await;
    let hole = black_hole().await;
    let healthy = Receiver::start(&[]).await;
    app.post(
        &format!("/api/v1/app/{app_id}/endpoint"),
        json!({"url": hole, "eventTypes": ["slow"]}),
    )
    .await;
    app.post(
        &format!("/api/v1/app/{app_id}/endpoint"),
        json!({"url": healthy.url, "eventTypes": ["fast"]}),
    )
    .await;

    // 10,000 deliveries queued for the black hole.
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..8 {
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/v1/app/{app_id}/msg")),
        );
        tasks.spawn(async move {
            for i in (chunk..10_000).step_by(8) {
                let r = client
                    .post(&url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&json!({"eventType": "slow", "payload": {"i": i}}))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status(), StatusCode::ACCEPTED);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }

    // Healthy deliveries still arrive promptly, one after another.
    let mut worst = Duration::ZERO;
    for i in 0..20 {
        let sent = Instant::now();
        let (s, _) = app
            .post(
                &format!("/api/v1/app/{app_id}/msg"),
                json!({"eventType": "fast", "payload": {"i": i}}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        healthy.wait_for(i + 1).await;
        worst = worst.max(sent.elapsed());
    }
    println!(
        "worst acceptance-to-receipt latency for the healthy endpoint, with 10,000 black-holed deliveries queued: {worst:?}"
    );
    assert!(
        worst < Duration::from_secs(2),
        "healthy deliveries were held up: {worst:?}"
    );
    app.stop().await;
}

/// The `hookline` binary as a child process, and the address it listens on.
fn start_server(dir: &std::path::Path) -> (Child, String) {
    let url = config(dir).database_url.expose().map(str::to_owned);
    start_node(dir, url.as_deref())
}

/// `hookline serve` on `dir`, storing in `database_url` when given. Leases are short, so
/// that a killed node's claims pass on within seconds.
pub(crate) fn start_node(dir: &std::path::Path, database_url: Option<&str>) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookline"));
    if let Some(url) = database_url {
        // Named after its data directory: the same node after a restart, so it takes back
        // its claims at once instead of waiting for their leases.
        command
            .env("HOOKLINE_DATABASE_URL", url)
            .env("HOOKLINE_NODE_ID", dir.display().to_string());
    }
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().expect("utf8"),
        ])
        .env("HOOKLINE_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HOOKLINE_SSRF_ALLOW", "127.0.0.0/8")
        .env("HOOKLINE_RETRY_SCHEDULE", "0.2,0.2,0.5,1,1,1,1,1,1")
        .env("HOOKLINE_LOG", "error")
        .env("HOOKLINE_DELIVERY_TIMEOUT", "4")
        .env("HOOKLINE_DELIVERY_LEASE_SECS", "10")
        .env("HOOKLINE_ENCRYPTION_KEY", "5a".repeat(32));
    crate::common::spawn_listening(&mut command)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_message() {
    let dir = fresh_dir();
    let rx = Receiver::start(&[]).await;
    let (mut child, base) = start_server(&dir);
    let client = reqwest::Client::new();
    let post = |base: &str, path: &str, body: serde_json::Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
    };
    let r = post(
        &base,
        "/api/v1/app",
        json!({"name": "crash", "uid": "crash"}),
    )
    .await
    .expect("app");
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post(&base, "/api/v1/app/crash/endpoint", json!({"url": rx.url}))
        .await
        .expect("endpoint");
    assert_eq!(r.status(), StatusCode::CREATED);

    // Load from four clients; kill the server with SIGKILL once 300 messages are in.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(HashSet::<String>::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let (client, base, acked) = (client.clone(), base.clone(), acknowledged.clone());
        tasks.spawn(async move {
            for i in 0..250 {
                let body = json!({"eventType": "load", "payload": {"worker": worker, "i": i}});
                match client
                    .post(format!("{base}/api/v1/app/crash/msg"))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::ACCEPTED => {
                        let v: serde_json::Value = r.json().await.expect("json");
                        acked
                            .lock()
                            .expect("lock")
                            .insert(v["id"].as_str().expect("id").to_owned());
                    }
                    _ => return,
                }
            }
        });
    }
    while acknowledged.lock().expect("lock").len() < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    while tasks.join_next().await.is_some() {}
    let before_crash = acknowledged.lock().expect("lock").len();

    // Restart on the same data directory; send some more.
    let (mut child, base) = start_server(&dir);
    for i in 0..100 {
        let r = post(
            &base,
            "/api/v1/app/crash/msg",
            json!({"eventType": "load", "payload": {"after": i}}),
        )
        .await
        .expect("send");
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let v: serde_json::Value = r.json().await.expect("json");
        acknowledged
            .lock()
            .expect("lock")
            .insert(v["id"].as_str().expect("id").to_owned());
    }
    let acked = acknowledged.lock().expect("lock").clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = rx.received();
        let ids: HashSet<String> = got
            .iter()
            .filter_map(|r| r.header("svix-id").map(str::to_owned))
            .collect();
        let missing = acked.difference(&ids).count();
        if missing == 0 {
            let duplicates = got.len() - ids.len();
            println!(
                "crash test: {} acknowledged ({} before the SIGKILL), all delivered; {} delivered twice (in flight at the kill)",
                acked.len(),
                before_crash,
                duplicates
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} acknowledged messages were never delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
