//! Event types: the create, replace (PUT), patch and read bodies.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{Patch, Update};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeIn {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub feature_flag: Option<String>,
    #[serde(default)]
    pub schemas: Option<Value>,
}

/// PUT body: like `EventTypeIn` without the name (it is in the path).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeUpdate {
    pub description: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub feature_flag: Option<String>,
    #[serde(default)]
    pub schemas: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypePatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub description: Update<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub archived: Update<bool>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deprecated: Update<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub feature_flag: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub schemas: Patch<Value>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub deprecated: bool,
    pub feature_flag: Option<String>,
    pub schemas: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}
