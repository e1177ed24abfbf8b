//! `hookline sign`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use hookline_sig::{Event, Message, Scheme, Source};
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
    // Before the body is read: a verify-only scheme should not wait for standard input.
    can_sign(&scheme)?;
    let keys = a.keys.collect()?;
    let body = input::read_body(a.body_file.as_ref())?;
    let url = a.url.as_deref().or(a.curl.as_deref());
    let signed = sign_request(
        &scheme,
        &keys,
        &body,
        &Inputs {
            id: a.id.as_deref(),
            timestamp: input::time_or_now(a.timestamp),
            url,
            event_type: a.event_type.as_deref(),
            delivery_key: a.delivery_key.as_deref(),
        },
    )?;
    let (headers, dressed) = (signed.headers, signed.dressed);
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

/// What a signature covers besides the body and the keys.
pub(crate) struct Inputs<'a> {
    /// The message id (default: a fresh `msg_…` where the scheme has ids).
    pub(crate) id: Option<&'a str>,
    pub(crate) timestamp: hookline_sig::UnixTime,
    /// The URL posted to, for schemes that sign it.
    pub(crate) url: Option<&'a str>,
    /// Dress the body as the payload of an event of this type, as the scheme's provider does.
    pub(crate) event_type: Option<&'a str>,
    /// With `event_type`: what tells deliveries of one message apart (default: the URL).
    pub(crate) delivery_key: Option<&'a str>,
}

/// A signed request: the headers to attach, and the body to send when the scheme dressed
/// it in its provider's envelope (`None`: send the body as given).
pub(crate) struct Signed {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) dressed: Option<Vec<u8>>,
}

/// Signs `body` as `scheme` with `keys`: what `hookline sign` prints and `hookline send`
/// sends.
pub(crate) fn sign_request(
    scheme: &Scheme,
    keys: &[String],
    body: &[u8],
    i: &Inputs<'_>,
) -> anyhow::Result<Signed> {
    can_sign(scheme)?;
    match i.event_type {
        None => {
            let id = match (i.id, scheme.id()) {
                (Some(id), _) => Some(id.to_owned()),
                (None, Some(Source::Header(_) | Source::SignatureParam(_))) => Some(fresh_id()?),
                _ => None,
            };
            let msg = Message {
                id: id.as_deref(),
                timestamp: i.timestamp,
                body,
                url: i.url,
            };
            Ok(Signed {
                headers: scheme.sign(keys, &msg)?,
                dressed: None,
            })
        }
        Some(event_type) => {
            let msg_id = match i.id {
                Some(id) => id.to_owned(),
                None => fresh_id()?,
            };
            let ev = Event {
                msg_id: &msg_id,
                event_type,
                created: i.timestamp,
                payload: body,
                delivery_key: Some(i.delivery_key.or(i.url).unwrap_or("cli")),
            };
            let out = scheme.signer(keys)?.sign_event(&ev, i.timestamp, i.url)?;
            Ok(Signed {
                headers: out.headers,
                dressed: out.body,
            })
        }
    }
}

/// An error naming the scheme when it can only verify.
pub(crate) fn can_sign(scheme: &Scheme) -> anyhow::Result<()> {
    if !scheme.can_sign() {
        bail!(
            "scheme `{}` is verify-only: {}",
            scheme.name(),
            scheme.description()
        );
    }
    Ok(())
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
