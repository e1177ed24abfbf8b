//! Refused requests: each says which check failed, is kept with its diagnosis, and is never
//! forwarded; sizes and unknown sources.

use reqwest::StatusCode;
use serde_json::json;

use super::{destination, gateway_app, now, post_in, signed, source};
use crate::receiver::Receiver;

#[tokio::test]
async fn forgeries_are_refused_with_their_reason_and_kept_with_a_diagnosis() {
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let secret = "whsec_stripe_reject_0123456789";
    let src = source(
        &app,
        json!({"name": "st", "uid": "st", "scheme": "stripe", "secrets": [secret]}),
    )
    .await;
    destination(&app, &src, &rx).await;
    let body = br#"{"id":"evt_x","type":"charge.failed"}"#;

    // A tampered body.
    let headers = signed("stripe", secret, None, body, now());
    let (s, v) = post_in(
        &app,
        "st",
        "application/json",
        &headers,
        br#"{"id":"evt_x","type":"charge.paid"}"#,
    )
    .await;
    assert_eq!(
        (s, v["detail"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("no signature matched")),
        "{v}"
    );
    assert_eq!(v["code"], "verification_failed");
    // The wrong secret.
    let wrong = signed("stripe", "whsec_someone_else_0123456789", None, body, now());
    let (s, v) = post_in(&app, "st", "application/json", &wrong, body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let detail = v["detail"].as_str().expect("detail");
    assert!(
        !detail.contains(secret) && !detail.contains("someone_else"),
        "{detail}"
    );
    // A stale timestamp.
    let stale_at = hookline_sig::UnixTime::from_secs(now().secs() - 412);
    let stale = signed("stripe", secret, None, body, stale_at);
    let (s, v) = post_in(&app, "st", "application/json", &stale, body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let detail = v["detail"].as_str().expect("detail");
    assert!(detail.starts_with("stale timestamp, 41"), "{detail}");
    // No signature header at all.
    let (s, v) = post_in(&app, "st", "application/json", &[], body).await;
    assert_eq!(
        (s, v["detail"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("missing header Stripe-Signature")
        ),
        "{v}"
    );
    assert_eq!(v["code"], "missing_headers");

    // Kept (the log is written in the background), with the reason and a diagnosis.
    let mut rejected = serde_json::Value::Null;
    for _ in 0..100 {
        rejected = app.get("/api/v1/source/st/request?status=rejected").await.1;
        if rejected["data"].as_array().is_some_and(|d| d.len() == 4) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let data = rejected["data"].as_array().expect("list");
    assert_eq!(data.len(), 4, "{rejected}");
    let reasons: Vec<&str> = data
        .iter()
        .map(|r| r["reason"].as_str().expect("reason"))
        .collect();
    assert!(
        reasons.contains(&"missing header Stripe-Signature"),
        "{reasons:?}"
    );
    // The tampered one (found by its body: requests received in one millisecond have
    // ids in no particular order): the diagnosis names its findings.
    let mut detail = serde_json::Value::Null;
    for r in data {
        let id = r["id"].as_str().expect("id");
        let (s, d) = app.get(&format!("/api/v1/source/st/request/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        if d["body"] == r#"{"id":"evt_x","type":"charge.paid"}"# {
            detail = d;
        }
    }
    assert!(
        detail.is_object(),
        "the tampered request is kept: {rejected}"
    );
    let findings = detail["diagnosis"].as_array().expect("diagnosis");
    assert!(!findings.is_empty(), "{detail}");
    assert!(
        findings
            .iter()
            .all(|f| f["message"].is_string() && f["fix"].is_string())
    );
    // The stale one: the diagnosis speaks of the clock.
    let stale_req = data
        .iter()
        .find(|r| {
            r["reason"]
                .as_str()
                .is_some_and(|t| t.starts_with("stale timestamp"))
        })
        .and_then(|r| r["id"].as_str())
        .expect("the stale request is kept");
    let (_, detail) = app
        .get(&format!("/api/v1/source/st/request/{stale_req}"))
        .await;
    let kinds: Vec<&str> = detail["diagnosis"]
        .as_array()
        .expect("d")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert!(kinds.contains(&"TimestampSkew"), "{kinds:?}");

    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(rx.received().is_empty(), "a rejected request was forwarded");
    app.stop().await;
}

#[tokio::test]
async fn missing_headers_are_a_400_for_each_scheme() {
    let app = gateway_app().await;
    for (scheme, secret, header) in [
        (
            "github",
            "gh-secret-0123456789",
            "missing header X-Hub-Signature-256",
        ),
        (
            "standard",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "missing header webhook-signature",
        ),
        (
            "wasphere",
            "wasphere-secret-0123",
            "missing header X-WaSphere-Signature",
        ),
    ] {
        source(
            &app,
            json!({"name": scheme, "uid": scheme, "scheme": scheme, "secrets": [secret]}),
        )
        .await;
        let (s, v) = post_in(&app, scheme, "application/json", &[], b"{}").await;
        assert_eq!(
            (s, v["detail"].as_str()),
            (StatusCode::BAD_REQUEST, Some(header)),
            "{scheme}: {v}"
        );
    }
    // Spectrum without its timestamp: the signature is there, the timestamp is not.
    source(&app, json!({"name": "spectrum", "uid": "spectrum", "scheme": "spectrum", "secrets": ["a3f8e29b5c7e9b2d"]})).await;
    let headers = vec![(
        "X-Spectrum-Signature".to_owned(),
        format!("v0={}", "0".repeat(64)),
    )];
    let (s, v) = post_in(&app, "spectrum", "application/json", &headers, b"{}").await;
    assert_eq!(
        (s, v["detail"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("missing header X-Spectrum-Timestamp")
        ),
        "{v}"
    );
    app.stop().await;
}

#[tokio::test]
async fn too_large_and_unknown_sources_are_refused() {
    let app = gateway_app().await;
    source(
        &app,
        json!({"name": "gh", "uid": "gh", "scheme": "github", "secrets": ["gh-secret-0123456789"]}),
    )
    .await;
    let big = vec![b'a'; 64 * 1024 + 1];
    let (s, v) = post_in(&app, "gh", "application/json", &[], &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["code"], "payload_too_large");
    // Chunked, without a length: refused once the limit is passed.
    let stream = futures_chunks(&big);
    let resp = app
        .client
        .post(app.url("/in/gh"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let (s, v) = post_in(&app, "nope", "application/json", &[], b"{}").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{v}"
    );
    app.stop().await;
}

/// `body` as a stream of 4 KiB chunks (sent chunked, with no `content-length`).
fn futures_chunks(
    body: &[u8],
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(4096).map(|c| Ok(c.to_vec())).collect();
    futures_util::stream::iter(chunks)
}
