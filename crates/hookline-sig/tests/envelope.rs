//! Typed envelopes: parsed only after the signature holds.

use hookline_sig::envelope::{EventError, spine_event, wasphere_event};
use hookline_sig::{Message, Request, UnixTime, presets};

const NOW: UnixTime = UnixTime::from_secs(1_760_000_000);

fn signed(scheme: &str, body: &[u8]) -> Vec<(String, String)> {
    let msg = Message {
        id: None,
        timestamp: NOW,
        body,
        url: None,
    };
    presets::by_name(scheme)
        .expect("preset")
        .sign(&["whsec_spine"], &msg)
        .expect("signs")
}

#[test]
fn spine_event_is_typed_after_verification() {
    let body = br#"{"id":"evt_0b3c9a4e-3f0e-4d7e-9a57-2d0f1c6b8e11","type":"run.completed","created":1760000000,"livemode":false,"api_version":"2025-01-01","data":{"object":{"run":"r_1","status":"ok"}}}"#;
    let headers = signed("spine", body);
    let v = presets::by_name("spine")
        .expect("preset")
        .verifier(&["whsec_spine"])
        .expect("key");
    let (event, verified) = spine_event(&v, &Request::new(&headers, body), NOW).expect("verifies");
    assert_eq!(event.event_type, "run.completed");
    assert_eq!(event.data.object["status"], "ok");
    assert_eq!(
        verified.id.as_deref(),
        Some("evt_0b3c9a4e-3f0e-4d7e-9a57-2d0f1c6b8e11")
    );
    assert_eq!(verified.event_type.as_deref(), Some("run.completed"));

    // A forged body is refused before it is parsed; a signed non-envelope is a body error.
    let forged = br#"{"id":"evt_x","type":"run.failed","created":1,"livemode":true,"api_version":"x","data":{"object":{}}}"#;
    assert!(matches!(
        spine_event(&v, &Request::new(&headers, forged), NOW),
        Err(EventError::Verify(_))
    ));
    let other = br#"{"hello":"world"}"#;
    let headers = signed("spine", other);
    assert!(matches!(
        spine_event(&v, &Request::new(&headers, other), NOW),
        Err(EventError::Body(_))
    ));
}

#[test]
fn wasphere_event_reports_the_unsigned_timestamp() {
    let body = br#"{"event":"message.received","deliveryId":"dlv_1","timestamp":1760000000,"data":{"text":"hi"}}"#;
    let headers = signed("wasphere", body);
    let v = presets::by_name("wasphere")
        .expect("preset")
        .verifier(&["whsec_spine"])
        .expect("key");
    let (event, verified) =
        wasphere_event(&v, &Request::new(&headers, body), NOW).expect("verifies");
    assert_eq!(event.delivery_id, "dlv_1");
    assert_eq!(verified.id.as_deref(), Some("dlv_1"));
    assert!(!verified.timestamp_signed);
    // The timestamp is not signed, but it is still checked for freshness.
    let late = UnixTime::from_secs(NOW.secs() + 301);
    assert!(matches!(
        wasphere_event(&v, &Request::new(&headers, body), late),
        Err(EventError::Verify(_))
    ));
}
