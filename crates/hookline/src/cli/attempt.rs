//! `hookline attempt list|get|resend`: the delivery log.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct AttemptArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List attempts of one message (`--msg`) or to one endpoint (`--endpoint`), newest first.
    List {
        #[arg(long)]
        app: String,
        #[arg(long, value_name = "MSG", required_unless_present = "endpoint")]
        msg: Option<String>,
        /// With `--msg`: only attempts to this endpoint; alone: every attempt to it.
        #[arg(long, value_name = "ENDPOINT")]
        endpoint: Option<String>,
        /// 0 success, 1 pending, 2 failed, 3 sending.
        #[arg(long, value_name = "N")]
        status: Option<u8>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one attempt, with the response it got.
    Get {
        #[arg(long)]
        app: String,
        #[arg(long, value_name = "MSG")]
        msg: String,
        attempt: String,
    },
    /// Send a message to an endpoint again (a new attempt, whatever happened before).
    Resend {
        #[arg(long)]
        app: String,
        #[arg(long, value_name = "MSG")]
        msg: String,
        #[arg(long, value_name = "ENDPOINT")]
        endpoint: String,
    },
}

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("MSG", "msgId"),
    ("ENDPOINT", "endpointId"),
    ("STATUS", "statusText"),
    ("CODE", "responseStatusCode"),
    ("MS", "responseDurationMs"),
    ("TIMESTAMP", "timestamp"),
];

pub(crate) fn run(a: &AttemptArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::List {
                app,
                msg,
                endpoint,
                status,
                paging,
            } => {
                let mut q = Vec::new();
                if let Some(s) = status {
                    q.push(("status".to_owned(), s.to_string()));
                }
                let path = match (msg, endpoint) {
                    (Some(m), ep) => {
                        if let Some(ep) = ep {
                            q.push(("endpoint_id".into(), ep.clone()));
                        }
                        format!("/app/{}/attempt/msg/{}", seg(app), seg(m))
                    }
                    (None, Some(ep)) => {
                        format!("/app/{}/attempt/endpoint/{}", seg(app), seg(ep))
                    }
                    (None, None) => anyhow::bail!("give --msg or --endpoint"),
                };
                output::list(&client, &path, q, paging, f, COLUMNS).await?;
            }
            Action::Get { app, msg, attempt } => {
                let path = format!(
                    "/app/{}/msg/{}/attempt/{}",
                    seg(app),
                    seg(msg),
                    seg(attempt)
                );
                output::one(&client.get(&path).await?, f)?;
            }
            Action::Resend { app, msg, endpoint } => {
                let path = format!(
                    "/app/{}/msg/{}/endpoint/{}/resend",
                    seg(app),
                    seg(msg),
                    seg(endpoint)
                );
                client.post(&path, &json!({})).await?;
                output::done(&format!("resent {msg} to {endpoint}"), f)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
