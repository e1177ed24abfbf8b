//! The overview's rollup and the application-wide attempt listing (issue 14's bounded reads).

use super::*;

const M: i64 = 60_000;
/// A whole minute, far from the clock's time: `activity` is given its `now`.
const T0: Millis = 28_333_333 * M;

async fn message_at(s: &dyn Store, app_id: &str, tag: &str, at: Millis) -> String {
    let msg = Message {
        id: crate::ids::id_floor("msg", at) + tag,
        app_id: app_id.into(),
        event_id: None,
        event_type: if tag.contains('x') { "x.y" } else { "a.b" }.into(),
        channels: None,
        payload: Some("{}".into()),
        payload_expires_at: i64::MAX,
        created_at: at,
        forward: None,
    };
    s.create_message(&msg, &Targets::Matching, at)
        .await
        .expect("message");
    msg.id
}

async fn attempt_at(s: &dyn Store, msg_id: &str, app_id: &str, ep: &str, ok: bool, at: Millis) {
    let a = Attempt {
        id: crate::ids::id_floor("atmpt", at) + &msg_id[msg_id.len() - 2..],
        msg_id: msg_id.into(),
        app_id: app_id.into(),
        endpoint_id: ep.into(),
        url: "https://example.com/hook".into(),
        status: if ok {
            DeliveryStatus::Success
        } else {
            DeliveryStatus::Fail
        },
        response_status_code: if ok { 200 } else { 500 },
        response: String::new(),
        response_duration_ms: 1,
        trigger_type: 0,
        failure_reason: None,
        created_at: at,
        request_headers: None,
    };
    let update = DeliveryUpdate {
        status: a.status,
        next_attempt_at: None,
        lease_until: 0,
    };
    s.finish_attempt(&a, update).await.expect("attempt");
}

/// (index, messages, delivered, failed) of each bucket with something in it.
async fn chart(
    s: &dyn Store,
    since: Millis,
    bucket: i64,
    now: Millis,
) -> Vec<(i64, i64, i64, i64)> {
    s.activity(since, bucket, now)
        .await
        .expect("activity")
        .iter()
        .filter(|b| b.messages + b.delivered + b.failed > 0)
        .map(|b| (b.index, b.messages, b.delivered, b.failed))
        .collect()
}

pub(super) async fn closed_minutes_are_counted_once_and_the_open_one_live(t: TestStore) {
    let s = t.s.as_ref();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    let since = T0 - 10 * M;
    // Minute T0 is open until T0 + 1 minute + the settling time.
    let now = T0 + 45_000;
    let m = message_at(s, "app_a", "01", since + 1_000).await;
    attempt_at(s, &m, "app_a", "ep_1", true, since + 2_000).await;
    for tag in ["02", "03"] {
        let m = message_at(s, "app_a", tag, since + 3 * M + 5_000).await;
        attempt_at(s, &m, "app_a", "ep_1", false, since + 3 * M + 10_000).await;
    }
    let m = message_at(s, "app_a", "04", T0 + 10_000).await;
    attempt_at(s, &m, "app_a", "ep_1", true, T0 + 11_000).await;
    // Minute 6 has nothing; minute 10 is the open one.
    let first = vec![(0, 1, 1, 0), (3, 2, 0, 2), (10, 1, 1, 0)];
    assert_eq!(chart(s, since, M, now).await, first);

    // Rows that appear late in counted minutes (6 had none) are not counted again: those
    // minutes are read from the rollup. The open minute is counted live.
    message_at(s, "app_a", "05", since + 3 * M + 30_000).await;
    message_at(s, "app_a", "06", since + 6 * M).await;
    message_at(s, "app_a", "07", T0 + 20_000).await;
    assert_eq!(
        chart(s, since, M, now).await,
        vec![(0, 1, 1, 0), (3, 2, 0, 2), (10, 2, 1, 0)]
    );

    // A minute on, minute 10 has closed: counted once, then read from the rollup too.
    let later = now + M;
    let got = chart(s, since + M, M, later).await;
    assert_eq!(got, vec![(2, 2, 0, 2), (9, 2, 1, 0)], "shifted by a minute");
    message_at(s, "app_a", "08", T0 + 30_000).await;
    assert_eq!(chart(s, since + M, M, later).await, got);

    // A longer window counts its older minutes once, and buckets of five minutes add the
    // minutes up.
    message_at(s, "app_a", "09", since - 4 * M).await;
    assert_eq!(
        chart(s, since - 5 * M, 5 * M, later).await,
        vec![(0, 1, 0, 0), (1, 3, 1, 2), (3, 2, 1, 0)]
    );

    // Buckets the rollup cannot make (not whole minutes) are counted from the rows: every
    // message of the window, the late ones included.
    let all = s.activity(since + 1, M, later).await.expect("activity");
    assert_eq!(all.iter().map(|b| b.messages).sum::<i64>(), 8, "{all:?}");
}

pub(super) async fn attempts_of_an_application_are_its_own_newest_first(t: TestStore) {
    let s = t.s.as_ref();
    for (a, e) in [("app_a", "ep_a"), ("app_b", "ep_b")] {
        s.create_app(&app(a, None)).await.expect("app");
        s.create_endpoint(&endpoint(e, a)).await.expect("ep");
    }
    // Interleaved in time: a, b, a, b, ...; every third of a's fails; "x" tags another
    // event type.
    let mut ids_a = vec![];
    for i in 0..12 {
        let (app_id, ep) = if i % 2 == 0 {
            ("app_a", "ep_a")
        } else {
            ("app_b", "ep_b")
        };
        let tag = if i == 4 {
            "x4".to_owned()
        } else {
            format!("{i:02}")
        };
        let m = message_at(s, app_id, &tag, T0 + i * 1_000).await;
        let ok = !(app_id == "app_a" && i % 3 == 0);
        attempt_at(s, &m, app_id, ep, ok, T0 + i * 1_000 + 500).await;
        if app_id == "app_a" {
            ids_a.push((m, ok));
        }
    }
    let list = |p: Page, f: AttemptFilter| async move {
        s.list_attempts(AttemptScope::App("app_a"), &p, &f)
            .await
            .expect("list")
    };
    let all = list(
        page(10, None, false, Order::Descending),
        AttemptFilter::default(),
    )
    .await;
    let want: Vec<&str> = ids_a.iter().rev().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        all.iter().map(|a| a.msg_id.as_str()).collect::<Vec<_>>(),
        want
    );
    assert!(
        all.iter()
            .all(|a| a.app_id == "app_a" && a.endpoint_id == "ep_a")
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");

    // Pages on the cursor, forward and back.
    let first = list(
        page(4, None, false, Order::Descending),
        AttemptFilter::default(),
    )
    .await;
    let cursor = first[3].id.clone();
    let second = list(
        page(4, Some(&cursor), false, Order::Descending),
        AttemptFilter::default(),
    )
    .await;
    assert_eq!(second.len(), 2);
    assert_eq!(second[0].msg_id, want[4]);
    let back = list(
        page(4, Some(&second[0].id), true, Order::Descending),
        AttemptFilter::default(),
    )
    .await;
    assert_eq!(
        back.iter().map(|a| &a.id).collect::<Vec<_>>(),
        first.iter().map(|a| &a.id).collect::<Vec<_>>()
    );

    // Filters: by status on the attempt; by event type through the message.
    let failed = list(
        page(10, None, false, Order::Descending),
        AttemptFilter {
            status: Some(DeliveryStatus::Fail),
            ..AttemptFilter::default()
        },
    )
    .await;
    let want_failed: Vec<&str> = ids_a
        .iter()
        .rev()
        .filter(|(_, ok)| !ok)
        .map(|(m, _)| m.as_str())
        .collect();
    assert_eq!(
        failed.iter().map(|a| a.msg_id.as_str()).collect::<Vec<_>>(),
        want_failed
    );
    // Successes alone; an endpoint's failures (read on the failed attempts' own indexes).
    let ok = list(
        page(10, None, false, Order::Descending),
        AttemptFilter {
            status: Some(DeliveryStatus::Success),
            ..AttemptFilter::default()
        },
    )
    .await;
    assert_eq!(ok.len() + failed.len(), all.len());
    assert!(ok.iter().all(|a| a.status == DeliveryStatus::Success));
    let endpoint_failed = s
        .list_attempts(
            AttemptScope::Endpoint("ep_a"),
            &page(10, None, false, Order::Descending),
            &AttemptFilter {
                status: Some(DeliveryStatus::Fail),
                ..AttemptFilter::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(endpoint_failed, failed);
    let typed = list(
        page(10, None, false, Order::Descending),
        AttemptFilter {
            event_types: vec!["x.y".into()],
            ..AttemptFilter::default()
        },
    )
    .await;
    assert_eq!(typed.len(), 1);
    assert!(typed[0].msg_id.ends_with("x4"));

    // The endpoint page's bounded health: the last 4 of a's attempts (10, 8, 6, 4: 6
    // failed); its six deliveries are still pending (these attempts held no lease), counted
    // up to the cap.
    let h = s.endpoint_health("ep_a", 4, 100).await.expect("health");
    assert_eq!((h.delivered, h.failed, h.pending, h.sending), (3, 1, 6, 0));
    let h = s.endpoint_health("ep_a", 100, 5).await.expect("health");
    assert_eq!((h.delivered, h.failed, h.pending), (4, 2, 5));
}
