//! The API's one error type. Every error has a status and a JSON body in Svix's shapes:
//! `{"code", "detail"}` (`HttpErrorOut`), or for validation `{"detail": [{"loc", "msg",
//! "type"}]}` (`HTTPValidationError`). Internal errors are logged once, here, and answered
//! with an opaque 500: no database text, secret or payload reaches a client or a log line.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// One validation failure, located like `["body", "url"]` or `["query", "limit"]`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValidationErrorItem {
    pub loc: Vec<String>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `{"code", "detail"}`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HttpErrorOut {
    pub code: String,
    pub detail: String,
}

/// `{"detail": [ValidationErrorItem]}`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HTTPValidationError)]
pub struct HttpValidationError {
    pub detail: Vec<ValidationErrorItem>,
}

#[derive(Debug)]
pub enum ApiError {
    /// 400, with a machine code.
    BadRequest(&'static str, String),
    /// 401: no token, or a token that is not valid.
    Unauthorized(String),
    /// 403: a valid token without access to this operation.
    Forbidden(String),
    /// 404.
    NotFound(&'static str),
    /// 409.
    Conflict(String),
    /// 413.
    PayloadTooLarge(usize),
    /// 415.
    UnsupportedMediaType,
    /// 422.
    Validation(Vec<ValidationErrorItem>),
    /// 500: logged here, opaque to the client.
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A single validation failure at `loc` (`"body.url"` becomes `["body", "url"]`).
    pub fn invalid(loc: &str, msg: impl Into<String>) -> Self {
        ApiError::Validation(vec![ValidationErrorItem {
            loc: loc.split('.').map(str::to_owned).collect(),
            msg: msg.into(),
            kind: "value_error".into(),
        }])
    }
}

impl ApiError {
    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::Unstorable(what) => ApiError::BadRequest("invalid_value", what),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, detail) = match self {
            ApiError::Validation(detail) => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(HttpValidationError { detail }),
                )
                    .into_response();
            }
            ApiError::BadRequest(code, detail) => (StatusCode::BAD_REQUEST, code, detail),
            ApiError::Unauthorized(detail) => {
                (StatusCode::UNAUTHORIZED, "authentication_failed", detail)
            }
            ApiError::Forbidden(detail) => (StatusCode::FORBIDDEN, "forbidden", detail),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ApiError::Conflict(detail) => (StatusCode::CONFLICT, "conflict", detail),
            ApiError::PayloadTooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body is larger than the limit of {limit} bytes"),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `content-type: application/json`".to_owned(),
            ),
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_server_error",
                    "internal server error".to_owned(),
                )
            }
        };
        (
            status,
            Json(HttpErrorOut {
                code: code.to_owned(),
                detail,
            }),
        )
            .into_response()
    }
}
