//! Properties that hold for every preset that can sign: round trips, tamper detection,
//! rotation, and no panic on arbitrary input.

use base64::Engine as _;
use hookline_sig::{Algorithm, Message, Part, Request, Scheme, Tolerance, UnixTime, presets};
use proptest::prelude::*;
use ring::rand::SystemRandom;
use ring::signature::EcdsaKeyPair;

const URL: &str = "https://example.com/hooks/in?x=1";

/// A (signing key, verifying key) pair of the kind `scheme` takes, from `seed`.
fn key_pair(scheme: &Scheme, seed: &[u8; 32]) -> (String, String) {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let (private, public) = match scheme.algorithm() {
        Algorithm::Ed25519 if scheme.name() == "discord" => (hex::encode(seed), None),
        Algorithm::Ed25519 => (format!("whsk_{}", b64(seed)), None),
        Algorithm::EcdsaP256Sha256 => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &SystemRandom::new(),
            )
            .expect("keygen");
            (b64(pkcs8.as_ref()), None)
        }
        _ if scheme.key_format().prefix.as_deref() == Some("whsec_") => {
            (format!("whsec_{}", b64(&seed[..24])), Some(()))
        }
        _ => (hex::encode(&seed[..16]), Some(())),
    };
    let verifying = match public {
        Some(()) => private.clone(),
        None => scheme
            .signer(&[&private])
            .expect("signer")
            .public_keys()
            .expect("asymmetric")
            .remove(0),
    };
    (private, verifying)
}

/// A body the scheme can carry: Linear's carries its timestamp, Twilio's is a form.
fn body_for(scheme: &Scheme, raw: &[u8], ts: UnixTime) -> Vec<u8> {
    match scheme.name() {
        "linear" => format!(
            r#"{{"webhookTimestamp":{},"data":"{}"}}"#,
            ts.millis(),
            hex::encode(raw)
        )
        .into_bytes(),
        "twilio" => raw
            .iter()
            .enumerate()
            .map(|(i, b)| format!("k{}={}", b % 7, i))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes(),
        _ => raw.to_vec(),
    }
}

fn signing_presets() -> Vec<&'static Scheme> {
    presets::all().iter().filter(|s| s.can_sign()).collect()
}

fn sign(scheme: &Scheme, keys: &[&str], body: &[u8], ts: UnixTime) -> Vec<(String, String)> {
    let msg = Message {
        id: Some("msg_2Xk9"),
        timestamp: ts,
        body,
        url: Some(URL),
    };
    scheme.sign(keys, &msg).expect("signs")
}

fn verifies(
    scheme: &Scheme,
    keys: &[&str],
    headers: &[(String, String)],
    body: &[u8],
    now: UnixTime,
) -> Result<usize, String> {
    let v = scheme
        .verifier(keys)
        .map_err(|e| e.to_string())?
        .with_tolerance(Tolerance::unlimited());
    v.verify(&Request::new(&headers, body).with_url(URL), now)
        .map(|ok| ok.key_index)
        .map_err(|e| e.to_string())
}

/// Whether the scheme's MAC covers the header `name`.
fn is_signed(scheme: &Scheme, name: &str) -> bool {
    let is = |source: Option<&hookline_sig::Source>| {
        source
            .and_then(|s| s.header())
            .is_some_and(|h| h.eq_ignore_ascii_case(name))
    };
    is(Some(&scheme.signature().source))
        || (scheme.template().uses(&Part::Id) && is(scheme.id()))
        || (scheme.template().uses(&Part::Timestamp) && is(scheme.timestamp().map(|t| &t.source)))
}

fn flip(s: &str, at: usize) -> Option<String> {
    let mut b = s.as_bytes().to_vec();
    let i = at % b.len().max(1);
    *b.get_mut(i)? ^= 0x01;
    String::from_utf8(b).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_round_trips(seed in any::<[u8; 32]>(), raw in proptest::collection::vec(any::<u8>(), 0..300), secs in 1_000_000_000i64..4_000_000_000) {
        let ts = UnixTime::from_secs(secs);
        for scheme in signing_presets() {
            let (sk, vk) = key_pair(scheme, &seed);
            let body = body_for(scheme, &raw, ts);
            let headers = sign(scheme, &[&sk], &body, ts);
            let v = scheme.verifier(&[&vk]).expect("verifier");
            let ok = v.verify(&Request::new(&headers, &body).with_url(URL), ts);
            prop_assert!(ok.is_ok(), "{}: {:?}", scheme.name(), ok);
        }
    }

    #[test]
    fn any_flipped_byte_fails(seed in any::<[u8; 32]>(), raw in proptest::collection::vec(any::<u8>(), 1..200), at in any::<usize>()) {
        let ts = UnixTime::from_secs(1_700_000_000);
        for scheme in signing_presets() {
            let (sk, vk) = key_pair(scheme, &seed);
            let body = body_for(scheme, &raw, ts);
            let headers = sign(scheme, &[&sk], &body, ts);
            // The body.
            let mut tampered = body.clone();
            let i = at % tampered.len();
            tampered[i] ^= 0x01;
            prop_assert!(verifies(scheme, &[&vk], &headers, &tampered, ts).is_err(), "{}: body byte {i} flipped", scheme.name());
            // Each signed header: the signature, and the id and the timestamp where signed.
            for h in 0..headers.len() {
                if !is_signed(scheme, &headers[h].0) {
                    continue;
                }
                let Some(value) = flip(&headers[h].1, at) else { continue };
                let mut forged = headers.clone();
                forged[h].1 = value;
                prop_assert!(verifies(scheme, &[&vk], &forged, &body, ts).is_err(), "{}: header {} flipped to {:?}", scheme.name(), headers[h].0, forged[h].1);
            }
        }
    }

    #[test]
    fn rotation_verifies_with_either_key(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), raw in proptest::collection::vec(any::<u8>(), 0..100)) {
        prop_assume!(a != b);
        let ts = UnixTime::from_secs(1_700_000_000);
        for scheme in signing_presets() {
            let (new_sk, new_vk) = key_pair(scheme, &a);
            let (old_sk, old_vk) = key_pair(scheme, &b);
            let body = body_for(scheme, &raw, ts);
            let headers = sign(scheme, &[&new_sk, &old_sk], &body, ts);
            // A receiver holding either key alone, or both in any order, accepts.
            prop_assert!(verifies(scheme, &[&new_vk], &headers, &body, ts).is_ok(), "{}: new key", scheme.name());
            let several = !matches!(scheme.signature().format, hookline_sig::SignatureFormat::Single { .. });
            let expected_index = if several { 0 } else { 1 };
            prop_assert_eq!(verifies(scheme, &[&old_vk, &new_vk], &headers, &body, ts), Ok(expected_index), "{}: both keys", scheme.name());
            // Where the header carries several signatures, the old key verifies too.
            prop_assert_eq!(verifies(scheme, &[&old_vk], &headers, &body, ts).is_ok(), several, "{}: old key alone", scheme.name());
        }
    }

    #[test]
    fn arbitrary_input_never_panics(values in proptest::collection::vec("[ -~]{0,120}", 4), body in proptest::collection::vec(any::<u8>(), 0..200), now in any::<i64>()) {
        for scheme in presets::all() {
            let names = scheme.header_names();
            let headers: Vec<(String, String)> = names.iter().zip(values.iter().cycle()).map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
            let keys = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "k"];
            let req = Request::new(&headers, &body).with_url("https://a/b?bodySHA256=00");
            if let Ok(v) = scheme.verifier(&keys) {
                prop_assert!(v.verify(&req, UnixTime::from_millis(now)).is_err(), "{}", scheme.name());
            }
            let d = hookline_sig::diagnose(scheme, &keys, &req, UnixTime::from_millis(now));
            prop_assert!(!d.verified());
            prop_assert!(hookline_sig::detect(&headers, &body).len() <= presets::all().len());
        }
    }

    #[test]
    fn stray_bytes_in_real_headers_never_panic(seed in any::<[u8; 32]>(), junk in "[\\x00-\\x7f]{0,12}", at in any::<usize>()) {
        let ts = UnixTime::from_secs(1_700_000_000);
        for scheme in signing_presets() {
            let (sk, vk) = key_pair(scheme, &seed);
            let body = body_for(scheme, b"{}", ts);
            let mut headers = sign(scheme, &[&sk], &body, ts);
            let h = at % headers.len();
            let v = &headers[h].1;
            let cut = (at / 7) % (v.len() + 1);
            let cut = (0..=cut).rev().find(|c| v.is_char_boundary(*c)).unwrap_or(0);
            headers[h].1 = format!("{}{junk}{}", &v[..cut], &v[cut..]);
            let _ = verifies(scheme, &[&vk], &headers, &body, ts);
            let _ = hookline_sig::diagnose(scheme, &[&vk], &Request::new(&headers, &body).with_url(URL), ts);
        }
    }
}
