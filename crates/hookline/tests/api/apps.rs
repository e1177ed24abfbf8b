use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::spawn_app;

#[tokio::test]
async fn application_crud_and_uid_lookup() {
    let app = spawn_app().await;
    let (s, v) = app
        .post(
            "/api/v1/app",
            json!({"name": "Acme", "uid": "acme", "metadata": {"plan": "pro"}, "throttleRate": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("app_"));
    assert_eq!(v["metadata"]["plan"], "pro");
    assert!(v["createdAt"].as_str().expect("date").ends_with('Z'));

    for key in [&id, "acme"] {
        let (s, v) = app.get(&format!("/api/v1/app/{key}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["id"], id.as_str());
    }
    // Duplicate uid: 409. get_if_exists: the existing one, 200.
    let (s, v) = app
        .post("/api/v1/app", json!({"name": "Again", "uid": "acme"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "conflict");
    let (s, v) = app
        .post(
            "/api/v1/app?get_if_exists=true",
            json!({"name": "Again", "uid": "acme"}),
        )
        .await;
    assert_eq!((s, v["id"].as_str()), (StatusCode::OK, Some(id.as_str())));

    // PATCH keeps what it does not name, clears what is null.
    let (s, v) = app
        .call(
            Method::PATCH,
            "/api/v1/app/acme",
            Some(json!({"name": "Acme Inc", "throttleRate": null})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["uid"].as_str(), &v["throttleRate"]),
        (Some("Acme Inc"), Some("acme"), &json!(null))
    );
    // PUT replaces; on an unknown id it creates, with the path as uid.
    let (s, v) = app
        .call(
            Method::PUT,
            &format!("/api/v1/app/{id}"),
            Some(json!({"name": "Replaced"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["uid"], json!(null));
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/app/new-one",
            Some(json!({"name": "New"})),
        )
        .await;
    assert_eq!(
        (s, v["uid"].as_str()),
        (StatusCode::CREATED, Some("new-one"))
    );

    let (s, _) = app
        .call(Method::DELETE, &format!("/api/v1/app/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/api/v1/app/{id}")).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    app.stop().await;
}

#[tokio::test]
async fn paging_through_many_returns_each_exactly_once() {
    let app = spawn_app().await;
    let app_id = app.create_app("pager", None).await;
    let total = 10_000;
    // Accept quickly: many messages at once through the API.
    let mut tasks = tokio::task::JoinSet::new();
    let client = app.client.clone();
    for chunk in 0..8 {
        let (client, url, token) = (
            client.clone(),
            app.url(&format!("/api/v1/app/{app_id}/msg")),
            app.token.clone(),
        );
        tasks.spawn(async move {
            for i in (chunk..total).step_by(8) {
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"eventType": "t", "payload": {"i": i}}))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status(), StatusCode::ACCEPTED);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    let mut seen = std::collections::HashSet::new();
    let mut iterator: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = iterator
            .as_ref()
            .map(|i| format!("&iterator={i}"))
            .unwrap_or_default();
        let (s, v) = app
            .get(&format!(
                "/api/v1/app/{app_id}/msg?limit=250&with_content=false{q}"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for m in v["data"].as_array().expect("data") {
            assert!(
                seen.insert(m["id"].as_str().expect("id").to_owned()),
                "duplicate {m}"
            );
        }
        pages += 1;
        if v["done"].as_bool().expect("done") {
            break;
        }
        iterator = v["iterator"].as_str().map(str::to_owned);
        assert!(pages < 100, "runaway paging");
    }
    assert_eq!(seen.len(), total);
    app.stop().await;
}

#[tokio::test]
async fn pages_go_backwards_with_prev_iterator() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(app.create_app(&format!("a{i}"), None).await);
    }
    let (_, p1) = app.get("/api/v1/app?limit=3").await;
    let (_, p2) = app
        .get(&format!(
            "/api/v1/app?limit=3&iterator={}",
            p1["iterator"].as_str().expect("it")
        ))
        .await;
    let (_, back) = app
        .get(&format!(
            "/api/v1/app?limit=3&iterator={}",
            p2["prevIterator"].as_str().expect("prev")
        ))
        .await;
    let names = |v: &serde_json::Value| {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|a| a["id"].as_str().expect("id").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&p1), ids[0..3]);
    assert_eq!(names(&p2), ids[3..6]);
    assert_eq!(names(&back), ids[0..3]);
    let (_, desc) = app.get("/api/v1/app?limit=2&order=descending").await;
    assert_eq!(names(&desc), [ids[6].clone(), ids[5].clone()]);
    app.stop().await;
}

#[tokio::test]
async fn event_types_crud_and_archive() {
    let app = spawn_app().await;
    let (s, v) = app.post("/api/v1/event-type", json!({"name": "user.signup", "description": "A user signed up", "schemas": {"1": {"type": "object", "examples": [{"user": "u1"}]}}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = app
        .post(
            "/api/v1/event-type",
            json!({"name": "user.signup", "description": "dup"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, v) = app
        .call(
            Method::PATCH,
            "/api/v1/event-type/user.signup",
            Some(json!({"deprecated": true})),
        )
        .await;
    assert_eq!((s, &v["deprecated"]), (StatusCode::OK, &json!(true)));
    let (_, list) = app.get("/api/v1/event-type").await;
    assert_eq!(list["data"].as_array().expect("data").len(), 1);
    assert_eq!(
        list["data"][0]["schemas"],
        json!(null),
        "schemas only with_content"
    );
    let (_, list) = app.get("/api/v1/event-type?with_content=true").await;
    assert!(list["data"][0]["schemas"].is_object());
    let (s, _) = app
        .call(Method::DELETE, "/api/v1/event-type/user.signup", None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/api/v1/event-type").await;
    assert!(
        list["data"].as_array().expect("data").is_empty(),
        "archived types are hidden"
    );
    let (_, list) = app.get("/api/v1/event-type?include_archived=true").await;
    assert_eq!(list["data"][0]["archived"], json!(true));
    // Creating it again brings it back (Svix's behaviour), rather than a 409.
    let (s, v) = app
        .post(
            "/api/v1/event-type",
            json!({"name": "user.signup", "description": "back"}),
        )
        .await;
    assert_eq!(
        (s, &v["archived"], v["description"].as_str()),
        (StatusCode::CREATED, &json!(false), Some("back"))
    );
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/event-type/invoice.paid",
            Some(json!({"description": "Paid"})),
        )
        .await;
    assert_eq!(
        (s, v["name"].as_str()),
        (StatusCode::CREATED, Some("invoice.paid"))
    );
    app.stop().await;
}

#[tokio::test]
async fn app_portal_tokens_see_only_their_application() {
    let app = spawn_app().await;
    let mine = app.create_app("mine", Some("mine")).await;
    let theirs = app.create_app("theirs", None).await;
    let (s, v) = app
        .post(&format!("/api/v1/auth/app-portal-access/{mine}"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().expect("token").to_owned();
    // The link carries a one-time code of its own (tests/api/dashboard.rs), not the API token.
    let url = v["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/app-portal#key=", app.base)),
        "{url}"
    );
    assert!(!url.contains(&token), "{url}");

    let (s, _) = app
        .call_as(&token, Method::GET, "/api/v1/app/mine", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .call_as(&token, Method::GET, &format!("/api/v1/app/{theirs}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another app is invisible: {v}");
    let (s, _) = app
        .call_as(
            &token,
            Method::GET,
            &format!("/api/v1/app/{theirs}/endpoint"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .call_as(
            &token,
            Method::POST,
            &format!("/api/v1/app/{mine}/endpoint"),
            Some(json!({"url": "https://example.com/h"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Admin-only operations: 403.
    let (s, v) = app.call_as(&token, Method::GET, "/api/v1/app", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, _) = app
        .call_as(
            &token,
            Method::POST,
            "/api/v1/event-type",
            Some(json!({"name": "x", "description": "y"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call_as(
            &token,
            Method::POST,
            &format!("/api/v1/auth/app-portal-access/{theirs}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The application itself is read-only to its portal token.
    let (s, _) = app
        .call_as(
            &token,
            Method::PATCH,
            "/api/v1/app/mine",
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Nothing of another application's is reachable, through any path.
    let (_, m) = app
        .post(
            &format!("/api/v1/app/{theirs}/msg"),
            json!({"eventType": "x", "payload": {}}),
        )
        .await;
    let their_msg = m["id"].as_str().expect("id").to_owned();
    for path in [
        format!("/api/v1/app/{theirs}/msg/{their_msg}"),
        format!("/api/v1/app/{mine}/msg/{their_msg}"),
        format!("/api/v1/app/{theirs}/attempt/msg/{their_msg}"),
        format!("/api/v1/app/{theirs}/msg/{their_msg}/endpoint"),
    ] {
        let (s, _) = app.call_as(&token, Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    // Reading event types is allowed.
    let (s, _) = app
        .call_as(&token, Method::GET, "/api/v1/event-type", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}
