//! The served OpenAPI document: it covers Svix's reference, every operation answers, every
//! parameter is typed, and every status the server answers is documented with a JSON body.
//! (CI also validates it with openapi-spec-validator and fuzzes with schemathesis:
//! `.ci/schemathesis.sh`; these checks need no Python.)
//!
//! The helpers the checks share are here (Svix's reference, the operations of a document,
//! a raw request); the checks are in `coverage` (paths, parameters and statuses
//! documented), `findings` (what schemathesis found the server wrong about) and `strings`
//! (NUL and `null` as the document and the server see them).

mod coverage;
mod findings;
mod strings;

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
