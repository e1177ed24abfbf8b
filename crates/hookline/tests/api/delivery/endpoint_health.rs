//! What happens to an endpoint that keeps failing: its circuit breaker opens, probes and
//! closes; failing too long disables it; operational webhooks report both.

use super::*;

#[tokio::test]
async fn the_circuit_breaker_opens_probes_and_closes() {
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(100); 8];
    c.breaker_threshold = 3;
    c.breaker_open = Duration::from_secs(1);
    let app = spawn_with(c).await;
    let rx = Receiver::start(&[500, 500, 500, 500]).await;
    let app_id = app.create_app("a", None).await;
    endpoint(&app, &app_id, json!({"url": rx.url})).await;
    let msg_id = send(&app, &app_id, json!({})).await;
    wait_status(&app, &app_id, &msg_id, "success").await;
    let got = rx.received();
    assert_eq!(got.len(), 5, "three failures, a failed probe, a good probe");
    let gap = |a: usize, b: usize| got[b].at.duration_since(got[a].at);
    assert!(
        gap(1, 2) < Duration::from_millis(900),
        "retries before the breaker opens follow the schedule"
    );
    assert!(
        gap(2, 3) >= Duration::from_millis(950),
        "open for 1 s after the third failure: {:?}",
        gap(2, 3)
    );
    assert!(
        gap(3, 4) >= Duration::from_millis(1_900),
        "open twice as long after a failed probe: {:?}",
        gap(3, 4)
    );
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.lines().any(|l| l == "hookline_circuits_open 0"),
        "closed again:\n{text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_too_long_is_disabled() {
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(200); 10];
    c.breaker_threshold = 100;
    c.disable_after = Duration::from_millis(500);
    let app = spawn_with(c).await;
    let rx = Receiver::start(&[500; 20]).await;
    let app_id = app.create_app("a", None).await;
    let (ep_id, _) = endpoint(&app, &app_id, json!({"url": rx.url})).await;
    send(&app, &app_id, json!({})).await;
    for _ in 0..100 {
        let (_, ep) = app
            .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}"))
            .await;
        if ep["disabled"] == true {
            let n = rx.received().len();
            assert!(
                (2..=6).contains(&n),
                "disabled after about 0.5 s of failures, {n} attempts"
            );
            app.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the endpoint was never disabled");
}

#[tokio::test]
async fn operational_webhooks_report_endpoints_and_failing_deliveries() {
    let ops = Receiver::start(&[]).await;
    let ops_secret = "whsec_b3BlcmF0aW9uYWwtd2ViaG9vay1zZWNyZXQ=";
    let mut c = config(&fresh_dir());
    c.role = hookline::config::Role::All;
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = vec![Duration::from_millis(100); 6];
    c.breaker_threshold = 100;
    c.operational_webhook_url = Some(ops.url.clone());
    c.operational_webhook_secret = hookline::config::Secret::new(Some(ops_secret.into()));
    let app = spawn_with(c).await;
    let app_id = app.create_app("a", Some("customer-a")).await;

    let flaky = Receiver::start(&[500, 500, 500, 500]).await;
    let (flaky_id, _) = endpoint(
        &app,
        &app_id,
        json!({"url": flaky.url, "channels": ["flaky"]}),
    )
    .await;
    let gone = Receiver::start(&[410]).await;
    let (gone_id, _) = endpoint(
        &app,
        &app_id,
        json!({"url": gone.url, "channels": ["gone"]}),
    )
    .await;
    app.post(
        &format!("/api/v1/app/{app_id}/msg"),
        json!({"eventType": "e", "payload": {}, "channels": ["flaky"]}),
    )
    .await;
    app.post(
        &format!("/api/v1/app/{app_id}/msg"),
        json!({"eventType": "e", "payload": {}, "channels": ["gone"]}),
    )
    .await;

    let events = |n: usize| {
        let ops = &ops;
        async move {
            ops.wait_for(n).await;
            ops.received()
        }
    };
    // created ×2, failing, recovered, exhausted (410), disabled.
    let mut got = Vec::new();
    for _ in 0..100 {
        got = events(1).await;
        if got.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut kinds: Vec<(String, Value)> = Vec::new();
    for r in &got {
        verify("svix", &[ops_secret], r)
            .expect("operational webhooks are signed with the configured secret");
        let v: Value = serde_json::from_slice(&r.body).expect("json");
        kinds.push((
            v["type"].as_str().expect("type").to_owned(),
            v["data"].clone(),
        ));
    }
    let find = |t: &str| {
        kinds
            .iter()
            .find(|(k, _)| k == t)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no {t} in {kinds:?}"))
    };
    assert_eq!(
        kinds
            .iter()
            .filter(|(k, _)| k == "endpoint.created")
            .count(),
        2
    );
    assert_eq!(find("endpoint.created")["appUid"], "customer-a");
    assert_eq!(
        find("message.attempt.failing")["endpointId"],
        flaky_id.as_str()
    );
    assert_eq!(
        find("message.attempt.failing")["lastAttempt"]["responseStatusCode"],
        500
    );
    assert_eq!(
        find("message.attempt.recovered")["lastAttempt"]["responseStatusCode"],
        200
    );
    assert_eq!(
        find("message.attempt.exhausted")["endpointId"],
        gone_id.as_str()
    );
    assert_eq!(find("endpoint.disabled")["endpointId"], gone_id.as_str());
    assert!(find("endpoint.disabled")["failSince"].as_str().is_some());
    app.stop().await;
}
