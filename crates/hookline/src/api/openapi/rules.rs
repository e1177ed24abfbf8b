//! The handlers' checks, written into the component schemas: the wire types say only the
//! shapes (utoipa derives them from the Rust types), while `check_uid`, `check_url`,
//! `check_list` and the handlers refuse more (a uid with a space, a throttle rate of 0). A
//! client generated from the document, or a fuzzer, should know what is accepted, so each
//! rule here mirrors one check, named beside it. Nullability stays the wire types' call: the
//! keywords added (`pattern`, `minimum`, ...) apply only to values of their type, so `null`
//! stays allowed exactly where the type says so.

use hookline_sig::presets;
use serde_json::{Map, Value, json};

/// What `check_uid` accepts: ids, uids, names, event ids, feature flags.
const ID_PATTERN: &str = "^[a-zA-Z0-9\\-_.]+$";

/// A string without U+0000: the strict reader (`extract::strict`) and the query reader refuse
/// a NUL in every typed string, since PostgreSQL's `text` cannot hold one.
pub(super) const NUL_FREE: &str = "^[^\\u0000]*$";

/// Free text in a query parameter: anything but a NUL (`extract::Params`).
pub(super) fn text_schema() -> Value {
    json!({"type": "string", "pattern": NUL_FREE})
}

/// Dates the server always reads (`parse_date`): a narrower pattern than RFC 3339, which
/// the server takes whole, so a generated date is never one the calendar refuses (and
/// `format` alone is an annotation in OpenAPI 3.1: an empty string passes it).
pub(super) fn date_time() -> Value {
    json!({
        "format": "date-time",
        "pattern": "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?Z$",
    })
}

/// Ids, uids and names (`check_uid`).
pub(super) fn id_schema() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 256, "pattern": ID_PATTERN})
}

/// An item of `check_list`: a uid of at most `max_len` characters.
fn list(min: usize, max: usize, max_len: usize) -> Value {
    json!({
        "minItems": min, "maxItems": max, "uniqueItems": true,
        "items": {"type": "string", "minLength": 1, "maxLength": max_len, "pattern": ID_PATTERN},
    })
}

/// `check_url`: http or https (in any case), a host, no whitespace or control character, at
/// most 65,536 bytes. The host is narrower than what the server takes (it takes IDNs, IP
/// literals, any port): the parser refuses hosts no pattern can tell apart (a label that is
/// not valid IDNA, `09` read as an IPv4 number), so the document promises the part that is
/// always accepted: ASCII labels ending in one that starts with a letter, a port up to 9999.
fn url() -> Value {
    json!({
        "maxLength": 65_536,
        "pattern": "^[hH][tT][tT][pP][sS]?://([A-Za-z0-9_-]+\\.)*[A-Za-z][A-Za-z0-9_-]*\\.?(:[1-9][0-9]{0,3})?([/?#][^\\s\\x00-\\x1f\\x7f-\\x9f]*)?$",
    })
}

/// A secret in Svix's form (`check_secret` for the default scheme): `whsec_` and 32 to 100
/// base64 characters that decode (whole groups of four).
fn secret() -> Value {
    json!({
        "pattern": "^(whsec_)?([A-Za-z0-9+/]{4}){8,25}$",
        "description": "`whsec_` and base64 for the default `svix` scheme and its kin; other schemes take their own key forms",
    })
}

/// `check_headers`: valid names and values, not set by the delivery itself.
fn headers(nullable_values: bool) -> Value {
    let mut reserved: Vec<String> = super::super::endpoint::RESERVED_HEADERS
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
    for s in presets::all() {
        reserved.extend(s.header_names().iter().map(|h| h.to_ascii_lowercase()));
    }
    reserved.sort();
    reserved.dedup();
    // Header names are case-insensitive, and JSON Schema patterns have no flags.
    let any_case: Vec<String> = reserved
        .iter()
        .map(|h| {
            h.chars()
                .map(|c| match c {
                    c if c.is_ascii_alphabetic() => {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    }
                    c if c.is_ascii_alphanumeric() => c.to_string(),
                    c => format!("\\{c}"),
                })
                .collect()
        })
        .collect();
    let value = json!({"type": "string", "pattern": "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"});
    let value = if nullable_values {
        json!({"oneOf": [value, {"type": "null"}]})
    } else {
        value
    };
    json!({
        "propertyNames": {
            "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z\\-]+$",
            "not": {"pattern": format!("^({})$", any_case.join("|"))},
        },
        "additionalProperties": value,
    })
}

/// What `check_uid` accepts, as a rule for a property.
pub(super) fn uid_rule() -> Value {
    json!({"minLength": 1, "maxLength": 256, "pattern": ID_PATTERN})
}

/// Adds the rules to the component schemas.
pub(super) fn apply(schemas: &mut Value) {
    let uid = uid_rule();
    // Not blank (`trim().is_empty()`), and no NUL.
    let name = json!({"minLength": 1, "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"});
    let throttle = json!({"minimum": 1, "maximum": 65_535});
    // Keys too: the strict reader refuses a NUL in a metadata key as in its value.
    let metadata =
        json!({"additionalProperties": {"type": "string"}, "propertyNames": {"pattern": NUL_FREE}});
    let u32_max = json!({"minimum": 0, "maximum": u32::MAX});
    let schemes: Vec<&str> = presets::all()
        .iter()
        .filter(|s| s.can_sign())
        .map(|s| s.name())
        .collect();
    // Never null: `non_null` on create and PUT, `Update` on PATCH.
    let scheme = json!({"enum": schemes});

    for app in ["ApplicationIn", "ApplicationPatch"] {
        set(schemas, app, "name", &name);
        set(schemas, app, "uid", &uid);
        set(schemas, app, "throttleRate", &throttle);
        set(schemas, app, "metadata", &metadata);
    }
    // `listen::ListenResultIn`: a status is a u16, a duration a u64.
    set(
        schemas,
        "ListenResultIn",
        "statusCode",
        &json!({"minimum": 0, "maximum": u16::MAX}),
    );
    set(
        schemas,
        "ListenResultIn",
        "durationMs",
        &json!({"minimum": 0, "maximum": u64::MAX}),
    );
    // `token::check_name`: 1 to 64 characters, no control character.
    set(
        schemas,
        "TokenIn",
        "name",
        &json!({"minLength": 1, "maxLength": 64, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"}),
    );
    set(
        schemas,
        "TokenIn",
        "expiresIn",
        &json!({"minimum": 1, "maximum": 315_360_000}),
    );
    for et in ["EventTypeIn", "EventTypeUpdate", "EventTypePatch"] {
        set(schemas, et, "featureFlag", &uid);
    }
    set(schemas, "EventTypeIn", "name", &uid);
    for et in ["EventTypeIn", "EventTypeUpdate"] {
        set(schemas, et, "schemas", &json!({"type": ["object", "null"]}));
    }
    for ep in ["EndpointIn", "EndpointPatch"] {
        set(schemas, ep, "url", &url());
        set(schemas, ep, "uid", &uid);
        set(schemas, ep, "throttleRate", &throttle);
        set(schemas, ep, "metadata", &metadata);
        set(schemas, ep, "eventTypes", &list(1, 1000, 256));
        set(schemas, ep, "channels", &list(1, 10, 128));
        set(schemas, ep, "signatureScheme", &scheme);
        set(schemas, ep, "toleranceHint", &u32_max);
        set(
            schemas,
            ep,
            "timeoutSeconds",
            &json!({"minimum": 1, "maximum": 120}),
        );
    }
    set(schemas, "EndpointIn", "secret", &secret());
    // A custom secret for a scheme keyed otherwise (raw, Ed25519, ECDSA keys) takes that
    // scheme's own form, which the document does not describe: it promises only `whsec_`.
    let keyed_otherwise: Vec<&str> = presets::all()
        .iter()
        .filter(|s| s.can_sign() && s.key_format().prefix.as_deref() != Some("whsec_"))
        .map(|s| s.name())
        .collect();
    if let Some(ep) = schemas.get_mut("EndpointIn").and_then(Value::as_object_mut) {
        ep.insert(
            "if".into(),
            json!({
                "required": ["signatureScheme"],
                "properties": {"signatureScheme": {"enum": keyed_otherwise}},
            }),
        );
        ep.insert(
            "then".into(),
            json!({"properties": {"secret": {"type": "null"}}}),
        );
    }
    set(schemas, "EndpointIn", "headers", &headers(false));
    set(schemas, "EndpointHeadersIn", "headers", &headers(false));
    set(schemas, "EndpointHeadersPatchIn", "headers", &headers(true));
    set(schemas, "EndpointSecretRotateIn", "key", &secret());
    set(
        schemas,
        "EndpointSecretRotateIn",
        "gracePeriodSeconds",
        &json!({"minimum": 0, "maximum": 604_800}),
    );
    for field in ["since", "until"] {
        set(schemas, "RecoverIn", field, &date_time());
    }
    set(schemas, "EventExampleIn", "eventType", &uid);
    set(schemas, "MessageIn", "eventType", &uid);
    set(schemas, "MessageIn", "eventId", &uid);
    set(schemas, "MessageIn", "channels", &list(0, 5, 128));
    set(
        schemas,
        "MessageIn",
        "payloadRetentionPeriod",
        &json!({"minimum": 5, "maximum": 90}),
    );
    set(
        schemas,
        "MessageIn",
        "payloadRetentionHours",
        &json!({"minimum": 1, "maximum": 2160}),
    );
    set(schemas, "AppPortalAccessIn", "expiry", &u32_max);
    super::source_rules::apply(schemas);
    forbid_nul(schemas);
}

/// Every string of every request body that no rule above constrains gets [`NUL_FREE`]:
/// the strict reader refuses a NUL in each of them (free-form JSON, typed `object` or left
/// untyped, is kept as sent and not touched).
fn forbid_nul(schemas: &mut Value) {
    let bodies: std::collections::BTreeSet<&str> = super::OPERATIONS
        .iter()
        .filter_map(|o| o.body.map(|(schema, _)| schema))
        .collect();
    for name in bodies {
        if let Some(schema) = schemas.get_mut(name) {
            forbid_nul_in(schema);
        }
    }
}

fn forbid_nul_in(node: &mut Value) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    let is_string = match obj.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    let constrained = ["pattern", "enum", "const", "format"]
        .iter()
        .any(|k| obj.contains_key(*k));
    if is_string && !constrained {
        obj.insert("pattern".into(), json!(NUL_FREE));
    }
    for key in ["items", "additionalProperties", "propertyNames"] {
        if let Some(child) = obj.get_mut(key) {
            forbid_nul_in(child);
        }
    }
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        props.values_mut().for_each(forbid_nul_in);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(forbid_nul_in);
        }
    }
}

/// Merges `rule` into the schema of `schema.properties.field`.
pub(super) fn set(schemas: &mut Value, schema: &str, field: &str, rule: &Value) {
    let Some(property) = schemas
        .get_mut(schema)
        .and_then(|s| s.get_mut("properties"))
        .and_then(|p| p.get_mut(field))
        .and_then(Value::as_object_mut)
    else {
        // A renamed field must not silently lose its rule: the unit test below walks every
        // rule, so this only happens while that test fails.
        debug_assert!(false, "no property {schema}.{field}");
        return;
    };
    merge(property, rule);
}

fn merge(into: &mut Map<String, Value>, rule: &Value) {
    if let Some(rule) = rule.as_object() {
        for (k, v) in rule {
            into.insert(k.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_finds_its_property() {
        // `set` asserts in debug builds; building the document runs every rule.
        let doc = super::super::document();
        let ep = &doc["components"]["schemas"]["EndpointIn"]["properties"];
        assert_eq!(ep["throttleRate"]["minimum"], 1);
        assert!(
            ep["signatureScheme"]["enum"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("svix")))
        );
    }

    #[test]
    fn reserved_headers_are_refused_in_any_case() {
        let h = headers(false);
        let not = h["propertyNames"]["not"]["pattern"]
            .as_str()
            .expect("a pattern");
        assert!(
            not.contains("[cC][oO][nN][tT][eE][nN][tT]\\-[tT][yY][pP][eE]"),
            "{not}"
        );
    }
}
