//! Presets for the wider field: the schemes people meet in practice.

use super::{Preset, body_field, header, list, pairs, param, single};
use crate::encoding::Encoding::{Base64, Hex};
use crate::key::{Algorithm, KeyEncoding};
use crate::scheme::{Scheme, UrlRules};
use crate::time::TimestampFormat::{Rfc3339, UnixMillis, UnixSeconds};
use crate::time::Tolerance;

/// Five minutes either way: the window of Standard Webhooks, Svix and Slack.
const FIVE_MINUTES: Tolerance = Tolerance::symmetric(300);

pub(super) fn all() -> Vec<Scheme> {
    vec![
        standard("standard", "Standard Webhooks v1 (HMAC-SHA256)", "webhook"),
        // Standard Webhooks' asymmetric form. The spec says `whsk_`/`whpk_` + base64 without
        // fixing the byte layout; the Go library (the only one with v1a) reads `whsk_` as a
        // 32-byte seed and `whpk_` as the 32-byte public key, and so do we (a 64-byte
        // seed ‖ public key is accepted as well).
        Preset::new(
            "standard-v1a",
            "Standard Webhooks v1a (Ed25519)",
            "webhook-signature",
            list("v1a"),
            Base64,
            "{id}.{timestamp}.{body}",
        )
        .algorithm(Algorithm::Ed25519)
        .key(KeyEncoding::Base64, Some("whpk_"))
        .signing_key(KeyEncoding::Base64, Some("whsk_"))
        .id(header("webhook-id"))
        .timestamp(header("webhook-timestamp"), UnixSeconds, FIVE_MINUTES)
        .build(),
        standard(
            "svix",
            "Svix (also Clerk, Resend): Standard Webhooks with svix-* headers",
            "svix",
        ),
        // stripe-node/python/go: `t` and every `v1` from the header, `v0` ignored, the key is
        // the whole `whsec_…` string's bytes, and only age is limited (300 s).
        Preset::new(
            "stripe",
            "Stripe",
            "Stripe-Signature",
            pairs(',', "v1"),
            Hex,
            "{timestamp}.{body}",
        )
        .timestamp(
            param("t"),
            UnixSeconds,
            Tolerance {
                past: Some(300),
                future: None,
            },
        )
        .build(),
        Preset::new(
            "github",
            "GitHub (X-Hub-Signature-256)",
            "X-Hub-Signature-256",
            single("sha256="),
            Hex,
            "{body}",
        )
        .id(header("X-GitHub-Delivery"))
        .event(header("X-GitHub-Event"))
        .build(),
        Preset::new(
            "github-sha1",
            "GitHub legacy (X-Hub-Signature, HMAC-SHA1)",
            "X-Hub-Signature",
            single("sha1="),
            Hex,
            "{body}",
        )
        .algorithm(Algorithm::HmacSha1)
        .id(header("X-GitHub-Delivery"))
        .event(header("X-GitHub-Event"))
        .build(),
        Preset::new(
            "slack",
            "Slack",
            "X-Slack-Signature",
            single("v0="),
            Hex,
            "v0:{timestamp}:{body}",
        )
        .timestamp(
            header("X-Slack-Request-Timestamp"),
            UnixSeconds,
            FIVE_MINUTES,
        )
        .build(),
        Preset::new(
            "shopify",
            "Shopify",
            "X-Shopify-Hmac-Sha256",
            single(""),
            Base64,
            "{body}",
        )
        .id(header("X-Shopify-Webhook-Id"))
        .event(header("X-Shopify-Topic"))
        .build(),
        // twilio-python's RequestValidator: the URL, then each form parameter name + value
        // sorted; a JSON body is signed through `bodySHA256=<hex>` in the URL instead. The URL
        // is tried with its port removed and with the default port added.
        Preset::new(
            "twilio",
            "Twilio (HMAC-SHA1 of URL and form parameters)",
            "X-Twilio-Signature",
            single(""),
            Base64,
            "{url}{form}",
        )
        .algorithm(Algorithm::HmacSha1)
        .url(UrlRules {
            body_hash_param: Some("bodySHA256".into()),
            port_variants: true,
        })
        .build(),
        // paddle-node-sdk and paddle-python-sdk: `ts=…;h1=…`, 5 s of age, no future limit;
        // any `h1` may match (Python checks each; Node only the last, which is stricter).
        Preset::new(
            "paddle",
            "Paddle Billing",
            "Paddle-Signature",
            pairs(';', "h1"),
            Hex,
            "{timestamp}:{body}",
        )
        .timestamp(
            param("ts"),
            UnixSeconds,
            Tolerance {
                past: Some(5),
                future: None,
            },
        )
        .build(),
        // Zoom's window is *unconfirmed*: its docs and samples do not state one; 300 s as Slack.
        Preset::new(
            "zoom",
            "Zoom",
            "x-zm-signature",
            single("v0="),
            Hex,
            "v0:{timestamp}:{body}",
        )
        .timestamp(header("x-zm-request-timestamp"), UnixSeconds, FIVE_MINUTES)
        .build(),
        // Discord sends deliberately invalid signatures to check that endpoints answer 401.
        Preset::new(
            "discord",
            "Discord interactions (Ed25519)",
            "X-Signature-Ed25519",
            single(""),
            Hex,
            "{timestamp}{body}",
        )
        .algorithm(Algorithm::Ed25519)
        .key(KeyEncoding::Hex, None)
        .signing_key(KeyEncoding::Hex, None)
        .timestamp(
            header("X-Signature-Timestamp"),
            UnixSeconds,
            Tolerance::unlimited(),
        )
        .build(),
        Preset::new(
            "square",
            "Square (notification URL + body)",
            "x-square-hmacsha256-signature",
            single(""),
            Base64,
            "{url}{body}",
        )
        .build(),
        // The Linear SDK checks `webhookTimestamp` (ms, in the body) within 60 s after the MAC.
        Preset::new(
            "linear",
            "Linear",
            "Linear-Signature",
            single(""),
            Hex,
            "{body}",
        )
        .id(header("Linear-Delivery"))
        .event(header("Linear-Event"))
        .timestamp(
            body_field("/webhookTimestamp"),
            UnixMillis,
            Tolerance::symmetric(60),
        )
        .build(),
        Preset::new(
            "twitch",
            "Twitch EventSub",
            "Twitch-Eventsub-Message-Signature",
            single("sha256="),
            Hex,
            "{id}{timestamp}{body}",
        )
        .id(header("Twitch-Eventsub-Message-Id"))
        .event(header("Twitch-Eventsub-Subscription-Type"))
        .timestamp(
            header("Twitch-Eventsub-Message-Timestamp"),
            Rfc3339,
            Tolerance::symmetric(600),
        )
        .build(),
        // Base64 per Typeform's docs (a *secondary source*: it ships no verifying SDK).
        Preset::new(
            "typeform",
            "Typeform",
            "Typeform-Signature",
            single("sha256="),
            Base64,
            "{body}",
        )
        .build(),
        // SendGrid's Event Webhook: ECDSA P-256 over timestamp + payload, base64 DER signature,
        // public key as base64 DER (SubjectPublicKeyInfo), no window in its SDKs.
        Preset::new(
            "sendgrid",
            "Twilio SendGrid Event Webhook (ECDSA P-256)",
            "X-Twilio-Email-Event-Webhook-Signature",
            single(""),
            Base64,
            "{timestamp}{body}",
        )
        .algorithm(Algorithm::EcdsaP256Sha256)
        .key(KeyEncoding::Base64, None)
        .signing_key(KeyEncoding::Base64, None)
        .timestamp(
            header("X-Twilio-Email-Event-Webhook-Timestamp"),
            UnixSeconds,
            Tolerance::unlimited(),
        )
        .build(),
        // Mailgun signs only `timestamp + token`, inside the body; the event data is not covered
        // at all, so the token (our id) must be remembered to stop replays. Mailgun states no
        // window: 300 s either way is ours, and configurable.
        Preset::new(
            "mailgun",
            "Mailgun (signature inside the body; event data not covered)",
            "",
            single(""),
            Hex,
            "{timestamp}{id}",
        )
        .signature_in_body("/signature/signature")
        .id(body_field("/signature/token"))
        .event(body_field("/event-data/event"))
        .timestamp(
            body_field("/signature/timestamp"),
            UnixSeconds,
            FIVE_MINUTES,
        )
        .build(),
    ]
}

/// Standard Webhooks and Svix differ only in their header prefix.
fn standard(name: &str, description: &str, prefix: &str) -> Scheme {
    Preset::new(
        name,
        description,
        &format!("{prefix}-signature"),
        list("v1"),
        Base64,
        "{id}.{timestamp}.{body}",
    )
    .key(KeyEncoding::Base64, Some("whsec_"))
    .id(header(&format!("{prefix}-id")))
    .timestamp(
        header(&format!("{prefix}-timestamp")),
        UnixSeconds,
        FIVE_MINUTES,
    )
    .build()
}
