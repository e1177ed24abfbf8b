//! The providers' URL handshakes, answered at `/in/{source}` and never forwarded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{destination, gateway_app, now, post_in, signed, source};
use crate::receiver::Receiver;

#[tokio::test]
async fn slack_and_zoom_challenges_are_answered_once_verified() {
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let slack_secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let src = source(
        &app,
        json!({"name": "slack", "uid": "slack", "scheme": "slack", "secrets": [slack_secret]}),
    )
    .await;
    assert_eq!(src["handshake"], "slack");
    destination(&app, &src, &rx).await;
    let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let resp = send(
        &app,
        "/in/slack",
        &signed("slack", slack_secret, None, body, now()),
        body,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain")
    );
    assert_eq!(
        resp.text().await.expect("text"),
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    // Unsigned, the challenge is refused like any request.
    let (s, _) = post_in(&app, "slack", "application/json", &[], body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let zoom_secret = "zoom-secret-token-0123";
    source(
        &app,
        json!({"name": "zoom", "uid": "zoom", "scheme": "zoom", "secrets": [zoom_secret]}),
    )
    .await;
    let body = br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let resp = send(
        &app,
        "/in/zoom",
        &signed("zoom", zoom_secret, None, body, now()),
        body,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.expect("json");
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, zoom_secret.as_bytes()),
        b"qgg8vlvZRS6UYooatFL8Aw",
    );
    assert_eq!(v["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(v["encryptedToken"], hex::encode(tag.as_ref()));

    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(rx.received().is_empty(), "a handshake was forwarded");
    app.stop().await;
}

#[tokio::test]
async fn meta_twitter_and_graph_handshakes() {
    let app = gateway_app().await;
    source(&app, json!({"name": "wa", "uid": "wa", "scheme": "github", "secrets": ["meta-app-secret-0123"], "handshake": "meta", "verifyToken": "meatyhamhock"})).await;
    let get = |path: String| {
        let c = app.client.clone();
        let url = app.url(&path);
        async move { c.get(url).send().await.expect("get") }
    };
    let ok = get(
        "/in/wa?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock".into(),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.expect("text"), "1158201444");
    let bad = get("/in/wa?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess".into()).await;
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    let plain = get("/in/wa".into()).await;
    assert_eq!(plain.status(), StatusCode::METHOD_NOT_ALLOWED);

    let consumer_secret = "twitter-consumer-secret-0123";
    source(&app, json!({"name": "x", "uid": "x", "scheme": "github", "secrets": [consumer_secret], "handshake": "twitter"})).await;
    let crc = get("/in/x?crc_token=9b4507b3-9040-4669-9ec7-8d4ef8a3d6b9".into()).await;
    assert_eq!(crc.status(), StatusCode::OK);
    let v: Value = crc.json().await.expect("json");
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, consumer_secret.as_bytes()),
        b"9b4507b3-9040-4669-9ec7-8d4ef8a3d6b9",
    );
    use base64::Engine as _;
    let want = format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    );
    assert_eq!(v["response_token"], want);

    source(&app, json!({"name": "graph", "uid": "graph", "scheme": "github", "secrets": ["graph-client-state-0123"], "handshake": "graph"})).await;
    let resp = app
        .client
        .post(app.url("/in/graph?validationToken=Validation%3A%20Testing%20client%20application"))
        .header("content-type", "text/plain")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain")
    );
    assert_eq!(
        resp.text().await.expect("text"),
        "Validation: Testing client application"
    );
    app.stop().await;
}

async fn send(
    app: &crate::common::TestApp,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send().await.expect("post")
}
