//! Valid requests from each provider are forwarded byte for byte, once.

use hookline_sig::{Request, presets};
use reqwest::StatusCode;
use serde_json::json;

use super::cases::CASES;
use super::{destination, gateway_app, now, post_in, signed, source, verify_hookline};
use crate::receiver::Receiver;

#[tokio::test]
async fn every_provider_is_forwarded_byte_for_byte_and_verifies_both_ways() {
    let app = gateway_app().await;
    for case in CASES {
        let rx = Receiver::start(&[]).await;
        let name = format!("{} source", case.scheme);
        let src = source(
            &app,
            json!({"name": name, "uid": format!("{}-in", case.scheme), "scheme": case.scheme, "secrets": [case.secret]}),
        )
        .await;
        assert!(
            src["ingestUrl"]
                .as_str()
                .expect("url")
                .ends_with(&format!("/in/{}-in", case.scheme))
        );
        let hookline_secret = destination(&app, &src, &rx).await;
        let mut headers = signed(
            case.scheme,
            case.secret,
            case.sign_id,
            case.body.as_bytes(),
            now(),
        );
        headers.extend(
            case.extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let uid = format!("{}-in", case.scheme);
        let (s, v) = post_in(
            &app,
            &uid,
            case.content_type,
            &headers,
            case.body.as_bytes(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", case.scheme);
        assert_eq!(v["status"], "accepted", "{}", case.scheme);
        if let Some(id) = case.event_id {
            assert_eq!(v["eventId"], id, "{}", case.scheme);
        } else {
            assert!(
                v["eventId"].as_str().expect("id").starts_with("sig_"),
                "{}",
                case.scheme
            );
        }

        let got = rx.wait_for(1).await;
        let r = &got[0];
        assert_eq!(
            r.body,
            case.body.as_bytes(),
            "{}: body changed",
            case.scheme
        );
        assert_eq!(
            r.header("content-type"),
            Some(case.content_type),
            "{}",
            case.scheme
        );
        // The provider's construction, with the provider's secret, at the destination.
        presets::by_name(case.scheme)
            .expect("preset")
            .verify(&[case.secret], &Request::new(&r.headers, &r.body), now())
            .unwrap_or_else(|e| {
                panic!(
                    "{}: provider signature at the destination: {e}",
                    case.scheme
                )
            });
        for (k, v) in case.extra {
            assert_eq!(r.header(k), Some(*v), "{}: {k}", case.scheme);
        }
        // And Hookline's own headers, with the endpoint's one secret.
        verify_hookline(&hookline_secret, r);

        // The request log says what happened.
        let (_, list) = app.get(&format!("/api/v1/source/{uid}/request")).await;
        assert_eq!(list["data"][0]["status"], "accepted", "{}", case.scheme);
        assert_eq!(
            list["data"][0]["eventType"], case.event_type,
            "{}",
            case.scheme
        );
        assert_eq!(
            list["data"][0]["messageId"], v["messageId"],
            "{}",
            case.scheme
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_event_id_is_forwarded_once() {
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let secret = "It's a Secret to Everybody";
    let src = source(
        &app,
        json!({"name": "gh", "scheme": "github", "secrets": [secret]}),
    )
    .await;
    destination(&app, &src, &rx).await;
    let id = src["id"].as_str().expect("id");
    let body = b"{\"zen\":\"Design for failure.\"}";
    let mut headers = signed("github", secret, None, body, now());
    headers.push(("X-GitHub-Delivery".into(), "dup-1".into()));
    let (s1, v1) = post_in(&app, id, "application/json", &headers, body).await;
    let (s2, v2) = post_in(&app, id, "application/json", &headers, body).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{v1} {v2}");
    assert_eq!(
        (v1["status"].as_str(), v2["status"].as_str()),
        (Some("accepted"), Some("duplicate"))
    );
    assert_eq!(v1["messageId"], v2["messageId"]);
    rx.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(rx.received().len(), 1, "a duplicate was forwarded");
    let (_, dups) = app
        .get(&format!("/api/v1/source/{id}/request?status=duplicate"))
        .await;
    assert_eq!(dups["data"].as_array().expect("list").len(), 1, "{dups}");
    app.stop().await;
}

#[tokio::test]
async fn form_encoded_bodies_are_forwarded_unchanged() {
    let app = gateway_app().await;
    // Slack's slash command, from its documentation.
    let slack_body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let rx = Receiver::start(&[]).await;
    let src = source(
        &app,
        json!({"name": "slash", "uid": "slash", "scheme": "slack", "secrets": [secret]}),
    )
    .await;
    destination(&app, &src, &rx).await;
    let headers = signed("slack", secret, None, slack_body.as_bytes(), now());
    let (s, v) = post_in(
        &app,
        "slash",
        "application/x-www-form-urlencoded",
        &headers,
        slack_body.as_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].body, slack_body.as_bytes());
    assert_eq!(
        got[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );

    // Twilio signs the URL it posted to and the sorted form parameters.
    let twilio_secret = "12345678901234567890123456789012";
    let rx2 = Receiver::start(&[]).await;
    let src2 = source(
        &app,
        json!({"name": "sms", "uid": "sms", "scheme": "twilio", "secrets": [twilio_secret]}),
    )
    .await;
    destination(&app, &src2, &rx2).await;
    let form = "To=%2B15550100&From=%2B15550199&Body=Hello+there%21&MessageSid=SM1";
    let url = app.url("/in/sms");
    let headers = presets::by_name("twilio")
        .expect("preset")
        .sign(
            &[twilio_secret],
            &hookline_sig::Message {
                id: None,
                timestamp: now(),
                body: form.as_bytes(),
                url: Some(&url),
            },
        )
        .expect("sign");
    let (s, v) = post_in(
        &app,
        "sms",
        "application/x-www-form-urlencoded",
        &headers,
        form.as_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = rx2.wait_for(1).await;
    assert_eq!(got[0].body, form.as_bytes());
    app.stop().await;
}

/// A body that is not text (a protobuf-like blob: invalid UTF-8 and a NUL) is verified,
/// accepted and forwarded byte for byte, verifiable both ways; its request shows it, and a
/// replay sends the same bytes again.
#[tokio::test]
async fn a_binary_body_is_forwarded_byte_for_byte() {
    let app = gateway_app().await;
    let secret = "binary-github-secret";
    let rx = Receiver::start(&[]).await;
    let src = source(
        &app,
        json!({"name": "blobs", "uid": "blobs", "scheme": "github", "secrets": [secret]}),
    )
    .await;
    let ours = destination(&app, &src, &rx).await;
    let body: Vec<u8> = [
        &[0x0a, 0x03, 0xff, 0xfe, 0x00][..],
        &(0..=255u8).collect::<Vec<_>>(),
    ]
    .concat();
    let mut headers = signed("github", secret, None, &body, now());
    headers.push(("x-github-delivery".into(), "bin-1".into()));
    let (s, v) = post_in(&app, "blobs", "application/x-protobuf", &headers, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted", "{v}");
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].body, body, "the bytes as they came");
    assert_eq!(
        got[0].header("content-type"),
        Some("application/x-protobuf")
    );
    let provider = presets::by_name("github")
        .expect("preset")
        .verifier(&[secret])
        .expect("key");
    provider
        .verify(&Request::new(&got[0].headers, &got[0].body), now())
        .expect("the provider's signature still verifies");
    // The svix crate reads the body as UTF-8 (`InvalidPayload` here), so Hookline's
    // signature is checked with the svix construction of `hookline-sig`.
    presets::by_name("svix")
        .expect("preset")
        .verifier(&[ours.as_str()])
        .expect("key")
        .verify(&Request::new(&got[0].headers, &got[0].body), now())
        .expect("Hookline's signature verifies");

    // The request's record shows the body (bytes that are not text replaced, as documented).
    let src_id = src["id"].as_str().expect("id");
    let req_id = v["requestId"].as_str().expect("requestId");
    let (s, r) = app
        .get(&format!("/api/v1/source/{src_id}/request/{req_id}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        r["body"].as_str(),
        Some(String::from_utf8_lossy(&body).as_ref()),
        "{r}"
    );
    // The dashboard's message page says what the bytes are and shows their base64.
    let msg_id = v["messageId"].as_str().expect("messageId");
    let app_id = src["appId"].as_str().expect("appId");
    let mut visitor = crate::dashboard::Visitor::new(&app);
    visitor.sign_in(crate::common::ADMIN_TOKEN).await;
    let (s, page) = visitor.get(&format!("/app/{app_id}/msg/{msg_id}")).await;
    assert_eq!(s, StatusCode::OK);
    {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
        assert!(
            page.contains(&format!(
                "The provider sent {} bytes that are not text",
                body.len()
            )) && page.contains(&b64),
            "{page}"
        );
    }

    // A replay sends the same bytes again.
    let (s, r) = app
        .post(
            &format!("/api/v1/source/{src_id}/request/{req_id}/replay"),
            json!({}),
        )
        .await;
    assert!(s.is_success(), "{s} {r}");
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].body, body, "replayed byte for byte");
    app.stop().await;
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_for_its_grace_only() {
    let app = gateway_app().await;
    let old = "splashify-old-secret";
    let src = source(
        &app,
        json!({"name": "sp", "uid": "sp", "scheme": "splashify", "secrets": [old]}),
    )
    .await;
    // Received once before the rotation, so the node holds the source resolved: the
    // rotation must replace it at once.
    let body_0 = b"{\"eventType\":\"Send\",\"n\":0}";
    let (s, _) = post_in(
        &app,
        "sp",
        "application/json",
        &signed("splashify", old, None, body_0, now()),
        body_0,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the secret before its rotation");
    let (s, v) = app
        .post(
            "/api/v1/source/sp/secret/rotate",
            json!({"secret": "splashify-new-secret", "graceSeconds": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["key"], "splashify-new-secret");
    assert_eq!(v["keys"].as_array().expect("keys").len(), 2);
    let body_a = b"{\"eventType\":\"Send\",\"n\":1}";
    let body_b = b"{\"eventType\":\"Send\",\"n\":2}";
    let body_c = b"{\"eventType\":\"Send\",\"n\":3}";
    let (s, _) = post_in(
        &app,
        "sp",
        "application/json",
        &signed("splashify", "splashify-new-secret", None, body_a, now()),
        body_a,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "new secret at once");
    let (s, _) = post_in(
        &app,
        "sp",
        "application/json",
        &signed("splashify", old, None, body_b, now()),
        body_b,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "old secret inside the grace period");
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    let (s, v) = post_in(
        &app,
        "sp",
        "application/json",
        &signed("splashify", old, None, body_c, now()),
        body_c,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "old secret after the grace period: {v}"
    );
    assert_eq!(v["detail"], "no signature matched");
    let (_, secret) = app
        .get(&format!(
            "/api/v1/source/{}/secret",
            src["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(secret["keys"], json!(["splashify-new-secret"]));
    app.stop().await;
}

#[tokio::test]
async fn an_accepted_event_can_be_replayed_alone_or_by_time_range() {
    let app = gateway_app().await;
    let rx = Receiver::start(&[]).await;
    let secret = "whsec_stripe_replay_0123456789";
    let src = source(
        &app,
        json!({"name": "st", "uid": "st", "scheme": "stripe", "secrets": [secret]}),
    )
    .await;
    destination(&app, &src, &rx).await;
    let started = hookline::api::types::format_date(hookline::now_millis() - 1000);
    for n in 0..3 {
        let body = format!("{{\"id\":\"evt_r{n}\",\"type\":\"charge.succeeded\"}}");
        let (s, _) = post_in(
            &app,
            "st",
            "application/json",
            &signed("stripe", secret, None, body.as_bytes(), now()),
            body.as_bytes(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
    rx.wait_for(3).await;
    let (_, list) = app.get("/api/v1/source/st/request?status=accepted").await;
    // Found by its event id: requests received in one millisecond have ids in no
    // particular order.
    let first = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|r| r["eventId"] == "evt_r0")
        .and_then(|r| r["id"].as_str())
        .expect("evt_r0 recorded")
        .to_owned();
    let (s, v) = app
        .post(
            &format!("/api/v1/source/st/request/{first}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let got = rx.wait_for(4).await;
    assert_eq!(
        got[3].body, br#"{"id":"evt_r0","type":"charge.succeeded"}"#,
        "a replay carries the same bytes"
    );

    let (s, dry) = app
        .post(
            "/api/v1/source/st/replay",
            json!({"since": started, "dryRun": true}),
        )
        .await;
    assert_eq!(
        (s, dry["count"].as_u64()),
        (StatusCode::OK, Some(3)),
        "{dry}"
    );
    assert!(rx.received().len() == 4, "a dry run replays nothing");
    let (s, all) = app
        .post("/api/v1/source/st/replay", json!({"since": started}))
        .await;
    assert_eq!(
        (s, all["count"].as_u64()),
        (StatusCode::ACCEPTED, Some(3)),
        "{all}"
    );
    rx.wait_for(7).await;
    app.stop().await;
}
