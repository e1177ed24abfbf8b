use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{ADMIN_TOKEN, spawn_app, spawn_with};

#[tokio::test]
async fn missing_or_wrong_token_is_401_with_a_body() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/app"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["code"], "authentication_failed");
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let (s, v) = app
        .call_as("hk_wrong", Method::GET, "/api/v1/app", None)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("authentication_failed"))
    );
    let r = app
        .client
        .get(app.url("/api/v1/app"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn bad_bodies_get_precise_errors_never_500() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let raw = |path: String, body: &'static str, content_type: &'static str| {
        let req = app
            .client
            .post(app.url(&path))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", content_type)
            .body(body);
        async move {
            let r = req.send().await.expect("send");
            (
                r.status(),
                r.json::<serde_json::Value>()
                    .await
                    .expect("every error has a JSON body"),
            )
        }
    };
    // Malformed JSON: 400 invalid_json.
    let (s, v) = raw("/api/v1/app".into(), "{\"name\": ", "application/json").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
    // Well-formed, wrong shape: 422 naming the field.
    let (s, v) = raw("/api/v1/app".into(), "{\"name\": 5}", "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["detail"][0]["loc"], json!(["body", "name"]));
    let (s, v) = raw("/api/v1/app".into(), "{}", "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        v["detail"][0]["loc"],
        json!(["body", "name"]),
        "a missing field is named"
    );
    assert!(
        v["detail"][0]["msg"]
            .as_str()
            .expect("msg")
            .contains("name"),
        "{v}"
    );
    // Not JSON at all: 415.
    let (s, _) = raw(
        "/api/v1/app".into(),
        "name=x",
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Field checks.
    for (path, body, loc) in [
        (
            "/api/v1/app".to_owned(),
            json!({"name": ""}),
            json!(["body", "name"]),
        ),
        (
            "/api/v1/app".to_owned(),
            json!({"name": "x", "uid": "has space"}),
            json!(["body", "uid"]),
        ),
        (
            "/api/v1/app".to_owned(),
            json!({"name": "x", "metadata": {"n": 1}}),
            json!(["body", "metadata", "n"]),
        ),
        (
            format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "not a url"}),
            json!(["body", "url"]),
        ),
        (
            format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "ftp://example.com"}),
            json!(["body", "url"]),
        ),
        (
            format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com", "secret": "bad"}),
            json!(["body", "secret"]),
        ),
        (
            format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "a b", "payload": {}}),
            json!(["body", "eventType"]),
        ),
        (
            format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "a", "payload": [1]}),
            json!(["body", "payload"]),
        ),
        (
            format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "a", "payload": {}, "payloadRetentionPeriod": 1}),
            json!(["body", "payloadRetentionPeriod"]),
        ),
    ] {
        let (s, v) = app.post(&path, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(v["detail"][0]["loc"], loc, "{body}: {v}");
    }
    // Query parameters.
    let (s, v) = app.get("/api/v1/app?limit=-1").await;
    assert_eq!(
        (s, &v["detail"][0]["loc"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!(["query", "limit"]))
    );
    let (s, _) = app.get("/api/v1/app?order=sideways").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .get(&format!("/api/v1/app/{app_id}/msg?before=yesterday"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Unknown ids and routes: 404 with a body.
    for path in [
        "/api/v1/app/app_nope".to_owned(),
        format!("/api/v1/app/{app_id}/endpoint/ep_nope"),
        format!("/api/v1/app/{app_id}/msg/msg_nope"),
        "/api/v1/nothing-here".into(),
    ] {
        let (s, v) = app.get(&path).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_and_the_limit_is_configurable() {
    let dir = crate::common::fresh_dir();
    let mut config = crate::common::config(&dir);
    config.max_body_bytes = 64 * 1024;
    let app = spawn_with(config).await;
    let app_id = app.create_app("a", None).await;
    let big = "x".repeat(70 * 1024);
    let (s, v) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "a", "payload": {"big": big}}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{v}"
    );
    let ok = "x".repeat(60 * 1024);
    let (s, _) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "a", "payload": {"ok": ok}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.stop().await;
}

#[tokio::test]
async fn health_answers_204() {
    let app = spawn_app().await;
    for path in ["/api/v1/health", "/api/v1/health/ping"] {
        let r = app.client.get(app.url(path)).send().await.expect("send");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn list_and_array_limits() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    // A limit above 250 is capped, as Svix does, not refused.
    let (s, v) = app.get("/api/v1/app?limit=1000").await;
    assert_eq!((s, v["done"].as_bool()), (StatusCode::OK, Some(true)));
    let (s, v) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "a", "payload": {}, "channels": ["1", "2", "3", "4", "5", "6"]}),
        )
        .await;
    assert_eq!(
        (s, &v["detail"][0]["loc"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!(["body", "channels"])
        )
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com", "eventTypes": []}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an empty filter would match nothing"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com", "channels": ["a", "a"]}),
        )
        .await;
    assert_eq!(
        (s, &v["detail"][0]["loc"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!(["body", "channels", "1"])
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn idempotency_needs_a_valid_token_and_seals_what_it_keeps() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    // An unknown token with a key: 401, and the key is not taken.
    let r = app
        .client
        .post(app.url("/api/v1/app"))
        .bearer_auth("hk_nobody")
        .header("idempotency-key", "k1")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .client
        .post(app.url("/api/v1/app"))
        .bearer_auth(ADMIN_TOKEN)
        .header("idempotency-key", "k1")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "the key was free for the real caller"
    );
    // A rotated secret kept for replay is not on disk in the clear.
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com"}),
        )
        .await;
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/app/{app_id}/endpoint/{}/secret/rotate",
            ep["id"].as_str().expect("id")
        )))
        .bearer_auth(ADMIN_TOKEN)
        .header("idempotency-key", "rotate-1")
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    let key = r.json::<serde_json::Value>().await.expect("json")["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let dir = app.data_dir.clone();
    app.stop().await;
    let bytes = crate::common::stored_bytes(&dir);
    assert!(
        !String::from_utf8_lossy(&bytes).contains(&key["whsec_".len()..]),
        "the store holds the rotated secret in the clear"
    );
}
