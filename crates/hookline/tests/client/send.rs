//! `hookline send`: what arrives verifies with hookline-sig, with an independent construction
//! (GitHub's documented `sha256=` HMAC hex) and with `hookline verify`; the load summary.

use std::time::SystemTime;

use hookline_sig::{Request, UnixTime, presets};

use crate::common::fresh_dir;
use crate::receiver::Receiver;
use crate::run::Shell;

const SECRET: &str = "It's a Secret to Everybody";

/// `-H name: value` arguments for `hookline verify`, from the headers received.
fn header_args(headers: &[(String, String)], prefix: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .flat_map(|(k, v)| ["-H".to_owned(), format!("{k}: {v}")])
        .collect()
}

#[tokio::test]
async fn send_posts_a_body_that_three_verifiers_accept() {
    let rx = Receiver::start(&[202]).await;
    let dir = fresh_dir();
    let body: &[u8] = br#"{"action":"opened","number":7}"#;
    let file = dir.join("body.json");
    std::fs::write(&file, body).expect("write");
    let file = file.to_str().expect("utf-8");
    let sh = Shell::new();
    let o = sh
        .run(
            &[
                "send",
                "--scheme",
                "github",
                "--secret",
                SECRET,
                "--url",
                &rx.url,
                "--body-file",
                file,
                "-H",
                "X-Extra: yes",
            ],
            b"",
        )
        .await;
    assert_eq!(o.code(), 0, "{o}");
    assert!(o.stdout().starts_with("HTTP/1.1 202 Accepted"), "{o}");
    assert!(o.stdout().contains("ok from receiver"), "{o}");
    let got = rx.wait_for(1).await;
    let r = &got[0];
    assert_eq!(r.body, body);
    assert_eq!(r.header("x-extra"), Some("yes"));
    assert_eq!(r.header("content-type"), Some("application/json"));

    // GitHub's documented construction, written here without hookline-sig.
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let expected = format!("sha256={}", hex::encode(ring::hmac::sign(&key, body)));
    assert_eq!(r.header("x-hub-signature-256"), Some(expected.as_str()));

    let github = presets::by_name("github").expect("preset");
    github
        .verify(
            &[SECRET],
            &Request::new(&r.headers, &r.body),
            UnixTime::from(SystemTime::now()),
        )
        .expect("hookline-sig verifies");

    let mut args: Vec<String> = ["verify", "--scheme", "github", "--secret", SECRET]
        .map(str::to_owned)
        .into();
    args.extend(header_args(&r.headers, "x-hub"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = sh.run(&args, body).await;
    assert_eq!(v.code(), 0, "{v}");
    assert!(v.stdout().contains("verified: scheme github"), "{v}");
    // The same check fails on a body changed by one byte: the test can fail.
    let v = sh.run(&args, br#"{"action":"opened","number":8}"#).await;
    assert_eq!(v.code(), 1, "{v}");
}

#[tokio::test]
async fn send_reads_stdin_and_signs_timestamped_schemes() {
    let rx = Receiver::start(&[]).await;
    let sh = Shell::new();
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body: &[u8] = br#"{"type":"user.created"}"#;
    let o = sh
        .run(
            &[
                "send",
                "--scheme",
                "standard",
                "--secret",
                secret,
                "--url",
                &rx.url,
                "--body-file",
                "-",
            ],
            body,
        )
        .await;
    assert_eq!(o.code(), 0, "{o}");
    let r = &rx.wait_for(1).await[0];
    assert_eq!(r.body, body);
    assert!(
        r.header("webhook-id")
            .is_some_and(|id| id.starts_with("msg_"))
    );
    presets::by_name("standard")
        .expect("preset")
        .verify(
            &[secret],
            &Request::new(&r.headers, &r.body),
            UnixTime::from(SystemTime::now()),
        )
        .expect("verifies");
    let mut args: Vec<String> = ["verify", "--scheme", "auto", "--secret", secret]
        .map(str::to_owned)
        .into();
    args.extend(header_args(&r.headers, "webhook-"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = sh.run(&args, body).await;
    assert_eq!(v.code(), 0, "{v}");
}

#[tokio::test]
async fn an_error_answer_or_no_answer_exits_non_zero() {
    let rx = Receiver::start(&[400]).await;
    let sh = Shell::new();
    let o = sh
        .run(
            &[
                "send", "--scheme", "github", "--secret", "k", "--url", &rx.url,
            ],
            b"{}",
        )
        .await;
    assert_eq!(o.code(), 3, "{o}");
    assert!(o.stdout().starts_with("HTTP/1.1 400"), "{o}");
    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let o = sh
        .run(
            &["send", "--scheme", "github", "--secret", "k", "--url", &url],
            b"{}",
        )
        .await;
    assert_eq!(o.code(), 4, "{o}");
    assert!(o.stderr().contains("no answer"), "{o}");
}

#[tokio::test]
async fn count_and_concurrency_print_a_latency_summary() {
    let rx = Receiver::start(&[500, 500, 503]).await;
    let sh = Shell::new();
    let o = sh
        .run(
            &[
                "send",
                "--scheme",
                "github",
                "--secret",
                SECRET,
                "--url",
                &rx.url,
                "--count",
                "30",
                "--concurrency",
                "4",
            ],
            b"{}",
        )
        .await;
    // Three failures: exit 3, and each kind counted.
    assert_eq!(o.code(), 3, "{o}");
    let out = o.stdout();
    assert!(
        out.contains("requests  30 (ok 27, failed 3: 500×2, 503×1)"),
        "{out}"
    );
    assert!(out.contains("req/s"), "{out}");
    for p in ["p50 ", "p90 ", "p99 ", "max "] {
        assert!(out.contains(p), "{out}");
    }
    // Not a terminal: no progress line.
    assert!(!o.stderr().contains("sent "), "{o}");
    let got = rx.wait_for(30).await;
    assert_eq!(got.len(), 30);
    // Every request is signed afresh, and each verifies.
    let github = presets::by_name("github").expect("preset");
    for r in &got {
        github
            .verify(
                &[SECRET],
                &Request::new(&r.headers, &r.body),
                UnixTime::from(SystemTime::now()),
            )
            .expect("verifies");
    }

    let o = sh
        .run(
            &[
                "send",
                "--scheme",
                "github",
                "--secret",
                SECRET,
                "--url",
                &rx.url,
                "--count",
                "10",
                "--concurrency",
                "3",
                "--json",
            ],
            b"{}",
        )
        .await;
    assert_eq!(o.code(), 0, "{o}");
    let v: serde_json::Value = serde_json::from_str(&o.stdout()).expect("json");
    assert_eq!(
        (v["count"].as_u64(), v["ok"].as_u64()),
        (Some(10), Some(10))
    );
    assert!(
        v["latencyMs"]["p99"].as_f64().is_some_and(|p| p > 0.0),
        "{v}"
    );
}

#[tokio::test]
async fn send_with_a_scheme_file_and_a_providers_envelope() {
    let rx = Receiver::start(&[]).await;
    let sh = Shell::new();
    // A custom scheme: the TOML `hookline schemes` prints, read back with --scheme-file.
    let toml = sh.ok(&["schemes", "stripe"]).await;
    let dir = fresh_dir();
    let file = dir.join("my-scheme.toml");
    std::fs::write(&file, toml).expect("write");
    let secret = "whsec_test_secret";
    let o = sh
        .run(
            &[
                "send",
                "--scheme-file",
                file.to_str().expect("utf-8"),
                "--secret",
                secret,
                "--url",
                &rx.url,
                "--event-type",
                "invoice.paid",
            ],
            br#"{"id": "in_1", "amount_paid": 2500}"#,
        )
        .await;
    assert_eq!(o.code(), 0, "{o}");
    let r = &rx.wait_for(1).await[0];
    // Dressed as Stripe sends it: an event object around the payload.
    let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(body["type"], "invoice.paid", "{body}");
    assert_eq!(body["data"]["object"]["amount_paid"], 2500, "{body}");
    presets::by_name("stripe")
        .expect("preset")
        .verify(
            &[secret],
            &Request::new(&r.headers, &r.body),
            UnixTime::from(SystemTime::now()),
        )
        .expect("verifies");
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), `--count` shows a progress
/// line on stderr and clears it before the summary.
#[tokio::test]
async fn count_shows_progress_on_a_terminal() {
    let rx = Receiver::start(&[]).await;
    let bin = env!("CARGO_BIN_EXE_hookline");
    let cmd = format!(
        "{bin} send --scheme github --secret k --url {} --body-file /dev/null --count 20 --concurrency 2",
        rx.url
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("util-linux `script` runs")
    })
    .await
    .expect("join");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("\rsent 0/20"), "{text:?}");
    assert!(
        text.contains("\r\x1b[Krequests  20 (ok 20, failed 0)"),
        "{text:?}"
    );
    assert_eq!(rx.received().len(), 20);
}
