//! Sending like the provider: the envelope a scheme wraps the payload in, the id it sends,
//! and the headers it adds beyond the signature's.
//!
//! A scheme declares these as data (`[send]` in its TOML form): `send.id`, a text template
//! for the id the scheme puts at its `id` source and signs as `{id}`; `send.body`, a JSON
//! template for the body; `send.headers`, text templates for extra headers. The event type
//! goes to the scheme's `event_type` header, where it has one. [`Signer::sign_event`]
//! fills them from an [`Event`] with a pure function, then signs the body it built.
//!
//! Ids are derived, never drawn: `{msg_uuid}` and `{delivery_uuid}` are hashes of the message
//! id (and of the delivery key), so every retry of a message carries the same ids and a
//! receiver's de-duplication works. Times are passed in: `{created}` is the message's time
//! (the same on every attempt), `{sent}` the attempt's.
//!
//! [`Signer::sign_event`]: crate::Signer::sign_event

mod json;
mod text;

use std::collections::BTreeMap;

use ring::digest;
use serde::{Deserialize, Serialize};

use crate::headers::HeaderKey;
use crate::scheme::{Scheme, Source};
use crate::time::UnixTime;
use json::{Node, Reach};
pub use text::Field;
use text::Text;

/// A message as the sender holds it, before a scheme dresses it for the wire.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// The sender's message id: the same on every attempt.
    pub msg_id: &'a str,
    /// The event type (`invoice.paid`).
    pub event_type: &'a str,
    /// When the message was created: the envelope's `created`, stable across attempts.
    pub created: UnixTime,
    /// The payload: one JSON value, byte for byte as the sender accepted it.
    pub payload: &'a [u8],
    /// What tells deliveries of one message apart (Hookline passes the endpoint id), for
    /// schemes whose ids are per delivery (`{delivery_uuid}`).
    pub delivery_key: Option<&'a str>,
}

/// What goes on the wire for one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// The body the scheme built around the payload; `None` means: send the payload as it is
    /// (no copy is made for schemes without an envelope).
    pub body: Option<Vec<u8>>,
    /// The signature headers (id, timestamp, signature), then the event type's header and the
    /// scheme's other headers.
    pub headers: Vec<(String, String)>,
}

/// A scheme's outgoing shape, checked. Empty for schemes that send the bare payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Outgoing {
    id: Option<Text>,
    body: Option<Node>,
    headers: Vec<(HeaderKey, Text)>,
}

/// `[send]` as written in TOML or JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendDef {
    /// The id the scheme sends at its `id` source and signs as `{id}` (default `{msg_id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The body template: any JSON value; it must hold `"{payload}"` somewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Extra headers: name to text template.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// The values templates are filled from, for one attempt.
pub(crate) struct Values<'a> {
    msg_id: &'a str,
    msg_uuid: String,
    delivery_uuid: Option<String>,
    id: &'a str,
    event_type: &'a str,
    created: UnixTime,
    sent: UnixTime,
    payload: &'a [u8],
}

impl Outgoing {
    /// Whether the scheme sends the bare payload with no id, body or header templates.
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.body.is_none() && self.headers.is_empty()
    }

    /// Whether the scheme wraps the payload in a body of its own.
    pub fn has_body(&self) -> bool {
        self.body.is_some()
    }

    /// Whether filling the templates needs [`Event::delivery_key`].
    pub fn needs_delivery_key(&self) -> bool {
        self.fields().contains(&Field::DeliveryUuid)
    }

    /// The names of the extra headers.
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().map(|(k, _)| k.as_str())
    }

    fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        if let Some(id) = &self.id {
            out.extend(id.fields());
        }
        if let Some(body) = &self.body {
            body.fields(&mut out);
        }
        for (_, t) in &self.headers {
            out.extend(t.fields());
        }
        out
    }

    /// Reads `[send]`. Errors name the field: `send.body/data/object: …`.
    pub(crate) fn parse(d: &SendDef) -> Result<Self, String> {
        let id = match &d.id {
            None => None,
            Some(t) => {
                let t = Text::parse(t).map_err(|e| format!("send.id: {e}"))?;
                if t.pieces.is_empty() {
                    return Err("send.id: empty".into());
                }
                if let Some(f) = t.fields().find(|f| matches!(f, Field::Id | Field::Payload)) {
                    let name = if f == Field::Id { "id" } else { "payload" };
                    return Err(format!("send.id: cannot use `{{{name}}}`"));
                }
                Some(t)
            }
        };
        let body = match &d.body {
            None => None,
            Some(v) => {
                let node = Node::parse(v, "").map_err(|e| format!("send.body{e}"))?;
                let mut fields = Vec::new();
                node.fields(&mut fields);
                if !fields.contains(&Field::Payload) {
                    return Err(
                        "send.body: must hold the payload somewhere, as \"{payload}\"".into(),
                    );
                }
                Some(node)
            }
        };
        let mut headers = Vec::new();
        for (name, value) in &d.headers {
            let at = format!("send.headers.{name}");
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(format!("{at}: not a valid header name"));
            }
            let t = Text::parse(value).map_err(|e| format!("{at}: {e}"))?;
            if t.fields().any(|f| f == Field::Payload) {
                return Err(format!("{at}: a header cannot carry `{{payload}}`"));
            }
            headers.push((HeaderKey::new(name.clone()), t));
        }
        Ok(Outgoing { id, body, headers })
    }

    /// The declared form back.
    pub(crate) fn to_def(&self) -> Option<SendDef> {
        if self.is_empty() {
            return None;
        }
        Some(SendDef {
            id: self.id.as_ref().map(ToString::to_string),
            body: self.body.as_ref().map(Node::to_value),
            headers: self
                .headers
                .iter()
                .map(|(k, t)| (k.to_string(), t.to_string()))
                .collect(),
        })
    }

    /// The rules that tie `[send]` to the rest of the scheme: what the verifier reads from
    /// the body must be what the body template writes there, and the extra headers must not
    /// be the ones the signer writes.
    pub(crate) fn check(&self, s: &Scheme) -> Result<(), String> {
        let own = s.verified_header_names();
        for (name, _) in &self.headers {
            if let Some(h) = own.iter().find(|h| h.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "send.headers.{name}: `{h}` is written by the scheme itself (its signature, timestamp, id or event type)"
                ));
            }
        }
        let Some(body) = &self.body else {
            return Ok(());
        };
        let mut wants = Vec::new();
        if let Some(Source::BodyField(p)) = s.id() {
            wants.push(("id", p, Field::Id));
        }
        if let Some(Source::BodyField(p)) = s.event_type() {
            wants.push(("event_type", p, Field::EventType));
        }
        if let Some(t) = s.timestamp()
            && let Source::BodyField(p) = &t.source
        {
            wants.push(("timestamp", p, Field::Sent(t.format)));
        }
        for (what, pointer, field) in wants {
            match body.at_pointer(pointer) {
                Reach::Node(Node::Field(f)) if *f == field => {}
                Reach::InsidePayload => {}
                _ => {
                    let want = Text {
                        pieces: vec![text::Piece::Field(field)],
                    };
                    return Err(format!(
                        "{what}: the verifier reads body field {pointer:?}, so send.body must write \"{want}\" there"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The values for one attempt; `None` when a per-delivery id is needed and no key given.
    pub(crate) fn values<'a>(&self, ev: &Event<'a>, sent: UnixTime) -> Option<Values<'a>> {
        let delivery_uuid = match ev.delivery_key {
            Some(key) => Some(uuid_of(&[
                b"hookline delivery",
                ev.msg_id.as_bytes(),
                key.as_bytes(),
            ])),
            None if self.needs_delivery_key() => return None,
            None => None,
        };
        Some(Values {
            msg_id: ev.msg_id,
            msg_uuid: uuid_of(&[b"hookline message", ev.msg_id.as_bytes()]),
            delivery_uuid,
            id: ev.msg_id,
            event_type: ev.event_type,
            created: ev.created,
            sent,
            payload: ev.payload,
        })
    }

    /// The id the scheme sends, where it declares one.
    pub(crate) fn id(&self, v: &Values<'_>) -> Option<String> {
        self.id.as_ref().map(|t| t.render(v))
    }

    /// The body, where the scheme declares one. `v.id` must already be the scheme's id.
    pub(crate) fn body(&self, v: &Values<'_>) -> Option<Vec<u8>> {
        self.body.as_ref().map(|node| {
            let mut out = Vec::with_capacity(v.payload.len() + 256);
            node.render(v, &mut out);
            out
        })
    }

    /// The extra headers.
    pub(crate) fn headers<'s>(
        &'s self,
        v: &'s Values<'_>,
    ) -> impl Iterator<Item = (&'s str, String)> + 's {
        self.headers.iter().map(|(k, t)| (k.as_str(), t.render(v)))
    }
}

impl<'a> Values<'a> {
    /// The same values with the scheme's id in place of the message id.
    pub(crate) fn with_id(self, id: &'a str) -> Self {
        Values { id, ..self }
    }
}

/// RFC 7230 `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A UUID (version 8, RFC 9562: custom) from the SHA-256 of `parts`, each followed by a NUL
/// so that no two part lists hash alike. Deterministic, so a retry carries the same one.
fn uuid_of(parts: &[&[u8]]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(p);
        ctx.update(&[0]);
    }
    let d = ctx.finish();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Whether `value` can go in a header as it is: no control characters but tab.
pub(crate) fn header_value_ok(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
mod tests;
