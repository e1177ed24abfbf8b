//! `hookline token create|list|revoke`: admin tokens, one per script or person
//! (`/api/v1/token`). A new token's text is printed once; the server keeps its hash only.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Create an admin token; its text is printed this once.
    Create {
        /// What it is for (`ci`, `deploy-bot`).
        #[arg(long)]
        name: String,
        /// Seconds until it stops working (default: until revoked).
        #[arg(long, value_name = "SECONDS")]
        expires_in: Option<u32>,
    },
    /// List the admin tokens (never their text).
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Revoke a token: refused from the next request on, on every node.
    Revoke { id: String },
}

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("CREATED", "createdAt"),
    ("EXPIRES", "expiresAt"),
];

pub(crate) fn run(a: &TokenArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::Create { name, expires_in } => {
                let mut body = json!({ "name": name });
                if let Some(s) = expires_in {
                    body["expiresIn"] = json!(s);
                }
                let v = client.post("/token", &body).await?;
                output::one(&v, f)?;
            }
            Action::List { paging } => {
                output::list(&client, "/token", Vec::new(), paging, f, COLUMNS).await?;
            }
            Action::Revoke { id } => {
                client.delete(&format!("/token/{}", seg(id))).await?;
                output::done(&format!("revoked token {id}"), f)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
