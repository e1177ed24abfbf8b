//! `idempotency-key`: bound to the request that first used it, refusals not kept, the
//! `Bearer` scheme in any case, the token checked before the header, one run at a time.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{ADMIN_TOKEN, TestApp, config, fresh_dir, spawn_app, spawn_with};

/// A raw request: `authorization` as given (or none), an optional key, a JSON body.
async fn send(
    app: &TestApp,
    path: &str,
    authorization: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = app.client.request(Method::POST, app.url(path)).json(body);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let json =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, headers, json)
}

fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

async fn message_count(app: &TestApp, app_id: &str) -> usize {
    let (s, l) = app
        .get(&format!("/api/v1/app/{app_id}/msg?limit=250"))
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    l["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused_and_the_first_is_replayed() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let path = format!("/api/v1/app/{app_id}/msg");
    let first_body = json!({"eventType": "x", "payload": {"n": 1}});
    let auth = bearer();
    let (s, h, first) = send(&app, &path, Some(&auth), Some("k1"), &first_body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{first}");
    assert!(h.get("idempotent-replayed").is_none());

    // Another body with the key: refused, saying why, and nothing is pretended done.
    let (s, _, v) = send(
        &app,
        &path,
        Some(&auth),
        Some("k1"),
        &json!({"eventType": "x", "payload": {"n": 2}}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["detail"][0]["loc"], json!(["header", "idempotency-key"]));
    assert!(
        v["detail"][0]["msg"]
            .as_str()
            .is_some_and(|m| m.contains("different request")),
        "{v}"
    );
    // Another query string with the same body is another request too.
    let (s, _, v) = send(
        &app,
        &format!("{path}?with_content=false"),
        Some(&auth),
        Some("k1"),
        &first_body,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // The same request again: the first response, marked as a replay.
    let (s, h, again) = send(&app, &path, Some(&auth), Some("k1"), &first_body).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(again, first);
    assert_eq!(
        h.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    // The refused request, sent with a key of its own, is stored.
    let (s, _, other) = send(
        &app,
        &path,
        Some(&auth),
        Some("k2"),
        &json!({"eventType": "x", "payload": {"n": 2}}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_ne!(other["id"], first["id"]);
    assert_eq!(message_count(&app, &app_id).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn refusals_are_not_kept_so_a_corrected_retry_runs() {
    let app = spawn_app().await;
    let auth = bearer();
    // 422, then the corrected request with the same key: it runs.
    let (s, _, v) = send(
        &app,
        "/api/v1/app",
        Some(&auth),
        Some("create-acme"),
        &json!({"name": "Acme", "uid": "not valid"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, h, created) = send(
        &app,
        "/api/v1/app",
        Some(&auth),
        Some("create-acme"),
        &json!({"name": "Acme", "uid": "acme"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert!(h.get("idempotent-replayed").is_none());

    // 404 (no such application yet), then the same request once it exists: it runs.
    let path = "/api/v1/app/later/msg";
    let body = json!({"eventType": "x", "payload": {}});
    let (s, _, v) = send(&app, path, Some(&auth), Some("m1"), &body).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    app.create_app("later", Some("later")).await;
    let (s, h, v) = send(&app, path, Some(&auth), Some("m1"), &body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_eq!(message_count(&app, "later").await, 1);

    // 409 (the uid is taken) is not kept either: once it is free, the retry runs.
    let dup = json!({"name": "Other", "uid": "acme"});
    let (s, _, v) = send(&app, "/api/v1/app", Some(&auth), Some("dup"), &dup).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = app.call(Method::DELETE, "/api/v1/app/acme", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, v) = send(&app, "/api/v1/app", Some(&auth), Some("dup"), &dup).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.stop().await;
}

#[tokio::test]
async fn the_bearer_scheme_is_read_in_any_case_and_keeps_idempotency() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let path = format!("/api/v1/app/{app_id}/msg");
    let body = json!({"eventType": "x", "payload": {}});
    let mut ids = Vec::new();
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let auth = format!("{scheme} {ADMIN_TOKEN}");
        let (s, _, v) = send(&app, &path, Some(&auth), Some("same-key"), &body).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{scheme}: {v}");
        ids.push(v["id"].clone());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        message_count(&app, &app_id).await,
        1,
        "one message, not four"
    );
    // Every reader of the header takes it: `/metrics` too.
    let r = app
        .client
        .get(app.url("/metrics"))
        .header("authorization", format!("bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn the_token_is_checked_before_the_key() {
    let app = spawn_app().await;
    let body = json!({"name": "x"});
    let long = "k".repeat(300);
    for auth in [None, Some("Bearer hk_nobody"), Some("Basic abc")] {
        let (s, _, v) = send(&app, "/api/v1/app", auth, Some(&long), &body).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{auth:?}: {v}");
        assert_eq!(v["code"], "authentication_failed");
    }
    // With a valid token the key is judged.
    let (s, _, v) = send(&app, "/api/v1/app", Some(&bearer()), Some(&long), &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["detail"][0]["loc"], json!(["header", "idempotency-key"]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_act_once() {
    let app = spawn_app().await;
    let app_id = app.create_app("a", None).await;
    let url = app.url(&format!("/api/v1/app/{app_id}/msg"));
    // Released together, so that they reach the claim at the same time.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let req = app
            .client
            .post(&url)
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", "once")
            .json(&json!({"eventType": "x", "payload": {"n": 1}}));
        let start = start.clone();
        set.spawn(async move {
            start.wait().await;
            let r = req.send().await.expect("send");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        });
    }
    let mut accepted = Vec::new();
    let mut busy = 0;
    while let Some(r) = set.join_next().await {
        let (status, v) = r.expect("task");
        match status {
            StatusCode::ACCEPTED => accepted.push(v["id"].clone()),
            StatusCode::CONFLICT => busy += 1,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert!(!accepted.is_empty(), "{busy} answered 409, none 202");
    assert!(accepted.iter().all(|id| *id == accepted[0]), "{accepted:?}");
    assert_eq!(message_count(&app, &app_id).await, 1, "stored once");
    app.stop().await;
}

/// A client that hangs up while its request runs leaves no key claimed for nothing: the
/// request runs to its end and keeps its answer, and the retry gets it. PostgreSQL only: a
/// lock on the message table holds the request up after its claim (another table) is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_client_hangs_up_still_finishes_with_its_key() {
    use sqlx::{Connection as _, PgConnection};
    let c = config(&fresh_dir());
    let Some(db) = c.database_url.expose().map(str::to_owned) else {
        println!("hang-up test: SQLite run, nothing to do (set HOOKLINE_TEST_POSTGRES)");
        return;
    };
    let app = spawn_with(c).await;
    let app_id = app.create_app("a", None).await;
    let path = format!("/api/v1/app/{app_id}/msg");
    let body = json!({"eventType": "x", "payload": {}});
    let mut lock = PgConnection::connect(&db).await.expect("connect");
    sqlx::raw_sql("BEGIN; LOCK TABLE message IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .expect("lock");
    let hung = app
        .client
        .post(app.url(&path))
        .bearer_auth(ADMIN_TOKEN)
        .header("idempotency-key", "hang-up")
        .json(&body)
        .timeout(std::time::Duration::from_millis(500))
        .send()
        .await;
    assert!(hung.is_err(), "the lock holds the request up: {hung:?}");
    // The server sees the connection close while the request waits for the lock.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sqlx::raw_sql("COMMIT")
        .execute(&mut lock)
        .await
        .expect("unlock");
    let started = std::time::Instant::now();
    let auth = bearer();
    let (s, h, v) = loop {
        let r = send(&app, &path, Some(&auth), Some("hang-up"), &body).await;
        if r.0 != StatusCode::CONFLICT {
            break r;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the key is still claimed by a request that will never finish: {}",
            r.2
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        h.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true"),
        "the first request finished and kept its answer"
    );
    assert_eq!(message_count(&app, &app_id).await, 1);
    app.stop().await;
}
