//! A SIGKILL in the middle of receiving loses no acknowledged event: every request answered
//! 200 is forwarded once the node is back.

use std::collections::HashSet;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{now, signed};
use crate::common::{ADMIN_TOKEN, config, spawn_with};
use crate::receiver::Receiver;

const KEY: &str = "It's a Secret to Everybody";

/// `hookline serve --role api` on `dir`: it receives, it does not deliver.
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
        .env("HOOKLINE_LOG", "error");
    crate::common::spawn_listening(&mut command)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_event_is_forwarded_after_a_sigkill() {
    let dir = crate::common::fresh_dir();
    let (mut child, base) = start_serve(&dir);
    let client = reqwest::Client::new();
    let rx = Receiver::start(&[]).await;
    let admin = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
    };
    let src: Value = admin(
        "/api/v1/source",
        json!({"name": "gh", "uid": "gh", "scheme": "github", "secrets": [KEY]}),
    )
    .await
    .expect("create source")
    .json()
    .await
    .expect("json");
    let app_id = src["appId"].as_str().expect("appId").to_owned();
    let r = admin(
        &format!("/api/v1/app/{app_id}/endpoint"),
        json!({"url": rx.url}),
    )
    .await
    .expect("endpoint");
    assert_eq!(r.status(), StatusCode::CREATED);

    // Eight senders post until the node dies; every 200 is remembered.
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (client, base, acked) = (client.clone(), base.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let delivery = format!("d-{t}-{n}");
                let body = format!("{{\"n\":{n},\"t\":{t}}}");
                let mut req = client
                    .post(format!("{base}/in/gh"))
                    .header("content-type", "application/json")
                    .header("X-GitHub-Delivery", &delivery)
                    .body(body.clone());
                for (k, v) in signed("github", KEY, None, body.as_bytes(), now()) {
                    req = req.header(k, v);
                }
                match req.send().await {
                    Ok(r) if r.status() == StatusCode::OK => {
                        acked.lock().expect("lock").insert(delivery);
                    }
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => return,
                }
            }
        }));
    }
    while acked.lock().expect("lock").len() < 150 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    for t in tasks {
        t.await.expect("sender");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 150);

    // Back up, with the delivery engine on: every acknowledged event arrives.
    let mut c = config(&dir);
    c.encryption_key = hookline::config::Secret::new(Some("5a".repeat(32)));
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.role = hookline::config::Role::All;
    let app = spawn_with(c).await;
    let mut seen = HashSet::new();
    for _ in 0..600 {
        seen = rx
            .received()
            .iter()
            .filter_map(|r| r.header("X-GitHub-Delivery").map(str::to_owned))
            .collect();
        if acked.is_subset(&seen) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let lost: Vec<_> = acked.difference(&seen).take(5).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost, e.g. {lost:?}",
        acked.difference(&seen).count()
    );
    // And each one's record in the request log, committed with it.
    let mut logged = HashSet::new();
    let mut iterator: Option<String> = None;
    loop {
        let path = match &iterator {
            Some(it) => {
                format!("/api/v1/source/gh/request?status=accepted&limit=250&iterator={it}")
            }
            None => "/api/v1/source/gh/request?status=accepted&limit=250".to_owned(),
        };
        let (_, page) = app.get(&path).await;
        for r in page["data"].as_array().expect("data") {
            logged.insert(r["eventId"].as_str().expect("eventId").to_owned());
        }
        if page["done"] == true {
            break;
        }
        iterator = page["iterator"].as_str().map(str::to_owned);
    }
    let unlogged = acked.difference(&logged).count();
    assert_eq!(unlogged, 0, "acknowledged events without their record");
    app.stop().await;
}
