//! The inbound gateway's sources and received requests.

use super::*;

fn source(id: &str, uid: Option<&str>) -> Source {
    Source {
        id: id.into(),
        uid: uid.map(Into::into),
        name: "GitHub".into(),
        scheme: "github".into(),
        scheme_definition: None,
        secrets: vec![
            SourceSecret {
                key: "source-key-in-the-clear".into(),
                expires_at: None,
            },
            SourceSecret {
                key: "old-source-key".into(),
                expires_at: Some(50),
            },
        ],
        handshake: Some("meta".into()),
        verify_token: Some("verify-token-in-the-clear".into()),
        tolerance_secs: Some(60),
        dedupe_window_secs: 3600,
        app_id: "app_a".into(),
        created_at: 1,
        updated_at: 1,
    }
}

fn request(id: &str, status: RequestStatus, at: Millis) -> ReceivedRequest {
    ReceivedRequest {
        id: id.into(),
        source_id: "src_1".into(),
        received_at: at,
        status,
        reason: (status == RequestStatus::Rejected).then(|| "no signature matched".into()),
        event_id: Some(format!("evt-{id}")),
        event_type: Some("push".into()),
        msg_id: None,
        url: "http://h/in/gh".into(),
        headers: vec![("X-GitHub-Event".into(), "push".into())],
        body: b"{\"a\":1}".to_vec(),
        expires_at: at + 100,
    }
}

pub(super) async fn sources_keep_their_keys_sealed_and_their_uid_unique(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_source(&source("src_1", Some("gh")))
        .await
        .expect("create");
    assert_eq!(
        s.source("gh").await.expect("by uid"),
        Some(source("src_1", Some("gh")))
    );
    assert!(matches!(
        s.create_source(&source("src_2", Some("gh"))).await,
        Err(StoreError::Conflict(_))
    ));
    let mut changed = source("src_1", Some("gh2"));
    changed.secrets.truncate(1);
    changed.verify_token = None;
    s.update_source(&changed).await.expect("update");
    assert_eq!(s.source("src_1").await.expect("get"), Some(changed));
    s.create_source(&source("src_3", None))
        .await
        .expect("another");
    assert!(s.delete_source("src_1").await.expect("delete"));
    assert_eq!(s.source("src_1").await.expect("get"), None);
    // Read last: on SQLite this closes the store.
    let text = String::from_utf8_lossy(&t.raw_bytes().await).into_owned();
    assert!(text.contains("src_3"), "read what was stored");
    assert!(
        !text.contains("source-key-in-the-clear"),
        "a key in the clear"
    );
    assert!(
        !text.contains("verify-token-in-the-clear"),
        "a token in the clear"
    );
}

pub(super) async fn requests_list_newest_first_and_rejections_are_bounded(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_source(&source("src_1", None))
        .await
        .expect("create");
    s.record_request(&request("req_1", RequestStatus::Accepted, 10))
        .await
        .expect("accepted");
    for (i, id) in ["req_2", "req_3", "req_4", "req_5"].iter().enumerate() {
        s.record_rejection(&request(id, RequestStatus::Rejected, 20 + i as i64), 3)
            .await
            .expect("rejected");
    }
    let page = Page {
        limit: 10,
        cursor: None,
        backwards: false,
        order: Order::Descending,
    };
    let all = s
        .list_requests("src_1", &page, &RequestFilter::default())
        .await
        .expect("list");
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["req_5", "req_4", "req_3", "req_1"],
        "the oldest rejection went"
    );
    let rejected = RequestFilter {
        status: Some(RequestStatus::Rejected),
        after: Some(21),
        ..RequestFilter::default()
    };
    let ids: Vec<String> = s
        .list_requests("src_1", &page, &rejected)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["req_5", "req_4"]);
    assert_eq!(
        s.request("src_1", "req_3").await.expect("get"),
        Some(request("req_3", RequestStatus::Rejected, 21))
    );
    // Past their time (received + 100), they go: req_1 (110) and req_3 (121).
    assert_eq!(s.purge_requests(122).await.expect("purge"), 2);
    assert_eq!(s.request("src_1", "req_1").await.expect("get"), None);
}

pub(super) async fn a_forwarded_message_keeps_its_content_type_and_headers(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    let forward = Forward {
        content_type: "application/x-www-form-urlencoded".into(),
        headers: vec![("X-Slack-Signature".into(), "v0=ab".into())],
        base64: false,
    };
    let msg = Message {
        id: "msg_f".into(),
        app_id: "app_a".into(),
        event_id: Some("Ev1".into()),
        event_type: "slack".into(),
        channels: None,
        payload: Some("a=1&b=2".into()),
        payload_expires_at: 999,
        created_at: 5,
        forward: Some(forward.clone()),
    };
    s.create_message(&msg, &Targets::Matching, 5)
        .await
        .expect("create");
    let back = s
        .message("app_a", "Ev1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(back.forward.as_ref(), Some(&forward));
    let claims = s.claim_due(10, 1000, 10, 10, &[]).await.expect("claim");
    assert_eq!(
        claims[0].message.as_ref().and_then(|m| m.forward.as_ref()),
        Some(&forward)
    );
    // The provider's event id de-duplicates: a second message with it does not commit.
    let again = Message {
        id: "msg_g".into(),
        ..msg
    };
    assert!(matches!(
        s.create_message(&again, &Targets::Matching, 6).await,
        Err(StoreError::Conflict(_))
    ));
}

/// A body that is not text (invalid UTF-8, a NUL, which PostgreSQL's `text` refuses) is
/// kept in base64 and comes back as the same bytes.
pub(super) async fn a_binary_forwarded_body_comes_back_byte_for_byte(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    for (i, body) in [
        &b"\xff\xfe protobuf\x00"[..],
        b"text with a \x00 inside",
        b"plain",
    ]
    .into_iter()
    .enumerate()
    {
        let (payload, base64) = Forward::encode(body);
        assert_eq!(base64, i < 2, "{body:?}");
        let msg = Message {
            id: format!("msg_b{i}"),
            app_id: "app_a".into(),
            event_id: None,
            event_type: "bytes".into(),
            channels: None,
            payload: Some(payload),
            payload_expires_at: 999,
            created_at: 5,
            forward: Some(Forward {
                content_type: "application/octet-stream".into(),
                headers: Vec::new(),
                base64,
            }),
        };
        s.create_message(&msg, &Targets::Matching, 5)
            .await
            .expect("create");
        let back = s
            .message("app_a", &msg.id)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(back.body().expect("decodes").as_deref(), Some(body));
    }
}

/// A received event commits with its request's record; a repeat inside the window is
/// recorded as a duplicate of the first, with no message; outside it, a new event.
pub(super) async fn a_received_event_commits_with_its_record_and_repeats_do_not(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    s.create_source(&source("src_1", None))
        .await
        .expect("source");
    let msg = |id: &str, at: Millis| Message {
        id: id.into(),
        app_id: "app_a".into(),
        event_id: Some("evt-1".into()),
        event_type: "push".into(),
        channels: None,
        payload: Some("{\"a\":1}".into()),
        payload_expires_at: at + 1_000_000,
        created_at: at,
        forward: None,
    };
    let first = s
        .receive_event(
            &msg("msg_1", 1_000),
            &request("req_1", RequestStatus::Accepted, 1_000),
            500,
            1_000,
        )
        .await
        .expect("first");
    assert_eq!(
        first,
        Received {
            status: RequestStatus::Accepted,
            msg_id: "msg_1".into(),
            queued: 1
        }
    );
    // Inside the window (1,000 + 500 > 1,400): the first message is the answer.
    let repeat = s
        .receive_event(
            &msg("msg_2", 1_400),
            &request("req_2", RequestStatus::Accepted, 1_400),
            500,
            1_400,
        )
        .await
        .expect("repeat");
    assert_eq!(repeat.status, RequestStatus::Duplicate);
    assert_eq!((repeat.msg_id.as_str(), repeat.queued), ("msg_1", 0));
    let none = s.message("app_a", "msg_2").await.expect("read the repeat");
    assert_eq!(none, None, "a duplicate writes no message");
    // Outside it: a new event, forwarded again, without the id (the first keeps it).
    let late = s
        .receive_event(
            &msg("msg_3", 1_600),
            &request("req_3", RequestStatus::Accepted, 1_600),
            500,
            1_600,
        )
        .await
        .expect("late");
    assert_eq!(
        (late.status, late.msg_id.as_str(), late.queued),
        (RequestStatus::Accepted, "msg_3", 1)
    );
    let page = Page {
        limit: 10,
        cursor: None,
        backwards: false,
        order: Order::Descending,
    };
    let recorded: Vec<(String, RequestStatus, Option<String>)> = s
        .list_requests("src_1", &page, &RequestFilter::default())
        .await
        .expect("list")
        .into_iter()
        .map(|r| (r.id, r.status, r.msg_id))
        .collect();
    assert_eq!(
        recorded,
        [
            (
                "req_3".into(),
                RequestStatus::Accepted,
                Some("msg_3".into())
            ),
            (
                "req_2".into(),
                RequestStatus::Duplicate,
                Some("msg_1".into())
            ),
            (
                "req_1".into(),
                RequestStatus::Accepted,
                Some("msg_1".into())
            ),
        ]
    );
    // An application gone is a conflict, and leaves no record behind.
    let orphan = Message {
        app_id: "app_gone".into(),
        ..msg("msg_4", 2_000)
    };
    assert!(matches!(
        s.receive_event(
            &orphan,
            &request("req_4", RequestStatus::Accepted, 2_000),
            500,
            2_000
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.request("src_1", "req_4").await.expect("get"), None);
}

/// Counts read the period's index range only, and stop at the cap (newest first).
pub(super) async fn request_counts_cover_the_period_up_to_the_cap(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_source(&source("src_1", None))
        .await
        .expect("create");
    let at = |ms: i64, status| {
        let mut r = request(&crate::ids::id_floor("req", ms), status, ms);
        r.expires_at = i64::MAX;
        r
    };
    s.record_request(&at(1000, RequestStatus::Accepted))
        .await
        .expect("accepted");
    s.record_request(&at(2000, RequestStatus::Duplicate))
        .await
        .expect("duplicate");
    for ms in [3000, 3001, 3002] {
        s.record_rejection(&at(ms, RequestStatus::Rejected), 10)
            .await
            .expect("rejected");
    }
    let c = s.count_requests("src_1", 1500, 100).await.expect("count");
    assert_eq!(
        c,
        RequestCounts {
            accepted: 0,
            duplicate: 1,
            rejected: 3,
            capped: false
        }
    );
    let c = s.count_requests("src_1", 0, 3).await.expect("count");
    assert_eq!((c.rejected, c.accepted, c.capped), (3, 0, true));
    let c = s.count_requests("src_other", 0, 3).await.expect("count");
    assert_eq!(c, RequestCounts::default());
}
