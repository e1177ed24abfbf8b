//! Unit tests of the outgoing templates: JSON correctness, stable ids, load-time checks.

use serde_json::{Value, json};

use crate::error::SignError;
use crate::scheme::{Scheme, SchemeDef};
use crate::time::UnixTime;
use crate::{Event, presets};

const CREATED: UnixTime = UnixTime::from_secs(1_760_000_000);

fn event<'a>(event_type: &'a str, payload: &'a [u8], delivery: Option<&'a str>) -> Event<'a> {
    Event {
        msg_id: "msg_2Xk9aQ",
        event_type,
        created: CREATED,
        payload,
        delivery_key: delivery,
    }
}

fn preset(name: &str) -> &'static Scheme {
    presets::by_name(name).expect("preset")
}

/// A custom scheme from TOML, as a user writes it.
fn custom(send: &str) -> Result<Scheme, String> {
    let text = format!(
        "name = \"c\"\nalgorithm = \"hmac-sha256\"\nencoding = \"hex\"\nsigned_content = \"{{body}}\"\n\
         event_type = {{ body_field = \"/kind\" }}\n[key]\nencoding = \"utf8\"\n\
         [signature]\nheader = \"X-Sig\"\nstyle = \"single\"\n{send}"
    );
    let def: SchemeDef = toml::from_str(&text).map_err(|e| e.to_string())?;
    Scheme::try_from(def).map_err(|e| e.to_string())
}

#[test]
fn the_payload_goes_in_as_json_and_strings_are_escaped() {
    let signer = preset("spine").signer(&["whsec_k"]).expect("key");
    let tricky = "run.\"done\"\\\n\u{2028}é";
    let payload = br#"{"n": 1, "s": "x\"y", "a": [true, null]}"#;
    let out = signer
        .sign_event(
            &event(tricky, payload, None),
            UnixTime::from_secs(1_760_000_100),
            None,
        )
        .expect("signs");
    let body: Value = serde_json::from_slice(out.body.as_deref().expect("an envelope"))
        .expect("the envelope is JSON");
    assert_eq!(body["type"], tricky, "the event type survives escaping");
    assert_eq!(
        body["data"]["object"],
        serde_json::from_slice::<Value>(payload).expect("json"),
        "the payload is a JSON value, not a string"
    );
    assert_eq!(
        body["created"], 1_760_000_000,
        "created is the message's time, a number"
    );
    assert_eq!(body["livemode"], true);
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("evt_") && id.len() == 4 + 36, "{id}");
    // The payload's bytes are spliced in as they are: whitespace and all.
    let text = String::from_utf8(out.body.expect("body")).expect("utf8");
    assert!(
        text.contains(r#"{"n": 1, "s": "x\"y", "a": [true, null]}"#),
        "{text}"
    );
}

#[test]
fn ids_and_created_are_the_same_on_every_attempt() {
    let signer = preset("wasphere").signer(&["k"]).expect("key");
    let attempt = |sent: i64, endpoint: &str| {
        let out = signer
            .sign_event(
                &event("message.received", b"{}", Some(endpoint)),
                UnixTime::from_secs(sent),
                None,
            )
            .expect("signs");
        serde_json::from_slice::<Value>(&out.body.expect("body")).expect("json")
    };
    let first = attempt(1_760_000_001, "ep_a");
    let retry = attempt(1_760_000_900, "ep_a");
    assert_eq!(first, retry, "a retry carries the same envelope");
    assert_eq!(first["timestamp"], 1_760_000_000);
    let other = attempt(1_760_000_001, "ep_b");
    assert_ne!(
        first["deliveryId"], other["deliveryId"],
        "deliveryId is per message and endpoint"
    );
    // The event id of Spine is per message: the same for two endpoints.
    let spine = preset("spine").signer(&["k"]).expect("key");
    let id = |ep: &str| {
        let out = spine
            .sign_event(&event("run.completed", b"{}", Some(ep)), CREATED, None)
            .expect("signs");
        serde_json::from_slice::<Value>(&out.body.expect("body")).expect("json")["id"].clone()
    };
    assert_eq!(id("ep_a"), id("ep_b"));
}

#[test]
fn schemes_without_an_envelope_send_the_payload_untouched() {
    let payload = br#"{"a":1}"#;
    for name in ["svix", "spaces", "splashify", "slack"] {
        let s = preset(name);
        let signer = s
            .signer(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
            .expect("key");
        let out = signer
            .sign_event(&event("x", payload, None), CREATED, None)
            .expect("signs");
        assert_eq!(out.body, None, "{name}: no body of its own");
        let plain = signer
            .sign(&crate::Message {
                id: Some("msg_2Xk9aQ"),
                timestamp: CREATED,
                body: payload,
                url: None,
            })
            .expect("signs");
        assert_eq!(
            out.headers, plain,
            "{name}: the same headers as a plain sign"
        );
    }
}

#[test]
fn event_headers_and_extra_headers_are_written() {
    let github = preset("github").signer(&["s"]).expect("key");
    let out = github
        .sign_event(&event("push", b"{}", Some("ep_1")), CREATED, None)
        .expect("signs");
    let get = |name: &str| {
        out.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("X-GitHub-Event").as_deref(), Some("push"));
    let delivery = get("X-GitHub-Delivery").expect("delivery");
    assert_eq!(delivery.len(), 36, "a GUID: {delivery}");
    assert_eq!(out.body, None);

    let bad = github.sign_event(&event("a\r\nX-Evil: 1", b"{}", Some("ep_1")), CREATED, None);
    assert_eq!(bad, Err(SignError::BadHeaderValue("X-GitHub-Event".into())));
    let twitch = custom_twitch_like();
    let bad_id = twitch.sign_event(&event("a\nb", b"{}", None), CREATED, None);
    assert_eq!(bad_id, Err(SignError::BadHeaderValue("X-Id".into())));
    let missing = github.sign_event(&event("push", b"{}", None), CREATED, None);
    assert_eq!(missing, Err(SignError::MissingDeliveryKey("github".into())));
    let spine = preset("spine").signer(&["s"]).expect("key");
    let not_json = spine.sign_event(&event("x", b"{not json", None), CREATED, None);
    assert_eq!(not_json, Err(SignError::PayloadNotJson("spine".into())));
}

/// A scheme whose header id is built from the event type.
fn custom_twitch_like() -> crate::Signer {
    let def: SchemeDef = toml::from_str(
        "name = \"t\"\nalgorithm = \"hmac-sha256\"\nencoding = \"hex\"\nsigned_content = \"{id}{body}\"\n\
         id = { header = \"X-Id\" }\n[key]\nencoding = \"utf8\"\n[signature]\nheader = \"X-Sig\"\n\
         style = \"single\"\n[send]\nid = \"{event_type}-{msg_id}\"\n",
    )
    .expect("toml");
    Scheme::try_from(def)
        .expect("loads")
        .signer(&["k"])
        .expect("key")
}

#[test]
fn a_custom_scheme_declares_its_envelope() {
    let s = custom(
        "[send]\nid = \"ev-{msg_uuid}\"\n[send.headers]\nX-Kind = \"{event_type}\"\n\
         [send.body]\nkind = \"{event_type}\"\nat = \"{created_rfc3339}\"\nref = \"{id}\"\n\
         list = [\"{created_ms}\", 2, \"lit {{x}}\"]\n[send.body.inner]\nv = \"{payload}\"\n",
    )
    .expect("loads");
    let out = s
        .signer(&["k"])
        .expect("key")
        .sign_event(&event("a.b", b"[1,2]", None), CREATED, None)
        .expect("signs");
    let body: Value = serde_json::from_slice(&out.body.expect("body")).expect("json");
    assert_eq!(
        body,
        json!({"kind": "a.b", "at": "2025-10-09T08:53:20Z", "ref": body["ref"], "list": [1_760_000_000_000_i64, 2, "lit {x}"], "inner": {"v": [1, 2]}})
    );
    assert!(body["ref"].as_str().is_some_and(|r| r.starts_with("ev-")));
    assert!(out.headers.contains(&("X-Kind".into(), "a.b".into())));
    // And it prints back to the same scheme.
    let printed = toml::to_string_pretty(&SchemeDef::from(s.clone())).expect("toml");
    let again =
        Scheme::try_from(toml::from_str::<SchemeDef>(&printed).expect("parses")).expect("loads");
    assert_eq!(again, s, "{printed}");
}

#[test]
fn a_scheme_that_does_not_hold_together_fails_naming_the_field() {
    let cases = [
        (
            "[send]\nbody = { kind = \"{event_type}\" }\n",
            "send.body: must hold the payload",
        ),
        (
            "[send]\nbody = { kind = \"{event_type}\", d = \"x{payload}\" }\n",
            "send.body/d:",
        ),
        (
            "[send]\nbody = { kind = \"{nope}\", d = \"{payload}\" }\n",
            "send.body/kind:",
        ),
        (
            "[send]\nbody = { d = \"{payload}\" }\n",
            "event_type: the verifier reads body field \"/kind\"",
        ),
        (
            "[send]\nbody = { kind = \"{msg_id}\", d = \"{payload}\" }\n",
            "send.body must write \"{event_type}\"",
        ),
        ("[send]\nid = \"{id}\"\n", "send.id: cannot use `{id}`"),
        (
            "[send]\nid = \"{payload}\"\n",
            "send.id: cannot use `{payload}`",
        ),
        (
            "[send.headers]\nX-Sig = \"{event_type}\"\n",
            "send.headers.X-Sig:",
        ),
        (
            "[send.headers]\n\"Bad Name\" = \"x\"\n",
            "send.headers.Bad Name: not a valid header name",
        ),
        (
            "[send.headers]\nX-P = \"{payload}\"\n",
            "send.headers.X-P: a header cannot carry",
        ),
        ("[send]\nbodyy = 1\n", "unknown field `bodyy`"),
    ];
    for (send, want) in cases {
        let err = custom(send).expect_err(send);
        assert!(err.contains(want), "{send}\n  wanted {want:?}\n  got {err}");
    }
    // The payload's inside is not the template's to check: a pointer into it is accepted.
    custom("event_type = 1\n").expect_err("still strict about the rest");
    let inside = custom("[send]\nbody = { kind = \"{event_type}\", d = \"{payload}\" }\n");
    assert!(inside.is_ok(), "{inside:?}");
}

#[test]
fn presets_print_their_envelopes_and_read_them_back() {
    for s in presets::all() {
        let printed = toml::to_string_pretty(&SchemeDef::from(s.clone())).expect("toml");
        let again: SchemeDef =
            toml::from_str(&printed).unwrap_or_else(|e| panic!("{printed}\n{e}"));
        assert_eq!(&Scheme::try_from(again).expect("loads"), s, "{printed}");
    }
    let spine = toml::to_string_pretty(&SchemeDef::from(preset("spine").clone())).expect("toml");
    assert!(
        spine.contains("[send.body.data]") && spine.contains("object = \"{payload}\""),
        "{spine}"
    );
}
