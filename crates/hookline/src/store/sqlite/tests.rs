use std::sync::Arc;

use serde_json::Map;

use super::SqliteStore;
use crate::crypto::Cipher;
use crate::store::*;

async fn store() -> (SqliteStore, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("hookline-store-{}", crate::ids::new_id("t")));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("db.sqlite");
    let s = SqliteStore::open(&path, Arc::new(Cipher::new(&[1; 32]).expect("key")))
        .await
        .expect("open");
    (s, path)
}

fn app(id: &str, uid: Option<&str>) -> Application {
    Application {
        id: id.into(),
        uid: uid.map(Into::into),
        name: id.into(),
        metadata: Map::new(),
        throttle_rate: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn endpoint(id: &str, app_id: &str) -> Endpoint {
    Endpoint {
        id: id.into(),
        app_id: app_id.into(),
        uid: None,
        url: "https://example.com/hook".into(),
        description: String::new(),
        disabled: false,
        event_types: None,
        channels: None,
        metadata: Map::new(),
        throttle_rate: None,
        headers: [(
            "Authorization".to_owned(),
            "Bearer very-secret-header".to_owned(),
        )]
        .into(),
        secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0".into(),
        previous_secrets: vec![],
        signature_scheme: "svix".into(),
        tolerance_hint: None,
        timeout_secs: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn page(limit: usize, cursor: Option<&str>, backwards: bool, order: Order) -> Page {
    Page {
        limit,
        cursor: cursor.map(Into::into),
        backwards,
        order,
    }
}

#[tokio::test]
async fn pages_forward_and_back_in_both_orders() {
    let (s, _) = store().await;
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

#[tokio::test]
async fn uids_are_unique_and_addressable() {
    let (s, _) = store().await;
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

#[tokio::test]
async fn endpoint_secrets_and_headers_are_encrypted_at_rest() {
    let (s, path) = store().await;
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
    s.close().await;
    let raw = std::fs::read(&path).expect("db file");
    let wal = std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default();
    for bytes in [&raw, &wal] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"),
            "secret in the clear"
        );
        assert!(!text.contains("very-secret-header"), "header in the clear");
    }
}

#[tokio::test]
async fn a_message_and_its_deliveries_commit_together() {
    let (s, _) = store().await;
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    let msg = Message {
        id: "msg_1".into(),
        app_id: "app_a".into(),
        event_id: Some("evt-1".into()),
        event_type: "user.signup".into(),
        channels: Some(vec!["ch".into()]),
        payload: Some("{}".into()),
        payload_expires_at: 99,
        created_at: 5,
    };
    s.create_message(&msg, &["ep_1".into()], 5)
        .await
        .expect("create");
    assert_eq!(
        s.deliveries_of_message("msg_1")
            .await
            .expect("deliveries")
            .len(),
        1
    );
    // The same eventId conflicts, and the failed transaction leaves nothing behind.
    let dup = Message {
        id: "msg_2".into(),
        ..msg.clone()
    };
    assert!(matches!(
        s.create_message(&dup, &["ep_1".into()], 6).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        s.deliveries_of_message("msg_2")
            .await
            .expect("deliveries")
            .is_empty()
    );
    // An endpoint deleted since it was chosen is skipped: the message still commits.
    let orphan = Message {
        id: "msg_3".into(),
        event_id: None,
        ..msg.clone()
    };
    s.create_message(&orphan, &["ep_missing".into(), "ep_1".into()], 6)
        .await
        .expect("create");
    assert_eq!(
        s.deliveries_of_message("msg_3")
            .await
            .expect("deliveries")
            .len(),
        1
    );
    assert_eq!(
        s.message("app_a", "evt-1")
            .await
            .expect("get")
            .map(|m| m.id)
            .as_deref(),
        Some("msg_1")
    );
    let f = MessageFilter {
        channel: Some("ch".into()),
        ..Default::default()
    };
    assert_eq!(
        s.list_messages("app_a", &page(10, None, false, Order::Descending), &f)
            .await
            .expect("list")
            .len(),
        2
    );
    // Retention: past `payload_expires_at` (99) payloads go; the messages stay.
    assert_eq!(s.expire_payloads(98).await.expect("expire"), 0);
    assert_eq!(s.expire_payloads(100).await.expect("expire"), 2);
    let kept = s
        .message("app_a", "msg_1")
        .await
        .expect("get")
        .expect("message stays");
    assert_eq!(kept.payload, None);
    let f = MessageFilter {
        channel: Some("other".into()),
        ..Default::default()
    };
    assert!(
        s.list_messages("app_a", &page(10, None, false, Order::Descending), &f)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn idempotency_keys_claim_once() {
    let (s, _) = store().await;
    assert_eq!(s.claim_idempotency_key("k", 1).await.expect("claim"), None);
    assert_eq!(
        s.claim_idempotency_key("k", 2).await.expect("claim"),
        Some(Idempotent::InProgress)
    );
    s.finish_idempotency_key("k", 201, b"{}")
        .await
        .expect("finish");
    assert_eq!(
        s.claim_idempotency_key("k", 3).await.expect("claim"),
        Some(Idempotent::Done {
            status: 201,
            body: b"{}".to_vec()
        })
    );
    assert_eq!(s.purge_idempotency_keys(2).await.expect("purge"), 1);
    assert_eq!(s.claim_idempotency_key("k", 4).await.expect("claim"), None);
}

#[tokio::test]
async fn group_commit_isolates_a_conflict_to_its_own_message() {
    let (s, _) = store().await;
    s.create_app(&app("app_a", None)).await.expect("app");
    let s = std::sync::Arc::new(s);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.spawn(async move {
            let msg = Message {
                id: format!("msg_{i:02}"),
                app_id: "app_a".into(),
                // Two of them share an eventId: exactly one may win.
                event_id: Some(if i < 2 {
                    "dup".into()
                } else {
                    format!("evt-{i}")
                }),
                event_type: "t".into(),
                channels: None,
                payload: Some("{}".into()),
                payload_expires_at: i64::MAX,
                created_at: 1,
            };
            s.create_message(&msg, &[], 1).await
        });
    }
    let mut ok = 0;
    let mut conflicts = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((ok, conflicts), (39, 1));
    let page = page(100, None, false, Order::Ascending);
    assert_eq!(
        s.list_messages("app_a", &page, &MessageFilter::default())
            .await
            .expect("list")
            .len(),
        39
    );
}
