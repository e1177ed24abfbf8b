//! `GET /api/v1/openapi.json`: the OpenAPI document of Hookline's own API, built from the
//! wire types (utoipa `ToSchema`) and the operation table below, which lists every route
//! the router serves (a test checks the two agree, and that every path answers).

use axum::Json;
use utoipa::OpenApi as _;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required,
    ResponseBuilder,
};

use super::error::{HttpErrorOut, HttpValidationError, ValidationErrorItem};
use super::types::*;

/// One operation: method, path, id, request body schema, success status and body schema.
pub struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub body: Option<&'static str>,
    pub status: u16,
    pub response: Option<&'static str>,
}

const fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    body: Option<&'static str>,
    status: u16,
    response: Option<&'static str>,
) -> Op {
    Op {
        method,
        path,
        id,
        body,
        status,
        response,
    }
}

/// Every operation the API serves.
pub const OPERATIONS: &[Op] = &[
    op("get", "/api/v1/health", "v1.health.get", None, 204, None),
    op(
        "get",
        "/api/v1/openapi.json",
        "hookline.openapi.get",
        None,
        200,
        None,
    ),
    op(
        "get",
        "/api/v1/app",
        "v1.application.list",
        None,
        200,
        Some("ListResponse_ApplicationOut"),
    ),
    op(
        "post",
        "/api/v1/app",
        "v1.application.create",
        Some("ApplicationIn"),
        201,
        Some("ApplicationOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}",
        "v1.application.get",
        None,
        200,
        Some("ApplicationOut"),
    ),
    op(
        "put",
        "/api/v1/app/{app_id}",
        "v1.application.update",
        Some("ApplicationIn"),
        200,
        Some("ApplicationOut"),
    ),
    op(
        "patch",
        "/api/v1/app/{app_id}",
        "v1.application.patch",
        Some("ApplicationPatch"),
        200,
        Some("ApplicationOut"),
    ),
    op(
        "delete",
        "/api/v1/app/{app_id}",
        "v1.application.delete",
        None,
        204,
        None,
    ),
    op(
        "get",
        "/api/v1/event-type",
        "v1.event-type.list",
        None,
        200,
        Some("ListResponse_EventTypeOut"),
    ),
    op(
        "post",
        "/api/v1/event-type",
        "v1.event-type.create",
        Some("EventTypeIn"),
        201,
        Some("EventTypeOut"),
    ),
    op(
        "get",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.get",
        None,
        200,
        Some("EventTypeOut"),
    ),
    op(
        "put",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.update",
        Some("EventTypeUpdate"),
        200,
        Some("EventTypeOut"),
    ),
    op(
        "patch",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.patch",
        Some("EventTypePatch"),
        200,
        Some("EventTypeOut"),
    ),
    op(
        "delete",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.delete",
        None,
        204,
        None,
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint",
        "v1.endpoint.list",
        None,
        200,
        Some("ListResponse_EndpointOut"),
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint",
        "v1.endpoint.create",
        Some("EndpointIn"),
        201,
        Some("EndpointOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.get",
        None,
        200,
        Some("EndpointOut"),
    ),
    op(
        "put",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.update",
        Some("EndpointIn"),
        200,
        Some("EndpointOut"),
    ),
    op(
        "patch",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.patch",
        Some("EndpointPatch"),
        200,
        Some("EndpointOut"),
    ),
    op(
        "delete",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.delete",
        None,
        204,
        None,
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.get-headers",
        None,
        200,
        Some("EndpointHeadersOut"),
    ),
    op(
        "put",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.update-headers",
        Some("EndpointHeadersIn"),
        204,
        None,
    ),
    op(
        "patch",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.patch-headers",
        Some("EndpointHeadersPatchIn"),
        204,
        None,
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
        "v1.endpoint.get-secret",
        None,
        200,
        Some("EndpointSecretOut"),
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
        "v1.endpoint.rotate-secret",
        Some("EndpointSecretRotateIn"),
        200,
        Some("EndpointSecretOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
        "v1.endpoint.get-stats",
        None,
        200,
        Some("EndpointStats"),
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
        "v1.endpoint.recover",
        Some("RecoverIn"),
        202,
        Some("RecoverOut"),
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
        "v1.endpoint.send-example",
        Some("EventExampleIn"),
        200,
        Some("MessageOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
        "v1.message-attempt.list-attempted-messages",
        None,
        200,
        Some("ListResponse_EndpointMessageOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/msg",
        "v1.message.list",
        None,
        200,
        Some("ListResponse_MessageOut"),
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/msg",
        "v1.message.create",
        Some("MessageIn"),
        202,
        Some("MessageOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/msg/{msg_id}",
        "v1.message.get",
        None,
        200,
        Some("MessageOut"),
    ),
    op(
        "delete",
        "/api/v1/app/{app_id}/msg/{msg_id}/content",
        "v1.message.expunge-content",
        None,
        204,
        None,
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint",
        "v1.message-attempt.list-attempted-destinations",
        None,
        200,
        Some("ListResponse_MessageEndpointOut"),
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
        "v1.message-attempt.resend",
        None,
        202,
        None,
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
        "v1.message-attempt.get",
        None,
        200,
        Some("MessageAttemptOut"),
    ),
    op(
        "delete",
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
        "v1.message-attempt.expunge-content",
        None,
        204,
        None,
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
        "v1.message-attempt.list-by-msg",
        None,
        200,
        Some("ListResponse_MessageAttemptOut"),
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
        "v1.message-attempt.list-by-endpoint",
        None,
        200,
        Some("ListResponse_MessageAttemptOut"),
    ),
    op(
        "post",
        "/api/v1/auth/app-portal-access/{app_id}",
        "v1.authentication.app-portal-access",
        Some("AppPortalAccessIn"),
        200,
        Some("AppPortalAccessOut"),
    ),
];

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    ApplicationIn, ApplicationPatch, ApplicationOut, EventTypeIn, EventTypeUpdate, EventTypePatch, EventTypeOut,
    EndpointIn, EndpointPatch, EndpointOut, EndpointSecretOut, EndpointSecretRotateIn, EndpointHeadersIn,
    EndpointHeadersPatchIn, EndpointHeadersOut, EndpointStats, RecoverIn, RecoverOut, EventExampleIn, MessageIn,
    MessageOut, MessageAttemptOut, EndpointMessageOut, MessageEndpointOut, AppPortalAccessIn, AppPortalAccessOut,
    HttpErrorOut, HttpValidationError, ValidationErrorItem,
    ListResponse<ApplicationOut>, ListResponse<EventTypeOut>, ListResponse<EndpointOut>, ListResponse<MessageOut>,
    ListResponse<MessageAttemptOut>, ListResponse<EndpointMessageOut>, ListResponse<MessageEndpointOut>,
)))]
struct Schemas;

fn json_ref(name: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(name)))
        .build()
}

/// Builds the document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for o in OPERATIONS {
        let method = match o.method {
            "get" => HttpMethod::Get,
            "post" => HttpMethod::Post,
            "put" => HttpMethod::Put,
            "patch" => HttpMethod::Patch,
            _ => HttpMethod::Delete,
        };
        let mut ok = ResponseBuilder::new().description("Success");
        if let Some(r) = o.response {
            ok = ok.content("application/json", json_ref(r));
        }
        let mut b = OperationBuilder::new()
            .operation_id(Some(o.id))
            .response(o.status.to_string(), ok.build())
            .response(
                "401",
                ResponseBuilder::new()
                    .description("Unauthorized")
                    .content("application/json", json_ref("HttpErrorOut"))
                    .build(),
            )
            .response(
                "403",
                ResponseBuilder::new()
                    .description("Forbidden")
                    .content("application/json", json_ref("HttpErrorOut"))
                    .build(),
            )
            .response(
                "404",
                ResponseBuilder::new()
                    .description("Not found")
                    .content("application/json", json_ref("HttpErrorOut"))
                    .build(),
            )
            .response(
                "409",
                ResponseBuilder::new()
                    .description("Conflict")
                    .content("application/json", json_ref("HttpErrorOut"))
                    .build(),
            )
            .response(
                "413",
                ResponseBuilder::new()
                    .description("Body too large")
                    .content("application/json", json_ref("HttpErrorOut"))
                    .build(),
            )
            .response(
                "422",
                ResponseBuilder::new()
                    .description("Validation error")
                    .content("application/json", json_ref("HTTPValidationError"))
                    .build(),
            );
        for name in o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .build(),
            );
        }
        if o.method == "post" {
            b = b.parameter(
                ParameterBuilder::new()
                    .name("idempotency-key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .build(),
            );
        }
        if let Some(body) = o.body {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_ref(body))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        paths = paths.path(o.path, PathItem::new(method, b.build()));
    }
    let mut doc = OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Hookline API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "Svix-compatible management API. Hookline extensions: an endpoint's `signatureScheme` (any sending-capable \
             hookline-sig preset; default `svix`) and `toleranceHint`; `filterTypes` accepted and returned as an alias of \
             `eventTypes`; `secret/rotate` answers with the new secret.",
        )).build())
        .paths(paths.build())
        .security(Some(vec![SecurityRequirement::new("HTTPBearer", Vec::<String>::new())]))
        .build();
    let mut components = Schemas::openapi().components.unwrap_or_default();
    components.add_security_scheme(
        "HTTPBearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc.components = Some(components);
    doc
}

pub(super) async fn serve() -> Json<OpenApi> {
    Json(document())
}
