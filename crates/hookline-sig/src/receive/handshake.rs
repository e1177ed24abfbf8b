//! The URL-ownership challenges providers send to a webhook URL before (or between) events,
//! each answered the way its provider defines, and verified where it defines how.
//!
//! Each function is pure: it takes what the request carried (query string, body) and the
//! secret, and returns the [`Reply`] to send, or `None` when the request is not that
//! handshake (it is then an ordinary event). Where the provider signs the handshake request
//! like an event (Slack, Zoom), the caller verifies it first, as for any event; where it
//! authenticates it with a shared token (Meta), the token is compared here in constant time.

use ring::hmac;
use serde_json::Value;
use subtle::ConstantTimeEq as _;

use crate::encoding::Encoding;

/// The handshakes Hookline answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Handshake {
    /// Slack's Events API `url_verification` (a signed POST).
    Slack,
    /// Zoom's `endpoint.url_validation` (a signed POST).
    Zoom,
    /// Meta's (Facebook, Instagram, WhatsApp) `hub.challenge` GET.
    Meta,
    /// Twitter/X's Account Activity CRC GET.
    Twitter,
    /// Microsoft Graph's `validationToken` (an unsigned POST).
    Graph,
}

impl Handshake {
    /// Every handshake, by the name used in configuration.
    pub const ALL: [Handshake; 5] = [
        Handshake::Slack,
        Handshake::Zoom,
        Handshake::Meta,
        Handshake::Twitter,
        Handshake::Graph,
    ];

    /// The name used in configuration: `slack`, `zoom`, `meta`, `twitter`, `graph`.
    pub fn name(self) -> &'static str {
        match self {
            Handshake::Slack => "slack",
            Handshake::Zoom => "zoom",
            Handshake::Meta => "meta",
            Handshake::Twitter => "twitter",
            Handshake::Graph => "graph",
        }
    }

    /// The handshake called `name`.
    pub fn parse(name: &str) -> Option<Handshake> {
        Self::ALL.into_iter().find(|h| h.name() == name)
    }

    /// The handshake a preset's provider sends, for the presets whose provider has one.
    pub fn of_scheme(scheme: &str) -> Option<Handshake> {
        match scheme {
            "slack" => Some(Handshake::Slack),
            "zoom" => Some(Handshake::Zoom),
            _ => None,
        }
    }

    /// Whether the provider sends it as a GET (else as a POST, beside its events).
    pub fn is_get(self) -> bool {
        matches!(self, Handshake::Meta | Handshake::Twitter)
    }

    /// Whether the handshake request is signed like an event, so the caller verifies it
    /// before answering.
    pub fn is_signed(self) -> bool {
        matches!(self, Handshake::Slack | Handshake::Zoom)
    }
}

/// What to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    fn text(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }

    fn json(body: &Value) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        }
    }
}

/// A handshake request that was recognised and refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// Meta's `hub.verify_token` is not the one configured (answer 403, as Meta's docs do).
    #[error("hub.verify_token does not match")]
    TokenMismatch,
    /// The handshake needs a value that is not configured (Meta's verify token).
    #[error("no {0} is configured for this source")]
    NotConfigured(&'static str),
    /// A parameter the handshake needs is absent or empty.
    #[error("missing {0}")]
    Missing(&'static str),
}

impl HandshakeError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::TokenMismatch | HandshakeError::NotConfigured(_) => 403,
            HandshakeError::Missing(_) => 400,
        }
    }
}

/// Slack's `url_verification`: "verify the request's authenticity and then respond in
/// plaintext with the `challenge` attribute value" (api.slack.com/events/url_verification).
/// `body` must already have verified with the Slack signing secret.
pub fn slack(body: &[u8]) -> Option<Reply> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("type")?.as_str()? != "url_verification" {
        return None;
    }
    Some(Reply::text(v.get("challenge")?.as_str()?))
}

/// Zoom's `endpoint.url_validation`: the body is `{"event": "endpoint.url_validation",
/// "payload": {"plainToken": …}}`; the answer is `{"plainToken", "encryptedToken"}` with
/// `encryptedToken` = hex(HMAC-SHA256(secret token, plainToken)) (developers.zoom.us, "Using
/// webhooks: Validate your webhook endpoint"; the same construction in Zoom's sample
/// `zoom/webhook-sample`). `body` must already have verified with the same secret token.
pub fn zoom(body: &[u8], secret_token: &[u8]) -> Option<Reply> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("event")?.as_str()? != "endpoint.url_validation" {
        return None;
    }
    let plain = v.pointer("/payload/plainToken")?.as_str()?;
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret_token),
        plain.as_bytes(),
    );
    Some(Reply::json(&serde_json::json!({
        "plainToken": plain,
        "encryptedToken": hex::encode(tag.as_ref()),
    })))
}

/// Meta's verification request: `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`;
/// when the mode is `subscribe` and the token is the one configured in the App Dashboard,
/// answer the challenge (developers.facebook.com/docs/graph-api/webhooks/getting-started,
/// "Verification Requests"; WhatsApp Cloud API: the same). `None` when the query has no
/// `hub.mode`.
pub fn meta(query: &str, verify_token: Option<&str>) -> Option<Result<Reply, HandshakeError>> {
    let mode = param(query, "hub.mode")?;
    Some((|| {
        if mode != "subscribe" {
            return Err(HandshakeError::Missing("hub.mode=subscribe"));
        }
        let want = verify_token.ok_or(HandshakeError::NotConfigured("verify token"))?;
        let got = param(query, "hub.verify_token").unwrap_or_default();
        if !bool::from(got.as_bytes().ct_eq(want.as_bytes())) {
            return Err(HandshakeError::TokenMismatch);
        }
        let challenge = param(query, "hub.challenge")
            .filter(|c| !c.is_empty())
            .ok_or(HandshakeError::Missing("hub.challenge"))?;
        Ok(Reply::text(challenge))
    })())
}

/// Twitter/X's challenge-response check: `GET ?crc_token=…`, answered with
/// `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}`
/// (developer.x.com, Account Activity API, "Securing webhooks": the CRC). `None` when the
/// query has no `crc_token`.
pub fn twitter(query: &str, consumer_secret: &[u8]) -> Option<Result<Reply, HandshakeError>> {
    let token = param(query, "crc_token")?;
    if token.is_empty() {
        return Some(Err(HandshakeError::Missing("crc_token")));
    }
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, consumer_secret),
        token.as_bytes(),
    );
    Some(Ok(Reply::json(&serde_json::json!({
        "response_token": format!("sha256={}", Encoding::Base64.encode(tag.as_ref())),
    }))))
}

/// Microsoft Graph's endpoint validation: a POST to `…?validationToken=…` (URL-encoded),
/// answered within 10 s with 200 and the decoded token as `text/plain`
/// (learn.microsoft.com/graph/change-notifications-delivery-webhooks, "Notification endpoint
/// validation"). Graph defines no signature for it: the token is only echoed. `None` when the
/// query has no `validationToken`.
pub fn graph(query: &str) -> Option<Result<Reply, HandshakeError>> {
    let token = param(query, "validationToken")?;
    if token.is_empty() {
        return Some(Err(HandshakeError::Missing("validationToken")));
    }
    Some(Ok(Reply::text(token)))
}

/// The first value of `name` in a URL query (form-decoded).
fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
