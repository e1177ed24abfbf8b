//! The delivery queue on both backends: capped claims, attempts recorded at once, leases.

use super::*;

pub(super) async fn claims_take_at_most_the_cap_per_endpoint_and_skip_busy_ones(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    for id in ["ep_1", "ep_2", "ep_3"] {
        s.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
    }
    for i in 0..10 {
        let msg = Message {
            id: format!("msg_{i:02}"),
            app_id: "app_a".into(),
            event_id: None,
            event_type: "t".into(),
            channels: None,
            payload: Some(format!("{{\"n\":{i}}}")),
            payload_expires_at: i64::MAX,
            created_at: i,
            forward: None,
        };
        s.create_message(&msg, &Targets::Matching, i)
            .await
            .expect("create");
    }
    let claims = s
        .claim_due(100, 1_000, 100, 3, &["ep_3".into()])
        .await
        .expect("claim");
    let count = |ep: &str| claims.iter().filter(|c| c.endpoint_id == ep).count();
    assert_eq!((count("ep_1"), count("ep_2"), count("ep_3")), (3, 3, 0));
    // The earliest of each endpoint, each with its message.
    let first = claims
        .iter()
        .find(|c| c.endpoint_id == "ep_1")
        .expect("claim");
    assert_eq!(first.msg_id, "msg_00");
    assert_eq!(
        first.message.as_ref().and_then(|m| m.payload.as_deref()),
        Some("{\"n\":0}")
    );
    // Claimed rows are leased: a second claim before the lease ends gets the next ones.
    let again = s.claim_due(100, 1_000, 100, 3, &[]).await.expect("claim");
    assert_eq!(again.len(), 9);
    assert!(again.iter().all(|c| {
        !claims
            .iter()
            .any(|d| d.msg_id == c.msg_id && d.endpoint_id == c.endpoint_id)
    }));
    // After the lease, unfinished claims come back.
    let later = s
        .claim_due(2_000, 3_000, 100, 100, &[])
        .await
        .expect("claim");
    assert_eq!(later.len(), 30);
}

/// A message to every endpoint of `app_a`, created at `at`.
pub(super) async fn queue(s: &dyn Store, id: &str, at: Millis) {
    let msg = Message {
        id: id.into(),
        app_id: "app_a".into(),
        event_id: None,
        event_type: "t".into(),
        channels: None,
        payload: Some("{}".into()),
        payload_expires_at: i64::MAX,
        created_at: at,
        forward: None,
    };
    s.create_message(&msg, &Targets::Matching, at)
        .await
        .expect("create");
}

pub(super) async fn attempts_at_once_track_one_run_of_failures(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    for i in 0..40 {
        queue(s.as_ref(), &format!("msg_{i:02}"), i).await;
    }
    let attempt = |i: i64, status: DeliveryStatus| Attempt {
        id: format!("atmpt_{i:03}"),
        msg_id: format!("msg_{i:02}"),
        app_id: "app_a".into(),
        endpoint_id: "ep_1".into(),
        url: "https://example.com/hook".into(),
        status,
        response_status_code: if status == DeliveryStatus::Success {
            200
        } else {
            500
        },
        response: String::new(),
        response_duration_ms: 1,
        trigger_type: 0,
        failure_reason: None,
        created_at: 100 + i,
        request_headers: Some(format!(r#"[["webhook-id","msg_{i:02}"],["x-key",null]]"#)),
    };
    let update = DeliveryUpdate {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(10_000),
        lease_until: 0,
    };
    // Twenty failures recorded at once (group-committed together where the store does):
    // one run of failures, begun by one of them, the same answer for all.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let s = s.clone();
        let a = attempt(i, DeliveryStatus::Fail);
        tasks.spawn(async move { s.finish_attempt(&a, update).await });
    }
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let since = r
            .expect("task")
            .expect("recorded")
            .expect("a run is going on");
        assert!((100..120).contains(&since), "{since}");
        seen.insert(since);
    }
    assert_eq!(seen.len(), 1, "one run: {seen:?}");
    let kept = s.attempt("msg_07", "atmpt_007").await.expect("read");
    assert_eq!(
        kept.and_then(|a| a.request_headers).as_deref(),
        Some(r#"[["webhook-id","msg_07"],["x-key",null]]"#),
        "the sent headers, as the engine gave them"
    );
    // A success ends it; the next failure starts a new one.
    let ok = attempt(20, DeliveryStatus::Success);
    assert_eq!(s.finish_attempt(&ok, update).await.expect("ok"), None);
    let again = attempt(21, DeliveryStatus::Fail);
    assert_eq!(
        s.finish_attempt(&again, update).await.expect("fail"),
        Some(121)
    );
    let listed = s
        .list_attempts(
            AttemptScope::Endpoint("ep_1"),
            &page(100, None, false, Order::Ascending),
            &AttemptFilter::default(),
        )
        .await
        .expect("list");
    assert_eq!(listed.len(), 22, "every attempt recorded");
}

pub(super) async fn a_worker_whose_lease_ran_out_cannot_move_the_delivery_on(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    s.create_endpoint(&endpoint("ep_1", "app_a"))
        .await
        .expect("ep");
    queue(s.as_ref(), "msg_1", 1).await;
    // Worker A claims until 100; its lease runs out; worker B takes the delivery over.
    let a = s.claim_due(10, 100, 10, 10, &[]).await.expect("claim");
    let b = s.claim_due(200, 1_000, 10, 10, &[]).await.expect("claim");
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((a[0].lease_until, b[0].lease_until), (100, 1_000));
    let attempt = |id: &str, at: Millis| Attempt {
        id: id.into(),
        msg_id: "msg_1".into(),
        app_id: "app_a".into(),
        endpoint_id: "ep_1".into(),
        url: "https://example.com/hook".into(),
        status: DeliveryStatus::Fail,
        response_status_code: 500,
        response: String::new(),
        response_duration_ms: 1,
        trigger_type: 0,
        failure_reason: None,
        created_at: at,
        request_headers: None,
    };
    // A's late attempt is recorded (it happened) but leaves B's claim alone; so does A's
    // give-back at shutdown.
    let late = DeliveryUpdate {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(5_000),
        lease_until: a[0].lease_until,
    };
    s.finish_attempt(&attempt("atmpt_a", 300), late)
        .await
        .expect("recorded");
    s.release_claims(&[("msg_1".into(), "ep_1".into(), a[0].lease_until)], 310)
        .await
        .expect("release");
    let d = &s.deliveries_of_message("msg_1").await.expect("d")[0];
    assert_eq!(d.status, DeliveryStatus::Sending, "still B's");
    // B's attempt moves it on.
    let done = DeliveryUpdate {
        status: DeliveryStatus::Success,
        next_attempt_at: None,
        lease_until: b[0].lease_until,
    };
    s.finish_attempt(&attempt("atmpt_b", 400), done)
        .await
        .expect("recorded");
    let d = &s.deliveries_of_message("msg_1").await.expect("d")[0];
    assert_eq!(d.status, DeliveryStatus::Success);
    let listed = s
        .list_attempts(
            AttemptScope::Message("msg_1"),
            &page(10, None, false, Order::Ascending),
            &AttemptFilter::default(),
        )
        .await
        .expect("list");
    assert_eq!(listed.len(), 2, "both attempts are in the log");
}

pub(super) async fn claims_since_skip_older_work_and_refills_read_one_endpoint(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    for id in ["ep_1", "ep_2"] {
        s.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
    }
    for i in 0..10 {
        queue(s.as_ref(), &format!("msg_{i:02}"), i).await;
    }
    queue(s.as_ref(), "msg_late", 500).await;
    let names = |claims: &[Claim]| -> Vec<(String, String)> {
        let mut v: Vec<_> = claims
            .iter()
            .map(|c| (c.endpoint_id.clone(), c.msg_id.clone()))
            .collect();
        v.sort();
        v
    };
    // From `since` on only (the older backlog is left alone), and not for a busy endpoint.
    let new = s
        .claim_since(100, 1_000, 100, 100, &["ep_2".into()], 5)
        .await
        .expect("claim");
    assert_eq!(
        names(&new),
        ["msg_05", "msg_06", "msg_07", "msg_08", "msg_09"]
            .map(|m| ("ep_1".to_owned(), m.to_owned()))
    );
    assert!(new.iter().all(|c| c.message.is_some()));
    // At most `per_endpoint` each, the earliest.
    let capped = s
        .claim_since(100, 1_000, 100, 2, &[], 5)
        .await
        .expect("claim");
    assert_eq!(
        names(&capped),
        [("ep_2", "msg_05"), ("ep_2", "msg_06")].map(|(e, m)| (e.to_owned(), m.to_owned()))
    );
    // A refill reads only the endpoint named, oldest first, up to its count.
    let one = s
        .claim_for(100, 1_000, &[("ep_1".into(), 3)])
        .await
        .expect("refill");
    assert_eq!(
        names(&one),
        [("ep_1", "msg_00"), ("ep_1", "msg_01"), ("ep_1", "msg_02")]
            .map(|(e, m)| (e.to_owned(), m.to_owned()))
    );
    assert!(
        one.iter()
            .all(|c| c.message.is_some() && c.lease_until == 1_000)
    );
    // Several endpoints at once; fewer than asked when fewer are due (msg_late is not).
    let two = s
        .claim_for(100, 1_000, &[("ep_1".into(), 10), ("ep_2".into(), 1)])
        .await
        .expect("refill");
    assert_eq!(
        names(&two),
        [("ep_1", "msg_03"), ("ep_1", "msg_04"), ("ep_2", "msg_00")]
            .map(|(e, m)| (e.to_owned(), m.to_owned()))
    );
    // Leases that ran out are taken whatever `since` says; pending rows before it are not.
    let expired = s
        .claim_since(2_000, 3_000, 100, 100, &[], 10_000)
        .await
        .expect("claim");
    assert_eq!(expired.len(), 13);
    assert!(expired.iter().all(|c| c.msg_id != "msg_late"));
    // The full look (`claim_due`) finds the rest: ep_2's other rows and msg_late.
    let rest = s
        .claim_due(2_000, 3_000, 100, 100, &[])
        .await
        .expect("claim");
    assert_eq!(
        names(&rest),
        [
            ("ep_1", "msg_late"),
            ("ep_2", "msg_01"),
            ("ep_2", "msg_02"),
            ("ep_2", "msg_03"),
            ("ep_2", "msg_04"),
            ("ep_2", "msg_07"),
            ("ep_2", "msg_08"),
            ("ep_2", "msg_09"),
            ("ep_2", "msg_late"),
        ]
        .map(|(e, m)| (e.to_owned(), m.to_owned()))
    );
}

pub(super) async fn announced_circuits_read_back_and_disabling_says_why(t: TestStore) {
    let s = t.s.clone();
    s.create_app(&app("app_a", None)).await.expect("app");
    for id in ["ep_1", "ep_2", "ep_3"] {
        s.create_endpoint(&endpoint(id, "app_a")).await.expect("ep");
    }
    let ids: Vec<String> = ["ep_1", "ep_2", "ep_3", "ep_gone"].map(String::from).into();
    assert!(s.open_circuits(&ids).await.expect("read").is_empty());
    s.open_circuit("ep_1", 5_000).await.expect("open");
    s.open_circuit("ep_1", 4_000)
        .await
        .expect("an earlier time");
    s.open_circuit("ep_2", 7_000).await.expect("open");
    s.close_circuit("ep_2").await.expect("close");
    assert_eq!(
        s.open_circuits(&ids).await.expect("read"),
        [("ep_1".to_owned(), 5_000)],
        "the later reopen time holds; a closed one is gone"
    );
    s.disable_endpoint("ep_3", "the endpoint answered 410 Gone", 10)
        .await
        .expect("disable");
    let h = s
        .failing_endpoint("ep_3")
        .await
        .expect("read")
        .expect("there");
    assert!(h.disabled);
    assert_eq!(
        h.disabled_reason.as_deref(),
        Some("the endpoint answered 410 Gone")
    );
    // Enabled again by a person, the reason goes with it.
    let mut ep = s
        .endpoint_by_id("ep_3")
        .await
        .expect("read")
        .expect("there");
    ep.disabled = false;
    s.update_endpoint(&ep).await.expect("update");
    let h = s
        .failing_endpoint("ep_3")
        .await
        .expect("read")
        .expect("there");
    assert!(!h.disabled && h.disabled_reason.is_none(), "{h:?}");
    assert!(s.failing_endpoint("ep_gone").await.expect("read").is_none());
}
