//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of Hookline's own API, built from
//! the operation table in `ops.rs` and the wire types (utoipa `ToSchema`), with the checks the
//! handlers make written into the schemas (`rules.rs`), so generators and fuzzers see what
//! the server really accepts and answers. Tests check that the table and the router agree,
//! that every parameter is typed and every status the server answers is documented; CI
//! validates the served document and fuzzes the server with it (`.ci/schemathesis.sh`).

mod ops;
mod rules;
mod source_rules;

use axum::Json;
use serde_json::{Map, Value, json};
use utoipa::OpenApi as _;

use super::error::{HttpErrorOut, HttpValidationError, ValidationErrorItem};
use super::source_types::*;
use super::types::*;
pub use ops::{Access, Need, OPERATIONS, Op, Query};

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    ApplicationIn, ApplicationPatch, ApplicationOut, EventTypeIn, EventTypeUpdate, EventTypePatch, EventTypeOut,
    EndpointIn, EndpointPatch, EndpointOut, EndpointSecretOut, EndpointSecretRotateIn, EndpointHeadersIn,
    EndpointHeadersPatchIn, EndpointHeadersOut, EndpointStats, RecoverIn, RecoverOut, EventExampleIn, MessageIn,
    MessageOut, MessageAttemptOut, EndpointMessageOut, MessageEndpointOut, AppPortalAccessIn, AppPortalAccessOut, super::caps::Cap,
    TokenIn, TokenOut, TokenCreatedOut, ListResponse<TokenOut>, super::listen::ListenResultIn,
    HttpErrorOut, HttpValidationError, ValidationErrorItem,
    ListResponse<ApplicationOut>, ListResponse<EventTypeOut>, ListResponse<EndpointOut>, ListResponse<MessageOut>,
    ListResponse<MessageAttemptOut>, ListResponse<EndpointMessageOut>, ListResponse<MessageEndpointOut>,
    SourceIn, SourcePatch, SourceOut, SourceSecretOut, SourceSecretRotateIn, SourceRequestOut,
    SourceRequestDetailOut, FindingOut, ReplayOut, ReplayRangeIn,
    ListResponse<SourceOut>, ListResponse<SourceRequestOut>,
)))]
struct Schemas;

const DESCRIPTION: &str = "Svix-compatible management API. Hookline extensions: an endpoint's \
    `signatureScheme` (any sending-capable hookline-sig preset; default `svix`), `toleranceHint` \
    and `timeoutSeconds`; `filterTypes` accepted and returned as an alias of `eventTypes`; \
    `secret/rotate` answers with the new secret; attempts carry `failureReason`. The inbound \
    gateway's sources (`/api/v1/source`) are Hookline's own; providers post to `/in/{source}`, \
    outside this API. Paths answer with or without a trailing slash.";

/// Builds the document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for o in OPERATIONS {
        let item = paths
            .entry(o.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[o.method] = operation(o);
    }
    let mut schemas = serde_json::to_value(Schemas::openapi().components.unwrap_or_default())
        .unwrap_or_default()["schemas"]
        .take();
    schemas["EmptyResponse"] = json!({"type": "object", "description": "An empty object: `{}`."});
    schemas["OpenApiDocument"] = json!({"type": "object", "description": "This document."});
    schemas["ListenLine"] = json!({
        "type": "object",
        "description": "One line of the `application/x-ndjson` stream: `{\"type\": \"hello\"}` first, then `event` lines (the signed request: `msgId`, `eventType`, `eventId`, `attempt`, `leaseUntil`, `headers`, `body` or `bodyBase64`) and `ping` lines every 5 s.",
        "required": ["type"],
        "properties": {"type": {"enum": ["hello", "event", "ping"]}},
    });
    rules::apply(&mut schemas);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Hookline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

pub(super) async fn serve() -> Json<Value> {
    Json(document())
}

/// The error statuses an operation can answer, each with why, from what the operation is:
/// authenticated or not, with path parameters, a body, query parameters.
pub fn errors_of(o: &Op) -> Vec<(u16, &'static str)> {
    if o.access == Access::Public {
        return Vec::new();
    }
    let writes = matches!(o.method, "post" | "put" | "patch");
    let has_path_params = o.path.contains('{');
    let mut e = vec![
        (
            400,
            "`invalid_json`: the body is not JSON; `invalid_value`: a value the database cannot store",
        ),
        (401, "No token, or a token that is not valid"),
        (
            403,
            "A token without access to this operation (an app-portal token on an admin operation)",
        ),
    ];
    if has_path_params {
        e.push((
            404,
            "Not found: a resource in the path does not exist, or the token cannot see it",
        ));
    }
    if o.path.ends_with("/listen") {
        e.push((409, "The endpoint is not a listener endpoint"));
    }
    if writes {
        e.push((409, "A unique key (uid, eventId, name) is taken, a request with the same idempotency-key is in progress, or (endpoints, sources) a new signature scheme or rotated key does not suit the stored secret or scheme, or (sources) a replay of a request that was not accepted"));
    }
    if o.body.is_some() {
        e.push((413, "The body is larger than `max_body_bytes`"));
    }
    if matches!(o.body, Some((_, Need::Required))) {
        e.push((
            415,
            "The body was not sent as `content-type: application/json`",
        ));
    }
    // POSTs read `idempotency-key`; a PUT checks the id it creates from the path.
    if o.body.is_some() || !o.query.is_empty() || o.method == "post" || o.method == "put" {
        e.push((
            422,
            "Validation error: the location and reason of each problem",
        ));
    }
    e
}

fn operation(o: &Op) -> Value {
    let mut responses = Map::new();
    for (status, body) in o.ok {
        let mut r = json!({"description": "Success"});
        if let Some(schema) = body {
            r["content"] = json_ref(schema);
        }
        responses.insert(status.to_string(), r);
    }
    for (status, why) in errors_of(o) {
        let schema = if status == 422 {
            "HTTPValidationError"
        } else {
            "HttpErrorOut"
        };
        responses.insert(
            status.to_string(),
            json!({"description": why, "content": json_ref(schema)}),
        );
    }
    let mut parameters: Vec<Value> = o
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({
                "name": name, "in": "path", "required": true,
                "description": path_description(name),
                "schema": rules::id_schema(),
            })
        })
        .collect();
    for q in o.query {
        parameters.extend(query_parameters(*q));
    }
    if o.method == "post" && o.access != Access::Public {
        parameters.push(json!({
            "name": "idempotency-key", "in": "header", "required": false,
            "description": "A retry with the same key (and token and path) within 24 hours gets the first answer",
            "schema": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[\\t\\x20-\\x7e]+$"},
        }));
    }
    let mut out = json!({
        "operationId": o.id,
        "parameters": parameters,
        "responses": responses,
    });
    if o.access == Access::Public {
        out["security"] = json!([]);
    } else {
        out["security"] = json!([{"HTTPBearer": []}]);
    }
    if let Some((schema, need)) = o.body {
        out["requestBody"] = json!({
            "required": need == Need::Required,
            "content": json_ref(schema),
        });
    }
    out
}

fn json_ref(name: &str) -> Value {
    json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}})
}

fn path_description(name: &str) -> &'static str {
    match name {
        "app_id" => "The application's id or uid",
        "endpoint_id" => "The endpoint's id or uid",
        "msg_id" => "The message's id or eventId",
        "attempt_id" => "The attempt's id",
        "source_id" => "The source's id or uid",
        "request_id" => "The received request's id",
        _ => "The event type's name",
    }
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    let mut q = json!({"name": name, "in": "query", "required": false, "description": description});
    q["schema"] = schema;
    q
}

fn date(name: &str, description: &str) -> Value {
    query(
        name,
        description,
        json!({"type": "string", "format": "date-time"}),
    )
}

fn flag(name: &str, description: &str) -> Value {
    query(name, description, json!({"type": "boolean"}))
}

fn query_parameters(q: Query) -> Vec<Value> {
    match q {
        Query::Page => vec![
            query(
                "limit",
                "Items per page: 1 to 250 (larger values are capped at 250, 0 counts as 1); default 50",
                json!({"type": "integer", "format": "int64", "minimum": 0}),
            ),
            query(
                "iterator",
                "The `iterator` of the previous page, or its `prevIterator` (a `-` prefix) to page backwards",
                rules::text_schema(),
            ),
            query(
                "order",
                "The order of the items",
                json!({"type": "string", "enum": ["ascending", "descending"]}),
            ),
        ],
        Query::MessageFilter => vec![
            query(
                "status",
                "Only messages whose delivery has this status (0 success, 1 pending, 2 fail, 3 sending)",
                json!({"type": "integer", "minimum": 0, "maximum": 3}),
            ),
            query(
                "channel",
                "Only messages sent on this channel",
                rules::text_schema(),
            ),
            event_types(),
            date("before", "Only messages created before this time"),
            date("after", "Only messages created after this time"),
        ],
        Query::WithContent => vec![flag("with_content", "Include the payload (default true)")],
        Query::AttemptFilter => vec![
            query(
                "status",
                "Only attempts with this status (0 success, 1 pending, 2 fail, 3 sending)",
                json!({"type": "integer", "minimum": 0, "maximum": 3}),
            ),
            query(
                "status_code_class",
                "Only attempts whose response status is in this class (0: no response)",
                json!({"type": "integer", "enum": [0, 100, 200, 300, 400, 500]}),
            ),
            query(
                "endpoint_id",
                "Only attempts to this endpoint",
                rules::text_schema(),
            ),
            query(
                "channel",
                "Only attempts of messages sent on this channel",
                rules::text_schema(),
            ),
            event_types(),
            date("before", "Only attempts made before this time"),
            date("after", "Only attempts made after this time"),
        ],
        Query::RequestFilter => vec![
            query(
                "status",
                "Only requests with this decision",
                json!({"type": "string", "enum": ["accepted", "duplicate", "rejected"]}),
            ),
            date("before", "Only requests received before this time"),
            date("after", "Only requests received after this time"),
        ],
        Query::Flag(name, description) => vec![flag(name, description)],
        Query::Date(name, description) => vec![date(name, description)],
    }
}

fn event_types() -> Value {
    json!({
        "name": "event_types", "in": "query", "required": false,
        "description": "Only these event types (repeated, or comma-separated)",
        "style": "form", "explode": true,
        "schema": {"type": "array", "items": rules::text_schema()},
    })
}
