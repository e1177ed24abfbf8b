//! Attempts and their outcomes: retries with the same id, giving up after the schedule,
//! the per-endpoint timeout, throttling, the SSRF guard's refusal, and delivering again
//! (resend, recover, a delete while queued).

use super::*;

#[tokio::test]
async fn retries_with_the_same_id_until_success() {
    let app = app_with_retries(&[0.2, 0.2, 0.2]).await;
    let rx = Receiver::start(&[500, 503]).await;
    let app_id = app.create_app("a", None).await;
    let (_, secret) = endpoint(&app, &app_id, json!({"url": rx.url})).await;
    let msg_id = send(&app, &app_id, json!({"n": 1})).await;
    let got = rx.wait_for(3).await;
    assert!(
        got.iter()
            .all(|r| r.header("svix-id") == Some(msg_id.as_str())),
        "the id is the same on every retry"
    );
    assert!(
        got.iter().all(|r| verify("svix", &[&secret], r).is_ok()),
        "each retry is signed afresh"
    );
    wait_status(&app, &app_id, &msg_id, "success").await;
    let (_, attempts) = app
        .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
        .await;
    let codes: Vec<i64> = attempts["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|a| a["responseStatusCode"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, [200, 503, 500], "newest first");
    assert_eq!(attempts["data"][2]["failureReason"], "status 500");
    app.stop().await;
}

#[tokio::test]
async fn gives_up_after_the_schedule_and_410_disables_the_endpoint() {
    let app = app_with_retries(&[0.1]).await;
    let rx = Receiver::start(&[500, 500, 500, 500]).await;
    let gone = Receiver::start(&[410]).await;
    let app_id = app.create_app("a", None).await;
    endpoint(
        &app,
        &app_id,
        json!({"url": rx.url, "eventTypes": ["invoice.paid"]}),
    )
    .await;
    let (gone_id, _) = endpoint(&app, &app_id, json!({"url": gone.url, "channels": ["g"]})).await;
    let msg_id = send(&app, &app_id, json!({})).await;
    wait_status(&app, &app_id, &msg_id, "fail").await;
    assert_eq!(rx.received().len(), 2, "one attempt and one retry");

    let (_, m) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "other", "payload": {}, "channels": ["g"]}),
        )
        .await;
    let gone_msg = m["id"].as_str().expect("id").to_owned();
    wait_status(&app, &app_id, &gone_msg, "fail").await;
    // The attempt is recorded, then the endpoint disabled in a write of its own: under load
    // the second can land a moment after the status shows.
    let mut ep = Value::Null;
    for _ in 0..100 {
        ep = app
            .get(&format!("/api/v1/app/{app_id}/endpoint/{gone_id}"))
            .await
            .1;
        if ep["disabled"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ep["disabled"], true, "410 Gone disables the endpoint");
    assert_eq!(gone.received().len(), 1, "no retry after 410");
    app.stop().await;
}

#[tokio::test]
async fn a_per_endpoint_timeout_ends_an_attempt_with_a_reason() {
    let app = app_with_retries(&[30.0]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hole = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let app_id = app.create_app("a", None).await;
    let (_, ep) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": hole, "timeoutSeconds": 1}),
        )
        .await;
    assert_eq!(ep["timeoutSeconds"], 1);
    let (s, _) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint"),
            json!({"url": hole, "timeoutSeconds": 500}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let msg_id = send(&app, &app_id, json!({})).await;
    let started = std::time::Instant::now();
    for _ in 0..100 {
        let (_, a) = app
            .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
            .await;
        if let Some(first) = a["data"].as_array().and_then(|d| d.first()) {
            assert_eq!(first["failureReason"], "timeout");
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "the endpoint's 1 s timeout applied, not the default"
            );
            app.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no attempt recorded");
}

#[tokio::test]
async fn throttle_rate_spaces_deliveries() {
    let app = app_with_retries(&[0.2]).await;
    let rx = Receiver::start(&[]).await;
    let app_id = app.create_app("a", None).await;
    endpoint(&app, &app_id, json!({"url": rx.url, "throttleRate": 5})).await;
    for i in 0..11 {
        send(&app, &app_id, json!({"i": i})).await;
    }
    let got = rx.wait_for(11).await;
    let span = got[10].at.duration_since(got[0].at);
    assert!(
        span >= Duration::from_millis(1_800),
        "11 deliveries at 5/s took only {span:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn loopback_is_refused_without_the_allow_list() {
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    let app = spawn_with(c).await;
    let rx = Receiver::start(&[]).await;
    let app_id = app.create_app("a", None).await;
    endpoint(&app, &app_id, json!({"url": rx.url})).await;
    let msg_id = send(&app, &app_id, json!({})).await;
    wait_status(&app, &app_id, &msg_id, "fail").await;
    let (_, attempts) = app
        .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
        .await;
    let reason = attempts["data"][0]["failureReason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("SSRF") && reason.contains("loopback"),
        "{reason}"
    );
    assert_eq!(attempts["data"][0]["responseStatusCode"], 0);
    assert!(rx.received().is_empty(), "nothing reached the receiver");
    // A host name that resolves to loopback is refused the same way.
    endpoint(
        &app,
        &app_id,
        json!({"url": rx.url.replace("127.0.0.1", "localhost")}),
    )
    .await;
    let msg_id = send(&app, &app_id, json!({})).await;
    for _ in 0..100 {
        let (_, a) = app
            .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
            .await;
        if a["data"].as_array().is_some_and(|d| d.len() == 2) {
            assert!(
                a["data"]
                    .as_array()
                    .expect("data")
                    .iter()
                    .all(|x| x["failureReason"]
                        .as_str()
                        .is_some_and(|r| r.contains("SSRF"))),
                "{a}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rx.received().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn resend_and_recover_deliver_again() {
    let app = app_with_retries(&[0.1]).await;
    let rx = Receiver::start(&[500, 500]).await;
    let app_id = app.create_app("a", None).await;
    let (ep_id, _) = endpoint(&app, &app_id, json!({"url": rx.url})).await;
    let msg_id = send(&app, &app_id, json!({})).await;
    wait_status(&app, &app_id, &msg_id, "fail").await;
    // Recover: failed deliveries since a time go out again (the receiver now answers 200).
    let (s, _) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{ep_id}/recover"),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    wait_status(&app, &app_id, &msg_id, "success").await;
    assert_eq!(rx.received().len(), 3);
    // Resend: once more, as a manual attempt.
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{ep_id}/resend"
        )))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    rx.wait_for(4).await;
    for _ in 0..100 {
        let (_, a) = app
            .get(&format!("/api/v1/app/{app_id}/attempt/endpoint/{ep_id}"))
            .await;
        if a["data"].as_array().is_some_and(|d| d.len() == 4) {
            assert_eq!(a["data"][0]["triggerType"], 1, "the resend is manual");
            app.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the resend attempt was not recorded");
}

#[tokio::test]
async fn a_delete_while_queued_is_not_an_error() {
    let app = app_with_retries(&[0.2]).await;
    let app_id = app.create_app("a", None).await;
    let (ep_id, _) = endpoint(
        &app,
        &app_id,
        json!({"url": "http://127.0.0.1:9/nothing-listens"}),
    )
    .await;
    send(&app, &app_id, json!({})).await;
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/app/{app_id}/endpoint/{ep_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.stop().await;
}
