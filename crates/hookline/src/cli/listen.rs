//! `hookline listen`: takes a listener endpoint's events from a Hookline server and
//! forwards each to a local URL, reporting the local answer back so it is logged as the
//! attempt (see `api/listen.rs` for the server's side and `engine/listener.rs` for what a
//! listener endpoint is).
//!
//! The connection is a streaming request the server pings every 5 s; 15 s without a line
//! means it is dead (a laptop that slept, a network that changed), and the CLI reconnects
//! with backoff, saying so, unless `--exit-on-disconnect`. Events published meanwhile wait
//! on the server as pending deliveries and come in order once it is back.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::listen_routes::Routes;
use serde_json::{Value, json};

/// Exit code when the connection to the server is lost under `--exit-on-disconnect`.
pub(crate) const DISCONNECTED: u8 = 4;

/// How long without a line (the server pings every 5 s) before the connection counts as dead.
const SILENCE: Duration = Duration::from_secs(15);
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the local app has to answer one event.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a local answer reported back (the attempt log keeps 64 KiB).
const RESPONSE_LIMIT: usize = 64 * 1024;

#[derive(Debug, clap::Args)]
pub(crate) struct ListenArgs {
    #[command(flatten)]
    server: super::remote::ServerArgs,
    /// The application whose messages to receive (id or uid).
    #[arg(long, required_unless_present = "source", conflicts_with = "source")]
    app: Option<String>,
    /// An inbound source (id or uid): receive the provider's events it accepts, with the
    /// provider's original body and headers (its events go through its application).
    #[arg(long)]
    source: Option<String>,
    /// This listener's name: its endpoint is `listen-NAME` in the application, so a
    /// listener restarted under the same name gets what was published while it was away.
    #[arg(long, default_value = "cli")]
    name: String,
    /// Where to forward every event not routed by `--forward`.
    #[arg(long = "forward-to", value_name = "URL")]
    forward_to: Option<String>,
    /// Route event types to a URL: `invoice.*=http://localhost:3001/hooks` (repeatable;
    /// the first match wins; `*` matches everything).
    #[arg(long = "forward", value_name = "EVENT_PATTERN=URL")]
    forward: Vec<String>,
    /// Skip the events published before this time (RFC 3339) that are still waiting.
    #[arg(long, conflicts_with = "only_new")]
    since: Option<String>,
    /// Skip every event waiting from before this start.
    #[arg(long)]
    only_new: bool,
    /// Exit (code 4) when the connection is lost, instead of reconnecting.
    #[arg(long)]
    exit_on_disconnect: bool,
    /// One JSON object per forwarded event, for machines.
    #[arg(long)]
    json: bool,
    /// Print the signing secret the local app verifies with, and exit.
    #[arg(long)]
    print_secret: bool,
}

pub(crate) fn run(args: &ListenArgs) -> anyhow::Result<ExitCode> {
    let routes = if args.print_secret {
        None
    } else {
        Some(Routes::parse(&args.forward, args.forward_to.clone())?)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(listen(args, routes))
}

/// The server's API, as this command uses it.
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("reaching {}", self.base))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

/// An API error in words: status, code, detail.
fn api_error(what: &str, status: u16, body: &Value) -> anyhow::Error {
    anyhow::anyhow!(
        "{what}: {status} {} {}",
        body["code"].as_str().unwrap_or(""),
        body["detail"]
    )
}

async fn listen(args: &ListenArgs, routes: Option<Routes>) -> anyhow::Result<ExitCode> {
    let (server, token) = args.server.resolve()?;
    let api = Api {
        client: reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?,
        base: server.trim_end_matches('/').to_owned(),
        token,
    };
    let app = match (&args.app, &args.source) {
        (Some(app), _) => app.clone(),
        (None, Some(source)) => {
            let (s, v) = api
                .call(
                    reqwest::Method::GET,
                    &format!("/api/v1/source/{source}"),
                    None,
                )
                .await?;
            if s != 200 {
                return Err(api_error(&format!("source {source}"), s, &v));
            }
            v["appId"].as_str().unwrap_or_default().to_owned()
        }
        (None, None) => bail!("give --app or --source"),
    };
    let (app, endpoint) = ensure_endpoint(&api, &app, &args.name).await?;
    let (s, v) = api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/app/{app}/endpoint/{endpoint}/secret"),
            None,
        )
        .await?;
    if s != 200 {
        return Err(api_error("reading the signing secret", s, &v));
    }
    let secret = v["key"].as_str().unwrap_or_default().to_owned();
    if args.print_secret {
        println!("{secret}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(routes) = routes else {
        return Ok(ExitCode::SUCCESS);
    };
    eprintln!(
        "hookline listen: application {app}, endpoint {endpoint} (listen-{})",
        args.name
    );
    eprintln!("hookline listen: the local app verifies with the signing secret {secret}");
    let local = reqwest::Client::builder().timeout(LOCAL_TIMEOUT).build()?;
    let mut first = true;
    let mut backoff = Duration::from_secs(1);
    loop {
        let mut query = Vec::new();
        // Skipping applies to what waited before this start, not to what waited while
        // the connection was down.
        if first && args.only_new {
            query.push("only_new=true".to_owned());
        }
        if first && let Some(since) = &args.since {
            query.push(format!("since={since}"));
        }
        let path = format!(
            "/api/v1/app/{app}/endpoint/{endpoint}/listen{}{}",
            if query.is_empty() { "" } else { "?" },
            query.join("&")
        );
        let outcome = session(&api, &local, &routes, &path, &app, &endpoint, args.json).await;
        let (why, up) = match outcome {
            Ok(Session::Refused(e)) => return Err(e),
            Ok(Session::Lost { why, up }) => (why, up),
            Err(why) => (why, true),
        };
        if up {
            backoff = Duration::from_secs(1);
        }
        {
            {
                if args.exit_on_disconnect {
                    eprintln!("hookline listen: connection lost ({why:#}); exiting");
                    return Ok(ExitCode::from(DISCONNECTED));
                }
                eprintln!(
                    "hookline listen: connection lost ({why:#}); reconnecting in {}s",
                    backoff.as_secs()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        first = false;
    }
}

/// How one connection ended.
enum Session {
    /// It broke (after the server's greeting: `up`) or could not be made.
    Lost { why: anyhow::Error, up: bool },
    /// The server refused it: retrying will not help.
    Refused(anyhow::Error),
}

fn lost(why: impl Into<anyhow::Error>, up: bool) -> Session {
    Session::Lost {
        why: why.into(),
        up,
    }
}

/// The application's id and this listener's endpoint id, creating the endpoint if needed.
async fn ensure_endpoint(api: &Api, app: &str, name: &str) -> anyhow::Result<(String, String)> {
    let uid = format!("listen-{name}");
    let (s, v) = api
        .call(reqwest::Method::GET, &format!("/api/v1/app/{app}"), None)
        .await?;
    if s != 200 {
        return Err(api_error(&format!("application {app}"), s, &v));
    }
    let app_id = v["id"].as_str().unwrap_or(app).to_owned();
    let path = format!("/api/v1/app/{app_id}/endpoint");
    let (s, v) = api
        .call(reqwest::Method::GET, &format!("{path}/{uid}"), None)
        .await?;
    if s == 200 {
        return Ok((app_id, v["id"].as_str().unwrap_or_default().to_owned()));
    }
    let url = hookline::engine::listener::listener_url(name);
    let body =
        json!({"url": url, "uid": uid, "description": format!("hookline listen --name {name}")});
    let (s, v) = api.call(reqwest::Method::POST, &path, Some(body)).await?;
    if s != 201 {
        return Err(api_error("creating the listener endpoint", s, &v));
    }
    Ok((app_id, v["id"].as_str().unwrap_or_default().to_owned()))
}

/// One connection: reads lines until it ends or falls silent, forwarding each event.
async fn session(
    api: &Api,
    local: &reqwest::Client,
    routes: &Routes,
    path: &str,
    app: &str,
    endpoint: &str,
    json_out: bool,
) -> anyhow::Result<Session> {
    let resp = match api
        .client
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return Ok(lost(e, false)),
    };
    let status = resp.status().as_u16();
    if status != 200 {
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let e = api_error("connecting", status, &body);
        // 5xx and 429 pass; anything else is this command's fault or the server's no.
        return Ok(if status >= 500 || status == 429 {
            lost(e, false)
        } else {
            Session::Refused(e)
        });
    }
    let mut resp = resp;
    let mut buffer: Vec<u8> = Vec::new();
    let mut up = false;
    loop {
        let chunk = match tokio::time::timeout(SILENCE, resp.chunk()).await {
            Err(_) => {
                let why = anyhow::anyhow!("no ping for {}s", SILENCE.as_secs());
                return Ok(lost(why, up));
            }
            Ok(Err(e)) => return Ok(lost(e, up)),
            Ok(Ok(None)) => {
                return Ok(lost(anyhow::anyhow!("the server closed the stream"), up));
            }
            Ok(Ok(Some(c))) => c,
        };
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let Ok(v) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            match v["type"].as_str() {
                Some("hello") => {
                    up = true;
                    let skipped = v["skipped"].as_u64().unwrap_or(0);
                    eprintln!(
                        "hookline listen: connected; waiting for events{}",
                        if skipped > 0 {
                            format!(" ({skipped} older ones skipped)")
                        } else {
                            String::new()
                        }
                    );
                }
                Some("event") => forward(api, local, routes, &v, app, endpoint, json_out).await?,
                _ => {}
            }
        }
    }
}

/// Forwards one event and reports the local answer.
async fn forward(
    api: &Api,
    local: &reqwest::Client,
    routes: &Routes,
    event: &Value,
    app: &str,
    endpoint: &str,
    json_out: bool,
) -> anyhow::Result<()> {
    let event_type = event["eventType"].as_str().unwrap_or_default();
    let msg_id = event["msgId"].as_str().unwrap_or_default();
    let body: Vec<u8> = match (&event["body"], &event["bodyBase64"]) {
        (Value::String(s), _) => s.clone().into_bytes(),
        (_, Value::String(b)) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let started = Instant::now();
    let (status, response, error, target) = match routes.target(event_type) {
        None => (
            0,
            String::new(),
            Some(format!(
                "no --forward matches {event_type} and no --forward-to"
            )),
            None,
        ),
        Some(url) => {
            let mut req = local.post(url).body(body);
            for pair in event["headers"].as_array().into_iter().flatten() {
                if let (Some(k), Some(v)) = (pair[0].as_str(), pair[1].as_str()) {
                    req = req.header(k, v);
                }
            }
            match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let mut text = r.text().await.unwrap_or_default();
                    if text.len() > RESPONSE_LIMIT {
                        let mut cut = RESPONSE_LIMIT;
                        while !text.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        text.truncate(cut);
                    }
                    (status, text, None, Some(url))
                }
                Err(e) => (0, String::new(), Some(local_error(&e)), Some(url)),
            }
        }
    };
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let report = json!({
        "msgId": msg_id,
        "leaseUntil": event["leaseUntil"],
        "statusCode": status,
        "response": response,
        "durationMs": ms,
        "error": error,
    });
    let (s, v) = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/app/{app}/endpoint/{endpoint}/listen/result"),
            Some(report),
        )
        .await?;
    let logged = s == 204;
    let now = timestamp();
    if json_out {
        println!(
            "{}",
            json!({"time": now, "eventType": event_type, "msgId": msg_id, "url": target, "status": status, "ms": ms, "error": error, "logged": logged})
        );
    } else {
        let shown = if status == 0 {
            "---".to_owned()
        } else {
            status.to_string()
        };
        println!(
            "{now}  {event_type}  {msg_id}  -> {shown}  {ms} ms  {}",
            target.unwrap_or("(no target)")
        );
        if let Some(e) = &error {
            eprintln!("  {e}");
        }
        if (400..500).contains(&status) {
            eprintln!(
                "  hint: a 4xx to a signed request usually means the app verified a re-serialized body (verify the raw bytes) or used the secret wrongly (a whsec_ key is base64 after the prefix: decode it)"
            );
        }
    }
    if !logged {
        eprintln!(
            "  the server did not log this answer: {}",
            api_error("", s, &v)
        );
    }
    Ok(())
}

/// Why a local request failed, in words.
fn local_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!(
            "the local app did not answer within {}s",
            LOCAL_TIMEOUT.as_secs()
        )
    } else if e.is_connect() {
        "connection refused: is the local app running?".to_owned()
    } else {
        format!("request failed: {e}")
    }
}

/// Now, as RFC 3339 UTC to the second.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .map(|s| s.split('.').next().unwrap_or_default().to_owned() + "Z")
        .unwrap_or_default()
}
