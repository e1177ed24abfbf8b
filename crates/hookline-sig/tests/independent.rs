//! Cross-checks against an independent implementation: Python's `hmac` and `hashlib`,
//! following each provider's documented construction (`shared/spec/schemes.md`), not our
//! code. This is the evidence for presets whose providers publish no test vector (Zoom,
//! Twitch, Linear, Typeform, Spaces, WaSphere, Spine, Shopify, ...).

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use hookline_sig::{Message, UnixTime, presets};

const SCRIPT: &str = r#"
import base64, hashlib, hmac, json, sys
from datetime import datetime, timezone
from urllib.parse import parse_qsl
d = json.load(sys.stdin)
secret, ts, mid, url = d["secret"], d["ts"], d["id"], d["url"]
body = base64.b64decode(d["body"])
form = base64.b64decode(d["form"])
k = secret.encode()
def mac(h, key, msg): return hmac.new(key, msg, h).digest()
def hx(b): return b.hex()
def b64(b): return base64.b64encode(b).decode()
s256, s1 = hashlib.sha256, hashlib.sha1
v0 = b"v0:" + ts.encode() + b":" + body
rfc = datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
std = "v1," + b64(mac(s256, base64.b64decode(secret[len("whsec_"):]), f"{mid}.{ts}.".encode() + body))
params = "".join(k2 + v2 for k2, v2 in sorted(parse_qsl(form.decode(), keep_blank_values=True)))
print(json.dumps({
  "github": "sha256=" + hx(mac(s256, k, body)),
  "github-sha1": "sha1=" + hx(mac(s1, k, body)),
  "slack": "v0=" + hx(mac(s256, k, v0)),
  "zoom": "v0=" + hx(mac(s256, k, v0)),
  "spectrum": "v0=" + hx(mac(s256, k, v0)),
  "spaces": hx(mac(s256, k, v0)),
  "shopify": b64(mac(s256, k, body)),
  "typeform": "sha256=" + b64(mac(s256, k, body)),
  "stripe": f"t={ts},v1=" + hx(mac(s256, k, f"{ts}.".encode() + body)),
  "spine": f"t={ts},v1=" + hx(mac(s256, k, f"{ts}.".encode() + body)),
  "paddle": f"ts={ts};h1=" + hx(mac(s256, k, f"{ts}:".encode() + body)),
  "twitch": "sha256=" + hx(mac(s256, k, mid.encode() + rfc.encode() + body)),
  "linear": hx(mac(s256, k, body)),
  "wasphere": "sha256=" + hx(mac(s256, k, body)),
  "splashify": "sha256=" + hx(mac(s256, k, body)),
  "square": b64(mac(s256, k, url.encode() + body)),
  "standard": std,
  "svix": std,
  "twilio": b64(mac(s1, k, (url + params).encode())),
}))
"#;

#[test]
fn every_hmac_preset_matches_python() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let ts = 1_700_000_000i64;
    let id = "msg_2Xk9LmQ";
    let url = "https://example.com/hooks/in?a=1";
    let body = "{\"event\":\"x\",\"n\":[1,2],\"s\":\"h\u{e9}llo\"}\n".as_bytes();
    let form = b"To=%2B1555&From=%2B1666&Body=hi+there&A=2&A=1";
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let input = serde_json::json!({
        "secret": secret, "ts": ts.to_string(), "id": id, "url": url, "body": b64(body), "form": b64(form),
    });
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for this cross-check (the CI script installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3 ran");
    assert!(out.status.success(), "python3 failed");
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("json");

    let mut checked = 0;
    for scheme in presets::all()
        .iter()
        .filter(|s| s.can_sign() && s.algorithm().is_symmetric())
    {
        let want = expected
            .get(scheme.name())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no Python model for preset {}", scheme.name()));
        let b: &[u8] = if scheme.name() == "twilio" {
            form
        } else {
            body
        };
        let msg = Message {
            id: Some(id),
            timestamp: UnixTime::from_secs(ts),
            body: b,
            url: Some(url),
        };
        let headers = scheme.sign(&[secret], &msg).expect("signs");
        let sig_header = scheme.signature().source.header().expect("header");
        let got = &headers
            .iter()
            .find(|(k, _)| k == sig_header)
            .expect("signature header")
            .1;
        assert_eq!(got, want, "preset {}", scheme.name());
        checked += 1;
    }
    assert_eq!(checked, expected.len(), "every Python model was used");
}
