//! Input that serde's defaults would let through: arrays for objects, `null` for fields that
//! cannot be cleared, NUL characters that one backend stores and the other refuses. Every
//! case answers the same on SQLite and PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{ADMIN_TOKEN, TestApp, spawn_app};

async fn raw(app: &TestApp, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.expect("every answer here is JSON"))
}

fn assert_refused(what: &str, (s, v): &(StatusCode, Value), loc: &Value) {
    assert_eq!(*s, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {v}");
    assert_eq!(&v["detail"][0]["loc"], loc, "{what}: {v}");
}

#[tokio::test]
async fn an_array_is_refused_wherever_an_object_is_expected() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com"}),
        )
        .await;
    let ep_path = format!(
        "/api/v1/app/{app_id}/endpoint/{}",
        ep["id"].as_str().expect("id")
    );
    let cases = [
        (
            Method::POST,
            "/api/v1/app".to_owned(),
            r#"["Acme", "acme"]"#,
            json!(["body"]),
        ),
        (
            Method::POST,
            format!("/api/v1/app/{app_id}/endpoint"),
            r#"["https://e.com"]"#,
            json!(["body"]),
        ),
        (
            Method::PATCH,
            ep_path.clone(),
            r#"["https://f.com"]"#,
            json!(["body"]),
        ),
        (
            Method::PUT,
            "/api/v1/event-type/t".to_owned(),
            r#"["described"]"#,
            json!(["body"]),
        ),
        // Nested: the application created with a message.
        (
            Method::POST,
            "/api/v1/app/fresh/msg".to_owned(),
            r#"{"eventType": "x", "payload": {}, "application": ["Fresh"]}"#,
            json!(["body", "application"]),
        ),
    ];
    for (method, path, body, loc) in cases {
        let r = raw(&app, method.clone(), &path, body).await;
        assert_refused(&format!("{method} {path} {body}"), &r, &loc);
        assert!(
            r.1["detail"][0]["msg"]
                .as_str()
                .is_some_and(|m| m.contains("expected a JSON object")),
            "{}",
            r.1
        );
    }
    // Nothing was created by position.
    let (_, apps) = app.get("/api/v1/app").await;
    assert_eq!(apps["data"].as_array().map(Vec::len), Some(1), "{apps}");
    let (s, _) = app.get("/api/v1/event-type/t").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, e) = app.get(&ep_path).await;
    assert_eq!(e["url"], "https://e.com");
    app.stop().await;
}

#[tokio::test]
async fn null_is_refused_for_fields_that_cannot_be_cleared() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com", "description": "d", "uid": "ep", "throttleRate": 5}),
        )
        .await;
    let ep_path = format!(
        "/api/v1/app/{app_id}/endpoint/{}",
        ep["id"].as_str().expect("id")
    );
    let (s, _) = app
        .post(
            "/api/v1/event-type",
            json!({"name": "t", "description": "d", "featureFlag": "beta"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let app_path = format!("/api/v1/app/{app_id}");
    let msg_path = format!("/api/v1/app/{app_id}/msg");
    // Every field Svix's reference does not declare nullable, where it is optional.
    let cases: Vec<(Method, &str, &str)> = vec![
        (Method::PATCH, &app_path, "name"),
        (Method::PATCH, &app_path, "metadata"),
        (Method::PATCH, &ep_path, "url"),
        (Method::PATCH, &ep_path, "description"),
        (Method::PATCH, &ep_path, "disabled"),
        (Method::PATCH, &ep_path, "metadata"),
        (Method::PATCH, &ep_path, "signatureScheme"),
        (Method::PATCH, "/api/v1/event-type/t", "description"),
        (Method::PATCH, "/api/v1/event-type/t", "archived"),
        (Method::PATCH, "/api/v1/event-type/t", "deprecated"),
        (Method::PUT, &ep_path, "signatureScheme"),
        (Method::POST, &msg_path, "payloadRetentionPeriod"),
    ];
    for (method, path, field) in cases {
        let mut body = match method {
            Method::PUT => json!({"url": "https://e.com"}),
            Method::POST => json!({"eventType": "x", "payload": {}}),
            _ => json!({}),
        };
        body[field] = Value::Null;
        let r = raw(&app, method.clone(), path, &body.to_string()).await;
        assert_refused(
            &format!("{method} {path} {body}"),
            &r,
            &json!(["body", field]),
        );
        assert!(
            r.1["detail"][0]["msg"]
                .as_str()
                .is_some_and(|m| m.contains("must not be null")),
            "{}",
            r.1
        );
    }
    // Required or defaulted fields of a plain type refuse null by their type already.
    for (method, path, body, field) in [
        (Method::POST, "/api/v1/app", r#"{"name": null}"#, "name"),
        (
            Method::PUT,
            ep_path.as_str(),
            r#"{"url": "https://e.com", "description": null}"#,
            "description",
        ),
        (
            Method::POST,
            "/api/v1/event-type",
            r#"{"name": "u", "description": "d", "archived": null}"#,
            "archived",
        ),
    ] {
        let r = raw(&app, method.clone(), path, body).await;
        assert_refused(
            &format!("{method} {path} {body}"),
            &r,
            &json!(["body", field]),
        );
    }
    let (_, e) = app.get(&ep_path).await;
    assert_eq!(
        (&e["url"], &e["description"]),
        (&json!("https://e.com"), &json!("d"))
    );
    assert_eq!(message_total(&app, &app_id).await, 0);

    // Nullable fields still take null, meaning "clear".
    let (s, e) = raw(
        &app,
        Method::PATCH,
        &ep_path,
        r#"{"uid": null, "throttleRate": null, "eventTypes": null, "channels": null}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        (&e["uid"], &e["throttleRate"]),
        (&Value::Null, &Value::Null)
    );
    let (s, t) = raw(
        &app,
        Method::PATCH,
        "/api/v1/event-type/t",
        r#"{"featureFlag": null, "schemas": null}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["featureFlag"], Value::Null);
    let (s, a) = raw(
        &app,
        Method::PATCH,
        &app_path,
        r#"{"uid": null, "throttleRate": null}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    app.stop().await;
}

async fn message_total(app: &TestApp, app_id: &str) -> usize {
    let (_, l) = app.get(&format!("/api/v1/app/{app_id}/msg")).await;
    l["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_nul_character_is_refused_the_same_way_on_both_backends() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let nul = "\u{0}";
    let cases = [
        (
            "/api/v1/app".to_owned(),
            json!({"name": format!("a{nul}b")}),
            json!(["body", "name"]),
        ),
        (
            "/api/v1/app".to_owned(),
            json!({"name": "a", "metadata": {format!("k{nul}"): "v"}}),
            json!(["body", "metadata"]),
        ),
        (
            "/api/v1/app".to_owned(),
            json!({"name": "a", "metadata": {"k": format!("v{nul}")}}),
            json!(["body", "metadata", "k"]),
        ),
        (
            "/api/v1/event-type".to_owned(),
            json!({"name": "t", "description": format!("d{nul}")}),
            json!(["body", "description"]),
        ),
        (
            format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com", "description": format!("d{nul}")}),
            json!(["body", "description"]),
        ),
        (
            format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://e.com", "headers": {"x-a": format!("v{nul}")}}),
            json!(["body", "headers", "x-a"]),
        ),
        (
            format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "x", "payload": {}, "channels": [format!("c{nul}")]}),
            json!(["body", "channels", "0"]),
        ),
    ];
    for (path, body, loc) in cases {
        let r = raw(&app, Method::POST, &path, &body.to_string()).await;
        assert_refused(&format!("POST {path} {body}"), &r, &loc);
        assert_eq!(
            r.1["detail"][0]["msg"], "must not contain the NUL character (\\u0000)",
            "the same message on both backends"
        );
    }
    // In a query too (PostgreSQL would refuse the lookup, SQLite find nothing).
    let (s, v) = app
        .get(&format!("/api/v1/app/{app_id}/msg?channel=a%00b"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["detail"][0]["loc"], json!(["query", "channel"]));
    assert_eq!(
        v["detail"][0]["msg"],
        "must not contain the NUL character (\\u0000)"
    );
    // A payload is free-form JSON kept as sent: a NUL in it is stored and given back.
    let (s, m) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "x", "payload": {"text": format!("a{nul}b")}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    let (_, got) = app
        .get(&format!(
            "/api/v1/app/{app_id}/msg/{}",
            m["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(got["payload"]["text"], format!("a{nul}b"));
    app.stop().await;
}

/// A key that names no field is ignored and never stored, so a NUL in it (or in its value)
/// harms nothing and is not refused (schemathesis ST202 sent such keys); the keys of maps
/// that are stored (`metadata`, `headers`) still refuse it.
#[tokio::test]
async fn an_unknown_key_with_a_nul_is_ignored_like_any_unknown_key() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let app_path = format!("/api/v1/app/{app_id}");
    let body = r#"{"x\u0000y": 1.5, "name": "renamed", "z": {"k\u0000": ["\u0000"]}}"#;
    let (s, v) = raw(&app, Method::PUT, &app_path, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "renamed");
    let (_, ep) = app
        .post(
            &format!("{app_path}/endpoint"),
            json!({"url": "https://e.com"}),
        )
        .await;
    let ep_id = ep["id"].as_str().expect("id");
    let body = r#"{"\u0000a": {}, "eventType": "nope"}"#;
    let (s, v) = raw(
        &app,
        Method::POST,
        &format!("{app_path}/endpoint/{ep_id}/send-example"),
        body,
    )
    .await;
    assert_ne!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let body = r#"{"name": "a", "metadata": {"k\u0000": "v"}}"#;
    let r = raw(&app, Method::PUT, &app_path, body).await;
    assert_refused(body, &r, &json!(["body", "metadata"]));
    app.stop().await;
}
