//! The official `svix` Rust crate, pointed at Hookline: the proof that Svix clients work
//! unchanged. One scenario, run with today's crate (2.x) and with the 1.x line (`svix1`),
//! which still sends `filterTypes` and `rateLimit` and requires `version` on endpoints.

use crate::common::{TestApp, spawn_app};

/// The scenario, written once for both crates: they share their API but for a few model
/// constructors, which each test passes in.
macro_rules! scenario {
    ($svix:ident, $app:expr, event_type_in: $event_type_in:expr, endpoint_in: $endpoint_in:expr $(,)?) => {{
        use $svix::api::{ApplicationListOptions, MessageListOptions, Svix, SvixOptions};
        use $svix::models::{ApplicationIn, EndpointSecretRotateIn, MessageIn};
        let app: &TestApp = $app;
        let svix = Svix::new(
            app.token.clone(),
            Some(SvixOptions {
                server_url: Some(app.base.clone()),
                num_retries: Some(0),
                ..SvixOptions::default()
            }),
        );

        let a = svix
            .application()
            .create(
                ApplicationIn {
                    uid: Some("sdk-app".into()),
                    ..ApplicationIn::new("SDK app".into())
                },
                None,
            )
            .await
            .expect("create app");
        assert!(a.id.starts_with("app_"));
        assert_eq!(
            svix.application()
                .get("sdk-app".into())
                .await
                .expect("get by uid")
                .id,
            a.id
        );

        svix.event_type()
            .create($event_type_in, None)
            .await
            .expect("event type");
        let ets = svix.event_type().list(None).await.expect("list event types");
        assert_eq!(ets.data.len(), 1);

        let ep = svix
            .endpoint()
            .create(a.id.clone(), $endpoint_in, None)
            .await
            .expect("endpoint");
        let got = svix
            .endpoint()
            .get(a.id.clone(), ep.id.clone())
            .await
            .expect("get endpoint");
        assert_eq!(got.id, ep.id);
        let secret = svix
            .endpoint()
            .get_secret(a.id.clone(), ep.id.clone())
            .await
            .expect("secret");
        assert!(secret.key.starts_with("whsec_"));
        // 2.x reads the new secret from the answer, 1.x ignores the body: both work.
        let _ = svix
            .endpoint()
            .rotate_secret(a.id.clone(), ep.id.clone(), EndpointSecretRotateIn::new(), None)
            .await
            .expect("rotate");
        let rotated = svix
            .endpoint()
            .get_secret(a.id.clone(), ep.id.clone())
            .await
            .expect("secret after rotation");
        assert_ne!(rotated.key, secret.key);

        let mut first = None;
        for i in 0..7 {
            let m = svix
                .message()
                .create(
                    a.id.clone(),
                    MessageIn::new("user.signup".into(), serde_json::json!({"i": i})),
                    None,
                )
                .await
                .expect("message");
            assert!(m.id.starts_with("msg_"));
            first.get_or_insert(m.id);
        }
        let first = first.expect("a message");
        // Page through messages two at a time with the SDK's iterator.
        let mut seen = Vec::new();
        let mut iterator = None;
        loop {
            let page = svix
                .message()
                .list(
                    a.id.clone(),
                    Some(MessageListOptions {
                        limit: Some(2),
                        iterator: iterator.clone(),
                        ..MessageListOptions::default()
                    }),
                )
                .await
                .expect("list");
            seen.extend(page.data.iter().map(|m| m.id.clone()));
            if page.done {
                break;
            }
            iterator = page.iterator;
        }
        assert_eq!(seen.len(), 7);
        let apps = svix
            .application()
            .list(Some(ApplicationListOptions {
                limit: Some(10),
                ..ApplicationListOptions::default()
            }))
            .await
            .expect("apps");
        assert_eq!(apps.data.len(), 1);

        // Where the message went, and a manual resend there (its answer is parsed as JSON).
        let destinations = svix
            .message_attempt()
            .list_attempted_destinations(a.id.clone(), first.clone(), None)
            .await
            .expect("destinations");
        assert_eq!(destinations.data.len(), 1);
        assert_eq!(destinations.data[0].id, ep.id);
        svix.message_attempt()
            .resend(a.id.clone(), first, ep.id.clone(), None)
            .await
            .expect("resend");

        // Errors come back as the SDK's typed HTTP errors.
        let err = svix
            .application()
            .get("app_missing".into())
            .await
            .expect_err("404");
        assert!(format!("{err:?}").contains("404"), "{err:?}");
        (a.id, ep.id)
    }};
}

/// What the server stored for the endpoint, read over plain HTTP.
async fn stored_endpoint(app: &TestApp, app_id: &str, ep_id: &str) -> serde_json::Value {
    let (s, v) = app
        .get(&format!("/api/v1/app/{app_id}/endpoint/{ep_id}"))
        .await;
    assert!(s.is_success(), "{v}");
    v
}

#[tokio::test]
async fn the_svix_crate_drives_hookline() {
    let app = spawn_app().await;
    let (app_id, ep_id) = scenario!(
        svix,
        &app,
        event_type_in: svix::models::EventTypeIn::new(
            "user.signup".into(),
            "A user signed up".into()
        ),
        endpoint_in: svix::models::EndpointIn {
            event_types: Some(["user.signup".to_owned()].into()),
            throttle_rate: Some(7),
            ..svix::models::EndpointIn::new("https://example.com/webhook".into())
        },
    );
    let ep = stored_endpoint(&app, &app_id, &ep_id).await;
    assert_eq!(ep["eventTypes"], serde_json::json!(["user.signup"]));
    assert_eq!(ep["throttleRate"], 7);
    app.stop().await;
}

#[tokio::test]
async fn the_svix_1_crate_drives_hookline() {
    let app = spawn_app().await;
    #[allow(deprecated)] // `rate_limit`: what 1.x SDKs send as `rateLimit`.
    let endpoint_in = svix1::models::EndpointIn {
        filter_types: Some(vec!["user.signup".to_owned()]),
        rate_limit: Some(7),
        ..svix1::models::EndpointIn::new("https://example.com/webhook".into())
    };
    let (app_id, ep_id) = scenario!(
        svix1,
        &app,
        // 1.x takes the description first.
        event_type_in: svix1::models::EventTypeIn::new(
            "A user signed up".into(),
            "user.signup".into()
        ),
        endpoint_in: endpoint_in,
    );
    let ep = stored_endpoint(&app, &app_id, &ep_id).await;
    assert_eq!(ep["eventTypes"], serde_json::json!(["user.signup"]));
    assert_eq!(ep["filterTypes"], serde_json::json!(["user.signup"]));
    assert_eq!(ep["throttleRate"], 7);
    app.stop().await;
}
