//! Admin tokens beyond the first: created with a name, listed without their text, revoked
//! with effect on the next request, kept across restarts; managed by admin tokens only.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{config, spawn_app, spawn_with};

#[tokio::test]
async fn a_named_token_works_until_revoked_and_survives_restarts() {
    let app = spawn_app().await;
    let (s, v) = app
        .post("/api/v1/token", json!({"name": "ci", "expiresIn": 3600}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().expect("token").to_owned();
    let id = v["id"].as_str().expect("id").to_owned();
    assert!(token.starts_with("hk_") && id.starts_with("tok_"), "{v}");
    assert_eq!(v["name"], "ci");
    assert!(v["expiresAt"].as_str().is_some(), "{v}");

    // It is an admin token: it can list applications and manage tokens.
    let (s, _) = app.call_as(&token, Method::GET, "/api/v1/app", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, list) = app
        .call_as(&token, Method::GET, "/api/v1/token", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let listed = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|t| t["id"] == id.as_str())
        .expect("the new token is listed")
        .clone();
    assert_eq!(listed["name"], "ci");
    assert!(
        listed.get("token").is_none() && !list.to_string().contains(&token[3..]),
        "a listing never shows a token's text: {list}"
    );

    // Kept across a restart, although the test server sets HOOKLINE_ADMIN_TOKEN (which
    // revokes the unnamed admin tokens at start).
    let dir = app.data_dir.clone();
    app.stop().await;
    let app = spawn_with(config(&dir)).await;
    let (s, _) = app.call_as(&token, Method::GET, "/api/v1/app", None).await;
    assert_eq!(s, StatusCode::OK, "a named token survives a restart");

    // Used once (so it is cached), then revoked: refused on the very next request.
    let (s, v) = app
        .call(Method::DELETE, &format!("/api/v1/token/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.call_as(&token, Method::GET, "/api/v1/app", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["code"], "authentication_failed", "{v}");
    let (s, v) = app
        .call(Method::DELETE, &format!("/api/v1/token/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn bad_token_requests_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"name": "tab\there"}), "name"),
        (json!({"name": "ci", "expiresIn": 0}), "expiresIn"),
        (json!({"name": "ci", "expiresIn": 315_360_001}), "expiresIn"),
        (json!({"expiresIn": 10}), "name"),
    ] {
        let (s, v) = app.post("/api/v1/token", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(
            v["detail"].to_string().contains(field),
            "{body}: the error names `{field}`: {v}"
        );
    }
    // An app-portal token cannot see or make admin tokens.
    let app_id = app.create_app("tenant", None).await;
    let (_, v) = app
        .post(
            &format!("/api/v1/auth/app-portal-access/{app_id}"),
            json!({}),
        )
        .await;
    let portal = v["token"].as_str().expect("token").to_owned();
    let (s, _) = app
        .call_as(&portal, Method::GET, "/api/v1/token", None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call_as(
            &portal,
            Method::POST,
            "/api/v1/token",
            Some(json!({"name": "escalate"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // App-portal tokens are not admin tokens: not listed, not revocable here.
    let (_, list) = app.get("/api/v1/token").await;
    assert!(
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|t| t["name"] != "tenant"),
        "{list}"
    );
    let (s, _) = app
        .call(Method::DELETE, "/api/v1/token/tok_unknown", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// On several nodes, a revocation on one reaches the others' token caches by
/// `LISTEN/NOTIFY`, well within the one-second lifetime of a cached token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_node_is_refused_by_another_at_once() {
    let mut first = config(&crate::common::fresh_dir());
    let Some(url) = first.database_url.expose().map(str::to_owned) else {
        println!(
            "cross-node revocation test: SQLite run, nothing to do (set HOOKLINE_TEST_POSTGRES)"
        );
        return;
    };
    let key = hookline::config::Secret::new(Some("5d".repeat(32)));
    first.encryption_key = key.clone();
    let mut second = config(&crate::common::fresh_dir());
    second.database_url = hookline::config::Secret::new(Some(url));
    second.encryption_key = key;
    let a = spawn_with(first).await;
    let b = spawn_with(second).await;
    let (s, v) = a.post("/api/v1/token", json!({"name": "roaming"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().expect("token").to_owned();
    let id = v["id"].as_str().expect("id").to_owned();
    // Node b has it cached, freshly: by its lifetime alone it would serve for a second.
    let (s, _) = b.call_as(&token, Method::GET, "/api/v1/app", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = a
        .call(Method::DELETE, &format!("/api/v1/token/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let revoked = std::time::Instant::now();
    loop {
        let (s, _) = b.call_as(&token, Method::GET, "/api/v1/app", None).await;
        if s == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(s, StatusCode::OK);
        assert!(
            revoked.elapsed() < std::time::Duration::from_millis(700),
            "node b still takes the revoked token after {:?}",
            revoked.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    println!(
        "cross-node revocation test: refused by the other node after {:?}",
        revoked.elapsed()
    );
    b.stop().await;
    a.stop().await;
}
