//! `hookline endpoint create|list|get|update|delete|secret|rotate-secret|recover|send-example|
//! headers|stats`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use super::body::{self, build, opt};
use super::output::{self, Column, Format, Paging, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct EndpointArgs {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

/// `--app` and the endpoint (id or uid).
#[derive(Debug, Args)]
struct Which {
    /// The application (id or uid).
    #[arg(long)]
    app: String,
    /// The endpoint (id or uid).
    endpoint: String,
}

impl Which {
    fn path(&self, rest: &str) -> String {
        format!(
            "/app/{}/endpoint/{}{rest}",
            seg(&self.app),
            seg(&self.endpoint)
        )
    }
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Create an endpoint.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long)]
        url: Option<String>,
        /// Its signing secret (`whsec_…`; default: the server makes one).
        #[arg(long)]
        secret: Option<String>,
        /// A header sent with every delivery, `Name: value`. Repeatable.
        #[arg(long = "header", value_name = "NAME: VALUE", value_parser = super::input::parse_header)]
        headers: Vec<(String, String)>,
        #[command(flatten)]
        fields: Fields,
    },
    /// List an application's endpoints.
    List {
        #[arg(long)]
        app: String,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one endpoint.
    Get(Which),
    /// Change the fields given, keep the others (PATCH).
    Update {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete an endpoint.
    Delete(Which),
    /// Print the endpoint's signing secret (what a receiver verifies with).
    Secret(Which),
    /// Replace the signing secret; the old one keeps signing during the grace period.
    RotateSecret {
        #[command(flatten)]
        which: Which,
        /// The new secret (default: the server makes one).
        #[arg(long)]
        key: Option<String>,
        #[arg(long, value_name = "SECONDS")]
        grace_period: Option<u32>,
    },
    /// Re-send every failed delivery of messages created since a time.
    Recover {
        #[command(flatten)]
        which: Which,
        /// RFC 3339, e.g. 2026-01-31T00:00:00Z.
        #[arg(long, value_name = "TIME")]
        since: String,
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
    /// Send an example of an event type (its schema's example) to this endpoint only.
    SendExample {
        #[command(flatten)]
        which: Which,
        #[arg(long, value_name = "TYPE")]
        event_type: String,
    },
    /// Show the custom headers, or with `--set`/`--remove` change them.
    Headers {
        #[command(flatten)]
        which: Which,
        /// Add or change a header, `Name: value`. Repeatable.
        #[arg(long = "set", value_name = "NAME: VALUE", value_parser = super::input::parse_header)]
        set: Vec<(String, String)>,
        /// Remove a header. Repeatable.
        #[arg(long = "remove", value_name = "NAME")]
        remove: Vec<String>,
    },
    /// Delivery counts: success, pending, sending, fail.
    Stats(Which),
}

#[derive(Debug, Args)]
struct Fields {
    #[arg(long)]
    uid: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// Only these event types are delivered (default: all). Repeatable.
    #[arg(long = "event-type", value_name = "TYPE")]
    event_types: Vec<String>,
    /// Only messages on these channels are delivered. Repeatable.
    #[arg(long = "channel", value_name = "CHANNEL")]
    channels: Vec<String>,
    /// Deliveries per second at most.
    #[arg(long, value_name = "N")]
    throttle_rate: Option<u16>,
    /// The `hookline-sig` scheme deliveries are signed with (default `svix`).
    #[arg(long, value_name = "SCHEME")]
    signature_scheme: Option<String>,
    #[arg(long, value_name = "BOOL")]
    disabled: Option<bool>,
    /// A JSON object of string values (or `@file`).
    #[arg(long, value_name = "JSON")]
    metadata: Option<String>,
    /// The whole body as JSON (inline, `@file` or `@-`); the flags above override it.
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
}

impl Fields {
    fn body(&self, extra: Vec<(&'static str, Option<Value>)>) -> anyhow::Result<Value> {
        let mut fields = vec![
            ("uid", opt(self.uid.as_ref())),
            ("description", opt(self.description.as_ref())),
            ("filterTypes", body::list(&self.event_types)),
            ("channels", body::list(&self.channels)),
            ("throttleRate", opt(self.throttle_rate)),
            ("signatureScheme", opt(self.signature_scheme.as_ref())),
            ("disabled", opt(self.disabled)),
            (
                "metadata",
                body::json_opt("--metadata", self.metadata.as_deref())?,
            ),
        ];
        fields.extend(extra);
        build(self.data.as_deref(), fields)
    }
}

const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("UID", "uid"),
    ("URL", "url"),
    ("EVENT TYPES", "filterTypes"),
    ("DISABLED", "disabled"),
];

fn header_map(headers: &[(String, String)]) -> Option<Value> {
    (!headers.is_empty()).then(|| {
        Value::Object(
            headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        )
    })
}

pub(crate) fn run(a: &EndpointArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let f = a.format;
    block_on(async {
        match &a.action {
            Action::Create {
                app,
                url,
                secret,
                headers,
                fields,
            } => {
                let b = fields.body(vec![
                    ("url", opt(url.as_ref())),
                    ("secret", opt(secret.as_ref())),
                    ("headers", header_map(headers)),
                ])?;
                let v = client
                    .post(&format!("/app/{}/endpoint", seg(app)), &b)
                    .await?;
                output::one(&v, f)?;
            }
            Action::List { app, paging } => {
                let path = format!("/app/{}/endpoint", seg(app));
                output::list(&client, &path, Vec::new(), paging, f, COLUMNS).await?;
            }
            Action::Get(w) => output::one(&client.get(&w.path("")).await?, f)?,
            Action::Update { which, url, fields } => {
                let b = fields.body(vec![("url", opt(url.as_ref()))])?;
                output::one(&client.patch(&which.path(""), &b).await?, f)?;
            }
            Action::Delete(w) => {
                client.delete(&w.path("")).await?;
                output::done(&format!("deleted endpoint {}", w.endpoint), f)?;
            }
            Action::Secret(w) => {
                let v = client.get(&w.path("/secret")).await?;
                if f.json {
                    output::json(&v)?;
                } else {
                    say!("{}", v["key"].as_str().unwrap_or_default());
                }
            }
            Action::RotateSecret {
                which,
                key,
                grace_period,
            } => {
                let b = build(
                    None,
                    [
                        ("key", opt(key.as_ref())),
                        ("gracePeriodSeconds", opt(*grace_period)),
                    ],
                )?;
                client.post(&which.path("/secret/rotate"), &b).await?;
                output::done(&format!("rotated the secret of {}", which.endpoint), f)?;
            }
            Action::Recover {
                which,
                since,
                until,
            } => {
                let b = build(
                    None,
                    [("since", opt(Some(since))), ("until", opt(until.as_ref()))],
                )?;
                output::one(&client.post(&which.path("/recover"), &b).await?, f)?;
            }
            Action::SendExample { which, event_type } => {
                let b = json!({ "eventType": event_type });
                output::one(&client.post(&which.path("/send-example"), &b).await?, f)?;
            }
            Action::Headers { which, set, remove } => {
                if !set.is_empty() || !remove.is_empty() {
                    let mut h: Map<String, Value> = set
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                        .collect();
                    for name in remove {
                        h.insert(name.clone(), Value::Null);
                    }
                    client
                        .patch(&which.path("/headers"), &json!({ "headers": h }))
                        .await?;
                }
                let v = client.get(&which.path("/headers")).await?;
                if f.json {
                    output::json(&v)?;
                } else if let Some(map) = v["headers"].as_object() {
                    for (k, val) in map {
                        say!("{k}: {}", val.as_str().unwrap_or_default());
                    }
                }
            }
            Action::Stats(w) => output::one(&client.get(&w.path("/stats")).await?, f)?,
        }
        Ok(ExitCode::SUCCESS)
    })
}
