//! Endpoints: the create/replace, patch and read bodies, and those of the endpoint
//! operations (secret, headers, stats, recovery, sending an example event).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Patch, Update};
use crate::api::extract::non_null;

/// POST and PUT body. `filterTypes` is accepted as an alias of `eventTypes` (older SDKs).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointIn {
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, alias = "filterTypes")]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// `rateLimit` is what Svix 1.x SDKs send.
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u16>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Only on create; ignored on update (use `secret/rotate`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Only on create.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    /// Hookline extension: the `hookline-sig` preset deliveries are signed with (default `svix`).
    /// Never null: it always has a value (absent on PUT keeps the current one).
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String)]
    pub signature_scheme: Option<String>,
    /// Hookline extension: the replay window (seconds) receivers are told to apply.
    #[serde(default)]
    pub tolerance_hint: Option<u32>,
    /// Hookline extension: this endpoint's total timeout per attempt, 1 to 120 seconds.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub url: Update<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub description: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub uid: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub disabled: Update<bool>,
    #[serde(default, alias = "filterTypes")]
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub channels: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<u16>)]
    pub throttle_rate: Patch<u16>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Update<Map<String, Value>>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub signature_scheme: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub tolerance_hint: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub timeout_seconds: Patch<u32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    pub id: String,
    pub uid: Option<String>,
    pub url: String,
    pub description: String,
    pub disabled: bool,
    pub event_types: Option<Vec<String>>,
    /// The same as `eventTypes`, for older SDKs.
    pub filter_types: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    pub throttle_rate: Option<u16>,
    pub metadata: Map<String, Value>,
    pub signature_scheme: String,
    pub tolerance_hint: Option<u32>,
    pub timeout_seconds: Option<u32>,
    /// Always 1: Svix 1.x SDKs require the field (deprecated there, gone from today's API).
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointSecretOut {
    /// The signing secret; for an asymmetric scheme, the public key receivers verify with.
    pub key: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSecretRotateIn {
    #[serde(default)]
    pub key: Option<String>,
    /// How long the old secret keeps signing too (default 86,400 s, at most 604,800).
    #[serde(default)]
    pub grace_period_seconds: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct EndpointHeadersIn {
    pub headers: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct EndpointHeadersPatchIn {
    /// `null` removes a header.
    #[schema(value_type = Object)]
    pub headers: BTreeMap<String, Option<String>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointHeadersOut {
    pub headers: BTreeMap<String, String>,
    /// Headers whose values are not shown.
    pub sensitive: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EndpointStats {
    pub success: i64,
    pub pending: i64,
    pub sending: i64,
    pub fail: i64,
    pub canceled: i64,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RecoverIn {
    pub since: String,
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoverOut {
    pub id: String,
    pub status: String,
    pub task: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventExampleIn {
    pub event_type: String,
}
