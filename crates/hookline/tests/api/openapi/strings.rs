//! Strings as the document and the server see them: a NUL refused wherever the server
//! refuses it, and `null` taken wherever the document allows it.

use super::*;

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
