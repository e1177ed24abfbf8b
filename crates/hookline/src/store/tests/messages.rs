//! Messages and their deliveries: written together, conflicts isolated, routing by filters.

use super::*;

pub(super) async fn a_message_and_its_deliveries_commit_together(t: TestStore) {
    let s = t.s.clone();
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
    s.create_message(&msg, &Targets::Only(vec!["ep_1".into()]), 5)
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
        s.create_message(&dup, &Targets::Only(vec!["ep_1".into()]), 6)
            .await,
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
    s.create_message(
        &orphan,
        &Targets::Only(vec!["ep_missing".into(), "ep_1".into()]),
        6,
    )
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

pub(super) async fn concurrent_messages_isolate_a_conflict_to_its_own(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
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
            s.create_message(&msg, &Targets::Only(vec![]), 1).await
        });
    }
    let mut ok = 0;
    let mut conflicts = 0;
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(_) => ok += 1,
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

pub(super) async fn matching_endpoints_follow_their_filters(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_app(&app("app_b", None)).await.expect("app");
    let list = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let eps = [
        ("ep_all", None, None, false),
        ("ep_off", None, None, true),
        ("ep_type", list(&["a.b"]), None, false),
        ("ep_other_type", list(&["x.y"]), None, false),
        ("ep_none", list(&[]), None, false),
        ("ep_chan", None, list(&["c1", "c2"]), false),
        ("ep_other_chan", None, list(&["c9"]), false),
    ];
    for (id, types, channels, disabled) in eps {
        s.create_endpoint(&Endpoint {
            event_types: types,
            channels,
            disabled,
            ..endpoint(id, "app_a")
        })
        .await
        .expect("ep");
    }
    s.create_endpoint(&endpoint("ep_elsewhere", "app_b"))
        .await
        .expect("ep");
    let routed = |id: &str, channels: Option<Vec<String>>| {
        let s = s.clone();
        let msg = Message {
            id: id.into(),
            app_id: "app_a".into(),
            event_id: None,
            event_type: "a.b".into(),
            channels,
            payload: Some("{}".into()),
            payload_expires_at: i64::MAX,
            created_at: 1,
        };
        async move {
            let n = s
                .create_message(&msg, &Targets::Matching, 1)
                .await
                .expect("create");
            let mut to: Vec<String> = s
                .deliveries_of_message(&msg.id)
                .await
                .expect("deliveries")
                .into_iter()
                .map(|d| d.endpoint_id)
                .collect();
            to.sort();
            assert_eq!(n, to.len());
            to
        }
    };
    assert_eq!(routed("msg_1", None).await, ["ep_all", "ep_type"]);
    assert_eq!(
        routed("msg_2", list(&["c2", "c3"])).await,
        ["ep_all", "ep_chan", "ep_type"]
    );
}
