//! Svix compatibility beyond the SDK scenario: every operation of Svix's reference that
//! declares a JSON success body answers JSON (SDKs parse it: the JS SDK 1.x fails on
//! resend's empty 202), and every path answers the same with a trailing slash.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app};
use crate::openapi::{operations, reference};

/// The ids the walk substitutes into paths: real resources, so operations succeed.
struct Fixture {
    app: String,
    endpoint: String,
    msg: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let app_id = app.create_app("walk", None).await;
    let (s, _) = app
        .post(
            "/api/v1/event-type",
            json!({"name": "walk.event", "description": "walked"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://example.com/hook", "eventTypes": ["walk.event"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let (s, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "walk.event", "payload": {"n": 1}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{msg}");
    Fixture {
        app: app_id,
        endpoint: ep["id"].as_str().expect("id").to_owned(),
        msg: msg["id"].as_str().expect("id").to_owned(),
    }
}

/// A valid body for each operation of the reference that takes one.
fn body_for(operation_id: &str) -> Option<Value> {
    Some(match operation_id {
        "v1.application.create" => json!({"name": "walk 2"}),
        "v1.application.update" | "patch_application" => json!({"name": "walk"}),
        "v1.event-type.create" => json!({"name": "walk.other", "description": "d"}),
        "v1.event-type.update" | "patch_event_type" => json!({"description": "d"}),
        "v1.endpoint.create" | "v1.endpoint.update" => {
            json!({"url": "https://example.com/hook", "eventTypes": ["walk.event"]})
        }
        "patch_endpoint" => json!({"description": "d"}),
        "v1.endpoint.update-headers" | "v1.endpoint.patch-headers" => {
            json!({"headers": {"X-Walk": "1"}})
        }
        "v1.endpoint.recover" => json!({"since": "2020-01-01T00:00:00Z"}),
        "v1.endpoint.send-example" => json!({"eventType": "walk.event"}),
        "v1.message.create" => json!({"eventType": "walk.event", "payload": {"n": 2}}),
        "v1.endpoint.rotate-secret" | "v1.authentication.app-portal-access" => json!({}),
        _ => return None,
    })
}

fn declares_json(op: &Value) -> bool {
    op["responses"]
        .as_object()
        .expect("responses")
        .iter()
        .any(|(s, r)| s.starts_with('2') && r["content"].get("application/json").is_some())
}

#[tokio::test]
async fn every_reference_operation_declaring_json_answers_json() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let mut ops: Vec<_> = operations(&reference())
        .into_iter()
        .filter(|(m, p, _)| m != "head" && p != "/api/v1/auth/logout")
        .collect();
    // Deletions last, the deepest first, so each operation finds what it needs.
    ops.sort_by_key(|(m, p, _)| (m == "delete", std::cmp::Reverse(p.len())));
    let mut answered_json = Vec::new();
    for (method, path, op) in ops {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        let real = path
            .replace("{app_id}", &f.app)
            .replace("{endpoint_id}", &f.endpoint)
            .replace("{msg_id}", &f.msg)
            .replace("{attempt_id}", "atmpt_none")
            .replace("{event_type_name}", "walk.event")
            .replace("{source_id}", "walk-src")
            .replace("{request_id}", "req_none");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let mut req = app
            .client
            .request(m, app.url(&real))
            .bearer_auth(&app.token);
        if let Some(b) = body_for(&id) {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = r.text().await.expect("body");
        if path.contains("{attempt_id}") {
            // No delivery engine runs here, so there is no attempt to get or expunge.
            assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {text}");
            assert!(ct.starts_with("application/json"), "{id}: {ct}");
            continue;
        }
        assert!(
            status.is_success(),
            "{method} {path} ({id}): {status} {text}"
        );
        if declares_json(&op) {
            assert!(
                ct.starts_with("application/json"),
                "{method} {path} ({id}): the reference declares JSON, got {status} with content type {ct:?} and body {text:?}"
            );
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("{method} {path} ({id}): not JSON ({e}): {text:?}"));
            answered_json.push(id);
        }
    }
    assert!(
        answered_json.contains(&"v1.message-attempt.resend".to_owned()),
        "{answered_json:?}"
    );
    assert!(answered_json.len() >= 25, "{answered_json:?}");
    app.stop().await;
}

#[tokio::test]
async fn resend_answers_an_empty_json_object() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let (s, v) = app
        .post(
            &format!(
                "/api/v1/app/{}/msg/{}/endpoint/{}/resend",
                f.app, f.msg, f.endpoint
            ),
            json!({}),
        )
        .await;
    assert_eq!((s, v), (StatusCode::ACCEPTED, json!({})));
    app.stop().await;
}

#[tokio::test]
async fn paths_answer_the_same_with_a_trailing_slash() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    // Creating through the slashed form works, query string kept.
    let (s, v) = app
        .post(
            "/api/v1/app/?get_if_exists=true",
            json!({"name": "slash", "uid": "slash"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/app/?get_if_exists=true",
            json!({"name": "slash", "uid": "slash"}),
        )
        .await;
    assert_eq!((s, v["uid"].as_str()), (StatusCode::OK, Some("slash")));

    // Every read of our document answers alike in both forms.
    let (s, v) = app
        .post(
            "/api/v1/source",
            json!({"name": "walk", "uid": "walk-src", "scheme": "github", "secrets": ["walk-secret-0123"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    for (method, path, _) in operations(&doc) {
        if method != "get" {
            continue;
        }
        let real = path
            .replace("{app_id}", &f.app)
            .replace("{endpoint_id}", &f.endpoint)
            .replace("{msg_id}", &f.msg)
            .replace("{attempt_id}", "atmpt_none")
            .replace("{event_type_name}", "walk.event")
            .replace("{source_id}", "walk-src")
            .replace("{request_id}", "req_none");
        let (bare, a) = app.get(&real).await;
        let (slashed, b) = app.get(&format!("{real}/")).await;
        assert_eq!(bare, slashed, "GET {path}: {a} / {b}");
        if !path.contains("{attempt_id}") && !path.contains("{request_id}") {
            assert_ne!(bare, StatusCode::NOT_FOUND, "GET {path}: {a}");
        }
        if path != "/api/v1/openapi.json" && path != "/api/v1/health" {
            assert_eq!(a, b, "GET {path}");
        }
    }
    // Writes too: PATCH and DELETE through the slashed form.
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/app/{}/", f.app),
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("renamed")));
    let (s, _) = app
        .call(Method::DELETE, &format!("/api/v1/app/{}/", f.app), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // An unknown route stays a JSON 404.
    let (s, v) = app.get("/api/v1/nothing/").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    app.stop().await;
}
