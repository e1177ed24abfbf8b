//! The operation table: every route of the API with its body, its successes and the query
//! parameters its handler reads. The error statuses follow from these (see
//! [`super::errors_of`]), so a new operation cannot forget to document them.

/// One operation.
pub struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    /// The request body's schema; `optional` when an empty body means all defaults.
    pub body: Option<(&'static str, Need)>,
    /// Success statuses and their JSON body schemas (`None`: no body).
    pub ok: &'static [(u16, Option<&'static str>)],
    /// Query parameters the handler reads.
    pub query: &'static [Query],
    /// Who may call it.
    pub access: Access,
}

/// Whether a request body must be sent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    /// An empty body means all defaults; a body, when sent, is parsed as JSON without
    /// looking at its content type.
    Optional,
}

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed (health, this document).
    Public,
    /// The admin token, or an app-portal token for its own application.
    App,
    /// The admin token only: an app-portal token gets 403.
    Admin,
}

/// A query parameter and the values the server accepts.
#[derive(Clone, Copy)]
pub enum Query {
    /// `limit`, `iterator`, `order`: every list.
    Page,
    /// The filters of message listings: `status`, `channel`, `event_types`, `before`, `after`.
    MessageFilter,
    /// `with_content`.
    WithContent,
    /// The filters of attempt listings.
    AttemptFilter,
    /// A boolean flag.
    Flag(&'static str, &'static str),
    /// An RFC 3339 date-time.
    Date(&'static str, &'static str),
    /// The filters of a source's request listing: `status`, `before`, `after`.
    RequestFilter,
}

use Access::{Admin, App, Public};
use Need::{Optional, Required};
use Query::{AttemptFilter, Date, Flag, MessageFilter, Page, RequestFilter, WithContent};

const fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    ok: &'static [(u16, Option<&'static str>)],
) -> Op {
    Op {
        method,
        path,
        id,
        body: None,
        ok,
        query: &[],
        access: App,
    }
}

impl Op {
    const fn body(mut self, schema: &'static str) -> Op {
        self.body = Some((schema, Required));
        self
    }
    const fn optional_body(mut self, schema: &'static str) -> Op {
        self.body = Some((schema, Optional));
        self
    }
    const fn query(mut self, query: &'static [Query]) -> Op {
        self.query = query;
        self
    }
    const fn admin(mut self) -> Op {
        self.access = Admin;
        self
    }
    const fn public(mut self) -> Op {
        self.access = Public;
        self
    }
}

const APP: &str = "/api/v1/app/{app_id}";
const EP: &str = "/api/v1/app/{app_id}/endpoint/{endpoint_id}";
const SRC: &str = "/api/v1/source/{source_id}";

/// Every operation the API serves.
pub const OPERATIONS: &[Op] = &[
    op("get", "/api/v1/health", "v1.health.get", &[(204, None)]).public(),
    op(
        "get",
        "/api/v1/openapi.json",
        "hookline.openapi.get",
        &[(200, Some("OpenApiDocument"))],
    )
    .public(),
    op(
        "get",
        "/api/v1/app",
        "v1.application.list",
        &[(200, Some("ListResponse_ApplicationOut"))],
    )
    .query(&[Page])
    .admin(),
    op(
        "post",
        "/api/v1/app",
        "v1.application.create",
        &[(201, Some("ApplicationOut")), (200, Some("ApplicationOut"))],
    )
    .body("ApplicationIn")
    .query(&[Flag(
        "get_if_exists",
        "Answer 200 with the existing application when the uid is taken",
    )])
    .admin(),
    op(
        "get",
        APP,
        "v1.application.get",
        &[(200, Some("ApplicationOut"))],
    ),
    // PUT creates the application (201) when the path names none; only the admin may.
    op(
        "put",
        APP,
        "v1.application.update",
        &[(200, Some("ApplicationOut")), (201, Some("ApplicationOut"))],
    )
    .body("ApplicationIn"),
    op(
        "patch",
        APP,
        "v1.application.patch",
        &[(200, Some("ApplicationOut"))],
    )
    .body("ApplicationPatch")
    .admin(),
    op("delete", APP, "v1.application.delete", &[(204, None)]).admin(),
    op(
        "get",
        "/api/v1/event-type",
        "v1.event-type.list",
        &[(200, Some("ListResponse_EventTypeOut"))],
    )
    .query(&[
        Page,
        Flag("with_content", "Include each event type's schemas"),
        Flag("include_archived", "Include archived event types"),
    ]),
    op(
        "post",
        "/api/v1/event-type",
        "v1.event-type.create",
        &[(201, Some("EventTypeOut"))],
    )
    .body("EventTypeIn")
    .admin(),
    op(
        "get",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.get",
        &[(200, Some("EventTypeOut"))],
    ),
    op(
        "put",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.update",
        &[(200, Some("EventTypeOut")), (201, Some("EventTypeOut"))],
    )
    .body("EventTypeUpdate")
    .admin(),
    op(
        "patch",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.patch",
        &[(200, Some("EventTypeOut"))],
    )
    .body("EventTypePatch")
    .admin(),
    op(
        "delete",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.delete",
        &[(204, None)],
    )
    .admin(),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint",
        "v1.endpoint.list",
        &[(200, Some("ListResponse_EndpointOut"))],
    )
    .query(&[Page]),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint",
        "v1.endpoint.create",
        &[(201, Some("EndpointOut"))],
    )
    .body("EndpointIn"),
    op("get", EP, "v1.endpoint.get", &[(200, Some("EndpointOut"))]),
    op(
        "put",
        EP,
        "v1.endpoint.update",
        &[(200, Some("EndpointOut")), (201, Some("EndpointOut"))],
    )
    .body("EndpointIn"),
    op(
        "patch",
        EP,
        "v1.endpoint.patch",
        &[(200, Some("EndpointOut"))],
    )
    .body("EndpointPatch"),
    op("delete", EP, "v1.endpoint.delete", &[(204, None)]),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.get-headers",
        &[(200, Some("EndpointHeadersOut"))],
    ),
    op(
        "put",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.update-headers",
        &[(204, None)],
    )
    .body("EndpointHeadersIn"),
    op(
        "patch",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.patch-headers",
        &[(204, None)],
    )
    .body("EndpointHeadersPatchIn"),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
        "v1.endpoint.get-secret",
        &[(200, Some("EndpointSecretOut"))],
    ),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
        "v1.endpoint.rotate-secret",
        &[(200, Some("EndpointSecretOut"))],
    )
    .body("EndpointSecretRotateIn"),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
        "v1.endpoint.get-stats",
        &[(200, Some("EndpointStats"))],
    )
    .query(&[
        Date(
            "since",
            "Count deliveries of messages created at or after this time",
        ),
        Date(
            "until",
            "Count deliveries of messages created before this time",
        ),
    ]),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
        "v1.endpoint.recover",
        &[(202, Some("RecoverOut"))],
    )
    .body("RecoverIn"),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
        "v1.endpoint.send-example",
        &[(200, Some("MessageOut"))],
    )
    .body("EventExampleIn"),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
        "v1.message-attempt.list-attempted-messages",
        &[(200, Some("ListResponse_EndpointMessageOut"))],
    )
    .query(&[Page, MessageFilter, WithContent]),
    op(
        "get",
        "/api/v1/app/{app_id}/msg",
        "v1.message.list",
        &[(200, Some("ListResponse_MessageOut"))],
    )
    .query(&[Page, MessageFilter, WithContent]),
    op(
        "post",
        "/api/v1/app/{app_id}/msg",
        "v1.message.create",
        &[(202, Some("MessageOut"))],
    )
    .body("MessageIn")
    .query(&[WithContent]),
    op(
        "get",
        "/api/v1/app/{app_id}/msg/{msg_id}",
        "v1.message.get",
        &[(200, Some("MessageOut"))],
    )
    .query(&[WithContent]),
    op(
        "delete",
        "/api/v1/app/{app_id}/msg/{msg_id}/content",
        "v1.message.expunge-content",
        &[(204, None)],
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint",
        "v1.message-attempt.list-attempted-destinations",
        &[(200, Some("ListResponse_MessageEndpointOut"))],
    )
    .query(&[Page]),
    op(
        "post",
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
        "v1.message-attempt.resend",
        &[(202, Some("EmptyResponse"))],
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
        "v1.message-attempt.get",
        &[(200, Some("MessageAttemptOut"))],
    ),
    op(
        "delete",
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
        "v1.message-attempt.expunge-content",
        &[(204, None)],
    ),
    op(
        "get",
        "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
        "v1.message-attempt.list-by-msg",
        &[(200, Some("ListResponse_MessageAttemptOut"))],
    )
    .query(&[Page, AttemptFilter]),
    op(
        "get",
        "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
        "v1.message-attempt.list-by-endpoint",
        &[(200, Some("ListResponse_MessageAttemptOut"))],
    )
    .query(&[Page, AttemptFilter]),
    op(
        "get",
        "/api/v1/source",
        "hookline.source.list",
        &[(200, Some("ListResponse_SourceOut"))],
    )
    .query(&[Page])
    .admin(),
    op(
        "post",
        "/api/v1/source",
        "hookline.source.create",
        &[(201, Some("SourceOut"))],
    )
    .body("SourceIn")
    .admin(),
    op(
        "get",
        SRC,
        "hookline.source.get",
        &[(200, Some("SourceOut"))],
    )
    .admin(),
    op(
        "put",
        SRC,
        "hookline.source.update",
        &[(200, Some("SourceOut"))],
    )
    .body("SourceUpdateIn")
    .admin(),
    op(
        "patch",
        SRC,
        "hookline.source.patch",
        &[(200, Some("SourceOut"))],
    )
    .body("SourcePatch")
    .admin(),
    op("delete", SRC, "hookline.source.delete", &[(204, None)]).admin(),
    op(
        "get",
        "/api/v1/source/{source_id}/secret",
        "hookline.source.get-secret",
        &[(200, Some("SourceSecretOut"))],
    )
    .admin(),
    op(
        "post",
        "/api/v1/source/{source_id}/secret/rotate",
        "hookline.source.rotate-secret",
        &[(200, Some("SourceSecretOut"))],
    )
    .body("SourceSecretRotateIn")
    .admin(),
    op(
        "get",
        "/api/v1/source/{source_id}/request",
        "hookline.source.list-requests",
        &[(200, Some("ListResponse_SourceRequestOut"))],
    )
    .query(&[Page, RequestFilter])
    .admin(),
    op(
        "get",
        "/api/v1/source/{source_id}/request/{request_id}",
        "hookline.source.get-request",
        &[(200, Some("SourceRequestDetailOut"))],
    )
    .admin(),
    op(
        "post",
        "/api/v1/source/{source_id}/request/{request_id}/replay",
        "hookline.source.replay-request",
        &[(202, Some("ReplayOut"))],
    )
    .admin(),
    op(
        "post",
        "/api/v1/source/{source_id}/replay",
        "hookline.source.replay-range",
        &[(200, Some("ReplayOut")), (202, Some("ReplayOut"))],
    )
    .body("ReplayRangeIn")
    .admin(),
    op(
        "post",
        "/api/v1/auth/app-portal-access/{app_id}",
        "v1.authentication.app-portal-access",
        &[(200, Some("AppPortalAccessOut"))],
    )
    .optional_body("AppPortalAccessIn")
    .admin(),
    op(
        "get",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/listen",
        "hookline.endpoint.listen",
        &[(200, Some("ListenLine"))],
    )
    .query(&[
        Flag(
            "only_new",
            "Skip the deliveries pending from before this connection",
        ),
        Date(
            "since",
            "Skip the pending deliveries of messages created before this time",
        ),
    ]),
    op(
        "post",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/listen/result",
        "hookline.endpoint.listen-result",
        &[(204, None)],
    )
    .body("ListenResultIn"),
    op(
        "get",
        "/api/v1/token",
        "hookline.token.list",
        &[(200, Some("ListResponse_TokenOut"))],
    )
    .query(&[Page])
    .admin(),
    op(
        "post",
        "/api/v1/token",
        "hookline.token.create",
        &[(201, Some("TokenCreatedOut"))],
    )
    .body("TokenIn")
    .admin(),
    op(
        "delete",
        "/api/v1/token/{token_id}",
        "hookline.token.revoke",
        &[(204, None)],
    )
    .admin(),
];
