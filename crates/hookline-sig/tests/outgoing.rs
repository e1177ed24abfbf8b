//! What the sending side writes, the receiving side reads: for every preset that can sign,
//! an event dressed by its scheme (`Signer::sign_event`) verifies, reports the id and the
//! event type the scheme sent, and parses as the provider's envelope where it has one.

use base64::Engine as _;
use hookline_sig::envelope::{spine_event, wasphere_event};
use hookline_sig::{Algorithm, Event, Request, Scheme, Source, UnixTime, presets};
use proptest::prelude::*;
use ring::rand::SystemRandom;
use ring::signature::EcdsaKeyPair;
use serde_json::Value;

const URL: &str = "https://example.com/hooks/in";
const CREATED: UnixTime = UnixTime::from_secs(1_760_000_000);

/// A (signing key, verifying key) pair of the kind `scheme` takes.
fn key_pair(scheme: &Scheme) -> (String, String) {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let seed = [7u8; 32];
    let private = match scheme.algorithm() {
        Algorithm::Ed25519 if scheme.name() == "discord" => hex::encode(seed),
        Algorithm::Ed25519 => format!("whsk_{}", b64(&seed)),
        Algorithm::EcdsaP256Sha256 => b64(EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &SystemRandom::new(),
        )
        .expect("keygen")
        .as_ref()),
        _ if scheme.key_format().prefix.as_deref() == Some("whsec_") => {
            format!("whsec_{}", b64(&seed[..24]))
        }
        _ => "a3f8e29b5c7e9b2d".into(),
    };
    let public = if scheme.algorithm().is_symmetric() {
        private.clone()
    } else {
        scheme
            .signer(&[&private])
            .expect("signer")
            .public_keys()
            .expect("asymmetric")
            .remove(0)
    };
    (private, public)
}

/// Dresses, signs and verifies one event; returns the body sent and what verification said.
fn round_trip(
    scheme: &Scheme,
    event_type: &str,
    payload: &[u8],
    delivery: &str,
    sent: UnixTime,
) -> (Vec<u8>, Vec<(String, String)>, hookline_sig::Verified) {
    let (sk, vk) = key_pair(scheme);
    let ev = Event {
        msg_id: "msg_2Xk9aQ",
        event_type,
        created: CREATED,
        payload,
        delivery_key: Some(delivery),
    };
    let out = scheme
        .signer(&[&sk])
        .expect("signer")
        .sign_event(&ev, sent, Some(URL))
        .unwrap_or_else(|e| panic!("{}: {e}", scheme.name()));
    let body = out.body.unwrap_or_else(|| payload.to_vec());
    let verified = scheme
        .verifier(&[&vk])
        .expect("verifier")
        .verify(&Request::new(&out.headers, &body).with_url(URL), sent)
        .unwrap_or_else(|e| panic!("{}: {e}", scheme.name()));
    (body, out.headers, verified)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn every_signing_preset_round_trips_its_envelope() {
    let payload = br#"{"object":"thing","n":1}"#;
    for scheme in presets::all().iter().filter(|s| s.can_sign()) {
        let sent = UnixTime::from_secs(1_760_000_030);
        let (body, headers, verified) = round_trip(scheme, "thing.created", payload, "ep_1", sent);
        // The event type the scheme sends is the one its verifier reads.
        if scheme.event_type().is_some() {
            assert_eq!(
                verified.event_type.as_deref(),
                Some("thing.created"),
                "{}",
                scheme.name()
            );
        }
        // A retry (later, same delivery) carries the same id and the same envelope, except
        // for what is the attempt's own time.
        let (again, again_headers, reverified) = round_trip(
            scheme,
            "thing.created",
            payload,
            "ep_1",
            UnixTime::from_secs(1_760_000_400),
        );
        assert_eq!(
            verified.id,
            reverified.id,
            "{}: the id is stable",
            scheme.name()
        );
        if !matches!(
            scheme.timestamp().map(|t| &t.source),
            Some(Source::BodyField(_))
        ) {
            assert_eq!(
                body,
                again,
                "{}: the body is stable across attempts",
                scheme.name()
            );
        }
        if let Some(Source::Header(h)) = scheme.id() {
            assert_eq!(
                header(&headers, h),
                header(&again_headers, h),
                "{}",
                scheme.name()
            );
            assert_eq!(
                header(&headers, h),
                verified.id.as_deref(),
                "{}",
                scheme.name()
            );
        }
        // Where the scheme wraps the payload, the payload is in there as JSON.
        if scheme.outgoing().has_body() {
            let v: Value = serde_json::from_slice(&body).expect("an envelope is JSON");
            let embedded = [&v["data"]["object"], &v["data"], &v["event"]];
            assert!(
                embedded
                    .iter()
                    .any(|e| **e == serde_json::json!({"object":"thing","n":1})),
                "{}: {v}",
                scheme.name()
            );
        } else {
            assert_eq!(body, payload, "{}: the payload as it is", scheme.name());
        }
    }
}

#[test]
fn spine_and_wasphere_receivers_read_what_is_sent() {
    let sent = UnixTime::from_secs(1_760_000_030);
    let spine = presets::by_name("spine").expect("preset");
    let (sk, vk) = key_pair(spine);
    let ev = Event {
        msg_id: "msg_1",
        event_type: "run.completed",
        created: CREATED,
        payload: br#"{"run":"r_1","status":"ok"}"#,
        delivery_key: Some("ep_1"),
    };
    let out = spine
        .signer(&[&sk])
        .expect("key")
        .sign_event(&ev, sent, None)
        .expect("signs");
    let body = out.body.expect("an envelope");
    let v = spine.verifier(&[&vk]).expect("key");
    let (event, verified) =
        spine_event(&v, &Request::new(&out.headers, &body), sent).expect("typed");
    assert_eq!(event.event_type, "run.completed");
    assert_eq!(event.created, CREATED.secs());
    assert!(event.livemode);
    assert_eq!(event.data.object["status"], "ok");
    assert!(event.id.starts_with("evt_"));
    assert_eq!(verified.id.as_deref(), Some(event.id.as_str()));

    let wasphere = presets::by_name("wasphere").expect("preset");
    let (sk, vk) = key_pair(wasphere);
    let ev = Event {
        event_type: "message.received",
        ..ev
    };
    let out = wasphere
        .signer(&[&sk])
        .expect("key")
        .sign_event(&ev, sent, None)
        .expect("signs");
    let body = out.body.expect("an envelope");
    let v = wasphere.verifier(&[&vk]).expect("key");
    let (event, verified) =
        wasphere_event(&v, &Request::new(&out.headers, &body), sent).expect("typed");
    assert_eq!(event.event, "message.received");
    assert_eq!(event.timestamp, CREATED.secs());
    assert_eq!(event.data["run"], "r_1");
    assert_eq!(verified.id.as_deref(), Some(event.delivery_id.as_str()));
    assert_eq!(verified.event_type.as_deref(), Some("message.received"));
}

/// Any JSON payload and any event type without control characters survive the envelope.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn envelopes_carry_any_payload_and_event_type(payload in json_value(), event_type in "[^\\x00-\\x1f\\x7f]{1,20}", pretty in any::<bool>()) {
        let bytes = if pretty { serde_json::to_vec_pretty(&payload) } else { serde_json::to_vec(&payload) }.expect("json");
        for name in ["spine", "stripe", "wasphere", "paddle", "linear", "twitch"] {
            let scheme = presets::by_name(name).expect("preset");
            let sent = UnixTime::from_secs(1_760_000_030);
            let (body, _, verified) = round_trip(scheme, &event_type, &bytes, "ep_9", sent);
            let v: Value = serde_json::from_slice(&body).expect("the envelope is JSON");
            let inner = match name {
                "spine" | "stripe" => &v["data"]["object"],
                "twitch" => &v["event"],
                _ => &v["data"],
            };
            prop_assert_eq!(inner, &payload, "{}", name);
            if scheme.event_type().is_some() {
                prop_assert_eq!(verified.event_type.as_deref(), Some(event_type.as_str()), "{}", name);
            }
        }
    }
}
