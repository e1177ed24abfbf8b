//! The delivery engine end to end: real receivers on loopback that verify every signature.
//!
//! The helpers the tests share are here; the tests are in `signing` (what receivers verify),
//! `attempts` (retries, giving up, timeouts, throttling, the SSRF refusal, resending) and
//! `endpoint_health` (the circuit breaker, disabling, operational webhooks).

mod attempts;
mod endpoint_health;
mod signing;

use std::time::Duration;

use hookline_sig::{Request, UnixTime, presets};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, config, fresh_dir, spawn_with};
use crate::receiver::Receiver;

/// A server that may deliver to loopback, with fast retries.
async fn app_with_retries(schedule: &[f64]) -> TestApp {
    let mut c = config(&fresh_dir());
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = schedule
        .iter()
        .map(|s| Duration::from_secs_f64(*s))
        .collect();
    c.delivery_timeout = Duration::from_secs(5);
    c.role = hookline::config::Role::All;
    spawn_with(c).await
}

/// Creates an endpoint (asserting 201); its id and its signing secret.
pub(crate) async fn endpoint(app: &TestApp, app_id: &str, body: Value) -> (String, String) {
    let (s, ep) = app
        .post(&format!("/api/v1/app/{app_id}/endpoint"), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let id = ep["id"].as_str().expect("id").to_owned();
    let secret = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{id}/secret"))
        .await
        .1["key"]
        .as_str()
        .expect("key")
        .to_owned();
    (id, secret)
}

async fn send(app: &TestApp, app_id: &str, payload: Value) -> String {
    let (s, m) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "invoice.paid", "payload": payload}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    m["id"].as_str().expect("id").to_owned()
}

/// Polls until the message's delivery to the endpoint has `status_text`.
async fn wait_status(app: &TestApp, app_id: &str, msg_id: &str, status_text: &str) -> Value {
    for _ in 0..200 {
        let (_, d) = app
            .get(&format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint"))
            .await;
        if d["data"][0]["statusText"] == status_text {
            return d["data"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery of {msg_id} never became {status_text}");
}

fn verify(
    scheme: &str,
    keys: &[&str],
    r: &crate::receiver::Received,
) -> Result<hookline_sig::Verified, hookline_sig::VerifyError> {
    let v = presets::by_name(scheme)
        .expect("preset")
        .verifier(keys)
        .expect("keys");
    v.verify(
        &Request::new(&r.headers, &r.body),
        UnixTime::from(std::time::SystemTime::now()),
    )
}
