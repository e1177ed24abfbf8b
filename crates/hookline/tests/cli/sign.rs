//! `hookline sign`: a provider's documented vector, a round trip through `verify`, the
//! `curl` output, and signing what the engine sends for an event type.

use super::*;

#[test]
fn sign_reproduces_githubs_documented_vector() {
    let o = hookline(
        &[
            "sign",
            "--scheme",
            "github",
            "--secret",
            "It's a Secret to Everybody",
            "--id",
            "d1",
        ],
        b"Hello, World!",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "X-GitHub-Delivery: d1\nX-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\n"
    );
}

#[test]
fn sign_then_verify_through_the_cli_with_secret_env() {
    let dir = temp_dir("roundtrip");
    let body = dir.join("body.json");
    std::fs::write(&body, br#"{"type":"invoice.paid"}"#).expect("write body");
    let body = body.to_str().expect("utf8 path");
    let env = [("HOOK_SECRET", "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=")];
    let o = hookline_env(
        &[
            "sign",
            "--scheme",
            "svix",
            "--secret-env",
            "HOOK_SECRET",
            "--timestamp",
            "1700000000",
            "--body-file",
            body,
        ],
        b"",
        &env,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("svix-id: msg_"),
        "a fresh id: {}",
        lines[0]
    );
    let mut args = vec![
        "verify",
        "--scheme",
        "svix",
        "--secret-env",
        "HOOK_SECRET",
        "--now",
        "1700000100",
        "--body-file",
        body,
    ];
    for l in &lines {
        args.extend(["-H", l.as_str()]);
    }
    let o = hookline_env(&args, b"", &env);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn curl_output_is_a_command() {
    let o = hookline(
        &[
            "sign",
            "--scheme",
            "stripe",
            "--secret",
            "whsec_x",
            "--timestamp",
            "1700000000",
            "--curl",
            "http://127.0.0.1:9/hook",
        ],
        br#"{"it's":1}"#,
    );
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.starts_with("curl -sS -X POST 'http://127.0.0.1:9/hook'"),
        "{out}"
    );
    assert!(
        out.contains("-H 'Stripe-Signature: t=1700000000,v1="),
        "{out}"
    );
    assert!(out.contains(r#"--data-binary '{"it'\''s":1}'"#), "{out}");
}

#[test]
fn sign_with_an_event_type_prints_what_the_engine_sends() {
    let o = hookline(
        &[
            "sign",
            "--scheme",
            "spine",
            "--secret",
            "whsec_s",
            "--id",
            "msg_1",
            "--timestamp",
            "1760000000",
            "--event-type",
            "run.completed",
        ],
        br#"{"run":"r_1"}"#,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    let (headers, body) = out
        .split_once("\n\n")
        .expect("headers, a blank line, the body");
    assert!(
        headers.starts_with("Spine-Signature: t=1760000000,v1="),
        "{out}"
    );
    let event: serde_json::Value = serde_json::from_str(body.trim_end()).expect("json");
    assert_eq!(event["type"], "run.completed");
    assert_eq!(event["created"], 1_760_000_000);
    assert_eq!(event["data"]["object"]["run"], "r_1");
    // The signature covers the envelope, not the bare payload.
    let sig = headers
        .trim_start_matches("Spine-Signature: t=1760000000,v1=")
        .trim();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"whsec_s");
    let content = format!("1760000000.{}", body.trim_end());
    assert_eq!(
        sig,
        hex::encode(ring::hmac::sign(&key, content.as_bytes()).as_ref())
    );
}
