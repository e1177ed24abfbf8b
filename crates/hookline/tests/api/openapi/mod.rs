//! The served OpenAPI document: it covers Svix's reference, every operation answers, every
//! parameter is typed, and every status the server answers is documented with a JSON body.
//! (CI also validates it with openapi-spec-validator and fuzzes with schemathesis:
//! `.ci/schemathesis.sh`; these checks need no Python.)

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{TestApp, spawn_app};

pub(crate) fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/svix-openapi.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "Svix's reference document is expected at {path} (shared/ beside the repository): {e}"
        )
    });
    serde_json::from_str(&text).expect("reference")
}

/// Every operation of a document: (method, path template, operation).
pub(crate) fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "patch", "delete", "head"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// A path with placeholder ids: each answers (with 404, or 422 for a malformed one).
fn concrete(path: &str) -> String {
    path.replace("{app_id}", "app_x")
        .replace("{endpoint_id}", "ep_x")
        .replace("{msg_id}", "msg_x")
        .replace("{attempt_id}", "atmpt_x")
        .replace("{event_type_name}", "x")
}

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

/// A raw request: status, content type, body text.
async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> (u16, String, String) {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let mut req = app.client.request(m, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some((content_type, text)) = body {
        req = req
            .header("content-type", content_type)
            .body(text.to_owned());
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.text().await.expect("body"))
}

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

/// Each string schema a request can carry (body properties at every depth, map keys and
/// values, list items, query parameters), with where it is.
fn request_strings(doc: &Value) -> Vec<(String, Value)> {
    fn walk(at: String, node: &Value, doc: &Value, out: &mut Vec<(String, Value)>) {
        if let Some(r) = node["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            return walk(at, &doc["components"]["schemas"][name], doc, out);
        }
        let is_string = match &node["type"] {
            Value::String(t) => t == "string",
            Value::Array(ts) => ts.iter().any(|t| t == "string"),
            _ => false,
        };
        if is_string {
            out.push((at.clone(), node.clone()));
        }
        for key in ["items", "additionalProperties", "propertyNames"] {
            if node[key].is_object() {
                walk(format!("{at}.{key}"), &node[key], doc, out);
            }
        }
        if let Some(props) = node["properties"].as_object() {
            for (name, p) in props {
                walk(format!("{at}.{name}"), p, doc, out);
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for (i, s) in node[key].as_array().into_iter().flatten().enumerate() {
                walk(format!("{at}.{key}.{i}"), s, doc, out);
            }
        }
    }
    let mut out = Vec::new();
    for (method, path, op) in operations(doc) {
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        if body.is_object() {
            walk(format!("{method} {path} body"), body, doc, &mut out);
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" {
                let at = format!(
                    "{method} {path} query.{}",
                    p["name"].as_str().unwrap_or("?")
                );
                walk(at, &p["schema"], doc, &mut out);
            }
        }
    }
    out
}

/// The server refuses a NUL in every typed string of a body and in every query parameter
/// (`extract::strict`, `extract::Params`); the document must say so, or a generator sends
/// a NUL the document allows and gets a 422 (schemathesis ST202). Each string schema is
/// constrained (enum, format or pattern), and a pattern that admits a sample admits it with
/// no NUL anywhere in it.
#[tokio::test]
async fn the_document_forbids_nul_wherever_the_server_refuses_it() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    app.stop().await;
    let samples = [
        "a",
        "Acme Inc.",
        "a-b_c.1",
        "https://example.com/x",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "X-Custom",
        "v",
    ];
    let strings = request_strings(&doc);
    assert!(strings.len() > 30, "{}", strings.len());
    for (at, schema) in strings {
        if schema.get("enum").is_some() || schema.get("format").is_some() {
            continue;
        }
        let pattern = schema["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: a string with no pattern admits a NUL: {schema}"));
        let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{at}: {pattern}: {e}"));
        for s in samples.iter().filter(|s| re.is_match(s)) {
            for with_nul in [
                format!("\0{s}"),
                format!("{s}\0"),
                format!("{}\0{}", &s[..1], &s[1..]),
            ] {
                assert!(
                    !re.is_match(&with_nul),
                    "{at}: {pattern} admits {with_nul:?}"
                );
            }
        }
    }
}

/// Whether a schema admits `null`.
fn admits_null(schema: &Value) -> bool {
    let typed = match &schema["type"] {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    let listed = schema["enum"]
        .as_array()
        .is_some_and(|e| e.contains(&Value::Null));
    let in_branch = ["oneOf", "anyOf"].iter().any(|k| {
        schema[*k]
            .as_array()
            .is_some_and(|b| b.iter().any(admits_null))
    });
    (typed && schema.get("enum").is_none_or(|_| listed)) || in_branch
}

/// Every body property the document lets be `null` is taken as `null` by the server (no
/// "must not be null"), so that `non_null` and `Update` fields are not nullable in the
/// document (schemathesis ST202 found `payloadRetentionPeriod: null`).
#[tokio::test]
async fn fields_the_document_lets_be_null_take_null() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/v1/openapi.json").await;
    let mut tried = 0;
    for (method, path, op) in operations(&doc) {
        let Some(r) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
        else {
            continue;
        };
        let schema = &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")];
        for (field, p) in schema["properties"].as_object().into_iter().flatten() {
            if !admits_null(p) {
                continue;
            }
            tried += 1;
            let body = serde_json::json!({ field: null }).to_string();
            let (_, _, text) = raw(
                &app,
                &method,
                &concrete(&path),
                Some(crate::common::ADMIN_TOKEN),
                Some(("application/json", &body)),
            )
            .await;
            assert!(
                !text.contains("must not be null"),
                "{method} {path} {body}: the document allows null: {text}"
            );
        }
    }
    assert!(tried > 10, "{tried}");
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
