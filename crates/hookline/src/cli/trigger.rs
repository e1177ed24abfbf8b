//! `hookline trigger EVENT_TYPE --app APP`: publish a test message built from the event
//! type's example (or a fixture file), with `--set a.b=value` overrides for your own data.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Map, Value, json};

use super::output::{self, Format, block_on};
use super::remote::{ServerArgs, seg};

#[derive(Debug, Args)]
pub(crate) struct TriggerArgs {
    /// The event type, e.g. `invoice.paid`.
    event_type: String,
    /// The application (id or uid) the message is sent to.
    #[arg(long)]
    app: String,
    /// Override a field: `a.b.c=value` (the value is JSON if it parses, else a string;
    /// a number in the path indexes an array). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    sets: Vec<(String, Value)>,
    /// The payload from this JSON file instead of the event type's example.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Your own id for the message.
    #[arg(long)]
    event_id: Option<String>,
    /// Repeatable.
    #[arg(long = "channel", value_name = "CHANNEL")]
    channels: Vec<String>,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    format: Format,
}

pub(crate) fn run(a: &TriggerArgs) -> anyhow::Result<ExitCode> {
    let client = a.server.client()?;
    let fixture = match &a.file {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("--file {}", p.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("--file {}", p.display()))?)
        }
        None => None,
    };
    block_on(async {
        let mut payload = match fixture {
            Some(v) => v,
            None => {
                let et = client
                    .get(&format!("/event-type/{}", seg(&a.event_type)))
                    .await?;
                example(&et)
            }
        };
        for (path, value) in &a.sets {
            set_path(&mut payload, path, value.clone()).with_context(|| format!("--set {path}"))?;
        }
        let mut body = json!({ "eventType": a.event_type, "payload": payload });
        if let Some(id) = &a.event_id {
            body["eventId"] = id.as_str().into();
        }
        if !a.channels.is_empty() {
            body["channels"] = a.channels.clone().into();
        }
        let msg = client
            .post(&format!("/app/{}/msg", seg(&a.app)), &body)
            .await?;
        if a.format.json {
            output::json(&msg)?;
        } else {
            say!("{}", msg["id"].as_str().unwrap_or_default());
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The example of an event type as the server's `send-example` picks it
/// (`api/endpoint_ops.rs`): the first `examples` entry of the first schema version that has
/// one, else a small placeholder. The test `trigger_uses_the_servers_example` holds the two
/// together.
pub(crate) fn example(event_type: &Value) -> Value {
    event_type["schemas"]
        .as_object()
        .and_then(|versions| {
            versions
                .values()
                .find_map(|schema| schema.get("examples")?.as_array()?.first().cloned())
        })
        .unwrap_or_else(|| json!({ "eventType": event_type["name"], "example": true }))
}

/// `a.b.c=value`: the value as JSON when it parses, else as a string.
fn parse_set(text: &str) -> Result<(String, Value), String> {
    let (path, raw) = text
        .split_once('=')
        .ok_or_else(|| format!("expected PATH=VALUE, got {text:?}"))?;
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("bad path {path:?}"));
    }
    let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    Ok((path.to_owned(), value))
}

/// Sets `value` at the dotted `path`, making objects where the path goes past the payload.
/// A number indexes an array that exists (one past the end appends).
fn set_path(root: &mut Value, path: &str, value: Value) -> anyhow::Result<()> {
    let mut at = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if at.is_null() {
            *at = Value::Object(Map::new());
        }
        at = match at {
            Value::Object(map) => {
                if last {
                    map.insert((*part).to_owned(), value);
                    return Ok(());
                }
                map.entry(*part).or_insert(Value::Null)
            }
            Value::Array(items) => {
                let n: usize = part
                    .parse()
                    .map_err(|_| anyhow::anyhow!("`{part}` indexes an array: use a number"))?;
                let len = items.len();
                if n == len {
                    items.push(Value::Null);
                }
                let Some(slot) = items.get_mut(n) else {
                    bail!("index {n} is past the end of an array of {len}");
                };
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            other => bail!("`{part}` goes inside a {}, not an object", kind(other)),
        };
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        _ => "value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_parse_json_else_string() {
        assert_eq!(parse_set("a.b=3").expect("ok"), ("a.b".into(), json!(3)));
        assert_eq!(parse_set("a=true").expect("ok").1, json!(true));
        assert_eq!(parse_set("a=hello").expect("ok").1, json!("hello"));
        assert_eq!(parse_set(r#"a={"x":1}"#).expect("ok").1, json!({"x": 1}));
        assert_eq!(parse_set("a=").expect("ok").1, json!(""));
        assert!(parse_set("a..b=1").is_err());
        assert!(parse_set("novalue").is_err());
    }

    #[test]
    fn paths_make_objects_and_index_arrays() {
        let mut v = json!({"customer": {"id": "c1"}, "items": [{"q": 1}]});
        set_path(&mut v, "customer.email", json!("me@example.com")).expect("set");
        set_path(&mut v, "items.0.q", json!(5)).expect("set");
        set_path(&mut v, "items.1", json!({"q": 2})).expect("append");
        set_path(&mut v, "new.deep.field", json!(null)).expect("set");
        assert_eq!(
            v,
            json!({
                "customer": {"id": "c1", "email": "me@example.com"},
                "items": [{"q": 5}, {"q": 2}],
                "new": {"deep": {"field": null}}
            })
        );
        assert!(set_path(&mut v, "items.x", json!(1)).is_err());
        assert!(set_path(&mut v, "items.9", json!(1)).is_err());
        assert!(set_path(&mut v, "customer.id.x", json!(1)).is_err());
    }

    #[test]
    fn example_as_the_server_picks_it() {
        let et = json!({"name": "a.b", "schemas": {"1": {"type": "object"}, "2": {"examples": [{"n": 2}, {"n": 3}]}}});
        assert_eq!(example(&et), json!({"n": 2}));
        let bare = json!({"name": "a.b", "schemas": null});
        assert_eq!(example(&bare), json!({"eventType": "a.b", "example": true}));
    }
}
