//! `hookline listen` end to end: the real binary against the real server (with its delivery
//! engine running) and a loopback receiver standing for the developer's local app.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hookline_sig::{Request, UnixTime, presets};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{ADMIN_TOKEN, TestApp, config, fresh_dir, spawn_with};
use crate::receiver::Receiver;

/// A server with its delivery engine on, on `listen` (port 0 for a new one).
async fn server(dir: &std::path::Path, listen: Option<std::net::SocketAddr>) -> TestApp {
    let mut c = config(dir);
    c.role = hookline::config::Role::All;
    if let Some(addr) = listen {
        c.listen = addr;
    }
    spawn_with(c).await
}

fn cli(app: &TestApp, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookline"));
    c.arg("listen")
        .args(["--server", &app.base, "--token", ADMIN_TOKEN])
        .args(args)
        .env_remove("HOOKLINE_SERVER")
        .env_remove("HOOKLINE_TOKEN");
    c
}

/// Starts a listener; returns once it says it is connected.
fn start(app: &TestApp, args: &[&str]) -> Child {
    let mut child = cli(app, args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookline listen starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("connected;") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the listener connects");
    child
}

async fn publish(app: &TestApp, app_id: &str, event_type: &str, i: usize) {
    let (s, m) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": event_type, "payload": {"i": i}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
}

/// The listener endpoint's attempt log once it holds `n` attempts (or as it is after 10 s,
/// for the caller's assertion to show).
async fn wait_attempts(app: &TestApp, app_id: &str, ep_id: &str, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, a) = app
            .get(&format!(
                "/api/v1/app/{app_id}/attempt/endpoint/{ep_id}?limit=250"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        if a["data"].as_array().is_some_and(|d| d.len() >= n) || Instant::now() > deadline {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn payload_index(r: &crate::receiver::Received) -> u64 {
    let v: Value = serde_json::from_slice(&r.body).expect("JSON body");
    v["i"].as_u64().expect("i")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_forwards_live_and_missed_events_in_order_once() {
    let dir = fresh_dir();
    let app = server(&dir, None).await;
    let app_id = app.create_app("dev", None).await;
    let rx = Receiver::start(&[]).await;

    // The secret a local app verifies with, for scripts.
    let out = cli(
        &app,
        &["--app", &app_id, "--name", "laptop", "--print-secret"],
    )
    .output()
    .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let secret = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");

    let args = [
        "--app",
        &app_id,
        "--name",
        "laptop",
        "--forward-to",
        &rx.url,
    ];
    let mut listener = start(&app, &args);
    for i in 0..5 {
        publish(&app, &app_id, "invoice.paid", i).await;
    }
    let got = rx.wait_for(5).await;
    // Signed as the endpoint's scheme signs (svix): verifiable with the printed secret.
    let verifier = presets::by_name("svix")
        .expect("preset")
        .verifier(&[secret.as_str()])
        .expect("key");
    for r in &got {
        verifier
            .verify(
                &Request::new(&r.headers, &r.body),
                UnixTime::from(std::time::SystemTime::now()),
            )
            .expect("the local app verifies the forwarded event");
    }

    // The CLI dies once it has reported all five (killed between forwarding an event and
    // reporting it, it would rightly get that one again: at least once); 100 events wait on
    // the server meanwhile (the engine's workers leave the listener endpoint alone); a new
    // listener gets them all, in order, once.
    let (_, ep) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/listen-laptop"))
        .await;
    let ep_id = ep["id"].as_str().expect("endpoint").to_owned();
    wait_attempts(&app, &app_id, &ep_id, 5).await;
    listener.kill().expect("kill");
    let _ = listener.wait();
    for i in 5..105 {
        publish(&app, &app_id, "invoice.paid", i).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rx.received().len(),
        5,
        "nothing was sent while no listener was connected"
    );
    let mut listener = start(&app, &args);
    let got = rx.wait_for(105).await;
    let order: Vec<u64> = got.iter().map(payload_index).collect();
    assert_eq!(
        order,
        (0..105).collect::<Vec<u64>>(),
        "in order, none twice"
    );
    let mut ids: Vec<&str> = got.iter().filter_map(|r| r.header("svix-id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 105);

    // Each forward is an attempt in the log, with the local app's status. The CLI reports
    // an event after the local app has answered it, so the last report may still be on its
    // way when the receiver has everything.
    let attempts = wait_attempts(&app, &app_id, &ep_id, 105).await;
    let data = attempts["data"].as_array().expect("data");
    assert_eq!(data.len(), 105, "{attempts}");
    assert!(
        data.iter().all(|a| a["responseStatusCode"] == 200),
        "{attempts}"
    );

    // The server restarts on the same address: the listener reconnects and carries on.
    let addr: std::net::SocketAddr = app
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    app.stop().await;
    let app = server(&dir, Some(addr)).await;
    publish(&app, &app_id, "invoice.paid", 105).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while rx.received().len() < 106 {
        assert!(Instant::now() < deadline, "the listener never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(payload_index(&rx.received()[105]), 105);
    listener.kill().expect("kill");
    let _ = listener.wait();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_routes_event_types_and_exits_on_disconnect_when_asked() {
    let dir = fresh_dir();
    let app = server(&dir, None).await;
    let app_id = app.create_app("routes", None).await;
    let invoices = Receiver::start(&[]).await;
    let rest = Receiver::start(&[]).await;
    let route = format!("invoice.*={}", invoices.url);
    let mut listener = start(
        &app,
        &[
            "--app",
            &app_id,
            "--forward",
            &route,
            "--forward-to",
            &rest.url,
            "--exit-on-disconnect",
            "--only-new",
        ],
    );
    publish(&app, &app_id, "invoice.paid", 0).await;
    publish(&app, &app_id, "user.created", 1).await;
    publish(&app, &app_id, "invoice.voided", 2).await;
    let inv = invoices.wait_for(2).await;
    let other = rest.wait_for(1).await;
    assert_eq!(inv.iter().map(payload_index).collect::<Vec<_>>(), [0, 2]);
    assert_eq!(payload_index(&other[0]), 1);

    // The server goes away: the listener exits with code 4 instead of reconnecting.
    app.stop().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = listener.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "the listener did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(4), "{status:?}");
}

#[tokio::test]
async fn listen_refuses_an_endpoint_that_is_not_a_listener() {
    let app = crate::common::spawn_app().await;
    let app_id = app.create_app("plain", None).await;
    let (ep, _) =
        crate::delivery::endpoint(&app, &app_id, json!({"url": "https://example.com/hook"})).await;
    let (s, v) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep}/listen"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "conflict");
    let (s, v) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{ep}/listen/result"),
            json!({"msgId": "msg_x", "leaseUntil": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    app.stop().await;
}

/// `--source`: a provider's webhook accepted at `/in` reaches the local app byte for byte,
/// with the provider's own signature header, which verifies with the provider's secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_source_forwards_the_providers_request_unchanged() {
    const SECRET: &str = "It's a Secret to Everybody";
    let app = crate::gateway::gateway_app().await;
    crate::gateway::source(
        &app,
        json!({"name": "GitHub", "uid": "gh", "scheme": "github", "secrets": [SECRET]}),
    )
    .await;
    let rx = Receiver::start(&[]).await;
    let mut listener = start(&app, &["--source", "gh", "--forward-to", &rx.url]);
    let body = br#"{"action":"opened","number":1}"#;
    let mut headers = crate::gateway::signed(
        "github",
        SECRET,
        Some("0b2c-delivery"),
        body,
        crate::gateway::now(),
    );
    headers.push(("x-github-event".into(), "pull_request".into()));
    let (s, v) = crate::gateway::post_in(&app, "gh", "application/json", &headers, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].body, body, "the raw bytes, not re-serialized");
    // GitHub's construction, written here: sha256= and the hex HMAC of the body.
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let expected = format!("sha256={}", hex::encode(ring::hmac::sign(&key, body)));
    assert_eq!(
        got[0].header("x-hub-signature-256"),
        Some(expected.as_str())
    );
    listener.kill().expect("kill");
    let _ = listener.wait();
    app.stop().await;
}
