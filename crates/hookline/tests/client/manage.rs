//! The management commands against the API: tables for people, the API's JSON with `--json`,
//! pagination, errors with their status and fields, and the resource actions.

use std::time::Duration;

use crate::common::{config, fresh_dir, spawn_app, spawn_with};
use crate::receiver::Receiver;
use crate::run::Shell;

#[tokio::test]
async fn apps_and_event_types_round_trip() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    let created = sh
        .json(&[
            "app",
            "create",
            "--name",
            "Billing",
            "--uid",
            "billing",
            "--metadata",
            r#"{"team":"pay"}"#,
        ])
        .await;
    assert_eq!(created["uid"], "billing");
    assert_eq!(created["metadata"]["team"], "pay");
    let id = created["id"].as_str().expect("id");

    let table = sh.ok(&["app", "list"]).await;
    let mut lines = table.lines();
    assert!(lines.next().expect("heading").starts_with("ID"), "{table}");
    assert!(table.contains(id) && table.contains("Billing"), "{table}");

    let got = sh.ok(&["app", "get", "billing"]).await;
    assert!(got.contains("name") && got.contains("Billing"), "{got}");
    let updated = sh
        .json(&[
            "app",
            "update",
            "billing",
            "--name",
            "Billing EU",
            "--throttle-rate",
            "7",
        ])
        .await;
    assert_eq!(updated["name"], "Billing EU");
    assert_eq!(updated["throttleRate"], 7);
    assert_eq!(updated["metadata"]["team"], "pay", "PATCH keeps the rest");

    let et = sh
        .json(&[
            "event-type",
            "create",
            "invoice.paid",
            "--description",
            "An invoice was paid",
            "--schemas",
            r#"{"1": {"type": "object", "examples": [{"amount": 100}]}}"#,
        ])
        .await;
    assert_eq!(et["name"], "invoice.paid");
    let listed = sh.ok(&["event-type", "list"]).await;
    assert!(
        listed.contains("invoice.paid") && listed.contains("An invoice was paid"),
        "{listed}"
    );
    let patched = sh
        .json(&[
            "event-type",
            "update",
            "invoice.paid",
            "--deprecated",
            "true",
        ])
        .await;
    assert_eq!(patched["deprecated"], true);
    assert_eq!(patched["description"], "An invoice was paid");
    sh.ok(&["event-type", "delete", "invoice.paid"]).await;
    let all = sh.json(&["event-type", "list", "--include-archived"]).await;
    assert_eq!(all["data"][0]["archived"], true, "{all}");

    sh.ok(&["app", "delete", id]).await;
    let o = sh.run(&["app", "get", id], b"").await;
    assert_eq!(o.code(), 3, "{o}");
    assert!(o.stderr().contains("404 Not Found"), "{o}");
    app.stop().await;
}

#[tokio::test]
async fn a_422_names_the_field_and_exits_3() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    let a = sh.json(&["app", "create", "--name", "A"]).await;
    let id = a["id"].as_str().expect("id");
    let o = sh
        .run(
            &["endpoint", "create", "--app", id, "--url", "not a url"],
            b"",
        )
        .await;
    assert_eq!(o.code(), 3, "{o}");
    let err = o.stderr();
    assert!(err.contains("422 Unprocessable Entity"), "{err}");
    assert!(err.contains("body.url:"), "{err}");
    // A missing required field, named too.
    let o = sh.run(&["app", "create"], b"").await;
    assert_eq!(o.code(), 3, "{o}");
    assert!(o.stderr().contains("body.name"), "{o}");
    app.stop().await;
}

#[tokio::test]
async fn lists_page_and_all_follows_the_cursor() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    for i in 0..5 {
        app.create_app(&format!("app-{i}"), None).await;
    }
    let page = sh.json(&["app", "list", "--limit", "2"]).await;
    assert_eq!(page["data"].as_array().expect("data").len(), 2);
    assert_eq!(page["done"], false);
    let next = page["iterator"].as_str().expect("iterator");
    let o = sh.run(&["app", "list", "--limit", "2"], b"").await;
    assert!(o.stderr().contains("more: --iterator"), "{o}");
    let page2 = sh
        .json(&["app", "list", "--limit", "2", "--iterator", next])
        .await;
    assert_ne!(page2["data"][0]["id"], page["data"][0]["id"]);
    let all = sh.json(&["app", "list", "--limit", "2", "--all"]).await;
    let names: Vec<&str> = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names.len(), 5, "{all}");
    for i in 0..5 {
        assert!(names.contains(&format!("app-{i}").as_str()), "{names:?}");
    }
    let table = sh.ok(&["app", "list", "--limit", "2", "--all"]).await;
    assert_eq!(table.lines().count(), 6, "a heading and five rows: {table}");
    app.stop().await;
}

#[tokio::test]
async fn endpoints_messages_and_attempts() {
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(100)];
    let app = spawn_with(c).await;
    // The first delivery fails, the resend succeeds.
    let rx = Receiver::start(&[500, 500]).await;
    let sh = Shell::for_app(&app);
    sh.ok(&["app", "create", "--name", "Shop", "--uid", "shop"])
        .await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let ep = sh
        .json(&[
            "endpoint",
            "create",
            "--app",
            "shop",
            "--url",
            &rx.url,
            "--uid",
            "main",
            "--secret",
            secret,
            "--event-type",
            "order.created",
            "--channel",
            "eu",
            "--header",
            "X-Team: orders",
            "--throttle-rate",
            "50",
            "--description",
            "Main",
        ])
        .await;
    assert_eq!(ep["uid"], "main");
    assert_eq!(ep["throttleRate"], 50);
    let ep_id = ep["id"].as_str().expect("id").to_owned();
    assert_eq!(
        sh.ok(&["endpoint", "secret", "--app", "shop", "main"])
            .await
            .trim(),
        secret
    );
    let headers = sh
        .ok(&["endpoint", "headers", "--app", "shop", "main"])
        .await;
    assert_eq!(headers.trim(), "X-Team: orders");
    let headers = sh
        .ok(&[
            "endpoint",
            "headers",
            "--app",
            "shop",
            "main",
            "--set",
            "X-Env: prod",
            "--remove",
            "X-Team",
        ])
        .await;
    assert_eq!(headers.trim(), "X-Env: prod");
    let up = sh
        .json(&[
            "endpoint",
            "update",
            "--app",
            "shop",
            "main",
            "--description",
            "Primary",
        ])
        .await;
    assert_eq!(up["description"], "Primary");
    assert_eq!(up["url"], rx.url.as_str(), "PATCH keeps the rest");
    let list = sh.ok(&["endpoint", "list", "--app", "shop"]).await;
    assert!(
        list.contains(&ep_id) && list.contains("order.created"),
        "{list}"
    );

    let msg = sh
        .json(&[
            "message",
            "create",
            "--app",
            "shop",
            "--event-type",
            "order.created",
            "--payload",
            r#"{"order": 1}"#,
            "--channel",
            "eu",
            "--event-id",
            "evt-1",
        ])
        .await;
    let msg_id = msg["id"].as_str().expect("id").to_owned();
    rx.wait_for(2).await; // the first attempt and its one retry, both 500
    let shown = sh.json(&["message", "get", "--app", "shop", &msg_id]).await;
    assert_eq!(shown["payload"]["order"], 1);
    let msgs = sh.ok(&["message", "list", "--app", "shop"]).await;
    assert!(msgs.contains(&msg_id) && msgs.contains("evt-1"), "{msgs}");

    // Wait for the attempts to be logged as failed.
    let mut attempts = serde_json::Value::Null;
    for _ in 0..100 {
        attempts = sh
            .json(&["attempt", "list", "--app", "shop", "--msg", &msg_id])
            .await;
        if attempts["data"].as_array().is_some_and(|a| a.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        attempts["data"].as_array().map(Vec::len),
        Some(2),
        "{attempts}"
    );
    assert_eq!(attempts["data"][0]["responseStatusCode"], 500);
    let table = sh
        .ok(&["attempt", "list", "--app", "shop", "--endpoint", "main"])
        .await;
    assert!(table.contains("fail") && table.contains("500"), "{table}");
    let att_id = attempts["data"][0]["id"].as_str().expect("id");
    let one = sh
        .json(&["attempt", "get", "--app", "shop", "--msg", &msg_id, att_id])
        .await;
    assert_eq!(one["id"], att_id);

    sh.ok(&[
        "attempt",
        "resend",
        "--app",
        "shop",
        "--msg",
        &msg_id,
        "--endpoint",
        "main",
    ])
    .await;
    let got = rx.wait_for(3).await;
    assert_eq!(got[2].header("x-env"), Some("prod"));
    let stats = sh
        .json(&["endpoint", "stats", "--app", "shop", "main"])
        .await;
    assert!(stats.get("success").is_some(), "{stats}");

    // recover and send-example answer; rotate-secret changes the secret.
    let rec = sh
        .json(&[
            "endpoint",
            "recover",
            "--app",
            "shop",
            "main",
            "--since",
            "2020-01-01T00:00:00Z",
        ])
        .await;
    assert_eq!(rec["task"], "endpoint.recover");
    sh.ok(&["event-type", "create", "order.created"]).await;
    let ex = sh
        .json(&[
            "endpoint",
            "send-example",
            "--app",
            "shop",
            "main",
            "--event-type",
            "order.created",
        ])
        .await;
    assert_eq!(ex["eventType"], "order.created");
    sh.ok(&["endpoint", "rotate-secret", "--app", "shop", "main"])
        .await;
    let new = sh
        .ok(&["endpoint", "secret", "--app", "shop", "main"])
        .await;
    assert_ne!(new.trim(), secret);
    sh.ok(&["endpoint", "delete", "--app", "shop", "main"])
        .await;
    let o = sh
        .run(&["endpoint", "get", "--app", "shop", "main"], b"")
        .await;
    assert_eq!(o.code(), 3, "{o}");
    app.stop().await;
}

#[tokio::test]
async fn completions_for_every_shell() {
    let sh = Shell::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = sh.ok(&["completions", shell]).await;
        assert!(
            out.contains("hookline") && out.contains("rotate-secret"),
            "{shell}: {out}"
        );
    }
    let o = sh.run(&["completions", "tcsh"], b"").await;
    assert_eq!(o.code(), 2, "{o}");
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    let created = sh
        .json(&["token", "create", "--name", "ci", "--expires-in", "3600"])
        .await;
    let token = created["token"].as_str().expect("token").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["name"], "ci");

    // The new token works as an admin token.
    let as_ci = Shell::with_env(&[
        ("HOOKLINE_SERVER", app.base.as_str()),
        ("HOOKLINE_TOKEN", token.as_str()),
    ]);
    as_ci.ok(&["app", "list"]).await;

    let table = sh.ok(&["token", "list"]).await;
    assert!(table.contains(&id) && table.contains("ci"), "{table}");
    assert!(
        !table.contains(&token),
        "a listing never shows a token: {table}"
    );

    sh.ok(&["token", "revoke", &id]).await;
    let refused = as_ci.run(&["app", "list"], b"").await;
    assert_eq!(
        refused.code(),
        3,
        "a revoked token is refused: {}",
        refused.stderr()
    );
    let again = sh.run(&["token", "revoke", &id], b"").await;
    assert_eq!(again.code(), 3, "{}", again.stderr());
    assert!(again.stderr().contains("404"), "{}", again.stderr());
    app.stop().await;
}

#[tokio::test]
async fn sources_and_their_requests() {
    let app = spawn_app().await;
    let sh = Shell::for_app(&app);
    let created = sh
        .json(&[
            "source",
            "create",
            "--name",
            "Stripe",
            "--uid",
            "stripe-prod",
            "--scheme",
            "stripe",
            "--secret",
            "whsec_test_secret_for_the_cli_0123",
        ])
        .await;
    assert_eq!(created["uid"], "stripe-prod", "{created}");
    assert!(
        created["ingestUrl"]
            .as_str()
            .expect("ingestUrl")
            .ends_with("/in/stripe-prod"),
        "{created}"
    );
    let table = sh.ok(&["source", "list"]).await;
    assert!(
        table.contains("stripe-prod") && table.contains("stripe"),
        "{table}"
    );
    let key = sh.ok(&["source", "secret", "stripe-prod"]).await;
    assert_eq!(key.trim(), "whsec_test_secret_for_the_cli_0123");

    // A forged request is rejected and kept; the CLI lists it and shows its diagnosis.
    let resp = app
        .client
        .post(app.url("/in/stripe-prod"))
        .header("content-type", "application/json")
        .header("stripe-signature", "t=1,v1=00")
        .body(r#"{"id":"evt_1","type":"invoice.paid"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
    let mut listed = serde_json::Value::Null;
    for _ in 0..50 {
        listed = sh
            .json(&["source", "requests", "stripe-prod", "--status", "rejected"])
            .await;
        if !listed["data"].as_array().is_none_or(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let req = listed["data"][0]["id"]
        .as_str()
        .expect("a rejected request")
        .to_owned();
    let detail = sh.json(&["source", "request", "stripe-prod", &req]).await;
    assert!(detail.to_string().contains("rejected"), "{detail}");

    let bad = sh
        .run(
            &[
                "source",
                "create",
                "--name",
                "x",
                "--scheme",
                "no-such-scheme",
            ],
            b"",
        )
        .await;
    assert_eq!(bad.code(), 3, "{}", bad.stderr());
    assert!(bad.stderr().contains("422"), "{}", bad.stderr());
    sh.ok(&["source", "delete", "stripe-prod"]).await;
    app.stop().await;
}
