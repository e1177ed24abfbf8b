//! Records and their keys: pagination, id ordering, uids, secrets sealed at rest.

use super::*;

pub(super) async fn pages_forward_and_back_in_both_orders(t: TestStore) {
    let s = t.s.clone();
    for i in 0..5 {
        s.create_app(&app(&format!("app_{i}"), None))
            .await
            .expect("create");
    }
    let ids = |v: Vec<Application>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s
            .list_apps(&page(2, None, false, Order::Ascending))
            .await
            .expect("list")),
        ["app_0", "app_1"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_1"), false, Order::Ascending))
            .await
            .expect("list")),
        ["app_2", "app_3"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_2"), true, Order::Ascending))
            .await
            .expect("list")),
        ["app_0", "app_1"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, None, false, Order::Descending))
            .await
            .expect("list")),
        ["app_4", "app_3"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_3"), false, Order::Descending))
            .await
            .expect("list")),
        ["app_2", "app_1"]
    );
    assert_eq!(
        ids(s
            .list_apps(&page(2, Some("app_2"), true, Order::Descending))
            .await
            .expect("list")),
        ["app_4", "app_3"]
    );
}

pub(super) async fn ids_sort_byte_by_byte_whatever_the_locale(t: TestStore) {
    let s = t.s.clone();
    // Ids sort by creation time only in byte order ("B" < "a"); so do cursors.
    for id in ["app_a", "app_B", "app_1"] {
        s.create_app(&app(id, None)).await.expect("create");
    }
    let ids: Vec<String> = s
        .list_apps(&page(10, None, false, Order::Ascending))
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["app_1", "app_B", "app_a"]);
    let after: Vec<String> = s
        .list_apps(&page(10, Some("app_B"), false, Order::Ascending))
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(after, ["app_a"]);
}

pub(super) async fn uids_are_unique_and_addressable(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", Some("acme")))
        .await
        .expect("create");
    assert!(matches!(
        s.create_app(&app("app_b", Some("acme"))).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.app("acme").await.expect("get").map(|a| a.id).as_deref(),
        Some("app_a")
    );
    assert!(s.app("nope").await.expect("get").is_none());
}

pub(super) async fn endpoint_secrets_and_headers_are_encrypted_at_rest(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("endpoint");
    let back = s
        .endpoint("app_a", "ep_1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(back, endpoint("ep_1", "app_a"));
    let bytes = t.raw_bytes().await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.len() > 100, "read what was stored");
    assert!(
        !text.contains("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"),
        "secret in the clear"
    );
    assert!(!text.contains("very-secret-header"), "header in the clear");
}
