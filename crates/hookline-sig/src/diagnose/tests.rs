use super::*;
use crate::presets::by_name;
use crate::sign::Message;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn signed(scheme: &str, key: &str, body: &[u8]) -> Vec<(String, String)> {
    let msg = Message {
        id: Some("msg_1"),
        timestamp: NOW,
        body,
        url: Some("https://example.com/hook"),
    };
    by_name(scheme)
        .expect("preset")
        .sign(&[key], &msg)
        .expect("signs")
}

fn run(scheme: &str, keys: &[&str], headers: &[(String, String)], body: &[u8]) -> Diagnosis {
    let req = Request::new(&headers, body).with_url("https://example.com/hook");
    diagnose(by_name(scheme).expect("preset"), keys, &req, NOW)
}

fn kinds(d: &Diagnosis) -> Vec<FindingKind> {
    d.findings.iter().map(|f| f.kind).collect()
}

#[test]
fn reserialized_json_is_named() {
    let body = br#"{"b": 1, "a": [1, 2]}"#;
    let h = signed("standard", SECRET, body);
    let d = run("standard", &[SECRET], &h, br#"{"b":1,"a":[1,2]}"#);
    assert!(!d.verified());
    assert_eq!(
        kinds(&d),
        [FindingKind::BodyReserialized],
        "{:#?}",
        d.findings
    );
    assert!(
        d.findings[0].message.contains("json.dumps"),
        "{}",
        d.findings[0].message
    );
}

#[test]
fn secret_encoding_is_named_both_ways() {
    let msg = Message {
        id: Some("msg_1"),
        timestamp: NOW,
        body: b"{}",
        url: None,
    };
    // The sender used the `whsec_` text as raw key bytes; Standard Webhooks decodes it.
    let std = by_name("standard").expect("preset");
    let mut raw = std.clone();
    raw.key = crate::key::KeyFormat::utf8();
    let h = raw.sign(&[SECRET], &msg).expect("signs");
    let d = run("standard", &[SECRET], &h, b"{}");
    assert_eq!(
        kinds(&d),
        [FindingKind::SecretEncoding],
        "{:#?}",
        d.findings
    );
    assert!(
        d.findings[0].message.contains("as it is"),
        "{}",
        d.findings[0].message
    );
    // The sender base64-decoded a `whsec_` secret where Stripe uses its text.
    let mut decoded = by_name("stripe").expect("preset").clone();
    decoded.key = std.key.clone();
    let h = decoded.sign(&[SECRET], &msg).expect("signs");
    let d = run("stripe", &[SECRET], &h, b"{}");
    assert_eq!(
        kinds(&d),
        [FindingKind::SecretEncoding],
        "{:#?}",
        d.findings
    );
    assert!(
        d.findings[0].message.contains("base64-decoded"),
        "{}",
        d.findings[0].message
    );
}

#[test]
fn whitespace_in_secret_is_named() {
    let h = signed("github", "s3cret", b"x");
    let d = run("github", &["s3cret\n"], &h, b"x");
    assert_eq!(kinds(&d), [FindingKind::SecretWhitespace]);
}

#[test]
fn prefix_and_encoding_mistakes_are_named() {
    let h = signed("github", "k", b"x");
    let bare: Vec<(String, String)> = h
        .iter()
        .map(|(k, v)| (k.clone(), v.trim_start_matches("sha256=").to_owned()))
        .collect();
    assert_eq!(
        kinds(&run("github", &["k"], &bare, b"x")),
        [FindingKind::SignaturePrefix]
    );
    let doubled: Vec<(String, String)> = h
        .iter()
        .map(|(k, v)| (k.clone(), format!("sha256={v}")))
        .collect();
    assert_eq!(
        kinds(&run("github", &["k"], &doubled, b"x")),
        [FindingKind::SignaturePrefix]
    );
    // Hex where base64 is expected (Shopify).
    let hex_sig = signed("github", "k", b"x")
        .pop()
        .expect("sig")
        .1
        .trim_start_matches("sha256=")
        .to_owned();
    let h = vec![("X-Shopify-Hmac-Sha256".to_owned(), hex_sig)];
    assert_eq!(
        kinds(&run("shopify", &["k"], &h, b"x")),
        [FindingKind::SignatureEncoding]
    );
}

#[test]
fn clock_skew_has_size_and_direction() {
    let h = signed("slack", "k", b"x");
    let req_headers = h;
    let req = Request::new(&req_headers, b"x");
    let d = diagnose(
        by_name("slack").expect("preset"),
        &["k"],
        &req,
        UnixTime::from_secs(NOW.secs() + 900),
    );
    assert_eq!(kinds(&d), [FindingKind::TimestampSkew]);
    assert!(
        d.findings[0].message.contains("900s old"),
        "{}",
        d.findings[0].message
    );
    assert!(d.findings[0].message.contains("signature itself is valid"));
    let d = diagnose(
        by_name("slack").expect("preset"),
        &["k"],
        &req,
        UnixTime::from_secs(NOW.secs() - 400),
    );
    assert!(d.findings[0].message.contains("400s in the future"));
}

#[test]
fn milliseconds_for_seconds_is_named() {
    let h: Vec<(String, String)> = signed("slack", "k", b"x");
    let scheme = by_name("slack").expect("preset");
    let mut ms = scheme.clone();
    if let Some(t) = &mut ms.timestamp {
        t.format = crate::time::TimestampFormat::UnixMillis;
    }
    let h2 = ms
        .sign(
            &["k"],
            &Message {
                id: None,
                timestamp: NOW,
                body: b"x",
                url: None,
            },
        )
        .expect("signs");
    let _ = h;
    let d = run("slack", &["k"], &h2, b"x");
    assert_eq!(
        kinds(&d)[0],
        FindingKind::TimestampUnit,
        "{:#?}",
        d.findings
    );
}

#[test]
fn other_scheme_is_named() {
    let h = signed("stripe", "whsec_abc", b"{}");
    let d = run("github", &["whsec_abc"], &h, b"{}");
    assert!(
        kinds(&d).contains(&FindingKind::OtherScheme),
        "{:#?}",
        d.findings
    );
    assert!(d.findings.iter().any(|f| f.fix.contains("`stripe`")));
}

#[test]
fn url_change_is_named() {
    let msg = Message {
        id: None,
        timestamp: NOW,
        body: b"{}",
        url: Some("https://example.com:443/hook"),
    };
    let h = by_name("square")
        .expect("preset")
        .sign(&["k"], &msg)
        .expect("signs");
    let d = run("square", &["k"], &h, b"{}");
    assert_eq!(kinds(&d), [FindingKind::UrlChanged], "{:#?}", d.findings);
}

#[test]
fn splashify_fixture_is_recognised() {
    let h = vec![(
        "X-Splashify-Signature".to_owned(),
        "sha256=2bd8e57e0000000000000000000000000000000000000000000000000d7e8f".to_owned(),
    )];
    let d = run("splashify", &["test-secret"], &h, b"{}");
    assert_eq!(kinds(&d)[0], FindingKind::KnownBadFixture);
    assert!(d.findings[0].message.contains("74ab878b"));
}

#[test]
fn wrong_key_is_the_last_resort_and_api_keys_are_spotted() {
    let h = signed("stripe", "whsec_right", b"{}");
    let d = run("stripe", &["sk_live_123"], &h, b"{}");
    assert_eq!(
        kinds(&d),
        [
            FindingKind::SecretLooksLikeApiKey,
            FindingKind::WrongKeyOrBody
        ]
    );
}

#[test]
fn success_carries_cautions_only_where_due() {
    let h = signed("standard", SECRET, b"{}");
    assert!(run("standard", &[SECRET], &h, b"{}").findings.is_empty());
    let h = signed("splashify", "k", b"{}");
    let d = run("splashify", &["k"], &h, b"{}");
    assert!(d.verified());
    assert_eq!(kinds(&d), [FindingKind::Caution]);
}
