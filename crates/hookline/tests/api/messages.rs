use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::spawn_app;

#[tokio::test]
async fn messages_fan_out_to_matching_endpoints() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let ep = |body: serde_json::Value| {
        let app = &app;
        let path = format!("/api/v1/app/{app_id}/endpoint");
        async move {
            app.post(&path, body).await.1["id"]
                .as_str()
                .expect("id")
                .to_owned()
        }
    };
    let all = ep(json!({"url": "https://example.com/all"})).await;
    let signups = ep(json!({"url": "https://example.com/s", "eventTypes": ["user.signup"]})).await;
    let eu = ep(json!({"url": "https://example.com/eu", "channels": ["eu"]})).await;
    let _off = ep(json!({"url": "https://example.com/off", "disabled": true})).await;

    let send = |body: serde_json::Value| {
        let app = &app;
        let path = format!("/api/v1/app/{app_id}/msg");
        async move {
            let (s, v) = app.post(&path, body).await;
            assert_eq!(s, StatusCode::ACCEPTED, "{v}");
            v
        }
    };
    let destinations = |msg: serde_json::Value| {
        let app = &app;
        let path = format!(
            "/api/v1/app/{app_id}/msg/{}/endpoint",
            msg["id"].as_str().expect("id")
        );
        async move {
            let mut ids: Vec<String> = app.get(&path).await.1["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|d| d["id"].as_str().expect("id").to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let m = send(json!({"eventType": "user.signup", "payload": {"a": 1}})).await;
    assert_eq!(
        destinations(m).await,
        sorted(vec![all.clone(), signups.clone()])
    );
    let m = send(json!({"eventType": "invoice.paid", "payload": {}, "channels": ["eu"]})).await;
    assert_eq!(destinations(m).await, sorted(vec![all.clone(), eu.clone()]));
    app.stop().await;
}

#[tokio::test]
async fn message_create_get_list_and_expunge() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let payload = json!({"z": 1, "a": {"nested": [1, 2]}, "text": "héllo"});
    let (s, m) = app.post(&format!("/api/v1/app/{app_id}/msg"), json!({"eventType": "user.signup", "eventId": "evt-1", "payload": payload, "channels": ["c1"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    let id = m["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("msg_"));
    assert_eq!(m["payload"], payload, "payload kept as sent");
    // A duplicate eventId is 409.
    let (s, v) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "user.signup", "eventId": "evt-1", "payload": {}}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    // By id or by eventId; without content.
    let (_, by_event) = app.get(&format!("/api/v1/app/{app_id}/msg/evt-1")).await;
    assert_eq!(by_event["id"], id.as_str());
    let (_, bare) = app
        .get(&format!("/api/v1/app/{app_id}/msg/{id}?with_content=false"))
        .await;
    assert_eq!(bare["payload"], json!({}));
    // with_content=false on create too.
    let (_, m2) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg?with_content=false"),
            json!({"eventType": "other", "payload": {"x": 1}}),
        )
        .await;
    assert_eq!(m2["payload"], json!({}));
    // Filters.
    let (_, l) = app
        .get(&format!("/api/v1/app/{app_id}/msg?channel=c1"))
        .await;
    assert_eq!(l["data"].as_array().map(Vec::len), Some(1));
    let (_, l) = app
        .get(&format!(
            "/api/v1/app/{app_id}/msg?event_types=other&event_types=user.signup"
        ))
        .await;
    assert_eq!(l["data"].as_array().map(Vec::len), Some(2));
    let (_, l) = app
        .get(&format!("/api/v1/app/{app_id}/msg?event_types=other"))
        .await;
    assert_eq!(l["data"].as_array().map(Vec::len), Some(1));
    let (_, l) = app
        .get(&format!(
            "/api/v1/app/{app_id}/msg?before=2000-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(l["data"].as_array().map(Vec::len), Some(0));
    // Newest first by default.
    let (_, l) = app.get(&format!("/api/v1/app/{app_id}/msg")).await;
    assert_eq!(l["data"][0]["id"], m2["id"]);

    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/app/{app_id}/msg/{id}/content"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, gone) = app.get(&format!("/api/v1/app/{app_id}/msg/{id}")).await;
    assert_eq!(gone["payload"], json!({}));
    app.stop().await;
}

#[tokio::test]
async fn message_with_application_creates_it() {
    let app = spawn_app().await;
    let (s, v) = app
        .post(
            "/api/v1/app/customer-42/msg",
            json!({"eventType": "x", "payload": {}, "application": {"name": "Customer 42"}}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let (s, a) = app.get("/api/v1/app/customer-42").await;
    assert_eq!(
        (s, a["name"].as_str()),
        (StatusCode::OK, Some("Customer 42"))
    );
    let (s, _) = app
        .post(
            "/api/v1/app/customer-43/msg",
            json!({"eventType": "x", "payload": {}}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "without `application`, an unknown app is 404"
    );
    app.stop().await;
}
