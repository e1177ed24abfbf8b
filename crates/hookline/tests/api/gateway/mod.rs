//! The inbound gateway end to end: sources, `POST /in/{source}` signed as each provider
//! signs, forwarding to real loopback receivers that verify both the provider's signature
//! and Hookline's, rejections with their reasons and diagnoses, handshakes, a crash.

mod cases;
mod crash;
mod forwarding;
mod handshakes;
mod rejections;

use std::time::Duration;

use hookline_sig::{Message, UnixTime, presets};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, config, fresh_dir, spawn_with};
use crate::receiver::Receiver;

/// A server with the delivery engine on, allowed to deliver to loopback.
pub(super) async fn gateway_app() -> TestApp {
    let mut c = config(&fresh_dir());
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(200); 3];
    c.role = hookline::config::Role::All;
    c.max_body_bytes = 64 * 1024;
    spawn_with(c).await
}

/// A source (asserting 201) and its application's id.
pub(super) async fn source(app: &TestApp, body: Value) -> Value {
    let (s, v) = app.post("/api/v1/source", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// An endpoint of the source's application pointing at `rx`; its Hookline secret.
pub(super) async fn destination(app: &TestApp, src: &Value, rx: &Receiver) -> String {
    let app_id = src["appId"].as_str().expect("appId");
    crate::delivery::endpoint(app, app_id, json!({"url": rx.url}))
        .await
        .1
}

pub(super) fn now() -> UnixTime {
    UnixTime::from(std::time::SystemTime::now())
}

/// The headers `scheme` signs `body` with at `at`, as its provider would send them, plus
/// the content type.
pub(super) fn signed(
    scheme: &str,
    secret: &str,
    id: Option<&str>,
    body: &[u8],
    at: UnixTime,
) -> Vec<(String, String)> {
    presets::by_name(scheme)
        .expect("preset")
        .sign(
            &[secret],
            &Message {
                id,
                timestamp: at,
                body,
                url: None,
            },
        )
        .expect("sign")
}

/// Posts to `/in/{source}`; the status and the JSON body.
pub(super) async fn post_in(
    app: &TestApp,
    source: &str,
    content_type: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url(&format!("/in/{source}")))
        .header("content-type", content_type)
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, v)
}

/// Verifies a forwarded request with Hookline's own headers (Svix's scheme), with the
/// `svix` crate: an implementation that is not Hookline's.
pub(super) fn verify_hookline(secret: &str, r: &crate::receiver::Received) {
    let mut headers = http::HeaderMap::new();
    for (k, v) in &r.headers {
        headers.append(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            http::HeaderValue::from_str(v).expect("value"),
        );
    }
    svix::webhooks::Webhook::new(secret)
        .expect("secret")
        .verify_ignoring_timestamp(&r.body, &headers)
        .expect("Hookline's signature verifies with the svix crate");
}
