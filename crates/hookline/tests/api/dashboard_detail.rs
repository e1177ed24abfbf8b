//! The dashboard's attempt and endpoint detail against real deliveries: the headers an
//! attempt page shows are the ones the loopback receiver got, an endpoint's own header
//! values are not kept, and a circuit opened by failures shows open with its reopen time.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{ADMIN_TOKEN, TestApp, config, fresh_dir, spawn_with, stored_bytes};
use crate::dashboard::Visitor;
use crate::receiver::Receiver;

/// A server that delivers to loopback, with fast retries.
async fn delivering(threshold: u32, open_for: Duration) -> TestApp {
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(100); 8];
    c.breaker_threshold = threshold;
    c.breaker_open = open_for;
    spawn_with(c).await
}

async fn attempts_of(app: &TestApp, app_id: &str, msg_id: &str) -> Vec<Value> {
    let (s, list) = app
        .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list["data"].as_array().expect("data").clone()
}

#[tokio::test]
async fn the_attempt_page_shows_the_headers_the_receiver_got() {
    let app = delivering(100, Duration::from_secs(30)).await;
    let rx = Receiver::start(&[]).await;
    let app_id = app.create_app("a", None).await;
    let credential = "Bearer cred-7Qx2-never-stored-with-attempts";
    let (s, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": rx.url, "signatureScheme": "standard", "headers": {"Authorization": credential}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let (s, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "invoice.paid", "payload": {"n": 1}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{msg}");
    let msg_id = msg["id"].as_str().expect("id");
    let got = rx.wait_for(1).await.remove(0);
    assert_eq!(got.header("authorization"), Some(credential));
    let mut attempts = attempts_of(&app, &app_id, msg_id).await;
    for _ in 0..100 {
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        attempts = attempts_of(&app, &app_id, msg_id).await;
    }
    let att_id = attempts[0]["id"].as_str().expect("an attempt recorded");

    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    let (s, page) = v
        .get(&format!("/app/{app_id}/msg/{msg_id}/attempt/{att_id}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let signature = got.header("webhook-signature").expect("signed");
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let value = got.header(name).expect("sent");
        assert!(
            page.contains(&format!("{name}: {value}\n")),
            "{name}: {value} on the page:\n{page}"
        );
    }
    assert!(signature.starts_with("v1,"), "{signature}");
    // Everything else Hookline set, as the receiver got it; the endpoint's header by name.
    for name in ["content-type", "user-agent", "accept"] {
        let value = got.header(name).expect("sent");
        assert!(
            page.contains(&format!("{name}: {value}\n")),
            "{name}:\n{page}"
        );
    }
    assert!(
        page.contains(
            "Authorization: <span class=\"muted\">(hidden: set from the endpoint's headers)</span>"
        ),
        "{page}"
    );
    assert!(
        !page.contains("cred-7Qx2"),
        "the credential is not on the page"
    );
    let dir = app.data_dir.clone();
    app.stop().await;
    let stored = String::from_utf8_lossy(&stored_bytes(&dir)).into_owned();
    assert!(
        !stored.contains("cred-7Qx2"),
        "the endpoint's header value is stored sealed only"
    );
    assert!(
        stored.contains(signature),
        "the signature is kept with the attempt"
    );
}

#[tokio::test]
async fn a_circuit_opened_by_failures_shows_open_with_its_reopen_time() {
    let open_for = Duration::from_secs(60);
    let app = delivering(2, open_for).await;
    let rx = Receiver::start(&[500; 20]).await;
    let app_id = app.create_app("a", None).await;
    let (s, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": rx.url}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let ep_id = ep["id"].as_str().expect("id");
    let mut v = Visitor::new(&app);
    v.sign_in(ADMIN_TOKEN).await;
    let (_, page) = v.get(&format!("/app/{app_id}/endpoint/{ep_id}")).await;
    assert!(
        page.contains(r#"<dt>Circuit</dt><dd><span class="badge ok">closed</span>"#),
        "{page}"
    );
    let started = hookline::now_millis();
    let (s, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "invoice.paid", "payload": {}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{msg}");
    rx.wait_for(2).await;
    let open = r#"<span class="badge bad">open</span> until <time datetime=""#;
    let mut page = String::new();
    for _ in 0..100 {
        page = v.get(&format!("/app/{app_id}/endpoint/{ep_id}")).await.1;
        if page.contains(open) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let until = reopen_time(&page, open);
    let finished = hookline::now_millis();
    let ms = |d: Duration| i64::try_from(d.as_millis()).expect("ms");
    let (lo, hi) = (
        hookline::api::types::format_date(started + ms(open_for)),
        hookline::api::types::format_date(finished + ms(open_for)),
    );
    assert!(
        lo <= until && until <= hi,
        "reopens {until}, {open_for:?} after the second failure ({lo} to {hi})"
    );
    // The overview's list of endpoints not delivering says the same.
    let (_, overview) = v.get("/").await;
    assert_eq!(reopen_time(&overview, open), until, "{overview}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 2, "nothing sent while open");
    app.stop().await;
}

/// The reopen time after `open` in `page`.
fn reopen_time(page: &str, open: &str) -> String {
    let at = page
        .find(open)
        .unwrap_or_else(|| panic!("no open circuit on:\n{page}"));
    page[at + open.len()..]
        .split('"')
        .next()
        .expect("a time")
        .to_owned()
}
