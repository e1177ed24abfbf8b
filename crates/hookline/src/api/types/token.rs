//! Admin tokens (a Hookline extension): the create body, and a token as listed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenIn {
    /// What the token is for (`ci`, `deploy-bot`): 1 to 64 characters.
    pub name: String,
    /// Seconds until it stops working; none: until revoked.
    #[serde(default)]
    pub expires_in: Option<u32>,
}

/// A token as listed: never its text.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenOut {
    pub id: String,
    pub name: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
}

/// A token just created: its text, shown this once (only its hash is kept).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenCreatedOut {
    pub id: String,
    pub name: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub token: String,
}
