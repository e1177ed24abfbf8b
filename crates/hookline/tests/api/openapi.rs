use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::spawn_app;

#[tokio::test]
async fn the_document_lists_every_reference_path_and_each_answers() {
    let app = spawn_app().await;
    let (s, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");

    // Every path of Svix's reference (but logout) is served.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/svix-openapi.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "Svix's reference document is expected at {path} (shared/ beside the repository): {e}"
        )
    });
    let reference: Value = serde_json::from_str(&text).expect("reference");
    for (path, ops) in reference["paths"].as_object().expect("paths") {
        if path == "/api/v1/auth/logout" || path == "/api/v1/health/ping" {
            continue;
        }
        for method in ops
            .as_object()
            .expect("ops")
            .keys()
            .filter(|m| *m != "head")
        {
            let ours = paths.get(path).and_then(|p| p.get(method));
            assert!(ours.is_some(), "{method} {path} missing from our document");
        }
    }

    // Every operation in our document answers: not 405, not the unknown-route 404.
    for (path, ops) in paths {
        for (method, _) in ops.as_object().expect("ops") {
            let concrete = path
                .replace("{app_id}", "app_x")
                .replace("{endpoint_id}", "ep_x")
                .replace("{msg_id}", "msg_x")
                .replace("{attempt_id}", "atmpt_x")
                .replace("{event_type_name}", "x");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let body = if m == Method::GET || m == Method::DELETE {
                None
            } else {
                Some(serde_json::json!({}))
            };
            let (s, v) = app.call(m, &concrete, body).await;
            assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(s.as_u16() < 500, "{method} {path}: {s} {v}");
            assert_ne!(
                v["detail"].as_str(),
                Some("route not found"),
                "{method} {path}"
            );
        }
    }
    // The schemas referenced exist.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let text = doc.to_string();
    for r in text.split("\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().expect("name");
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    app.stop().await;
}
