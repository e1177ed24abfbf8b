//! Messages and their delivery attempts: the body a message is sent with, the views of
//! messages, attempts and per-endpoint delivery state, and Svix's `statusText`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ApplicationIn;
use crate::api::extract::non_null;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageIn {
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Creates the application if it does not exist yet.
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    /// Days the payload is kept (5 to 90, default 90). Not nullable in Svix's reference.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = i64)]
    pub payload_retention_period: Option<i64>,
    /// Hours the payload is kept; overrides `payloadRetentionPeriod`.
    #[serde(default)]
    pub payload_retention_hours: Option<i64>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub channels: Option<Vec<String>>,
    pub timestamp: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttemptOut {
    pub id: String,
    pub msg_id: String,
    pub endpoint_id: String,
    pub url: String,
    pub response: String,
    pub response_status_code: i64,
    pub response_duration_ms: i64,
    pub status: i64,
    pub status_text: String,
    pub trigger_type: i64,
    pub timestamp: String,
    /// Hookline extension: why the attempt failed, in words (timeout, connection refused,
    /// refused by the SSRF guard, status 503, ...).
    pub failure_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointMessageOut {
    pub id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub channels: Option<Vec<String>>,
    pub timestamp: String,
    pub status: i64,
    pub status_text: String,
    pub next_attempt: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageEndpointOut {
    pub id: String,
    pub uid: Option<String>,
    pub url: String,
    pub description: String,
    pub disabled: bool,
    pub event_types: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub throttle_rate: Option<u16>,
    pub status: i64,
    pub status_text: String,
    pub next_attempt: Option<String>,
    /// Always 1: Svix 1.x SDKs require the field.
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

/// Svix's `statusText` for a delivery status.
pub fn status_text(status: crate::store::DeliveryStatus) -> &'static str {
    use crate::store::DeliveryStatus::*;
    match status {
        Success => "success",
        Pending => "pending",
        Fail => "fail",
        Sending => "sending",
    }
}
