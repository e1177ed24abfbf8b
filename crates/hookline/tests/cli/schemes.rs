//! `hookline schemes`: the presets, how each provider sends, and TOML that loads back.

use super::*;

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
