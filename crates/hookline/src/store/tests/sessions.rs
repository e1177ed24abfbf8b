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
