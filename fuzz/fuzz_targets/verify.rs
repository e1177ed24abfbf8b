//! Header parsing, verification, detection and diagnosis on arbitrary input: no panic, no hang.
#![no_main]

use hookline_sig::{Request, UnixTime, detect, diagnose, presets};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: three header values separated by NUL, then the body.
    let mut parts = data.splitn(4, |b| *b == 0);
    let values: Vec<String> = (0..3).map(|_| String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned()).collect();
    let body = parts.next().unwrap_or_default();
    let now = UnixTime::from_secs(i64::from(data.first().copied().unwrap_or(0)) * 10_000_000);
    for scheme in presets::all() {
        let headers: Vec<(&str, &str)> = scheme.header_names().into_iter().zip(values.iter().map(String::as_str)).collect();
        let req = Request::new(&headers, body).with_url("https://example.com/hook?bodySHA256=00");
        let keys = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"];
        if let Ok(v) = scheme.verifier(&keys) {
            let _ = v.verify(&req, now);
        }
        if body.len() < 512 {
            let _ = diagnose(scheme, &keys, &req, now);
        }
        let _ = detect(&headers, body);
    }
});
