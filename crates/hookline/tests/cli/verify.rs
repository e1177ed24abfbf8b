//! `hookline verify`: what it prints on success, its diagnosis on failure, clock skew and
//! tolerance, detecting the scheme, and a provider's wrong documented fixture.

use super::*;

#[test]
fn verify_prints_what_was_verified() {
    let o = hookline(
        &verify_args(
            "standard",
            STD_SECRET,
            &STD_HEADERS,
            &["--now", "1614265330"],
        ),
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("verified: scheme standard"));
    assert!(stdout(&o).contains("msg_p5jXN8AQM9LWM0D4loKWxJek"));
}

#[test]
fn verify_failure_exits_1_with_a_diagnosis() {
    let o = hookline(
        &verify_args(
            "standard",
            STD_SECRET,
            &STD_HEADERS,
            &["--now", "1614265330"],
        ),
        br#"{"test":2432232314}"#,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("NOT verified"), "{out}");
    assert!(out.contains("json.dumps"), "{out}");
    assert!(out.contains("fix:"), "{out}");
    // A forged signature: the last character changed, as the Standard Webhooks tests do.
    let forged = [
        "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp: 1614265330",
        "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
    ];
    let o = hookline(
        &verify_args("standard", STD_SECRET, &forged, &["--now", "1614265330"]),
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn verify_reports_clock_skew_and_honours_tolerance() {
    let o = hookline(
        &verify_args(
            "standard",
            STD_SECRET,
            &STD_HEADERS,
            &["--now", "1614266330"],
        ),
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("1000s old, 300s allowed"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("signature itself is valid"));
    let o = hookline(
        &verify_args(
            "standard",
            STD_SECRET,
            &STD_HEADERS,
            &["--now", "1614266330", "--tolerance", "none"],
        ),
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn auto_detects_the_scheme() {
    let o = hookline(
        &verify_args("auto", STD_SECRET, &STD_HEADERS, &["--now", "1614265330"]),
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("scheme standard"));
    let o = hookline(&verify_args("auto", "k", &["X-Nothing: 1"], &[]), b"{}");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no known scheme"));
}

#[test]
fn splashify_fixture_is_called_out() {
    let body = br#"{"eventType":"Send","mail":{"timestamp":"2026-05-03T12:00:00Z","messageId":"abc","source":"a@b.com","destination":["c@d.com"]},"send":{}}"#;
    let ok = hookline(
        &verify_args(
            "splashify",
            "test-secret",
            &[
                "X-Splashify-Signature: sha256=74ab878b4a24f3b1c3c783952ec441fea77e9b6c3ac8e90614410f3bd4a31931",
            ],
            &[],
        ),
        body,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let documented = "X-Splashify-Signature: sha256=2bd8e57e00000000000000000000000000000000000000000000000000d7e8f";
    let o = hookline(
        &verify_args("splashify", "test-secret", &[documented], &[]),
        body,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("fixture is wrong"), "{}", stdout(&o));
}
