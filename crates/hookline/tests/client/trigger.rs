//! `hookline trigger`: the event type's example (the one the server's send-example sends), or
//! a fixture file, with `--set` overrides; the message id printed.

use crate::common::{fresh_dir, spawn_app};
use crate::run::Shell;

#[tokio::test]
async fn trigger_builds_from_the_example_with_overrides() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    sh.ok(&["app", "create", "--name", "Shop", "--uid", "shop"])
        .await;
    let schemas = r#"{"1": {"type": "object", "examples": [
        {"id": "in_1", "amount": 100, "customer": {"email": "old@example.com"}, "lines": [{"q": 1}]}
    ]}}"#;
    sh.ok(&["event-type", "create", "invoice.paid", "--schemas", schemas])
        .await;
    let out = sh
        .ok(&[
            "trigger",
            "invoice.paid",
            "--app",
            "shop",
            "--set",
            "amount=2500",
            "--set",
            "customer.email=me@example.com",
            "--set",
            "customer.vip=true",
            "--set",
            "lines.0.q=3",
            "--set",
            "note=12 apples",
        ])
        .await;
    let id = out.trim();
    assert!(id.starts_with("msg_"), "{out}");
    let msg = sh.json(&["message", "get", "--app", "shop", id]).await;
    assert_eq!(msg["eventType"], "invoice.paid");
    assert_eq!(
        msg["payload"],
        serde_json::json!({
            "id": "in_1", "amount": 2500,
            "customer": {"email": "me@example.com", "vip": true},
            "lines": [{"q": 3}],
            "note": "12 apples"
        })
    );

    // A fixture file instead of the example.
    let dir = fresh_dir();
    let fixture = dir.join("fixture.json");
    std::fs::write(&fixture, r#"{"id": "in_9", "amount": 1}"#).expect("write");
    let out = sh
        .ok(&[
            "trigger",
            "invoice.paid",
            "--app",
            "shop",
            "--file",
            fixture.to_str().expect("utf-8"),
            "--set",
            "amount=2",
        ])
        .await;
    let msg = sh
        .json(&["message", "get", "--app", "shop", out.trim()])
        .await;
    assert_eq!(
        msg["payload"],
        serde_json::json!({"id": "in_9", "amount": 2})
    );

    // A bad override is refused before anything is sent.
    let o = sh
        .run(
            &[
                "trigger",
                "invoice.paid",
                "--app",
                "shop",
                "--set",
                "amount.x=1",
            ],
            b"",
        )
        .await;
    assert_eq!(o.code(), 2, "{o}");
    assert!(o.stderr().contains("--set amount.x"), "{o}");
    // An unknown event type: the server's 404.
    let o = sh
        .run(&["trigger", "nope.nope", "--app", "shop"], b"")
        .await;
    assert_eq!(o.code(), 3, "{o}");
    app.stop().await;
}

/// The example `trigger` sends is the one the server's send-example sends, with a schema
/// example and without one.
#[tokio::test]
async fn trigger_uses_the_servers_example() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    sh.ok(&["app", "create", "--name", "Shop", "--uid", "shop"])
        .await;
    sh.ok(&[
        "endpoint",
        "create",
        "--app",
        "shop",
        "--url",
        "https://example.com/hook",
        "--uid",
        "ep",
    ])
    .await;
    let with = r#"{"1": {"type": "object"}, "2": {"examples": [{"v": 2}, {"v": 3}]}}"#;
    sh.ok(&["event-type", "create", "with.example", "--schemas", with])
        .await;
    sh.ok(&["event-type", "create", "without.example"]).await;
    for et in ["with.example", "without.example"] {
        let server = sh
            .json(&[
                "endpoint",
                "send-example",
                "--app",
                "shop",
                "ep",
                "--event-type",
                et,
            ])
            .await;
        let ours = sh.json(&["trigger", et, "--app", "shop"]).await;
        assert_eq!(ours["payload"], server["payload"], "{et}");
    }
    app.stop().await;
}
