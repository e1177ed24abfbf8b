//! Presets for the five providers this project was founded on (see `shared/spec/schemes.md`).

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
        .build(),
        // Spaces states no window; 300 s either way is our default.
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
        // fixture is wrong; the diagnosis recognises it.
        Preset::new(
            "splashify",
            "Splashify (no timestamp; its documented fixture is wrong)",
            "X-Splashify-Signature",
            single("sha256="),
            Hex,
            "{body}",
        )
        .build(),
    ]
}
