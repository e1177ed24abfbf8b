use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::spawn_app;

#[tokio::test]
async fn endpoint_crud_secret_and_rotation() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let base = format!("/api/v1/app/{app_id}/endpoint");
    let (s, ep) = app.post(&base, json!({"url": "https://example.com/hook", "uid": "main", "filterTypes": ["user.signup"], "channels": ["eu"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let ep_id = ep["id"].as_str().expect("id").to_owned();
    assert!(ep_id.starts_with("ep_"));
    assert_eq!(
        ep["eventTypes"],
        json!(["user.signup"]),
        "filterTypes is an alias of eventTypes"
    );
    assert_eq!(ep["signatureScheme"], "svix");

    let (s, secret) = app.get(&format!("{base}/main/secret")).await;
    assert_eq!(s, StatusCode::OK);
    let first = secret["key"].as_str().expect("key").to_owned();
    assert!(first.starts_with("whsec_") && first.len() >= 38, "{first}");

    // Rotate: answers with the new secret as JSON (what today's SDKs read).
    let (s, rotated) = app
        .post(&format!("{base}/{ep_id}/secret/rotate"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    let second = rotated["key"].as_str().expect("key").to_owned();
    assert_ne!(first, second);
    assert_eq!(
        app.get(&format!("{base}/{ep_id}/secret")).await.1["key"],
        second.as_str()
    );
    // Rotate to a chosen key; a key of the wrong form is 422 naming the field.
    let chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAA";
    let (s, v) = app
        .post(
            &format!("{base}/{ep_id}/secret/rotate"),
            json!({"key": chosen}),
        )
        .await;
    assert_eq!((s, v["key"].as_str()), (StatusCode::OK, Some(chosen)));
    let (s, v) = app
        .post(
            &format!("{base}/{ep_id}/secret/rotate"),
            json!({"key": "short"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["detail"][0]["loc"], json!(["body", "key"]));

    // PUT replaces settings; PATCH edits; both keep the secret.
    let (s, v) = app
        .call(
            Method::PUT,
            &format!("{base}/{ep_id}"),
            Some(json!({"url": "https://example.com/v2", "disabled": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["url"].as_str(), &v["disabled"], &v["eventTypes"]),
        (Some("https://example.com/v2"), &json!(true), &json!(null))
    );
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("{base}/{ep_id}"),
            Some(json!({"disabled": false, "description": "prod"})),
        )
        .await;
    assert_eq!(
        (s, v["description"].as_str(), &v["disabled"]),
        (StatusCode::OK, Some("prod"), &json!(false))
    );
    assert_eq!(
        app.get(&format!("{base}/{ep_id}/secret")).await.1["key"],
        chosen
    );

    let (_, list) = app.get(&base).await;
    assert_eq!(list["data"].as_array().expect("data").len(), 1);
    let (s, _) = app
        .call(Method::DELETE, &format!("{base}/{ep_id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("{base}/{ep_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn headers_hide_credentials_and_refuse_reserved_names() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let (_, ep) = app.post(&format!("/api/v1/app/{app_id}/endpoint"), json!({"url": "https://example.com/h", "headers": {"Authorization": "Bearer s3cret", "X-Team": "blue"}})).await;
    let path = format!(
        "/api/v1/app/{app_id}/endpoint/{}/headers",
        ep["id"].as_str().expect("id")
    );
    let (s, v) = app.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"headers": {"X-Team": "blue"}, "sensitive": ["Authorization"]})
    );
    let (s, _) = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"headers": {"X-Team": null, "X-New": "1"}})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.1["headers"], json!({"X-New": "1"}));
    let (s, _) = app
        .call(
            Method::PUT,
            &path,
            Some(json!({"headers": {"X-Only": "2"}})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&path).await.1,
        json!({"headers": {"X-Only": "2"}, "sensitive": []})
    );
    for bad in ["Content-Type", "svix-signature", "Host"] {
        let (s, v) = app
            .call(Method::PUT, &path, Some(json!({"headers": {bad: "x"}})))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
    }
    app.stop().await;
}

#[tokio::test]
async fn signature_scheme_extension_is_checked_and_stored() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let base = format!("/api/v1/app/{app_id}/endpoint");
    let (s, v) = app.post(&base, json!({"url": "https://example.com/h", "signatureScheme": "stripe", "toleranceHint": 300})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["signatureScheme"].as_str(), &v["toleranceHint"]),
        (Some("stripe"), &json!(300))
    );
    let (s, v) = app
        .post(
            &base,
            json!({"url": "https://example.com/h", "signatureScheme": "mailgun"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verify-only schemes cannot send: {v}"
    );
    let (s, _) = app
        .post(
            &base,
            json!({"url": "https://example.com/h", "signatureScheme": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // An asymmetric scheme: the secret shown is the public key receivers verify with.
    let (s, v) = app
        .post(
            &base,
            json!({"url": "https://example.com/h", "signatureScheme": "standard-v1a"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, secret) = app
        .get(&format!("{base}/{}/secret", v["id"].as_str().expect("id")))
        .await;
    assert!(
        secret["key"].as_str().expect("key").starts_with("whpk_"),
        "{secret}"
    );
    // What the endpoint stores decides, not the body: a `whsec_` key (the form the document
    // describes) for an Ed25519 endpoint, or a scheme its stored secret cannot sign with, is
    // a conflict with the endpoint's state (409), not an invalid body (422).
    let ed = format!("{base}/{}", v["id"].as_str().expect("id"));
    let (s, r) = app
        .post(
            &format!("{ed}/secret/rotate"),
            json!({"key": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["code"], "conflict", "{r}");
    let (s, r) = app
        .call(Method::PATCH, &ed, Some(json!({"signatureScheme": "svix"})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    let (s, r) = app
        .call(
            Method::PUT,
            &ed,
            Some(json!({"url": "https://example.com/h", "signatureScheme": "svix"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    let (_, still) = app.get(&ed).await;
    assert_eq!(still["signatureScheme"], "standard-v1a");
    app.stop().await;
}

#[tokio::test]
async fn send_example_stats_recover_and_resend() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    app.post("/api/v1/event-type", json!({"name": "user.signup", "description": "d", "schemas": {"1": {"examples": [{"user": "u_example"}]}}})).await;
    let (_, e1) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://example.com/1"}),
        )
        .await;
    let (_, e2) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": "https://example.com/2"}),
        )
        .await;
    let (e1, e2) = (
        e1["id"].as_str().expect("id").to_owned(),
        e2["id"].as_str().expect("id").to_owned(),
    );

    let (s, msg) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{e1}/send-example"),
            json!({"eventType": "user.signup"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{msg}");
    assert_eq!(msg["payload"], json!({"user": "u_example"}));
    let msg_id = msg["id"].as_str().expect("id");
    let (_, dests) = app
        .get(&format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint"))
        .await;
    let dests: Vec<&str> = dests["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        dests,
        [e1.as_str()],
        "the example goes to that endpoint only"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{e1}/send-example"),
            json!({"eventType": "missing.type"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, stats) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{e1}/stats"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        stats,
        json!({"success": 0, "pending": 1, "sending": 0, "fail": 0, "canceled": 0})
    );

    let (s, v) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{e1}/recover"),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (s, v["task"].as_str()),
        (StatusCode::ACCEPTED, Some("endpoint.recover"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{e1}/recover"),
            json!({"since": "last week"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Resend to the other endpoint: it becomes a destination, pending.
    let resend = app
        .client
        .post(app.url(&format!(
            "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{e2}/resend"
        )))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("send");
    assert_eq!(resend.status(), StatusCode::ACCEPTED);
    let (_, dests) = app
        .get(&format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint"))
        .await;
    assert_eq!(dests["data"].as_array().expect("data").len(), 2);
    assert!(
        dests["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|d| d["statusText"] == "pending")
    );
    let (_, msgs) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{e2}/msg"))
        .await;
    assert_eq!(msgs["data"][0]["id"], msg_id);
    // No attempts yet (the delivery engine makes them).
    let (s, attempts) = app
        .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
        .await;
    assert_eq!(
        (s, attempts["data"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (s, attempts) = app
        .get(&format!(
            "/api/v1/app/{app_id}/attempt/endpoint/{e1}?status=1&status_code_class=200"
        ))
        .await;
    assert_eq!(
        (s, attempts["done"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (s, _) = app
        .get(&format!(
            "/api/v1/app/{app_id}/msg/{msg_id}/attempt/atmpt_missing"
        ))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// A URL is accepted only if the sender can send to it: the same parser judges it at
/// creation, on update and before every attempt (`engine::target`).
#[tokio::test]
async fn urls_the_sender_cannot_use_are_refused_at_creation_and_on_update() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let base = format!("/api/v1/app/{app_id}/endpoint");
    for bad in [
        "http://ⅻ27.0.0.1",
        "http://1.2.3.4.5/",
        "http:///example.com",
        "http:example.com",
        "https://user:pw@example.com/",
        "https://example.com/\u{0}",
        "gopher://example.com/",
    ] {
        let (s, v) = app.post(&base, json!({ "url": bad })).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        assert_eq!(v["detail"][0]["loc"], json!(["body", "url"]), "{bad}: {v}");
    }
    // The reason is said once, in words.
    let (_, v) = app
        .post(&base, json!({"url": "gopher://example.com/"}))
        .await;
    assert_eq!(
        v["detail"][0]["msg"], "expected an absolute http:// or https:// URL",
        "{v}"
    );
    let (_, v) = app
        .post(&base, json!({"url": "https://user:pw@example.com/"}))
        .await;
    assert_eq!(
        v["detail"][0]["msg"],
        "the URL must not carry a user name or password; use endpoint headers",
        "{v}"
    );
    let (s, ep) = app
        .post(&base, json!({"url": "https://bücher.example/hook"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let path = format!("{base}/{}", ep["id"].as_str().expect("id"));
    let (s, v) = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"url": "http://ⅻ27.0.0.1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .call(Method::PUT, &path, Some(json!({"url": "http://ⅻ27.0.0.1"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    app.stop().await;
}
