//! Dashboard sessions and one-time app-portal codes.

use super::*;

fn session(app_id: Option<&str>, expires_at: Millis) -> DashboardSession {
    DashboardSession {
        id: "sess_1".into(),
        app_id: app_id.map(Into::into),
        caps: 3,
        csrf: "csrf".into(),
        expires_at,
    }
}

pub(super) async fn sessions_end_at_expiry_sign_out_or_with_their_application(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_1", None)).await.expect("app");
    s.create_session("h", &session(None, 100))
        .await
        .expect("create");
    assert_eq!(
        s.session("h", 99).await.expect("read"),
        Some(session(None, 100))
    );
    assert_eq!(s.session("h", 100).await.expect("read"), None);
    s.delete_session("h").await.expect("delete");
    assert_eq!(s.session("h", 0).await.expect("read"), None);
    // A portal session goes with its application.
    s.create_session("p", &session(Some("app_1"), 100))
        .await
        .expect("create");
    assert!(s.session("p", 1).await.expect("read").is_some());
    s.delete_app("app_1").await.expect("delete app");
    assert_eq!(s.session("p", 1).await.expect("read"), None);
    s.create_session("old", &session(None, 10))
        .await
        .expect("create");
    s.create_session("new", &session(None, 1000))
        .await
        .expect("create");
    assert_eq!(s.purge_sessions(50).await.expect("purge"), 1);
    assert!(s.session("new", 50).await.expect("read").is_some());
}

pub(super) async fn portal_codes_work_once_and_not_late(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_1", None)).await.expect("app");
    let grant = PortalGrant {
        app_id: "app_1".into(),
        caps: 1,
        expires_at: 100,
    };
    s.create_portal_code("c", &grant).await.expect("create");
    let (a, b) = tokio::join!(s.take_portal_code("c", 1), s.take_portal_code("c", 1));
    let taken: Vec<_> = [a.expect("take"), b.expect("take")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(taken, vec![grant.clone()], "exactly one taker");
    s.create_portal_code("late", &grant).await.expect("create");
    assert_eq!(s.take_portal_code("late", 100).await.expect("take"), None);
    assert_eq!(
        s.take_portal_code("late", 1).await.expect("take"),
        None,
        "spent by the late try"
    );
}

pub(super) async fn activity_counts_by_bucket_and_lists_endpoints_not_delivering(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    s.create_endpoint(&endpoint("ep_2", "app_a"))
        .await
        .expect("ep");
    let now = crate::now_millis();
    // Two messages a minute apart, made with ids of their own time (as the API makes them),
    // and one from before the window, which is not counted.
    for (n, at) in [
        (1, now - 120_000),
        (2, now - 60_000),
        (3, now - 61_000),
        (4, now),
    ] {
        let msg = Message {
            id: crate::ids::id_floor("msg", at) + &n.to_string(),
            app_id: "app_a".into(),
            event_id: None,
            event_type: "a.b".into(),
            channels: None,
            payload: Some("{}".into()),
            payload_expires_at: i64::MAX,
            created_at: at,
            forward: None,
        };
        s.create_message(&msg, &Targets::Only(vec![]), at)
            .await
            .expect("message");
    }
    let since = now - 90_000;
    let got = s.activity(since, 60_000, now).await.expect("activity");
    let messages: Vec<(i64, i64)> = got.iter().map(|b| (b.index, b.messages)).collect();
    assert_eq!(messages, vec![(0, 2), (1, 1)], "{got:?}");
    assert!(s.failing_endpoints(10).await.expect("failing").is_empty());
    s.disable_endpoint("ep_2", "the endpoint answered 410 Gone", now)
        .await
        .expect("disable");
    let failing = s.failing_endpoints(10).await.expect("failing");
    assert_eq!(failing.len(), 1);
    assert!(failing[0].disabled && failing[0].id == "ep_2" && failing[0].app_id == "app_a");
    assert_eq!(
        failing[0].disabled_reason.as_deref(),
        Some("the endpoint answered 410 Gone")
    );
}
