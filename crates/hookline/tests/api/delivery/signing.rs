//! Signatures as receivers see them: every delivery verifies with both verifiers, with
//! either secret during a rotation, and under the other schemes.

use super::*;

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
