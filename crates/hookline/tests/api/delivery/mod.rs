//! The delivery engine end to end: real receivers on loopback that verify every signature.

use std::time::Duration;

use hookline_sig::{Request, UnixTime, presets};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, config, fresh_dir, spawn_with};
use crate::receiver::Receiver;

/// A server that may deliver to loopback, with fast retries.
async fn app_with_retries(schedule: &[f64]) -> TestApp {
    let mut c = config(&fresh_dir());
    c.ssrf_allow = vec!["127.0.0.0/8".parse().expect("subnet")];
    c.retry_schedule = schedule
        .iter()
        .map(|s| Duration::from_secs_f64(*s))
        .collect();
    c.delivery_timeout = Duration::from_secs(5);
    c.role = hookline::config::Role::All;
    spawn_with(c).await
}

/// Creates an endpoint (asserting 201); its id and its signing secret.
pub(crate) async fn endpoint(app: &TestApp, app_id: &str, body: Value) -> (String, String) {
    let (s, ep) = app
        .post(&format!("/api/v1/app/{app_id}/endpoint"), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ep}");
    let id = ep["id"].as_str().expect("id").to_owned();
    let secret = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{id}/secret"))
        .await
        .1["key"]
        .as_str()
        .expect("key")
        .to_owned();
    (id, secret)
}

async fn send(app: &TestApp, app_id: &str, payload: Value) -> String {
    let (s, m) = app
        .post(
            &format!("/api/v1/app/{app_id}/msg"),
            json!({"eventType": "invoice.paid", "payload": payload}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    m["id"].as_str().expect("id").to_owned()
}

/// Polls until the message's delivery to the endpoint has `status_text`.
async fn wait_status(app: &TestApp, app_id: &str, msg_id: &str, status_text: &str) -> Value {
    for _ in 0..200 {
        let (_, d) = app
            .get(&format!("/api/v1/app/{app_id}/msg/{msg_id}/endpoint"))
            .await;
        if d["data"][0]["statusText"] == status_text {
            return d["data"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery of {msg_id} never became {status_text}");
}

fn verify(
    scheme: &str,
    keys: &[&str],
    r: &crate::receiver::Received,
) -> Result<hookline_sig::Verified, hookline_sig::VerifyError> {
    let v = presets::by_name(scheme)
        .expect("preset")
        .verifier(keys)
        .expect("keys");
    v.verify(
        &Request::new(&r.headers, &r.body),
        UnixTime::from(std::time::SystemTime::now()),
    )
}

#[tokio::test]
async fn delivers_signed_payloads_that_both_verifiers_accept() {
    let app = app_with_retries(&[0.2]).await;
    let rx = Receiver::start(&[]).await;
    let app_id = app.create_app("a", None).await;
    let (ep_id, secret) = endpoint(
        &app,
        &app_id,
        json!({"url": rx.url, "headers": {"X-Team": "blue"}}),
    )
    .await;
    let payload = json!({"invoiceId": "in_1", "amount": 4200, "note": "héllo"});
    let msg_id = send(&app, &app_id, payload.clone()).await;
    let got = rx.wait_for(1).await;
    let r = &got[0];
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).expect("json"),
        payload
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-team"), Some("blue"));
    assert_eq!(r.header("svix-id"), Some(msg_id.as_str()));
    let ok = verify("svix", &[&secret], r).expect("hookline-sig verifies");
    assert_eq!(ok.id.as_deref(), Some(msg_id.as_str()));
    // The official svix crate's verifier agrees.
    let mut map = http::HeaderMap::new();
    for (k, v) in &r.headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            http::HeaderValue::from_str(v).expect("value"),
        );
    }
    svix::webhooks::Webhook::new(&secret)
        .expect("secret")
        .verify(&r.body, &map)
        .expect("the svix crate verifies");

    let d = wait_status(&app, &app_id, &msg_id, "success").await;
    assert_eq!(d["id"], ep_id.as_str());
    let (_, attempts) = app
        .get(&format!("/api/v1/app/{app_id}/attempt/msg/{msg_id}"))
        .await;
    let a = &attempts["data"][0];
    assert_eq!(
        (
            a["responseStatusCode"].as_i64(),
            a["status"].as_i64(),
            a["triggerType"].as_i64()
        ),
        (Some(200), Some(0), Some(0))
    );
    assert_eq!(a["response"], "ok from receiver");
    assert_eq!(a["url"], rx.url.as_str());
    let (_, stats) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}/stats"))
        .await;
    assert_eq!(stats["success"], 1);
    let text = app.metrics_text().await;
    for line in [
        "hookline_messages_accepted_total 1",
        "hookline_attempts_total{outcome=\"success\",status_class=\"2xx\"} 1",
        "hookline_delivery_latency_seconds_count 1",
        "hookline_queue_depth{state=\"due\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
    }
    app.stop().await;
}

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
async fn rotation_signs_with_both_secrets_and_other_schemes_work() {
    let app = app_with_retries(&[0.2]).await;
    let rx = Receiver::start(&[]).await;
    let app_id = app.create_app("a", None).await;
    let (ep_id, old) = endpoint(&app, &app_id, json!({"url": rx.url})).await;
    let (_, rotated) = app
        .post(
            &format!("/api/v1/app/{app_id}/endpoint/{ep_id}/secret/rotate"),
            json!({"gracePeriodSeconds": 3600}),
        )
        .await;
    let new = rotated["key"].as_str().expect("key").to_owned();
    send(&app, &app_id, json!({"after": "rotation"})).await;
    let r = rx.wait_for(1).await.remove(0);
    assert_eq!(
        r.header("svix-signature").expect("sig").split(' ').count(),
        2,
        "two signatures during the grace period"
    );
    assert!(
        verify("svix", &[&new], &r).is_ok(),
        "the new secret verifies"
    );
    assert!(
        verify("svix", &[&old], &r).is_ok(),
        "the old secret still verifies"
    );

    // An endpoint signed Stripe-style.
    let stripe_rx = Receiver::start(&[]).await;
    let (_, stripe_secret) = endpoint(
        &app,
        &app_id,
        json!({"url": stripe_rx.url, "signatureScheme": "stripe"}),
    )
    .await;
    send(&app, &app_id, json!({"stripe": true})).await;
    let r = stripe_rx.wait_for(1).await.remove(0);
    assert!(
        r.header("stripe-signature")
            .is_some_and(|v| v.starts_with("t="))
    );
    verify("stripe", &[&stripe_secret], &r).expect("stripe-style signature verifies");
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
