//! Coverage: every path of Svix's reference is served and answers, every parameter is
//! typed, and every status the server answers is documented for its operation.

use super::*;

#[tokio::test]
async fn the_document_lists_every_reference_path_and_each_answers() {
    let app = spawn_app().await;
    let (s, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");

    // Every path of Svix's reference (but logout) is served.
    for (method, path, _) in operations(&reference()) {
        if path == "/api/v1/auth/logout" || path == "/api/v1/health/ping" || method == "head" {
            continue;
        }
        let ours = paths.get(&path).and_then(|p| p.get(&method));
        assert!(ours.is_some(), "{method} {path} missing from our document");
    }

    // Every operation in our document answers: not 405, not the unknown-route 404.
    for (method, path, _) in operations(&doc) {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let body = (m != Method::GET && m != Method::DELETE).then(|| serde_json::json!({}));
        let (s, v) = app.call(m, &concrete(&path), body).await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(s.as_u16() < 500, "{method} {path}: {s} {v}");
        assert_ne!(
            v["detail"].as_str(),
            Some("route not found"),
            "{method} {path}"
        );
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

#[tokio::test]
async fn every_parameter_is_typed_and_lists_document_paging() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    for (method, path, op) in operations(&doc) {
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let schema = &p["schema"];
            assert!(
                schema.get("type").is_some() || schema.get("$ref").is_some(),
                "{method} {path}: parameter {} has no typed schema: {p}",
                p["name"]
            );
            assert!(p["in"].is_string() && p["name"].is_string(), "{p}");
        }
        // Every path parameter of the template is declared, and required.
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                "{method} {path}: path parameter {name} undeclared"
            );
        }
        let ok = &op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
        if ok.as_str().is_some_and(|r| r.contains("ListResponse_")) {
            for name in ["limit", "iterator", "order"] {
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "query"),
                    "{method} {path}: list without {name}"
                );
            }
        }
        for (status, response) in op["responses"].as_object().expect("responses") {
            assert!(
                response["description"].is_string(),
                "{method} {path} {status}"
            );
            if status.starts_with('4') {
                assert!(
                    response["content"]["application/json"]["schema"]["$ref"].is_string(),
                    "{method} {path}: {status} without its error body"
                );
            }
        }
    }
    app.stop().await;
}

/// One request of the walk: token, body (content type and text), target.
type Try<'a> = (Option<&'a str>, Option<(&'a str, &'a str)>, String);

/// Drives every operation into its error paths (no token, an invalid token, a body that
/// is not JSON, a body of another content type, a JSON body of the wrong shape, a bad query,
/// an oversized body) and checks that each status answered is documented for that
/// operation, with a JSON body.
#[tokio::test]
async fn every_status_answered_is_documented() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    let app_id = app.create_app("doc", None).await;
    let big = "x".repeat(1_100_000);
    let mut seen = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let documented: Vec<u16> = op["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .map(|k| k.parse().expect("status"))
            .collect();
        let real = concrete(&path).replace("app_x", &app_id);
        let token = app.token.as_str();
        let has_body = op.get("requestBody").is_some();
        let big_json = format!("{{\"name\": \"{big}\"}}");
        let mut tries: Vec<Try<'_>> = vec![
            (None, None, real.clone()),
            (Some("hk_wrong-token-0123456789abcdef"), None, real.clone()),
            (Some(token), None, real.clone()),
            (Some(token), None, format!("{real}?limit=x&order=up")),
        ];
        if has_body {
            tries.extend([
                (
                    Some(token),
                    Some(("application/json", "{\"a\": ")),
                    real.clone(),
                ),
                (Some(token), Some(("text/plain", "{}")), real.clone()),
                (Some(token), Some(("application/json", "{}")), real.clone()),
                (Some(token), Some(("application/json", "[1]")), real.clone()),
                (
                    Some(token),
                    Some(("application/json", big_json.as_str())),
                    real.clone(),
                ),
            ]);
        }
        for (token, body, target) in tries {
            let (status, ct, text) = raw(&app, &method, &target, token, body).await;
            seen.insert(status);
            assert!(
                documented.contains(&status),
                "{method} {path} answered {status}, not documented ({documented:?}): {text}"
            );
            if status >= 400 {
                assert!(
                    ct.starts_with("application/json"),
                    "{method} {path} {status}: {ct}"
                );
                let v: Value = serde_json::from_str(&text).expect("an error body is JSON");
                assert!(v.get("detail").is_some(), "{method} {path} {status}: {v}");
            }
        }
    }
    // The walk reached the statuses it is meant to check.
    for status in [400, 401, 404, 413, 415, 422] {
        assert!(
            seen.contains(&status),
            "no request answered {status}: {seen:?}"
        );
    }
    app.stop().await;
}
