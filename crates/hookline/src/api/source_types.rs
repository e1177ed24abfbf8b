//! Wire types of the inbound gateway's management API (`/api/v1/source...`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::types::{Patch, Update};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceIn {
    pub name: String,
    #[serde(default)]
    pub uid: Option<String>,
    /// A `hookline-sig` preset (`stripe`, `github`, `standard`, `slack`, `wasphere`, ...), or
    /// `custom` with `schemeDefinition`.
    pub scheme: String,
    /// The keys that verify (secrets; public keys for asymmetric schemes), any of which may
    /// have signed. Required on create; on PUT, when given, they replace the current ones.
    #[serde(default, deserialize_with = "crate::api::extract::non_null")]
    #[schema(value_type = Vec<String>)]
    pub secrets: Option<Vec<String>>,
    /// A custom scheme: the fields of the TOML scheme file, as JSON.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub scheme_definition: Option<Value>,
    /// Overrides the scheme's replay window (seconds either way; 1 to 86,400).
    #[serde(default)]
    pub tolerance_seconds: Option<u32>,
    /// How long an event id is remembered (seconds; default 604,800 = 7 days).
    #[serde(default)]
    pub dedupe_window_seconds: Option<u32>,
    /// The application events are forwarded through (id or uid); by default one is created
    /// with the source's uid (or id).
    #[serde(default)]
    pub app_id: Option<String>,
    /// The provider handshake answered at `/in`: `slack`, `zoom`, `meta`, `twitter`,
    /// `graph` (default: `slack` and `zoom` for those schemes, else none).
    #[serde(default)]
    pub handshake: Option<String>,
    /// Meta's `hub.verify_token` (for `handshake: meta`).
    #[serde(default)]
    pub verify_token: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourcePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub uid: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub tolerance_seconds: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = u32)]
    pub dedupe_window_seconds: Update<u32>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub handshake: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub verify_token: Patch<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceOut {
    pub id: String,
    pub uid: Option<String>,
    pub name: String,
    pub scheme: String,
    #[schema(value_type = Option<Object>)]
    pub scheme_definition: Option<Value>,
    pub app_id: String,
    /// Where the provider posts: `{public_url}/in/{uid or id}`.
    pub ingest_url: String,
    pub handshake: Option<String>,
    pub tolerance_seconds: Option<u32>,
    pub dedupe_window_seconds: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceSecretOut {
    /// The newest key.
    pub key: String,
    /// Every key that verifies now, newest first (old ones until their grace ends).
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceSecretRotateIn {
    pub secret: String,
    /// How long the previous keys keep verifying (seconds; default 86,400, at most 604,800).
    #[serde(default)]
    pub grace_seconds: Option<u32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceRequestOut {
    pub id: String,
    pub received_at: String,
    /// `accepted`, `duplicate` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub event_type: Option<String>,
    pub event_id: Option<String>,
    pub message_id: Option<String>,
}

/// One finding of the signature diagnosis.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FindingOut {
    pub kind: String,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceRequestDetailOut {
    #[serde(flatten)]
    pub summary: SourceRequestOut,
    pub url: String,
    /// The headers as received (credentials shown as `[redacted]`).
    pub headers: Vec<(String, String)>,
    /// The body as received (for an accepted request, while the message keeps it; for a
    /// rejected one, its first 64 KiB); not UTF-8 bytes are replaced.
    pub body: Option<String>,
    /// For a rejection: the full `hookline-sig` diagnosis, as of when it was received.
    pub diagnosis: Option<Vec<FindingOut>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplayOut {
    /// The new messages' ids (empty for a dry run).
    pub message_ids: Vec<String>,
    /// How many accepted events the replay covers.
    pub count: u64,
    pub dry_run: bool,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplayRangeIn {
    /// Accepted events received at or after this time (RFC 3339).
    pub since: String,
    /// ... and before this one (default: now).
    #[serde(default)]
    pub until: Option<String>,
    /// Only count them.
    #[serde(default)]
    pub dry_run: bool,
}
