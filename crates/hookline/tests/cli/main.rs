//! The `hookline` binary, run as a user runs it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const STD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STD_HEADERS: [&str; 3] = [
    "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp: 1614265330",
    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
];

fn hookline(args: &[&str], stdin: &[u8]) -> Output {
    hookline_env(args, stdin, &[])
}

fn hookline_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookline"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hookline");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("hookline ran")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hookline-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn verify_args<'a>(
    scheme: &'a str,
    secret: &'a str,
    headers: &[&'a str],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["verify", "--scheme", scheme, "--secret", secret];
    for h in headers {
        args.extend(["-H", h]);
    }
    args.extend(extra);
    args
}

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

#[test]
fn schemes_print_how_their_provider_sends() {
    let o = hookline(&["schemes"], b"");
    let listing = stdout(&o);
    let line = listing
        .lines()
        .skip_while(|l| !l.starts_with("wasphere"))
        .nth(1)
        .expect("wasphere's headers line");
    assert!(line.contains("sends its provider's envelope"), "{line}");
    let o = hookline(&["schemes", "spine"], b"");
    assert_eq!(o.status.code(), Some(0));
    let toml = stdout(&o);
    for want in [
        "[send]\nid = \"evt_{msg_uuid}\"",
        "[send.body]\nid = \"{id}\"\ntype = \"{event_type}\"\ncreated = \"{created}\"",
        "[send.body.data]\nobject = \"{payload}\"",
    ] {
        assert!(toml.contains(want), "{want:?} in\n{toml}");
    }
    // The printed form loads back as a custom scheme.
    let dir = temp_dir("send");
    let file = dir.join("spine.toml");
    std::fs::write(
        &file,
        toml.replace("name = \"spine\"", "name = \"my-spine\""),
    )
    .expect("write");
    let file = file.to_str().expect("utf8 path");
    let o = hookline(&["sign", "--scheme-file", file, "--secret", "s"], b"{}");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A custom scheme whose envelope does not hold together fails naming the field.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        toml.replace("object = \"{payload}\"", "object = \"x{payload}\""),
    )
    .expect("write");
    let bad = bad.to_str().expect("utf8 path");
    let o = hookline(&["sign", "--scheme-file", bad, "--secret", "s"], b"{}");
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("send.body/data/object"), "{err}");
}

#[test]
fn schemes_lists_presets_and_prints_reusable_toml() {
    let o = hookline(&["schemes"], b"");
    assert_eq!(o.status.code(), Some(0));
    for name in ["standard", "stripe", "splashify", "mailgun"] {
        assert!(stdout(&o).contains(name), "{name}");
    }
    // `schemes NAME` prints TOML that `--scheme-file` reads back to the same scheme.
    let o = hookline(&["schemes", "slack"], b"");
    assert_eq!(o.status.code(), Some(0));
    let dir = temp_dir("schemes");
    let file = dir.join("slack.toml");
    std::fs::write(
        &file,
        stdout(&o).replace("name = \"slack\"", "name = \"my-slack\""),
    )
    .expect("write");
    let file = file.to_str().expect("utf8 path");
    let preset = hookline(
        &[
            "sign",
            "--scheme",
            "slack",
            "--secret",
            "s",
            "--timestamp",
            "1531420618",
        ],
        b"x",
    );
    let custom = hookline(
        &[
            "sign",
            "--scheme-file",
            file,
            "--secret",
            "s",
            "--timestamp",
            "1531420618",
        ],
        b"x",
    );
    assert_eq!(stdout(&preset), stdout(&custom));
}

#[test]
fn bad_input_is_one_line_on_stderr_not_a_panic() {
    let dir = temp_dir("bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nalgorithm = \"hmac-md5\"\n").expect("write");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["verify", "--scheme", "nope", "--secret", "k"],
            "unknown scheme `nope`",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "github",
                "-H",
                "X-Hub-Signature-256: sha256=00",
            ],
            "give a secret",
        ),
        (
            vec![
                "verify", "--scheme", "github", "--secret", "k", "-H", "no colon",
            ],
            "expected `Name: value`",
        ),
        (
            vec!["sign", "--scheme", "mailgun", "--secret", "k"],
            "verify-only",
        ),
        (
            vec!["sign", "--scheme", "standard", "--secret", "whsec_!!!"],
            "not valid base64",
        ),
        (
            vec!["sign", "--scheme-file", bad.to_str().expect("utf8")],
            "hmac-md5",
        ),
        (
            vec![
                "verify",
                "--scheme",
                "github",
                "--secret-env",
                "HOOKLINE_TEST_UNSET_VAR",
            ],
            "HOOKLINE_TEST_UNSET_VAR",
        ),
    ];
    for (args, expected) in cases {
        let o = hookline(&args, b"");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
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

#[test]
fn serve_prints_a_token_once_answers_and_stops_on_sigterm() {
    use std::io::{BufRead as _, BufReader};
    let dir = temp_dir("serve");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_hookline"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                dir.to_str().expect("utf8"),
            ])
            .env_remove("HOOKLINE_ADMIN_TOKEN")
            .env("HOOKLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve")
    };
    let read_until_listening = |child: &mut std::process::Child| {
        let mut lines = Vec::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        loop {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).expect("read") > 0,
                "serve exited early: {lines:?}"
            );
            lines.push(line.trim().to_owned());
            if line.contains("listening on") {
                return lines;
            }
        }
    };
    let mut child = start();
    let lines = read_until_listening(&mut child);
    let token = lines
        .iter()
        .find(|l| l.starts_with("hk_"))
        .expect("a token on first start")
        .clone();
    let addr = lines
        .last()
        .expect("line")
        .rsplit("http://")
        .next()
        .expect("addr")
        .to_owned();
    // A raw HTTP/1.1 request on loopback: the health check and an authenticated list.
    let get = |path: &str, auth: Option<&str>| {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        let auth = auth
            .map(|t| format!("authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nhost: x\r\n{auth}connection: close\r\n\r\n"
        )
        .expect("write");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read");
        resp
    };
    assert!(get("/api/v1/health", None).starts_with("HTTP/1.1 204"));
    assert!(get("/api/v1/app", Some(&token)).starts_with("HTTP/1.1 200"));
    assert!(get("/api/v1/app", Some("hk_wrong")).starts_with("HTTP/1.1 401"));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
    // The second start shows no token.
    let mut child = start();
    let lines = read_until_listening(&mut child);
    assert!(!lines.iter().any(|l| l.starts_with("hk_")), "{lines:?}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
