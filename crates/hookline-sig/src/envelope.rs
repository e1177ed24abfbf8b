//! Typed events for providers that define an envelope.
//!
//! The body is parsed only after its signature has been verified: a forged request never
//! reaches the JSON parser. These are the receiving side of the `spine` and `wasphere`
//! presets' `[send]` envelopes (see [`crate::outgoing`]): what Hookline sends in those
//! schemes parses here (`tests/outgoing.rs` checks the round trip).

use serde::{Deserialize, Serialize};

use crate::error::VerifyError;
use crate::request::Request;
use crate::time::UnixTime;
use crate::verify::{Verified, Verifier};

/// Spine's event envelope: `{id: "evt_<uuid>", type, created, livemode, api_version, data: {object}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// `evt_<uuid>`.
    pub id: String,
    /// The event type, such as `run.completed`, `run.failed`, `webhook.ping`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event happened, unix seconds.
    pub created: i64,
    /// Whether the event comes from live mode.
    pub livemode: bool,
    /// The API version the payload is rendered in.
    pub api_version: String,
    /// The payload.
    pub data: EventData,
}

/// The `data` member of a [`WebhookEvent`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventData {
    /// The object the event is about.
    pub object: serde_json::Value,
}

/// WaSphere's envelope: `{event, deliveryId, timestamp, data}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WaSphereEvent {
    /// `message.received`, `message.status`, `session.connected`, `session.disconnected`.
    pub event: String,
    /// The idempotency key: WaSphere's timestamp is not signed, so de-duplicate on this.
    pub delivery_id: String,
    /// The event time as WaSphere writes it.
    pub timestamp: serde_json::Value,
    /// The payload.
    pub data: serde_json::Value,
}

/// Why a typed event could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The request did not verify; the body was not parsed.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The request verified but its body is not the provider's envelope.
    #[error("the verified body is not a valid event: {0}")]
    Body(#[from] serde_json::Error),
}

/// Verifies a request with a `spine` verifier, then parses its [`WebhookEvent`].
pub fn spine_event(
    verifier: &Verifier,
    req: &Request<'_>,
    now: UnixTime,
) -> Result<(WebhookEvent, Verified), EventError> {
    let verified = verifier.verify(req, now)?;
    Ok((serde_json::from_slice(req.body)?, verified))
}

/// Verifies a request with a `wasphere` verifier, then parses its [`WaSphereEvent`].
pub fn wasphere_event(
    verifier: &Verifier,
    req: &Request<'_>,
    now: UnixTime,
) -> Result<(WaSphereEvent, Verified), EventError> {
    let verified = verifier.verify(req, now)?;
    Ok((serde_json::from_slice(req.body)?, verified))
}
