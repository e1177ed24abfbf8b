//! `hookline source ...`: the inbound gateway's sources (`/api/v1/source`), their secrets,
//! the requests they received (with a rejection's diagnosis) and replays.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::body::{build, json_opt, opt};
use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Create a source: where a provider's webhooks come in (`/in/{uid or id}`).
    Create {
        #[arg(long)]
        name: String,
        /// A `hookline-sig` preset (`stripe`, `github`, `slack`, ...) or `custom`.
        #[arg(long)]
        scheme: String,
        /// A key that verifies (repeatable: any of them may have signed).
        #[arg(long = "secret", value_name = "KEY")]
        secrets: Vec<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// List sources.
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one source (by id or uid).
    Get { source: String },
    /// Change the fields given, keep the others (PATCH).
    Update {
        source: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete a source.
    Delete { source: String },
    /// Print the source's current verifying key.
    Secret { source: String },
    /// A new key verifies at once; the old ones keep verifying for the grace period.
    RotateSecret {
        source: String,
        #[arg(long = "secret", value_name = "KEY")]
        secret: String,
        /// Seconds the old keys keep verifying (default 24 h).
        #[arg(long, value_name = "SECONDS")]
        grace_seconds: Option<u32>,
    },
    /// The requests the source received, newest first.
    Requests {
        source: String,
        /// `accepted`, `duplicate` or `rejected`.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// One received request: headers, body and, for a rejection, its diagnosis.
    Request { source: String, request: String },
    /// Forward an accepted request's event again (one), or every accepted event of a time
    /// range (`--since`, with `--dry-run` to count first).
    Replay {
        source: String,
        /// The request to replay.
        request: Option<String>,
        #[arg(long, conflicts_with = "request")]
        since: Option<String>,
        #[arg(long, requires = "since")]
        until: Option<String>,
        #[arg(long, requires = "since")]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
struct Fields {
    /// Your own id for it (the `/in/...` path uses it).
    #[arg(long)]
    uid: Option<String>,
    /// The application events are forwarded through (default: one made for the source).
    #[arg(long = "app")]
    app_id: Option<String>,
    /// Overrides the scheme's replay window (seconds).
    #[arg(long, value_name = "SECONDS")]
    tolerance_seconds: Option<u32>,
    /// How long an event id is remembered for de-duplication (seconds).
    #[arg(long, value_name = "SECONDS")]
    dedupe_window_seconds: Option<u32>,
    /// A custom scheme's definition as JSON (inline or `@file`; `--scheme custom`).
    #[arg(long, value_name = "JSON")]
    scheme_definition: Option<String>,
    /// The provider handshake answered at `/in`: `slack`, `zoom`, `meta`, `twitter`, `graph`.
    #[arg(long)]
    handshake: Option<String>,
    /// The whole body as JSON (inline, `@file` or `@-`); the flags above override it.
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
}

impl Fields {
    fn body(&self, head: Vec<(&'static str, Option<Value>)>) -> anyhow::Result<Value> {
        let mut fields = head;
        fields.extend([
            ("uid", opt(self.uid.as_ref())),
            ("appId", opt(self.app_id.as_ref())),
            ("toleranceSeconds", opt(self.tolerance_seconds)),
            ("dedupeWindowSeconds", opt(self.dedupe_window_seconds)),
            (
                "schemeDefinition",
                json_opt("--scheme-definition", self.scheme_definition.as_deref())?,
            ),
            ("handshake", opt(self.handshake.as_ref())),
        ]);
        build(self.data.as_deref(), fields)
    }
}

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("UID", "uid"),
    ("NAME", "name"),
    ("SCHEME", "scheme"),
    ("INGEST URL", "ingestUrl"),
];

const REQUEST_COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("RECEIVED", "receivedAt"),
    ("STATUS", "status"),
    ("EVENT TYPE", "eventType"),
    ("EVENT ID", "eventId"),
    ("REASON", "reason"),
];

pub(crate) fn run(a: &SourceArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::Create {
                name,
                scheme,
                secrets,
                fields,
            } => {
                let body = fields.body(vec![
                    ("name", opt(Some(name))),
                    ("scheme", opt(Some(scheme))),
                    ("secrets", (!secrets.is_empty()).then(|| json!(secrets))),
                ])?;
                output::one(&client.post("/source", &body).await?, f)?;
            }
            Action::List { paging } => {
                output::list(&client, "/source", Vec::new(), paging, f, COLUMNS).await?;
            }
            Action::Get { source } => {
                output::one(&client.get(&format!("/source/{}", seg(source))).await?, f)?;
            }
            Action::Update {
                source,
                name,
                fields,
            } => {
                let body = fields.body(vec![("name", opt(name.as_ref()))])?;
                let v = client
                    .patch(&format!("/source/{}", seg(source)), &body)
                    .await?;
                output::one(&v, f)?;
            }
            Action::Delete { source } => {
                client.delete(&format!("/source/{}", seg(source))).await?;
                output::done(&format!("deleted source {source}"), f)?;
            }
            Action::Secret { source } => {
                let v = client
                    .get(&format!("/source/{}/secret", seg(source)))
                    .await?;
                if f.json {
                    output::one(&v, f)?;
                } else {
                    println!("{}", v["key"].as_str().unwrap_or_default());
                }
            }
            Action::RotateSecret {
                source,
                secret,
                grace_seconds,
            } => {
                let mut body = json!({ "secret": secret });
                if let Some(g) = grace_seconds {
                    body["graceSeconds"] = json!(g);
                }
                let path = format!("/source/{}/secret/rotate", seg(source));
                client.post(&path, &body).await?;
                output::done(&format!("rotated the secret of source {source}"), f)?;
            }
            Action::Requests {
                source,
                status,
                paging,
            } => {
                let query = status
                    .iter()
                    .map(|s| ("status".to_owned(), s.clone()))
                    .collect();
                let path = format!("/source/{}/request", seg(source));
                output::list(&client, &path, query, paging, f, REQUEST_COLUMNS).await?;
            }
            Action::Request { source, request } => {
                let path = format!("/source/{}/request/{}", seg(source), seg(request));
                output::one(&client.get(&path).await?, f)?;
            }
            Action::Replay {
                source,
                request,
                since,
                until,
                dry_run,
            } => {
                let v = match (request, since) {
                    (Some(r), _) => {
                        let path = format!("/source/{}/request/{}/replay", seg(source), seg(r));
                        client.post(&path, &json!({})).await?
                    }
                    (None, Some(since)) => {
                        let mut body = json!({ "since": since, "dryRun": dry_run });
                        if let Some(u) = until {
                            body["until"] = json!(u);
                        }
                        let path = format!("/source/{}/replay", seg(source));
                        client.post(&path, &body).await?
                    }
                    (None, None) => anyhow::bail!("give a request id, or --since TIME"),
                };
                output::one(&v, f)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
