//! `hookline message create|list|get|expunge-content`: the API has no update or delete of a
//! message (it is a record of what was sent); expunging its payload is the one change.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::body::{self, build, opt};
use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct MessageArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Send a message: it is delivered to every endpoint of the app that matches.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long, value_name = "TYPE")]
        event_type: Option<String>,
        /// The payload: JSON inline, `@file` or `@-`.
        #[arg(long, value_name = "JSON")]
        payload: Option<String>,
        /// Your own id for it: a second message with the same id is refused.
        #[arg(long)]
        event_id: Option<String>,
        /// Repeatable.
        #[arg(long = "channel", value_name = "CHANNEL")]
        channels: Vec<String>,
        /// Repeatable.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// The whole body as JSON (inline, `@file` or `@-`); the flags above override it.
        #[arg(long, value_name = "JSON")]
        data: Option<String>,
    },
    /// List an application's messages, newest first.
    List {
        #[arg(long)]
        app: String,
        /// Only these event types. Repeatable.
        #[arg(long = "event-type", value_name = "TYPE")]
        event_types: Vec<String>,
        #[arg(long)]
        channel: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one message, with its payload.
    Get {
        #[arg(long)]
        app: String,
        message: String,
    },
    /// Delete a message's payload (the record that it was sent stays).
    ExpungeContent {
        #[arg(long)]
        app: String,
        message: String,
    },
}

pub(crate) const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("EVENT TYPE", "eventType"),
    ("EVENT ID", "eventId"),
    ("TIMESTAMP", "timestamp"),
];

pub(crate) fn run(a: &MessageArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::Create {
                app,
                event_type,
                payload,
                event_id,
                channels,
                tags,
                data,
            } => {
                let b = build(
                    data.as_deref(),
                    [
                        ("eventType", opt(event_type.as_ref())),
                        ("payload", body::json_opt("--payload", payload.as_deref())?),
                        ("eventId", opt(event_id.as_ref())),
                        ("channels", body::list(channels)),
                        ("tags", body::list(tags)),
                    ],
                )?;
                let v = client.post(&format!("/app/{}/msg", seg(app)), &b).await?;
                output::one(&v, f)?;
            }
            Action::List {
                app,
                event_types,
                channel,
                paging,
            } => {
                let mut q: Vec<(String, String)> = event_types
                    .iter()
                    .map(|t| ("event_types".to_owned(), t.clone()))
                    .collect();
                if let Some(c) = channel {
                    q.push(("channel".into(), c.clone()));
                }
                let path = format!("/app/{}/msg", seg(app));
                output::list(&client, &path, q, paging, f, COLUMNS).await?;
            }
            Action::Get { app, message } => {
                let path = format!("/app/{}/msg/{}", seg(app), seg(message));
                output::one(&client.get(&path).await?, f)?;
            }
            Action::ExpungeContent { app, message } => {
                let path = format!("/app/{}/msg/{}/content", seg(app), seg(message));
                client.delete(&path).await?;
                output::done(&format!("expunged the payload of {message}"), f)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
