//! The official `svix` Rust crate, pointed at Hookline: the proof that Svix clients work
//! unchanged.

use svix::api::{ApplicationListOptions, MessageListOptions, Svix, SvixOptions};
use svix::models::{ApplicationIn, EndpointIn, EndpointSecretRotateIn, EventTypeIn, MessageIn};

use crate::common::spawn_app;

#[tokio::test]
async fn the_svix_crate_drives_hookline() {
    let app = spawn_app().await;
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
        .create(
            EventTypeIn::new("user.signup".into(), "A user signed up".into()),
            None,
        )
        .await
        .expect("event type");
    let ets = svix
        .event_type()
        .list(None)
        .await
        .expect("list event types");
    assert_eq!(ets.data.len(), 1);

    let ep = svix
        .endpoint()
        .create(
            a.id.clone(),
            EndpointIn {
                event_types: Some(["user.signup".to_owned()].into()),
                ..EndpointIn::new("https://example.com/webhook".into())
            },
            None,
        )
        .await
        .expect("endpoint");
    let secret = svix
        .endpoint()
        .get_secret(a.id.clone(), ep.id.clone())
        .await
        .expect("secret");
    assert!(secret.key.starts_with("whsec_"));
    let rotated = svix
        .endpoint()
        .rotate_secret(
            a.id.clone(),
            ep.id.clone(),
            EndpointSecretRotateIn::new(),
            None,
        )
        .await
        .expect("rotate");
    assert_ne!(rotated.key, secret.key);

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
    }
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

    // Errors come back as the SDK's typed HTTP errors.
    let err = svix
        .application()
        .get("app_missing".into())
        .await
        .expect_err("404");
    assert!(format!("{err:?}").contains("404"), "{err:?}");
    app.stop().await;
}
