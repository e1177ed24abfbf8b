//! `hookline event-type create|list|get|update|delete`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::body::{self, build, opt};
use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct EventTypeArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Create an event type.
    Create {
        /// Its name, e.g. `invoice.paid`.
        name: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// List event types.
    List {
        #[command(flatten)]
        paging: Paging,
        /// Archived ones too.
        #[arg(long)]
        include_archived: bool,
        /// With their schemas.
        #[arg(long)]
        with_content: bool,
    },
    /// Show one event type.
    Get { name: String },
    /// Change the fields given, keep the others (PATCH).
    Update {
        name: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Archive an event type (as Svix does: messages of that type keep a valid type).
    Delete { name: String },
}

#[derive(Debug, Args)]
struct Fields {
    #[arg(long)]
    description: Option<String>,
    /// JSON Schemas by version, e.g. `{"1": {...}}` (inline or `@file`); an `examples`
    /// array in a schema is what `trigger` and `send-example` send.
    #[arg(long, value_name = "JSON")]
    schemas: Option<String>,
    #[arg(long, value_name = "FLAG")]
    feature_flag: Option<String>,
    #[arg(long, value_name = "BOOL")]
    archived: Option<bool>,
    #[arg(long, value_name = "BOOL")]
    deprecated: Option<bool>,
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
                ("description", opt(self.description.as_ref())),
                (
                    "schemas",
                    body::json_opt("--schemas", self.schemas.as_deref())?,
                ),
                ("featureFlag", opt(self.feature_flag.as_ref())),
                ("archived", opt(self.archived)),
                ("deprecated", opt(self.deprecated)),
            ],
        )
    }
}

const COLUMNS: &[Column] = &[
    ("NAME", "name"),
    ("DESCRIPTION", "description"),
    ("ARCHIVED", "archived"),
    ("DEPRECATED", "deprecated"),
];

pub(crate) fn run(a: &EventTypeArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::Create { name, fields } => {
                let mut b = fields.body(Some(name))?;
                // The API requires a description; an empty one is a fine default by hand.
                if b.get("description").is_none() {
                    b["description"] = "".into();
                }
                output::one(&client.post("/event-type", &b).await?, f)?;
            }
            Action::List {
                paging,
                include_archived,
                with_content,
            } => {
                let mut q = Vec::new();
                if *include_archived {
                    q.push(("include_archived".into(), "true".into()));
                }
                if *with_content {
                    q.push(("with_content".into(), "true".into()));
                }
                output::list(&client, "/event-type", q, paging, f, COLUMNS).await?;
            }
            Action::Get { name } => {
                output::one(&client.get(&format!("/event-type/{}", seg(name))).await?, f)?;
            }
            Action::Update { name, fields } => {
                let path = format!("/event-type/{}", seg(name));
                output::one(&client.patch(&path, &fields.body(None)?).await?, f)?;
            }
            Action::Delete { name } => {
                client.delete(&format!("/event-type/{}", seg(name))).await?;
                output::done(&format!("archived event type {name}"), f)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
