//! `hookline sign`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use hookline_sig::{Event, Message, Source};
use ring::rand::{SecureRandom as _, SystemRandom};

use super::input::{self, KeyArgs, SchemeArgs};

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    /// The message id (default: a fresh `msg_…` where the scheme has ids).
    #[arg(long)]
    id: Option<String>,
    /// The send time, in unix seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    timestamp: Option<i64>,
    /// The URL the message is posted to, for schemes that sign it (Twilio, Square).
    #[arg(long)]
    url: Option<String>,
    /// The body (default: standard input).
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Print a ready curl command that posts the signed body to URL, instead of the headers.
    #[arg(long, value_name = "URL")]
    curl: Option<String>,
    /// Send the body as the payload of an event of this type, dressed as the scheme's
    /// provider sends it (its envelope, ids and extra headers: what Hookline's engine sends);
    /// the body sent is printed after the headers.
    #[arg(long, value_name = "TYPE")]
    event_type: Option<String>,
    /// With --event-type: what tells deliveries of one message apart, for per-delivery ids
    /// (Hookline uses the endpoint id; default: the URL, or `cli`).
    #[arg(long, value_name = "KEY", requires = "event_type")]
    delivery_key: Option<String>,
}

pub(crate) fn run(a: &SignArgs) -> anyhow::Result<ExitCode> {
    let scheme = a.scheme.load()?;
    if !scheme.can_sign() {
        bail!(
            "scheme `{}` is verify-only: {}",
            scheme.name(),
            scheme.description()
        );
    }
    let keys = a.keys.collect()?;
    let body = input::read_body(a.body_file.as_ref())?;
    let id = match (&a.id, scheme.id()) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(Source::Header(_) | Source::SignatureParam(_))) => Some(fresh_id()?),
        _ => None,
    };
    let url = a.url.as_deref().or(a.curl.as_deref());
    let timestamp = input::time_or_now(a.timestamp);
    let (headers, dressed) = match &a.event_type {
        None => {
            let msg = Message {
                id: id.as_deref(),
                timestamp,
                body: &body,
                url,
            };
            (scheme.sign(&keys, &msg)?, None)
        }
        Some(event_type) => {
            let msg_id = match &a.id {
                Some(id) => id.clone(),
                None => fresh_id()?,
            };
            let ev = Event {
                msg_id: &msg_id,
                event_type,
                created: timestamp,
                payload: &body,
                delivery_key: Some(a.delivery_key.as_deref().or(url).unwrap_or("cli")),
            };
            let out = scheme.signer(&keys)?.sign_event(&ev, timestamp, url)?;
            (out.headers, out.body)
        }
    };
    match &a.curl {
        None => {
            for (name, value) in headers {
                say!("{name}: {value}");
            }
            if let Some(b) = &dressed {
                say!("\n{}", String::from_utf8_lossy(b));
            }
        }
        Some(target) => {
            let mut cmd = format!("curl -sS -X POST {}", shell_quote(target));
            cmd.push_str(" \\\n  -H 'content-type: application/json'");
            for (name, value) in headers {
                cmd.push_str(&format!(
                    " \\\n  -H {}",
                    shell_quote(&format!("{name}: {value}"))
                ));
            }
            let data = match (&a.body_file, dressed) {
                (_, Some(b)) => String::from_utf8(b)
                    .map_err(|_| anyhow::anyhow!("--event-type needs a UTF-8 JSON payload"))?,
                (Some(p), None) if p.as_os_str() != "-" => format!("@{}", p.display()),
                _ => String::from_utf8(body).map_err(|_| {
                    anyhow::anyhow!("--curl needs --body-file for a body that is not UTF-8")
                })?,
            };
            cmd.push_str(&format!(" \\\n  --data-binary {}", shell_quote(&data)));
            say!("{cmd}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `msg_` and 22 base62 characters of randomness (128 bits).
fn fresh_id() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
    let mut n = u128::from_be_bytes(bytes);
    let mut out = String::from("msg_");
    for _ in 0..22 {
        out.push(char::from(ALPHABET[(n % 62) as usize]));
        n /= 62;
    }
    Ok(out)
}

/// Single-quotes for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
