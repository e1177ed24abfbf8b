//! What schemathesis found the server, not the document, wrong about: requests the document
//! calls invalid that were accepted, whole floats refused as integers, and URLs the
//! document allows that were refused.

use super::*;

/// What schemathesis found where the server, not the document, was wrong: requests the
/// document calls invalid were accepted.
#[tokio::test]
async fn requests_the_document_calls_invalid_are_refused() {
    let app = spawn_app().await;
    let app_id = app.create_app("strict", Some("strict")).await;
    // An event type's `schemas` is an object (versions to JSON Schemas), as Svix declares.
    let (s, v) = app
        .post(
            "/api/v1/event-type",
            serde_json::json!({"name": "a.b", "description": "d", "schemas": [1]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["detail"][0]["loc"],
        serde_json::json!(["body", "schemas"])
    );
    let (s, _) = app
        .post(
            "/api/v1/event-type",
            serde_json::json!({"name": "a.b", "description": "d", "schemas": {"1": {}}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for (method, path) in [
        (Method::PUT, "/api/v1/event-type/a.b"),
        (Method::PATCH, "/api/v1/event-type/a.b"),
    ] {
        let (s, v) = app
            .call(
                method.clone(),
                path,
                Some(serde_json::json!({"description": "d", "schemas": "x"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{method} {v}");
    }
    // An invalid `application` is refused even when the application exists (and the
    // field goes unused).
    let bad_application = serde_json::json!({"name": "x", "metadata": {"k": 1}});
    let (s, v) = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            serde_json::json!({"application": bad_application}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["detail"][0]["loc"],
        serde_json::json!(["body", "application", "metadata", "k"])
    );
    let (s, v) = app
        .post(
            "/api/v1/app/strict/msg",
            serde_json::json!({"eventType": "a.b", "payload": {}, "application": bad_application}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    app.stop().await;
}

/// What schemathesis found where a valid request was refused: `2.0` is an integer to JSON
/// Schema (and to JSON), and serde's integer types refused it.
#[tokio::test]
async fn whole_floats_are_accepted_as_integers() {
    let app = spawn_app().await;
    let (s, v) = app
        .post(
            "/api/v1/app",
            serde_json::json!({"name": "floats", "uid": "floats", "throttleRate": 7.0}),
        )
        .await;
    assert_eq!(
        (s, &v["throttleRate"]),
        (StatusCode::CREATED, &serde_json::json!(7)),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/app/floats/msg",
            serde_json::json!({"eventType": "a.b", "payload": {"n": 2.0}, "payloadRetentionHours": 24.0}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // Free-form values keep their spelling.
    assert_eq!(v["payload"].to_string(), r#"{"n":2.0}"#);
    let (s, v) = app
        .post(
            "/api/v1/app",
            serde_json::json!({"name": "f2", "throttleRate": 7.5}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    app.stop().await;
}

/// The document's URL pattern promises only what the server always takes: a URL it admits
/// is accepted, and hosts the parser refuses by rules no pattern follows (IDNA, numbers read
/// as IPv4) are outside it (schemathesis ST202 sent `http://` and a host that is not IDNA).
#[tokio::test]
async fn urls_the_document_allows_are_accepted() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    let pattern = doc["components"]["schemas"]["EndpointIn"]["properties"]["url"]["pattern"]
        .as_str()
        .expect("a URL pattern");
    let re = regex::Regex::new(pattern).expect("pattern");
    for outside in [
        "http://09",
        "http://\u{cb}\u{d4}7",
        "http://a\u{84}",
        "https://a b",
        "ftp://a",
    ] {
        assert!(!re.is_match(outside), "{pattern} admits {outside:?}");
    }
    let app_id = app.create_app("a", None).await;
    for url in [
        "http://a",
        "HTTPS://Example.COM:8080/x?y=1#z",
        "https://a_b-c.d./p\u{e9}?q",
        "http://0a.b",
    ] {
        assert!(re.is_match(url), "{pattern} refuses {url:?}");
        let (s, v) = app
            .post(
                &format!("/api/v1/app/{app_id}/endpoint"),
                serde_json::json!({"url": url}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{url}: {v}");
    }
    app.stop().await;
}
