//! The inbound gateway's checks (`api::source`), written into its schemas as `rules` does
//! for the rest. Where a check depends on the scheme (the form of a key), the document
//! promises the part that always holds: the schemes listed take any key text, so a
//! generated source is always valid; the others, and `custom` with a `schemeDefinition`,
//! are accepted too and described in words.

use hookline_sig::presets;
use serde_json::{Value, json};

use super::rules::{set, uid_rule};

/// `check_name` and `check_verify_token`: 1 to 256 characters, no control character.
fn short_text() -> Value {
    json!({"minLength": 1, "maxLength": 256, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"})
}

/// The presets whose keys are the text's own bytes: any key text verifies with them.
fn any_key_schemes() -> Vec<&'static str> {
    presets::all()
        .iter()
        .filter(|s| {
            ["k", &"k".repeat(4096)]
                .iter()
                .all(|k| crate::gateway::scheme::key_problem(s, k).is_none())
        })
        .map(|s| s.name())
        .collect()
}

pub(super) fn apply(schemas: &mut Value) {
    let handshake = json!({"enum": ["slack", "zoom", "meta", "twitter", "graph"]});
    let tolerance = json!({"minimum": 1, "maximum": 86_400});
    let window = json!({"minimum": 1, "maximum": 90 * 24 * 3600});
    for s in ["SourceIn", "SourcePatch"] {
        set(schemas, s, "name", &short_text());
        set(schemas, s, "uid", &uid_rule());
        set(schemas, s, "toleranceSeconds", &tolerance);
        set(schemas, s, "dedupeWindowSeconds", &window);
        set(schemas, s, "handshake", &handshake);
        set(schemas, s, "verifyToken", &short_text());
    }
    set(
        schemas,
        "SourceIn",
        "scheme",
        &json!({
            "enum": any_key_schemes(),
            "description": "A hookline-sig preset; those listed take any key text. Every other preset \
                (whose keys have a form of their own, such as `whsec_` and base64) and `custom` \
                with a `schemeDefinition` are accepted as well.",
        }),
    );
    set(
        schemas,
        "SourceIn",
        "secrets",
        &json!({"minItems": 1, "maxItems": 10, "items": {"type": "string", "minLength": 1, "maxLength": 4096}}),
    );
    // Only with `custom`, which the enum above leaves out.
    set(
        schemas,
        "SourceIn",
        "schemeDefinition",
        &json!({"type": "null", "description": "A custom scheme (the TOML scheme file's fields as a JSON object), with `scheme: custom`"}),
    );
    set(schemas, "SourceIn", "appId", &uid_rule());
    set(
        schemas,
        "SourceSecretRotateIn",
        "secret",
        &json!({"minLength": 1, "maxLength": 4096}),
    );
    set(
        schemas,
        "SourceSecretRotateIn",
        "graceSeconds",
        &json!({"minimum": 0, "maximum": 604_800}),
    );
    let date = super::rules::date_time();
    for field in ["since", "until"] {
        set(schemas, "ReplayRangeIn", field, &date);
    }
    // PUT takes the same body, but without `secrets` it keeps the current keys: the same
    // schema under its own name, before create's requires them.
    let update = schemas["SourceIn"].clone();
    schemas["SourceUpdateIn"] = update;
    // Keys are required on create.
    if let Some(required) = schemas
        .get_mut("SourceIn")
        .and_then(|s| s.get_mut("required"))
        .and_then(Value::as_array_mut)
    {
        required.push(json!("secrets"));
    }
}
