//! Bad input to any command: one line on stderr and a failing exit code, never a panic.

use super::*;

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
