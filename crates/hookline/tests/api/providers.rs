//! Sending exactly like each provider: for the five spec providers (and Stripe and GitHub),
//! a loopback receiver written from the provider's own document, not from hookline-sig:
//! its verification as `shared/spec/schemes.md` (or the provider) describes it, then its
//! handler reading the envelope fields and headers. The receiver answers 500 first, so the
//! retry shows that the ids a receiver de-duplicates on stay the same.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use ring::hmac;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::common::{TestApp, config, fresh_dir, spawn_with};
use crate::delivery::endpoint;
use crate::receiver::{Received, Receiver};

async fn app() -> TestApp {
    let mut c = config(&fresh_dir());
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(100)];
    c.delivery_timeout = Duration::from_secs(5);
    c.role = hookline::config::Role::All;
    spawn_with(c).await
}

/// Creates an endpoint in `scheme`, sends one message to it through a receiver that answers
/// 500 then 200, and returns the two requests, the secret and the message id.
async fn two_attempts(
    scheme: &str,
    event_type: &str,
    payload: Value,
) -> (Vec<Received>, String, String) {
    let app = app().await;
    let rx = Receiver::start(&[500]).await;
    let app_id = app.create_app("a", None).await;
    let (_, secret) = endpoint(
        &app,
        &app_id,
        json!({"url": rx.url, "signatureScheme": scheme}),
    )
    .await;
    let (s, m) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": event_type, "payload": payload}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    let got = rx.wait_for(2).await;
    app.stop().await;
    (got, secret, m["id"].as_str().expect("id").to_owned())
}

fn now() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_secs()).expect("seconds")
}

/// `hex(HMAC-SHA256(secret, content))`, the construction every one of these documents gives.
fn hmac_hex(secret: &str, content: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hex::encode(hmac::sign(&key, content).as_ref())
}

fn header<'a>(r: &'a Received, name: &str) -> Result<&'a str, String> {
    r.header(name).ok_or_else(|| format!("missing {name}"))
}

/// A unix-seconds timestamp header, refused when more than 300 s from now.
fn fresh_timestamp(r: &Received, name: &str) -> Result<i64, String> {
    let ts: i64 = header(r, name)?
        .parse()
        .map_err(|_| format!("bad {name}"))?;
    if (now() - ts).abs() > 300 {
        return Err(format!("{name} outside the 300 s window"));
    }
    Ok(ts)
}

/// Stripe's and Spine's `t=…,v1=…[,v1=…]`: any `v1` over `{t}.{body}` may match.
fn verify_pairs(r: &Received, name: &str, secret: &str) -> Result<(), String> {
    let value = header(r, name)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for item in value.split(',') {
        match item.split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => v1.push(v),
            _ => {}
        }
    }
    let t = t.ok_or("no t=")?;
    let ts: i64 = t.parse().map_err(|_| "bad t")?;
    if (now() - ts).abs() > 300 {
        return Err("t outside the window".into());
    }
    let mut content = format!("{t}.").into_bytes();
    content.extend_from_slice(&r.body);
    let want = hmac_hex(secret, &content);
    if v1.iter().any(|s| *s == want) {
        Ok(())
    } else {
        Err("no v1 signature matched".into())
    }
}

/// Spectrum (spec): `X-Spectrum-Signature: v0=hex(HMAC(secret, "v0:{ts}:{body}"))`; the
/// event name in `X-Spectrum-Event`; the payload has `space.id`, `message.content`.
fn spectrum_receiver(secret: &str, r: &Received) -> Result<(String, Value), String> {
    let ts = fresh_timestamp(r, "X-Spectrum-Timestamp")?;
    let mut content = format!("v0:{ts}:").into_bytes();
    content.extend_from_slice(&r.body);
    if header(r, "X-Spectrum-Signature")? != format!("v0={}", hmac_hex(secret, &content)) {
        return Err("signature mismatch".into());
    }
    let event = header(r, "X-Spectrum-Event")?.to_owned();
    let body: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
    Ok((event, body))
}

#[tokio::test]
async fn spectrum_receivers_read_the_event_header() {
    let payload = json!({"space": {"id": "sp_1"}, "message": {"sender": {"id": "+15550100"}, "content": {"type": "text", "text": "hi"}}});
    let (got, secret, _) = two_attempts("spectrum", "messages", payload.clone()).await;
    for r in &got {
        let (event, body) = spectrum_receiver(&secret, r).expect("Spectrum's check passes");
        assert_eq!(event, "messages");
        assert_eq!(body["space"]["id"], "sp_1");
        assert_eq!(body["message"]["content"]["text"], "hi");
    }
    assert_eq!(got[0].body, got[1].body, "the retry carries the same event");
}

/// Spine's `WebhookEvent` (spec): `{id: "evt_<uuid>", type, created, livemode, api_version,
/// data: {object}}`, signed as Stripe signs.
#[derive(Debug, Deserialize, PartialEq)]
struct SpineEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    livemode: bool,
    api_version: String,
    data: SpineData,
}

#[derive(Debug, Deserialize, PartialEq)]
struct SpineData {
    object: Value,
}

#[tokio::test]
async fn spine_receivers_get_a_typed_webhook_event() {
    let (got, secret, _) = two_attempts(
        "spine",
        "run.completed",
        json!({"run": "r_1", "status": "ok"}),
    )
    .await;
    let mut events = Vec::new();
    for r in &got {
        verify_pairs(r, "Spine-Signature", &secret).expect("Spine's check passes");
        let e: SpineEvent = serde_json::from_slice(&r.body).expect("a WebhookEvent");
        assert_eq!(e.event_type, "run.completed");
        assert_eq!(e.data.object, json!({"run": "r_1", "status": "ok"}));
        assert!(e.livemode && !e.api_version.is_empty());
        let uuid = e.id.strip_prefix("evt_").expect("evt_ id");
        assert_eq!(
            (uuid.len(), uuid.matches('-').count()),
            (36, 4),
            "evt_<uuid>: {}",
            e.id
        );
        assert!(
            (now() - e.created).abs() < 60,
            "created is the message's time"
        );
        events.push(e);
    }
    assert_eq!(
        events[0], events[1],
        "the retry carries the same event: id, created, all"
    );
}

/// WaSphere (spec): `X-WaSphere-Signature: sha256=hex(HMAC(secret, body))`, a fresh
/// `X-WaSphere-Timestamp` (not signed), and the envelope `{event, deliveryId, timestamp,
/// data}`; receivers de-duplicate on `deliveryId`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct WaSphereEnvelope {
    event: String,
    delivery_id: String,
    timestamp: Value,
    data: Value,
}

fn wasphere_receiver(secret: &str, r: &Received) -> Result<WaSphereEnvelope, String> {
    fresh_timestamp(r, "X-WaSphere-Timestamp")?;
    if header(r, "X-WaSphere-Signature")? != format!("sha256={}", hmac_hex(secret, &r.body)) {
        return Err("signature mismatch".into());
    }
    serde_json::from_slice(&r.body).map_err(|e| e.to_string())
}

#[tokio::test]
async fn wasphere_receivers_read_the_envelope_and_dedupe_on_delivery_id() {
    let payload = json!({"from": "+15550100", "text": "hello"});
    let (got, secret, _) = two_attempts("wasphere", "message.received", payload.clone()).await;
    let first = wasphere_receiver(&secret, &got[0]).expect("WaSphere's check passes");
    let retry = wasphere_receiver(&secret, &got[1]).expect("WaSphere's check passes");
    assert_eq!(first.event, "message.received");
    assert_eq!(first.data, payload);
    assert!(!first.delivery_id.is_empty());
    assert!(first.timestamp.is_i64(), "{:?}", first.timestamp);
    assert_eq!(
        first, retry,
        "the retry is the same delivery: a receiver drops it as a duplicate"
    );
}

/// Spaces (spec): `X-Spaces-Signature: hex(HMAC(secret, "v0:{ts}:{body}"))`, no prefix; no
/// envelope: the body is the event.
#[tokio::test]
async fn spaces_receivers_verify_the_payload() {
    let payload = json!({"event": "space.created", "space": {"id": "s_1"}});
    let (got, secret, _) = two_attempts("spaces", "space.created", payload.clone()).await;
    for r in &got {
        let ts = fresh_timestamp(r, "X-Spaces-Request-Timestamp").expect("fresh");
        let mut content = format!("v0:{ts}:").into_bytes();
        content.extend_from_slice(&r.body);
        assert_eq!(
            r.header("X-Spaces-Signature"),
            Some(hmac_hex(&secret, &content).as_str())
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).expect("json"),
            payload
        );
    }
    assert_eq!(got[0].body, got[1].body);
}

/// Splashify (spec): `X-Splashify-Signature: sha256=hex(HMAC(secret, body))`, no timestamp;
/// the payload carries its own `eventType`.
#[tokio::test]
async fn splashify_receivers_verify_the_payload() {
    let payload = json!({"eventType": "Send", "mail": {"messageId": "abc"}, "send": {}});
    let (got, secret, _) = two_attempts("splashify", "Send", payload.clone()).await;
    for r in &got {
        let want = format!("sha256={}", hmac_hex(&secret, &r.body));
        assert_eq!(r.header("X-Splashify-Signature"), Some(want.as_str()));
        let body: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(body["eventType"], "Send");
    }
    assert_eq!(
        got[0].body, got[1].body,
        "de-duplication needs the same bytes"
    );
}

/// Stripe's Event object (docs.stripe.com/api/events/object), signed as stripe-node checks:
/// `t` and every `v1` of `Stripe-Signature` over `{t}.{body}`.
#[tokio::test]
async fn stripe_receivers_get_an_event_object() {
    let (got, secret, _) = two_attempts(
        "stripe",
        "invoice.paid",
        json!({"id": "in_1", "object": "invoice"}),
    )
    .await;
    let mut ids = Vec::new();
    for r in &got {
        verify_pairs(r, "Stripe-Signature", &secret).expect("Stripe's check passes");
        let e: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(e["object"], "event");
        assert_eq!(e["type"], "invoice.paid");
        assert_eq!(e["data"]["object"]["id"], "in_1");
        assert!(e["created"].is_i64() && e["livemode"].is_boolean());
        assert!(e["id"].as_str().is_some_and(|id| id.starts_with("evt_")));
        ids.push((e["id"].clone(), e["created"].clone()));
    }
    assert_eq!(
        ids[0], ids[1],
        "the retry carries the same event id and time"
    );
}

/// GitHub (docs.github.com, "Validating webhook deliveries"): `X-Hub-Signature-256:
/// sha256=hex(HMAC(secret, body))`; the handler routes on `X-GitHub-Event` and
/// de-duplicates on `X-GitHub-Delivery`, a GUID kept on redelivery.
#[tokio::test]
async fn github_receivers_read_event_and_delivery_headers() {
    let payload = json!({"ref": "refs/heads/main", "repository": {"full_name": "o/r"}});
    let (got, secret, _) = two_attempts("github", "push", payload.clone()).await;
    for r in &got {
        let want = format!("sha256={}", hmac_hex(&secret, &r.body));
        assert_eq!(r.header("X-Hub-Signature-256"), Some(want.as_str()));
        assert_eq!(r.header("X-GitHub-Event"), Some("push"));
        let guid = r.header("X-GitHub-Delivery").expect("X-GitHub-Delivery");
        assert_eq!(
            (guid.len(), guid.matches('-').count()),
            (36, 4),
            "a GUID: {guid}"
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).expect("json"),
            payload
        );
    }
    assert_eq!(
        got[0].header("X-GitHub-Delivery"),
        got[1].header("X-GitHub-Delivery")
    );
}
