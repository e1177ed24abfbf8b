//! `hookline app create|list|get|update|delete`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::body::{self, build, opt};
use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct AppArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Create an application.
    Create {
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// List applications.
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one application (by id or uid).
    Get { app: String },
    /// Change the fields given, keep the others (PATCH).
    Update {
        app: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete an application, with its endpoints and messages.
    Delete { app: String },
}

#[derive(Debug, Args)]
struct Fields {
    /// Your own id for it (letters, digits, `-`, `_`, `.`).
    #[arg(long)]
    uid: Option<String>,
    /// Messages per second for each of its endpoints.
    #[arg(long, value_name = "N")]
    throttle_rate: Option<u16>,
    /// A JSON object of string values (or `@file`).
    #[arg(long, value_name = "JSON")]
    metadata: Option<String>,
    /// The whole body as JSON (inline, `@file` or `@-`); the flags above override it.
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
}

impl Fields {
    fn body(&self, name: Option<&String>) -> anyhow::Result<serde_json::Value> {
        build(
            self.data.as_deref(),
            [
                ("name", opt(name)),
                ("uid", opt(self.uid.as_ref())),
                ("throttleRate", opt(self.throttle_rate)),
                (
                    "metadata",
                    body::json_opt("--metadata", self.metadata.as_deref())?,
                ),
            ],
        )
    }
}

pub(crate) const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("UID", "uid"),
    ("NAME", "name"),
    ("CREATED", "createdAt"),
];

pub(crate) fn run(a: &AppArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::Create { name, fields } => {
                let v = client.post("/app", &fields.body(name.as_ref())?).await?;
                output::one(&v, f)?;
            }
            Action::List { paging } => {
                output::list(&client, "/app", Vec::new(), paging, f, COLUMNS).await?;
            }
            Action::Get { app } => {
                output::one(&client.get(&format!("/app/{}", seg(app))).await?, f)?
            }
            Action::Update { app, name, fields } => {
                let path = format!("/app/{}", seg(app));
                let v = client.patch(&path, &fields.body(name.as_ref())?).await?;
                output::one(&v, f)?;
            }
            Action::Delete { app } => {
                client.delete(&format!("/app/{}", seg(app))).await?;
                output::done(&format!("deleted application {app}"), f)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
