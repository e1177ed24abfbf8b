use super::handshake::{self, Handshake, HandshakeError};
use super::*;
use crate::presets::by_name;
use crate::scheme::{Scheme, SchemeDef};
use crate::sign::Message;

const NOW: UnixTime = UnixTime::from_secs(1_747_249_200);

fn preset(name: &str) -> &'static Scheme {
    by_name(name).expect("preset")
}

/// Signs `body` at `at` with `secret` in `scheme`, with an id where the scheme wants one.
fn signed(scheme: &Scheme, secret: &str, body: &[u8], at: UnixTime) -> Vec<(String, String)> {
    scheme
        .sign(
            &[secret],
            &Message {
                id: Some("msg_1"),
                timestamp: at,
                body,
                url: None,
            },
        )
        .expect("sign")
}

fn decide(scheme: &Scheme, secret: &str, headers: &[(String, String)], body: &[u8]) -> Decision {
    let verifier = scheme.verifier(&[secret]).expect("key");
    receive(&verifier, &Request::new(&headers, body), NOW)
}

#[test]
fn stripe_event_id_and_type_come_from_the_body() {
    let s = preset("stripe");
    let body = br#"{"id":"evt_1NG8","object":"event","type":"invoice.paid","data":{}}"#;
    let headers = signed(s, "whsec_test", body, NOW);
    let Decision::Accepted(a) = decide(s, "whsec_test", &headers, body) else {
        panic!("rejected")
    };
    assert_eq!(a.event.id, "evt_1NG8");
    assert_eq!(a.event.origin, IdOrigin::Declared);
    assert_eq!(a.event.event_type.as_deref(), Some("invoice.paid"));
}

#[test]
fn header_ids_and_types_are_read_per_preset() {
    let body =
        br#"{"type":"user.created","deliveryId":"d-42","event":"message.received","id":"evt_9"}"#;
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, Option<&'a str>);
    let cases: [Case<'_>; 5] = [
        (
            "github",
            &[
                ("X-GitHub-Delivery", "72d3162e"),
                ("X-GitHub-Event", "push"),
            ],
            "72d3162e",
            Some("push"),
        ),
        (
            "shopify",
            &[
                ("X-Shopify-Webhook-Id", "b54557e4"),
                ("X-Shopify-Topic", "orders/create"),
            ],
            "b54557e4",
            Some("orders/create"),
        ),
        (
            "standard",
            &[("webhook-id", "msg_2")],
            "msg_2",
            Some("user.created"),
        ),
        ("wasphere", &[], "d-42", Some("message.received")),
        ("spine", &[], "evt_9", Some("user.created")),
    ];
    for (name, headers, id, event_type) in cases {
        let meta = event_meta(preset(name), &Request::new(&headers, body));
        assert_eq!(meta.id, id, "{name}");
        assert_eq!(meta.origin, IdOrigin::Declared, "{name}");
        assert_eq!(meta.event_type.as_deref(), event_type, "{name}");
    }
}

#[test]
fn without_a_declared_id_the_signature_is_hashed() {
    // A Slack slash command is form-encoded: no `event_id` to read.
    let s = preset("slack");
    let body = b"token=x&team_id=T1&command=%2Fdeploy";
    let headers = signed(s, "8f742231b10e8888abcd99yyyzzz85a5", body, NOW);
    let meta = event_meta(s, &Request::new(&headers, body));
    assert_eq!(meta.origin, IdOrigin::SignatureHash);
    assert!(
        meta.id.starts_with("sig_") && meta.id.len() == 36,
        "{}",
        meta.id
    );
    assert_eq!(meta.event_type, None);
    // The same signature, the same id; another signature, another id.
    assert_eq!(event_meta(s, &Request::new(&headers, body)).id, meta.id);
    let later = signed(
        s,
        "8f742231b10e8888abcd99yyyzzz85a5",
        body,
        UnixTime::from_secs(NOW.secs() + 1),
    );
    assert_ne!(event_meta(s, &Request::new(&later, body)).id, meta.id);
}

#[test]
fn an_overlong_id_is_hashed() {
    let long = "x".repeat(MAX_EVENT_ID_LEN + 1);
    let headers = [("X-GitHub-Delivery", long.as_str())];
    let meta = event_meta(preset("github"), &Request::new(&headers, b""));
    assert_eq!(meta.origin, IdOrigin::LongIdHash);
    assert!(meta.id.starts_with("idh_"));
}

#[test]
fn custom_schemes_declare_receive_fields_in_toml_and_json_alike() {
    let toml_text = r#"
name = "acme"
algorithm = "hmac-sha256"
encoding = "hex"
signed_content = "{body}"
key = { encoding = "utf8" }
signature = { header = "X-Acme-Signature", style = "single", prefix = "sha256=" }
[receive]
id = { body_field = "/meta/id" }
event_type = { header = "X-Acme-Event" }
"#;
    let from_toml: SchemeDef = toml::from_str(toml_text).expect("toml");
    let json_text = serde_json::json!({
        "name": "acme", "algorithm": "hmac-sha256", "encoding": "hex",
        "signed_content": "{body}", "key": {"encoding": "utf8"},
        "signature": {"header": "X-Acme-Signature", "style": "single", "prefix": "sha256="},
        "receive": {"id": {"body_field": "/meta/id"}, "event_type": {"header": "X-Acme-Event"}},
    });
    let from_json: SchemeDef = serde_json::from_value(json_text).expect("json");
    assert_eq!(from_toml, from_json);
    let scheme = Scheme::try_from(from_json).expect("valid");
    let headers = [("X-Acme-Event", "thing.done")];
    let meta = event_meta(
        &scheme,
        &Request::new(&headers, br#"{"meta":{"id":"a-1"}}"#),
    );
    assert_eq!(
        (meta.id.as_str(), meta.event_type.as_deref()),
        ("a-1", Some("thing.done"))
    );
    // It prints back to the same definition.
    assert_eq!(
        Scheme::try_from(SchemeDef::from(scheme.clone())).expect("round trip"),
        scheme
    );

    let mut bad: SchemeDef = toml::from_str(toml_text).expect("toml");
    bad.receive = Some(crate::scheme::ReceiveDef {
        id: Some(crate::scheme::SourceDef {
            body_field: Some("meta.id".into()),
            ..Default::default()
        }),
        event_type: None,
    });
    let err = Scheme::try_from(bad)
        .expect_err("not a pointer")
        .to_string();
    assert!(err.contains("receive.id"), "{err}");
}

#[test]
fn rejections_say_which_check_failed_and_nothing_secret() {
    let s = preset("stripe");
    let secret = "whsec_supersecret";
    let body = br#"{"id":"evt_1","type":"a.b"}"#;

    let stale = signed(s, secret, body, UnixTime::from_secs(NOW.secs() - 412));
    let Decision::Rejected(r) = decide(s, secret, &stale, body) else {
        panic!("accepted a stale request")
    };
    assert_eq!(
        (r.kind, r.reason.as_str()),
        (
            Rejection::Unverified,
            "stale timestamp, 412 s old (300 s allowed)"
        )
    );
    assert_eq!(r.kind.status(), 401);

    let fresh = signed(s, secret, body, NOW);
    let Decision::Rejected(r) = decide(s, secret, &fresh, br#"{"id":"evt_1","type":"a.c"}"#) else {
        panic!("accepted a tampered body")
    };
    assert_eq!(r.reason, "no signature matched");
    let Decision::Rejected(r) = decide(s, "whsec_other", &fresh, body) else {
        panic!("accepted the wrong secret")
    };
    assert_eq!(r.reason, "no signature matched");
    for (_, v) in &fresh {
        assert!(!r.reason.contains(v.as_str()));
    }
    assert!(!r.reason.contains("supersecret") && !r.reason.contains("other"));

    let Decision::Rejected(r) = decide(s, secret, &[], body) else {
        panic!("accepted without headers")
    };
    assert_eq!(
        (r.kind, r.reason.as_str()),
        (Rejection::Incomplete, "missing header Stripe-Signature")
    );
    assert_eq!(r.kind.status(), 400);
}

#[test]
fn the_id_of_a_forgery_is_never_read() {
    let s = preset("github");
    let headers = vec![
        ("X-GitHub-Delivery".to_owned(), "real-delivery".to_owned()),
        (
            "X-Hub-Signature-256".to_owned(),
            format!("sha256={}", "0".repeat(64)),
        ),
    ];
    assert!(matches!(
        decide(s, "k", &headers, b"{}"),
        Decision::Rejected(_)
    ));
}

#[test]
fn slack_challenge_is_echoed() {
    let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let reply = handshake::slack(body).expect("a handshake");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    assert!(reply.content_type.starts_with("text/plain"));
    assert_eq!(
        handshake::slack(br#"{"type":"event_callback","challenge":"x"}"#),
        None
    );
    assert_eq!(handshake::slack(b"token=a&challenge=b"), None);
}

#[test]
fn zoom_token_is_the_hex_hmac_of_the_plain_token() {
    // Expected value computed independently (Python's hmac module).
    let body = br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let reply = handshake::zoom(body, b"ZOOM_SECRET_TOKEN").expect("a handshake");
    let v: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(v["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(
        v["encryptedToken"],
        "c0068db88ef1ea569897999f41afa77d736c39906f804600fe873f8da7d47cc9"
    );
    assert_eq!(
        handshake::zoom(br#"{"event":"meeting.started"}"#, b"k"),
        None
    );
}

#[test]
fn meta_challenge_needs_subscribe_and_the_token() {
    let ok = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";
    let reply = handshake::meta(ok, Some("meatyhamhock"))
        .expect("a handshake")
        .expect("ok");
    assert_eq!(reply.body, b"1158201444");
    let wrong = handshake::meta(ok, Some("meatyhamhocks")).expect("a handshake");
    assert_eq!(wrong, Err(HandshakeError::TokenMismatch));
    assert_eq!(wrong.expect_err("refused").status(), 403);
    assert_eq!(
        handshake::meta(ok, None).expect("a handshake"),
        Err(HandshakeError::NotConfigured("verify token"))
    );
    let unsubscribe = "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock";
    assert!(
        handshake::meta(unsubscribe, Some("meatyhamhock"))
            .expect("seen")
            .is_err()
    );
    assert_eq!(handshake::meta("foo=bar", Some("t")), None);
}

#[test]
fn twitter_crc_is_base64_hmac_with_prefix() {
    // Expected value computed independently (Python's hmac and base64 modules).
    let reply = handshake::twitter(
        "crc_token=9b4507b3-9040-4669-9ec7-8d4ef8a3d6b9",
        b"consumer-secret",
    )
    .expect("a handshake")
    .expect("ok");
    let v: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(
        v["response_token"],
        "sha256=NdYEtrc5BS4uSLU1vwqS1HMCIkKjyRjtuUlnHiXxOiw="
    );
    assert_eq!(handshake::twitter("x=1", b"k"), None);
    assert!(
        handshake::twitter("crc_token=", b"k")
            .expect("seen")
            .is_err()
    );
}

#[test]
fn graph_token_is_decoded_and_echoed() {
    let reply = handshake::graph("validationToken=Validation%3A+Testing+client+application")
        .expect("a handshake")
        .expect("ok");
    assert_eq!(reply.body, b"Validation: Testing client application");
    assert!(reply.content_type.starts_with("text/plain"));
    assert_eq!(handshake::graph(""), None);
}

#[test]
fn handshake_names_round_trip() {
    for h in Handshake::ALL {
        assert_eq!(Handshake::parse(h.name()), Some(h));
    }
    assert_eq!(Handshake::of_scheme("slack"), Some(Handshake::Slack));
    assert_eq!(Handshake::of_scheme("github"), None);
}
