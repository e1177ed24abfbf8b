//! Presets for the wider field: the schemes people meet in practice.

use serde_json::json;

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
        .receive(None, Some(body_field("/type")))
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
        // Received: the Event object's `id` is the de-duplication key Stripe names
        // (docs.stripe.com/webhooks#handle-duplicate-events), `type` the event type.
        .receive(Some(body_field("/id")), Some(body_field("/type")))
        // Stripe's Event object (docs.stripe.com/api/events/object): `id` (`evt_…`, one per
        // event, so the same on every retry), `object: "event"`, `api_version`, `created`
        // (the event's time, unix seconds), `data.object`, `livemode`, `type`. Stripe's ids
        // are opaque to its SDKs (`evt_` + a UUID here). `api_version` is a real Stripe
        // version; stripe-go's `ConstructEvent` refuses a version other than its own unless
        // told to ignore it, so a custom scheme can pin the receiver's.
        .send(
            Some("evt_{msg_uuid}"),
            Some(json!({
                "id": "{id}",
                "object": "event",
                "api_version": "2024-06-20",
                "created": "{created}",
                "livemode": true,
                "pending_webhooks": 1,
                "type": "{event_type}",
                "data": {"object": "{payload}"},
            })),
            &[],
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
        .send(Some(GITHUB_DELIVERY), None, &[])
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
        .send(Some(GITHUB_DELIVERY), None, &[])
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
        // The Events API's outer payload (api.slack.com/apis/events-api#callback-field):
        // `event_id` is unique per event and kept on Slack's retries; `event.type` is the
        // inner event's type. Slash commands and interactivity are form-encoded and carry
        // neither: their id falls back to the signature's hash.
        .receive(
            Some(body_field("/event_id")),
            Some(body_field("/event/type")),
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
        // shopify.dev/docs/apps/build/webhooks/ignore-duplicates: `X-Shopify-Event-Id` is the
        // same on every retry of an event and is the key to de-duplicate on;
        // `X-Shopify-Triggered-At` is when the event happened. The body is the resource.
        .send(
            None,
            None,
            &[
                ("X-Shopify-Event-Id", "{msg_uuid}"),
                ("X-Shopify-Triggered-At", "{created_rfc3339}"),
            ],
        )
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
        // twilio.com/docs/usage/webhooks/webhooks-connection-overrides: every webhook carries
        // `I-Twilio-Idempotency-Token`, the same on Twilio's retries.
        .receive(Some(header("I-Twilio-Idempotency-Token")), None)
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
        .receive(
            Some(body_field("/event_id")),
            Some(body_field("/event_type")),
        )
        // developer.paddle.com/webhooks/about/how-webhooks-work and
        // /api-reference/notifications: `event_id` (the same for every destination: the
        // de-duplication key), `notification_id` (one per destination), `event_type`,
        // `occurred_at` (RFC 3339), `data` (the entity).
        .send(
            None,
            Some(json!({
                "event_id": "evt_{msg_uuid}",
                "event_type": "{event_type}",
                "occurred_at": "{created_rfc3339}",
                "notification_id": "ntf_{delivery_uuid}",
                "data": "{payload}",
            })),
            &[],
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
        // Zoom's body `{event, event_ts, payload}` names the event; it has no event id.
        .receive(None, Some(body_field("/event")))
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
        // An interaction's `id` and its numeric `type` (discord.com/developers/docs/
        // interactions/receiving-and-responding#interaction-object).
        .receive(Some(body_field("/id")), Some(body_field("/type")))
        .build(),
        Preset::new(
            "square",
            "Square (notification URL + body)",
            "x-square-hmacsha256-signature",
            single(""),
            Base64,
            "{url}{body}",
        )
        // developer.squareup.com/docs/webhooks/overview: `event_id` is the key to
        // de-duplicate on, `type` the event type.
        .receive(Some(body_field("/event_id")), Some(body_field("/type")))
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
        // linear.app/developers/webhooks: `Linear-Delivery` is a UUID per delivery, the body
        // `{action, type, data, url, createdAt, webhookTimestamp, webhookId, …}`; its SDK
        // checks `webhookTimestamp` (the send time, ms) within 60 s, so it is the attempt's
        // time. Linear's `action` and `url` have no counterpart in a Hookline message.
        .send(
            Some("{delivery_uuid}"),
            Some(json!({
                "type": "{event_type}",
                "createdAt": "{created_rfc3339}",
                "data": "{payload}",
                "webhookTimestamp": "{sent_ms}",
            })),
            &[],
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
        // dev.twitch.tv/docs/eventsub/handling-webhook-events: a `notification` message
        // (`Twitch-Eventsub-Message-Type`) whose body is `{subscription, event}`; a resent
        // message keeps its id. The subscription's own id, condition and version are
        // Twitch-side facts Hookline does not hold: version "1", empty condition (*unconfirmed*).
        .send(
            None,
            Some(json!({
                "event": "{payload}",
                "subscription": {
                    "type": "{event_type}",
                    "version": "1",
                    "status": "enabled",
                    "cost": 0,
                    "created_at": "{created_rfc3339}",
                    "condition": {},
                    "transport": {"method": "webhook"},
                },
            })),
            &[
                ("Twitch-Eventsub-Message-Type", "notification"),
                ("Twitch-Eventsub-Subscription-Version", "1"),
            ],
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
        // Typeform's payload: `event_id` and `event_type` (`form_response`).
        .receive(
            Some(body_field("/event_id")),
            Some(body_field("/event_type")),
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

/// GitHub's `X-GitHub-Delivery`: "a GUID to identify the delivery" (docs.github.com, webhook
/// delivery headers), kept on a redelivery; one per message and endpoint.
const GITHUB_DELIVERY: &str = "{delivery_uuid}";

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
    // The Standard Webhooks spec's payload structure is `{type, timestamp, data}`
    // (standard-webhooks/spec, "Payload structure"): `type` names the event.
    .receive(None, Some(body_field("/type")))
    .build()
}
