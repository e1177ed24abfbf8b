//! Presets for the five providers this project was founded on (see `shared/spec/schemes.md`).

use serde_json::json;

use super::{Preset, body_field, header, pairs, param, single};
use crate::encoding::Encoding::Hex;
use crate::scheme::Scheme;
use crate::time::TimestampFormat::UnixSeconds;
use crate::time::Tolerance;

pub(super) fn all() -> Vec<Scheme> {
    vec![
        Preset::new(
            "spectrum",
            "Spectrum",
            "X-Spectrum-Signature",
            single("v0="),
            Hex,
            "v0:{timestamp}:{body}",
        )
        .timestamp(
            header("X-Spectrum-Timestamp"),
            UnixSeconds,
            Tolerance::symmetric(300),
        )
        // The event name goes in `X-Spectrum-Event` (the signer writes the `event_type`
        // header); the body is the payload itself, as in the spec's example.
        .event(header("X-Spectrum-Event"))
        .build(),
        // Stripe's construction under another name: the key is the whole `whsec_…` string's
        // bytes, several `v1=` during rotation, 300 s either way by default.
        Preset::new(
            "spine",
            "Spine (Stripe-style; typed `WebhookEvent` envelope)",
            "Spine-Signature",
            pairs(',', "v1"),
            Hex,
            "{timestamp}.{body}",
        )
        .timestamp(param("t"), UnixSeconds, Tolerance::symmetric(300))
        .id(body_field("/id"))
        .event(body_field("/type"))
        // The spec's envelope: `{id: "evt_<uuid>", type, created, livemode, api_version,
        // data: {object}}`. The id is per event (the same for every endpoint and retry);
        // `created` is the message's time. The spec fixes no `api_version` value: ours names
        // the envelope's shape; a custom scheme can set its own.
        .send(
            Some("evt_{msg_uuid}"),
            Some(json!({
                "id": "{id}",
                "type": "{event_type}",
                "created": "{created}",
                "livemode": true,
                "api_version": "2025-01-01",
                "data": {"object": "{payload}"},
            })),
            &[],
        )
        .build(),
        // WaSphere's timestamp header is NOT covered by the MAC: it is checked for freshness,
        // but a replay can carry a new one. `deliveryId` in the body is the idempotency key.
        Preset::new(
            "wasphere",
            "WaSphere (timestamp not signed; dedupe on deliveryId)",
            "X-WaSphere-Signature",
            single("sha256="),
            Hex,
            "{body}",
        )
        .timestamp(
            header("X-WaSphere-Timestamp"),
            UnixSeconds,
            Tolerance::symmetric(300),
        )
        .id(body_field("/deliveryId"))
        .event(body_field("/event"))
        // The spec's envelope `{event, deliveryId, timestamp, data}`. `deliveryId` is the
        // idempotency key of one delivery (the spec's dashboard lists a delivery's attempts
        // and retry history), so it is per message and endpoint: the same on every retry,
        // different for two endpoints. `timestamp` is the message's time in unix seconds,
        // the unit of `X-WaSphere-Timestamp` (the spec does not fix it: *unconfirmed*).
        .send(
            Some("{delivery_uuid}"),
            Some(json!({
                "event": "{event_type}",
                "deliveryId": "{id}",
                "timestamp": "{created}",
                "data": "{payload}",
            })),
            &[],
        )
        .build(),
        // Spaces states no window; 300 s either way is our default. The spec gives Spaces no
        // envelope and no event header: the payload is sent as it is.
        Preset::new(
            "spaces",
            "Spaces",
            "X-Spaces-Signature",
            single(""),
            Hex,
            "v0:{timestamp}:{body}",
        )
        .timestamp(
            header("X-Spaces-Request-Timestamp"),
            UnixSeconds,
            Tolerance::symmetric(300),
        )
        .build(),
        // No timestamp: replays are stopped only by de-duplication. Splashify's published test
        // fixture is wrong; the diagnosis recognises it. No envelope: its payloads carry their
        // own `eventType` (see the fixture), so the payload is sent as it is.
        Preset::new(
            "splashify",
            "Splashify (no timestamp; its documented fixture is wrong)",
            "X-Splashify-Signature",
            single("sha256="),
            Hex,
            "{body}",
        )
        // Splashify's payloads name their own event (`eventType`, see the fixture).
        .receive(None, Some(body_field("/eventType")))
        .build(),
    ]
}
