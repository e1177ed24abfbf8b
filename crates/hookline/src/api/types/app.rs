//! Applications: create, patch and read bodies, and the app-portal access an application
//! is given.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{Patch, Update};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationIn {
    pub name: String,
    #[serde(default)]
    pub uid: Option<String>,
    /// `rateLimit` is what Svix 1.x SDKs send.
    #[serde(default, alias = "rateLimit")]
    pub throttle_rate: Option<u16>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Update<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub uid: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<u16>)]
    pub throttle_rate: Patch<u16>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Update<Map<String, Value>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOut {
    pub id: String,
    pub uid: Option<String>,
    pub name: String,
    pub throttle_rate: Option<u16>,
    pub metadata: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppPortalAccessIn {
    #[serde(default)]
    pub application: Option<ApplicationIn>,
    #[serde(default)]
    pub feature_flags: Vec<String>,
    /// Seconds the token is valid (default 7 days).
    #[serde(default)]
    pub expiry: Option<u32>,
    /// Svix's read-only portal: the views only (endpoints and secrets seen, nothing changed).
    #[serde(default)]
    pub read_only: Option<bool>,
    /// What the token may do besides `ViewBase` (default: everything).
    #[serde(default)]
    pub capabilities: Option<Vec<crate::api::caps::Cap>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppPortalAccessOut {
    pub token: String,
    pub url: String,
}
